"""Scheduled runs: jobs stored in the management database, closed days, and the run lock.

Schedules are added and read back through ``bots.scheduling`` and ``renkei schedule``
against a temporary SQLite file; persistence is checked from a fresh scheduler and from
a separate process, as the long-running scheduler service would see them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner, Result

from bots.cli.main import cli
from bots.config import Settings
from bots.demo.seed import seed
from bots.errors import RenkeiError
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow
from bots.queue.sql import RunLock
from bots.scheduling import (
    JOB_FUNC,
    add_schedule,
    is_closed_day,
    list_schedules,
    remove_schedule,
)
from bots.service import run_once

REPO = Path(__file__).resolve().parents[1]
PROCEDURE = "jidou_teate_nintei"
WEEKDAYS_8AM = "0 8 * * 1-5"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


def renkei(db_url: str, *args: str) -> Result:
    env = {
        "RENKEI_DB": db_url,
        "RENKEI_RECIPES": str(REPO / "recipes"),
        "RENKEI_SELECTORS": str(REPO / "selectors"),
    }
    return CliRunner().invoke(cli, list(args), env=env)


def next_run_in(line: str) -> datetime:
    match = re.search(r"次回 (\S+ \S+)", line)
    assert match, line
    return datetime.fromisoformat(match.group(1))


def assert_weekday_8am_japan(when: datetime | None) -> None:
    assert when is not None
    assert when.utcoffset() == timedelta(hours=9)
    assert (when.hour, when.minute, when.second) == (8, 0, 0)
    assert when.weekday() < 5
    assert when > datetime.now().astimezone()


# --- adding, listing, removing --------------------------------------------------------


def test_add_then_list_shows_the_job_with_its_next_run(db_url: str) -> None:
    added = add_schedule(db_url, PROCEDURE, WEEKDAYS_8AM)

    assert added.id == f"run:{PROCEDURE}"
    assert_weekday_8am_japan(added.next_run)
    [listed] = list_schedules(db_url)  # a fresh scheduler on the same database
    assert listed.id == added.id
    assert listed.procedure == PROCEDURE
    assert listed.cron == WEEKDAYS_8AM
    assert listed.skip_holidays is True
    assert listed.next_run == added.next_run


def test_cli_add_and_list(db_url: str) -> None:
    added = renkei(db_url, "schedule", "add", "--procedure", PROCEDURE, "--cron", WEEKDAYS_8AM)

    assert added.exit_code == 0, added.output
    assert added.output.startswith(f"run:{PROCEDURE}: {WEEKDAYS_8AM}")
    assert_weekday_8am_japan(next_run_in(added.output))

    listed = renkei(db_url, "schedule", "list")

    assert listed.exit_code == 0, listed.output
    [line] = listed.output.splitlines()
    assert line.split("\t")[:3] == [f"run:{PROCEDURE}", WEEKDAYS_8AM, PROCEDURE]
    assert line.endswith("閉庁日は休み")
    assert next_run_in(line) == next_run_in(added.output)


def test_list_of_no_schedules(db_url: str) -> None:
    assert list_schedules(db_url) == []
    result = renkei(db_url, "schedule", "list")
    assert result.exit_code == 0
    assert "スケジュールはありません" in result.output


def test_schedules_persist_for_another_process(db_url: str, tmp_path: Path) -> None:
    add_schedule(db_url, PROCEDURE, WEEKDAYS_8AM)
    add_schedule(db_url, None, "30 17 * * *", job_id="evening", skip_holidays=False)

    other = subprocess.run(
        [sys.executable, "-c", "from bots.cli.main import cli; cli()", "schedule", "list"],
        cwd=REPO,
        env=os.environ | {"RENKEI_DB": db_url},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert other.returncode == 0, other.stderr
    lines = sorted(other.stdout.splitlines())
    assert [line.split("\t")[:3] for line in lines] == [
        ["evening", "30 17 * * *", "all"],
        [f"run:{PROCEDURE}", WEEKDAYS_8AM, PROCEDURE],
    ]
    assert lines[0].endswith("毎日")


def test_adding_the_same_id_replaces_the_job(db_url: str) -> None:
    add_schedule(db_url, PROCEDURE, WEEKDAYS_8AM)
    add_schedule(db_url, PROCEDURE, "0 13 * * 1-5")

    [job] = list_schedules(db_url)
    assert job.cron == "0 13 * * 1-5"
    assert job.next_run is not None and job.next_run.hour == 13


def test_stored_job_runs_one_instance_at_a_time(db_url: str) -> None:
    add_schedule(db_url, PROCEDURE, WEEKDAYS_8AM)
    # a plain scheduler without renkei's defaults: what it sees was stored with the job
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=db_url)})
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(f"run:{PROCEDURE}")
    finally:
        scheduler.shutdown(wait=False)

    assert job is not None
    assert job.max_instances == 1
    assert job.coalesce is True
    assert job.func_ref == JOB_FUNC
    assert job.kwargs == {"procedure": PROCEDURE, "skip_holidays": True}
    assert str(job.trigger.timezone) == "Asia/Tokyo"


@pytest.mark.parametrize("cron", ["0 8 * *", "61 8 * * *", "0 8 * * 月-金", ""])
def test_bad_cron_is_refused(db_url: str, cron: str) -> None:
    with pytest.raises(ValueError, match="cron 式 .* が正しくありません"):
        add_schedule(db_url, PROCEDURE, cron)

    result = renkei(db_url, "schedule", "add", "--procedure", PROCEDURE, "--cron", cron)

    assert result.exit_code != 0
    assert f"cron 式 '{cron}' が正しくありません" in result.output
    assert list_schedules(db_url) == []


def test_add_for_an_unknown_procedure_is_refused(db_url: str) -> None:
    result = renkei(db_url, "schedule", "add", "--procedure", "kaigo", "--cron", WEEKDAYS_8AM)

    assert result.exit_code != 0
    assert "手続 'kaigo' のレシピがありません" in result.output
    assert list_schedules(db_url) == []


def test_remove(db_url: str) -> None:
    add_schedule(db_url, PROCEDURE, WEEKDAYS_8AM)

    result = renkei(db_url, "schedule", "remove", f"run:{PROCEDURE}")

    assert result.exit_code == 0
    assert f"run:{PROCEDURE} を削除しました" in result.output
    assert list_schedules(db_url) == []


def test_remove_unknown_id_is_an_error(db_url: str) -> None:
    add_schedule(db_url, PROCEDURE, WEEKDAYS_8AM)

    assert remove_schedule(db_url, "run:nothing") is False
    result = renkei(db_url, "schedule", "remove", "run:nothing")

    assert result.exit_code != 0
    assert "スケジュール 'run:nothing' はありません" in result.output
    assert [j.id for j in list_schedules(db_url)] == [f"run:{PROCEDURE}"]


# --- closed days ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        pytest.param(date(2026, 11, 23), True, id="勤労感謝の日"),
        pytest.param(date(2026, 11, 25), False, id="wednesday"),
        pytest.param(date(2026, 11, 28), True, id="saturday"),
        pytest.param(date(2026, 11, 29), True, id="sunday"),
        pytest.param(date(2026, 12, 28), False, id="仕事納め"),
        pytest.param(date(2026, 12, 29), True, id="年末-first"),
        pytest.param(date(2026, 12, 30), True, id="年末"),
        pytest.param(date(2027, 1, 1), True, id="元日"),
        pytest.param(date(2027, 1, 3), True, id="年始-last"),
        pytest.param(date(2027, 1, 4), False, id="仕事始め-monday"),
        pytest.param(date(2027, 1, 11), True, id="成人の日"),
    ],
)
def test_is_closed_day(day: date, closed: bool) -> None:
    assert is_closed_day(day) is closed


# --- the run lock ---------------------------------------------------------------------


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def no_browser_settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings whose Chromium does not exist: a run that gets as far as the browser fails."""
    return Settings(
        db_url=db_url,
        chromium=str(tmp_path / "no-such-chromium"),
        out_root=tmp_path / "runs",
        core_url="http://127.0.0.1:9",
    )


def test_run_is_skipped_while_another_run_holds_the_lock(
    database: Database, no_browser_settings: Settings
) -> None:
    seed(database, 1, None, problems=False)
    other = RunLock(database, f"run:{PROCEDURE}", "other-host:4242", timedelta(hours=1))
    assert other.acquire()

    result = run_once(no_browser_settings, PROCEDURE, exclusive=True)

    assert result.skipped_reason is not None
    assert "other-host:4242" in result.skipped_reason
    assert result.items == []
    assert other.holder_now() == "other-host:4242"  # still theirs
    with database.session() as s:
        [app] = s.query(ApplicationRow).all()
        assert app.status == "resolved"
        assert s.query(AttemptRow).count() == 0
    assert not no_browser_settings.out_root.exists() or not any(
        no_browser_settings.out_root.iterdir()
    )


def test_without_the_lock_the_same_run_reaches_the_browser(
    database: Database, no_browser_settings: Settings
) -> None:
    """The control for the test above: these settings really fail at the browser."""
    seed(database, 1, None, problems=False)

    with pytest.raises(RenkeiError, match="Chromium が見つかりません"):
        run_once(no_browser_settings, PROCEDURE, exclusive=True)

    lock = RunLock(database, f"run:{PROCEDURE}", "me", timedelta(hours=1))
    assert lock.holder_now() is None  # a failed run frees the lock
    with database.session() as s:
        [app] = s.query(ApplicationRow).all()
        assert app.status == "resolved"  # and gives the application back
        assert app.acquired_by is None
