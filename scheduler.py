"""The renkei scheduler service: fires the runs staff scheduled with ``renkei schedule add``.

    python scheduler.py [--db URL]

Jobs are stored in the management database (APScheduler's SQLAlchemy job store), so this
process can be restarted, or moved, without losing them. See :mod:`bots.scheduling`.
"""

from __future__ import annotations

import argparse

from apscheduler.schedulers.blocking import BlockingScheduler
from loguru import logger

from bots.config import Settings
from bots.scheduling import configure


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="renkei scheduler (APScheduler, persistent jobs)")
    parser.add_argument(
        "--db", help="management database URL (default: RENKEI_DB or var/renkei.db)"
    )
    args = parser.parse_args(argv)
    settings = Settings(db_url=args.db or "")
    scheduler = configure(BlockingScheduler(), settings.db_url)
    logger.info("renkei scheduler started; jobs in {}", settings.db_url)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("renkei scheduler stopped")


if __name__ == "__main__":
    main()
