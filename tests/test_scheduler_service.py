"""The scheduler service as a real process: it fires what the CLI wrote, once, on time.

Each test starts ``renkei --db … scheduler`` (or ``python scheduler.py --db …``, the same
code) as a subprocess on a real SQLite file or a real PostgreSQL database, changes the
schedules with the CLI while it runs, and reads what happened from the management
database: the ``schedule_fires`` rows (one per fired slot), the ``runs`` rows and the
applications' statuses, and for one schedule the records in the mock core system.
Seconds-field crons (``*/2 * * * * *``) keep every test to seconds. Waiting is on
conditions in the database; where a test shows that something does *not* happen, it
waits for the service to have looked several times (its poll is 2 s) and says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)
from sqlalchemy import select

from bots.cli.main import cli
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, RunRow, ScheduleFireRow, ScheduleRow
from bots.scheduling.calendar import closed_day_reason, jst

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv" / "bin"
PROCEDURE = "jidou_teate_nintei"
EVERY_2S = "*/2 * * * * *"
T = TypeVar("T")


def renkei(db_url: str, *args: str) -> str:
    """A CLI command as staff type it; its output (the command must succeed)."""
    result = CliRunner().invoke(cli, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 25.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"待ち時間切れ: {what}")
        time.sleep(0.1)


class Service:
    """One scheduler service process and its log."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.proc, self.log = proc, log

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None


def _start(db_url: str, tmp: Path, core_url: str, script: bool, env: dict[str, str]) -> Service:
    tmp.mkdir(parents=True, exist_ok=True)
    cmd = (
        [str(VENV / "python"), str(REPO / "scheduler.py"), "--db", db_url]
        if script
        else [str(VENV / "renkei"), "--db", db_url, "scheduler"]
    )
    environ = os.environ | {
        "RENKEI_CORE_URL": core_url,
        "RENKEI_OUT": str(tmp / "runs"),
        "RENKEI_AUDIT_DIR": str(tmp / "audit"),
        "RENKEI_DB": f"sqlite:///{tmp / 'not-this-one.db'}",  # --db must win
        **env,
    }
    log = tmp / "scheduler.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=environ, stdout=out, stderr=subprocess.STDOUT)
    return Service(proc, log)


@contextmanager
def services(
    db_url: str,
    tmps: list[Path],
    core_url: str,
    *,
    script: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[list[Service]]:
    """Start one service per folder (together), wait until each is looking at the
    schedules; SIGTERM them at the end and check each stopped cleanly."""
    started = [_start(db_url, tmp, core_url, script, env or {}) for tmp in tmps]
    try:
        for svc in started:
            wait_for(
                "スケジューラの開始",
                lambda svc=svc: "スケジューラを開始しました" in svc.text() or not svc.alive(),
            )
            assert svc.alive(), svc.text()
        yield started
    finally:
        for svc in started:
            if svc.alive():
                svc.proc.send_signal(signal.SIGTERM)
        for svc in started:
            svc.proc.wait(timeout=60)
    for svc, tmp in zip(started, tmps, strict=True):
        assert svc.proc.returncode == 0, svc.text()
        assert "Traceback" not in svc.text(), svc.text()
        assert not (tmp / "not-this-one.db").exists()


@contextmanager
def service(
    db_url: str,
    tmp: Path,
    core_url: str,
    *,
    script: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Service]:
    """One service (see :func:`services`)."""
    with services(db_url, [tmp], core_url, script=script, env=env) as [svc]:
        yield svc


def fires(db: Database, schedule_id: str | None = None) -> list[ScheduleFireRow]:
    with db.session() as s:
        q = select(ScheduleFireRow).order_by(ScheduleFireRow.slot)
        if schedule_id:
            q = q.where(ScheduleFireRow.schedule_id == schedule_id)
        return list(s.scalars(q).all())


def done(db: Database, schedule_id: str, outcome: str | None = None) -> list[ScheduleFireRow]:
    """Fires of a schedule that have finished (with ``outcome`` if given)."""
    return [
        f
        for f in fires(db, schedule_id)
        if f.ended_at is not None and (outcome is None or f.outcome == outcome)
    ]


def runs(db: Database) -> dict[str, RunRow]:
    with db.session() as s:
        return {r.id: r for r in s.scalars(select(RunRow)).all()}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'renkei.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)  # the tables exist before any process starts
    yield database
    database.dispose()


# --- firing ---------------------------------------------------------------------------


def test_a_schedule_added_while_the_service_runs_keys_the_applications(
    db_url: str, db: Database, tmp_path: Path, core: Any
) -> None:
    """The issue's first problem: a schedule added after start was never noticed."""
    seed(db, 2, core.url, problems=False)
    with service(db_url, tmp_path, core.url):
        renkei(db_url, "schedule", "add", "-p", PROCEDURE, "--cron", EVERY_2S, "--on-closed-days")
        [first] = wait_for("最初の実行", lambda: done(db, f"run:{PROCEDURE}")[:1])
        renkei(db_url, "schedule", "pause", f"run:{PROCEDURE}")

    assert first.outcome == "ran", first.reason
    assert first.kind == "cron" and first.slot.microsecond == 0 and first.slot.second % 2 == 0
    assert first.run_id in runs(db)  # the run happened in the service's database
    with db.session() as s:
        apps = s.scalars(select(ApplicationRow).order_by(ApplicationRow.id)).all()
        assert [a.status for a in apps] == [Status.KEYED.value] * 2
    for i in range(2):
        [record] = core.records_for(application_id(i))
        assert record["receipt_no"] == apps[i].receipt_no


def test_schedule_list_during_a_due_slot_changes_nothing(db_url: str, db: Database) -> None:
    renkei(db_url, "schedule", "add", "--id", "m", "--cron", "* * * * *", "--on-closed-days")
    hour_ago = utcnow() - timedelta(hours=1)
    with db.session() as s:
        row = s.get(ScheduleRow, "m")
        assert row is not None
        row.active_since = row.last_slot = hour_ago.replace(second=0, microsecond=0)

    def snapshot() -> list[tuple[Any, ...]]:
        with db.engine.connect() as conn:
            return [
                tuple(r)
                for table in ("schedules", "schedule_fires", "runs", "run_locks")
                for r in conn.exec_driver_sql(f"SELECT * FROM {table}")  # noqa: S608
            ]

    before = snapshot()
    listed = subprocess.run(
        [str(VENV / "renkei"), "--db", db_url, "schedule", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert snapshot() == before
    assert fires(db) == [] and runs(db) == {}
    due = jst(hour_ago.replace(second=0, microsecond=0) + timedelta(minutes=1))
    assert f"次回 {due:%Y-%m-%d}" in listed.stdout and f"{due:%H:%M}:00 JST" in listed.stdout


# --- calendars on a UTC host ----------------------------------------------------------


def test_a_closed_day_in_japan_is_skipped_on_a_utc_host(
    db_url: str, db: Database, tmp_path: Path, core: Any
) -> None:
    today_jst = jst(datetime.now(UTC)).date()
    renkei(db_url, "calendar", "closed", "add", today_jst.isoformat(), "--note", "庁舎点検")
    reason = closed_day_reason(db, today_jst)
    assert reason is not None and today_jst.isoformat() in reason
    with service(db_url, tmp_path, core.url, env={"TZ": "UTC"}):
        renkei(db_url, "schedule", "add", "--id", "office", "-p", PROCEDURE, "--cron", EVERY_2S)
        renkei(
            db_url, "schedule", "add", "--id", "always", "-p", PROCEDURE, "--cron", EVERY_2S,
            "--on-closed-days",
        )  # fmt: skip
        wait_for("閉庁日の記録", lambda: done(db, "office"))
        wait_for("閉庁日も実行する方", lambda: done(db, "always", "ran"))
        renkei(db_url, "schedule", "pause", "office")
        renkei(db_url, "schedule", "pause", "always")

    closed = done(db, "office")
    assert {(f.outcome, f.reason, f.run_id) for f in closed} == {("closed", reason, None)}
    assert {f.run_id for f in done(db, "always", "ran")} <= set(runs(db))
    listed = renkei(db_url, "schedule", "list")
    assert f"閉庁日のため休み  {reason}" in listed


# --- two services, one database -------------------------------------------------------


SLOTS = 15


def _each_slot_fired_once(db_url: str, tmp_path: Path, core_url: str) -> None:
    db = Database(db_url)
    try:
        with services(db_url, [tmp_path / "a", tmp_path / "b"], core_url) as both:
            renkei(db_url, "schedule", "add", "--id", "s", "-p", PROCEDURE, "--cron", EVERY_2S,
                   "--on-closed-days")  # fmt: skip
            # 15 contested slots (30 s of a per-2-seconds schedule: as many slots as
            # minutes of a per-10-seconds one, in a fifth of the time)
            wait_for("15 スロット", lambda: len(done(db, "s")) >= SLOTS, timeout=60)
            renkei(db_url, "schedule", "pause", "s")
            assert all(svc.alive() for svc in both)
        fired = fires(db, "s")
        slots = [f.slot for f in fired]
        assert len(slots) == len(set(slots))  # no slot twice
        gaps = {(b - a).total_seconds() for a, b in zip(slots, slots[1:], strict=False)}
        assert gaps == {2.0}, slots  # and none lost
        assert {f.outcome for f in fired} <= {"ran", "skipped"}
        ran = [f.run_id for f in fired if f.outcome == "ran"]
        assert ran and len(set(ran)) == len(ran)
        assert sorted(ran) == sorted(runs(db))  # one run per fired slot, no run besides
        assert len(fired) >= SLOTS
    finally:
        db.dispose()


def test_two_services_on_sqlite_fire_each_slot_once(
    db_url: str, db: Database, tmp_path: Path, core_url: str
) -> None:
    _each_slot_fired_once(db_url, tmp_path, core_url)


def test_two_services_on_postgresql_fire_each_slot_once(
    postgres_server: PostgresServer,  # noqa: F811
    tmp_path: Path,
    core_url: str,
) -> None:
    url = postgres_server.create_database("scheduler_twice")
    Database(url).dispose()
    _each_slot_fired_once(url, tmp_path, core_url)


# --- changes noticed while running ----------------------------------------------------


def test_pause_resume_run_now_and_remove_are_noticed_within_seconds(
    db_url: str, db: Database, tmp_path: Path, core_url: str
) -> None:
    with service(db_url, tmp_path, core_url) as svc:
        renkei(db_url, "schedule", "add", "--id", "s", "-p", PROCEDURE, "--cron", EVERY_2S,
               "--on-closed-days")  # fmt: skip
        wait_for("最初の実行", lambda: done(db, "s"))

        renkei(db_url, "schedule", "pause", "s")
        paused_at = utcnow()
        renkei(db_url, "schedule", "run-now", "s")
        [manual] = wait_for("今すぐ実行", lambda: [f for f in done(db, "s") if f.kind == "run-now"])
        # the service has looked at the rows since the pause; let another slot pass
        wait_for("1 スロット経過", lambda: utcnow() > paused_at + timedelta(seconds=2.5))
        assert all(f.fired_at < paused_at for f in fires(db, "s") if f.kind == "cron")
        assert manual.outcome == "ran" and manual.run_id in runs(db)

        resuming = utcnow()
        renkei(db_url, "schedule", "resume", "s")
        resumed_at = utcnow()
        after = wait_for(
            "再開後の実行",
            lambda: [f for f in done(db, "s") if f.kind == "cron" and f.fired_at > resumed_at],
        )
        assert after[0].slot > resuming  # (not making up paused slots: test_scheduling.py)

        renkei(db_url, "schedule", "remove", "s")
        removed_at = utcnow()
        wait_for("削除後 1 スロット経過", lambda: utcnow() > removed_at + timedelta(seconds=2.5))
        assert all(f.fired_at < removed_at for f in fires(db, "s"))
        assert svc.alive()


def test_missed_slots_run_once_when_the_service_comes_back(
    db_url: str, db: Database, tmp_path: Path, core_url: str
) -> None:
    """An hour of a per-minute schedule missed: one run at start, not sixty."""
    renkei(db_url, "schedule", "add", "--id", "m", "-p", PROCEDURE, "--cron", "* * * * *",
           "--on-closed-days")  # fmt: skip
    hour_ago = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    with db.session() as s:
        row = s.get(ScheduleRow, "m")
        assert row is not None
        row.active_since = row.last_slot = hour_ago

    with service(db_url, tmp_path, core_url, script=True) as svc:  # python scheduler.py
        # the first fire catches up; when a minute boundary passes while it runs, the
        # next regular slot may fire (and finish) too, which is not a missed one
        fire = min(wait_for("再開時の 1 回", lambda: done(db, "m")), key=lambda f: f.slot)
        assert fire.ended_at is not None
        ended = fire.ended_at
        wait_for("次の確認", lambda: utcnow() > ended + timedelta(seconds=2.5))
        missed = [f for f in fires(db, "m") if f.slot <= fire.slot]
        assert svc.alive()

    assert [f.id for f in missed] == [fire.id]  # one fire for the missed hour, not sixty
    # the latest slot passed when the service looked (not the first missed one)
    assert fire.fired_at - timedelta(minutes=1, seconds=1) < fire.slot <= fire.fired_at
    assert fire.slot > hour_ago + timedelta(minutes=59)
    assert fire.outcome == "ran" and fire.run_id in runs(db)
    with db.session() as s:
        row = s.get(ScheduleRow, "m")
        assert row is not None and row.last_slot is not None and row.last_slot >= fire.slot


def test_a_service_killed_mid_run_leaves_its_fire_interrupted_not_running(
    db_url: str, db: Database, tmp_path: Path, core: Any
) -> None:
    """SIGKILL while a fired run is keying: the next service on this machine records that
    fire as interrupted, and a manual run right after (no waiting out the run lock or the
    leases of the dead process) keys every application exactly once."""
    seed(db, 3, core.url, problems=False)
    core.set_faults(latency_ms=700)  # a run that lasts long enough to be killed in
    renkei(db_url, "schedule", "add", "--id", "k", "-p", PROCEDURE, "--cron", "0 3 1 1 *")
    killed = _start(db_url, tmp_path / "a", core.url, False, {})
    try:
        wait_for("開始", lambda: "スケジューラを開始しました" in killed.text())
        renkei(db_url, "schedule", "run-now", "k")
        wait_for("実行中", lambda: [f for f in fires(db, "k") if f.outcome == "running"])
        wait_for("最初の申請の処理", lambda: _statuses(db) & {"claimed", "keying", "keyed"})
    finally:
        killed.proc.kill()
        killed.proc.wait(timeout=30)
    core.set_faults(latency_ms=0)

    with service(db_url, tmp_path / "b", core.url):
        [fire] = wait_for("中断の記録", lambda: done(db, "k", "interrupted"))
    assert "停止しました" in (fire.reason or "")
    listed = renkei(db_url, "schedule", "list")
    assert "interrupted" in listed or "中断" in listed

    # the killed service's run lock and claims are free at once: its process is gone
    ran = CliRunner().invoke(cli, ["--db", db_url, "--core-url", core.url, "run"],
                             env={"RENKEI_OUT": str(tmp_path / "runs")})  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert _statuses(db) == {Status.KEYED.value}
    for i in range(3):
        assert len(core.records_for(application_id(i))) == 1  # never twice


def _statuses(db: Database) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(ApplicationRow.status)).all())
