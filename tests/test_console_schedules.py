"""The schedule and calendar pages in real Chromium against the real console server: staff
write when in words, the DB keeps cron, each change is an audit line with the account,
and the auditor sees the pages but cannot change anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from console_helpers import console_server, make_users, sign_in
from e2e_helpers import installation_settings
from sqlalchemy import delete, func, select

from bots.config import Settings, ja_date
from bots.queue.db import Database
from bots.queue.schema import ClosedDayRow, OnlineWindowRow, ScheduleRow
from bots.scheduling.calendar import JST, get_window, list_closed_days
from bots.scheduling.store import add_schedule, get_schedule, list_schedules, remove_schedule

PROCEDURE = "jidou_teate_nintei"
WEEKDAYS = "月火水木金土日"


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = installation_settings(tmp_path_factory.mktemp("console-sched"), "http://127.0.0.1:9")
    make_users(settings, {"suzuki": "staff", "tanaka": "auditor"})
    return settings


@pytest.fixture(scope="module")
def url(installation: Settings) -> Iterator[str]:
    with console_server(installation) as running:
        yield running


@pytest.fixture
def db(installation: Settings) -> Iterator[Database]:
    database = Database(installation.db_url)
    yield database
    database.dispose()


def audit_lines(settings: Settings) -> list[dict[str, Any]]:
    path = Path(settings.audit_dir) / "review.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def steps(settings: Settings, prefix: str = "") -> list[tuple[str, str]]:
    """(step, by) of the audit lines of schedules and calendars."""
    names = ("schedule_", "closed_day_", "window_")
    return [
        (a["step"], a["by"])
        for a in audit_lines(settings)
        if a["step"].startswith(names) and a["step"].startswith(prefix)
    ]


def shown(at: datetime) -> str:
    """A JST moment as the page writes it: 2026年12月7日（月） 18:00."""
    return f"{ja_date(at.date())}（{WEEKDAYS[at.weekday()]}） {at:%H:%M}"


def add_in_words(page: Any, url: str, words: str, schedule_id: str = "") -> None:
    page.goto(url + "/schedules/")
    page.get_by_label("実行日時（日本時間）").fill(words)
    page.get_by_label("ID（省略可）").fill(schedule_id)
    page.get_by_role("button", name="追加", exact=True).click()


def test_staff_adds_weekdays_at_six_in_words_and_sees_the_next_run_in_jst(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    page.goto(url + "/schedules/")
    assert "「平日」は月曜〜金曜です" in page.locator("main").inner_text()
    add_in_words(page, url, "平日 18:00")  # 手続 left at すべての手続
    assert (
        "スケジュール run:all（平日 18:00）を追加しました"
        in page.get_by_role("status").inner_text()
    )

    sched = get_schedule(db, "run:all")
    assert sched.cron == "0 18 * * mon-fri" and sched.procedure is None
    assert sched.next_run is not None
    assert sched.next_run.utcoffset() == timedelta(hours=9) and sched.next_run.hour == 18
    assert sched.next_run.weekday() < 5
    row = page.locator('tr[data-schedule="run:all"]')
    assert row.locator('[data-field="words"]').inner_text() == "平日 18:00"
    assert row.locator('[data-field="next"]').inner_text() == shown(sched.next_run)
    assert row.locator('[data-field="state"]').inner_text() == "有効"
    assert row.locator('[data-field="closed"]').inner_text() == "閉庁日は休み"
    assert row.locator("td").nth(1).inner_text() == "すべての手続"
    assert ("schedule_add", "suzuki") in steps(installation)
    [line] = [a for a in audit_lines(installation) if a.get("schedule") == "run:all"]
    assert line["cron"] == "0 18 * * mon-fri" and line["by"] == "suzuki"


def test_full_width_words_a_procedure_and_closed_days_too(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    page.goto(url + "/schedules/")
    page.locator("select[name=procedure]").select_option(PROCEDURE)
    page.get_by_label("実行日時（日本時間）").fill("毎月１日　９：３０")
    page.get_by_label("ID（省略可）").fill("monthly")
    page.get_by_label("閉庁日にも実行する").check()
    page.get_by_role("button", name="追加", exact=True).click()
    page.get_by_role("status").wait_for()
    sched = get_schedule(db, "monthly")
    assert (sched.cron, sched.procedure, sched.on_closed_days) == ("30 9 1 * *", PROCEDURE, True)
    row = page.locator('tr[data-schedule="monthly"]')
    assert row.locator('[data-field="words"]').inner_text() == "毎月1日 9:30"
    assert row.locator('[data-field="closed"]').inner_text() == "閉庁日も実行"
    assert PROCEDURE in row.locator("td").nth(1).inner_text()
    assert sched.next_run is not None and sched.next_run.day == 1
    assert row.locator('[data-field="next"]').inner_text() == shown(sched.next_run)


def test_words_it_cannot_read_show_the_forms_and_add_nothing(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    before, audited = len(list_schedules(db)), len(steps(installation))
    add_in_words(page, url, "毎時ちょうど", "hourly")
    alert = page.locator(".flash.error").inner_text()
    assert "実行日時「毎時ちょうど」は読み取れません" in alert
    assert "平日 18:00" in alert and "毎月末日 17:00" in alert
    assert page.get_by_label("実行日時（日本時間）").input_value() == "毎時ちょうど"  # kept
    assert page.get_by_label("ID（省略可）").input_value() == "hourly"
    assert len(list_schedules(db)) == before
    assert len(steps(installation)) == audited


def test_pause_resume_run_now_and_remove_change_the_row_and_are_audited(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    add_in_words(page, url, "月・水・金 12:00", "mwf")
    row = page.locator('tr[data-schedule="mwf"]')
    assert row.locator('[data-field="words"]').inner_text() == "月・水・金 12:00"

    row.get_by_role("button", name="一時停止").click()
    assert page.get_by_role("status").inner_text() == "スケジュール mwf を一時停止しました"
    assert row.locator('[data-field="state"]').inner_text() == "一時停止中"
    assert row.locator('[data-field="next"]').inner_text() == "—"
    assert get_schedule(db, "mwf").paused

    row.get_by_role("button", name="再開").click()
    assert "スケジュール mwf を再開しました" in page.get_by_role("status").inner_text()
    assert row.locator('[data-field="state"]').inner_text() == "有効"
    resumed = get_schedule(db, "mwf")
    assert not resumed.paused and resumed.next_run is not None
    assert row.locator('[data-field="next"]').inner_text().startswith(shown(resumed.next_run))

    row.get_by_role("button", name="今すぐ実行").click()
    assert "数秒以内に実行します" in page.get_by_role("status").inner_text()
    assert "今すぐ実行を依頼済み" in row.locator('[data-field="state"]').inner_text()
    with db.session() as s:
        stored = s.get(ScheduleRow, "mwf")
        assert stored is not None and stored.run_now_at is not None

    page.once("dialog", lambda dialog: dialog.dismiss())  # 「キャンセル」: nothing removed
    row.get_by_role("button", name="削除").click()
    page.goto(url + "/schedules/")
    assert row.count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="削除").click()
    assert page.get_by_role("status").inner_text() == "スケジュール mwf を削除しました"
    assert row.count() == 0
    assert "mwf" not in [s.id for s in list_schedules(db)]

    mine = [(a["step"], a["by"]) for a in audit_lines(installation) if a.get("schedule") == "mwf"]
    assert mine == [
        ("schedule_add", "suzuki"),
        ("schedule_pause", "suzuki"),
        ("schedule_resume", "suzuki"),
        ("schedule_run_now", "suzuki"),
        ("schedule_remove", "suzuki"),
    ]


def test_an_extra_closed_day_added_on_the_page_moves_the_next_run(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    add_in_words(page, url, "毎日 9:00", "daily")
    first = get_schedule(db, "daily").next_run
    assert first is not None
    day = first.date()
    try:
        page.goto(url + "/schedules/calendar")
        page.get_by_label("日付").fill(day.isoformat())
        page.get_by_label("理由（省略可）").fill("庁舎点検")
        page.get_by_role("button", name="閉庁日を追加").click()
        label = f"{ja_date(day)}（{WEEKDAYS[day.weekday()]}）"
        assert page.get_by_role("status").inner_text() == f"{label} を閉庁日に追加しました"
        listed = page.locator(f'tr[data-day="{day.isoformat()}"]')
        assert listed.inner_text().split("\t")[:3] == [label, "庁舎点検", "suzuki"]

        after = get_schedule(db, "daily")
        assert after.next_run is not None and after.next_run.date() > day
        page.goto(url + "/schedules/")
        cell = page.locator('tr[data-schedule="daily"] [data-field="next"]').inner_text()
        assert cell.startswith(shown(after.next_run))
        assert f"その前は休み: {day.isoformat()} は閉庁日（庁舎点検）です" in cell

        page.goto(url + "/schedules/calendar")
        page.once("dialog", lambda dialog: dialog.accept())
        listed.get_by_role("button", name="削除").click()
        assert page.get_by_role("status").inner_text() == f"{label} を閉庁日から削除しました"
        assert list_closed_days(db) == []
        assert get_schedule(db, "daily").next_run == first
    finally:
        remove_schedule(db, "daily")
        with db.session() as s:
            s.execute(delete(ClosedDayRow))
    assert steps(installation, "closed_day_")[-2:] == [
        ("closed_day_add", "suzuki"),
        ("closed_day_remove", "suzuki"),
    ]


def test_the_calendar_lists_holidays_and_sets_and_clears_a_window(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    page.goto(url + "/schedules/calendar")
    year = datetime.now(JST).year
    this_year = page.get_by_test_id(f"holidays-{year}").inner_text()
    assert "年末年始" in this_year and "祝日（" in this_year
    next_year = page.get_by_test_id(f"holidays-{year + 1}").inner_text()
    assert f"{year + 1}年1月1日" in next_year and "元日" in next_year

    row = page.locator('tr[data-system="kosodate"]')
    assert row.locator('[data-field="window"]').inner_text() == "常時稼働（設定なし）"
    row.get_by_label("開始").fill("08:30")
    row.get_by_label("終了").fill("17:15")
    row.get_by_role("button", name="設定", exact=True).click()
    assert (
        page.get_by_role("status").inner_text()
        == "基幹システム kosodate の稼働時間を 08:30–17:15 にしました"
    )
    assert row.locator('[data-field="window"]').inner_text() == "08:30–17:15"
    window = get_window(db, "kosodate")
    assert window is not None and (window.opens, window.closes) == (time(8, 30), time(17, 15))

    row.get_by_label("終了").fill("08:30")  # the same as the start: refused, nothing changes
    row.get_by_role("button", name="設定", exact=True).click()
    assert "開始と終了が同じです" in page.locator(".flash.error").inner_text()
    assert get_window(db, "kosodate") == window

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="設定を削除").click()
    assert "常時稼働" in page.get_by_role("status").inner_text()
    assert row.locator('[data-field="window"]').inner_text() == "常時稼働（設定なし）"
    assert get_window(db, "kosodate") is None
    assert steps(installation, "window_")[-2:] == [
        ("window_set", "suzuki"),
        ("window_clear", "suzuki"),
    ]


def test_the_auditor_reads_without_forms_and_a_direct_post_changes_nothing(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    add_schedule(db, None, "0 7 * * mon", schedule_id="audit-me", by="setup")
    try:
        page = console_page
        sign_in(page, url, "tanaka")
        page.goto(url + "/schedules/")
        row = page.locator('tr[data-schedule="audit-me"]')
        assert row.locator('[data-field="words"]').inner_text() == "毎週月曜 7:00"
        assert page.locator("main form").count() == 0
        assert page.get_by_role("button", name="追加").count() == 0
        page.goto(url + "/schedules/calendar")
        assert page.get_by_test_id("windows").is_visible()
        assert page.locator("main form").count() == 0

        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        audited = len(steps(installation))
        for path, form in [
            ("/schedules/remove", {"schedule_id": "audit-me"}),
            ("/schedules/pause", {"schedule_id": "audit-me"}),
            ("/schedules/add", {"when": "平日 18:00", "schedule_id": "sneaky"}),
            ("/schedules/calendar/closed/add", {"day": date.today().isoformat()}),
            ("/schedules/calendar/window/set", {"system": "kosodate", "opens": "08:30",
                                                "closes": "09:00"}),
        ]:  # fmt: skip
            response = page.request.post(url + path, form={"csrf_token": token, **form})
            assert response.status == 403, path
            assert "権限がありません" in response.text()
        sched = get_schedule(db, "audit-me")
        assert not sched.paused
        assert "sneaky" not in [s.id for s in list_schedules(db)]
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(ClosedDayRow)) == 0
            assert s.scalar(select(func.count()).select_from(OnlineWindowRow)) == 0
        assert len(steps(installation)) == audited
    finally:
        remove_schedule(db, "audit-me")


def test_a_slot_long_past_without_a_fire_warns_that_no_scheduler_runs(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    add_schedule(db, None, "* * * * *", schedule_id="stale", on_closed_days=True)
    try:
        page = console_page
        sign_in(page, url, "suzuki")
        page.goto(url + "/schedules/")
        assert page.get_by_test_id("scheduler-down").count() == 0  # its first slot is ahead
        with db.session() as s:  # as if added an hour ago with no service running since
            row = s.get(ScheduleRow, "stale")
            assert row is not None
            row.active_since -= timedelta(hours=1)
        page.goto(url + "/schedules/")
        warning = page.get_by_test_id("scheduler-down").inner_text()
        assert "スケジューラが動いていないようです" in warning
        assert "renkei scheduler" in warning
    finally:
        remove_schedule(db, "stale")
