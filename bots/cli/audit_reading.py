"""``renkei audit trail`` and ``renkei audit export``: what auditors read and take away.

Added to the ``audit`` group by :mod:`bots.cli.audit`.
"""

from __future__ import annotations

import click


@click.command("trail")
def trail() -> None:
    """The trail of one application (not built yet)."""
    raise click.ClickException("未実装です")


@click.command("export")
def export() -> None:
    """Export attempts and hand actions (not built yet)."""
    raise click.ClickException("未実装です")
