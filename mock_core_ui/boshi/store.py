"""Schema and queries of the 母子保健 subsystem (妊娠の届出), on the app's SQLite engine.

The tables have their own :class:`MetaData` (the 子育て schema in ``mock_core_ui/db.py`` is
not touched) and live in the same file, as two products of one vendor suite sharing a
database would. Residents are read from the shared 住民 master through the main
:class:`~mock_core_ui.store.Store`, read-only. Transactions reuse the main store's
``read()`` / ``write()`` (``BEGIN IMMEDIATE`` for writes), so waitress threads queue on
the lock instead of dead-locking, and the 受付番号 is taken inside the insert's
transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from ..store import Resident, Store

COUNTER_NAME = "pregnancy"
RECEIPT_PREFIX = "BH"

metadata = MetaData()

pregnancies = Table(
    "boshi_pregnancies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("receipt_no", String(10), nullable=False, unique=True),
    Column("atena_no", String(20), nullable=False, index=True),
    Column("name", String(60), nullable=False),
    Column("kana", String(120), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("notified_on", Date, nullable=False),
    Column("weeks", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("multiple", Boolean, nullable=False),
    Column("fetus_count", Integer),
    Column("clinic", String(120), nullable=False),
    Column("occupation", String(20), nullable=False),
    Column("remarks", Text, nullable=False, default=""),
    Column("registered_at", DateTime, nullable=False),
    Column("registered_by", String(32), nullable=False),
)

counters = Table(
    "boshi_counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)


@dataclass(frozen=True)
class Pregnancy:
    """A validated 妊娠の届出, ready to insert (``fetus_count`` only when 多胎)."""

    notified_on: dt.date
    weeks: int
    due_date: dt.date
    multiple: bool
    fetus_count: int | None
    clinic: str
    occupation: str
    remarks: str


@dataclass(frozen=True)
class PregnancySummary:
    """One line of the 妊娠届 照会 result list."""

    receipt_no: str
    atena_no: str
    name: str
    notified_on: dt.date
    due_date: dt.date
    remarks: str


def format_receipt_no(number: int) -> str:
    """受付番号: ``BH`` + 8 zero-padded digits."""
    return f"{RECEIPT_PREFIX}{number:08d}"


class BoshiStore:
    """All database access of the subsystem; one per app, shared by all threads."""

    def __init__(self, main: Store) -> None:
        self.main = main

    def create_schema(self) -> None:
        """Create the tables and the receipt counter if missing (idempotent, at start-up)."""
        metadata.create_all(self.main.engine)
        with self.main.write() as conn:
            found = conn.execute(
                select(counters.c.value).where(counters.c.name == COUNTER_NAME)
            ).first()
            if found is None:
                conn.execute(insert(counters).values(name=COUNTER_NAME, value=0))

    def get_resident(self, atena_no: str) -> Resident | None:
        """The resident with exactly this 宛名番号 (read-only use of the shared master)."""
        return self.main.get_resident(atena_no)

    def insert(self, item: Pregnancy, resident: Resident, clerk: str) -> str:
        """Store a notification and return its new 受付番号 (same transaction as the insert)."""
        with self.main.write() as conn:
            conn.execute(
                update(counters)
                .where(counters.c.name == COUNTER_NAME)
                .values(value=counters.c.value + 1)
            )
            number = conn.execute(
                select(counters.c.value).where(counters.c.name == COUNTER_NAME)
            ).scalar_one()
            receipt_no = format_receipt_no(int(number))
            conn.execute(
                insert(pregnancies).values(
                    receipt_no=receipt_no,
                    atena_no=resident.atena_no,
                    name=resident.name,
                    kana=resident.kana,
                    birth_date=resident.birth_date,
                    notified_on=item.notified_on,
                    weeks=item.weeks,
                    due_date=item.due_date,
                    multiple=item.multiple,
                    fetus_count=item.fetus_count,
                    clinic=item.clinic,
                    occupation=item.occupation,
                    remarks=item.remarks,
                    registered_at=dt.datetime.now().replace(microsecond=0),
                    registered_by=clerk,
                )
            )
        return receipt_no

    def inquire(self, atena_no: str, remarks: str) -> list[PregnancySummary]:
        """照会: 宛名番号 exact and/or 備考 partial (LIKE, ``%`` ``_`` escaped); never all."""
        if not atena_no and not remarks:
            return []
        query = select(
            pregnancies.c.receipt_no,
            pregnancies.c.atena_no,
            pregnancies.c.name,
            pregnancies.c.notified_on,
            pregnancies.c.due_date,
            pregnancies.c.remarks,
        ).order_by(pregnancies.c.id)
        if atena_no:
            query = query.where(pregnancies.c.atena_no == atena_no)
        if remarks:
            query = query.where(pregnancies.c.remarks.contains(remarks, autoescape=True))
        with self.main.read() as conn:
            return [PregnancySummary(**row) for row in conn.execute(query).mappings()]

    def all_records(self) -> list[dict[str, Any]]:
        """Every notification with all its values, dates ISO (testing endpoint)."""
        with self.main.read() as conn:
            rows = list(conn.execute(select(pregnancies).order_by(pregnancies.c.id)).mappings())
        return [_record(row) for row in rows]

    def reset(self) -> int:
        """Delete every notification (the receipt counter stays: numbers are never reused)."""
        with self.main.write() as conn:
            return int(conn.execute(delete(pregnancies)).rowcount)


def _record(row: RowMapping) -> dict[str, Any]:
    return {
        "receipt_no": row["receipt_no"],
        "atena_no": row["atena_no"],
        "name": row["name"],
        "kana": row["kana"],
        "birth_date": row["birth_date"].isoformat(),
        "notified_on": row["notified_on"].isoformat(),
        "weeks": row["weeks"],
        "due_date": row["due_date"].isoformat(),
        "multiple": bool(row["multiple"]),
        "fetus_count": row["fetus_count"],
        "clinic": row["clinic"],
        "occupation": row["occupation"],
        "remarks": row["remarks"],
        "registered_at": row["registered_at"].isoformat(),
        "registered_by": row["registered_by"],
    }
