"""Schedules as rows, their fire times in Japan time, the calendars, and the CLI over them.

Everything here is computed from rows of a real SQLite file with explicit moments (no
clock is frozen, nothing is mocked): which slot is next, which one is due and how missed
ones coalesce, which days are closed and when a core system is online — decided on the
JST date whatever the host's zone. The service that fires schedules, as a real process,
is tested in ``test_scheduler_service.py``.
"""

from __future__ import annotations

import os
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click import Group
from click.testing import CliRunner, Result

from bots.cli.main import cli
from bots.cli.schedule import calendar, scheduler
from bots.config import Settings
from bots.queue.db import Database
from bots.queue.schema import ScheduleRow
from bots.scheduling.calendar import (
    add_closed_day,
    closed_day_reason,
    closed_reason_at,
    parse_window,
    set_window,
    window_reason,
)
from bots.scheduling.service import SchedulerService
from bots.scheduling.store import (
    ScheduleError,
    add_schedule,
    due_slot,
    get_schedule,
    list_fires,
    list_schedules,
    next_slot,
    parse_cron,
)

JST = ZoneInfo("Asia/Tokyo")
PROCEDURE = "jidou_teate_nintei"
WEEKDAYS_8AM = "0 8 * * 1-5"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _group() -> Group:
    """The main group with this module's groups on it (as bots.cli.main registers them)."""
    for command in (calendar, scheduler):
        if command.name not in cli.commands:
            cli.add_command(command)
    return cli


def renkei(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(_group(), ["--db", db_url, *args])


def fires(trigger_cron: str, after: datetime, n: int) -> list[datetime]:
    trigger = parse_cron(trigger_cron)
    out: list[datetime] = []
    at = after
    for _ in range(n):
        at = trigger.get_next_fire_time(None, at + timedelta(microseconds=1))
        out.append(at)
    return out


def _backdate(db: Database, schedule_id: str, *, since: datetime, last: datetime | None) -> None:
    with db.session() as s:
        row = s.get(ScheduleRow, schedule_id)
        assert row is not None
        row.active_since = since.astimezone(UTC).replace(tzinfo=None)
        row.last_slot = last.astimezone(UTC).replace(tzinfo=None) if last else None


def _row(db: Database, schedule_id: str) -> ScheduleRow:
    with db.session() as s:
        row = s.get(ScheduleRow, schedule_id)
        assert row is not None
        return row


# --- fire times -----------------------------------------------------------------------


def test_weekday_numbers_are_crontabs_not_apschedulers() -> None:
    """APScheduler 3 counts 0 as Monday; a crontab's 1-5 must still be Monday–Friday."""
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=JST)
    got = fires(WEEKDAYS_8AM, saturday, 6)
    assert [d.strftime("%a %H:%M") for d in got] == [
        "Mon 08:00", "Tue 08:00", "Wed 08:00", "Thu 08:00", "Fri 08:00", "Mon 08:00",
    ]  # fmt: skip
    assert all(d.utcoffset() == timedelta(hours=9) for d in got)
    assert [d.strftime("%a") for d in fires("0 18 * * 0,7", saturday, 2)] == ["Sun", "Sun"]
    assert [d.strftime("%a") for d in fires("0 9 * * 0-2", saturday, 3)] == ["Sun", "Mon", "Tue"]
    assert [d.strftime("%a") for d in fires("0 9 * * */2", saturday, 4)] == [
        "Sun", "Tue", "Thu", "Sat",
    ]  # fmt: skip


def test_a_sixth_leading_field_is_seconds() -> None:
    start = datetime(2026, 12, 1, 9, 0, 3, tzinfo=JST)
    assert [d.strftime("%H:%M:%S") for d in fires("*/10 * * * * *", start, 3)] == [
        "09:00:10",
        "09:00:20",
        "09:00:30",
    ]


@pytest.mark.parametrize("cron", ["0 8 * *", "61 8 * * *", "0 8 * * 月-金", "0 8 * * 8", ""])
def test_bad_cron_is_one_japanese_line_and_adds_nothing(
    db_url: str, db: Database, cron: str
) -> None:
    with pytest.raises(ScheduleError, match="cron 式 .* が正しくありません"):
        add_schedule(db, PROCEDURE, cron)

    result = renkei(db_url, "schedule", "add", "--procedure", PROCEDURE, "--cron", cron)

    assert result.exit_code == 1
    assert f"cron 式 '{cron}' が正しくありません" in result.output
    assert "Traceback" not in result.output
    assert list_schedules(db) == []


def test_next_slot_is_after_creation_and_after_the_last_fire(db: Database) -> None:
    add_schedule(db, PROCEDURE, WEEKDAYS_8AM)
    friday_noon = datetime(2026, 12, 4, 12, 0, tzinfo=JST)
    _backdate(db, f"run:{PROCEDURE}", since=friday_noon, last=None)
    assert next_slot(_row(db, f"run:{PROCEDURE}")) == datetime(2026, 12, 7, 8, 0, tzinfo=JST)

    monday = datetime(2026, 12, 7, 8, 0, tzinfo=JST)
    _backdate(db, f"run:{PROCEDURE}", since=friday_noon, last=monday)
    assert next_slot(_row(db, f"run:{PROCEDURE}")) == datetime(2026, 12, 8, 8, 0, tzinfo=JST)


def test_missed_slots_coalesce_into_the_latest(db: Database) -> None:
    add_schedule(db, None, "* * * * *", schedule_id="every-minute")
    last = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
    _backdate(db, "every-minute", since=last - timedelta(days=1), last=last)
    row = _row(db, "every-minute")

    assert due_slot(row, last + timedelta(seconds=59)) is None
    assert due_slot(row, last + timedelta(minutes=1)) == last + timedelta(minutes=1)
    an_hour_later = last + timedelta(hours=1, seconds=30)
    assert due_slot(row, an_hour_later) == last + timedelta(hours=1)  # one slot, not 60
    a_year_later = last + timedelta(days=365, seconds=5)  # a few steps, not 525,600
    assert due_slot(row, a_year_later) == last + timedelta(days=365)


def test_resume_does_not_make_up_the_paused_slots(db_url: str, db: Database) -> None:
    add_schedule(db, None, "* * * * *", schedule_id="m")
    _backdate(db, "m", since=datetime.now(UTC) - timedelta(hours=1), last=None)
    assert due_slot(_row(db, "m"), datetime.now(UTC)) is not None

    assert renkei(db_url, "schedule", "pause", "m").exit_code == 0
    resumed = renkei(db_url, "schedule", "resume", "m")

    assert resumed.exit_code == 0, resumed.output
    assert "m を再開しました  次回 " in resumed.output
    now = datetime.now(UTC)
    assert due_slot(_row(db, "m"), now) is None
    nxt = next_slot(_row(db, "m"))
    assert nxt is not None and now < nxt <= now + timedelta(minutes=1)


# --- the CLI --------------------------------------------------------------------------


def test_cli_add_list_pause_run_now_remove(db_url: str, db: Database) -> None:
    added = renkei(db_url, "schedule", "add", "-p", PROCEDURE, "--cron", WEEKDAYS_8AM)
    assert added.exit_code == 0, added.output
    assert added.output.startswith(f"run:{PROCEDURE}: {WEEKDAYS_8AM} を追加しました  次回 ")
    assert "）08:00:00 JST" in added.output
    evening = renkei(
        db_url, "schedule", "add", "--id", "evening", "--cron", "30 17 * * *", "--on-closed-days"
    )
    assert evening.exit_code == 0, evening.output

    assert renkei(db_url, "schedule", "pause", "evening").output == "evening を一時停止しました\n"
    run_now = renkei(db_url, "schedule", "run-now", "evening")
    assert run_now.exit_code == 0
    assert "evening の実行を依頼しました" in run_now.output

    listed = renkei(db_url, "schedule", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split("\t") == [
        "evening", "毎日 17:30（30 17 * * *）", "手続 全手続", "一時停止中", "閉庁日も実行  今すぐ実行を依頼済み",
    ]  # fmt: skip
    fields = lines[1].split("\t")
    assert fields[:3] == [f"run:{PROCEDURE}", f"平日 8:00（{WEEKDAYS_8AM}）", f"手続 {PROCEDURE}"]
    assert fields[3].startswith("次回 ") and fields[3].endswith("）08:00:00 JST")
    assert fields[4] == "閉庁日は休み"

    removed = renkei(db_url, "schedule", "remove", "evening")
    assert removed.output == "evening を削除しました\n"
    assert [s.id for s in list_schedules(db)] == [f"run:{PROCEDURE}"]


def test_list_shows_the_next_run_that_will_happen_and_why_earlier_slots_rest(
    db_url: str, db: Database
) -> None:
    """ "次回" is what staff plan by: a slot on a closed day is recorded, not run, so the
    list names the next open slot and the day that is skipped."""
    assert renkei(db_url, "schedule", "add", "--id", "d", "--cron", "0 9 * * *").exit_code == 0
    [before] = list_schedules(db)
    assert before.next_run is not None
    first = before.next_run.date()  # an open day (the list skips closed ones already)
    closed = renkei(db_url, "calendar", "closed", "add", first.isoformat(), "--note", "庁舎点検")
    assert closed.exit_code == 0, closed.output

    [after] = list_schedules(db)
    assert after.next_run is not None and after.next_run.date() > first
    assert after.skipped_first == f"{first.isoformat()} は閉庁日（庁舎点検）です"
    line = renkei(db_url, "schedule", "list").output.splitlines()[0].split("\t")
    assert (
        line[3]
        == f"次回 {after.next_run:%Y-%m-%d}（{'月火水木金土日'[after.next_run.weekday()]}）09:00:00 JST"
    )
    assert line[5] == f"その前は休み: {first.isoformat()} は閉庁日（庁舎点検）です"


def test_a_schedule_only_on_closed_days_is_flagged_when_added(db_url: str, db: Database) -> None:
    added = renkei(db_url, "schedule", "add", "--id", "sat", "--cron", "0 9 * * 6")
    assert added.exit_code == 0
    assert "次回 なし" in added.output
    assert "すべて閉庁日に当たるため実行されません" in added.output
    assert "--on-closed-days" in added.output
    [sched] = list_schedules(db)
    assert sched.next_run is None and "土曜日の閉庁日です" in (sched.skipped_first or "")


@pytest.mark.parametrize("command", ["pause", "resume", "remove", "run-now"])
def test_unknown_schedule_id_is_one_line(db_url: str, command: str) -> None:
    result = renkei(db_url, "schedule", command, "run:nothing")
    assert result.exit_code == 1
    assert result.output == "Error: スケジュール 'run:nothing' はありません\n"


def test_unknown_procedure_and_duplicate_id_are_refused(db_url: str, db: Database) -> None:
    unknown = renkei(db_url, "schedule", "add", "-p", "kaigo", "--cron", WEEKDAYS_8AM)
    assert unknown.exit_code == 1
    assert "手続 'kaigo' のレシピがありません（" in unknown.output
    assert list_schedules(db) == []

    assert renkei(db_url, "schedule", "add", "-p", PROCEDURE, "--cron", WEEKDAYS_8AM).exit_code == 0
    again = renkei(db_url, "schedule", "add", "-p", PROCEDURE, "--cron", "0 9 * * *")
    assert again.exit_code == 1
    assert f"スケジュール 'run:{PROCEDURE}' は既にあります" in again.output
    assert get_schedule(db, f"run:{PROCEDURE}").cron == WEEKDAYS_8AM


# --- closed days, in Japan time -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        pytest.param(
            date(2026, 11, 23), "2026-11-23 は祝日（勤労感謝の日）の閉庁日です", id="祝日"
        ),
        pytest.param(date(2026, 11, 25), None, id="wednesday"),
        pytest.param(date(2026, 11, 28), "2026-11-28 は土曜日の閉庁日です", id="saturday"),
        pytest.param(date(2026, 11, 29), "2026-11-29 は日曜日の閉庁日です", id="sunday"),
        pytest.param(date(2026, 12, 28), None, id="仕事納め"),
        pytest.param(date(2026, 12, 29), "2026-12-29 は年末年始の閉庁日です", id="年末-first"),
        pytest.param(date(2027, 1, 1), "2027-01-01 は年末年始の閉庁日です", id="元日"),
        pytest.param(date(2027, 1, 3), "2027-01-03 は年末年始の閉庁日です", id="年始-last"),
        pytest.param(date(2027, 1, 4), None, id="仕事始め-monday"),
        pytest.param(date(2027, 1, 11), "2027-01-11 は祝日（成人の日）の閉庁日です", id="成人の日"),
    ],
)
def test_closed_day_reason(db: Database, day: date, reason: str | None) -> None:
    assert closed_day_reason(db, day) == reason


def test_the_municipalitys_own_closed_days(db_url: str, db: Database) -> None:
    added = renkei(db_url, "calendar", "closed", "add", "2026-12-28", "--note", "庁舎点検")
    assert added.output == "2026-12-28 を閉庁日に追加しました\n"
    assert closed_day_reason(db, date(2026, 12, 28)) == "2026-12-28 は閉庁日（庁舎点検）です"
    assert renkei(db_url, "calendar", "closed", "list").output == "2026-12-28（月）\t庁舎点検\n"

    assert renkei(db_url, "calendar", "closed", "remove", "2026-12-28").exit_code == 0
    assert closed_day_reason(db, date(2026, 12, 28)) is None
    again = renkei(db_url, "calendar", "closed", "remove", "2026-12-28")
    assert again.exit_code == 1
    assert "2026-12-28 は独自の閉庁日に登録されていません" in again.output
    bad = renkei(db_url, "calendar", "closed", "add", "12/28")
    assert bad.output == "Error: 日付 '12/28' は 2026-12-28 の形で指定してください\n"


@pytest.mark.parametrize(
    ("utc", "reason"),
    [
        # Monday 08:00 JST is Sunday 23:00 UTC: open, though the UTC date is a Sunday
        pytest.param(datetime(2026, 12, 6, 23, 0, tzinfo=UTC), None, id="monday-8am-jst"),
        # Saturday 08:00 JST is Friday 23:00 UTC: closed, though the UTC date is a Friday
        pytest.param(
            datetime(2026, 12, 4, 23, 0, tzinfo=UTC), "2026-12-05 は土曜日の閉庁日です", id="sat"
        ),
        # 12/29 00:30 JST is 12/28 15:30 UTC
        pytest.param(
            datetime(2026, 12, 28, 15, 30), "2026-12-29 は年末年始の閉庁日です", id="naive-utc"
        ),
    ],
)
def test_closed_days_are_decided_on_the_jst_date(
    db: Database, utc: datetime, reason: str | None
) -> None:
    assert closed_reason_at(db, utc) == reason


# --- online windows -------------------------------------------------------------------


def test_online_window_reason(db: Database) -> None:
    set_window(db, "kosodate", time(8, 30), time(21, 0))
    at = lambda h, m: datetime(2026, 12, 1, h, m, tzinfo=JST)  # noqa: E731

    assert window_reason(db, "kosodate", at(8, 30)) is None
    assert window_reason(db, "kosodate", at(20, 59)) is None
    closed = "基幹システム kosodate の稼働時間（08:30–21:00）外です"
    assert window_reason(db, "kosodate", at(8, 29)) == closed
    assert window_reason(db, "kosodate", at(21, 0)) == closed
    assert window_reason(db, "kosodate", at(20, 0), timedelta(minutes=60)) is None
    late = window_reason(db, "kosodate", at(20, 45), timedelta(minutes=30))
    assert late == (
        "基幹システム kosodate の稼働時間（08:30–21:00）の終了まで 30 分ないため開始しません"
        "（現在 20:45 JST）"
    )
    assert window_reason(db, "boshi", at(3, 0)) is None  # no window: always open
    # a UTC moment is judged in JST: 23:40 UTC is 08:40 JST the next morning
    assert window_reason(db, "kosodate", datetime(2026, 12, 1, 23, 40, tzinfo=UTC)) is None


def test_an_overnight_window(db: Database) -> None:
    set_window(db, "kaigo", *parse_window("22:00-06:00"))
    at = lambda d, h: datetime(2026, 12, d, h, 0, tzinfo=JST)  # noqa: E731
    assert window_reason(db, "kaigo", at(1, 23)) is None
    assert window_reason(db, "kaigo", at(2, 5)) is None
    assert (
        window_reason(db, "kaigo", at(2, 12))
        == "基幹システム kaigo の稼働時間（22:00–06:00）外です"
    )


def test_cli_windows(db_url: str, db: Database) -> None:
    assert renkei(db_url, "calendar", "window", "list").output.startswith(
        "稼働時間の設定はありません"
    )
    result = renkei(db_url, "calendar", "window", "set", "kosodate", "08:30-21:00")
    assert result.output == "基幹システム kosodate の稼働時間を 08:30–21:00 にしました\n"
    assert renkei(db_url, "calendar", "window", "list").output == "kosodate\t08:30–21:00\n"
    night = datetime(2026, 12, 1, 22, 0, tzinfo=JST)
    assert window_reason(db, "kosodate", night) is not None

    unknown = renkei(db_url, "calendar", "window", "set", "jukyo", "08:30-21:00")
    assert (
        unknown.output
        == "Error: 基幹システム 'jukyo' はありません（boshi、kaigo、kosodate、yobou）\n"
    )
    bad = renkei(db_url, "calendar", "window", "set", "kosodate", "8時半から")
    assert bad.output == "Error: 稼働時間 '8時半から' は 08:30-21:00 の形で指定してください\n"

    cleared = renkei(db_url, "calendar", "window", "clear", "kosodate")
    assert cleared.exit_code == 0
    assert window_reason(db, "kosodate", night) is None
    assert renkei(db_url, "calendar", "window", "clear", "kosodate").exit_code == 1


def test_a_closed_day_added_twice_keeps_one_row_with_the_new_note(db: Database) -> None:
    add_closed_day(db, date(2026, 12, 28), "庁舎点検")
    add_closed_day(db, date(2026, 12, 28), "停電")
    assert closed_day_reason(db, date(2026, 12, 28)) == "2026-12-28 は閉庁日（停電）です"


# --- the service's decision on a UTC host, the clock frozen in the test -----------------


@pytest.fixture
def utc_host() -> Iterator[None]:
    """This process as a host in UTC: its local date is not Japan's."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    clock.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        clock.tzset()


def _fire_at(db_url: str, db: Database, tmp_path: Path, cron: str, utc: datetime) -> Any:
    """The service looks once at ``utc`` (the clock frozen there, then moving on) and
    finishes what it fired; the one fire it recorded."""
    sid = f"s{utc:%m%d}"
    assert renkei(db_url, "schedule", "add", "--id", sid, "--cron", cron).exit_code == 0
    with db.session() as s:  # created a week before the frozen moment
        row = s.get(ScheduleRow, sid)
        assert row is not None
        row.active_since = row.created_at = (utc - timedelta(days=7)).replace(tzinfo=None)
    settings = Settings(db_url=db_url, out_root=tmp_path / "runs", audit_dir=tmp_path / "audit")
    with time_machine.travel(utc + timedelta(seconds=3), tick=True):
        assert datetime.now().astimezone().utcoffset() == timedelta(0)  # the host is UTC
        service = SchedulerService(settings)
        try:
            service.tick()
        finally:
            service.close()
    [fire] = list_fires(db, sid)
    assert fire.slot == utc.replace(tzinfo=None)
    return fire


def test_monday_8am_jst_runs_on_a_utc_host_where_it_is_still_sunday(
    utc_host: None, db_url: str, db: Database, tmp_path: Path
) -> None:
    """The issue's case: on a UTC host a Monday 08:00 JST run was skipped as Sunday."""
    sunday_utc = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # = Monday 2026-12-07 08:00 JST
    fire = _fire_at(db_url, db, tmp_path, WEEKDAYS_8AM, sunday_utc)
    assert fire.outcome == "ran", fire.reason


def test_sunday_8am_jst_rests_on_a_utc_host_where_it_is_still_saturday(
    utc_host: None, db_url: str, db: Database, tmp_path: Path
) -> None:
    saturday_utc = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # = Sunday 2026-12-06 08:00 JST
    fire = _fire_at(db_url, db, tmp_path, "0 8 * * *", saturday_utc)
    assert (fire.outcome, fire.reason) == ("closed", "2026-12-06 は日曜日の閉庁日です")


def test_year_end_begins_on_the_japanese_date_not_the_hosts(
    utc_host: None, db_url: str, db: Database, tmp_path: Path
) -> None:
    monday_utc = datetime(2026, 12, 28, 23, 0, tzinfo=UTC)  # = Tuesday 2026-12-29 08:00 JST
    fire = _fire_at(db_url, db, tmp_path, WEEKDAYS_8AM, monday_utc)
    assert (fire.outcome, fire.reason) == ("closed", "2026-12-29 は年末年始の閉庁日です")
