"""One contract for the work queue, the run lock and the licence slots, run on every backend.

Each test runs against SQLite (a new file) and PostgreSQL (a real server on 127.0.0.1, see
``pg.py``; its tables emptied before each test), as APScheduler 4 tests its data stores.
What must hold on both: oldest first, one holder per application, an expired lease comes back
(verified first if register may have been pressed), outcomes written only by the holder,
every attempt recorded, and — with several processes racing — never twice, never lost.

Lease expiry is simulated by moving ``acquired_until`` into the past, never by waiting.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)
from sqlalchemy import event, func, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from bots.clock import utcnow
from bots.contracts import Outcome, OutcomeKind, Status
from bots.errors import LeaseLost
from bots.queue import SessionSlots
from bots.queue.db import Database, engine_url
from bots.queue.schema import ApplicationRow, AttemptRow, Base, CoreSessionRow, RunLockRow
from bots.queue.sql import LEASE_LOST, MAX_ATTEMPTS, RunLock, SqlWorkQueue, claim_candidate

LEASE = timedelta(minutes=10)
BASE = datetime(2026, 11, 20, 9, 0)
PROCEDURE = "jidou_teate_nintei"
BACKENDS = ["sqlite", "postgresql"]


def _fresh(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        # in memory-backed /dev/shm when there is one: these tests are about behaviour,
        # and a commit there costs no disk flush (the PostgreSQL server runs fsync=off)
        shm = Path("/dev/shm")
        folder = Path(tempfile.mkdtemp(dir=shm)) if os.access(shm, os.W_OK) else tmp_path
        database = Database(f"sqlite:///{folder / 'management.db'}")
        yield database
        database.dispose()
        if folder != tmp_path:
            shutil.rmtree(folder, ignore_errors=True)
        return
    database = Database(request.getfixturevalue("pg_url"))
    with database.engine.begin() as conn:  # empty, as a new database would be
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> str:
    """One database on the session's server (``postgres_server``), emptied before each test."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database("contract")


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty management database on each backend."""
    yield from _fresh(request.param, request, tmp_path)


@pytest.fixture
def pg_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh PostgreSQL management database, for what only PostgreSQL has."""
    yield from _fresh("postgresql", request, tmp_path)


@pytest.fixture
def queue(db: Database) -> SqlWorkQueue:
    return SqlWorkQueue(db, run_id="run-1")


def add(
    db: Database,
    app_id: str,
    *,
    minutes: int = 0,
    procedure: str = PROCEDURE,
    status: Status = Status.RESOLVED,
    attempts: int = 0,
    data: dict[str, Any] | None = None,
) -> None:
    with db.session() as s:
        s.add(
            ApplicationRow(
                id=app_id,
                procedure=procedure,
                received_at=BASE + timedelta(minutes=minutes),
                status=status.value,
                atena_no="000123",
                data=data if data is not None else {"applicant": {"kana": "ヤマダ タロウ"}},
                attempts=attempts,
                needs_verification=False,
            )
        )


def add_many(db: Database, n: int) -> None:
    with db.session() as s:
        s.add_all(
            ApplicationRow(
                id=f"A-{i:04d}",
                procedure=PROCEDURE,
                received_at=BASE + timedelta(seconds=i),
                status=Status.RESOLVED.value,
                atena_no="000123",
                data={"i": i},
                attempts=0,
                needs_verification=False,
            )
            for i in range(n)
        )


def row(db: Database, app_id: str) -> ApplicationRow:
    with db.session() as s:
        found = s.get(ApplicationRow, app_id)
        assert found is not None
        return found


def attempts_of(db: Database, app_id: str) -> list[AttemptRow]:
    with db.session() as s:
        return list(
            s.scalars(
                select(AttemptRow)
                .where(AttemptRow.application_id == app_id)
                .order_by(AttemptRow.id)
            )
        )


def expire_lease(db: Database, app_id: str | None = None) -> None:
    with db.session() as s:
        stmt = update(ApplicationRow).values(acquired_until=utcnow() - timedelta(minutes=1))
        if app_id is not None:
            stmt = stmt.where(ApplicationRow.id == app_id)
        s.execute(stmt.where(ApplicationRow.acquired_until.is_not(None)))


def claim(queue: SqlWorkQueue, runner: str = "runner-1", lease: timedelta = LEASE) -> Any:
    return queue.claim(runner, procedure=None, lease=lease)


# --- the database itself ---------------------------------------------------------------


def test_plain_postgresql_urls_use_the_psycopg_driver() -> None:
    assert (
        engine_url("postgresql://u:p@db:5432/renkei") == "postgresql+psycopg://u:p@db:5432/renkei"
    )
    assert engine_url("postgres://db/renkei") == "postgresql+psycopg://db/renkei"
    assert engine_url("postgresql+psycopg://db/renkei") == "postgresql+psycopg://db/renkei"
    assert engine_url("sqlite:///var/renkei.db") == "sqlite:///var/renkei.db"


def test_times_are_naive_utc_to_the_microsecond(db: Database) -> None:
    when = datetime(2026, 11, 20, 23, 59, 58, 123456)
    add(db, "A")
    with db.session() as s:
        s.execute(update(ApplicationRow).values(retry_at=when))

    stored = row(db, "A")

    assert stored.retry_at == when and stored.retry_at.tzinfo is None
    assert stored.received_at == BASE and stored.received_at.tzinfo is None
    assert abs(utcnow() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)


def test_json_documents_round_trip(db: Database, queue: SqlWorkQueue) -> None:
    data = {
        "applicant": {"name": "山田 太郎", "kana": "ヤマダ タロウ"},
        "children": [{"birth": "令和5年4月1日", "n": 1}, {"birth": None, "n": 2}],
        "flags": {"spouse": True, "income": 1234567.5},
    }
    add(db, "A", data=data)

    taken = claim(queue)

    assert taken.application.data == data
    assert row(db, "A").data == data


def test_postgresql_columns_are_jsonb_and_timestamps_without_time_zone(pg_db: Database) -> None:
    with pg_db.session() as s:
        types = dict(
            s.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = 'applications'"
                )
            ).all()
        )
    assert types["data"] == "jsonb"
    assert types["received_at"] == "timestamp without time zone"
    assert types["acquired_until"] == "timestamp without time zone"


def test_postgresql_times_do_not_depend_on_the_session_time_zone(pg_db: Database) -> None:
    add(pg_db, "A")
    in_tokyo = Database(pg_db.url + "?options=-c%20TimeZone%3DAsia/Tokyo")
    try:
        with in_tokyo.session() as s:
            assert s.scalar(text("SHOW TimeZone")) == "Asia/Tokyo"
            found = s.get(ApplicationRow, "A")
            assert found is not None and found.received_at == BASE
    finally:
        in_tokyo.dispose()


# --- claiming --------------------------------------------------------------------------


def test_claim_takes_the_oldest_received_first(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "B", minutes=5)
    add(db, "A", minutes=10)
    add(db, "C", minutes=1)
    add(db, "D", minutes=5)  # same time as B: by id

    order = []
    while taken := claim(queue):
        order.append(taken.application.id)

    assert order == ["C", "B", "D", "A"]


def test_claim_of_an_empty_queue_is_none(queue: SqlWorkQueue) -> None:
    assert claim(queue) is None


def test_claim_carries_the_application_and_its_lease(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")

    taken = claim(queue)

    assert taken.acquired_by == "runner-1"
    assert taken.application.atena_no == "000123"
    assert taken.application.received_at == BASE
    assert taken.application.attempts == 1
    assert taken.application.needs_verification is False
    stored = row(db, "A")
    assert stored.status == Status.CLAIMED.value
    assert stored.acquired_by == "runner-1"
    assert stored.acquired_until == taken.acquired_until


def test_a_claimed_application_is_not_claimable_by_another_runner(
    db: Database, queue: SqlWorkQueue
) -> None:
    add(db, "A")
    assert claim(queue, "runner-1") is not None

    assert claim(queue, "runner-2") is None


def test_an_expired_claim_is_taken_over_without_verification(
    db: Database, queue: SqlWorkQueue
) -> None:
    add(db, "A")
    assert claim(queue, "runner-1") is not None
    expire_lease(db, "A")

    taken = claim(queue, "runner-2")

    assert taken.application.id == "A"
    assert taken.application.attempts == 2
    assert taken.application.needs_verification is False  # nothing was typed yet
    assert row(db, "A").acquired_by == "runner-2"


def test_an_expired_lease_while_keying_comes_back_needing_verification(
    db: Database, queue: SqlWorkQueue
) -> None:
    add(db, "A")
    first = claim(queue, "runner-1")
    queue.mark_keying(first)
    assert row(db, "A").status == Status.KEYING.value
    assert claim(queue, "runner-2") is None
    expire_lease(db, "A")

    second = claim(queue, "runner-2")

    assert second.application.needs_verification is True
    assert row(db, "A").needs_verification is True
    assert row(db, "A").status == Status.CLAIMED.value


def test_claim_honours_the_procedure_filter(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "K-1", minutes=1, procedure="kaigo_nintei")
    add(db, "J-1", minutes=2)

    taken = queue.claim("runner-1", procedure=PROCEDURE, lease=LEASE)

    assert taken is not None and taken.application.id == "J-1"
    assert queue.claim("runner-1", procedure=PROCEDURE, lease=LEASE) is None
    assert row(db, "K-1").status == Status.RESOLVED.value


def test_only_resolved_applications_are_claimed(db: Database, queue: SqlWorkQueue) -> None:
    for n, status in enumerate(s for s in Status if s is not Status.RESOLVED):
        add(db, f"X-{n}", minutes=n, status=status)

    assert claim(queue) is None


def test_claim_locks_its_candidate_for_update_skip_locked() -> None:
    stmt = claim_candidate(BASE, PROCEDURE)

    on_postgresql = str(stmt.compile(dialect=psycopg_dialect.dialect()))
    on_sqlite = str(stmt.compile(dialect=sqlite.dialect()))

    assert on_postgresql.rstrip().endswith("FOR UPDATE SKIP LOCKED")
    assert (
        "ORDER BY coalesce(applications.retry_at, applications.received_at),"
        " applications.received_at, applications.id" in on_postgresql
    )
    assert "FOR UPDATE" not in on_sqlite  # no row locks: writers are serialised instead


def test_the_claim_sent_to_the_database(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    sent: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert claim(queue) is not None
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    selects = [s for s in sent if s.startswith("SELECT") and "FROM applications" in s]
    assert len(selects) == 1
    if db.dialect == "postgresql":
        assert selects[0].endswith("FOR UPDATE SKIP LOCKED")
    else:
        assert "FOR UPDATE" not in selects[0]


def test_postgresql_claim_skips_a_row_another_transaction_holds(pg_db: Database) -> None:
    add(pg_db, "A", minutes=1)
    add(pg_db, "B", minutes=2)
    # a claim that waited for the lock would fail after 5 s instead of hanging
    queue = SqlWorkQueue(Database(pg_db.url + "?options=-c%20lock_timeout%3D5000"))
    with pg_db.engine.connect() as other:  # another runner, halfway through claiming A
        other.execute(text("SELECT id FROM applications WHERE id = 'A' FOR UPDATE"))
        started = time.monotonic()

        assert claim(queue, "runner-2").application.id == "B"
        assert claim(queue, "runner-2") is None

        assert time.monotonic() - started < 4
        other.rollback()
    assert claim(queue, "runner-2").application.id == "A"
    queue.db.dispose()


# --- outcomes --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [OutcomeKind.KEYED, OutcomeKind.ALREADY_KEYED])
def test_keyed_records_the_receipt(db: Database, queue: SqlWorkQueue, kind: OutcomeKind) -> None:
    add(db, "A")
    taken = claim(queue)
    before = utcnow()

    queue.release(taken, Outcome(kind, receipt_no="R-000123"))

    stored = row(db, "A")
    assert stored.status == Status.KEYED.value
    assert stored.receipt_no == "R-000123"
    assert stored.keyed_at is not None and stored.keyed_at >= before
    assert stored.acquired_by is None and stored.acquired_until is None
    assert claim(queue, "runner-2") is None


def test_needs_review_records_reason_and_core_message(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    taken = claim(queue)

    queue.release(
        taken,
        Outcome(
            OutcomeKind.NEEDS_REVIEW,
            reason="基幹システムが登録を受け付けませんでした",
            core_message="児童の生年月日が不正です",
        ),
    )

    stored = row(db, "A")
    assert stored.status == Status.NEEDS_REVIEW.value
    assert stored.reason == "基幹システムが登録を受け付けませんでした"
    assert stored.core_message == "児童の生年月日が不正です"
    assert stored.receipt_no is None and stored.keyed_at is None
    assert claim(queue, "runner-2") is None


def test_retry_waits_until_retry_at(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    taken = claim(queue)
    retry_at = utcnow() + timedelta(minutes=5)

    queue.release(taken, Outcome(OutcomeKind.RETRY, reason="タイムアウト", retry_at=retry_at))

    stored = row(db, "A")
    assert stored.status == Status.RESOLVED.value
    assert stored.reason == "タイムアウト"
    assert stored.retry_at == retry_at
    assert claim(queue) is None
    with db.session() as s:  # the five minutes pass
        s.execute(update(ApplicationRow).values(retry_at=utcnow() - timedelta(seconds=1)))
    again = claim(queue)
    assert again is not None and again.application.attempts == 2


def test_retry_at_the_last_attempt_goes_to_review_with_the_history(
    db: Database, queue: SqlWorkQueue
) -> None:
    add(db, "A")
    for _ in range(MAX_ATTEMPTS - 1):
        queue.release(claim(queue), Outcome(OutcomeKind.RETRY, reason="タイムアウト"))
    taken = claim(queue)
    assert taken.application.attempts == MAX_ATTEMPTS

    written = queue.release(taken, Outcome(OutcomeKind.RETRY, reason="HTTP 503"))

    stored = row(db, "A")
    assert stored.status == Status.NEEDS_REVIEW.value
    assert written.kind is OutcomeKind.NEEDS_REVIEW and written.reason == stored.reason
    assert stored.reason is not None
    assert stored.reason.startswith(f"{MAX_ATTEMPTS}回試行しても連携できませんでした: ")
    history = stored.reason.split(": ", 1)[1].split("; ")
    assert len(history) == MAX_ATTEMPTS
    assert all("一時的なエラー（タイムアウト）" in h for h in history[:-1])
    assert "一時的なエラー（HTTP 503）" in history[-1]
    assert claim(queue) is None


def test_retries_until_max_attempts(db: Database) -> None:
    queue = SqlWorkQueue(db, max_attempts=2)
    add(db, "A")

    for _ in range(2):
        queue.release(claim(queue), Outcome(OutcomeKind.RETRY, reason="HTTP 503"))

    assert row(db, "A").status == Status.NEEDS_REVIEW.value
    assert [a.outcome for a in attempts_of(db, "A")] == ["retry", "retry"]


def test_every_outcome_but_an_interrupt_counts_as_an_attempt(db: Database) -> None:
    queue = SqlWorkQueue(db, max_attempts=3)
    add(db, "A")

    queue.release(claim(queue), Outcome(OutcomeKind.STOPPED, reason="画面が想定と異なります"))
    queue.release(claim(queue), Outcome(OutcomeKind.INTERRUPTED, reason="実行が中断されました"))
    assert row(db, "A").attempts == 1  # the run was stopped: not the application's attempt
    queue.release(claim(queue), Outcome(OutcomeKind.RETRY, reason="HTTP 503"))
    queue.release(claim(queue), Outcome(OutcomeKind.STOPPED, reason="ログインできません"))

    stored = row(db, "A")
    assert stored.status == Status.NEEDS_REVIEW.value
    assert [a.outcome for a in attempts_of(db, "A")] == [
        "stopped",
        "interrupted",
        "retry",
        "stopped",
    ]
    assert stored.reason is not None and stored.reason.startswith("3回試行しても")
    assert "停止（画面が想定と異なります）" in stored.reason
    assert "中断（実行が中断されました）" in stored.reason


def test_the_core_system_being_unavailable_never_uses_up_an_attempt(db: Database) -> None:
    """A week of nightly-batch 503s must not send the queue to 要確認: not the application's
    fault, so the attempt is recorded but not counted."""
    queue = SqlWorkQueue(db, max_attempts=2)
    add(db, "A")

    for _ in range(4):
        down = Outcome(OutcomeKind.RETRY, reason="HTTP 503（夜間バッチ）", counts=False)
        queue.release(claim(queue), down)

    stored = row(db, "A")
    assert stored.status == Status.RESOLVED.value and stored.attempts == 0
    assert [a.outcome for a in attempts_of(db, "A")] == ["retry"] * 4
    queue.release(claim(queue), Outcome(OutcomeKind.RETRY, reason="HTTP 500"))
    queue.release(claim(queue), Outcome(OutcomeKind.RETRY, reason="HTTP 500"))
    assert row(db, "A").status == Status.NEEDS_REVIEW.value


def test_the_history_shows_japan_time(db: Database) -> None:
    queue = SqlWorkQueue(db, max_attempts=1)
    add(db, "A")
    taken = claim(queue)
    with db.session() as s:  # the attempt began 2026-12-01 09:00 UTC = 18:00 in Japan
        s.execute(update(AttemptRow).values(started_at=datetime(2026, 12, 1, 9, 0)))

    queue.release(taken, Outcome(OutcomeKind.STOPPED, reason="画面停止"))

    assert row(db, "A").reason == "1回試行しても連携できませんでした: 12/01 18:00 停止（画面停止）"


def test_a_re_queued_application_goes_behind_those_that_waited(
    db: Database, queue: SqlWorkQueue
) -> None:
    add(db, "OLD", minutes=0)
    first = claim(queue)
    assert first.application.id == "OLD"
    add(db, "B", minutes=5)  # received after OLD, before OLD was tried
    add(db, "C", minutes=10)

    queue.release(first, Outcome(OutcomeKind.STOPPED, reason="画面停止"))  # due at once
    order = []
    while taken := claim(queue):
        order.append(taken.application.id)
        queue.release(taken, Outcome(OutcomeKind.KEYED, receipt_no=f"R-{taken.application.id}"))

    assert order == ["B", "C", "OLD"]


def test_a_claim_that_never_ended_goes_behind_those_that_waited(
    db: Database, queue: SqlWorkQueue
) -> None:
    add(db, "CRASH", minutes=0)
    assert claim(queue, "runner-dead").application.id == "CRASH"
    add(db, "B", minutes=5)
    expire_lease(db, "CRASH")  # its runner died

    assert claim(queue, "runner-2").application.id == "B"
    assert claim(queue, "runner-2").application.id == "CRASH"


def test_an_abandoned_application_out_of_attempts_goes_to_review(db: Database) -> None:
    queue = SqlWorkQueue(db, max_attempts=2)
    add(db, "A")
    for _ in range(2):  # claimed, and the runner died each time
        assert claim(queue, "runner-dead").application.id == "A"
        expire_lease(db, "A")
    assert claim(queue, "runner-2") is None  # never a third time

    assert queue.reap() == 1

    stored = row(db, "A")
    assert stored.status == Status.NEEDS_REVIEW.value
    assert stored.acquired_by is None and stored.acquired_until is None
    assert stored.reason is not None and stored.reason.startswith("2回試行しても")
    assert stored.reason.count("中断（実行者が応答しなくなりました") == 2
    assert claim(queue, "runner-2") is None


def test_stopped_goes_back_to_the_queue(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    taken = claim(queue)

    queue.release(taken, Outcome(OutcomeKind.STOPPED, reason="画面が想定と異なります"))

    stored = row(db, "A")
    assert stored.status == Status.RESOLVED.value
    assert stored.reason == "画面が想定と異なります"
    assert stored.acquired_by is None
    assert claim(queue, "runner-2") is not None


def test_a_runner_that_lost_its_lease_writes_nothing(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    lost = claim(queue, "runner-1")
    expire_lease(db, "A")
    taken = claim(queue, "runner-2")
    before = row(db, "A")

    with pytest.raises(LeaseLost):
        queue.release(lost, Outcome(OutcomeKind.KEYED, receipt_no="R-1"))
    with pytest.raises(LeaseLost):
        queue.mark_keying(lost)
    with pytest.raises(LeaseLost):
        queue.extend(lost, LEASE)

    after = row(db, "A")
    assert after.status == Status.CLAIMED.value
    assert after.acquired_by == "runner-2"
    assert after.acquired_until == before.acquired_until
    assert after.receipt_no is None and after.keyed_at is None
    first = attempts_of(db, "A")[0]
    assert (first.runner, first.outcome) == ("runner-1", LEASE_LOST)  # never "keyed"
    assert first.reason is not None and "keyed" in first.reason
    queue.release(taken, Outcome(OutcomeKind.KEYED, receipt_no="R-2"))
    assert row(db, "A").receipt_no == "R-2"


def test_extend_pushes_the_lease(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    taken = claim(queue)
    expire_lease(db, "A")

    extended = queue.extend(taken, LEASE)

    assert extended.acquired_until > utcnow()
    assert row(db, "A").acquired_until == extended.acquired_until
    assert claim(queue, "runner-2") is None


def test_one_attempt_row_per_claim_with_its_outcome(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "A")
    first = claim(queue, "runner-1")
    queue.release(first, Outcome(OutcomeKind.RETRY, reason="HTTP 503"))
    second = claim(queue, "runner-2")
    queue.release(second, Outcome(OutcomeKind.KEYED, receipt_no="R-1"))

    attempts = attempts_of(db, "A")

    assert [(a.runner, a.outcome, a.reason) for a in attempts] == [
        ("runner-1", "retry", "HTTP 503"),
        ("runner-2", "keyed", None),
    ]
    assert all(a.run_id == "run-1" for a in attempts)
    assert all(a.ended_at is not None and a.ended_at >= a.started_at for a in attempts)
    assert attempts[0].ended_at is not None and attempts[0].ended_at <= attempts[1].started_at
    assert [a.id for a in attempts] == [first.attempt_id, second.attempt_id]
    assert row(db, "A").attempts == 2


# --- reaping and counting --------------------------------------------------------------


def test_reap_returns_expired_claims_to_the_queue(db: Database, queue: SqlWorkQueue) -> None:
    names = ["claimed-expired", "keying-expired", "claimed-live"]
    for minutes, app_id in enumerate(names):
        add(db, app_id, minutes=minutes)
    claims = [claim(queue) for _ in names]
    assert [c.application.id for c in claims] == names
    queue.mark_keying(claims[1])
    expire_lease(db, "claimed-expired")
    expire_lease(db, "keying-expired")

    assert queue.reap() == 2

    assert row(db, "claimed-expired").status == Status.RESOLVED.value
    assert row(db, "claimed-expired").needs_verification is False
    assert row(db, "keying-expired").status == Status.RESOLVED.value
    assert row(db, "keying-expired").needs_verification is True
    assert row(db, "keying-expired").acquired_by is None
    assert row(db, "claimed-live").status == Status.CLAIMED.value
    assert queue.reap() == 0
    assert queue.reap(utcnow() + LEASE + timedelta(minutes=1)) == 1


def test_counts_per_status_including_zeros(db: Database, queue: SqlWorkQueue) -> None:
    add(db, "J-1")
    add(db, "J-2")
    add(db, "J-3", status=Status.NEEDS_REVIEW)
    add(db, "K-1", procedure="kaigo_nintei")
    taken = queue.claim("runner-1", procedure=PROCEDURE, lease=LEASE)
    assert taken is not None
    queue.release(taken, Outcome(OutcomeKind.KEYED, receipt_no="R-1"))

    everything = queue.counts()
    jidou = queue.counts(PROCEDURE)

    assert everything == {s: 0 for s in Status} | {
        Status.RESOLVED: 2,
        Status.KEYED: 1,
        Status.NEEDS_REVIEW: 1,
    }
    assert jidou == {s: 0 for s in Status} | {
        Status.RESOLVED: 1,
        Status.KEYED: 1,
        Status.NEEDS_REVIEW: 1,
    }
    assert queue.counts("nothing_here") == {s: 0 for s in Status}


def run_all(workers: list[BaseProcess], timeout: float = 180) -> list[int | None]:
    """Start the processes together, wait for them, kill any still running at the end."""
    for w in workers:
        w.start()
    deadline = time.monotonic() + timeout
    try:
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
                w.join()
    return [w.exitcode for w in workers]


# --- a runner that dies ----------------------------------------------------------------


def _claim_three_and_die(url: str) -> None:
    """Child process: claim three applications, press register on one, die."""
    queue = SqlWorkQueue(Database(url), run_id="run-dead")
    claims = [queue.claim("runner-dead", procedure=None, lease=LEASE) for _ in range(3)]
    assert all(claims)
    queue.mark_keying(claims[1])
    os._exit(3)  # no release, no clean-up, connections dropped


def test_a_runner_that_dies_releases_nothing_it_did_not_finish(
    db: Database, queue: SqlWorkQueue
) -> None:
    for n, app_id in enumerate(["A", "B", "C", "D"]):
        add(db, app_id, minutes=n)
    child = multiprocessing.get_context("spawn").Process(
        target=_claim_three_and_die, args=(db.url,)
    )
    assert run_all([child]) == [3]

    assert [row(db, a).status for a in "ABC"] == ["claimed", "keying", "claimed"]
    assert {row(db, a).acquired_by for a in "ABC"} == {"runner-dead"}
    assert all(a.ended_at is None for x in "ABC" for a in attempts_of(db, x))
    alive = claim(queue, "runner-2")
    assert alive.application.id == "D"
    assert claim(queue, "runner-2") is None  # held until the lease ends
    queue.release(alive, Outcome(OutcomeKind.KEYED, receipt_no="R-D"))
    expire_lease(db)  # ... and now it has

    back = {c.application.id: c for c in iter(lambda: claim(queue, "runner-2"), None)}

    assert sorted(back) == ["A", "B", "C"]
    assert {k: c.application.needs_verification for k, c in back.items()} == {
        "A": False,
        "B": True,  # register may have been pressed: look it up before typing
        "C": False,
    }


def _claim_two_as_this_machine_and_die(url: str) -> None:
    """Child process: claim two under its real runner name (host:pid), key one, die."""
    from bots.engine.runner import runner_name

    queue = SqlWorkQueue(Database(url), run_id="run-killed")
    claims = [queue.claim(runner_name(), procedure=None, lease=LEASE) for _ in range(2)]
    assert all(claims)
    queue.mark_keying(claims[1])
    os._exit(9)


def test_claims_of_a_killed_runner_of_this_machine_come_back_without_waiting(
    db: Database, queue: SqlWorkQueue
) -> None:
    """A runner killed on this machine: its process is gone, so the next run's reap takes
    its applications back at once instead of after the lease (minutes)."""
    for n, app_id in enumerate(["A", "B"]):
        add(db, app_id, minutes=n)
    child = multiprocessing.get_context("spawn").Process(
        target=_claim_two_as_this_machine_and_die, args=(db.url,)
    )
    assert run_all([child]) == [9]
    assert claim(queue, "runner-2") is None  # held: the lease has not ended

    assert queue.reap() == 2

    back = {c.application.id: c for c in iter(lambda: claim(queue, "runner-2"), None)}
    assert {k: c.application.needs_verification for k, c in back.items()} == {
        "A": False,
        "B": True,  # it may have pressed 登録: looked up before typing
    }


# --- many processes at once: never twice, never lost ----------------------------------

RETRY_EVERY = 8  # every eighth application fails once (HTTP 503) and is retried


def _key_until_empty(url: str, runner: str, start: Barrier) -> None:
    """Child process: claim and release as fast as possible until nothing is left."""
    db = Database(url)
    queue = SqlWorkQueue(db, run_id=f"run-{runner}")
    start.wait()
    while taken := queue.claim(runner, procedure=None, lease=LEASE):
        app = taken.application
        if app.attempts == 1 and int(app.id.removeprefix("A-")) % RETRY_EVERY == 0:
            queue.release(taken, Outcome(OutcomeKind.RETRY, reason="HTTP 503"))
        else:
            queue.release(taken, Outcome(OutcomeKind.KEYED, receipt_no=f"R-{app.id}"))
    db.dispose()


def test_concurrent_runners_never_hold_an_application_twice(db: Database) -> None:
    n, processes = 400, 4 if db.dialect == "postgresql" else 2
    add_many(db, n)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(processes)
    runners = [f"runner-{k}" for k in range(processes)]
    workers = [ctx.Process(target=_key_until_empty, args=(db.url, r, start)) for r in runners]
    exit_codes = run_all(workers)

    assert exit_codes == [0] * processes
    with db.session() as s:
        apps = list(s.scalars(select(ApplicationRow)))
        attempts = list(s.scalars(select(AttemptRow).order_by(AttemptRow.started_at)))
    retried = {f"A-{i:04d}" for i in range(0, n, RETRY_EVERY)}
    assert {a.status for a in apps} == {Status.KEYED.value}
    assert all(a.receipt_no == f"R-{a.id}" for a in apps)
    assert {a.id: a.attempts for a in apps} == {a.id: 2 if a.id in retried else 1 for a in apps}
    assert len(attempts) == n + len(retried)
    assert {a.runner for a in attempts} == set(runners)  # all of them really worked
    per_app: dict[str, list[AttemptRow]] = {}
    for a in attempts:
        assert a.ended_at is not None and a.started_at <= a.ended_at
        per_app.setdefault(a.application_id, []).append(a)
    assert len(per_app) == n
    for app_id, held in per_app.items():
        assert [a.outcome for a in held].count("keyed") == 1, app_id
        for earlier, later in itertools.pairwise(held):  # one holder at a time
            assert earlier.ended_at is not None and earlier.ended_at <= later.started_at, app_id


# --- the run lock ----------------------------------------------------------------------


def lock(db: Database, holder: str) -> RunLock:
    return RunLock(db, "run:jidou_teate_nintei", holder, timedelta(hours=2))


def test_run_lock_excludes_a_second_holder(db: Database) -> None:
    first, second = lock(db, "host-a:1"), lock(db, "host-b:2")

    assert first.acquire() is True
    assert second.acquire() is False
    assert first.acquire() is True  # the holder again: renewed
    assert second.holder_now() == "host-a:1"


def test_run_lock_is_free_after_the_lease_expires(db: Database) -> None:
    first, second = lock(db, "host-a:1"), lock(db, "host-b:2")
    assert first.acquire()
    with db.session() as s:  # host-a died two hours ago
        s.execute(update(RunLockRow).values(acquired_until=utcnow() - timedelta(seconds=1)))

    assert first.holder_now() is None
    assert second.acquire() is True
    assert second.holder_now() == "host-b:2"


def test_run_lock_release_frees_it(db: Database) -> None:
    first, second = lock(db, "host-a:1"), lock(db, "host-b:2")
    assert first.acquire()

    second.release()  # not the holder: no effect
    assert second.acquire() is False
    first.release()

    assert first.holder_now() is None
    assert second.acquire() is True


def test_run_locks_of_different_names_are_independent(db: Database) -> None:
    assert lock(db, "host-a:1").acquire()

    assert RunLock(db, "run:*", "host-b:2", timedelta(hours=2)).acquire() is True


# --- licence slots (同時接続ライセンス) --------------------------------------------------

SYSTEM = "kosodate"
LIMIT = 2


def expire_slots(db: Database) -> None:
    with db.session() as s:
        s.execute(
            update(CoreSessionRow)
            .where(CoreSessionRow.holder.is_not(None))
            .values(acquired_until=utcnow() - timedelta(seconds=1))
        )


def test_slots_stop_at_the_limit(db: Database) -> None:
    slots = SessionSlots(db)

    got = [slots.acquire(SYSTEM, h, LEASE, LIMIT) for h in ("r-1", "r-2", "r-3")]

    assert got == [1, 2, None]
    assert slots.holders(SYSTEM) == {1: "r-1", 2: "r-2"}


def test_a_released_slot_is_taken_by_the_next_holder(db: Database) -> None:
    slots = SessionSlots(db)
    assert slots.acquire(SYSTEM, "r-1", LEASE, LIMIT) == 1
    assert slots.acquire(SYSTEM, "r-2", LEASE, LIMIT) == 2

    assert slots.release(SYSTEM, 1, "r-2") is False  # not its slot: nothing happens
    assert slots.acquire(SYSTEM, "r-3", LEASE, LIMIT) is None
    assert slots.release(SYSTEM, 1, "r-1") is True

    assert slots.acquire(SYSTEM, "r-3", LEASE, LIMIT) == 1
    assert slots.holders(SYSTEM) == {1: "r-3", 2: "r-2"}


def test_an_expired_holder_frees_its_slot(db: Database) -> None:
    slots = SessionSlots(db)
    assert slots.acquire(SYSTEM, "r-1", LEASE, LIMIT) == 1
    assert slots.acquire(SYSTEM, "r-2", LEASE, LIMIT) == 2
    expire_slots(db)  # both runners died

    assert slots.holders(SYSTEM) == {}
    assert slots.acquire(SYSTEM, "r-3", LEASE, LIMIT) == 1
    with pytest.raises(LeaseLost):
        slots.extend(SYSTEM, 1, "r-1", LEASE)
    assert slots.release(SYSTEM, 1, "r-1") is False
    assert slots.holders(SYSTEM) == {1: "r-3"}


def test_a_holder_asking_again_keeps_its_slot(db: Database) -> None:
    slots = SessionSlots(db)
    assert slots.acquire(SYSTEM, "r-1", timedelta(seconds=30), LIMIT) == 1
    expire_slots(db)

    assert slots.acquire(SYSTEM, "r-2", LEASE, LIMIT) == 1  # free again: taken
    assert slots.acquire(SYSTEM, "r-2", LEASE, LIMIT) == 1  # and asked again: the same one
    assert slots.acquire(SYSTEM, "r-1", LEASE, LIMIT) == 2
    until = slots.extend(SYSTEM, 2, "r-1", LEASE)
    assert until > utcnow() + LEASE - timedelta(minutes=1)


def test_slots_of_each_system_are_counted_apart(db: Database) -> None:
    slots = SessionSlots(db)
    assert slots.acquire(SYSTEM, "r-1", LEASE, 1) == 1

    assert slots.acquire("kaigo", "r-2", LEASE, 1) == 1
    assert slots.acquire(SYSTEM, "r-2", LEASE, 1) is None
    with pytest.raises(ValueError):
        slots.acquire(SYSTEM, "r-2", LEASE, 0)


def test_a_lower_limit_hands_out_no_slot_above_it(db: Database) -> None:
    slots = SessionSlots(db)
    assert [slots.acquire(SYSTEM, h, LEASE, 3) for h in ("r-1", "r-2", "r-3")] == [1, 2, 3]
    assert slots.release(SYSTEM, 3, "r-3")

    assert slots.acquire(SYSTEM, "r-4", LEASE, LIMIT) is None
    assert slots.release(SYSTEM, 2, "r-2")
    assert slots.acquire(SYSTEM, "r-4", LEASE, LIMIT) == 2


def _hold_and_give_back(url: str, holder: str, rounds: int, out: str, start: Barrier) -> None:
    """Child process: take a slot, use it a moment, give it back; record when it was held."""
    db = Database(url)
    slots = SessionSlots(db)
    held, refused = [], 0
    start.wait()
    for _ in range(rounds):
        slot = slots.acquire(SYSTEM, holder, LEASE, LIMIT)
        if slot is None:
            refused += 1
            time.sleep(0.001)
            continue
        since = time.monotonic_ns()  # after the slot is ours ...
        time.sleep(0.003)  # ... logged in, keying ...
        until = time.monotonic_ns()  # ... and before we give it back
        assert slots.release(SYSTEM, slot, holder)
        held.append((slot, since, until))
    Path(out).write_text(json.dumps({"held": held, "refused": refused}))
    db.dispose()


def test_concurrent_holders_never_exceed_the_limit(db: Database, tmp_path: Path) -> None:
    processes, rounds = 3, 30
    SessionSlots(db).acquire(SYSTEM, "warm-up", LEASE, LIMIT)  # rows exist; then give it back
    SessionSlots(db).release(SYSTEM, 1, "warm-up")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(processes)
    outs = [tmp_path / f"holder-{k}.json" for k in range(processes)]
    workers = [
        ctx.Process(
            target=_hold_and_give_back, args=(db.url, f"holder-{k}", rounds, str(out), start)
        )
        for k, out in enumerate(outs)
    ]
    exit_codes = run_all(workers)

    assert exit_codes == [0] * processes
    results = [json.loads(out.read_text()) for out in outs]
    intervals = [(slot, since, until) for r in results for slot, since, until in r["held"]]
    assert all(r["held"] for r in results)  # every holder got a turn
    assert sum(r["refused"] for r in results) > 0  # and the limit was reached
    # sweep the intervals: a release before an acquisition at the same instant
    events = sorted([(since, 1) for _, since, _ in intervals] + [(u, -1) for *_, u in intervals])
    in_use = peak = 0
    for _, delta in events:
        in_use += delta
        peak = max(peak, in_use)
    assert peak <= LIMIT
    for slot in {s for s, *_ in intervals}:  # and one holder per slot at a time
        mine = sorted((since, until) for s, since, until in intervals if s == slot)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(mine))
    assert SessionSlots(db).holders(SYSTEM) == {}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(CoreSessionRow)) == LIMIT
