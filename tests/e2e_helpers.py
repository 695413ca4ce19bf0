"""Helpers shared by the end-to-end tests: reading the management DB as staff would."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bots import transforms
from bots.config import Settings
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow

ROOT = Path(__file__).resolve().parent.parent


def installation_settings(base: Path, core_url: str) -> Settings:
    """Settings of one installation under ``base``: the repo's recipes and selectors, the
    management database, run folders and review log all in ``base``."""
    return Settings(
        root=ROOT,
        db_url=f"sqlite:///{base / 'renkei.db'}",
        core_url=core_url,
        out_root=base / "runs",
        audit_dir=base / "audit",
    )


def rows(db: Database) -> dict[str, ApplicationRow]:
    with db.session() as s:
        return {r.id: r for r in s.execute(select(ApplicationRow)).scalars()}


def update_row(db: Database, app_id: str, **values: Any) -> None:
    with db.session() as s:
        row = s.get(ApplicationRow, app_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)


def set_data(db: Database, app_id: str, change: Any) -> None:
    """Apply ``change(data)`` to an application's form data (a copy, stored back)."""
    with db.session() as s:
        row = s.get(ApplicationRow, app_id)
        assert row is not None
        data = copy.deepcopy(row.data)  # nested edits must not touch the loaded state
        change(data)
        row.data = data


def clean(value: str) -> str:
    """The normalised form of a personal number as keyed (digits only)."""
    return str(transforms.apply(["my_number"], value))
