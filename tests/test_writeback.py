"""Outcomes written back to the 申請管理システム (issue 16, item 2), with real parts only.

A real PostgreSQL stands for the vendor's system (tests/shinsei_vendor.py: Japanese table
and column names, naive JST times) with a trigger that counts every UPDATE of a row, so a
second write of the same outcome is seen if it happens. renkei's management database is a
real SQLite file (PostgreSQL for the concurrency test); the outcome files go to real
folders and are read back with pandas; the CLI runs through click's runner.

This module starts its own PostgreSQL (tests/pg.py ``start_server``) rather than the
session's, because one test stops it to stand for the source being down — and starts it
again on the same port, as a restarted server would come back.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pg
import pytest
import shinsei_vendor as vendor
from click.testing import CliRunner
from sqlalchemy import select, text, update

import bots.sources.outbox as outbox_module
from bots.audit.trail import verify_chain
from bots.cli.main import cli
from bots.cli.outbox import outbox as outbox_group
from bots.config import JST, Settings
from bots.contracts import Status
from bots.demo import applications
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, OutboxRow
from bots.queue.transitions import create
from bots.review import ReviewQueue
from bots.service import load_recipes, run_once
from bots.sources.outbox import deliver_outbox, pending

SECRET = "shinsei-Pw-7f3a"  # never to be seen in an error, a list or a file
KAIGO = "kaigo_hihokenshashou"
STATUSES = {"連携済": "9", "要確認": "8", "対象外": "7"}
MY_NUMBER = "123456789018"  # a valid 個人番号 (check digit 8), as a careless reason might hold
FILE_COLUMNS = ["申請番号", "連携状態", "受付番号", "連携日時", "理由"]


# --- the vendor's system ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[pg.PostgresServer]:
    running = pg.start_server()
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(running.root, ignore_errors=True)


COUNTER = """
ALTER TABLE 申請 ADD COLUMN 更新回数 integer NOT NULL DEFAULT 0;
CREATE FUNCTION 更新を数える() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.更新回数 := OLD.更新回数 + 1; RETURN NEW; END $$;
CREATE TRIGGER 更新回数 BEFORE UPDATE ON 申請 FOR EACH ROW EXECUTE FUNCTION 更新を数える();
"""


@pytest.fixture
def shinsei(server: pg.PostgresServer) -> str:
    """A fresh vendor database: its table, and a trigger counting each row's UPDATEs."""
    server.drop_database("shinsei")
    url = server.create_database("shinsei")
    vendor.create_schema(url)
    eng = vendor.engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql(COUNTER)
    eng.dispose()
    return url


def sources_yaml(folder: Path, port: int) -> Path:
    """The installation's sources.yaml: the vendor's database, and three export folders."""
    exports = []
    for fmt in ("csv", "cp932", "xlsx"):
        (folder / f"out-{fmt}").mkdir(exist_ok=True)
        exports.append(
            f"""
  export_{fmt}:
    kind: folder
    path: drop-{fmt}
    columns: {{id: 申請番号, procedure: 手続, atena_no: 宛名番号, received_at: 受付日時}}
    procedures: {{"K07": {{recipe: {KAIGO}, data: 申請内容}}}}
    write_back:
      folder: out-{fmt}
      format: {fmt}
      columns: {{申請番号: id, 連携状態: status, 受付番号: receipt_no, 連携日時: outcome_at, 理由: reason}}
"""
        )
    body = f"""sources:
  shinsei:
    kind: sql
    url: postgresql+psycopg://renkei@127.0.0.1:{port}/shinsei
    password_env: SHINSEI_PASSWORD
{vendor.MAPPING_YAML}    write_back:
      table: 申請
      key: 申請番号
      set: {{連携状態: status, 受付番号: receipt_no, 連携日時: outcome_at, 連携結果: reason}}
      statuses: {json.dumps(STATUSES, ensure_ascii=False)}
{"".join(exports)}"""
    path = folder / "sources.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def installed(
    settings: Settings, server: pg.PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("SHINSEI_PASSWORD", SECRET)
    settings.sources_file = sources_yaml(settings.out_root.parent, server.port)
    return settings


@pytest.fixture
def db(installed: Settings) -> Iterator[Database]:
    database = Database(installed.db_url)
    yield database
    database.dispose()


# --- helpers ------------------------------------------------------------------------------


def vendor_rows(url: str, n: int, first: int) -> list[dict[str, Any]]:
    rows = vendor.demo_rows(vendor.KAIGO, n, first=first)
    vendor.insert_rows(url, rows)
    return rows


def add_application(
    db: Database,
    row: dict[str, Any],
    source: str | None,
    status: Status = Status.NEEDS_REVIEW,
    reason: str | None = None,
) -> str:
    """An application as the sync would file it (``source`` set), in ``status``."""
    with db.session() as s:
        create(
            s,
            ApplicationRow(
                id=row["申請番号"],
                procedure=KAIGO,
                received_at=row["受付日時"],
                status=status.value,
                atena_no=row["宛名番号"],
                data=row["申請内容"],
                attempts=0,
                needs_verification=False,
                source=source,
                reason=reason,
            ),
        )
    return str(row["申請番号"])


def source_row(url: str, app_id: str) -> dict[str, Any]:
    """The vendor's row as its own screens show it, with the trigger's count of UPDATEs."""
    eng = vendor.engine(url)
    try:
        with eng.connect() as conn:
            found = conn.execute(text("SELECT * FROM 申請 WHERE 申請番号 = :id"), {"id": app_id})
            return dict(found.one()._mapping)
    finally:
        eng.dispose()


def outbox(db: Database) -> list[OutboxRow]:
    with db.session() as s:
        return list(s.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars())


def application(db: Database, app_id: str) -> ApplicationRow:
    with db.session() as s:
        row = s.get(ApplicationRow, app_id)
        assert row is not None
        return row


def naive_jst(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(JST).replace(tzinfo=None)


def writeback_lines(settings: Settings) -> list[dict[str, Any]]:
    log = settings.audit_dir / "review.jsonl"
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line["step"] == "writeback"]


def lose_the_marks(db: Database, source: str) -> None:
    """As if the process died after writing to the source and before marking the rows."""
    with db.transaction() as conn:
        conn.execute(update(OutboxRow).where(OutboxRow.source == source).values(delivered_at=None))


def renkei(settings: Settings, *args: str) -> Any:
    """``renkei outbox …`` through click with these settings (as the main group passes
    them: ``renkei --db … outbox``, once bots/cli/main.py registers the group)."""
    assert args[0] == "outbox"
    if "outbox" in cli.commands:  # registered: the real command line
        env = {
            "RENKEI_SOURCES": str(settings.sources_file),
            "RENKEI_AUDIT_DIR": str(settings.audit_dir),
        }
        return CliRunner().invoke(cli, ["--db", settings.db_url, *args], env=env)
    return CliRunner().invoke(outbox_group, list(args[1:]), obj=settings)


# --- the tests ----------------------------------------------------------------------------


def test_outcomes_of_the_run_reach_the_source_once_and_only_for_sourced_applications(
    installed: Settings, db: Database, shinsei: str, core: Any
) -> None:
    people = applications.people("kaigo", 3)
    core._call("/kaigo/_testing/insured", "POST", [p for p, _ in people])
    rows = vendor_rows(shinsei, 3, first=0)
    sourced = [add_application(db, r, "shinsei", Status.RESOLVED) for r in rows[:2]]
    imported = add_application(db, rows[2], None, Status.RESOLVED)  # renkei import: no source

    result = run_once(installed, db=db)

    assert {i.application_id: i.outcome.value for i in result.items} == dict.fromkeys(
        [*sourced, imported], "keyed"
    ), [(i.application_id, i.reason) for i in result.items]
    queued = outbox(db)
    assert [(o.application_id, o.status) for o in queued] == [(a, "keyed") for a in sourced]

    report = deliver_outbox(installed, db=db)  # (the run delivers too, once service.py calls it)

    assert report.failed == 0
    for app_id, entry in zip(sourced, queued, strict=True):
        app, got = application(db, app_id), source_row(shinsei, app_id)
        assert app.receipt_no and re.fullmatch(r"KH\d{8}", app.receipt_no)
        assert got["連携状態"] == "9" and got["受付番号"] == app.receipt_no
        assert got["連携日時"] == naive_jst(entry.outcome_at)  # naive column: naive JST
        assert got["連携結果"] == app.reason
        assert got["更新回数"] == 1
    assert source_row(shinsei, imported)["連携状態"] is None  # nothing for it
    assert [o.delivered_at is not None for o in outbox(db)] == [True, True]

    lose_the_marks(db, "shinsei")  # delivered again: the source does not change
    again = deliver_outbox(installed, db=db)

    assert again.delivered == 2
    assert [source_row(shinsei, a)["更新回数"] for a in sourced] == [1, 1]
    lines = writeback_lines(installed)
    assert [line["application"] for line in lines] == sourced * 2
    assert verify_chain(installed.audit_dir / "review.jsonl")[0]
    assert deliver_outbox(installed, db=db).sources == []  # nothing pending: nothing read


def test_staff_outcomes_reach_the_source_in_order_ending_with_the_last(
    installed: Settings, db: Database, shinsei: str
) -> None:
    rows = vendor_rows(shinsei, 3, first=10)
    why = f"被保険者番号が一致しません（個人番号 {MY_NUMBER}）"
    done, rejected, waiting = (add_application(db, r, "shinsei", reason=why) for r in rows)
    own = vendor.demo_rows(vendor.KAIGO, 1, first=13)[0]  # renkei import: no source
    add_application(db, own, None, reason="手入力")
    review = ReviewQueue(db, installed.audit_dir, installed.out_root, load_recipes(installed))
    review.done(done, "KH00000042", "窓口で入力", who="tanaka")
    review.reject(rejected, "申請取下げ", who="tanaka")
    review.reject(own["申請番号"], "重複", who="tanaka")

    assert [(o.application_id, o.status) for o in outbox(db)] == [
        (done, "needs_review"),
        (rejected, "needs_review"),
        (waiting, "needs_review"),
        (done, "keyed"),
        (rejected, "rejected"),
    ]  # the application without a source: none
    report = deliver_outbox(installed, db=db)

    assert report.delivered == 5
    first, second, third = (source_row(shinsei, a) for a in (done, rejected, waiting))
    assert (first["連携状態"], first["受付番号"], first["更新回数"]) == ("9", "KH00000042", 2)
    assert first["連携結果"] == "手入力で連携済（窓口で入力）"
    assert (second["連携状態"], second["連携結果"], second["更新回数"]) == (
        "7",
        "対象外（申請取下げ）",
        2,
    )
    assert (third["連携状態"], third["更新回数"]) == ("8", 1)
    assert MY_NUMBER not in str(third) and "************" in third["連携結果"]

    review.undo(done, "受付番号の誤り", who="suzuki")  # undone: the source follows
    deliver_outbox(installed, db=db)

    after = source_row(shinsei, done)
    assert (after["連携状態"], after["受付番号"], after["更新回数"]) == ("8", None, 3)
    assert after["連携結果"] == "手入力の連携済を取消（受付番号の誤り）"


def test_the_source_down_during_write_back_then_up_every_outcome_arrives_once(
    installed: Settings,
    db: Database,
    shinsei: str,
    server: pg.PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = vendor_rows(shinsei, 3, first=20)
    apps = [add_application(db, r, "shinsei", reason="生年月日が一致しません") for r in rows]
    review = ReviewQueue(db, installed.audit_dir, installed.out_root, load_recipes(installed))
    review.done(apps[0], "KH00000077", "窓口で入力", who="tanaka")  # 要確認, then 連携済
    port = server.port
    server.stop()
    try:
        down = deliver_outbox(installed, db=db)
        listed = renkei(installed, "outbox")
        listed_json = renkei(installed, "outbox", "--json")
    finally:
        monkeypatch.setattr(pg, "_free_port", lambda: port)  # back on its port
        server.start()

    assert (down.delivered, down.failed) == (0, 4)
    entries = pending(db)
    assert [(e.application_id, e.attempts) for e in entries] == [
        (apps[0], 1),
        (apps[1], 1),
        (apps[2], 1),
        (apps[0], 1),
    ]
    for e in entries:
        assert e.last_error and "接続できません" in e.last_error
        assert f"renkei:***@127.0.0.1:{port}/shinsei" in e.last_error
        assert e.next_try_at is not None and e.next_try_at > e.outcome_at
    assert listed.exit_code == 0, listed.output
    assert "未送信の結果 4 件" in listed.output and "再送待ち、試行 1 回、次回 20" in listed.output
    assert (
        f"理由: ソース『shinsei』（postgresql+psycopg://renkei:***@127.0.0.1:{port}"
        in listed.output
    )
    assert json.loads(listed_json.output)[3]["status"] == "連携済"
    assert SECRET not in listed.output + listed_json.output

    delivered = renkei(installed, "outbox", "deliver")

    assert delivered.exit_code == 0, delivered.output
    assert "ソース『shinsei』: 4 件を書き戻しました" in delivered.output
    got = [source_row(shinsei, a) for a in apps]
    assert [(g["連携状態"], g["更新回数"]) for g in got] == [("9", 2), ("8", 1), ("8", 1)]
    assert got[0]["受付番号"] == "KH00000077"
    assert renkei(installed, "outbox").output.strip() == "未送信の結果はありません"
    assert renkei(installed, "outbox", "deliver").output.strip() == "送信する結果はありません"
    assert sorted(line["outbox"] for line in writeback_lines(installed)) == [1, 2, 3, 4]


def test_a_later_outcome_waits_behind_an_earlier_one_that_failed(
    installed: Settings, db: Database, shinsei: str
) -> None:
    row = vendor.demo_rows(vendor.KAIGO, 1, first=50)[0]  # not in the vendor's table yet
    app = add_application(db, row, "shinsei", reason="住所が一致しません")

    refused = deliver_outbox(installed, db=db)

    assert refused.failed == 1
    [first] = pending(db)
    assert (
        first.last_error
        == f"ソース『shinsei』のテーブル『申請』に『申請番号』= {app} の行がありません"
    )
    vendor.insert_rows(shinsei, [row])  # the vendor's row appears; staff key it by hand
    review = ReviewQueue(db, installed.audit_dir, installed.out_root, load_recipes(installed))
    review.done(app, "KH00000099", "窓口で入力", who="tanaka")

    waited = deliver_outbox(installed, db=db)  # the 連携済 is due, its 要確認 still backs off

    assert waited.delivered == 0 and source_row(shinsei, app)["更新回数"] == 0
    assert [e.state(first.outcome_at) for e in pending(db)] == ["再送待ち", "未送信"]
    assert deliver_outbox(installed, db=db, force=True).delivered == 2
    got = source_row(shinsei, app)
    assert (got["連携状態"], got["受付番号"], got["更新回数"]) == ("9", "KH00000099", 2)


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "xlsx":
        return pd.read_excel(path, dtype=str)
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig" if fmt == "csv" else "cp932")


def test_an_outcome_file_per_delivery_in_csv_cp932_and_excel(
    installed: Settings, db: Database
) -> None:
    rows = vendor.demo_rows(vendor.KAIGO, 6, first=30)
    why = f"氏名の𠮷が入力できません（個人番号 {MY_NUMBER}）"
    base = installed.sources_file.parent
    formats = ["csv", "cp932", "xlsx"]
    for n, fmt in enumerate(formats):
        for row in rows[2 * n : 2 * n + 2]:
            add_application(db, row, f"export_{fmt}", reason=why)

    report = deliver_outbox(installed, db=db)

    assert report.delivered == 6
    by_id = {o.id: o for o in outbox(db)}
    for n, fmt in enumerate(formats):
        [path] = sorted((base / f"out-{fmt}").iterdir())
        ext = "xlsx" if fmt == "xlsx" else "csv"
        assert re.fullmatch(rf"renkei-outcomes-\d{{8}}-\d{{6}}-[0-9a-f]{{6}}\.{ext}", path.name)
        frame = _read(path, fmt)
        assert list(frame.columns) == FILE_COLUMNS
        assert list(frame["申請番号"]) == [r["申請番号"] for r in rows[2 * n : 2 * n + 2]]
        assert set(frame["連携状態"]) == {"要確認"} and frame["受付番号"].isna().all()
        when = [by_id[2 * n + i + 1].outcome_at for i in range(2)]
        expected = [f"{naive_jst(t):%Y-%m-%d %H:%M:%S}" for t in when]
        assert list(frame["連携日時"]) == expected  # JST, as people read it
        shown = "〓" if fmt == "cp932" else "𠮷"  # CP932 has no 𠮷: the 下駄記号
        assert set(frame["理由"]) == {f"氏名の{shown}が入力できません（個人番号 ************）"}
        assert MY_NUMBER not in path.read_bytes().decode("utf-8", errors="replace")

    csv_file = next((base / "out-csv").iterdir())
    lose_the_marks(db, "export_csv")  # cut off before the rows were marked: the same file
    assert deliver_outbox(installed, db=db).delivered == 2
    assert list((base / "out-csv").iterdir()) == [csv_file]

    (base / "out-xlsx").rename(base / "moved")  # the folder gone: kept, with its batch
    late = add_application(db, vendor.demo_rows(vendor.KAIGO, 1, first=40)[0], "export_xlsx")
    failed = deliver_outbox(installed, db=db)
    [entry] = pending(db)
    assert (failed.failed, entry.application_id, entry.attempts) == (1, late, 1)
    assert (
        entry.last_error and f"出力先フォルダ {base / 'out-xlsx'} がありません" in entry.last_error
    )
    (base / "moved").rename(base / "out-xlsx")
    assert deliver_outbox(installed, db=db, force=True).delivered == 1
    assert (base / "out-xlsx" / f"renkei-outcomes-{entry.batch}.xlsx").is_file()
    assert len(list((base / "out-xlsx").iterdir())) == 2


def test_two_processes_delivering_at_once_deliver_each_outcome_once(
    installed: Settings, shinsei: str, server: pg.PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "CHUNK", 5)  # small claims, so the deliverers interleave
    server.drop_database("renkei_mgmt")
    installed.db_url = server.create_database("renkei_mgmt")
    db = Database(installed.db_url)
    try:
        rows = vendor_rows(shinsei, 40, first=100)
        for row in rows:
            add_application(db, row, "shinsei", reason="住所が一致しません")
        start = threading.Barrier(4)
        reports: list[Any] = []

        def deliverer() -> None:
            mine = Database(installed.db_url)
            try:
                start.wait()
                reports.append(deliver_outbox(installed, db=mine))
            finally:
                mine.dispose()

        threads = [threading.Thread(target=deliverer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sum(r.delivered for r in reports) == 40
        assert sum(1 for r in reports if r.delivered) > 1  # they did work side by side
        lines = writeback_lines(installed)
        assert sorted(line["outbox"] for line in lines) == list(range(1, 41))
        assert verify_chain(installed.audit_dir / "review.jsonl")[0]
        eng = vendor.engine(shinsei)
        with eng.connect() as conn:
            counts = conn.execute(text("SELECT 更新回数, count(*) FROM 申請 GROUP BY 1")).all()
        eng.dispose()
        assert [tuple(c) for c in counts] == [(1, 40)]
    finally:
        db.dispose()


# --- the outbox is written with the status change --------------------------------------


def _claimed(db: Database, app_id: str, source: str | None, max_attempts: int = 5) -> Any:
    from datetime import timedelta

    from bots.queue.sql import SqlWorkQueue

    row = vendor.demo_rows(vendor.KAIGO, 1, first=int(app_id))[0] | {"申請番号": app_id}
    add_application(db, row, source, Status.RESOLVED)
    queue = SqlWorkQueue(db, "run-1", max_attempts=max_attempts)
    claim = queue.claim("runner-1", procedure=None, lease=timedelta(minutes=5))
    assert claim is not None and claim.application.id == app_id
    return queue, claim


def test_the_run_writes_the_outbox_in_the_same_transaction_and_only_with_a_source(
    db: Database,
) -> None:
    from bots.contracts import Outcome, OutcomeKind

    queue, keyed = _claimed(db, "1", "shinsei")
    queue.release(keyed, Outcome(OutcomeKind.KEYED, receipt_no="KH00000001"))
    queue, plain = _claimed(db, "2", None)
    queue.release(plain, Outcome(OutcomeKind.KEYED, receipt_no="KH00000002"))
    queue, used_up = _claimed(db, "3", "shinsei", max_attempts=1)  # attempts used up
    queue.release(used_up, Outcome(OutcomeKind.RETRY, reason="HTTP 500"))
    queue, retried = _claimed(db, "4", "shinsei", max_attempts=5)  # back to 連携待ち: none
    queue.release(retried, Outcome(OutcomeKind.RETRY, reason="HTTP 500"))

    assert [(o.application_id, o.status, o.receipt_no) for o in outbox(db)] == [
        ("1", "keyed", "KH00000001"),
        ("3", "needs_review", None),
    ]
    assert outbox(db)[1].reason == application(db, "3").reason  # as stored (masked)

    queue, abandoned = _claimed(db, "6", "shinsei", max_attempts=1)  # its runner died
    with db.transaction() as conn:
        conn.execute(
            update(ApplicationRow)
            .where(ApplicationRow.id == "6")
            .values(acquired_until=datetime(2026, 1, 1))
        )
    queue.reap()
    assert [(o.application_id, o.status) for o in outbox(db)][2:] == [("6", "needs_review")]

    queue, lost = _claimed(db, "5", "shinsei")
    with db.transaction() as conn:  # the outbox cannot be written: nor is the status
        conn.execute(text("ALTER TABLE outbox RENAME TO outbox_gone"))
    with pytest.raises(Exception, match="outbox"):
        queue.release(lost, Outcome(OutcomeKind.KEYED, receipt_no="KH00000005"))
    assert application(db, "5").status == Status.CLAIMED.value
