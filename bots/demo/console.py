"""The console of the demo installation: demo accounts, the mock core system and the
scheduler service beside it, so that 「今すぐ実行」 on a schedule really keys something.

Demo only: the accounts share one published password. A real installation makes its
accounts with ``renkei console user add`` (docs/console.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from loguru import logger

from bots.config import Settings
from bots.console.accounts import AccountError, add_user
from bots.queue.db import Database

DEMO_PASSWORD = "renkei-demo-console"
#: name → (role, the name shown)
DEMO_ACCOUNTS = {
    "demo-staff": ("staff", "鈴木 花子"),
    "demo-it": ("it", "佐藤 健"),
    "demo-audit": ("auditor", "田中 誠"),
    "demo-admin": ("admin", "山田 太郎"),
}


def ensure_demo_accounts(db: Database, settings: Settings) -> list[str]:
    """The demo accounts that were missing, now made (those there are left alone)."""
    made = []
    for name, (role, shown) in DEMO_ACCOUNTS.items():
        try:
            add_user(
                db, settings.audit_dir, name, role, DEMO_PASSWORD, display_name=shown, by="demo"
            )
        except AccountError:
            continue  # already there (its password may have been changed: kept)
        made.append(name)
    return made


@contextmanager
def scheduler_beside(settings: Settings) -> Iterator[None]:
    """``renkei scheduler`` in a thread for the block; stopped (runs finished) at the end."""
    from bots.scheduling.service import SchedulerService

    service = SchedulerService(settings)
    thread = threading.Thread(target=service.serve, name="renkei-scheduler", daemon=True)
    thread.start()
    try:
        yield
    finally:
        service.stop()
        thread.join(timeout=120)
        if thread.is_alive():
            logger.warning("スケジューラの実行がまだ終わっていません")
