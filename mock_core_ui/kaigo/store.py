"""Queries of the 介護保険 subsystem.

They run on the app's :class:`~mock_core_ui.store.Store` transactions (short, writes under
``BEGIN IMMEDIATE``), so kaigo and the other subsystems share one SQLite lock discipline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update

from ..services import store
from .layout import CARE_LEVEL_NAMES, KUBUN_NAMES, MADOGUCHI_NAMES, RESIDENCE_NAMES
from .schema import RECEIPT_COUNTER, applications, counter, doctors, insured


@dataclass(frozen=True)
class Insured:
    """One 被保険者 (介護保険 第1号/第2号被保険者)."""

    hihokensha_no: str
    name: str
    kana: str
    birth_date: dt.date
    address: str
    atena_no: str

    def to_json(self) -> dict[str, str]:
        """JSON shape of the testing endpoint (ISO date)."""
        return {
            "hihokensha_no": self.hihokensha_no,
            "name": self.name,
            "kana": self.kana,
            "birth_date": self.birth_date.isoformat(),
            "address": self.address,
            "atena_no": self.atena_no,
        }


@dataclass(frozen=True)
class Doctor:
    """One row of the 主治医 master."""

    code: str
    hospital: str
    doctor: str

    def to_json(self) -> dict[str, str]:
        """JSON shape of the testing endpoint."""
        return {"code": self.code, "hospital": self.hospital, "doctor": self.doctor}


@dataclass(frozen=True)
class Application:
    """A validated 要介護・要支援認定申請, ready to insert."""

    hihokensha_no: str
    madoguchi: str | None
    kubun: str
    shinsei_date: dt.date
    prev_care_level: str | None
    doctor: Doctor
    insurer_no: str
    insurer_symbol: str
    residence: str
    facility_name: str
    remarks: str


@dataclass(frozen=True)
class Summary:
    """One line of the 照会 list."""

    receipt_no: str
    hihokensha_no: str
    name: str
    kubun_name: str
    shinsei_date: dt.date
    remarks: str


def format_receipt_no(number: int) -> str:
    """受付番号: ``KG`` + 8 zero-padded digits."""
    return f"KG{number:08d}"


def _insured(row: RowMapping) -> Insured:
    return Insured(
        hihokensha_no=row["hihokensha_no"],
        name=row["name"],
        kana=row["kana"],
        birth_date=row["birth_date"],
        address=row["address"],
        atena_no=row["atena_no"],
    )


def get_insured(hihokensha_no: str) -> Insured | None:
    """The 被保険者 with exactly this number, if any."""
    with store().read() as conn:
        row = (
            conn.execute(select(insured).where(insured.c.hihokensha_no == hihokensha_no))
            .mappings()
            .first()
        )
    return None if row is None else _insured(row)


def list_insured() -> list[Insured]:
    """Every 被保険者, by number."""
    with store().read() as conn:
        rows = conn.execute(select(insured).order_by(insured.c.hihokensha_no)).mappings()
        return [_insured(row) for row in rows]


def upsert_insured(items: Iterable[Insured]) -> int:
    """Insert or replace 被保険者 by number (testing endpoint)."""
    count = 0
    with store().write() as conn:
        for item in items:
            values = item.to_json()
            values.pop("hihokensha_no")
            values_db: dict[str, Any] = {**values, "birth_date": item.birth_date}
            done = conn.execute(
                update(insured)
                .where(insured.c.hihokensha_no == item.hihokensha_no)
                .values(**values_db)
            )
            if done.rowcount == 0:
                conn.execute(insert(insured).values(hihokensha_no=item.hihokensha_no, **values_db))
            count += 1
    return count


def find_doctors(hospital_part: str = "") -> list[Doctor]:
    """The 主治医 master, optionally narrowed by a part of the 医療機関名."""
    query = select(doctors).order_by(doctors.c.seq)
    if hospital_part:
        query = query.where(doctors.c.hospital.contains(hospital_part, autoescape=True))
    with store().read() as conn:
        return [
            Doctor(row["code"], row["hospital"], row["doctor"])
            for row in conn.execute(query).mappings()
        ]


def get_doctor(code: str) -> Doctor | None:
    """The master row of a 医療機関コード, if any."""
    with store().read() as conn:
        row = conn.execute(select(doctors).where(doctors.c.code == code)).mappings().first()
    return None if row is None else Doctor(row["code"], row["hospital"], row["doctor"])


def insert_application(app: Application, person: Insured, clerk: str) -> str:
    """Store an application and return its new 受付番号 (taken in the same transaction)."""
    with store().write() as conn:
        conn.execute(
            update(counter)
            .where(counter.c.name == RECEIPT_COUNTER)
            .values(value=counter.c.value + 1)
        )
        number = conn.execute(
            select(counter.c.value).where(counter.c.name == RECEIPT_COUNTER)
        ).scalar_one()
        receipt_no = format_receipt_no(int(number))
        conn.execute(
            insert(applications).values(
                receipt_no=receipt_no,
                hihokensha_no=person.hihokensha_no,
                name=person.name,
                kana=person.kana,
                birth_date=person.birth_date,
                madoguchi=app.madoguchi,
                kubun=app.kubun,
                shinsei_date=app.shinsei_date,
                prev_care_level=app.prev_care_level,
                doctor_code=app.doctor.code,
                doctor_hospital=app.doctor.hospital,
                doctor_name=app.doctor.doctor,
                insurer_no=app.insurer_no,
                insurer_symbol=app.insurer_symbol,
                residence=app.residence,
                facility_name=app.facility_name,
                remarks=app.remarks,
                registered_at=dt.datetime.now().replace(microsecond=0),
                registered_by=clerk,
            )
        )
    return receipt_no


def inquire(hihokensha_no: str, remarks_part: str) -> list[Summary]:
    """照会: 被保険者番号 exact and/or 備考 partial (LIKE, % and _ escaped); both empty → []."""
    if not hihokensha_no and not remarks_part:
        return []
    query = select(applications).order_by(applications.c.id)
    if hihokensha_no:
        query = query.where(applications.c.hihokensha_no == hihokensha_no)
    if remarks_part:
        query = query.where(applications.c.remarks.contains(remarks_part, autoescape=True))
    with store().read() as conn:
        return [
            Summary(
                receipt_no=row["receipt_no"],
                hihokensha_no=row["hihokensha_no"],
                name=row["name"],
                kubun_name=KUBUN_NAMES.get(row["kubun"], row["kubun"]),
                shinsei_date=row["shinsei_date"],
                remarks=row["remarks"],
            )
            for row in conn.execute(query).mappings()
        ]


def _record(row: RowMapping) -> dict[str, Any]:
    level = row["prev_care_level"]
    madoguchi = row["madoguchi"]
    return {
        "receipt_no": row["receipt_no"],
        "hihokensha_no": row["hihokensha_no"],
        "name": row["name"],
        "kana": row["kana"],
        "birth_date": row["birth_date"].isoformat(),
        "madoguchi_code": madoguchi,
        "madoguchi": None if madoguchi is None else MADOGUCHI_NAMES.get(madoguchi, madoguchi),
        "kubun": row["kubun"],
        "kubun_name": KUBUN_NAMES.get(row["kubun"], row["kubun"]),
        "shinsei_date": row["shinsei_date"].isoformat(),
        "prev_care_level_code": level,
        "prev_care_level": None if level is None else CARE_LEVEL_NAMES.get(level, level),
        "doctor_code": row["doctor_code"],
        "doctor_hospital": row["doctor_hospital"],
        "doctor_name": row["doctor_name"],
        "insurer_no": row["insurer_no"],
        "insurer_symbol": row["insurer_symbol"],
        "residence_code": row["residence"],
        "residence": RESIDENCE_NAMES.get(row["residence"], row["residence"]),
        "facility_name": row["facility_name"],
        "remarks": row["remarks"],
        "registered_at": row["registered_at"].isoformat(),
        "registered_by": row["registered_by"],
    }


def all_records() -> list[dict[str, Any]]:
    """Every application with all its values (testing endpoint)."""
    with store().read() as conn:
        rows = conn.execute(select(applications).order_by(applications.c.id)).mappings()
        return [_record(row) for row in rows]


def reset_applications() -> int:
    """Delete every application (被保険者, master and counter stay)."""
    with store().write() as conn:
        return int(conn.execute(delete(applications)).rowcount)
