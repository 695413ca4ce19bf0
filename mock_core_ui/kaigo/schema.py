"""Tables of the 介護保険 subsystem, on the app's SQLite engine but with their own MetaData.

Created (with the 主治医 master and the 受付番号 counter seeded) when the blueprint is
registered on an app, before any request; creation and seeding are idempotent.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

RECEIPT_COUNTER = "kaigo_receipt"

# 主治医 master: (医療機関コード = 都道府県08 + 点数表1 + 機関番号7, 医療機関名, 医師名).
DOCTORS: tuple[tuple[str, str, str], ...] = (
    ("0810100017", "つくば中央病院", "佐藤 健一"),
    ("0810100025", "吾妻内科クリニック", "鈴木 恵子"),
    ("0810100033", "竹園整形外科医院", "高橋 誠"),
    ("0810100041", "研究学園記念病院", "田中 裕子"),
    ("0810100058", "桜南ファミリークリニック", "伊藤 浩二"),
    ("0810100066", "並木診療所", "渡辺 美和"),
    ("0810100074", "谷田部第一病院", "山本 一郎"),
    ("0810100082", "北条ハートクリニック", "中村 直樹"),
    ("0810100090", "梅ヶ丘医院", "小林 幸子"),
    ("0810100108", "筑波山麓リハビリテーション病院", "加藤 聡"),
)

metadata = MetaData()

insured = Table(
    "kaigo_insured",
    metadata,
    Column("hihokensha_no", String(10), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("kana", String(120), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("address", String(200), nullable=False, default=""),
    Column("atena_no", String(20), nullable=False, default=""),
)

doctors = Table(
    "kaigo_doctors",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hospital", String(100), nullable=False),
    Column("doctor", String(60), nullable=False),
)

applications = Table(
    "kaigo_applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("receipt_no", String(10), nullable=False, unique=True),
    Column("hihokensha_no", String(10), nullable=False, index=True),
    Column("name", String(60), nullable=False),
    Column("kana", String(120), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("madoguchi", String(2)),
    Column("kubun", String(1), nullable=False),
    Column("shinsei_date", Date, nullable=False),
    Column("prev_care_level", String(2)),
    Column("doctor_code", String(10), nullable=False),
    Column("doctor_hospital", String(100), nullable=False),
    Column("doctor_name", String(60), nullable=False),
    Column("insurer_no", String(8), nullable=False, default=""),
    Column("insurer_symbol", String(40), nullable=False, default=""),
    Column("residence", String(1), nullable=False),
    Column("facility_name", String(80), nullable=False, default=""),
    Column("remarks", Text, nullable=False, default=""),
    Column("registered_at", DateTime, nullable=False),
    Column("registered_by", String(32), nullable=False),
)

counter = Table(
    "kaigo_counter",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)


def create(engine: Engine) -> None:
    """Create the tables if missing and seed the counter and the 主治医 master."""
    metadata.create_all(engine)
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        if (
            conn.execute(select(counter.c.value).where(counter.c.name == RECEIPT_COUNTER)).first()
            is None
        ):
            conn.execute(insert(counter).values(name=RECEIPT_COUNTER, value=0))
        present = set(conn.execute(select(doctors.c.code)).scalars())
        for seq, (code, hospital, doctor) in enumerate(DOCTORS, start=1):
            if code not in present:
                conn.execute(
                    insert(doctors).values(code=code, seq=seq, hospital=hospital, doctor=doctor)
                )
