"""``python -m bots.cli`` — the renkei command without the console script."""

from bots.cli.main import cli

cli()
