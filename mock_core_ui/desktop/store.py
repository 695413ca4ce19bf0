"""The desktop client's own store: one SQLite file, apart from the web mock's database.

A thick client of another vendor keeps its data where the web mock cannot see it, so the
tests (and nothing else) read it through the functions below. A registration is written
in one ``BEGIN IMMEDIATE`` transaction when the clerk presses はい on the confirm dialog:
a kill before that leaves nothing, a kill after it leaves the whole row — which is what a
bot that searches the inquiry screen after a crash has to rely on.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS insured (
    hihokensha_no TEXT PRIMARY KEY,
    atena_no TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    kana TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procedure TEXT NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    hihokensha_no TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    typed TEXT NOT NULL,
    remarks TEXT NOT NULL DEFAULT '',
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS registrations_hno ON registrations (hihokensha_no);
"""


@dataclass(frozen=True)
class Insured:
    """One 被保険者 as the client's 被保険者検索 finds it."""

    hihokensha_no: str
    name: str
    kana: str
    birth_date: dt.date
    address: str = ""
    atena_no: str = ""

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Insured:
        """The JSON shape the demo seed posts to the web mock (``/kaigo/_testing/insured``)."""
        return cls(
            hihokensha_no=str(item["hihokensha_no"]),
            name=str(item["name"]),
            kana=str(item["kana"]),
            birth_date=dt.date.fromisoformat(str(item["birth_date"])),
            address=str(item.get("address", "")),
            atena_no=str(item.get("atena_no", "")),
        )


@contextmanager
def _connect(path: Path, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A short connection; writes under ``BEGIN IMMEDIATE`` and committed as one."""
    with closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        if not write:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def create(path: Path) -> None:
    """Create the file and its tables if missing (idempotent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SCHEMA)


def put_insured(path: Path, people: Iterable[Insured]) -> int:
    """Insert or replace 被保険者 by number; returns how many were written."""
    rows = [
        (p.hihokensha_no, p.atena_no, p.name, p.kana, p.birth_date.isoformat(), p.address)
        for p in people
    ]
    with _connect(path, write=True) as conn:
        conn.executemany("INSERT OR REPLACE INTO insured VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _insured(row: sqlite3.Row) -> Insured:
    return Insured(
        hihokensha_no=row["hihokensha_no"],
        name=row["name"],
        kana=row["kana"],
        birth_date=dt.date.fromisoformat(row["birth_date"]),
        address=row["address"],
        atena_no=row["atena_no"],
    )


def get_insured(path: Path, hihokensha_no: str) -> Insured | None:
    """The 被保険者 with exactly this number, if any."""
    with _connect(path) as conn:
        row = conn.execute(
            "SELECT * FROM insured WHERE hihokensha_no = ?", (hihokensha_no,)
        ).fetchone()
    return None if row is None else _insured(row)


def _bare(kana: str) -> str:
    """Kana without spaces (half- or full-width), as the search compares them."""
    return "".join(kana.split())


def search_insured(
    path: Path, hihokensha_no: str = "", kana: str = "", birth: dt.date | None = None
) -> list[Insured]:
    """被保険者検索: the number exact, or the カナ氏名 as a prefix (spaces ignored) and the
    生年月日 exact when given; by number. Both empty → nothing (never a full listing)."""
    if hihokensha_no:
        person = get_insured(path, hihokensha_no)
        return [] if person is None else [person]
    if not kana:
        return []
    with _connect(path) as conn:
        rows = conn.execute("SELECT * FROM insured ORDER BY hihokensha_no").fetchall()
    found = [_insured(r) for r in rows if _bare(r["kana"]).startswith(_bare(kana))]
    return [p for p in found if birth is None or p.birth_date == birth]


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def register(
    path: Path,
    procedure: str,
    prefix: str,
    person: Insured,
    values: tuple[dict[str, Any], dict[str, str]],
    clerk: str,
) -> str:
    """Store one registration (checked values, typed values) and return its 受付番号.

    The number is the next of the procedure (prefix + 8 digits), taken in the same
    transaction as the insert, so two clients never get the same one.
    """
    data, typed = values
    with _connect(path, write=True) as conn:
        count = conn.execute(
            "SELECT COUNT(*) FROM registrations WHERE procedure = ?", (procedure,)
        ).fetchone()[0]
        receipt_no = f"{prefix}{int(count) + 1:08d}"
        conn.execute(
            "INSERT INTO registrations (procedure, receipt_no, hihokensha_no, name, data,"
            " typed, remarks, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                procedure,
                receipt_no,
                person.hihokensha_no,
                person.name,
                json.dumps(data, default=_json, ensure_ascii=False),
                json.dumps(typed, ensure_ascii=False),
                str(data.get("remarks") or ""),
                dt.datetime.now().replace(microsecond=0).isoformat(),
                clerk,
            ),
        )
    return receipt_no


def _registration(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "procedure": row["procedure"],
        "receipt_no": row["receipt_no"],
        "hihokensha_no": row["hihokensha_no"],
        "name": row["name"],
        "data": json.loads(row["data"]),
        "typed": json.loads(row["typed"]),
        "remarks": row["remarks"],
        "registered_at": row["registered_at"],
        "registered_by": row["registered_by"],
    }


def registrations(
    path: Path | str, procedure: str | None = None, hihokensha_no: str | None = None
) -> list[dict[str, Any]]:
    """Every registration (optionally of one procedure and/or person), oldest first.

    ``data`` holds the checked values as the web mock stores them (dates ISO, codes as
    codes), ``typed`` the strings as they were in the fields (the era as its code).
    A missing file reads as no registrations, so a test may ask before the app started.
    """
    path = Path(path)
    if not path.exists():
        return []
    query = "SELECT * FROM registrations WHERE 1 = 1"
    args: list[str] = []
    if procedure is not None:
        query, args = query + " AND procedure = ?", [*args, procedure]
    if hihokensha_no is not None:
        query, args = query + " AND hihokensha_no = ?", [*args, hihokensha_no]
    with _connect(path) as conn:
        rows = conn.execute(query + " ORDER BY id", args).fetchall()
    return [_registration(r) for r in rows]
