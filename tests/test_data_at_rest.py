"""The proof of issue 16 item 4: what renkei keeps of residents' data.

One installation for the module, used as staff would, every command its own ``renkei``
process (``python -m bots.cli``) against the mock core system: demo applications are
seeded and keyed by the bot. Then the management database's files (the file, its -wal and
-shm) are read byte for byte for every personal value seeded — 個人番号, 口座番号, names,
addresses, phone numbers — and none is there; the files renkei wrote are its account's
only. A row an older renkei wrote in clear is read, found in the file, and gone from it
after ``renkei data seal``; the key is rotated and the old one retired; applications
keyed long ago are purged with an audited line and ``renkei audit verify`` still passes;
a wrong or missing key is one Japanese line naming the key file.

PostgreSQL (the same session server as the queue contract) seals, reads old rows, rotates
and purges the same way, in-process.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)
from sqlalchemy import MetaData, Table, create_engine, insert, select, text, update

from bots.clock import utcnow
from bots.queue.db import Database
from bots.queue.purge import due, purge
from bots.queue.schema import ApplicationRow
from bots.queue.sealing import (
    KEY_FILE,
    RAW,
    count_rows,
    is_sealed,
    read_keys,
    rotate_key,
    seal_plain_rows,
)

ROOT = Path(__file__).resolve().parent.parent
#: The items of the demo's form data that identify a person (every one must be sealed).
PERSONAL = ("my_number", "account_no", "name", "kana", "address", "phone", "holder_kana")
OLD_ID = "JT-2019-000042"  # the row an older renkei wrote
OLD_MY_NUMBER = "918273645546"
OLD_ACCOUNT = "7305518"
OLD_NAME = "旧版　花子"


@dataclass
class Installation:
    base: Path
    env: dict[str, str]
    values: set[str]  # every personal value seeded

    @property
    def db_file(self) -> Path:
        return self.base / "var" / "renkei.db"

    @property
    def key_file(self) -> Path:
        return self.base / "keys" / KEY_FILE

    def renkei(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bots.cli", *args],
            env={**os.environ, **self.env, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def ok(self, *args: str) -> str:
        done = self.renkei(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def database(self) -> Database:
        return Database(self.env["RENKEI_DB"], key_dir=self.key_file.parent)

    def hits(self, values: set[str] | None = None) -> dict[str, list[str]]:
        """Every value found in the database's files (as UTF-8, or escaped as JSON writes
        it by default: ``\\u4e09``), by file name."""
        found: dict[str, list[str]] = {}
        for path in self.db_file.parent.glob(self.db_file.name + "*"):
            content = path.read_bytes()
            seen = sorted(
                v
                for v in (values or self.values)
                if v.encode("utf-8") in content or json.dumps(v)[1:-1].encode() in content
            )
            if seen:
                found[path.name] = seen
        return found


def _personal_values(data: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PERSONAL and isinstance(value, str) and len(value) >= 4:
                found |= {value, *value.split("\u3000")} - {""}
            found |= _personal_values(value)
    elif isinstance(data, list):
        for value in data:
            found |= _personal_values(value)
    return {v for v in found if len(v) >= 2}


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[Installation]:
    from conftest import Core

    Core(core_url).reset()
    base = tmp_path_factory.mktemp("data_at_rest")
    (base / "var").mkdir()
    env = {
        "RENKEI_DB": f"sqlite:///{base / 'var' / 'renkei.db'}",
        "RENKEI_CORE_URL": core_url,
        "RENKEI_OUT": str(base / "var" / "runs"),
        "RENKEI_AUDIT_DIR": str(base / "var" / "audit"),
        "RENKEI_KEY_DIR": str(base / "keys"),
    }
    inst = Installation(base, env, set())
    inst.ok("demo", "seed", "4", "--no-problems", "--each", "0")
    db = inst.database()
    try:
        with db.session() as s:
            for row in s.execute(select(ApplicationRow)).scalars():
                inst.values |= _personal_values(row.data)
    finally:
        db.dispose()
    ran = inst.renkei("run")
    assert ran.returncode == 0, (ran.stdout, ran.stderr)
    yield inst


def _statuses(inst: Installation) -> dict[str, str]:
    db = inst.database()
    try:
        with db.session() as s:
            rows = s.execute(select(ApplicationRow.id, ApplicationRow.status))
            return {r.id: r.status for r in rows}
    finally:
        db.dispose()


def test_no_personal_value_is_in_the_database_files(inst: Installation) -> None:
    assert set(_statuses(inst).values()) == {"keyed"}  # the bot read every one and keyed it
    assert len(inst.values) > 20 and any(v.isdigit() and len(v) == 12 for v in inst.values)
    assert inst.db_file.exists() and inst.hits() == {}
    db = inst.database()
    try:
        assert count_rows(db.engine) == {"sealed": 4, "plain": 0, "first_key": 0}
    finally:
        db.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_files_renkei_wrote_are_the_service_accounts_only(inst: Installation) -> None:
    assert _mode(inst.key_file.parent) == 0o700
    assert _mode(inst.key_file) == 0o600
    for path in inst.db_file.parent.glob("renkei.db*"):
        assert _mode(path) == 0o600, path
    runs = inst.base / "var" / "runs"
    evidence = [runs, *runs.rglob("*")]
    assert {".png", ".jsonl", ".html"} <= {p.suffix for p in evidence}
    wide = {str(p): oct(_mode(p)) for p in evidence if _mode(p) & 0o077}
    assert wide == {}


def test_a_wider_database_file_is_tightened(inst: Installation) -> None:
    os.chmod(inst.db_file, 0o644)
    shown = inst.renkei("status")
    assert shown.returncode == 0, shown.stderr
    assert _mode(inst.db_file) == 0o600
    assert str(inst.db_file) in shown.stderr and "所有者だけに制限" in shown.stderr


def test_a_wrong_or_missing_key_is_one_japanese_line_naming_the_file(
    inst: Installation, tmp_path: Path
) -> None:
    app_id = next(iter(_statuses(inst)))
    other = tmp_path / "other-keys"
    other.mkdir()
    (other / KEY_FILE).write_text(Fernet.generate_key().decode() + "\n", encoding="ascii")
    wrong = inst.renkei("review", "show", app_id, RENKEI_KEY_DIR=str(other))
    assert wrong.returncode == 1
    assert "申請データを復号できません" in wrong.stderr and str(other / KEY_FILE) in wrong.stderr
    assert "Traceback" not in wrong.stderr and wrong.stdout == ""

    empty = tmp_path / "no-keys"
    missing = inst.renkei("review", "show", app_id, RENKEI_KEY_DIR=str(empty))
    assert missing.returncode == 1
    assert f"申請データの鍵ファイル {empty / KEY_FILE} がありません" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert not (empty / KEY_FILE).exists()  # a lost key is never replaced by a new one


def _old_renkei_writes(url: str, app_id: str, data: dict[str, Any], **values: Any) -> None:
    """A row as an older renkei stored it: the table as reflected (plain JSON), in clear."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        table = Table("applications", MetaData(), autoload_with=engine)
        row = {
            "id": app_id, "procedure": "jidou_teate_nintei", "status": "needs_review",
            "received_at": datetime(2019, 6, 1, 10), "atena_no": "0000100099", "data": data,
            "attempts": 1, "needs_verification": False, "reason": "口座を確認",
        }  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(table).values(**(row | values)))
    finally:
        engine.dispose()


def test_an_old_plain_row_is_read_then_sealed(inst: Installation) -> None:
    data = {"applicant": {"name": OLD_NAME, "my_number": OLD_MY_NUMBER}}
    _old_renkei_writes(inst.env["RENKEI_DB"], OLD_ID, data | {"bank": {"account_no": OLD_ACCOUNT}})
    old = {OLD_MY_NUMBER, OLD_ACCOUNT, OLD_NAME}
    assert set().union(*inst.hits(old).values()) == old  # the clear text is in the file

    shown = inst.ok("review", "show", OLD_ID)
    assert "旧版" in shown and OLD_MY_NUMBER not in shown and OLD_ACCOUNT not in shown
    assert "暗号化されていない申請: 1 件" in inst.ok("data", "status")

    sealed = inst.ok("data", "seal")
    assert "申請データを暗号化: 1 件" in sealed and "VACUUM" in sealed
    assert inst.hits(old | inst.values) == {}
    assert "旧版" in inst.ok("review", "show", OLD_ID)
    assert "暗号化されていない申請: 0 件" in inst.ok("data", "status")
    assert "申請データを暗号化: 0 件" in inst.ok("data", "seal")  # idempotent


def _tokens(inst: Installation) -> dict[str, str]:
    engine = create_engine(inst.env["RENKEI_DB"])
    try:
        with engine.connect() as conn:
            return {r.id: r.data["sealed"] for r in conn.execute(select(RAW))}
    finally:
        engine.dispose()


def test_rotate_key_then_retire_the_old_one(inst: Installation) -> None:
    (old_key,) = read_keys(inst.key_file)
    before = _tokens(inst)

    rotated = inst.ok("data", "rotate-key")
    keys = read_keys(inst.key_file)
    assert len(keys) == 2 and keys[1] == old_key and "古い鍵は復号用に残しています" in rotated
    after = _tokens(inst)
    assert after.keys() == before.keys() and all(after[i] != before[i] for i in after)
    new = Fernet(keys[0])
    assert all(new.decrypt(t.encode()) for t in after.values())
    app_id = next(iter(_statuses(inst)))
    assert "申請内容" in inst.ok("review", "show", app_id)

    retired = inst.ok("data", "rotate-key", "--retire")
    (newest,) = read_keys(inst.key_file)
    assert newest not in keys and "古い鍵を削除しました" in retired
    for token in _tokens(inst).values():
        Fernet(newest).decrypt(token.encode())
        for old in keys:
            with pytest.raises(InvalidToken):
                Fernet(old).decrypt(token.encode())
    assert "申請内容" in inst.ok("review", "show", app_id)
    assert _mode(inst.key_file) == 0o600
    assert inst.hits() == {}


def _set_back(inst: Installation, days: dict[str, int]) -> None:
    """Move the outcome times of applications back (the clear columns only)."""
    db = inst.database()
    try:
        with db.session() as s:
            for app_id, back in days.items():
                when = utcnow() - timedelta(days=back)
                s.execute(
                    update(ApplicationRow)
                    .where(ApplicationRow.id == app_id)
                    .values(keyed_at=when, updated_at=when)
                )
    finally:
        db.dispose()


def test_purge_after_the_days_leaves_verification_passing(inst: Installation) -> None:
    keyed = sorted(i for i, s in _statuses(inst).items() if s == "keyed")
    old, recent = keyed[:2], keyed[2:]
    _set_back(inst, {**dict.fromkeys(old, 91), **dict.fromkeys(recent, 89)})

    listed = inst.ok("data", "purge", "--dry-run")
    assert all(i in listed for i in old) and not any(i in listed for i in recent)
    assert "何も消去していません" in listed

    purged = inst.ok("data", "purge", "--by", "jousei-a")
    assert "申請データを消去: 2 件" in purged
    db = inst.database()
    try:
        with db.session() as s:
            rows = {r.id: r for r in s.execute(select(ApplicationRow)).scalars()}
    finally:
        db.dispose()
    for app_id in old:
        assert rows[app_id].data == {} and rows[app_id].purged_at is not None
        assert rows[app_id].status == "keyed" and rows[app_id].receipt_no
    for app_id in recent:
        assert rows[app_id].data and rows[app_id].purged_at is None

    review = inst.base / "var" / "audit" / "review.jsonl"
    lines = [json.loads(line) for line in review.read_text(encoding="utf-8").splitlines()]
    purges = {line["application"]: line for line in lines if line["step"] == "data_purge"}
    assert set(purges) == set(old) and all(p["by"] == "jousei-a" for p in purges.values())
    verified = inst.renkei("audit", "verify")
    assert verified.returncode == 0, (verified.stdout, verified.stderr)
    assert "申請内容" in inst.ok("review", "show", old[0])  # a purged application still shows
    assert "申請データを消去: 0 件" in inst.ok("data", "purge")  # nothing twice


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url(postgres_server: PostgresServer) -> str:  # noqa: F811
    return postgres_server.create_database("data_at_rest")


def _row(app_id: str, data: dict[str, Any], days: int) -> ApplicationRow:
    back = utcnow() - timedelta(days=days)
    return ApplicationRow(
        id=app_id, procedure="jidou_teate_nintei", received_at=datetime(2026, 11, 1, 9),
        status="keyed", atena_no="0000100001", data=data, attempts=1,
        needs_verification=False, keyed_at=back, updated_at=back, receipt_no="R-1",
    )  # fmt: skip


def _stored(db: Database) -> dict[str, str]:
    """Each application's data as PostgreSQL holds it (JSONB as text)."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, data::text AS stored FROM applications"))
        return {r.id: r.stored for r in rows}


def test_postgresql_seals_reads_old_rows_rotates_and_purges(pg_url: str, tmp_path: Path) -> None:
    number, name, account = "773673268179", "三浦　充", "6314012"
    db = Database(pg_url, key_dir=tmp_path / "keys")
    try:
        with db.session() as s:
            s.add(_row("PG-1", {"applicant": {"my_number": number, "name": name}}, days=100))
            s.add(_row("PG-2", {"applicant": {"name": "新しい　人"}}, days=1))
        _old_renkei_writes(pg_url, "PG-0", {"bank": {"account_no": account}}, status="rejected",
                           updated_at=utcnow() - timedelta(days=100))  # fmt: skip
        stored = _stored(db)
        assert number not in stored["PG-1"] and "三浦" not in stored["PG-1"]
        assert is_sealed(json.loads(stored["PG-1"])) and account in stored["PG-0"]
        with db.session() as s:  # the old row is read as it is, the new one opened
            assert s.get(ApplicationRow, "PG-0").data == {"bank": {"account_no": account}}  # type: ignore[union-attr]
            assert s.get(ApplicationRow, "PG-1").data["applicant"]["name"] == name  # type: ignore[union-attr]

        assert seal_plain_rows(db.engine, db.sealer) == 1
        assert account not in _stored(db)["PG-0"]
        before = _stored(db)
        done = rotate_key(db.engine, db.sealer, retire=True)
        assert done.resealed == 3 and len(done.retired) == 1
        assert all(before[i] != t for i, t in _stored(db).items())
        assert count_rows(db.engine, db.sealer) == {"sealed": 3, "plain": 0, "first_key": 3}

        assert [d.id for d in due(db, 90)] == ["PG-0", "PG-1"]
        purged = purge(db, tmp_path / "audit", 90, who="jousei-a")
        assert [d.id for d in purged] == ["PG-0", "PG-1"]
        with db.session() as s:
            rows = {r.id: r for r in s.execute(select(ApplicationRow)).scalars()}
        assert rows["PG-0"].data == {} and rows["PG-1"].data == {} and rows["PG-2"].data
        assert rows["PG-1"].purged_at is not None and rows["PG-2"].purged_at is None
        lines = (tmp_path / "audit" / "review.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(x)["application"] for x in lines] == ["PG-0", "PG-1"]
    finally:
        db.dispose()
