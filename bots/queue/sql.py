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

Every claim is one of the application's attempts (``max_attempts``, ``RENKEI_MAX_ATTEMPTS``):
a retry, a screen stop, a runner that died holding it. A retry or a stop puts it back
behind the applications that waited (claim order ``coalesce(retry_at, received_at)``, the
engine's back-off in ``retry_at``); one that used up its attempts goes to 要確認 with the
history of its attempts as the reason (:meth:`SqlWorkQueue.release`, and :meth:`reap` for
one abandoned by a dead runner, which is never claimed again). Status changes go through
the one table of :mod:`bots.queue.transitions`, its guard inside each UPDATE; an outcome
of an application from a source (連携済, 要確認) adds its outbox row in the same transaction
(:func:`~bots.queue.transitions.outbox_insert`, one statement, no read).

An application that may already be keyed carries ``needs_verification`` (set with
``keying``, before 登録 is pressed, and kept until it is 連携済): the engine searches the core
system for it before typing, so an expired lease (a runner that died after pressing
register) can never lead to a second entry. On a core system without an inquiry screen
(``already_keyed: none``) the engine cannot search and sends it to 要確認 instead; the mark
stays with it there (a correction does not answer whether it was registered), and only a
person's 再実行 clears it (:meth:`bots.review.ReviewQueue.retry`).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    CursorResult,
    Select,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bots.clock import utcnow
from bots.contracts import (
    REMAINING_LABELS,
    Application,
    Claim,
    Outcome,
    OutcomeKind,
    Status,
    WorkQueue,
)
from bots.errors import LeaseLost
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow, RunLockRow
from bots.queue.transitions import WRITTEN_BACK, guarded_update, outbox_insert

#: Attempts (claims) an application gets before it goes to 要確認 with their history:
#: every claim counts — a transient error, a screen stop, a runner that died holding it.
MAX_ATTEMPTS = 5
JST = ZoneInfo("Asia/Tokyo")
#: How an attempt's outcome reads in the history written to ``reason`` (要確認).
ATTEMPT_LABELS = {
    OutcomeKind.RETRY.value: "一時的なエラー",
    OutcomeKind.STOPPED.value: "停止",
    OutcomeKind.INTERRUPTED.value: "中断",
}
ATTEMPT_REASON_CHARS = 120  # each attempt's reason in the history, at most
#: ``attempts.outcome`` of an attempt whose outcome was refused because its lease was lost.
LEASE_LOST = "lease_lost"


def _rowcount(result: object) -> int:
    """Rows an UPDATE matched (the typed Result of SQLAlchemy 2 hides the cursor's count)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def _claimable(now: datetime, procedure: str | None, max_attempts: int = MAX_ATTEMPTS) -> Any:
    waiting = and_(
        ApplicationRow.status == Status.RESOLVED.value,
        or_(ApplicationRow.retry_at.is_(None), ApplicationRow.retry_at <= now),
    )
    # an abandoned claim whose attempts are used up is not taken again: reap sends it to
    # 要確認 (a runner that dies on it every time must not hold up the queue for good)
    abandoned = and_(
        ApplicationRow.status.in_([Status.CLAIMED.value, Status.KEYING.value]),
        ApplicationRow.acquired_until < now,
        ApplicationRow.attempts < max_attempts,
    )
    cond = or_(waiting, abandoned)
    return and_(cond, ApplicationRow.procedure == procedure) if procedure else cond


#: The claim order: when it became claimable — received, or (after an attempt) since its
#: last claim or retry time — so an application that failed goes behind those that waited.
CLAIM_ORDER = (
    func.coalesce(ApplicationRow.retry_at, ApplicationRow.received_at),
    ApplicationRow.received_at,
    ApplicationRow.id,
)


def claim_candidate(
    now: datetime, procedure: str | None, max_attempts: int = MAX_ATTEMPTS
) -> Select[Any]:
    """The id of the claimable application that waited longest, ``FOR UPDATE SKIP LOCKED``.

    Waited longest: by ``coalesce(retry_at, received_at)``, then ``received_at`` and id. A
    fresh application waits since it was received (the order staff expect); one that was
    tried already since its retry time, which every claim sets (:meth:`SqlWorkQueue.claim`)
    and a retry or stop pushes further (back-off): the same failing application can never
    stay first. On PostgreSQL the lock keeps the row to this transaction until it commits,
    and SKIP LOCKED lets concurrent claimers take the next row instead of queueing behind.
    """
    return (
        select(ApplicationRow.id)
        .where(_claimable(now, procedure, max_attempts))
        .order_by(*CLAIM_ORDER)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _history(conn: Connection, app_id: str, current: tuple[int, str, str | None] | None) -> str:
    """The attempts of an application as staff read them: JST time, outcome, reason.

    ``current`` (attempt id, outcome, reason) is the attempt being ended now, its row not
    yet updated; an attempt that never ended is one a runner abandoned (it died).
    """
    rows = conn.execute(
        select(AttemptRow.id, AttemptRow.started_at, AttemptRow.outcome, AttemptRow.reason)
        .where(AttemptRow.application_id == app_id)
        .order_by(AttemptRow.id)
    ).all()
    parts = []
    for attempt_id, started, outcome, reason in rows:
        if current is not None and attempt_id == current[0]:
            outcome, reason = current[1], current[2]
        when = started.replace(tzinfo=UTC).astimezone(JST).strftime("%m/%d %H:%M")
        if outcome is None:
            label, reason = "中断", "実行者が応答しなくなりました（処理権の期限切れ）"
        else:
            label = ATTEMPT_LABELS.get(outcome, outcome)
        text = (reason or "").strip()
        if len(text) > ATTEMPT_REASON_CHARS:
            text = text[: ATTEMPT_REASON_CHARS - 1] + "…"
        parts.append(f"{when} {label}（{text}）" if text else f"{when} {label}")
    return "; ".join(parts)


def used_up_reason(attempts: int, history: str) -> str:
    return f"{attempts}回試行しても連携できませんでした: {history}"


class SqlWorkQueue(WorkQueue):
    """:class:`~bots.contracts.WorkQueue` over the management database.

    ``max_attempts`` (``RENKEI_MAX_ATTEMPTS``): claims an application gets; the one that
    reaches it without an outcome goes to 要確認 with the history of its attempts.
    """

    def __init__(self, db: Database, run_id: str = "-", max_attempts: int = MAX_ATTEMPTS) -> None:
        if max_attempts < 1:
            raise ValueError(f"RENKEI_MAX_ATTEMPTS は1以上にしてください（{max_attempts}）")
        self.db = db
        self.run_id = run_id
        self.max_attempts = max_attempts

    def claim(self, runner: str, *, procedure: str | None, lease: timedelta) -> Claim | None:
        for _ in range(20):  # lost races (SQLite): try the next candidate
            now = utcnow()
            with self.db.transaction() as conn:
                app_id = conn.execute(
                    claim_candidate(now, procedure, self.max_attempts)
                ).scalar_one_or_none()
                if app_id is None:
                    return None
                until = now + lease
                # The application as taken comes from the UPDATE itself (RETURNING), never
                # from the SELECT: on SQLite another runner may have claimed, keyed and
                # released it in between, and its attempts and verification flag must be
                # the ones the UPDATE saw. ``status`` on the right is the value before.
                # ``retry_at = now``: should this attempt never end (the runner dies), the
                # application waits behind the others from now on (see CLAIM_ORDER).
                taken = conn.execute(
                    guarded_update(
                        Status.CLAIMED,
                        ApplicationRow.id == app_id,
                        _claimable(now, procedure, self.max_attempts),
                        acquired_by=runner,
                        acquired_until=until,
                        attempts=ApplicationRow.attempts + 1,
                        retry_at=now,
                        needs_verification=or_(
                            ApplicationRow.needs_verification.is_(True),
                            ApplicationRow.status == Status.KEYING.value,
                        ),
                        updated_at=now,
                    ).returning(
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

    def _held(self, claim: Claim) -> tuple[Any, ...]:
        return (
            ApplicationRow.id == claim.application.id,
            ApplicationRow.acquired_by == claim.acquired_by,
        )

    def mark_keying(self, claim: Claim) -> None:
        with self.db.transaction() as conn:
            n = _rowcount(
                conn.execute(
                    guarded_update(
                        Status.KEYING,
                        *self._held(claim),
                        expected_from=HELD,
                        needs_verification=True,
                        updated_at=utcnow(),
                    )
                )
            )
        if n != 1:
            raise LeaseLost(
                f"application {claim.application.id} is no longer held by {claim.acquired_by}"
            )

    def extend(self, claim: Claim, lease: timedelta) -> Claim:
        until = utcnow() + lease
        with self.db.transaction() as conn:  # the lease only: no status change
            n = _rowcount(
                conn.execute(
                    update(ApplicationRow)
                    .where(*self._held(claim), ApplicationRow.status.in_(HELD))
                    .values(updated_at=utcnow(), acquired_until=until)
                )
            )
        if n != 1:
            raise LeaseLost(
                f"application {claim.application.id} is no longer held by {claim.acquired_by}"
            )
        return Claim(claim.application, claim.attempt_id, claim.acquired_by, until)

    def _written(self, conn: Connection, claim: Claim, outcome: Outcome) -> Outcome:
        """The outcome as it is recorded: an attempt limit turns RETRY/STOPPED into 要確認."""
        attempts = claim.application.attempts
        if (
            outcome.counts
            and outcome.kind in (OutcomeKind.RETRY, OutcomeKind.STOPPED)
            and attempts >= self.max_attempts
        ):
            current = (claim.attempt_id, outcome.kind.value, outcome.reason)
            history = _history(conn, claim.application.id, current)
            return Outcome(OutcomeKind.NEEDS_REVIEW, reason=used_up_reason(attempts, history))
        return outcome

    def release(self, claim: Claim, outcome: Outcome) -> Outcome:
        now = utcnow()
        held: dict[str, Any] = {"acquired_by": None, "acquired_until": None, "updated_at": now}
        with self.db.transaction() as conn:
            written = self._written(conn, claim, outcome)
            to, values = _outcome_values(written, now)
            if outcome.kind is OutcomeKind.INTERRUPTED or not outcome.counts:  # not its fault
                values["attempts"] = ApplicationRow.attempts - 1
            n = _rowcount(
                conn.execute(
                    guarded_update(to, *self._held(claim), expected_from=HELD, **held, **values)
                )
            )
            if n == 1:
                if to in WRITTEN_BACK:  # for the source it came from, if any
                    conn.execute(outbox_insert(claim.application.id, now))
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
        return written

    def reap(self, now: datetime | None = None) -> int:
        """Expired claims back to the queue — or, their attempts used up, to 要確認.

        A claim of a runner of this machine that no longer exists (killed, crashed) counts
        as expired at once: its application need not wait out the lease.
        """
        now = now or utcnow()
        with self.db.transaction() as conn:
            holders = conn.execute(
                select(ApplicationRow.acquired_by)
                .where(ApplicationRow.status.in_(HELD), ApplicationRow.acquired_until >= now)
                .distinct()
            ).scalars()
            dead = [h for h in holders if h and holder_is_dead(h)]
            ended = ApplicationRow.acquired_until < now
            if dead:
                ended = or_(ended, ApplicationRow.acquired_by.in_(dead))
            expired = (ApplicationRow.status.in_(HELD), ended)
            used_up = conn.execute(
                select(ApplicationRow.id, ApplicationRow.attempts).where(
                    *expired, ApplicationRow.attempts >= self.max_attempts
                )
            ).all()
            n = 0
            for app_id, attempts in used_up:
                reason = used_up_reason(attempts, _history(conn, app_id, None))
                moved = _rowcount(
                    conn.execute(
                        guarded_update(
                            Status.NEEDS_REVIEW,
                            ApplicationRow.id == app_id,
                            *expired,
                            reason=reason,
                            core_message=None,
                            acquired_by=None,
                            acquired_until=None,
                            updated_at=now,
                        )
                    )
                )
                if moved:  # 要確認: for the source it came from, if any
                    conn.execute(outbox_insert(app_id, now))
                n += moved
            n += _rowcount(
                conn.execute(
                    guarded_update(
                        Status.RESOLVED,
                        *expired,
                        needs_verification=ApplicationRow.needs_verification
                        | (ApplicationRow.status == Status.KEYING.value),
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

    def remaining(self, now: datetime | None = None) -> dict[str, dict[str, int]]:
        now = now or utcnow()
        # 連携待ち whose retry time is still ahead waits for its back-off: 再試行待ち
        backing_off = and_(
            ApplicationRow.status == Status.RESOLVED.value, ApplicationRow.retry_at > now
        )
        kind = case((backing_off, "retry_wait"), else_=ApplicationRow.status)
        q = (
            select(ApplicationRow.procedure, kind, func.count())
            .where(ApplicationRow.status.in_(REMAINING))
            .group_by(ApplicationRow.procedure, kind)
        )
        left: dict[str, dict[str, int]] = {}
        with self.db.transaction() as conn:
            for procedure, key, n in conn.execute(q):
                left.setdefault(procedure, dict.fromkeys(REMAINING_LABELS, 0))[key] = int(n)
        return dict(sorted(left.items()))


#: The statuses :meth:`SqlWorkQueue.remaining` counts (not yet 連携済 nor 対象外).
REMAINING = [k for k in REMAINING_LABELS if k != "retry_wait"]

#: The statuses of an application a runner holds.
HELD = (Status.CLAIMED.value, Status.KEYING.value)


def _outcome_values(outcome: Outcome, now: datetime) -> tuple[Status, dict[str, Any]]:
    """The status and columns an outcome writes (the holder's columns cleared by the caller)."""
    if outcome.kind in (OutcomeKind.KEYED, OutcomeKind.ALREADY_KEYED):
        return Status.KEYED, {
            "receipt_no": outcome.receipt_no,
            "keyed_at": now,
            "reason": outcome.reason,
            "core_message": None,
            "needs_verification": False,
        }
    if outcome.kind is OutcomeKind.NEEDS_REVIEW:
        return Status.NEEDS_REVIEW, {
            "reason": outcome.reason,
            "core_message": outcome.core_message,
        }
    # RETRY, STOPPED, INTERRUPTED: back to the queue; verified again before any typing.
    # Without a retry time it keeps the claim's (retry_at = claim time): behind the others.
    values: dict[str, Any] = {"reason": outcome.reason}
    if outcome.retry_at is not None:
        values["retry_at"] = outcome.retry_at
    return Status.RESOLVED, values


def holder_is_dead(holder: str) -> bool:
    """Whether ``holder`` (``user@host:pid``, :func:`bots.engine.runner.runner_name`; or
    ``host:pid`` as renkei wrote it before) is a process of this machine that no longer
    exists. Holders on other machines are never judged dead here: this machine cannot
    see their processes; their leases decide.
    """
    account_host, _, pid = holder.rpartition(":")
    host = account_host.rpartition("@")[2]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's live process
    return False


class RunLock:
    """At most one run per name at a time, across processes and machines.

    The scheduler and ``renkei run`` both take it; a holder that died frees it when its
    lease ends, so a crashed run never blocks the next morning's schedule for good — and
    at once when the holder was a process of this machine that no longer exists (a
    killed run or scheduler service), so a restart does not wait out the lease.
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
                free = [RunLockRow.acquired_until <= now, RunLockRow.holder == self.holder]
                if holder_is_dead(row.holder):  # killed on this machine: no need to wait
                    free.append(RunLockRow.holder == row.holder)
                n = _rowcount(
                    s.execute(
                        update(RunLockRow)
                        .where(RunLockRow.name == self.name, or_(*free))
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
