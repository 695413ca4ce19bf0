"""One bot run as the CLI and the scheduler start it: lock, load, run, report, record.

Kept apart from the engine so that the engine knows nothing of settings files, locks or
reports, and the CLI and the scheduler cannot drift apart in what "a run" means.

Around the engine a run does four things the engine must not decide alone:

* it loads every recipe that loads, and reports each broken file instead of refusing
  to run the procedures whose recipes are fine;
* it leaves alone the procedures IT has switched off (:mod:`bots.procedures`), and
  refuses a run of one of them alone, naming who switched it off, when and why;
* it takes one run lock per procedure (``run:<procedure>``), so that an all-procedures
  run and a one-procedure run never work the same procedure at once — unless the run
  joins as an extra runner (``exclusive=False``: the queue's leases keep runners apart);
* it starts no subsystem outside its online window, and stops claiming for one whose
  window closes within ``Settings.window_margin_s``;
* it tells in one exit code (:func:`exit_code`) what staff and monitoring must know.

It also hands the engine its concrete parts (:func:`new_engine`): the driver hosts by kind,
the audit trail with the database's anchors, the licence slots. The engine imports none of
them (pyproject ``[tool.importlinter]``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path

from loguru import logger
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from bots.audit.anchors import DbAnchors
from bots.audit.report import summary_dict, write_report
from bots.audit.trail import AuditTrail
from bots.clock import utcnow
from bots.config import DesktopSettings, Settings
from bots.contracts import Credentials, LicenceSlots, OutcomeKind, TrailFactory, WorkQueue
from bots.drivers.registry import HostConfig, driver_hosts
from bots.engine.runner import Engine, EngineSettings, new_run_id, runner_name
from bots.errors import RecipeError, RenkeiError
from bots.masking import protect_values
from bots.queue.db import Database
from bots.queue.schema import RunRow
from bots.queue.slots import SessionSlots
from bots.queue.sql import RunLock, SqlWorkQueue
from bots.recipe.model import Recipe, load_all, load_each
from bots.results import ItemResult, RunResult
from bots.scheduling.calendar import window_reason

RUN_LOCK_LEASE = timedelta(minutes=15)


class ExitCode(IntEnum):
    """What ``renkei run`` tells cron and monitoring; docs/operations.md explains each.

    When several apply, the smallest of 3–7 is returned: the one to act on first.
    """

    OK = 0  # everything claimable was handled (also: nothing to do)
    OPERATOR_ERROR = 1  # could not start: database unusable, unknown procedure, a setting
    USAGE = 2  # click's own: an unknown option or a missing argument
    STOPPED = 3  # a subsystem was stopped (screen changed, log-in refused): IT must look
    RECIPE_BROKEN = 4  # a recipe file does not load: its procedure was not run
    PAUSED = 5  # core unreachable, 503, licences: applications wait for the next run
    LOCKED = 6  # another run holds a procedure's lock: that procedure was not run here
    OUTSIDE_WINDOW = 7  # a subsystem's online window is closed (or closes within the margin)


def exit_code(result: RunResult) -> ExitCode:
    """The exit code of a finished (or skipped) run: see :class:`ExitCode`."""
    windowed = set(result.outside_window)
    retried = any(i.outcome == OutcomeKind.RETRY for i in result.items)
    codes = [
        (bool(result.stopped), ExitCode.STOPPED),
        (bool(result.broken), ExitCode.RECIPE_BROKEN),
        (bool(set(result.paused) - windowed) or retried, ExitCode.PAUSED),
        (bool(result.locked) or bool(result.skipped_reason), ExitCode.LOCKED),
        (bool(windowed), ExitCode.OUTSIDE_WINDOW),
    ]
    return next((code for hit, code in codes if hit), ExitCode.OK)


def load_recipes(settings: Settings) -> dict[str, Recipe]:
    """Every recipe, or the first error: for commands that need all of them to be right."""
    return load_all(settings.recipes_dir, settings.selectors_dir, settings.root)


def load_recipes_each(settings: Settings) -> tuple[dict[str, Recipe], dict[Path, RecipeError]]:
    """The recipes that load, and each broken file's error (see :func:`load_each`)."""
    return load_each(settings.recipes_dir, settings.selectors_dir, settings.root)


def host_config(engine: EngineSettings) -> HostConfig:
    """What a run's (or a tool's) driver hosts are given, from the engine's settings (and,
    for the desktop host, ``RENKEI_DESKTOP_*``: :class:`~bots.config.DesktopSettings`)."""
    desktop = DesktopSettings()
    return HostConfig(
        core_url=engine.core_url,
        timeout_ms=engine.timeout_ms,
        chromium=engine.chromium,
        headless=engine.headless,
        display=desktop.display or None,
        client_command=desktop.client or None,
        start_timeout_s=desktop.start_timeout_s,
    )


def run_trail(queue: WorkQueue) -> TrailFactory:
    """The audit trail of a run, anchored in the queue's management database (no anchors
    for a queue without one)."""
    db = getattr(queue, "db", None)
    anchors = DbAnchors(db) if isinstance(db, Database) else None

    def trail(path: Path, run_id: str, runner: str) -> AuditTrail:
        return AuditTrail(path, run_id, runner, anchor=anchors)

    return trail


def new_engine(
    recipes: dict[str, Recipe],
    queue: WorkQueue,
    engine: EngineSettings,
    *,
    run_id: str | None = None,
    runner: str | None = None,
    slots: LicenceSlots | None = None,
) -> Engine:
    """An engine with the concrete parts of this installation: a driver host per kind of
    selector file (:mod:`bots.drivers.registry`) and the audit trail anchored in the
    queue's database. ``slots`` are the licence slots (with ``engine.session_limit``)."""
    return Engine(
        recipes,
        queue,
        engine,
        hosts=driver_hosts(host_config(engine)),
        trail=run_trail(queue),
        run_id=run_id,
        runner=runner,
        slots=slots,
    )


def engine_settings(settings: Settings) -> EngineSettings:
    # the core system's password is sensitive in every output of the process, whoever calls
    protect_values([settings.core_password], keep=True)
    return EngineSettings(
        core_url=settings.core_url,
        credentials=Credentials(settings.core_user, settings.core_password),
        out_root=settings.out_root,
        chromium=settings.chromium,
        headless=settings.headless,
        transient_tries=settings.transient_tries,
        timeout_ms=settings.timeout_ms,
        lease=timedelta(seconds=settings.lease_s),
        retry_later=timedelta(seconds=settings.retry_later_s),
        session_limit=settings.core_sessions,
        session_wait_s=settings.session_wait_s,
        verify_always=settings.verify == "always",
    )


def _in_scope(
    settings: Settings, db: Database, procedure: str | None
) -> tuple[dict[str, Recipe], dict[str, str], dict[str, str]]:
    """The recipes this run may work, the broken files it must report, and the procedures
    IT has switched off that it leaves alone (procedure → who, when and why).

    A run of one procedure that IT has switched off is refused naming who did, when and
    why; one whose own recipe is broken fails with that recipe's error; an unknown
    procedure fails naming the procedures there are.
    """
    from bots.procedures import ProcedureDisabled, disabled, refusal

    recipes, errors = load_recipes_each(settings)
    off = disabled(db)
    if procedure is not None and procedure in off:
        title = recipes[procedure].title if procedure in recipes else None
        raise ProcedureDisabled(refusal(off[procedure], title))
    broken = {str(path): str(exc) for path, exc in errors.items()}
    for path, exc in errors.items():
        logger.error("レシピを読み込めないため、この手続は実行しません: {}", exc)
        if procedure is not None and path.stem == procedure:
            raise exc
    if procedure is None:
        left = {p: sw.text() for p, sw in sorted(off.items()) if p in recipes}
        for p, why in left.items():
            logger.warning("手続 {} は停止中のため、この実行では扱いません: {}", p, why)
        return {p: r for p, r in recipes.items() if p not in off}, broken, left
    if procedure not in recipes:
        also = f"。読み込めないレシピ: {'; '.join(broken.values())}" if broken else ""
        raise KeyError(
            f"手続 '{procedure}' のレシピがありません（{', '.join(sorted(recipes))}）{also}"
        )
    return {procedure: recipes[procedure]}, {}, {}


@dataclass
class _Locks:
    """The run locks of the procedures this run works (none when it joins another run)."""

    held: list[RunLock] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # procedure → holder

    def refresh(self) -> None:
        for lock in self.held:
            lock.refresh()


@contextmanager
def _run_locks(
    db: Database, procedures: list[str], runner: str, *, exclusive: bool
) -> Iterator[_Locks]:
    """Take each procedure's lock that is free; release them all at the end."""
    locks = _Locks()
    try:
        for procedure in procedures if exclusive else []:
            lock = RunLock(db, f"run:{procedure}", runner, RUN_LOCK_LEASE)
            if lock.acquire():
                locks.held.append(lock)
            else:
                locks.refused[procedure] = lock.holder_now() or "不明な実行者"
        yield locks
    finally:
        for lock in locks.held:
            lock.release()


def _windows(
    db: Database, recipes: dict[str, Recipe], margin: timedelta, closed: dict[str, str]
) -> tuple[dict[str, Recipe], Callable[[str], str | None]]:
    """The recipes whose subsystem is online now, and the engine's gate before each claim.

    Both record in ``closed`` why a subsystem was not (or no longer) worked.
    """

    def gate(system: str) -> str | None:
        reason = window_reason(db, system, datetime.now(UTC), margin)
        if reason is not None:
            if system not in closed:
                logger.warning("{}: 稼働時間のため、申請の取得を止めました: {}", system, reason)
            closed[system] = reason
        return reason

    open_now = {p: r for p, r in recipes.items() if gate(r.system) is None}
    return open_now, gate


def _skipped(
    settings: Settings, run_id: str, runner: str, procedure: str | None, why: str
) -> RunResult:
    result = RunResult(
        run_id, runner, procedure, datetime.now().astimezone(), settings.out_root / run_id
    )
    result.skipped_reason = why
    logger.warning(why)
    return result


def run_once(
    settings: Settings,
    procedure: str | None = None,
    *,
    limit: int | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    db: Database | None = None,
    exclusive: bool = True,
) -> RunResult:
    """Run the bot once over ``procedure`` (or every procedure whose recipe loads).

    Each procedure's run lock is taken first; a procedure another run holds is left to
    it (``locked``), and when that is every procedure the run does not start
    (``skipped_reason``). With ``exclusive=False`` the run joins whatever runs are going
    as one more runner. Locks are refreshed after every application, so a runner that
    died frees them within ``RUN_LOCK_LEASE``.
    """
    db = db or Database(settings.db_url)
    recipes, broken, switched_off = _in_scope(settings, db, procedure)
    run_id, runner = new_run_id(), runner_name()
    with _run_locks(db, sorted(recipes), runner, exclusive=exclusive) as locks:
        if recipes and len(locks.refused) == len(recipes):
            holders = "、".join(f"{p}: {h}" for p, h in sorted(locks.refused.items()))
            why = f"前回の実行（{holders}）が継続中のため、開始しませんでした"
            result = _skipped(settings, run_id, runner, procedure, why)
            result.locked, result.broken = locks.refused, broken
            return result
        for p, holder in locks.refused.items():
            logger.warning("手続 {} は実行中（{}）のため、この実行では扱いません", p, holder)
        mine = {p: r for p, r in recipes.items() if p not in locks.refused}
        closed: dict[str, str] = {}
        online, gate = _windows(db, mine, timedelta(seconds=settings.window_margin_s), closed)

        queue = SqlWorkQueue(db, run_id, max_attempts=settings.max_attempts)
        queue.reap()
        progress = _Progress(db, run_id, _claimable(queue, online, limit))
        progress.start(runner, procedure)

        def each(item: ItemResult) -> None:
            locks.refresh()
            progress.advance()
            if on_item is not None:
                on_item(item)

        slots = SessionSlots(db) if settings.core_sessions else None
        engine = new_engine(
            online, queue, engine_settings(settings), run_id=run_id, runner=runner, slots=slots
        )
        result = engine.run(None, limit=limit, on_item=each, gate=gate)
        result.procedure = procedure
        result.locked, result.broken, result.outside_window = locks.refused, broken, closed
        result.disabled = switched_off
        for system, reason in closed.items():
            result.paused.setdefault(system, reason)
        _record(db, result)
    _write_back(settings, db)  # the run locks are free again: delivery holds none
    return result


def _write_back(settings: Settings, db: Database) -> None:
    """The run's outcomes (and any left pending) to the sources they came from
    (:mod:`bots.sources.outbox`). Never fails the run: a source that is down, or a
    sources.yaml that does not load, leaves the outcomes in the outbox for the next try."""
    from bots.sources.outbox import deliver_outbox

    try:
        report = deliver_outbox(settings, db=db)
    except (RenkeiError, SQLAlchemyError, OSError) as exc:  # the outcomes stay in the outbox
        logger.warning(
            "結果の書き戻しを行えませんでした（未送信のまま保留、renkei outbox）: {}", exc
        )
        return
    if report.failed:
        logger.warning(
            "結果の書き戻し: {} 件は送れませんでした（保留、後で再送。renkei outbox で確認）",
            report.failed,
        )


def _claimable(queue: SqlWorkQueue, online: dict[str, Recipe], limit: int | None) -> int:
    """How many applications this run expects to finish: 連携待ち of its procedures now."""
    waiting = sum(left.get("resolved", 0) for p, left in queue.remaining().items() if p in online)
    return waiting if limit is None else min(limit, waiting)


class _Progress:
    """The run's row while it goes: ``done`` of ``total``, for the console's live view.

    Written at the start and then at most once a second (one small UPDATE, not one per
    application: keying must not slow down for the sake of a progress bar).
    """

    EVERY = 1.0

    def __init__(self, db: Database, run_id: str, total: int) -> None:
        self.db, self.run_id, self.total = db, run_id, total
        self.done, self._written = 0, 0.0

    def start(self, runner: str, procedure: str | None) -> None:
        with self.db.session() as s:
            s.add(
                RunRow(
                    id=self.run_id,
                    procedure=procedure,
                    runner=runner,
                    started_at=utcnow(),
                    done=0,
                    total=self.total,
                )  # fmt: skip
            )
        self._written = time.monotonic()

    def advance(self) -> None:
        self.done += 1
        if time.monotonic() - self._written < self.EVERY:
            return
        with self.db.session() as s:
            s.execute(
                update(RunRow)
                .where(RunRow.id == self.run_id)
                .values(done=self.done, total=max(self.total, self.done))
            )
        self._written = time.monotonic()


def _record(db: Database, result: RunResult) -> None:
    """The report and summary in the run folder, and the run's row in the database
    (written at the start by :class:`_Progress`, completed here)."""
    write_report(result)
    done = len(result.items)
    summary = {k: v for k, v in summary_dict(result).items() if k != "items"}
    with db.session() as s:
        previous = s.get(RunRow, result.run_id)
        total = max(done, previous.total or 0) if previous is not None else done
        s.merge(
            RunRow(
                id=result.run_id,
                procedure=result.procedure,
                runner=result.runner,
                started_at=result.started_at.astimezone(UTC).replace(tzinfo=None),
                ended_at=(
                    result.ended_at.astimezone(UTC).replace(tzinfo=None)
                    if result.ended_at
                    else None
                ),
                summary=summary,
                report_path=str(result.report_path),
                done=done,
                total=total,
            )
        )
