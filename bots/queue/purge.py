"""Purging an application's form data once it is no longer needed (``renkei data purge``).

renkei needs a resident's form data only until it is keyed: once an application is
連携済 (keyed, by the bot or by hand) or 対象外, the data is kept ``Settings.purge_after_days``
days (``RENKEI_PURGE_AFTER_DAYS``, default 90: time for a correction or an enquiry), then
purged: ``data`` becomes ``{}`` and ``purged_at`` says when. The row stays — its status,
受付番号, times and (masked) reason — and so does the audit trail, whose lines hold the
masked values: an auditor still sees what was keyed, the database no longer holds who.

The day counts from the outcome: ``keyed_at`` for 連携済, ``updated_at`` (when it was set
aside) for 対象外, ``received_at`` only for rows so old they have neither.

Every purge is a line of the staff actions' log (``review.jsonl``, step ``data_purge``,
one per application, naming who ran it), written in the transaction of the UPDATE and
anchored with it like every staff action, so ``renkei audit verify`` covers it. The
UPDATE is guarded by the same conditions as the choice (status, not purged, old enough):
an application corrected or reopened meanwhile is left alone.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update

from bots.audit.anchors import session_anchor
from bots.audit.trail import AuditTrail
from bots.clock import utcnow
from bots.contracts import AuditEvent, Status
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow

#: Statuses after which the data is no longer needed.
DONE = (Status.KEYED.value, Status.REJECTED.value)
#: Applications per transaction (and per anchored stretch of the log).
BATCH = 200
#: The staff actions' log step of one purge.
STEP = "data_purge"

A = ApplicationRow


@dataclass(frozen=True)
class Due:
    """An application whose data is due: since when it is done, and how long ago."""

    id: str
    procedure: str
    status: Status
    since: datetime
    days: int


def done_since() -> ColumnElement[Any]:
    """When the application became 連携済 / 対象外 (naive UTC), as the purge counts it."""
    return case(
        (A.status == Status.KEYED.value, func.coalesce(A.keyed_at, A.updated_at, A.received_at)),
        else_=func.coalesce(A.updated_at, A.received_at),
    )


def _due(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    return (A.status.in_(DONE), A.purged_at.is_(None), done_since() <= cutoff)


def due(db: Database, after_days: int, *, now: datetime | None = None) -> list[Due]:
    """Every application whose data is due for purging, oldest first (nothing changes)."""
    now = now or utcnow()
    return [d for batch in _batches(db, now - timedelta(days=after_days), now) for d in batch]


def _batches(db: Database, cutoff: datetime, now: datetime) -> Iterator[list[Due]]:
    last = ""
    while True:
        with db.session() as s:
            rows = s.execute(
                select(A.id, A.procedure, A.status, done_since().label("since"))
                .where(*_due(cutoff), A.id > last)
                .order_by(A.id)
                .limit(BATCH)
            ).all()
        if not rows:
            return
        yield [
            Due(r.id, r.procedure, Status(r.status), r.since, (now - r.since).days) for r in rows
        ]
        last = rows[-1].id


def purge(db: Database, audit_dir: Path, after_days: int, *, who: str | None = None) -> list[Due]:
    """Purge the data of every application due; returns those purged (each audited)."""
    who = who or getpass.getuser()
    now = utcnow()
    cutoff = now - timedelta(days=after_days)
    purged: list[Due] = []
    for batch in _batches(db, cutoff, now):
        purged += _purge_batch(db, audit_dir, batch, cutoff, now, who, after_days)
    if purged:
        db.compact(vacuum=False)  # the replaced pages leave the -wal too
    return purged


def _purge_batch(
    db: Database,
    audit_dir: Path,
    batch: list[Due],
    cutoff: datetime,
    now: datetime,
    who: str,
    after_days: int,
) -> list[Due]:
    """One transaction: the guarded UPDATEs, then their audit lines and the anchor."""
    done: list[Due] = []
    with db.session() as s:
        for d in batch:
            result: Any = s.execute(
                update(A)
                .where(A.id == d.id, *_due(cutoff))
                .values(data={}, purged_at=now)
                .execution_options(synchronize_session=False)
            )
            if int(result.rowcount or 0) == 1:
                done.append(d)
        if not done:
            return done
        trail = AuditTrail(audit_dir / "review.jsonl", "review", who, anchor=session_anchor(s))
        try:
            for d in done:
                trail.emit(_line(d, who, after_days))
        finally:
            trail.close()
    return done


def _line(d: Due, who: str, after_days: int) -> AuditEvent:
    return AuditEvent(
        step=STEP,
        outcome=d.status.value,
        application=d.id,
        detail=f"{d.status.label}から{after_days}日を過ぎたため申請データを消去",
        extra={
            "by": who,
            "procedure": d.procedure,
            "since": d.since.replace(microsecond=0).isoformat(),
            "after_days": after_days,
        },
    )
