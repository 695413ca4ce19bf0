"""``renkei audit …``: what auditors run to check the bot's evidence.

Registered on the main group by :mod:`bots.cli.main`; kept apart because the audit trail's
verification is one idea, grown without touching the rest of the CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group()
def audit() -> None:
    """Audit log."""


@audit.command("verify")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
def audit_verify(file: Path) -> None:
    """Check an audit log's hash chain: exit 1 if any line was altered or removed."""
    from bots.audit.trail import verify_chain

    summary = file.parent / "summary.json"
    expected = (
        json.loads(summary.read_text("utf-8")).get("audit_last_hash") if summary.exists() else None
    )
    ok, message = verify_chain(file, expected)
    click.echo(message)
    if not ok:
        sys.exit(1)
