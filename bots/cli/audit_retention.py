"""``renkei audit prune``: removing old evidence, leaving a signed record of what went.

Added to the ``audit`` group by :mod:`bots.cli.audit`.
"""

from __future__ import annotations

import click


@click.command("prune")
def prune() -> None:
    """Remove evidence older than a date (not built yet)."""
    raise click.ClickException("未実装です")
