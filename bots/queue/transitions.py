"""The one table of the status changes an application may go through, and the one way in.

Several parts of renkei change an application's status: the run (claim, keying, outcome,
reap of an abandoned claim), the exception queue (``renkei review``), the import (new rows
and ``--replace`` corrections) and the demo seed. Each used to decide on its own what was
allowed; now every one of them goes through :func:`transition` (or :func:`create` for a new
row), so a wrong move is an error wherever it comes from, and the table below is the rule.

The guard is in the UPDATE itself (``WHERE status IN (allowed sources)``), never a read
followed by a write: a concurrent change between the two cannot slip through, and the run's
hot path keeps its number of round trips. Only a refused UPDATE reads the row again, to say
what the status was.

=================  ==========================================================  ===========
from               to                                                          who
=================  ==========================================================  ===========
(new)              受付 / 申請者特定済 / 連携待ち / 要確認                           import, seed
受付               申請者特定済                                                   staff
申請者特定済         連携待ち                                                       staff
連携待ち            処理中                                                         claim
処理中 / 登録処理中   処理中 (an expired lease taken over), 登録処理中, 連携済,           run
                   要確認 (business error, attempts used up), 連携待ち (retry, stop,
                   reap)
要確認              連携待ち (review edit/retry, import --replace), 連携済 (review     review,
                   done), 対象外 (review reject), 受付 / 申請者特定済 / 要確認          import
                   (import --replace)
連携エラー           連携待ち, 連携済, 対象外 (review): older databases only — the bot  review
                   sends an application that used up its attempts to 要確認 now
連携済              要確認 (review undo of a manual completion)                     review
対象外              受付 / 申請者特定済 / 連携待ち / 要確認 (import --replace)            import
=================  ==========================================================  ===========

An application that came from a source (``applications.source``, :mod:`bots.sources`) and
moves to 連携済, 要確認 or 対象外 gets an outbox row **in the same transaction** as the change
(:func:`outbox_insert`: one ``INSERT … SELECT`` from the row just updated, so no extra read,
and nothing for an application without a source): the outcome can then never be lost
between the status change and the write-back (:mod:`bots.sources.outbox` delivers it).
:func:`transition` and :func:`create` add it themselves; the queue's own statements
(:mod:`bots.queue.sql`) call :func:`outbox_insert` after their guarded UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Insert,
    Integer,
    Update,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from bots.clock import utcnow
from bots.contracts import Status
from bots.errors import RenkeiError
from bots.queue.schema import ApplicationRow, OutboxRow

S = Status

#: Statuses a new application may be created with (import, seed, the management system).
INITIAL: frozenset[Status] = frozenset({S.RECEIVED, S.IDENTIFIED, S.RESOLVED, S.NEEDS_REVIEW})

#: from → the statuses it may move to. Every pair not listed is refused.
ALLOWED: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.IDENTIFIED}),
    S.IDENTIFIED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLAIMED}),
    S.CLAIMED: frozenset({S.CLAIMED, S.KEYING, S.KEYED, S.NEEDS_REVIEW, S.RESOLVED}),
    S.KEYING: frozenset({S.CLAIMED, S.KEYING, S.KEYED, S.NEEDS_REVIEW, S.RESOLVED}),
    S.NEEDS_REVIEW: frozenset(
        {S.RESOLVED, S.KEYED, S.REJECTED, S.RECEIVED, S.IDENTIFIED, S.NEEDS_REVIEW}
    ),
    S.FAILED: frozenset({S.RESOLVED, S.KEYED, S.REJECTED}),
    S.KEYED: frozenset({S.NEEDS_REVIEW}),
    S.REJECTED: frozenset({S.RECEIVED, S.IDENTIFIED, S.RESOLVED, S.NEEDS_REVIEW}),
}


#: The statuses whose outcome is written back to the application's source.
WRITTEN_BACK: frozenset[Status] = frozenset({S.KEYED, S.NEEDS_REVIEW, S.REJECTED})

#: The outbox columns :func:`outbox_insert` fills, in its SELECT's order.
_OUTBOX_COLUMNS = (
    "application_id",
    "source",
    "status",
    "receipt_no",
    "reason",
    "outcome_at",
    "created_at",
    "attempts",
)


class ForbiddenTransition(RenkeiError):
    """A status change the table refuses (or the row was not in the expected status)."""

    def __init__(self, app_id: str, frm: Status | None, to: Status) -> None:
        self.app_id, self.frm, self.to = app_id, frm, to
        where = "（新規）" if frm is None else frm.label
        super().__init__(f"申請 {app_id}: {where} から {to.label} へは変更できません")


class UnknownApplication(RenkeiError):
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        super().__init__(f"申請 {app_id} はありません")


def allowed(frm: Status | None, to: Status) -> bool:
    """Whether the table allows ``frm`` → ``to`` (``frm`` None: creating the row)."""
    return to in INITIAL if frm is None else to in ALLOWED[frm]


def sources(to: Status) -> frozenset[Status]:
    """Every status that may move to ``to``."""
    return frozenset(frm for frm, targets in ALLOWED.items() if to in targets)


def check_transition(app_id: str, frm: Status | None, to: Status) -> None:
    """Raise :class:`ForbiddenTransition` unless the table allows ``frm`` → ``to``."""
    if not allowed(frm, to):
        raise ForbiddenTransition(app_id, frm, to)


def _from(to: Status, expected_from: Iterable[Status | str] | None) -> list[str]:
    """The allowed sources of ``to``, narrowed to what the caller expects (sorted: stable SQL)."""
    allowed_from = sources(to)
    if expected_from is not None:
        allowed_from &= {Status(s) for s in expected_from}
    return sorted(s.value for s in allowed_from)


def guarded_update(
    to: Status, *where: Any, expected_from: Iterable[Status | str] | None = None, **values: Any
) -> Update:
    """``UPDATE applications SET status = to, … WHERE status IN (allowed sources) AND …``.

    For the queue's own statements, which add their conditions (the holder, the lease) and
    a RETURNING clause; :func:`transition` executes one for a single application.
    """
    return (
        update(ApplicationRow)
        .where(ApplicationRow.status.in_(_from(to, expected_from)), *where)
        .values(status=to.value, **values)
    )


def outbox_insert(app_id: str, at: datetime) -> Insert:
    """``INSERT INTO outbox … SELECT … FROM applications WHERE id = … AND source IS NOT NULL``.

    Executed right after the status change, in its transaction: the row as just updated
    gives the status, 受付番号 and reason (stored masked); ``at`` is the change's time.
    An application without a source inserts nothing.
    """
    a = ApplicationRow
    row = select(
        a.id,
        a.source,
        a.status,
        a.receipt_no,
        a.reason,
        literal(at, DateTime()),
        literal(at, DateTime()),
        literal(0, Integer()),
    ).where(a.id == app_id, a.source.is_not(None))
    return insert(OutboxRow).from_select(list(_OUTBOX_COLUMNS), row)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def transition(
    conn: Connection | Session,
    app_id: str,
    to: Status,
    *,
    expected_from: Iterable[Status | str] | None = None,
    **values: Any,
) -> None:
    """Move one application to ``to`` (and set ``values``), if the table allows it.

    ``expected_from`` narrows the sources further (what the caller just read, or what its
    action is meant for). Refused — the table forbids the move from the current status, or
    the row changed since it was read — raises :class:`ForbiddenTransition` (nothing is
    written); an unknown id raises :class:`UnknownApplication`.
    """
    stmt = guarded_update(to, ApplicationRow.id == app_id, expected_from=expected_from, **values)
    if isinstance(conn, Session):
        result: Any = conn.execute(stmt.execution_options(synchronize_session=False))
    else:
        result = conn.execute(stmt)
    if _rowcount(result) == 1:
        if to in WRITTEN_BACK:
            at = values.get("updated_at")
            conn.execute(outbox_insert(app_id, at if isinstance(at, datetime) else utcnow()))
        return
    current = conn.execute(
        select(ApplicationRow.status).where(ApplicationRow.id == app_id)
    ).scalar_one_or_none()
    if current is None:
        raise UnknownApplication(app_id)
    raise ForbiddenTransition(app_id, Status(current), to)


def create(session: Session, row: ApplicationRow) -> None:
    """Add a new application, if the table allows its first status; one taken from a
    source straight into 要確認 (its data refused) gets its outbox row with it."""
    status = Status(row.status)
    check_transition(row.id, None, status)
    session.add(row)
    if row.source is not None and status in WRITTEN_BACK:
        at = row.updated_at or utcnow()
        session.add(
            OutboxRow(
                application_id=row.id,
                source=row.source,
                status=status.value,
                receipt_no=row.receipt_no,
                reason=row.reason,
                outcome_at=at,
                created_at=at,
                attempts=0,
            )
        )
