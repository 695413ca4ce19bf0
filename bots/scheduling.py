"""Scheduled runs: APScheduler 3 with its jobs persisted in the management database.

Staff add a schedule once (``renkei schedule add --procedure P --cron "0 8 * * 1-5"``); the
job survives restarts because it is stored in the ``apscheduler_jobs`` table next to the
applications. ``scheduler.py`` is the long-running service that fires them.

A run that is still going is never started twice: APScheduler's ``max_instances=1``
covers one scheduler process, and the run lock in the database (:class:`RunLock`) covers
several processes or machines, and ``renkei run`` started by hand as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import jpholiday
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from loguru import logger

from bots.config import Settings

TIMEZONE = "Asia/Tokyo"
JOB_FUNC = "bots.scheduling:scheduled_run"


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    procedure: str | None
    cron: str
    next_run: datetime | None
    skip_holidays: bool


def jobstore(db_url: str) -> SQLAlchemyJobStore:
    from bots.queue.db import engine_url

    return SQLAlchemyJobStore(url=engine_url(db_url))  # postgresql:// → the psycopg driver


def configure(scheduler: BaseScheduler, db_url: str) -> BaseScheduler:
    scheduler.configure(
        jobstores={"default": jobstore(db_url)},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 15 * 60},
        timezone=TIMEZONE,
    )
    return scheduler


class _Store:
    """A paused scheduler opened only to read or change the stored jobs."""

    def __init__(self, db_url: str) -> None:
        self.scheduler = configure(BackgroundScheduler(), db_url)

    def __enter__(self) -> BaseScheduler:
        self.scheduler.start(paused=True)
        return self.scheduler

    def __exit__(self, *exc: object) -> None:
        self.scheduler.shutdown(wait=False)


def parse_cron(expr: str) -> CronTrigger:
    """A standard 5-field crontab line, in Japan time; ValueError with the reason if bad."""
    try:
        return CronTrigger.from_crontab(expr, timezone=TIMEZONE)
    except ValueError as exc:
        raise ValueError(f"cron 式 '{expr}' が正しくありません: {exc}") from exc


def add_schedule(
    db_url: str,
    procedure: str | None,
    cron: str,
    *,
    job_id: str | None = None,
    skip_holidays: bool = True,
) -> ScheduledJob:
    trigger = parse_cron(cron)
    job_id = job_id or f"run:{procedure or 'all'}"
    with _Store(db_url) as scheduler:
        job = scheduler.add_job(
            JOB_FUNC,
            trigger,
            id=job_id,
            name=cron,
            replace_existing=True,
            kwargs={"procedure": procedure, "skip_holidays": skip_holidays},
        )
        return ScheduledJob(job.id, procedure, cron, job.next_run_time, skip_holidays)


def list_schedules(db_url: str) -> list[ScheduledJob]:
    with _Store(db_url) as scheduler:
        return [
            ScheduledJob(
                job.id,
                job.kwargs.get("procedure"),
                job.name,
                job.next_run_time,
                bool(job.kwargs.get("skip_holidays")),
            )
            for job in scheduler.get_jobs()
        ]


def remove_schedule(db_url: str, job_id: str) -> bool:
    from apscheduler.jobstores.base import JobLookupError

    with _Store(db_url) as scheduler:
        try:
            scheduler.remove_job(job_id)
        except JobLookupError:
            return False
        return True


def is_closed_day(day: date) -> bool:
    """Days the municipal office is closed: weekends, national holidays, 年末年始 (12/29–1/3)."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or jpholiday.is_holiday(day) or year_end


def scheduled_run(procedure: str | None = None, skip_holidays: bool = True) -> None:
    """The job APScheduler fires (referenced by name, so stored jobs survive upgrades)."""
    from bots.service import run_once

    today = datetime.now().date()
    if skip_holidays and is_closed_day(today):
        logger.info("{} は閉庁日のため実行しません", today)
        return
    result = run_once(Settings(), procedure, exclusive=True)
    logger.info("scheduled run {}: {}", result.run_id, result.skipped_reason or dict(result.counts))
