"""Where the data-built procedures keep what was registered: one table for all of them.

A row is one registered application: its procedure, its 受付番号, the person (宛名番号 or
被保険者番号, and the name shown on the header when it was keyed), the checked values as
JSON (dates ISO, codes as codes, rows as lists) and its 備考, so the inquiry screen can
find it again and the tests can compare every value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
)

from ..services import store

metadata = MetaData()

records = Table(
    "form_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("procedure", String(40), nullable=False, index=True),
    Column("receipt_no", String(10), nullable=False),
    Column("subject_no", String(20), nullable=False),
    Column("subject_name", String(60), nullable=False),
    Column("data", Text, nullable=False),
    Column("remarks", String(400), nullable=False, default=""),
    Column("registered_at", DateTime, nullable=False),
    Column("registered_by", String(40), nullable=False),
    UniqueConstraint("procedure", "receipt_no"),
)


def create(engine: Engine) -> None:
    metadata.create_all(engine)


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def insert_record(
    procedure: str, prefix: str, subject: tuple[str, str], data: dict[str, Any], clerk: str
) -> str:
    """Store one application and return its 受付番号 (the next of its procedure)."""
    with store().write() as conn:
        count = conn.execute(
            select(func.count()).select_from(records).where(records.c.procedure == procedure)
        ).scalar_one()
        receipt_no = f"{prefix}{int(count) + 1:08d}"
        conn.execute(
            insert(records).values(
                procedure=procedure,
                receipt_no=receipt_no,
                subject_no=subject[0],
                subject_name=subject[1],
                data=json.dumps(data, default=_json, ensure_ascii=False),
                remarks=str(data.get("remarks") or ""),
                registered_at=dt.datetime.now().replace(microsecond=0),
                registered_by=clerk,
            )
        )
    return receipt_no


def exists(procedure: str, receipt_no: str) -> bool:
    query = select(records.c.id).where(
        records.c.procedure == procedure, records.c.receipt_no == receipt_no
    )
    with store().read() as conn:
        return conn.execute(query).first() is not None


def inquire(procedure: str, subject_no: str, remarks_part: str) -> list[dict[str, Any]]:
    """照会: the person's number exact and/or 備考 partial; both empty → nothing."""
    if not subject_no and not remarks_part:
        return []
    query = select(records).where(records.c.procedure == procedure).order_by(records.c.id)
    if subject_no:
        query = query.where(records.c.subject_no == subject_no)
    if remarks_part:
        escaped = remarks_part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(records.c.remarks.like(f"%{escaped}%", escape="\\"))
    with store().read() as conn:
        return [_row(r) for r in conn.execute(query).mappings()]


def _row(row: Any) -> dict[str, Any]:
    return {
        "receipt_no": row["receipt_no"],
        "subject_no": row["subject_no"],
        "subject_name": row["subject_name"],
        "data": json.loads(row["data"]),
        "remarks": row["remarks"],
        "registered_at": row["registered_at"].isoformat(),
        "registered_by": row["registered_by"],
    }


def all_records(procedure: str | None = None) -> list[dict[str, Any]]:
    query = select(records).order_by(records.c.id)
    if procedure:
        query = query.where(records.c.procedure == procedure)
    with store().read() as conn:
        return [_row(r) | {"procedure": r["procedure"]} for r in conn.execute(query).mappings()]


def reset() -> int:
    with store().write() as conn:
        return conn.execute(delete(records)).rowcount
