"""The one clock every part of renkei stores times by.

Kept apart from the queue (which used to define it) so the engine, the console and the
tools can tell the time without importing the management database's code.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, as stored (SQLite has no time zones)."""
    return datetime.now(UTC).replace(tzinfo=None)
