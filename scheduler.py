"""The renkei scheduler service, for those who start it as a script:

    python scheduler.py [--db URL] [--core-url URL] [-v]

is ``renkei [--db URL] [--core-url URL] [-v] scheduler``: the same code
(:mod:`bots.scheduling.service`), the same settings. See ``docs/scheduler.md``.
"""

from __future__ import annotations

import sys

from bots.cli.main import cli
from bots.cli.schedule import scheduler


def main(argv: list[str] | None = None) -> None:
    """Pass the main group's options through and start ``scheduler``."""
    if "scheduler" not in cli.commands:  # until bots.cli.main registers it itself
        cli.add_command(scheduler)
    args = sys.argv[1:] if argv is None else argv
    cli.main([*args, "scheduler"], prog_name="scheduler.py")


if __name__ == "__main__":
    main()
