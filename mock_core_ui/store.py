"""Queries of the mock core system, kept apart from the schema and from the views.

Transactions are short and explicit: a write opens ``BEGIN IMMEDIATE``, does its work and
commits at once, so waitress threads never hold the SQLite lock across a page render.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, delete, func, insert, select, update
from werkzeug.security import check_password_hash

from .db import RECEIPT_COUNTER, children, claims, counters, residents, users
from .validation import Claim


@dataclass(frozen=True)
class Resident:
    """One row of the 住民 master as the screens use it."""

    atena_no: str
    name: str
    kana: str
    birth_date: dt.date
    gender: str
    postal_code: str
    address: str

    def to_json(self) -> dict[str, str]:
        """JSON shape of the testing endpoint (dates as ISO strings)."""
        return {
            "atena_no": self.atena_no,
            "name": self.name,
            "kana": self.kana,
            "birth_date": self.birth_date.isoformat(),
            "gender": self.gender,
            "postal_code": self.postal_code,
            "address": self.address,
        }


@dataclass(frozen=True)
class ClaimSummary:
    """One line of the 照会 result list."""

    receipt_no: str
    atena_no: str
    claimant_name: str
    registered_at: dt.datetime
    remarks: str


def format_receipt_no(number: int) -> str:
    """受付番号: ``JT`` + 8 zero-padded digits."""
    return f"JT{number:08d}"


def _strip_spaces_sql(column: Any) -> Any:
    """SQL expression removing half- and full-width spaces, for the カナ氏名 search."""
    return func.replace(func.replace(column, " ", ""), "\u3000", "")


class Store:
    """All database access of the app; one instance per app, shared by all threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A short read transaction (deferred: readers do not block each other in WAL)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A short write transaction that takes the write lock at BEGIN (no upgrade races)."""
        with (
            self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn,
            conn.begin(),
        ):
            yield conn

    # --- clerks ---

    def authenticate(self, user_id: str, password: str) -> str | None:
        """Return the clerk's display name when the id and password match, else None."""
        with self.read() as conn:
            row = conn.execute(
                select(users.c.display_name, users.c.password_hash).where(
                    users.c.user_id == user_id
                )
            ).first()
        if row is None or not check_password_hash(row.password_hash, password):
            return None
        return str(row.display_name)

    # --- residents ---

    def upsert_residents(self, items: Iterable[Resident]) -> int:
        """Insert or replace residents by 宛名番号 (testing endpoint)."""
        count = 0
        with self.write() as conn:
            for r in items:
                values = {
                    "name": r.name,
                    "kana": r.kana,
                    "birth_date": r.birth_date,
                    "gender": r.gender,
                    "postal_code": r.postal_code,
                    "address": r.address,
                }
                done = conn.execute(
                    update(residents).where(residents.c.atena_no == r.atena_no).values(**values)
                )
                if done.rowcount == 0:
                    conn.execute(insert(residents).values(atena_no=r.atena_no, **values))
                count += 1
        return count

    def list_residents(self) -> list[Resident]:
        """Every resident, by 宛名番号."""
        with self.read() as conn:
            rows = conn.execute(select(residents).order_by(residents.c.atena_no)).mappings()
            return [_resident(row) for row in rows]

    def get_resident(self, atena_no: str) -> Resident | None:
        """The resident with exactly this 宛名番号, if any."""
        with self.read() as conn:
            row = (
                conn.execute(select(residents).where(residents.c.atena_no == atena_no))
                .mappings()
                .first()
            )
        return None if row is None else _resident(row)

    def search_residents(
        self, atena_no: str, kana: str, birth_date: dt.date | None
    ) -> list[Resident]:
        """宛名検索: 宛名番号 exact, カナ氏名 prefix ignoring spaces, 生年月日 exact (ANDed)."""
        query = select(residents).order_by(residents.c.atena_no)
        if atena_no:
            query = query.where(residents.c.atena_no == atena_no)
        if kana:
            wanted = kana.replace(" ", "").replace("\u3000", "")
            query = query.where(
                _strip_spaces_sql(residents.c.kana).startswith(wanted, autoescape=True)
            )
        if birth_date is not None:
            query = query.where(residents.c.birth_date == birth_date)
        with self.read() as conn:
            return [_resident(row) for row in conn.execute(query).mappings()]

    # --- claims ---

    def insert_claim(self, claim: Claim, resident: Resident, clerk: str) -> str:
        """Store a claim with its children and return its new 受付番号.

        The number is taken from the counter inside the same transaction as the insert, so
        a failed insert never burns or duplicates a number.
        """
        with self.write() as conn:
            conn.execute(
                update(counters)
                .where(counters.c.name == RECEIPT_COUNTER)
                .values(value=counters.c.value + 1)
            )
            number = conn.execute(
                select(counters.c.value).where(counters.c.name == RECEIPT_COUNTER)
            ).scalar_one()
            receipt_no = format_receipt_no(int(number))
            spouse = claim.spouse
            result = conn.execute(
                insert(claims).values(
                    receipt_no=receipt_no,
                    atena_no=resident.atena_no,
                    claimant_name=resident.name,
                    claimant_kana=resident.kana,
                    claimant_birth_date=resident.birth_date,
                    my_number=claim.my_number,
                    claim_date=claim.claim_date,
                    spouse_name=None if spouse is None else spouse.name,
                    spouse_kana=None if spouse is None else spouse.kana,
                    spouse_birth_date=None if spouse is None else spouse.birth_date,
                    bank_code=claim.bank_code,
                    branch_code=claim.branch_code,
                    account_type=claim.account_type,
                    account_no=claim.account_no,
                    account_holder=claim.account_holder,
                    remarks=claim.remarks,
                    registered_at=dt.datetime.now().replace(microsecond=0),
                    registered_by=clerk,
                )
            )
            key = result.inserted_primary_key
            if key is None:  # cannot happen with an INTEGER PRIMARY KEY; keeps mypy honest
                raise RuntimeError("no primary key returned for the new claim")
            claim_id = key[0]
            for seq, child in enumerate(claim.children, start=1):
                conn.execute(
                    insert(children).values(
                        claim_id=claim_id,
                        seq=seq,
                        name=child.name,
                        kana=child.kana,
                        birth_date=child.birth_date,
                        relation=child.relation,
                        cohabitation=child.cohabitation,
                    )
                )
        return receipt_no

    def claim_exists(self, receipt_no: str) -> bool:
        """Whether a 受付番号 was issued (the result screen shows only real numbers)."""
        with self.read() as conn:
            return (
                conn.execute(select(claims.c.id).where(claims.c.receipt_no == receipt_no)).first()
                is not None
            )

    def inquire(self, atena_no: str, remarks: str) -> list[ClaimSummary]:
        """照会: 宛名番号 exact and/or 備考 partial match (LIKE with % and _ escaped).

        With both empty it returns nothing: the screen never lists every claim.
        """
        if not atena_no and not remarks:
            return []
        query = select(
            claims.c.receipt_no,
            claims.c.atena_no,
            claims.c.claimant_name,
            claims.c.registered_at,
            claims.c.remarks,
        ).order_by(claims.c.id)
        if atena_no:
            query = query.where(claims.c.atena_no == atena_no)
        if remarks:
            query = query.where(claims.c.remarks.contains(remarks, autoescape=True))
        with self.read() as conn:
            return [ClaimSummary(**row) for row in conn.execute(query).mappings()]

    def all_records(self) -> list[dict[str, Any]]:
        """Every claim with all its values, children as a list (testing endpoint)."""
        with self.read() as conn:
            claim_rows = list(conn.execute(select(claims).order_by(claims.c.id)).mappings())
            child_rows = list(
                conn.execute(
                    select(children).order_by(children.c.claim_id, children.c.seq)
                ).mappings()
            )
        kids_by_claim: dict[int, list[dict[str, Any]]] = {}
        for c in child_rows:
            kids_by_claim.setdefault(c["claim_id"], []).append(
                {
                    "name": c["name"],
                    "kana": c["kana"],
                    "birth_date": c["birth_date"].isoformat(),
                    "relation": c["relation"],
                    "cohabitation": c["cohabitation"],
                }
            )
        return [_record(row, kids_by_claim.get(row["id"], [])) for row in claim_rows]

    def reset_claims(self) -> int:
        """Delete every claim and child (residents and the receipt counter stay)."""
        with self.write() as conn:
            conn.execute(delete(children))
            return int(conn.execute(delete(claims)).rowcount)


def _resident(row: RowMapping) -> Resident:
    return Resident(
        atena_no=row["atena_no"],
        name=row["name"],
        kana=row["kana"],
        birth_date=row["birth_date"],
        gender=row["gender"],
        postal_code=row["postal_code"],
        address=row["address"],
    )


def _record(row: RowMapping, kids: list[dict[str, Any]]) -> dict[str, Any]:
    spouse = None
    if row["spouse_name"] is not None:
        spouse = {
            "name": row["spouse_name"],
            "kana": row["spouse_kana"],
            "birth_date": row["spouse_birth_date"].isoformat(),
        }
    return {
        "receipt_no": row["receipt_no"],
        "atena_no": row["atena_no"],
        "claimant_name": row["claimant_name"],
        "claimant_kana": row["claimant_kana"],
        "claimant_birth_date": row["claimant_birth_date"].isoformat(),
        "my_number": row["my_number"],
        "claim_date": row["claim_date"].isoformat(),
        "spouse": spouse,
        "children": kids,
        "bank_code": row["bank_code"],
        "branch_code": row["branch_code"],
        "account_type": row["account_type"],
        "account_no": row["account_no"],
        "account_holder": row["account_holder"],
        "remarks": row["remarks"],
        "registered_at": row["registered_at"].isoformat(),
        "registered_by": row["registered_by"],
    }
