"""Delivering the outbox: each outcome written back to its source once, in order, audited.

The outbox rows are written by the status change itself (:mod:`bots.queue.transitions`,
in its transaction), so an outcome exists as soon as the status does. This module takes
them to the sources of ``sources.yaml`` (:mod:`bots.sources.writeback`):

1. **Claim** (one guarded UPDATE … RETURNING, as the queue claims applications): the
   pending rows of a source that are due, oldest first, get ``next_try_at`` = now + a
   lease and one more ``attempts``. A row whose application has an earlier outcome still
   pending and not due (backing off, or being delivered by another process) is not
   taken: outcomes of one application reach the source in order, so it ends with the
   last. On PostgreSQL the claims of one source are serialised by an advisory lock held
   for the claim's transaction only; SQLite serialises writers anyway.
2. **Write**: an SQL source gets one UPDATE per outcome (idempotent); a file source one
   outcome file per batch. A file batch's id is given to its rows by the claim and kept:
   cut off before the rows were marked, the next delivery writes the same file again,
   under the same name.
3. **Mark** (one transaction): the delivered rows get ``delivered_at``, fenced by the lease
   they were claimed with (a row another process took over after the lease ended is not
   marked by the first one); each delivered outcome is a ``writeback`` line of the staff
   actions' audit log, anchored in that same transaction. A row that failed keeps
   ``last_error`` (Japanese, masked, the URL without its password) and waits
   ``next_try_at`` (doubling back-off, at most an hour).

Why the staff actions' log (``review.jsonl``) and not the run's: a run's chain is closed by
its final anchor when the run ends, and a delivery is no part of a run — it carries the
outcomes of staff actions too, and the scheduler or ``renkei outbox deliver`` may send it
hours later. The staff actions' log is the installation's chain that goes on, is verified
by ``renkei audit verify`` and read by ``renkei audit trail`` for each application.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from loguru import logger
from sqlalchemy import Connection, exists, func, not_, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from bots.audit.anchors import session_anchor
from bots.audit.trail import AuditTrail
from bots.clock import utcnow
from bots.config import JST, Settings
from bots.contracts import AuditEvent, Status
from bots.errors import RenkeiError
from bots.masking import scrub_text
from bots.queue.db import Database
from bots.queue.schema import OutboxRow
from bots.sources.config import FileWriteBack, FolderSource, SqlSource, SqlWriteBack, load_sources
from bots.sources.writeback import (
    OutcomeRefused,
    PendingOutcome,
    SourceDown,
    SqlWriter,
    write_outcome_file,
)

#: How long a claim holds its rows; a process that died holding them frees them then.
CLAIM_LEASE = timedelta(minutes=5)
#: Back-off of a row that failed: the first wait, doubled after each further failure.
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
#: Rows taken per claim (a long outage leaves many; each claim's lease covers its chunk).
CHUNK = 500
#: The step of a delivery in the staff actions' log.
AUDIT_STEP = "writeback"

Source = SqlSource | FolderSource


def backoff(attempts: int) -> timedelta:
    """The wait after a row's ``attempts``-th failed delivery."""
    return min(BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16), BACKOFF_MAX)


def new_batch(now: datetime) -> str:
    """A batch id beginning with its JST time (``20261203-174512-3fa9c1``): the outcome
    file's name (``renkei-outcomes-<batch>.csv``) is made from it, so it never changes."""
    return f"{now.replace(tzinfo=UTC).astimezone(JST):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _due(row: Any, now: datetime, force: bool) -> Any:
    """A pending row that may be taken now: never tried, its back-off over or its lease
    ended; with ``force`` (a person asked) a row backing off too — never one being
    delivered (claimed rows have no ``last_error``)."""
    free = or_(row.next_try_at.is_(None), row.next_try_at <= now)
    return or_(free, row.last_error.is_not(None)) if force else free


def _xact_lock(conn: Connection | Session, name: str) -> None:
    """PostgreSQL: one holder of ``name`` at a time, until this transaction ends (SQLite
    needs none: its writers are serialised by the database lock)."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@dataclass
class Claimed:
    """Rows one claim took (in id order), the lease they were taken with, their attempts."""

    source: str
    until: datetime
    outcomes: list[PendingOutcome]
    attempts: dict[int, int]


def claim(
    db: Database, name: str, now: datetime, *, files: bool, force: bool = False
) -> Claimed | None:
    """Take the due rows of source ``name`` (see the module docstring), or None."""
    prior = aliased(OutboxRow)
    earlier_waits = exists().where(
        prior.application_id == OutboxRow.application_id,
        prior.id < OutboxRow.id,
        prior.delivered_at.is_(None),
        not_(_due(prior, now, force)),
    )
    chosen = (
        select(OutboxRow.id)
        .where(
            OutboxRow.source == name,
            OutboxRow.delivered_at.is_(None),
            _due(OutboxRow, now, force),
            ~earlier_waits,
        )
        .order_by(OutboxRow.id)
        .limit(CHUNK)
        .correlate(None)  # its own FROM outbox, not the UPDATE's row
    )
    until = now + CLAIM_LEASE
    batch = new_batch(now)
    with db.transaction() as conn:
        _xact_lock(conn, f"outbox:{name}")  # one claim of this source at a time
        taken = conn.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(chosen),
                OutboxRow.delivered_at.is_(None),
                _due(OutboxRow, now, force),
            )
            .values(
                next_try_at=until,
                attempts=OutboxRow.attempts + 1,
                last_error=None,
                # a file batch keeps its id (the file's name) until it is delivered
                batch=func.coalesce(OutboxRow.batch, batch) if files else batch,
            )
            .returning(
                OutboxRow.id,
                OutboxRow.application_id,
                OutboxRow.status,
                OutboxRow.receipt_no,
                OutboxRow.reason,
                OutboxRow.outcome_at,
                OutboxRow.batch,
                OutboxRow.attempts,
            )
        ).all()
    if not taken:
        return None
    rows = sorted(taken, key=lambda r: int(r.id))
    outcomes = [
        PendingOutcome(
            int(r.id), r.application_id, r.status, r.receipt_no, r.reason, r.outcome_at, r.batch
        )
        for r in rows
    ]
    return Claimed(name, until, outcomes, {int(r.id): int(r.attempts) for r in rows})


@dataclass
class Written:
    """What the write step did with a claim's rows."""

    delivered: list[tuple[PendingOutcome, str]] = field(default_factory=list)  # with where
    failed: dict[int, str] = field(default_factory=dict)  # outbox id → why
    held: dict[int, int] = field(default_factory=dict)  # outbox id → the failed row before it
    files: list[Path] = field(default_factory=list)


def _write_sql(name: str, source: SqlSource, back: SqlWriteBack, claimed: Claimed) -> Written:
    """One UPDATE per outcome in id order; the source down: every row left fails."""
    written = Written()
    failed_app: dict[str, int] = {}
    try:
        writer = SqlWriter(name, source, back)
    except RenkeiError as exc:  # its password cannot be had: the message says which setting
        written.failed.update({o.outbox_id: str(exc) for o in claimed.outcomes})
        return written
    with writer:
        for n, outcome in enumerate(claimed.outcomes):
            if outcome.application_id in failed_app:
                written.held[outcome.outbox_id] = failed_app[outcome.application_id]
                continue
            try:
                changed = writer.write(outcome)
            except SourceDown as exc:
                for rest in claimed.outcomes[n:]:
                    if rest.outbox_id not in written.held:
                        written.failed[rest.outbox_id] = str(exc)
                return written
            except OutcomeRefused as exc:
                written.failed[outcome.outbox_id] = str(exc)
                failed_app[outcome.application_id] = outcome.outbox_id
                continue
            where = f"テーブル『{back.table}』の行を更新" if changed else "同じ結果が反映済み"
            written.delivered.append((outcome, where))
    return written


def _write_files(name: str, back: FileWriteBack, claimed: Claimed) -> Written:
    """One outcome file per batch (a batch left by a cut-off delivery first)."""
    written = Written()
    batches: dict[str, list[PendingOutcome]] = {}
    for outcome in claimed.outcomes:
        batches.setdefault(outcome.batch or "", []).append(outcome)
    for batch, outcomes in sorted(batches.items()):
        try:
            path = write_outcome_file(name, back, batch, outcomes)
        except SourceDown as exc:
            written.failed.update({o.outbox_id: str(exc) for o in outcomes})
            continue
        written.files.append(path)
        written.delivered.extend((o, f"結果ファイル {path.name}") for o in outcomes)
    return written


def _audit_line(name: str, outcome: PendingOutcome, where: str) -> AuditEvent:
    label = Status(outcome.status).label
    return AuditEvent(
        step=AUDIT_STEP,
        outcome=outcome.status,
        application=outcome.application_id,
        detail=f"申請管理システム（ソース『{name}』）へ{label}を書き戻しました（{where}）",
        extra={
            "source": name,
            "outbox": outcome.outbox_id,
            "batch": outcome.batch,
            "receipt_no": outcome.receipt_no,
        },
    )


def finish(
    db: Database, audit_dir: Path, who: str, claimed: Claimed, written: Written, now: datetime
) -> int:
    """Mark what was delivered (audited, same transaction), back off what failed; returns
    how many rows this process marked delivered (fenced by its lease)."""
    fence = (OutboxRow.delivered_at.is_(None), OutboxRow.next_try_at == claimed.until)
    by_id = {o.outbox_id: (o, where) for o, where in written.delivered}
    with db.session() as s:
        marked: Sequence[int] = []
        if by_id:
            marked = (
                s.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(list(by_id)), *fence)
                    .values(delivered_at=now, next_try_at=None, last_error=None)
                    .returning(OutboxRow.id)
                    .execution_options(synchronize_session=False)
                )
                .scalars()
                .all()
            )
        for outbox_id, why in written.failed.items():
            wait = backoff(claimed.attempts[outbox_id])
            _set(s, outbox_id, fence, next_try_at=now + wait, last_error=scrub_text(why))
        for outbox_id, before in written.held.items():
            _set(
                s,
                outbox_id,
                fence,
                attempts=OutboxRow.attempts - 1,  # not tried: its turn comes after #before
                next_try_at=now + backoff(claimed.attempts[before]),
                last_error=f"同じ申請の先の結果（#{before}）が未送信のため保留しています",
            )
        if marked:
            # one writer of the staff actions' log at a time: its chain continues the file
            _xact_lock(s, "audit:review.jsonl")
            trail = AuditTrail(audit_dir / "review.jsonl", "review", who, anchor=session_anchor(s))
            try:
                for outbox_id in sorted(marked):
                    trail.emit(_audit_line(claimed.source, *by_id[outbox_id]))
            finally:
                trail.close()
    return len(marked)


def _set(s: Any, outbox_id: int, fence: Iterable[Any], **values: Any) -> None:
    s.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, *fence)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# --- per source, and the service entry point --------------------------------------------


@dataclass
class SourceDelivery:
    """One source's delivery: counts, the errors (one line each), the files written."""

    source: str
    delivered: int = 0
    failed: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    not_configured: str | None = None  # why its outcomes are not sent (left pending)


@dataclass
class DeliveryReport:
    sources: list[SourceDelivery] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(d.delivered for d in self.sources)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.sources)


def _not_sent(name: str, source: Source | None) -> str | None:
    if source is None:
        return f"ソース『{name}』は sources.yaml にありません（結果は保留のまま）"
    if source.write_back is None:
        return f"ソース『{name}』に write_back の設定がありません（結果は保留のまま）"
    return None


def deliver_source(
    db: Database,
    audit_dir: Path,
    name: str,
    source: Source | None,
    *,
    who: str,
    now: datetime | None = None,
    force: bool = False,
) -> SourceDelivery:
    """Deliver the due outcomes of one source, chunk by chunk, until none is left or one
    fails (the rest waits for the next delivery)."""
    report = SourceDelivery(name)
    report.not_configured = _not_sent(name, source)
    if report.not_configured is not None or source is None or source.write_back is None:
        return report
    back = source.write_back
    while True:
        at = now or utcnow()
        claimed = claim(db, name, at, files=isinstance(back, FileWriteBack), force=force)
        if claimed is None:
            return report
        if isinstance(back, SqlWriteBack):
            assert isinstance(source, SqlSource)  # the config allows an UPDATE on SQL only
            written = _write_sql(name, source, back, claimed)
        else:
            written = _write_files(name, back, claimed)
        report.delivered += finish(db, audit_dir, who, claimed, written, now or utcnow())
        report.failed += len(written.failed)
        report.held += len(written.held)
        report.errors.extend(dict.fromkeys(written.failed.values()))
        report.files.extend(written.files)
        if written.failed or len(claimed.outcomes) < CHUNK:
            return report


def pending_sources(db: Database) -> list[str]:
    """The sources with outcomes not yet delivered (cheap: nothing pending, nothing read)."""
    with db.transaction() as conn:
        q = select(OutboxRow.source).where(OutboxRow.delivered_at.is_(None)).distinct()
        return sorted(str(s) for s in conn.execute(q).scalars())


def deliver_outbox(
    settings: Settings,
    *,
    db: Database | None = None,
    sources: Mapping[str, Source] | None = None,
    who: str | None = None,
    now: datetime | None = None,
    force: bool = False,
    only: str | None = None,
) -> DeliveryReport:
    """Deliver every source's due outcomes (after each run, by the scheduler, by
    ``renkei outbox deliver``). ``sources`` defaults to ``settings.sources_file``, read only
    when something is pending; ``force`` takes rows backing off too (a person asked);
    ``only`` names the one source to deliver."""
    from bots.engine.runner import runner_name

    own = db is None
    database = db or Database(settings.db_url)
    try:
        names = [n for n in pending_sources(database) if only is None or n == only]
        if not names:
            return DeliveryReport()
        if sources is None:
            sources = load_sources(settings.sources_file) if settings.sources_file.is_file() else {}
        report = DeliveryReport()
        for name in names:
            delivery = deliver_source(
                database,
                settings.audit_dir,
                name,
                sources.get(name),
                who=who or runner_name(),
                now=now,
                force=force,
            )
            for line in delivery.errors:
                logger.warning("書き戻し: {}", line)
            report.sources.append(delivery)
        return report
    finally:
        if own:
            database.dispose()


# --- what ``renkei outbox`` lists ---------------------------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    """A row not yet delivered, as staff read it."""

    id: int
    application_id: str
    source: str
    status: Status
    outcome_at: datetime
    attempts: int
    next_try_at: datetime | None
    last_error: str | None
    batch: str | None

    def state(self, now: datetime) -> str:
        if self.last_error is not None:
            return "再送待ち"
        if self.next_try_at is not None and self.next_try_at > now:
            return "送信中"
        return "未送信"


def pending(db: Database, source: str | None = None) -> list[OutboxEntry]:
    """Every outcome not yet delivered, oldest first (its error masked)."""
    q = select(OutboxRow).where(OutboxRow.delivered_at.is_(None)).order_by(OutboxRow.id)
    if source:
        q = q.where(OutboxRow.source == source)
    with db.session() as s:
        return [
            OutboxEntry(
                r.id,
                r.application_id,
                r.source,
                Status(r.status),
                r.outcome_at,
                r.attempts,
                r.next_try_at,
                scrub_text(r.last_error) if r.last_error else None,
                r.batch,
            )
            for r in s.execute(q).scalars()
        ]
