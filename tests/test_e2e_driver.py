"""The Playwright driver against the real mock in real Chromium: masking, fonts, sessions."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser

from bots.config import Settings
from bots.contracts import Credentials
from bots.demo.seed import seed
from bots.drivers.browser import launch_chromium
from bots.drivers.playwright_web import PlaywrightDriver
from bots.errors import LoginFailed, ScreenChanged, SelectorNotFound, SessionExpired
from bots.queue.db import Database
from bots.recipe.selectors import load_selectors
from bots.screens import SelectorSet, Strategy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium(Settings().chromium) as b:
        yield b


@pytest.fixture(scope="module")
def kosodate() -> SelectorSet:
    return load_selectors(ROOT / "selectors" / "kosodate.yaml")


@pytest.fixture
def driver(browser: Browser, core_url: str, kosodate: SelectorSet) -> Iterator[PlaywrightDriver]:
    d = PlaywrightDriver(browser, core_url, kosodate, Credentials("rpa01", "renkei-demo"))
    yield d
    d.close()


def test_japanese_text_renders_with_a_real_font(browser: Browser) -> None:
    """Without a Japanese font every kanji is the same box: two texts would look alike."""
    page = browser.new_page()
    shots = []
    for text in ("児童手当認定請求", "介護保険被保険者"):
        page.set_content(f"<p id='t' style='font-size:32px;display:inline-block'>{text}</p>")
        shots.append(Image.open(io.BytesIO(page.locator("#t").screenshot())).convert("L"))
    page.close()
    assert shots[0].size == shots[1].size
    assert ImageChops.difference(shots[0], shots[1]).getbbox() is not None


def test_screenshot_masks_personal_and_account_numbers(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core, tmp_path: Path
) -> None:
    seed(db, 1, core.url, problems=False)
    driver.ensure_session()
    driver.page.goto(f"{core.url}/jidou/nintei/new?atena_no=0000100001")
    entry = kosodate.screen("nintei_entry")
    driver.fill(entry.elements["my_number"], "123456789018")
    driver.fill(entry.elements["account_no"], "7654321")
    sensitive = kosodate.sensitive_elements("nintei_entry")

    shot = driver.screenshot(tmp_path / "masked.png", sensitive)

    image = Image.open(shot).convert("RGB")
    for element in sensitive:
        box = driver.locate(element).bounding_box()
        assert box is not None
        inner = (
            int(box["x"]) + 2,
            int(box["y"]) + 2,
            int(box["x"] + box["width"]) - 2,
            int(box["y"] + box["height"]) - 2,
        )
        colours = image.crop(inner).getcolors(maxcolors=4)
        assert colours is not None and len(colours) == 1 and colours[0][1] == (0, 0, 0), (
            element.name
        )


def test_expired_session_is_noticed_and_the_driver_logs_in_again(
    driver: PlaywrightDriver, kosodate: SelectorSet
) -> None:
    menu = kosodate.screen("menu")
    driver.ensure_session()
    driver.goto(menu)
    driver.context.clear_cookies()  # what a session time-out looks like from the browser

    with pytest.raises(SessionExpired):
        driver.goto(menu)
    driver.ensure_session()
    driver.goto(menu)


def test_missing_element_names_screen_element_and_strategies(
    driver: PlaywrightDriver, kosodate: SelectorSet
) -> None:
    driver.ensure_session()
    driver.goto(kosodate.screen("menu"))
    driver.timeout_ms = 500
    element = kosodate.element("atena_search.atena_no")  # not on the menu

    with pytest.raises(SelectorNotFound) as caught:
        driver.locate(element, timeout=300)

    message = str(caught.value)
    assert "atena_search" in message and "atena_no" in message
    assert "css='#atena_no'" in message and "label='宛名番号'" in message


def test_wrong_password_stops_with_a_clear_reason(
    browser: Browser, core_url: str, kosodate: SelectorSet
) -> None:
    bad = PlaywrightDriver(browser, core_url, kosodate, Credentials("rpa01", "wrong"))
    try:
        with pytest.raises(LoginFailed, match="ログインできません"):
            bad.ensure_session()
    finally:
        bad.close()


def _search(driver: PlaywrightDriver, core, db: Database, kosodate: SelectorSet):  # type: ignore[no-untyped-def]
    """宛名検索 with the first demo resident's 宛名番号 typed, not yet searched."""
    seed(db, 1, core.url, problems=False)
    search = kosodate.screen("atena_search")
    driver.ensure_session()
    driver.goto(search)
    driver.fill(search.elements["atena_no"], "0000100001")
    return search


def test_no_rows_on_a_login_page_is_an_expired_session_not_a_missing_resident(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core
) -> None:
    """A search answered by the login page must never read as "no such resident"."""
    search = _search(driver, core, db, kosodate)
    driver.context.clear_cookies()
    driver.click(search.elements["search"])  # answered with the login page

    with pytest.raises(SessionExpired):
        driver.read_rows(search.elements["result_rows"], {"kana": search.elements["result_kana"]})

    driver.ensure_session()
    driver.goto(search)
    driver.fill(search.elements["atena_no"], "0999999999")
    driver.click(search.elements["search"])
    assert driver.read_rows(search.elements["result_rows"], {}) == []  # a real "none"


def _entry(driver: PlaywrightDriver, core, db: Database, kosodate: SelectorSet):  # type: ignore[no-untyped-def]
    seed(db, 1, core.url, problems=False)
    driver.ensure_session()
    driver.page.goto(f"{core.url}/jidou/nintei/new?atena_no=0000100001")
    return kosodate.screen("nintei_entry")


def test_typed_values_are_read_back_and_a_changed_field_stops_the_screen(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core
) -> None:
    """Read back in one round trip: a script that rewrites an earlier field is caught."""
    entry = _entry(driver, core, db, kosodate)
    typed = [(entry.elements["claim_year"], "7"), (entry.elements["claim_month"], "4")]
    for element, value in typed:
        driver.fill(element, value)
    driver.check_values(typed)  # as typed: no error

    driver.page.evaluate("document.querySelector('#claim_year').value = '8'")
    with pytest.raises(ScreenChanged, match="反映されません") as caught:
        driver.check_values(typed)
    assert caught.value.element == "claim_year"


def test_a_field_that_truncates_what_was_typed_stops_the_screen(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core
) -> None:
    """maxlength cuts the 個人番号 short: never register part of a number."""
    entry = _entry(driver, core, db, kosodate)
    driver.page.evaluate("document.querySelector('#my_number').maxLength = 4")
    my_number = entry.elements["my_number"]
    driver.fill(my_number, "123456789018")

    with pytest.raises(ScreenChanged) as caught:
        driver.check_values([(my_number, "123456789018")])
    assert caught.value.element == "my_number"


def test_read_back_of_a_field_found_by_label_takes_the_careful_way(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core
) -> None:
    """A strategy only Playwright understands (a label) is read element by element."""
    entry = _entry(driver, core, db, kosodate)
    by_label = replace(entry.elements["remarks"], strategies=(Strategy("label", "備考"),))
    driver.fill(by_label, "電子申請 JT-2026-000001")
    driver.check_values([(by_label, "電子申請 JT-2026-000001")])

    driver.page.evaluate("document.querySelector('#remarks').value = ''")
    with pytest.raises(ScreenChanged, match="反映されません"):
        driver.check_values([(by_label, "電子申請 JT-2026-000001")])


def test_a_field_duplicated_after_typing_is_a_screen_change_not_a_guess(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core
) -> None:
    """The one-round-trip read answers only for exactly one match; two go the careful way,
    which names the strategy that matched twice."""
    entry = _entry(driver, core, db, kosodate)
    account = entry.elements["account_no"]
    driver.fill(account, "7654321")
    driver.page.evaluate("const e = document.querySelector('#account_no'); e.after(e.cloneNode())")
    driver.timeout_ms = 500

    with pytest.raises(ScreenChanged, match="2件に一致"):
        driver.check_values([(account, "7654321")])


def test_identity_items_and_result_rows_read_in_one_go_match_the_screen(
    driver: PlaywrightDriver, kosodate: SelectorSet, db: Database, core
) -> None:
    search = _search(driver, core, db, kosodate)
    driver.click(search.elements["search"])
    columns = {k: search.elements[f"result_{k}"] for k in ("atena_no", "kana", "birth")}

    rows = driver.read_rows(search.elements["result_rows"], columns)

    shown = driver.page.locator("table#results tbody tr").first.inner_text()
    assert len(rows) == 1 and rows[0]["atena_no"] == "0000100001"
    assert rows[0]["kana"] and rows[0]["kana"] in shown and rows[0]["birth"] in shown
    driver.click(search.elements["select"])
    entry = kosodate.screen("nintei_entry")
    header = [entry.elements[f"claimant_{k}"] for k in ("atena_no", "kana", "birth")]
    driver.read_texts(header)  # found once: the next read is the one-round-trip one
    assert driver.read_texts(header) == [rows[0]["atena_no"], rows[0]["kana"], rows[0]["birth"]]


def test_a_fresh_tab_every_few_applications_keeps_the_session_and_the_dialog_handling(
    browser: Browser, core_url: str, kosodate: SelectorSet
) -> None:
    """The tab is replaced to free Chromium's memory; the clerk's session is not."""
    d = PlaywrightDriver(
        browser, core_url, kosodate, Credentials("rpa01", "renkei-demo"), fresh_tab_after=2
    )
    try:
        menu = kosodate.screen("menu")
        d.ensure_session()  # application 1: logs in
        d.goto(menu)
        d.credentials = Credentials("rpa01", "wrong")  # a second log-in would now fail
        first = d.page
        d.ensure_session()  # application 2: same tab
        assert d.page is first
        d.ensure_session()  # application 3: a fresh tab, still logged in
        d.goto(menu)

        assert d.page is not first and first.is_closed()
        assert len(d.context.pages) == 1
        d.page.evaluate("alert('お知らせ')")  # the new tab's dialogs are handled
        assert d.take_alerts() == ["お知らせ"]
    finally:
        d.close()
