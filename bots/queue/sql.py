"""The work queue on SQLAlchemy: leases, outcomes, and a run lock.

Claiming is safe for several runner processes and machines: the candidate is selected
``FOR UPDATE SKIP LOCKED`` (:func:`claim_candidate`; on PostgreSQL a row another runner is
taking is skipped, not waited for; SQLite has no row locks, drops the clause and
serialises writers instead), then taken with a conditional UPDATE that only succeeds while
the row is still claimable. Whoever's UPDATE matches owns the application until
``acquired_until``; everyone else moves on. A runner that dies releases nothing: its
applications stay ``claimed``/``keying`` until the lease ends, then come back (a
``keying`` one with ``needs_verification``).

Times are naive UTC on both engines (:func:`utcnow`), taken from the runner's clock: with
runners on several machines keep their clocks synchronised (NTP); a lease of minutes
tolerates the usual skew of milliseconds.

Every claim is treated as possibly already keyed: the engine searches the core system for
the application before typing, so an expired lease (a runner that died after pressing
register) can never lead to a second entry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Select, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bots.contracts import Application, Claim, Outcome, OutcomeKind, Status, WorkQueue
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow, RunLockRow

MAX_ATTEMPTS = 5
#: ``attempts.outcome`` of an attempt whose outcome was refused because its lease was lost.
LEASE_LOST = "lease_lost"


class LeaseLost(RuntimeError):
    """The claim expired and another runner took the application over."""


def utcnow() -> datetime:
    """Naive UTC, as stored (SQLite has no time zones)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _rowcount(result: object) -> int:
    """Rows an UPDATE matched (the typed Result of SQLAlchemy 2 hides the cursor's count)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def _claimable(now: datetime, procedure: str | None) -> Any:
    waiting = and_(
        ApplicationRow.status == Status.RESOLVED.value,
        or_(ApplicationRow.retry_at.is_(None), ApplicationRow.retry_at <= now),
    )
    abandoned = and_(
        ApplicationRow.status.in_([Status.CLAIMED.value, Status.KEYING.value]),
        ApplicationRow.acquired_until < now,
    )
    cond = or_(waiting, abandoned)
    return and_(cond, ApplicationRow.procedure == procedure) if procedure else cond


def claim_candidate(now: datetime, procedure: str | None) -> Select[Any]:
    """The id of the oldest claimable application, locked ``FOR UPDATE SKIP LOCKED``.

    Oldest by ``received_at`` (then id), the order staff expect. On PostgreSQL the lock
    keeps the row to this transaction until it commits, and SKIP LOCKED lets concurrent
    claimers take the next row instead of queueing behind it.
    """
    return (
        select(ApplicationRow.id)
        .where(_claimable(now, procedure))
        .order_by(ApplicationRow.received_at, ApplicationRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


class SqlWorkQueue(WorkQueue):
    """:class:`~bots.contracts.WorkQueue` over the management database."""

    def __init__(self, db: Database, run_id: str = "-", max_attempts: int = MAX_ATTEMPTS) -> None:
        self.db = db
        self.run_id = run_id
        self.max_attempts = max_attempts

    def claim(self, runner: str, *, procedure: str | None, lease: timedelta) -> Claim | None:
        for _ in range(20):  # lost races (SQLite): try the next candidate
            now = utcnow()
            with self.db.transaction() as conn:
                app_id = conn.execute(claim_candidate(now, procedure)).scalar_one_or_none()
                if app_id is None:
                    return None
                until = now + lease
                # The application as taken comes from the UPDATE itself (RETURNING), never
                # from the SELECT: on SQLite another runner may have claimed, keyed and
                # released it in between, and its attempts and verification flag must be
                # the ones the UPDATE saw. ``status`` on the right is the value before.
                taken = conn.execute(
                    update(ApplicationRow)
                    .where(ApplicationRow.id == app_id, _claimable(now, procedure))
                    .values(
                        status=Status.CLAIMED.value,
                        acquired_by=runner,
                        acquired_until=until,
                        attempts=ApplicationRow.attempts + 1,
                        needs_verification=or_(
                            ApplicationRow.needs_verification.is_(True),
                            ApplicationRow.status == Status.KEYING.value,
                        ),
                        updated_at=now,
                    )
                    .returning(
                        ApplicationRow.procedure,
                        ApplicationRow.atena_no,
                        ApplicationRow.data,
                        ApplicationRow.received_at,
                        ApplicationRow.attempts,
                        ApplicationRow.needs_verification,
                    )
                ).one_or_none()
                if taken is None:
                    continue
                # Read the clock again now that the row is ours: the previous holder's
                # release (its ended_at) committed before our lock or UPDATE went through,
                # so the attempts of one application never overlap in time.
                attempt_id = conn.execute(
                    insert(AttemptRow)
                    .values(
                        application_id=app_id,
                        run_id=self.run_id,
                        runner=runner,
                        started_at=utcnow(),
                    )
                    .returning(AttemptRow.id)
                ).scalar_one()
                app = Application(
                    id=app_id,
                    procedure=taken.procedure,
                    atena_no=taken.atena_no,
                    data=taken.data,
                    received_at=taken.received_at,
                    attempts=taken.attempts,
                    needs_verification=bool(taken.needs_verification),
                )
                return Claim(app, int(attempt_id), runner, until)
        return None

    def _guarded(self, claim: Claim, **values: Any) -> None:
        with self.db.transaction() as conn:
            n = _rowcount(
                conn.execute(
                    update(ApplicationRow)
                    .where(
                        ApplicationRow.id == claim.application.id,
                        ApplicationRow.acquired_by == claim.acquired_by,
                        ApplicationRow.status.in_([Status.CLAIMED.value, Status.KEYING.value]),
                    )
                    .values(updated_at=utcnow(), **values)
                )
            )
        if n != 1:
            raise LeaseLost(
                f"application {claim.application.id} is no longer held by {claim.acquired_by}"
            )

    def mark_keying(self, claim: Claim) -> None:
        self._guarded(claim, status=Status.KEYING.value, needs_verification=True)

    def extend(self, claim: Claim, lease: timedelta) -> Claim:
        until = utcnow() + lease
        self._guarded(claim, acquired_until=until)
        return Claim(claim.application, claim.attempt_id, claim.acquired_by, until)

    def release(self, claim: Claim, outcome: Outcome) -> None:
        now = utcnow()
        values: dict[str, Any] = {"acquired_by": None, "acquired_until": None}
        if outcome.kind in (OutcomeKind.KEYED, OutcomeKind.ALREADY_KEYED):
            values |= {
                "status": Status.KEYED.value,
                "receipt_no": outcome.receipt_no,
                "keyed_at": now,
                "reason": outcome.reason,
                "core_message": None,
                "needs_verification": False,
            }
        elif outcome.kind is OutcomeKind.NEEDS_REVIEW:
            values |= {
                "status": Status.NEEDS_REVIEW.value,
                "reason": outcome.reason,
                "core_message": outcome.core_message,
            }
        elif outcome.kind is OutcomeKind.RETRY and claim.application.attempts >= self.max_attempts:
            values |= {
                "status": Status.FAILED.value,
                "reason": f"{self.max_attempts}回試行しても連携できませんでした: {outcome.reason}",
            }
        else:  # RETRY, STOPPED: back to the queue; verified again before any typing
            values |= {
                "status": Status.RESOLVED.value,
                "reason": outcome.reason,
                "retry_at": outcome.retry_at,
            }
        with self.db.transaction() as conn:
            n = _rowcount(
                conn.execute(
                    update(ApplicationRow)
                    .where(
                        ApplicationRow.id == claim.application.id,
                        ApplicationRow.acquired_by == claim.acquired_by,
                    )
                    .values(updated_at=now, **values)
                )
            )
            if n == 1:
                ended = {"outcome": outcome.kind.value, "reason": outcome.reason}
            else:  # the outcome was refused: the attempt says so, never "keyed"
                lost = f"{outcome.kind.value} not written: the lease was lost"
                ended = {
                    "outcome": LEASE_LOST,
                    "reason": f"{lost} ({outcome.reason})" if outcome.reason else lost,
                }
            conn.execute(
                update(AttemptRow)
                .where(AttemptRow.id == claim.attempt_id)
                .values(ended_at=now, **ended)
            )
        if n != 1:
            raise LeaseLost(
                f"application {claim.application.id} was taken over before its outcome was written"
            )

    def reap(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        with self.db.transaction() as conn:
            expired = and_(
                ApplicationRow.status.in_([Status.CLAIMED.value, Status.KEYING.value]),
                ApplicationRow.acquired_until < now,
            )
            n = _rowcount(
                conn.execute(
                    update(ApplicationRow)
                    .where(expired)
                    .values(
                        needs_verification=ApplicationRow.needs_verification
                        | (ApplicationRow.status == Status.KEYING.value),
                        status=Status.RESOLVED.value,
                        acquired_by=None,
                        acquired_until=None,
                        updated_at=now,
                    )
                )
            )
        return n

    def counts(self, procedure: str | None = None) -> dict[Status, int]:
        with self.db.transaction() as conn:
            q = select(ApplicationRow.status, func.count()).group_by(ApplicationRow.status)
            if procedure:
                q = q.where(ApplicationRow.procedure == procedure)
            found = {Status(status): int(n) for status, n in conn.execute(q)}
        return {status: found.get(status, 0) for status in Status}


class RunLock:
    """At most one run per name at a time, across processes and machines.

    The scheduler and ``renkei run`` both take it; a holder that died frees it when its
    lease ends, so a crashed run never blocks the next morning's schedule for good.
    """

    def __init__(self, db: Database, name: str, holder: str, lease: timedelta) -> None:
        self.db, self.name, self.holder, self.lease = db, name, holder, lease

    def acquire(self) -> bool:
        now = utcnow()
        try:
            with self.db.session() as s:
                row = s.get(RunLockRow, self.name, with_for_update=True)
                if row is None:
                    s.add(
                        RunLockRow(
                            name=self.name, holder=self.holder, acquired_until=now + self.lease
                        )
                    )
                    return True
                n = _rowcount(
                    s.execute(
                        update(RunLockRow)
                        .where(
                            RunLockRow.name == self.name,
                            or_(RunLockRow.acquired_until <= now, RunLockRow.holder == self.holder),
                        )
                        .values(holder=self.holder, acquired_until=now + self.lease)
                    )
                )
                return n == 1
        except IntegrityError:  # a concurrent first insert won the race
            return False

    def refresh(self) -> None:
        with self.db.session() as s:
            s.execute(
                update(RunLockRow)
                .where(RunLockRow.name == self.name, RunLockRow.holder == self.holder)
                .values(acquired_until=utcnow() + self.lease)
            )

    def release(self) -> None:
        with self.db.session() as s:
            row = s.get(RunLockRow, self.name)
            if row is not None and row.holder == self.holder:
                s.delete(row)

    def holder_now(self) -> str | None:
        with self.db.session() as s:
            row = s.get(RunLockRow, self.name)
            return row.holder if row and row.acquired_until > utcnow() else None
