"""Proofs anyone can run: the kill test (chaos) and many runners at once.

They start the real mock core system with faults, real runner processes and real
Chromium, do their worst, and then compare the core system's records with the management
database application by application.
"""
