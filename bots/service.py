"""One bot run as the CLI and the scheduler start it: lock, load, run, report, record.

Kept apart from the engine so that the engine knows nothing of settings files, locks or
reports, and the CLI and the scheduler cannot drift apart in what "a run" means.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from loguru import logger

from bots.audit.report import summary_dict, write_report
from bots.config import Settings
from bots.drivers.playwright_web import Credentials
from bots.engine.results import ItemResult, RunResult
from bots.engine.runner import Engine, EngineSettings, new_run_id, runner_name
from bots.queue.db import Database
from bots.queue.schema import RunRow
from bots.queue.slots import SessionSlots
from bots.queue.sql import RunLock, SqlWorkQueue
from bots.recipe.model import Recipe, load_all

RUN_LOCK_LEASE = timedelta(minutes=15)


def load_recipes(settings: Settings) -> dict[str, Recipe]:
    return load_all(settings.recipes_dir, settings.selectors_dir, settings.root)


def engine_settings(settings: Settings) -> EngineSettings:
    return EngineSettings(
        core_url=settings.core_url,
        credentials=Credentials(settings.core_user, settings.core_password),
        out_root=settings.out_root,
        chromium=settings.chromium,
        headless=settings.headless,
        transient_tries=settings.transient_tries,
        lease=timedelta(seconds=settings.lease_s),
        retry_later=timedelta(seconds=settings.retry_later_s),
        session_limit=settings.core_sessions,
        verify_always=settings.verify == "always",
    )


def run_once(
    settings: Settings,
    procedure: str | None = None,
    *,
    limit: int | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    db: Database | None = None,
    exclusive: bool = False,
) -> RunResult:
    """Run the bot once.

    Several runners may work the same queue at once (the lease keeps them apart). With
    ``exclusive`` — the scheduler's runs — a run of the same scope still going anywhere
    makes this one a no-op; its lock is refreshed after every application, so a runner
    that died frees it within ``RUN_LOCK_LEASE``.
    """
    recipes = load_recipes(settings)
    if procedure is not None and procedure not in recipes:
        raise KeyError(f"手続 '{procedure}' のレシピがありません（{', '.join(sorted(recipes))}）")
    db = db or Database(settings.db_url)
    run_id, runner = new_run_id(), runner_name()
    lock = RunLock(db, f"run:{procedure or '*'}", runner, RUN_LOCK_LEASE) if exclusive else None
    if lock is not None and not lock.acquire():
        result = RunResult(
            run_id, runner, procedure, datetime.now().astimezone(), settings.out_root / run_id
        )
        result.skipped_reason = (
            f"前回の実行（{lock.holder_now()}）が継続中のため、開始しませんでした"
        )
        logger.warning(result.skipped_reason)
        return result
    if lock is not None:
        user_on_item = on_item

        def on_item(item: ItemResult) -> None:
            lock.refresh()
            if user_on_item is not None:
                user_on_item(item)

    try:
        queue = SqlWorkQueue(db, run_id)
        queue.reap()
        slots = SessionSlots(db) if settings.core_sessions else None
        engine = Engine(
            recipes, queue, engine_settings(settings), run_id=run_id, runner=runner, slots=slots
        )
        result = engine.run(procedure, limit=limit, on_item=on_item)
        write_report(result)
        with db.session() as s:
            s.add(
                RunRow(
                    id=run_id,
                    procedure=procedure,
                    runner=runner,
                    started_at=result.started_at.replace(tzinfo=None),
                    ended_at=result.ended_at.replace(tzinfo=None) if result.ended_at else None,
                    summary={k: v for k, v in summary_dict(result).items() if k != "items"},
                    report_path=str(result.report_path),
                )
            )
        return result
    finally:
        if lock is not None:
            lock.release()
