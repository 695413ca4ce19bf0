"""Faults on demand: what real core systems do to a bot, switched on for tests.

STUB — to be completed (see docs/mock-core-faults.md). The API below is fixed: the
subsystems call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app

FAULTS_KEY = "mock_core_faults"


@dataclass
class FaultSettings:
    """Current fault settings; all off by default."""

    latency_ms: int = 0  # added to every response
    latency_jitter_ms: int = 0  # plus a random 0..jitter
    register_500_rate: float = 0.0  # share of register POSTs answered 500, before any write
    session_expiry_after: int | None = None  # a session dies after this many requests
    maintenance: bool = False  # every screen answers 503 (the nightly batch)
    notice_rate: float = 0.0  # share of HTML pages that open the お知らせ modal
    variants: dict[str, str] = field(default_factory=dict)  # subsystem → layout variant


def install(app: Flask, settings: FaultSettings | None = None) -> None:
    app.extensions[FAULTS_KEY] = settings or FaultSettings()


def faults() -> FaultSettings:
    settings: FaultSettings = current_app.extensions[FAULTS_KEY]
    return settings


def register_should_fail(subsystem: str) -> bool:
    """Call first thing in a register POST handler; True → answer 500 without writing."""
    return False


def layout_variant(subsystem: str) -> str | None:
    """The layout variant to render for ``subsystem`` ('v2', 'v3'), or None for the normal one."""
    return faults().variants.get(subsystem)
