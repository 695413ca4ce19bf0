"""The console's home, live progress, charts and accounts pages, in real Chromium against
the real console server, over a management database filled by real runs of the bot."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from console_helpers import PASSWORD, console_server, make_users, run_bot, sign_in
from e2e_helpers import installation_settings, rows, update_row
from sqlalchemy import select

from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.queue.schema import AttemptRow, ConsoleSessionRow, RunRow
from bots.service import run_once


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Settings:
    """Six 児童手当 applications, one with a problem; the first run keys three of them."""
    from conftest import Core

    settings = installation_settings(tmp_path_factory.mktemp("console-home"), core_url)
    Core(core_url).reset()
    db = Database(settings.db_url)
    seed(db, 6, core_url, problems=True)  # application 4 has a problem
    for index in (0, 1, 5):  # kept for the watched run
        update_row(db, application_id(index), status=Status.RECEIVED.value)
    run_bot(settings, db=db)
    make_users(settings, {"suzuki": "staff", "yamada": "admin", "tanaka": "auditor"})
    return settings


@pytest.fixture(scope="module")
def url(installation: Settings) -> Iterator[str]:
    with console_server(installation) as running:
        yield running


def test_home_shows_todays_run_and_the_queue_by_procedure_and_status(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    run = page.locator("tr[data-run]").first
    cells = run.locator("td").all_inner_texts()
    assert cells[1] == "すべての手続"
    assert cells[3:6] == ["2", "0", "1"]  # 連携済, 登録済を確認, 要確認
    assert re.fullmatch(r"\d+秒|\d+分\d+秒", cells[2])
    queue = page.get_by_test_id("queue")
    headers = queue.locator("th").all_inner_texts()
    values = queue.locator("tbody tr").first.locator("td").all_inner_texts()
    row = dict(zip(headers, values, strict=True))
    assert row["連携済"] == "2" and row["要確認"] == "1" and row["連携待ち"] == "0"
    assert page.get_by_test_id("no-run").is_visible()


def test_a_run_going_shows_done_of_total_without_reloading(
    url: str, installation: Settings, console_page: Any
) -> None:
    from conftest import Core

    core = Core(installation.core_url)  # not the fixture: its reset would drop the residents
    page = console_page
    sign_in(page, url, "suzuki")
    page.evaluate("window.__stay = 'same page'")
    db = Database(installation.db_url)
    for index in (0, 1, 5):
        update_row(db, application_id(index), status=Status.RESOLVED.value)
    core.set_faults(latency_ms=400)  # slow enough to watch
    worker = threading.Thread(target=run_once, args=(installation,), kwargs={"db": db})
    worker.start()
    try:
        live = page.get_by_test_id("live-runs")
        live.wait_for(state="visible", timeout=30_000)
        count = live.locator('[data-field="count"]').first
        page.wait_for_function(
            "el => /^\\d+ \\/ 3 件$/.test(el.textContent)", arg=count.element_handle()
        )
        page.wait_for_function(
            "el => el.textContent === '3 / 3 件（完了）'",
            arg=count.element_handle(),
            timeout=60_000,
        )
    finally:
        worker.join()
        core.reset_faults()
    assert page.evaluate("window.__stay") == "same page"  # no reload happened
    with db.session() as s:
        last = s.execute(select(RunRow).order_by(RunRow.started_at.desc())).scalars().first()
        assert last is not None and (last.done, last.total) == (3, 3) and last.ended_at
    assert all(rows(db)[application_id(i)].status == Status.KEYED.value for i in (0, 1, 5))


def test_charts_are_drawn_from_the_attempts_and_their_numbers_match(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "tanaka")
    page.goto(url + "/charts/")
    db = Database(installation.db_url)
    with db.session() as s:
        outcomes = [o for (o,) in s.execute(select(AttemptRow.outcome))]
    keyed = sum(o in ("keyed", "already_keyed") for o in outcomes)
    review = outcomes.count("needs_review")
    table = page.get_by_test_id("per-procedure")
    cells = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["児童手当 認定請求（jidou_teate_nintei）", str(keyed), str(review)]
    drawn = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart=\"spec-per-day\"]'))"
        ".data.datasets.map(d => d.data.reduce((a, b) => a + b, 0))"
    )
    assert drawn[:2] == [keyed, review]
    assert (
        page.evaluate(
            "() => document.querySelector('canvas[data-chart=\"spec-per-procedure\"]').width"
        )
        > 0
    )


def test_the_administrator_creates_unlocks_and_disables_accounts(
    url: str, installation: Settings, console_page: Any, chromium: Any
) -> None:
    page = console_page
    sign_in(page, url, "yamada")
    page.goto(url + "/users/")
    form = page.locator("form.form")
    form.get_by_label("ユーザー名").fill("ito")
    form.get_by_label("氏名").fill("伊藤 一郎")
    form.get_by_label("役割").select_option(label="情報政策")
    form.get_by_label("最初のパスワード").fill("short")
    form.get_by_role("button", name="作成する").click()  # the browser's minlength stops it
    assert page.locator("tr[data-account='ito']").count() == 0
    form.get_by_label("最初のパスワード").fill("first-pass-2026x")
    form.get_by_role("button", name="作成する").click()
    assert page.get_by_role("status").inner_text() == "アカウント ito（情報政策）を作成しました"
    other = chromium.new_context(locale="ja-JP")
    try:
        theirs = other.new_page()
        sign_in(theirs, url, "ito", "first-pass-2026x")
        assert theirs.get_by_test_id("signed-in").inner_text() == "伊藤 一郎（情報政策）"
        page.once("dialog", lambda d: d.accept())
        page.locator("tr[data-account='ito']").get_by_role("button", name="無効にする").click()
        assert page.get_by_role("status").inner_text() == "ito を無効にしました"
        theirs.reload()  # the disabled account's open session has ended
        assert "/login" in theirs.url
        assert "アカウントが無効になった" in theirs.get_by_role("alert").inner_text()
    finally:
        other.close()
    with Database(installation.db_url).session() as s:
        ended = s.execute(
            select(ConsoleSessionRow).where(ConsoleSessionRow.user == "ito")
        ).scalars()
        assert [r.ended_why for r in ended] == ["disabled"]


def test_only_the_administrator_reaches_the_accounts_page(url: str, console_page: Any) -> None:
    page = console_page
    sign_in(page, url, "suzuki")
    assert page.get_by_role("link", name="アカウント").count() == 0
    response = page.goto(url + "/users/")
    assert response is not None and response.status == 403
    assert (
        page.get_by_test_id("error-message").inner_text()
        == "業務担当の権限では「アカウントの管理」はできません"
    )
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    posted = page.request.post(
        url + "/users/",
        form={"csrf_token": token or "", "name": "intruder", "role": "admin", "password": PASSWORD},
    )
    assert posted.status == 403
