"""Tables of the management database as renkei uses it.

``applications`` stands for the 申請管理システム's table: staff set the status up to
``resolved``; the bot only moves it on from there and writes back the outcome (受付番号,
keyed time, reason). ``attempts`` keeps one row per try, separate from the business key,
so an auditor sees every attempt and who made it. ``schedules``, ``schedule_fires``,
``closed_days`` and ``online_windows`` are the scheduler service's (:mod:`bots.scheduling`):
the schedules staff keep, every slot fired once, the calendar. ``core_sessions`` holds the licence slots
of each core system (:class:`bots.queue.slots.SessionSlots`). ``import_rejections`` keeps
every row ``renkei import`` refused, so a refused row is on record, not only on a screen.
``console_users`` and ``console_sessions`` are the web console's accounts and log-ins
(:mod:`bots.console.accounts`); ``procedure_states`` says which procedures IT has switched
off, and ``recipe_checks`` when each recipe was last checked and with what result.

Portable between SQLite and PostgreSQL: times are naive UTC (``timestamp without time
zone`` on PostgreSQL, as SQLite has no time zones), JSON is ``JSONB`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bots.queue.sealing import SealedDocument

#: JSON documents: JSONB on PostgreSQL (binary, indexable), JSON text elsewhere.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class ApplicationRow(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    atena_no: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(SealedDocument)  # sealed at rest: sealing.py
    # written back by the bot
    receipt_no: Mapped[str | None] = mapped_column(String(40))
    keyed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # who recorded it as keyed by hand (``review done``); None when the bot keyed it, whose
    # registration the core system holds, so only a manual completion can be undone
    keyed_by: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    core_message: Mapped[str | None] = mapped_column(Text)
    # queue bookkeeping
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime)
    acquired_by: Mapped[str | None] = mapped_column(String(120))
    acquired_until: Mapped[datetime | None] = mapped_column(DateTime)
    needs_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # where it came from (a source of sources.yaml; None: ``renkei import``, the demo) and the
    # source row's version (its version or updated-at column) when it was taken
    source: Mapped[str | None] = mapped_column(String(64), index=True)
    source_version: Mapped[str | None] = mapped_column(String(64))
    # when its form data was purged (days after 連携済 / 対象外); the row and the audit stay
    purged_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_applications_queue", "status", "procedure", "received_at"),)


class AttemptRow(Base):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    runner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    """An outcome to write back to the application's source (the transactional outbox).

    Written in the same transaction as the status change, so an outcome is never lost;
    delivered (an UPDATE through the source's mapping, or a row of an outcome file) and
    then marked ``delivered_at``. Writing the same outcome twice changes nothing at the
    source, so a delivery cut off before it was marked is simply done again.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20))
    receipt_no: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)  # masked, as every reason
    outcome_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    batch: Mapped[str | None] = mapped_column(String(64), index=True)  # an outcome file's run
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class SourceFileRow(Base):
    """A file a drop-folder source took: by content, so the same export dropped twice is
    taken once, whatever its name."""

    __tablename__ = "source_files"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    moved_to: Mapped[str] = mapped_column(Text)  # done/… or rejected/…
    rows: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure: Mapped[str | None] = mapped_column(String(64))
    runner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    report_path: Mapped[str | None] = mapped_column(Text)
    # live progress while the run goes (the console shows "done of total" without reload):
    # applications finished so far, and finished + still claimable when last counted
    done: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)


class RunLockRow(Base):
    """One row per lock name: a run in progress holds it under a lease."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_until: Mapped[datetime] = mapped_column(DateTime)


class CoreSessionRow(Base):
    """One licence slot of a core system: free when ``holder`` is empty or its lease ended."""

    __tablename__ = "core_sessions"

    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(String(120))
    acquired_until: Mapped[datetime | None] = mapped_column(DateTime)


class ImportRejectionRow(Base):
    """A row ``renkei import`` refused: which file and row, and why (personal numbers scrubbed)."""

    __tablename__ = "import_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file: Mapped[str] = mapped_column(Text)
    row: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    by: Mapped[str] = mapped_column(String(120))


class ScheduleRow(Base):
    """A schedule staff keep (``renkei schedule add``); only the scheduler service fires it.

    ``last_slot`` is the last cron slot the service fired (naive UTC): the next fire is
    computed from it, so slots missed while no service ran are coalesced into one run.
    ``active_since`` (creation or the last resume) bounds it from below, so slots that
    passed while the schedule was paused are not run on resume. ``run_now_at`` is a pending
    ``run-now`` request (its time is the slot of that run).
    """

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    procedure: Mapped[str | None] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(120))
    on_closed_days: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    active_since: Mapped[datetime] = mapped_column(DateTime)
    last_slot: Mapped[datetime | None] = mapped_column(DateTime)
    run_now_at: Mapped[datetime | None] = mapped_column(DateTime)


class ScheduleFireRow(Base):
    """One fired slot of a schedule: inserted before the run, so a slot runs only once.

    The unique (schedule_id, slot) key is the slot lock between scheduler services on one
    database; ``outcome`` and ``reason`` say what came of it (ran, closed day, skipped…).
    """

    __tablename__ = "schedule_fires"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(String(120), index=True)
    slot: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))  # cron | run-now
    fired_by: Mapped[str] = mapped_column(String(120))
    fired_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("schedule_id", "slot", name="uq_schedule_fires_slot"),)


class ClosedDayRow(Base):
    """A day the municipality's office is closed beyond weekends, 祝日 and 年末年始."""

    __tablename__ = "closed_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    note: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(120))
    added_at: Mapped[datetime] = mapped_column(DateTime)


class OnlineWindowRow(Base):
    """The hours (JST) a core subsystem accepts online work; no row means always open."""

    __tablename__ = "online_windows"

    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AuditAnchorRow(Base):
    """A signed record of an audit chain's head, kept outside the run folder.

    ``number`` counts every anchor of the installation without gaps (so a deleted anchor is
    seen); ``seq`` counts the anchors of one chain (a run id, or ``review``); ``lines`` and
    ``head`` are the chain's length and last hash when it was anchored; ``final`` marks the
    anchor written when the chain was closed. ``signature`` (Ed25519, hex) covers every
    other column; ``key_id`` is the fingerprint of the key that signed it.
    """

    __tablename__ = "audit_anchors"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chain: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_anchors_chain_seq"),)


class AuditPruneRow(Base):
    """A signed record of a run's evidence removed after its retention (``renkei audit prune``).

    The run folder (log, screenshots, report) is gone, but its chain's every line hash is
    kept here (``hashes``, in line order; ``lines`` and ``head`` are its length and last
    hash), so the run's anchors and an auditor's earlier checkpoint can still be checked
    against what was removed. ``ended_at`` is the run's end as its final anchor recorded
    it, ``before`` the date given, ``by``/``host`` the OS account and machine that pruned,
    ``note`` why. ``signature`` (Ed25519, hex) covers every other column; the prune is
    also a line of the ``retention`` audit chain, which names ``number``.
    """

    __tablename__ = "audit_prunes"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), unique=True)
    lines: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    hashes: Mapped[list[str]] = mapped_column(JsonDocument)
    ended_at: Mapped[datetime] = mapped_column(DateTime)
    screenshots: Mapped[int] = mapped_column(Integer)
    files: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    before: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(120))
    host: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)


class ConsoleUserRow(Base):
    """A person who signs in to the web console, with one role (:mod:`bots.console.roles`).

    ``password_hash`` is an Argon2id hash (argon2-cffi); the password itself is never
    stored. ``failed_logins`` counts wrong passwords since the last good one; reaching the
    limit sets ``locked_until``. A ``disabled`` account cannot sign in but stays on record,
    because the audit trail names it.
    """

    __tablename__ = "console_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(Text)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(120))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # set by an administrator (a temporary password): to be changed at the next sign-in
    must_change: Mapped[bool | None] = mapped_column(Boolean)


class ConsoleSessionRow(Base):
    """One signed-in browser: the cookie holds a random token, this row its SHA-256.

    Kept server-side so that signing out, a time-out or a disabled account ends the
    session for certain (a copied cookie is worth nothing after that).
    """

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_why: Mapped[str | None] = mapped_column(String(20))


class ProcedureStateRow(Base):
    """A procedure IT has switched off (or on again); no row means enabled."""

    __tablename__ = "procedure_states"

    procedure: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class RecipeCheckRow(Base):
    """One check of a procedure's recipe and selectors (``ok`` or the loader's error)."""

    __tablename__ = "recipe_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    procedure: Mapped[str] = mapped_column(String(64), index=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str | None] = mapped_column(String(120))
