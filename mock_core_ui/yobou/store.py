"""Schema and queries of the 健康管理システム（予防接種）, on the app's SQLite engine.

Own :class:`MetaData` and table (the other products' schemas are not touched), in the same
database file. Transactions reuse the main store's ``read()`` / ``write()`` (``BEGIN
IMMEDIATE`` for writes), so waitress threads queue on the lock. There is deliberately no
query by person or by 備考: the product has no inquiry screen, and a record registered
twice is simply stored twice — only the testing endpoint reads records back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy import insert as sql_insert

from ..store import Store

metadata = MetaData()

records = Table(
    "yobou_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jumin_cd", String(10), nullable=False),
    Column("name", String(60), nullable=False),
    Column("kana", String(120), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_era", String(1), nullable=False),
    Column("birth_year", Integer, nullable=False),
    Column("birth_month", Integer, nullable=False),
    Column("birth_day", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("vaccine", String(2), nullable=False),
    Column("category", String(1), nullable=False),
    Column("dose", String(1), nullable=False),
    Column("site", String(1), nullable=False),
    Column("vaccinated_on", Date, nullable=False),
    Column("lot_no", String(20), nullable=False),
    Column("clinic_code", String(10), nullable=False),
    Column("doctor", String(60), nullable=False, default=""),
    Column("remarks", Text, nullable=False, default=""),
    Column("registered_at", DateTime, nullable=False),
)


@dataclass(frozen=True)
class Vaccination:
    """A validated 接種記録, exactly as keyed (codes, not labels), ready to insert."""

    jumin_cd: str
    name: str
    kana: str
    sex: str
    birth_era: str
    birth_year: int
    birth_month: int
    birth_day: int
    birth_date: dt.date
    vaccine: str
    category: str
    dose: str
    site: str
    vaccinated_on: dt.date
    lot_no: str
    clinic_code: str
    doctor: str
    remarks: str


class YobouStore:
    """All database access of the product; one per app, shared by all threads."""

    def __init__(self, main: Store) -> None:
        self.main = main

    def create_schema(self) -> None:
        """Create the table if missing (idempotent, at start-up)."""
        metadata.create_all(self.main.engine)

    def insert(self, item: Vaccination) -> None:
        """Store one record. Nothing is returned: the product issues no number."""
        with self.main.write() as conn:
            conn.execute(
                sql_insert(records).values(
                    **asdict(item), registered_at=dt.datetime.now().replace(microsecond=0)
                )
            )

    def all_records(self) -> list[dict[str, Any]]:
        """Every record with all its values, dates ISO, in the order registered (testing)."""
        with self.main.read() as conn:
            rows = list(conn.execute(select(records).order_by(records.c.id)).mappings())
        result: list[dict[str, Any]] = []
        for row in rows:
            item = dict(row)
            item["seq"] = item.pop("id")
            for key in ("birth_date", "vaccinated_on", "registered_at"):
                item[key] = item[key].isoformat()
            result.append(item)
        return result

    def reset(self) -> int:
        """Delete every record."""
        with self.main.write() as conn:
            return int(conn.execute(delete(records)).rowcount)
