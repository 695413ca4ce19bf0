"""Schedules as rows of the management database: the one service layer the CLI and the
web console call. Every change is a line of the staff actions' audit log with the person
(``by``), written in the change's transaction (:func:`~bots.scheduling.calendar.audit_change`).

Nothing here ever runs a procedure or moves a schedule on: commands write what staff want
(a schedule, a pause, a run-now request) and the scheduler service
(:mod:`bots.scheduling.service`) is the only process that fires. Reading a schedule —
``renkei schedule list`` — is pure computation from its row, so it can never lose a run.

Fire times come from APScheduler's :class:`~apscheduler.triggers.cron.CronTrigger` in
Japan time: a 5-field crontab line (``0 18 * * 1-5``) or, for tests and short intervals,
6 fields with a leading seconds field (``*/10 * * * * *``). A schedule's next slot is the
first fire time after ``max(last_slot, active_since)``; when several have passed (the
service was down) they are *coalesced* into the latest one: one run, not one per slot.

Two services on one database never fire a slot twice: :func:`claim_slot` advances
``last_slot`` with a conditional UPDATE and inserts the ``schedule_fires`` row under its
unique (schedule_id, slot) key in the same transaction; whoever loses either skips.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bots.clock import utcnow
from bots.queue.db import Database
from bots.queue.schema import ScheduleFireRow, ScheduleRow
from bots.queue.sql import _rowcount, holder_is_dead
from bots.scheduling.calendar import JST, audit_change, closed_days_checker

CRON = "cron"
RUN_NOW = "run-now"
SERVICE_PREFIX = "scheduler@"  # fired_by = scheduler@host:pid
_TICK = timedelta(microseconds=1)
_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")


class ScheduleError(ValueError):
    """An operator's mistake (bad cron, unknown id or procedure): one Japanese line."""


@dataclass(frozen=True)
class LastFire:
    slot: datetime  # aware, JST
    kind: str
    outcome: str
    reason: str | None
    run_id: str | None


@dataclass(frozen=True)
class Schedule:
    """A schedule as people see it: times aware in JST."""

    id: str
    procedure: str | None
    cron: str
    on_closed_days: bool
    paused: bool
    next_run: datetime | None  # the next slot that will run (closed days skipped); None if paused
    run_now_pending: bool
    last_fire: LastFire | None
    skipped_first: str | None = None  # why the next slot(s) before next_run will not run


#: What came of a fired slot (``schedule_fires.outcome``), in the words staff read.
FIRE_LABELS = {
    "running": "実行中",
    "ran": "実行済",
    "closed": "閉庁日のため休み",
    "paused": "一部保留（基幹システム停止・稼働時間外）",
    "stopped": "停止（画面の変更等、要対応）",
    "skipped": "見送り（前回の実行が継続中）",
    "failed": "実行できず",
    "interrupted": "中断（サービス停止）",
}
#: How far ahead ``schedule list`` looks for a slot that is not on a closed day.
LOOKAHEAD_SLOTS = 1000


def parse_cron(expr: str) -> CronTrigger:
    """A crontab line in Japan time: 5 fields, or 6 with a leading seconds field.

    Weekdays count as in crontab (0 and 7 Sunday, 1–5 Monday–Friday), see
    :func:`_crontab_weekdays`.
    """
    try:
        return CronTrigger(timezone=JST, **_cron_fields(expr.split()))
    except ValueError as exc:
        raise ScheduleError(f"cron 式 '{expr}' が正しくありません: {exc}") from exc


def _crontab_weekdays(text: str) -> str:
    """Crontab weekday numbers (0 or 7 = Sunday, 1 = Monday) in APScheduler 3's numbering.

    APScheduler 3 counts 0 as Monday even in ``from_crontab`` (its issue 286), which would
    move a ``1-5`` (Monday–Friday) schedule to Tuesday–Saturday. Names (``mon-fri``) pass
    through unchanged.
    """
    if text == "*":
        return text
    days: set[int] = set()
    names: list[str] = []
    for token in text.split(","):
        span, _, step = token.partition("/")
        if any(ch.isalpha() for ch in span):
            names.append(token)
            continue
        lo, _, hi = ("0-6" if span == "*" else span).partition("-")
        if not (lo.isdigit() and (hi or lo).isdigit() and (not step or step.isdigit())):
            raise ValueError(f"曜日 '{token}' が正しくありません")
        first = int(lo)
        last = int(hi) if hi else (7 if step else first)  # "5/2": 5 to the end (7)
        if not (0 <= first <= last <= 7) or step == "0":
            raise ValueError(f"曜日 '{token}' は 0–7 の範囲で指定してください")
        days.update((d + 6) % 7 for d in range(first, last + 1, int(step or 1)))
    return ",".join([str(d) for d in sorted(days)] + names)


def _cron_fields(fields: list[str]) -> dict[str, str]:
    """5 or 6 crontab fields → CronTrigger keyword arguments (seconds 0 for 5 fields)."""
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError("フィールドは 5 個（分 時 日 月 曜日）か 6 個（秒 分 時 日 月 曜日）です")
    values = dict(zip(_CRON_FIELDS, fields, strict=True))
    values["day_of_week"] = _crontab_weekdays(values["day_of_week"])
    return values


def _aware(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC)


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _after(trigger: CronTrigger, moment: datetime) -> datetime | None:
    """The first fire time strictly after ``moment`` (aware)."""
    result: datetime | None = trigger.get_next_fire_time(None, moment + _TICK)
    return result


def floor_of(row: ScheduleRow) -> datetime:
    """The moment after which the schedule's next slot lies (aware UTC)."""
    since = _aware(row.active_since)
    return max(since, _aware(row.last_slot)) if row.last_slot else since


def next_slot(row: ScheduleRow) -> datetime | None:
    """The first slot not yet fired (aware JST); may be in the past if the service is down."""
    return _after(parse_cron(row.cron), floor_of(row))


def next_after(row: ScheduleRow, now: datetime) -> datetime | None:
    """The first slot after both ``now`` and the last fired one: when to look again."""
    return _after(parse_cron(row.cron), max(floor_of(row), now))


def due_slot(row: ScheduleRow, now: datetime) -> datetime | None:
    """The slot to fire at ``now`` (aware), coalescing every passed one into the latest."""
    trigger = parse_cron(row.cron)
    floor = floor_of(row)
    first = _after(trigger, floor)
    if first is None or first > now:
        return None
    # Search back from now by doubling, so a long outage costs a few steps, not one per slot.
    span = timedelta(seconds=1)
    while True:
        start = max(floor, now - span)
        latest = _after(trigger, start)
        if latest is not None and latest <= now:
            break
        span *= 2
    while (later := _after(trigger, latest)) is not None and later <= now:
        latest = later
    return latest


# -- what staff do ----------------------------------------------------------------------


def add_schedule(
    db: Database,
    procedure: str | None,
    cron: str,
    *,
    schedule_id: str | None = None,
    on_closed_days: bool = False,
    procedures: Collection[str] | None = None,
    by: str | None = None,
    audit_dir: Path | None = None,
) -> Schedule:
    """Add a schedule; it fires from its first slot after now (nothing retroactive).

    Audited as ``schedule_add`` with ``by`` in the same transaction (see
    :func:`bots.scheduling.calendar.audit_change`).
    """
    parse_cron(cron)
    if procedure is not None and procedures is not None and procedure not in procedures:
        known = "、".join(sorted(procedures))
        raise ScheduleError(f"手続 '{procedure}' のレシピがありません（{known}）")
    schedule_id = schedule_id or f"run:{procedure or 'all'}"
    cron = " ".join(cron.split())
    now = utcnow()
    try:
        with db.session() as s:
            s.add(
                ScheduleRow(
                    id=schedule_id,
                    procedure=procedure,
                    cron=cron,
                    on_closed_days=on_closed_days,
                    paused=False,
                    created_at=now,
                    created_by=by,
                    updated_at=now,
                    active_since=now,
                )
            )
            s.flush()  # a duplicate id fails here, before the audit line is written
            audit_change(
                s,
                audit_dir,
                by,
                "schedule_add",
                f"スケジュール {schedule_id} を追加（{cron}）",
                schedule=schedule_id,
                procedure=procedure,
                cron=cron,
                on_closed_days=on_closed_days,
            )
    except IntegrityError as exc:
        raise ScheduleError(
            f"スケジュール '{schedule_id}' は既にあります（変えるときは remove してから add）"
        ) from exc
    return get_schedule(db, schedule_id)


def _change(
    db: Database,
    schedule_id: str,
    step: str,
    detail: str,
    by: str | None,
    audit_dir: Path | None,
    **values: object,
) -> None:
    """Update one schedule row and audit it in one transaction; unknown ids are refused."""
    with db.session() as s:
        n = _rowcount(
            s.execute(
                update(ScheduleRow)
                .where(ScheduleRow.id == schedule_id)
                .values(updated_at=utcnow(), **values)
            )
        )
        if n == 0:
            raise ScheduleError(f"スケジュール '{schedule_id}' はありません")
        audit_change(
            s, audit_dir, by, step, f"スケジュール {schedule_id} を{detail}", schedule=schedule_id
        )


def pause_schedule(
    db: Database, schedule_id: str, *, by: str | None = None, audit_dir: Path | None = None
) -> None:
    _change(db, schedule_id, "schedule_pause", "一時停止", by, audit_dir, paused=True)


def resume_schedule(
    db: Database, schedule_id: str, *, by: str | None = None, audit_dir: Path | None = None
) -> None:
    """Resume from now on: the slots that passed while paused are not made up."""
    _change(
        db,
        schedule_id,
        "schedule_resume",
        "再開",
        by,
        audit_dir,
        paused=False,
        active_since=utcnow(),
    )


def request_run_now(
    db: Database, schedule_id: str, *, by: str | None = None, audit_dir: Path | None = None
) -> datetime:
    """Ask the service to run the schedule once now (even if paused or on a closed day).

    The request's time is the slot of that run: a unique slot of its own, so two services
    run it once. Microseconds are made non-zero so it can never equal a cron slot.
    """
    at = utcnow()
    if at.microsecond == 0:
        at += _TICK
    _change(
        db,
        schedule_id,
        "schedule_run_now",
        "今すぐ実行するよう依頼",
        by,
        audit_dir,
        run_now_at=at,
    )
    return _aware(at).astimezone(JST)


def remove_schedule(
    db: Database, schedule_id: str, *, by: str | None = None, audit_dir: Path | None = None
) -> None:
    """Remove the schedule (its fire history stays on record)."""
    with db.session() as s:
        row = s.get(ScheduleRow, schedule_id)
        if row is None:
            raise ScheduleError(f"スケジュール '{schedule_id}' はありません")
        cron, procedure = row.cron, row.procedure
        s.execute(delete(ScheduleRow).where(ScheduleRow.id == schedule_id))
        audit_change(
            s,
            audit_dir,
            by,
            "schedule_remove",
            f"スケジュール {schedule_id} を削除（{cron}）",
            schedule=schedule_id,
            procedure=procedure,
            cron=cron,
        )


def overdue_since(db: Database, grace: timedelta = timedelta(minutes=2)) -> datetime | None:
    """The oldest slot or run-now request left unfired for longer than ``grace`` (JST), or
    None: a sign that no scheduler service (``renkei scheduler``) is running.

    Every due slot is claimed within seconds by a running service — even one on a closed
    day is recorded (as ``closed``) — so a slot long past without a fire means nobody is
    firing. Computed from the rows alone; it cannot tell before the first slot is due.
    """
    limit = utcnow() - grace
    late: list[datetime] = []
    for row in load_rows(db):
        if row.run_now_at is not None and row.run_now_at < limit:
            late.append(_aware(row.run_now_at))
        slot = None if row.paused else next_slot(row)
        if slot is not None and slot < _aware(limit):
            late.append(slot)
    return min(late).astimezone(JST) if late else None


# -- what people read -------------------------------------------------------------------


def load_rows(db: Database) -> list[ScheduleRow]:
    with db.session() as s:
        return list(s.scalars(select(ScheduleRow).order_by(ScheduleRow.id)).all())


def _last_fires(db: Database) -> dict[str, LastFire]:
    with db.session() as s:
        latest = (
            select(ScheduleFireRow.schedule_id, func.max(ScheduleFireRow.id).label("id"))
            .group_by(ScheduleFireRow.schedule_id)
            .subquery()
        )
        rows = s.scalars(select(ScheduleFireRow).join(latest, ScheduleFireRow.id == latest.c.id))
        return {
            r.schedule_id: LastFire(
                _aware(r.slot).astimezone(JST), r.kind, r.outcome, r.reason, r.run_id
            )
            for r in rows
        }


def next_run(
    row: ScheduleRow, closed: Callable[[date], str | None]
) -> tuple[datetime | None, str | None]:
    """The next slot that will really run (a closed day's is recorded, not run), and why
    the slot(s) before it will not: what staff need from "次回"."""
    slot = next_slot(row)
    if row.on_closed_days:
        return slot, None
    trigger, skipped = parse_cron(row.cron), None
    for _ in range(LOOKAHEAD_SLOTS):
        if slot is None:
            return None, skipped
        reason = closed(slot.astimezone(JST).date())
        if reason is None:
            return slot, skipped
        skipped = skipped or reason
        slot = _after(trigger, slot)
    return None, skipped


def _view(
    row: ScheduleRow, last: LastFire | None, closed: Callable[[date], str | None]
) -> Schedule:
    nxt, skipped = (None, None) if row.paused else next_run(row, closed)
    return Schedule(
        row.id,
        row.procedure,
        row.cron,
        row.on_closed_days,
        row.paused,
        nxt.astimezone(JST) if nxt else None,
        row.run_now_at is not None,
        last,
        skipped,
    )


def list_schedules(db: Database) -> list[Schedule]:
    """Every schedule with its next run and last fire: reads only, changes nothing."""
    last, closed = _last_fires(db), closed_days_checker(db)
    return [_view(row, last.get(row.id), closed) for row in load_rows(db)]


def get_schedule(db: Database, schedule_id: str) -> Schedule:
    for sched in list_schedules(db):
        if sched.id == schedule_id:
            return sched
    raise ScheduleError(f"スケジュール '{schedule_id}' はありません")


def list_fires(db: Database, schedule_id: str | None = None) -> list[ScheduleFireRow]:
    """The fired slots, oldest first (what came of each: ran, closed, skipped…)."""
    with db.session() as s:
        q = select(ScheduleFireRow).order_by(ScheduleFireRow.id)
        if schedule_id is not None:
            q = q.where(ScheduleFireRow.schedule_id == schedule_id)
        return list(s.scalars(q).all())


# -- what only the service does ---------------------------------------------------------


def claim_slot(
    db: Database, row: ScheduleRow, slot: datetime, kind: str, fired_by: str
) -> int | None:
    """Take ``slot`` of the schedule for this service: the fire row's id, or None if another
    service took it, the schedule was paused or removed, or the run-now was already taken.

    The conditional UPDATE (``last_slot`` only moves forward; a run-now request is taken
    only while it is still the same) and the unique key of ``schedule_fires`` are checked
    in one transaction, so exactly one service wins on SQLite and on PostgreSQL.
    """
    at = _naive(slot)
    cond = update(ScheduleRow).where(ScheduleRow.id == row.id)
    if kind == CRON:
        cond = cond.where(
            ScheduleRow.paused.is_(False),
            (ScheduleRow.last_slot.is_(None)) | (ScheduleRow.last_slot < at),
        ).values(last_slot=at)
    else:
        cond = cond.where(ScheduleRow.run_now_at == at).values(run_now_at=None)
    try:
        with db.transaction() as conn:
            if _rowcount(conn.execute(cond)) != 1:
                return None
            fire_id = conn.execute(
                insert(ScheduleFireRow)
                .values(
                    schedule_id=row.id,
                    slot=at,
                    kind=kind,
                    fired_by=fired_by,
                    fired_at=utcnow(),
                    outcome="running",
                )
                .returning(ScheduleFireRow.id)
            ).scalar_one()
            return int(fire_id)
    except IntegrityError:
        return None


def finish_fire(
    db: Database, fire_id: int, outcome: str, reason: str | None, run_id: str | None
) -> None:
    with db.session() as s:
        s.execute(
            update(ScheduleFireRow)
            .where(ScheduleFireRow.id == fire_id)
            .values(outcome=outcome, reason=reason, run_id=run_id, ended_at=utcnow())
        )


def abandon_dead_fires(db: Database, host: str) -> list[str]:
    """Mark ``interrupted`` the fires still ``running`` under a service of this host that is
    no longer alive (killed, the machine restarted): ``schedule list`` must not show a run
    as going for ever. Returns the schedule ids. Services on other hosts are left alone:
    this one cannot see their processes. The applications such a run held are safe anyway:
    their leases expire and the next run looks each up in the core system before typing.
    """
    # user@host:pid (bots.engine.runner.runner_name), or host:pid as written before
    fired_by = ScheduleFireRow.fired_by
    of_this_host = or_(
        fired_by.startswith(f"{SERVICE_PREFIX}{host}:"),
        fired_by.like(f"{SERVICE_PREFIX}%@{host}:%"),
    )  # (holder_is_dead also checks the host)
    with db.session() as s:
        running = s.scalars(
            select(ScheduleFireRow).where(ScheduleFireRow.outcome == "running", of_this_host)
        ).all()
        dead = [f for f in running if holder_is_dead(f.fired_by.removeprefix(SERVICE_PREFIX))]
        for fire in dead:
            fire.outcome = "interrupted"
            fire.reason = f"スケジューラ（{fire.fired_by}）が実行中に停止しました"
            fire.ended_at = utcnow()
        return [f.schedule_id for f in dead]
