"""A recipe meeting the wrong screen ends in a clear error naming the screen, the element
and the address — never a raw Playwright error, never a late "element not found".

Real Chromium against the real mock core system; the wrong screens are what IT gets
wrong in a selector file (a copy of ``selectors/kosodate.yaml`` in tmp_path, one line
changed), or a screen address the mock does not serve (its 404 / 405 pages).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from console_helpers import run_bot
from e2e_helpers import rows
from playwright.sync_api import Browser

from bots.config import Settings
from bots.contracts import Credentials
from bots.demo.seed import seed
from bots.drivers.browser import launch_chromium
from bots.drivers.playwright_web import PlaywrightDriver
from bots.drivers.web_errors import LoginScreenChanged, ScreenUnreachable, screen_address
from bots.errors import CoreUnavailable, SessionExpired
from bots.queue.db import Database
from bots.recipe.selectors import load_selectors
from bots.screens import SelectorSet

ROOT = Path(__file__).resolve().parent.parent
KOSODATE = ROOT / "selectors" / "kosodate.yaml"
CREDENTIALS = Credentials("rpa01", "renkei-demo")
CHANGED = "画面が想定と異なります"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium(Settings().chromium) as b:
        yield b


def _selectors_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the 子育て selector file with one line changed, as IT might mistype it."""
    text = KOSODATE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    copy = tmp_path / "selectors" / "kosodate.yaml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text.replace(old, new), encoding="utf-8")
    for other in (ROOT / "selectors").glob("*.yaml"):  # the other subsystems, unchanged
        if other.name != KOSODATE.name:
            (copy.parent / other.name).write_text(other.read_text(encoding="utf-8"))
    return copy


@pytest.fixture
def make_driver(browser: Browser, core_url: str) -> Iterator:  # type: ignore[type-arg]
    drivers: list[PlaywrightDriver] = []

    def make(selectors: SelectorSet, base: str = core_url) -> PlaywrightDriver:
        driver = PlaywrightDriver(browser, base, selectors, CREDENTIALS, timeout_ms=2_000)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


# -- a wrong log-in screen ------------------------------------------------------------------


def test_a_login_url_that_is_not_served_is_reported_with_its_404(
    make_driver, tmp_path: Path, core_url: str
) -> None:
    path = _selectors_with(tmp_path, "    url: /login\n", "    url: /logon\n")
    driver = make_driver(load_selectors(path))

    with pytest.raises(ScreenUnreachable) as caught:
        driver.ensure_session()

    assert str(caught.value) == (
        f"{CHANGED}（画面 login、要素 url）: 画面 login の URL が見つかりません"
        f"（HTTP 404: {core_url}/logon）"
    )
    assert caught.value.status == 404


def test_a_login_url_serving_another_page_names_the_marker_and_the_url(
    make_driver, tmp_path: Path, core_url: str
) -> None:
    path = _selectors_with(tmp_path, "    url: /login\n", "    url: /healthz\n")
    driver = make_driver(load_selectors(path))

    with pytest.raises(LoginScreenChanged) as caught:
        driver.ensure_session()

    assert str(caught.value) == (
        f"{CHANGED}（画面 login、要素 marker）: ログイン画面（{core_url}/healthz）: "
        "想定した画面が表示されていません: css='body[data-screen=login]' → 0 件; "
        "role=heading[name='ログイン'] → 0 件"
    )


def test_a_login_field_not_on_the_page_names_the_element_and_the_url(
    make_driver, tmp_path: Path, core_url: str
) -> None:
    path = _selectors_with(
        tmp_path,
        'user_id: {css: "#user_id", label: 職員ID}',
        'user_id: {css: "#user_name", label: 利用者名}',
    )
    driver = make_driver(load_selectors(path))

    with pytest.raises(LoginScreenChanged) as caught:
        driver.ensure_session()

    assert str(caught.value) == (
        f"{CHANGED}（画面 login、要素 user_id）: ログイン画面（{core_url}/login）: "
        "どの探索方法でも見つかりません: css='#user_name' → 0 件; label='利用者名' → 0 件"
    )
    assert caught.value.url == f"{core_url}/login"


def test_a_login_field_pointing_at_a_heading_is_a_screen_change_not_a_playwright_error(
    make_driver, tmp_path: Path, core_url: str
) -> None:
    path = _selectors_with(
        tmp_path,
        'password: {css: "#password", label: パスワード}',
        'password: {css: "h1"}',
    )
    driver = make_driver(load_selectors(path))

    with pytest.raises(LoginScreenChanged) as caught:
        driver.ensure_session()

    message = str(caught.value)
    assert message == (
        f"{CHANGED}（画面 login、要素 password）: ログイン画面（{core_url}/login）: "
        "この要素には入力できません（見つかったのは <h1> 要素です。"
        "セレクタファイルがこの項目を指しているか確認してください）"
    )
    assert CREDENTIALS.password not in message


def test_a_login_button_that_submits_nothing_is_named_not_a_navigation_timeout(
    make_driver, tmp_path: Path, core_url: str
) -> None:
    path = _selectors_with(
        tmp_path,
        'submit: ["#login", {role: button, name: ログイン}]',
        'submit: {css: "h1"}',
    )
    driver = make_driver(load_selectors(path))

    with pytest.raises(LoginScreenChanged) as caught:
        driver.ensure_session()

    assert str(caught.value) == (
        f"{CHANGED}（画面 login、要素 submit）: ログイン画面（{core_url}/login）: "
        "フォームの送信ボタンでもリンクでもありません（押しても画面が移りません）"
    )


def test_the_correct_login_screen_still_logs_in_and_stays_logged_in(make_driver) -> None:
    """The checks of a first log-in never refuse the real screen (and a live session)."""
    selectors = load_selectors(KOSODATE)
    driver = make_driver(selectors)
    driver.ensure_session()
    driver.goto(selectors.screen("menu"))
    driver.page.goto("about:blank")  # not on the core system: ensure_session looks again

    driver.ensure_session()  # the login URL redirects a logged-in clerk: no new log-in

    driver.goto(selectors.screen("atena_search"))


def test_a_run_with_a_wrong_login_screen_stops_the_subsystem_with_that_message(
    tmp_path: Path, core_url: str, core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's view: the subsystem stops with the message, nothing is keyed, the
    application goes back to the queue, and no unexpected error (a traceback) is logged."""
    path = _selectors_with(
        tmp_path,
        'user_id: {css: "#user_id", label: 職員ID}',
        'user_id: {css: "#user_name"}',
    )
    monkeypatch.setenv("RENKEI_SELECTORS", str(path.parent))
    from e2e_helpers import installation_settings

    settings = replace(installation_settings(tmp_path, core_url), timeout_ms=2_000)
    db = Database(settings.db_url)
    seed(db, 1, core.url, problems=False)

    result = run_bot(settings, "jidou_teate_nintei")

    expected = (
        f"{CHANGED}（画面 login、要素 user_id）: ログイン画面（{core_url}/login）: "
        "どの探索方法でも見つかりません: css='#user_name' → 0 件"
    )
    assert result.stopped == {"kosodate": expected}
    assert [item.outcome.value for item in result.items] == ["stopped"]
    assert all(row.status != "keyed" and not row.receipt_no for row in rows(db).values())
    assert core.records() == []
    trail = [
        json.loads(line)
        for f in result.out_dir.rglob("*.jsonl")
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert trail, "the run's audit trail was not found"
    assert not [e for e in trail if e.get("step") == "unexpected_error"]
    db.dispose()


# -- screen addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "url", "address"),
    [
        ("http://core.local", "/menu", "http://core.local/menu"),
        ("http://core.local", "menu", "http://core.local/menu"),
        ("http://core.local/", "menu", "http://core.local/menu"),
        ("http://core.local/kosodate", "/menu", "http://core.local/kosodate/menu"),
        ("http://core.local/kosodate/", "menu", "http://core.local/kosodate/menu"),
        (
            "http://core.local/app/v2",
            "atena/search?x=1",
            "http://core.local/app/v2/atena/search?x=1",
        ),
        ("http://core.local", "/boshi/#/search", "http://core.local/boshi/#/search"),
        ("http://core.local", "https://other.local/x", "https://other.local/x"),
    ],
)
def test_screen_urls_are_paths_under_the_configured_core_url(
    base: str, url: str, address: str
) -> None:
    assert screen_address(base, url) == address


def test_a_screen_url_without_a_leading_slash_opens_the_same_screen(make_driver) -> None:
    selectors = load_selectors(KOSODATE)
    menu = selectors.screen("menu")
    driver = make_driver(selectors)
    driver.ensure_session()

    driver.goto(replace(menu, url="menu"))  # a marker mismatch would raise here

    assert driver.page.url == driver.address("/menu")


def test_a_login_url_without_a_leading_slash_is_the_log_in_screen(make_driver) -> None:
    """With no marker, only the log-in screen's address tells an expired session."""
    selectors = load_selectors(KOSODATE)
    login = replace(selectors.screen("login"), url="login", marker=None)
    relative = replace(selectors, screens={**selectors.screens, "login": login})
    driver = make_driver(relative)

    driver.ensure_session()
    driver.goto(selectors.screen("menu"))
    driver.context.clear_cookies()  # an expired session: the menu answers with the log-in

    with pytest.raises(SessionExpired):
        driver.goto(selectors.screen("menu"))
    driver.ensure_session()
    driver.goto(selectors.screen("menu"))


def test_a_configured_url_the_core_system_does_not_serve_is_its_404(
    make_driver, core_url: str
) -> None:
    selectors = load_selectors(KOSODATE)
    driver = make_driver(selectors)
    driver.ensure_session()

    with pytest.raises(ScreenUnreachable) as caught:
        driver.goto(replace(selectors.screen("menu"), url="menus"))

    assert str(caught.value) == (
        f"{CHANGED}（画面 menu、要素 url）: 画面 menu の URL が見つかりません"
        f"（HTTP 404: {core_url}/menus）"
    )


def test_another_client_error_on_a_configured_url_is_named_with_its_status(
    make_driver, core_url: str
) -> None:
    """/jidou/nintei only takes the entry form's POST: opening it is a 405."""
    selectors = load_selectors(KOSODATE)
    driver = make_driver(selectors)
    driver.ensure_session()

    with pytest.raises(ScreenUnreachable) as caught:
        driver.goto(replace(selectors.screen("menu"), url="/jidou/nintei"))

    assert caught.value.status == 405
    assert str(caught.value).endswith(
        f"画面 menu の URL を開けません（HTTP 405: {core_url}/jidou/nintei）"
    )


def test_a_link_to_a_missing_page_is_reported_at_the_click_not_as_element_not_found(
    make_driver, core_url: str
) -> None:
    selectors = load_selectors(KOSODATE)
    menu = selectors.screen("menu")
    driver = make_driver(selectors)
    driver.ensure_session()
    driver.goto(menu)
    # what a vendor's broken menu entry looks like: the link now leads nowhere
    driver.page.eval_on_selector("#menu_atena_search", "a => a.href = '/atena/gone'")

    with pytest.raises(ScreenUnreachable) as caught:
        driver.click(menu.elements["atena_search"])

    assert str(caught.value) == (
        f"{CHANGED}（画面 menu、要素 atena_search）: 画面 menu の「atena_search」を押した後の"
        f"画面が見つかりません（HTTP 404: {core_url}/atena/gone）"
    )


def test_a_server_error_on_a_configured_url_stays_transient_with_its_status(
    make_driver, core
) -> None:
    selectors = load_selectors(KOSODATE)
    driver = make_driver(selectors)
    driver.ensure_session()
    core.set_faults(maintenance=True)

    with pytest.raises(CoreUnavailable) as caught:
        driver.goto(selectors.screen("atena_search"))

    assert str(caught.value) == "基幹システムが停止中です（HTTP 503、夜間バッチ等）: /atena/search"


def test_a_system_without_log_in_is_worked_under_a_base_url_with_a_path(
    make_driver, tmp_path: Path, core_url: str
) -> None:
    """``login: none`` and a core URL with a path of its own (the 予防接種 system at
    /yobou): the screens' URLs are paths under it, and nothing looks for a log-in."""
    path = tmp_path / "yobou.yaml"
    path.write_text(
        "system: yobou\n"
        "title: 健康管理システム（予防接種）\n"
        "login: none\n"
        "screens:\n"
        "  entry:\n"
        "    url: /kiroku/nyuryoku\n"
        '    marker: "#frmMain"\n'
        "    elements:\n"
        '      remarks: "#txaBikou"\n',
        encoding="utf-8",
    )
    selectors = load_selectors(path)
    entry = selectors.screen("entry")
    driver = make_driver(selectors, base=f"{core_url}/yobou/")

    driver.ensure_session()
    driver.goto(entry)
    driver.ensure_session()  # the next application: still nothing to log in to

    assert driver.page.url == f"{core_url}/yobou/kiroku/nyuryoku"
    driver.fill(entry.elements["remarks"], "[renkei:T-1]")
    driver.check_values([(entry.elements["remarks"], "[renkei:T-1]")])
