"""The audit trail: every step as a JSON line, evidence files with their hashes, run reports."""

from bots.audit.trail import AuditTrail, verify_chain

__all__ = ["AuditTrail", "verify_chain"]
