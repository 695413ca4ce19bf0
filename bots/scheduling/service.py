"""``renkei scheduler``: the one process that fires the schedules kept in the database.

Every ~2 s (and exactly at a slot when one is nearer) the service reads the ``schedules``
rows and fires what is due; the rows are the only state, so a schedule added, paused,
resumed, removed or run-now by the CLI on any machine is noticed at the next look, and a
restarted service carries on from each schedule's ``last_slot`` (coalescing what it
missed into one run). There is deliberately no in-memory job store to keep in step with
the rows: APScheduler's :class:`CronTrigger` computes the fire times, the database decides
who fires (:func:`bots.scheduling.store.claim_slot`), and each run goes to a worker thread
so a long run never delays another schedule's slot.

A run uses exactly the :class:`~bots.config.Settings` the service was started with (its
database, core URL, out folder…), through :func:`bots.service.run_once` with
``exclusive=True``: the run lock keeps one procedure from running twice at the same time,
here or on another machine. A slot on a closed day (JST) is recorded, not run, unless the
schedule says ``on_closed_days``.
"""

from __future__ import annotations

import signal
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loguru import logger
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from bots.config import Settings
from bots.engine.runner import runner_name
from bots.queue.db import Database
from bots.queue.schema import ScheduleRow
from bots.results import RunResult
from bots.scheduling import store
from bots.scheduling.calendar import JST, closed_reason_at
from bots.sources.service import SourceTimer

POLL = timedelta(seconds=2)
#: How often the service delivers the outbox between runs (staff outcomes, and those a
#: source that was down left pending; each run delivers its own at its end).
OUTBOX_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Fire:
    """A slot this service won: what to run, and the ``schedule_fires`` row to complete."""

    fire_id: int
    schedule_id: str
    procedure: str | None
    slot: datetime
    kind: str
    on_closed_days: bool


def outcome_of(result: RunResult) -> tuple[str, str | None]:
    """The fire's outcome and reason from what ``run_once`` returned."""
    if result.skipped_reason:
        return "skipped", result.skipped_reason
    if result.stopped:
        return "stopped", "; ".join(f"{system}: {why}" for system, why in result.stopped.items())
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "対象なし"
    if result.paused:
        paused = "; ".join(f"{system}: {why}" for system, why in result.paused.items())
        return "paused", f"{paused}（{counts}）"
    return "ran", counts


class SchedulerService:
    """Polls the schedule rows, claims due slots in the database, runs them in workers."""

    def __init__(self, settings: Settings, *, poll: timedelta = POLL, workers: int = 4) -> None:
        self.settings = settings
        self.db = Database(settings.db_url)
        self.poll = poll
        self.name = f"{store.SERVICE_PREFIX}{runner_name()}"
        self.stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="renkei-run")
        self.sources = SourceTimer(settings)  # sources.yaml's every_minutes (bots/sources)
        self._delivering = threading.Event()  # one outbox delivery at a time
        self._next_delivery = datetime.now(UTC)

    def serve(self) -> None:
        """Run until SIGTERM/SIGINT (or :meth:`stop`); runs in progress are let finish."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: self.stop())
            signal.signal(signal.SIGINT, lambda *_: self.stop())
        _warn_of_old_jobs(self.db)
        for schedule_id in store.abandon_dead_fires(self.db, socket.gethostname()):
            logger.warning(
                "スケジュール {}: 停止したサービスの実行を「中断」と記録しました", schedule_id
            )
        shown = make_url(self.db.url).render_as_string(hide_password=True)
        logger.info("スケジューラを開始しました（{}、DB {}）", self.name, shown)
        try:
            while not self.stopping.is_set():
                self.stopping.wait(self.tick())
        finally:
            logger.info("スケジューラを停止します: 実行中の処理の終了を待っています")
            self.close()
            logger.info("スケジューラを停止しました")

    def stop(self) -> None:
        self.stopping.set()

    def close(self) -> None:
        """Wait for the runs in progress, then let the database go."""
        self._pool.shutdown(wait=True)
        self.db.dispose()

    def tick(self) -> float:
        """Fire what is due now; the seconds to wait before the next look."""
        now = datetime.now(UTC)
        wake = now + self.poll
        try:
            rows = store.load_rows(self.db)
        except SQLAlchemyError as exc:  # database restarting: try again at the next look
            logger.warning("スケジュールを読めませんでした（次回再試行）: {}", exc)
            return self.poll.total_seconds()
        for row in rows:
            try:
                self._consider(row, now)
                upcoming = None if row.paused else store.next_after(row, now)
            except store.ScheduleError as exc:
                logger.error("スケジュール '{}' を実行できません: {}", row.id, exc)
                continue
            except SQLAlchemyError as exc:
                logger.warning("スケジュール '{}' の確認に失敗しました: {}", row.id, exc)
                continue
            if upcoming is not None and upcoming < wake:
                wake = upcoming
        self._consider_outbox(now)
        due, next_sync = self.sources.due(now)
        for name in due:
            self._pool.submit(self._sync, name).add_done_callback(_log_if_failed)
        if next_sync is not None and next_sync < wake:
            wake = next_sync
        return max(0.0, (wake - datetime.now(UTC)).total_seconds())

    def _consider_outbox(self, now: datetime) -> None:
        """Every OUTBOX_EVERY, one delivery of the outbox in a worker (never two at once)."""
        if now < self._next_delivery or self._delivering.is_set():
            return
        self._next_delivery = now + OUTBOX_EVERY
        self._delivering.set()
        self._pool.submit(self._deliver_outbox).add_done_callback(_log_if_failed)

    def _deliver_outbox(self) -> None:
        """Outcomes to their sources (:mod:`bots.sources.outbox`); a source that is down
        keeps them pending with their error, the next delivery tries again."""
        from bots.sources.outbox import deliver_outbox

        try:
            report = deliver_outbox(self.settings, db=self.db)
            if report.delivered or report.failed:
                logger.info("書き戻し: {} 件送信、{} 件保留", report.delivered, report.failed)
        finally:
            self._delivering.clear()

    def _sync(self, name: str) -> None:
        """One source's timed sync, in a worker (its own lock keeps two services apart)."""
        from bots.sources.service import sync_sources

        for report in sync_sources(self.settings, name, by=self.name, db=self.db):
            if report.error:
                logger.warning("ソース {} を同期できません: {}", name, report.error)
                continue
            logger.info(
                "ソース {} を同期しました: 取り込み {} 件（要確認 {} 件）、訂正 {} 件、"
                "受け付けなかった行 {} 行",
                name,
                len(report.taken),
                report.needs_review,
                len(report.corrections),
                report.refused,
            )

    def _consider(self, row: ScheduleRow, now: datetime) -> None:
        """Claim this schedule's run-now request and its due slot, if any; submit them."""
        if row.run_now_at is not None:
            self._claim(row, row.run_now_at.replace(tzinfo=UTC), store.RUN_NOW)
        if not row.paused:
            slot = store.due_slot(row, now)
            if slot is not None:
                self._claim(row, slot, store.CRON)

    def _claim(self, row: ScheduleRow, slot: datetime, kind: str) -> None:
        fire_id = store.claim_slot(self.db, row, slot, kind, self.name)
        if fire_id is None:
            return  # another service has it, or it was paused/removed meanwhile
        fire = Fire(fire_id, row.id, row.procedure, slot, kind, row.on_closed_days)
        logger.info(
            "スケジュール {} の {:%Y-%m-%d %H:%M:%S} JST を実行します（{}）",
            row.id,
            slot.astimezone(JST),
            kind,
        )
        self._pool.submit(self._fire, fire).add_done_callback(_log_if_failed)

    def _fire(self, fire: Fire) -> None:
        """One fired slot, in a worker: the closed-day check, the run, its outcome recorded."""
        from bots.service import run_once

        if fire.kind == store.CRON and not fire.on_closed_days:
            closed = closed_reason_at(self.db, fire.slot)
            if closed is not None:
                logger.info("スケジュール {}: {}（実行しません）", fire.schedule_id, closed)
                store.finish_fire(self.db, fire.fire_id, "closed", closed, None)
                return
        try:
            result = run_once(self.settings, fire.procedure, exclusive=True, db=self.db)
        except Exception as exc:  # noqa: BLE001 — recorded on the fire; the service goes on
            logger.exception("スケジュール {} の実行に失敗しました", fire.schedule_id)
            why = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            store.finish_fire(self.db, fire.fire_id, "failed", why or type(exc).__name__, None)
            return
        outcome, reason = outcome_of(result)
        logger.info(
            "スケジュール {} 実行 {}: {} {}", fire.schedule_id, result.run_id, outcome, reason or ""
        )
        store.finish_fire(self.db, fire.fire_id, outcome, reason, result.run_id)


def _log_if_failed(future: Future[None]) -> None:
    """A worker's own failure (e.g. the database gone while recording) is logged, not lost."""
    exc = future.exception()
    if exc is not None:
        logger.opt(exception=exc).error("スケジュール実行の記録に失敗しました: {}", exc)


def _warn_of_old_jobs(db: Database) -> None:
    """Schedules an older renkei kept in APScheduler's own table are no longer fired."""
    if "apscheduler_jobs" not in inspect(db.engine).get_table_names():
        return
    with db.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id"))]
    if ids:
        logger.warning(
            "旧形式のスケジュール（apscheduler_jobs: {}）は実行されません。"
            "renkei schedule add で登録し直してください（docs/scheduler.md）",
            "、".join(ids),
        )


def serve(settings: Settings, *, poll: timedelta = POLL) -> None:
    """Run the scheduler service with these settings until stopped."""
    SchedulerService(settings, poll=poll).serve()
