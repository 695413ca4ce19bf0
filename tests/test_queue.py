"""The work queue and the run lock on a real SQLite management database.

Applications are inserted as rows, as the management system would; lease expiry is
simulated with a negative lease or by moving ``acquired_until`` into the past, never by
waiting.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bots.contracts import Outcome, OutcomeKind, Status
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow, RunLockRow
from bots.queue.sql import MAX_ATTEMPTS, LeaseLost, RunLock, SqlWorkQueue, utcnow

LEASE = timedelta(minutes=10)
EXPIRED = timedelta(seconds=-1)
BASE = datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    yield db
    db.dispose()


@pytest.fixture
def queue(database: Database) -> SqlWorkQueue:
    return SqlWorkQueue(database, run_id="run-1")


def add(
    db: Database,
    app_id: str,
    *,
    minutes: int = 0,
    procedure: str = "jidou_teate_nintei",
    status: Status = Status.RESOLVED,
    attempts: int = 0,
) -> None:
    with db.session() as s:
        s.add(
            ApplicationRow(
                id=app_id,
                procedure=procedure,
                received_at=BASE + timedelta(minutes=minutes),
                status=status.value,
                atena_no="000123",
                data={"applicant": {"kana": "ヤマダ タロウ"}},
                attempts=attempts,
                needs_verification=False,
            )
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


def expire_lease(db: Database, app_id: str) -> None:
    with db.session() as s:
        s.execute(
            update(ApplicationRow)
            .where(ApplicationRow.id == app_id)
            .values(acquired_until=utcnow() - timedelta(minutes=1))
        )


# --- claiming -------------------------------------------------------------------------


def test_claim_takes_the_oldest_received_first(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "B", minutes=5)
    add(database, "A", minutes=10)
    add(database, "C", minutes=1)

    order = []
    while claim := queue.claim("runner-1", procedure=None, lease=LEASE):
        order.append(claim.application.id)

    assert order == ["C", "B", "A"]


def test_claim_of_an_empty_queue_is_none(queue: SqlWorkQueue) -> None:
    assert queue.claim("runner-1", procedure=None, lease=LEASE) is None


def test_claim_carries_the_application(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "A")

    claim = queue.claim("runner-1", procedure=None, lease=LEASE)

    assert claim is not None
    assert claim.acquired_by == "runner-1"
    assert claim.application.atena_no == "000123"
    assert claim.application.data == {"applicant": {"kana": "ヤマダ タロウ"}}
    assert claim.application.attempts == 1
    assert claim.application.needs_verification is False
    stored = row(database, "A")
    assert stored.status == Status.CLAIMED.value
    assert stored.acquired_by == "runner-1"
    assert stored.acquired_until == claim.acquired_until


def test_claimed_item_is_not_claimable_by_another_runner(
    database: Database, queue: SqlWorkQueue
) -> None:
    add(database, "A")
    assert queue.claim("runner-1", procedure=None, lease=LEASE) is not None

    assert queue.claim("runner-2", procedure=None, lease=LEASE) is None


def test_expired_claim_is_taken_over_without_verification(
    database: Database, queue: SqlWorkQueue
) -> None:
    add(database, "A")
    queue.claim("runner-1", procedure=None, lease=EXPIRED)

    claim = queue.claim("runner-2", procedure=None, lease=LEASE)

    assert claim is not None
    assert claim.application.id == "A"
    assert claim.application.attempts == 2
    assert claim.application.needs_verification is False  # nothing was typed yet
    assert row(database, "A").acquired_by == "runner-2"


def test_expired_lease_while_keying_comes_back_needing_verification(
    database: Database, queue: SqlWorkQueue
) -> None:
    add(database, "A")
    first = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert first is not None
    queue.mark_keying(first)
    assert row(database, "A").status == Status.KEYING.value
    assert queue.claim("runner-2", procedure=None, lease=LEASE) is None
    expire_lease(database, "A")

    second = queue.claim("runner-2", procedure=None, lease=LEASE)

    assert second is not None
    assert second.application.needs_verification is True
    assert row(database, "A").needs_verification is True


def test_claim_honours_the_procedure_filter(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "K-1", minutes=1, procedure="kaigo_nintei")
    add(database, "J-1", minutes=2)

    claim = queue.claim("runner-1", procedure="jidou_teate_nintei", lease=LEASE)

    assert claim is not None and claim.application.id == "J-1"
    assert queue.claim("runner-1", procedure="jidou_teate_nintei", lease=LEASE) is None
    assert row(database, "K-1").status == Status.RESOLVED.value


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.RESOLVED])
def test_only_resolved_applications_are_claimed(
    database: Database, queue: SqlWorkQueue, status: Status
) -> None:
    add(database, "A", status=status)

    assert queue.claim("runner-1", procedure=None, lease=LEASE) is None


# --- outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [OutcomeKind.KEYED, OutcomeKind.ALREADY_KEYED])
def test_keyed_records_the_receipt(
    database: Database, queue: SqlWorkQueue, kind: OutcomeKind
) -> None:
    add(database, "A")
    claim = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert claim is not None
    before = utcnow()

    queue.release(claim, Outcome(kind, receipt_no="R-000123"))

    stored = row(database, "A")
    assert stored.status == Status.KEYED.value
    assert stored.receipt_no == "R-000123"
    assert stored.keyed_at is not None and stored.keyed_at >= before
    assert stored.acquired_by is None and stored.acquired_until is None
    assert queue.claim("runner-2", procedure=None, lease=LEASE) is None


def test_needs_review_records_reason_and_core_message(
    database: Database, queue: SqlWorkQueue
) -> None:
    add(database, "A")
    claim = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert claim is not None

    queue.release(
        claim,
        Outcome(
            OutcomeKind.NEEDS_REVIEW,
            reason="基幹システムが登録を受け付けませんでした",
            core_message="児童の生年月日が不正です",
        ),
    )

    stored = row(database, "A")
    assert stored.status == Status.NEEDS_REVIEW.value
    assert stored.reason == "基幹システムが登録を受け付けませんでした"
    assert stored.core_message == "児童の生年月日が不正です"
    assert stored.receipt_no is None and stored.keyed_at is None
    assert queue.claim("runner-2", procedure=None, lease=LEASE) is None


def test_retry_waits_until_retry_at(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "A")
    claim = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert claim is not None
    retry_at = utcnow() + timedelta(minutes=5)

    queue.release(claim, Outcome(OutcomeKind.RETRY, reason="タイムアウト", retry_at=retry_at))

    stored = row(database, "A")
    assert stored.status == Status.RESOLVED.value
    assert stored.reason == "タイムアウト"
    assert stored.retry_at == retry_at
    assert queue.claim("runner-1", procedure=None, lease=LEASE) is None
    with database.session() as s:  # the five minutes pass
        s.execute(update(ApplicationRow).values(retry_at=utcnow() - timedelta(seconds=1)))
    again = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert again is not None and again.application.attempts == 2


def test_retry_at_the_last_attempt_fails(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "A", attempts=MAX_ATTEMPTS - 1)
    claim = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert claim is not None and claim.application.attempts == MAX_ATTEMPTS

    queue.release(claim, Outcome(OutcomeKind.RETRY, reason="タイムアウト"))

    stored = row(database, "A")
    assert stored.status == Status.FAILED.value
    assert stored.reason is not None
    assert f"{MAX_ATTEMPTS}回" in stored.reason and "タイムアウト" in stored.reason
    assert queue.claim("runner-1", procedure=None, lease=LEASE) is None


def test_retries_until_max_attempts(database: Database) -> None:
    queue = SqlWorkQueue(database, max_attempts=2)
    add(database, "A")

    for _ in range(2):
        claim = queue.claim("runner-1", procedure=None, lease=LEASE)
        assert claim is not None
        queue.release(claim, Outcome(OutcomeKind.RETRY, reason="HTTP 503"))

    assert row(database, "A").status == Status.FAILED.value
    assert [a.outcome for a in attempts_of(database, "A")] == ["retry", "retry"]


def test_stopped_goes_back_to_the_queue(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "A")
    claim = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert claim is not None

    queue.release(claim, Outcome(OutcomeKind.STOPPED, reason="画面が想定と異なります"))

    stored = row(database, "A")
    assert stored.status == Status.RESOLVED.value
    assert stored.reason == "画面が想定と異なります"
    assert stored.acquired_by is None
    assert queue.claim("runner-2", procedure=None, lease=LEASE) is not None


def test_release_after_losing_the_lease_raises_and_changes_nothing(
    database: Database, queue: SqlWorkQueue
) -> None:
    add(database, "A")
    lost = queue.claim("runner-1", procedure=None, lease=EXPIRED)
    taken = queue.claim("runner-2", procedure=None, lease=LEASE)
    assert lost is not None and taken is not None
    before = row(database, "A")

    with pytest.raises(LeaseLost):
        queue.release(lost, Outcome(OutcomeKind.KEYED, receipt_no="R-1"))
    with pytest.raises(LeaseLost):
        queue.mark_keying(lost)
    with pytest.raises(LeaseLost):
        queue.extend(lost, LEASE)

    after = row(database, "A")
    assert after.status == Status.CLAIMED.value
    assert after.acquired_by == "runner-2"
    assert after.acquired_until == before.acquired_until
    assert after.receipt_no is None and after.keyed_at is None
    queue.release(taken, Outcome(OutcomeKind.KEYED, receipt_no="R-2"))
    assert row(database, "A").receipt_no == "R-2"


def test_extend_pushes_the_lease(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "A")
    claim = queue.claim("runner-1", procedure=None, lease=EXPIRED)
    assert claim is not None

    extended = queue.extend(claim, LEASE)

    assert extended.acquired_until > utcnow()
    assert row(database, "A").acquired_until == extended.acquired_until
    assert queue.claim("runner-2", procedure=None, lease=LEASE) is None


def test_one_attempt_row_per_claim_with_its_outcome(
    database: Database, queue: SqlWorkQueue
) -> None:
    add(database, "A")
    first = queue.claim("runner-1", procedure=None, lease=LEASE)
    assert first is not None
    queue.release(first, Outcome(OutcomeKind.RETRY, reason="HTTP 503"))
    second = queue.claim("runner-2", procedure=None, lease=LEASE)
    assert second is not None
    queue.release(second, Outcome(OutcomeKind.KEYED, receipt_no="R-1"))

    attempts = attempts_of(database, "A")

    assert [(a.runner, a.outcome, a.reason) for a in attempts] == [
        ("runner-1", "retry", "HTTP 503"),
        ("runner-2", "keyed", None),
    ]
    assert all(a.run_id == "run-1" for a in attempts)
    assert all(a.ended_at is not None and a.ended_at >= a.started_at for a in attempts)
    assert [a.id for a in attempts] == [first.attempt_id, second.attempt_id]
    assert row(database, "A").attempts == 2


# --- reaping and counting -------------------------------------------------------------


def test_reap_returns_expired_claims_to_the_queue(database: Database, queue: SqlWorkQueue) -> None:
    names = ["claimed-expired", "keying-expired", "claimed-live"]
    for minutes, app_id in enumerate(names):
        add(database, app_id, minutes=minutes)
    claims = [queue.claim("runner-1", procedure=None, lease=LEASE) for _ in names]
    assert [c.application.id for c in claims if c] == names
    queue.mark_keying(claims[1])
    expire_lease(database, "claimed-expired")
    expire_lease(database, "keying-expired")

    assert queue.reap() == 2

    assert row(database, "claimed-expired").status == Status.RESOLVED.value
    assert row(database, "claimed-expired").needs_verification is False
    assert row(database, "keying-expired").status == Status.RESOLVED.value
    assert row(database, "keying-expired").needs_verification is True
    assert row(database, "keying-expired").acquired_by is None
    assert row(database, "claimed-live").status == Status.CLAIMED.value
    assert queue.reap() == 0


def test_reap_with_a_later_clock(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "A")
    queue.claim("runner-1", procedure=None, lease=LEASE)

    assert queue.reap(utcnow()) == 0
    assert queue.reap(utcnow() + LEASE + timedelta(minutes=1)) == 1
    assert row(database, "A").status == Status.RESOLVED.value


def test_counts_per_status_including_zeros(database: Database, queue: SqlWorkQueue) -> None:
    add(database, "J-1")
    add(database, "J-2")
    add(database, "J-3", status=Status.NEEDS_REVIEW)
    add(database, "K-1", procedure="kaigo_nintei")
    claim = queue.claim("runner-1", procedure="jidou_teate_nintei", lease=LEASE)
    assert claim is not None
    queue.release(claim, Outcome(OutcomeKind.KEYED, receipt_no="R-1"))

    everything = queue.counts()
    jidou = queue.counts("jidou_teate_nintei")

    assert set(everything) == set(Status)
    assert everything == {s: 0 for s in Status} | {
        Status.RESOLVED: 2,
        Status.KEYED: 1,
        Status.NEEDS_REVIEW: 1,
    }
    assert jidou[Status.RESOLVED] == 1
    assert jidou[Status.KEYED] == 1
    assert jidou[Status.FAILED] == 0
    assert queue.counts("nothing_here") == {s: 0 for s in Status}


# --- the run lock ---------------------------------------------------------------------


def lock(db: Database, holder: str) -> RunLock:
    return RunLock(db, "run:jidou_teate_nintei", holder, timedelta(hours=2))


def test_run_lock_excludes_a_second_holder(database: Database) -> None:
    first, second = lock(database, "host-a:1"), lock(database, "host-b:2")

    assert first.acquire() is True
    assert second.acquire() is False
    assert second.holder_now() == "host-a:1"


def test_run_lock_is_free_after_the_lease_expires(database: Database) -> None:
    first, second = lock(database, "host-a:1"), lock(database, "host-b:2")
    assert first.acquire()
    with database.session() as s:  # host-a died two hours ago
        s.execute(update(RunLockRow).values(acquired_until=utcnow() - timedelta(seconds=1)))

    assert first.holder_now() is None
    assert second.acquire() is True
    assert second.holder_now() == "host-b:2"


def test_run_lock_release_frees_it(database: Database) -> None:
    first, second = lock(database, "host-a:1"), lock(database, "host-b:2")
    assert first.acquire()

    second.release()  # not the holder: no effect
    assert second.acquire() is False
    first.release()

    assert first.holder_now() is None
    assert second.acquire() is True


def test_run_locks_of_different_names_are_independent(database: Database) -> None:
    assert lock(database, "host-a:1").acquire()

    assert RunLock(database, "run:*", "host-b:2", timedelta(hours=2)).acquire() is True


# --- two processes on one SQLite file -------------------------------------------------


def _claim_until_empty(url: str, runner: str, start: Barrier) -> None:
    """Child process: claim and key applications until none is left."""
    db = Database(url)
    queue = SqlWorkQueue(db, run_id=f"run-{runner}")
    start.wait()
    while claim := queue.claim(runner, procedure=None, lease=LEASE):
        queue.release(claim, Outcome(OutcomeKind.KEYED, receipt_no=f"R-{claim.application.id}"))
    db.dispose()


def test_two_processes_claim_each_application_exactly_once(
    database: Database, tmp_path: Path
) -> None:
    n = 200
    with database.session() as s:
        for i in range(n):
            s.add(
                ApplicationRow(
                    id=f"A-{i:03d}",
                    procedure="jidou_teate_nintei",
                    received_at=BASE + timedelta(seconds=i),
                    status=Status.RESOLVED.value,
                    atena_no="000123",
                    data={"i": i},
                    attempts=0,
                    needs_verification=False,
                )
            )
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    workers = [
        ctx.Process(target=_claim_until_empty, args=(database.url, name, start))
        for name in ("runner-a", "runner-b")
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert [w.exitcode for w in workers] == [0, 0]
    with database.session() as s:
        per_app = {
            app_id: n
            for app_id, n in s.execute(
                select(AttemptRow.application_id, func.count()).group_by(AttemptRow.application_id)
            )
        }
        per_runner = {
            runner: n
            for runner, n in s.execute(
                select(AttemptRow.runner, func.count()).group_by(AttemptRow.runner)
            )
        }
        rows = list(s.scalars(select(ApplicationRow)))
    assert len(per_app) == n
    assert set(per_app.values()) == {1}
    assert sum(per_runner.values()) == n
    assert set(per_runner) == {"runner-a", "runner-b"}  # both really worked in parallel
    assert {r.status for r in rows} == {Status.KEYED.value}
    assert all(r.receipt_no == f"R-{r.id}" for r in rows)
    assert all(r.attempts == 1 for r in rows)
