"""A vendor's 申請管理システム, as the tests of issue 16 stand it up in a real PostgreSQL.

Deliberately unlike renkei's own ``applications`` table: Japanese table and column names,
the vendor's own procedure codes, a review status of its own (``審査状態``), the form as
one ``jsonb`` column (``申請内容``) in the vendor's shape for one procedure and in the
schema's shape for the other, naive timestamps in Japan time, and the columns a write-back
fills (``連携状態``, ``受付番号``, ``連携日時``, ``連携結果``: NULL until then).

Two procedures of ``recipes/``, with the demo's people and form data (bots/demo/):

* ``A05`` → ``jidou_teate_shoumetsu`` (児童手当 受給事由消滅届): the vendor's JSON has its
  own Japanese keys (``届出者.氏名`` …), mapped item by item in ``sources.yaml``;
* ``K07`` → ``kaigo_hihokenshashou`` (被保険者証の再交付申請): the JSON is the form in the
  schema's shape (``data: 申請内容``).

Used by tests/test_sources.py (reading) and the write-back's tests (the same table).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, Table, Text, create_engine, insert, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

from bots.demo import applications
from bots.queue.db import engine_url

TABLE = "申請"
RESOLVED = "審査完了"  # the vendor's word for a resolved application
IN_REVIEW = "審査中"
JIDOU, KAIGO = "A05", "K07"  # the vendor's procedure codes
RECIPES = {JIDOU: "jidou_teate_shoumetsu", KAIGO: "kaigo_hihokenshashou"}

metadata = MetaData()
shinsei = Table(
    TABLE,
    metadata,
    Column("申請番号", Text, primary_key=True),
    Column("手続コード", Text, nullable=False),
    Column("宛名番号", Text, nullable=False),
    Column("受付日時", DateTime, nullable=False),  # naive: Japan time, as the vendor keeps it
    Column("審査状態", Text, nullable=False),
    Column("更新日時", DateTime, nullable=False),
    Column("申請内容", JSONB, nullable=False),
    # filled by the write-back
    Column("連携状態", Text),
    Column("受付番号", Text),
    Column("連携日時", DateTime),
    Column("連携結果", Text),
)

#: The mapping of this table in sources.yaml (the source's block without url/password).
MAPPING_YAML = """\
    table: 申請
    where: {審査状態: 審査完了}
    columns:
      id: 申請番号
      procedure: 手続コード
      atena_no: 宛名番号
      received_at: 受付日時
      version: 更新日時
    procedures:
      "A05":
        recipe: jidou_teate_shoumetsu
        items:
          applicant.name: {column: 申請内容, path: 届出者.氏名}
          applicant.kana: {column: 申請内容, path: 届出者.フリガナ}
          applicant.birth_date: {column: 申請内容, path: 届出者.生年月日}
          applicant.address: {column: 申請内容, path: 届出者.住所}
          notification_date: {column: 申請内容, path: 届出日}
          reason: {column: 申請内容, path: 消滅事由}
          end_date: {column: 申請内容, path: 消滅日}
          destination.postal_code: {column: 申請内容, path: 転出先.郵便番号}
          destination.address: {column: 申請内容, path: 転出先.住所}
          employer: {column: 申請内容, path: 所属庁}
          notifier.name: {column: 申請内容, path: 届出人.氏名}
          notifier.relation: {column: 申請内容, path: 届出人.続柄}
          remarks: {column: 申請内容, path: 備考}
      "K07": {recipe: kaigo_hihokenshashou, data: 申請内容}
"""


def engine(url: str) -> Engine:
    return create_engine(engine_url(url))


def create_schema(url: str) -> None:
    """The vendor's table in the database at ``url`` (dropped first: a fresh system)."""
    eng = engine(url)
    try:
        metadata.drop_all(eng)
        metadata.create_all(eng)
    finally:
        eng.dispose()


def _module(procedure: str) -> Any:
    return next(m for m in applications.modules() if procedure == m.PROCEDURE)


def vendor_form(procedure: str, data: dict[str, Any]) -> dict[str, Any]:
    """The form as the vendor's JSON holds it (A05: its own keys; K07: the schema's)."""
    if procedure == RECIPES[KAIGO]:
        return data
    a = data["applicant"]
    form: dict[str, Any] = {
        "届出者": {
            "氏名": a["name"],
            "フリガナ": a["kana"],
            "生年月日": a["birth_date"],
            "住所": a["address"],
        },
        "届出日": data["notification_date"],
        "消滅事由": data["reason"],
        "消滅日": data["end_date"],
        "備考": data.get("remarks", ""),
    }
    if "destination" in data:
        form["転出先"] = {
            "郵便番号": data["destination"]["postal_code"],
            "住所": data["destination"]["address"],
        }
    if "employer" in data:
        form["所属庁"] = data["employer"]
    if "notifier" in data:
        form["届出人"] = {"氏名": data["notifier"]["name"], "続柄": data["notifier"]["relation"]}
    return form


def demo_rows(code: str, n: int, *, first: int = 0) -> list[dict[str, Any]]:
    """``n`` resolved rows of a vendor procedure with the demo's people ``first``…"""
    module = _module(RECIPES[code])
    people = applications.people(module.PEOPLE, first + n)
    rows = []
    for i in range(first, first + n):
        person, household = people[i]
        data = applications.demo_data(module, person, household, i)
        rows.append(
            {
                "申請番号": f"{code}-{i + 1:05d}",
                "手続コード": code,
                "宛名番号": person["atena_no"],
                "受付日時": datetime(2026, 11, 20, 9, 0) + timedelta(minutes=i),
                "審査状態": RESOLVED,
                "更新日時": datetime(2026, 11, 21, 10, 0),
                "申請内容": vendor_form(module.PROCEDURE, data),
            }
        )
    return rows


def insert_rows(url: str, rows: list[dict[str, Any]]) -> None:
    eng = engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(insert(shinsei), rows)
    finally:
        eng.dispose()


def change_row(url: str, app_id: str, **values: Any) -> None:
    """Update one row as the vendor's screens would (``更新日時`` moves on unless given)."""
    values.setdefault("更新日時", datetime(2026, 12, 1, 9, 0))
    eng = engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(update(shinsei).where(shinsei.c["申請番号"] == app_id).values(**values))
    finally:
        eng.dispose()


def read_row(url: str, app_id: str) -> dict[str, Any]:
    eng = engine(url)
    try:
        with eng.connect() as conn:
            row = conn.execute(shinsei.select().where(shinsei.c["申請番号"] == app_id)).one()
            return dict(row._mapping)
    finally:
        eng.dispose()
