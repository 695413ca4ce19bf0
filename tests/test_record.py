"""``renkei record``: a real recording of a mock screen, and the conversion form by form.

The recording test opens the mock's 子育て entry screen in a headed Debian Chromium (under
an Xvfb display the test starts when there is none) with Playwright's recorder, acts on
it as an officer would — Playwright's clicks and typing are real input events, which the
recorder records like a person's — closes it, and reads the entries as IT would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bots.cli.main import cli
from bots.config import Settings
from bots.demo.seed import post_residents
from bots.errors import RenkeiError
from bots.recipe.selectors import load_selectors
from bots.screens import SelectorSet, Strategy
from bots.tooling.record import NO_DISPLAY, Recording, record, require_display, selector_entries
from bots.tooling.record_entries import (
    Entry,
    check_loads,
    convert,
    enrich,
    matching,
    name_entries,
    render,
)
from bots.tooling.record_entries import Strategy as Recorded

RESIDENT = {
    "atena_no": "0000077001",
    "name": "記録 太郎",
    "kana": "キロク タロウ",
    "birth_date": "1988-05-06",
    "gender": "男",
    "postal_code": "100-0001",
    "address": "東京都千代田区千代田1-1",
}
#: What the "officer" types and chooses: none of it may appear in the output.
TYPED = ("記録花子", "123456789012", "当座")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A display for the headed browser: the desktop's, else an Xvfb started on a free
    display number (Xvfb picks it: -displayfd) and stopped after the module."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb がありません: apt-get install xvfb（scripts/system-deps.sh）")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait(timeout=10)


def _kosodate(settings: Settings) -> SelectorSet:
    return load_selectors(settings.selectors_dir / "kosodate.yaml")


def _officer(page: Any) -> None:
    """What an officer does on the entry screen, then closes the window. The pointer goes
    to the corner before each click: the recorder's tooltip over the last element hovered
    would otherwise take the click, as it would a person's."""
    page.set_default_timeout(5_000)
    steps = [
        lambda: page.get_by_label("配偶者氏名").fill(TYPED[0]),
        lambda: page.locator("#spouse_yes").check(),
        lambda: page.get_by_label("個人番号").fill(TYPED[1]),
        lambda: page.get_by_role("button", name="児童を追加").click(),
        lambda: page.locator("#account_type").select_option(label=TYPED[2]),
    ]
    for step in steps:
        page.mouse.move(1, 1)
        step()
    page.close()


def test_records_the_entry_screen(
    display: str, settings: Settings, core: Any, tmp_path: Path
) -> None:
    post_residents(core.url, [RESIDENT])
    selectors = _kosodate(settings)
    url = f"/jidou/nintei/new?atena_no={RESIDENT['atena_no']}"
    recording = record(settings, selectors, url, drive=_officer)
    assert "get_by_role" in recording.code  # the recorder's own Python, as codegen writes

    text, conversion = selector_entries(recording, "kosodate", "nintei_entry", None, "今")
    assert conversion.unknown == []
    for typed in TYPED:
        assert typed not in text
    lines = {line.split(":")[0].strip(): line for line in text.splitlines() if "#" in line}
    assert "spouse_name:" in text and "配偶者氏名（入力）" in lines["spouse_name"]
    assert "あり（チェック）" in lines["spouse_yes"]
    assert "児童を追加（クリック）" in lines["add_child"]
    assert "預金種別（選択）" in lines["account_type"]

    loaded = _pasted(text, tmp_path)  # what IT pastes loads
    elements = loaded.screen("nintei_entry").elements
    assert list(elements) == ["spouse_name", "spouse_yes", "my_number", "add_child", "account_type"]
    assert elements["spouse_name"].strategies == (
        Strategy("css", "#spouse_name"),
        Strategy("label", "配偶者氏名", exact=True),
        Strategy("role", "textbox", "配偶者氏名"),
    )
    assert elements["add_child"].strategies == (
        Strategy("css", "#add_child"),
        Strategy("role", "button", "児童を追加"),
    )
    assert elements["my_number"].sensitive  # 個人番号: masked in screenshots
    assert not elements["spouse_name"].sensitive
    assert core.records() == []  # recording keyed nothing


def _pasted(snippet: str, folder: Path) -> SelectorSet:
    """The printed YAML pasted under ``screens:`` of a selector file, loaded."""
    path = folder / "pasted.yaml"
    path.write_text(f"system: kosodate\nlogin: none\nscreens:\n{snippet}", encoding="utf-8")
    return load_selectors(path)


def test_a_screen_that_cannot_be_opened_is_one_line(display: str, settings: Settings) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        settings.core_url = f"http://127.0.0.1:{s.getsockname()[1]}"
    yobou = load_selectors(settings.selectors_dir / "yobou.yaml")  # login: none
    with pytest.raises(
        RenkeiError,
        match=r"基幹システムの画面を開けません（http://127\.0\.0\.1:\d+/yobou/）: .*ERR_CONNECTION_REFUSED",
    ):
        record(settings, yobou, "/yobou/", drive=lambda page: page.close())


def test_without_a_display_the_command_says_how(settings: Settings) -> None:
    result = CliRunner().invoke(
        cli,
        ["record", "kosodate", "atena_search"],
        env={"DISPLAY": None, "WAYLAND_DISPLAY": None},  # type: ignore[dict-item]
    )
    assert result.exit_code == 1
    assert NO_DISPLAY in result.output
    with pytest.raises(RenkeiError, match="xvfb-run -a renkei record"):
        require_display({})


def test_a_screen_without_url_needs_one(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["record", "kosodate", "nintei_entry"])
    assert result.exit_code == 2
    assert "画面 nintei_entry には url がありません: --url" in result.output
    assert "atena_search" in result.output
    result = CliRunner().invoke(cli, ["record", "nosuch", "x"])
    assert result.exit_code == 1
    assert "セレクタファイル" in result.output and "kosodate" in result.output


# -- the conversion, form by form -------------------------------------------------------

SCRIPT = textwrap.dedent(
    """\
    import re
    from playwright.sync_api import Playwright, sync_playwright, expect


    def run(playwright: Playwright) -> None:
        browser = playwright.chromium.launch(headless=False)
        context = browser.new_context()
        page = context.new_page()
        page.goto("http://core.local/jidou/nintei/new?atena_no=1")
        page.get_by_role("button", name="登録", exact=True).click()
        page.get_by_label("氏名").fill("山田太郎")
        page.get_by_label("氏名").press("Tab")
        page.get_by_text("児童を追加").click()
        page.get_by_placeholder("例: ヤマダ").fill("ヤマダ")
        page.get_by_test_id("kana").fill("ヤマダ")
        page.get_by_title("検索").click()
        page.get_by_alt_text("ロゴ", exact=True).click()
        page.locator("#kana").fill("ヤマダタロウ")
        page.locator("xpath=//td[@id='x']").click()
        page.locator("table#results a.select").click()
        page.get_by_role("checkbox").check()
        expect(page.get_by_role("heading", name="照会")).to_be_visible()
        page.once("dialog", lambda dialog: dialog.dismiss())
        with page.expect_popup() as page1_info:
            page.get_by_role("link", name="宛名検索").click()
        page1 = page1_info.value
        page1.get_by_role("button", name="選択").click()
        page.close()

        # ---------------------
        context.close()
        browser.close()


    with sync_playwright() as playwright:
        run(playwright)
    """
)


def test_every_strategy_form_is_converted() -> None:
    conversion = convert(SCRIPT)
    assert conversion.unknown == []
    got = [(e.strategies, e.actions) for e in conversion.entries]
    assert got == [
        ([Recorded("role", "button", "登録", exact=True)], ["click"]),
        ([Recorded("label", "氏名")], ["fill", "press"]),  # one element, both actions
        ([Recorded("text", "児童を追加")], ["click"]),
        ([Recorded("placeholder", "例: ヤマダ")], ["fill"]),
        ([Recorded("css", '[data-testid="kana"]')], ["fill"]),
        ([Recorded("css", '[title*="検索"]')], ["click"]),
        ([Recorded("css", '[alt="ロゴ"]')], ["click"]),
        ([Recorded("css", "#kana")], ["fill"]),
        ([Recorded("xpath", "//td[@id='x']")], ["click"]),
        ([Recorded("css", "table#results a.select")], ["click"]),
        ([Recorded("role", "checkbox")], ["check"]),
        ([Recorded("role", "heading", "照会")], ["expect"]),
        ([Recorded("role", "link", "宛名検索")], ["click"]),
        ([Recorded("role", "button", "選択")], ["click"]),  # in the pop-up window
    ]
    name_entries(conversion.entries)
    keys = [e.key for e in conversion.entries]
    assert keys[:3] == ["button_1", "field_1", "field_2"] and "kana" in keys
    assert len(set(keys)) == len(keys)
    text = render("entry", "/jidou/nintei/new", conversion.entries, ["記録"])
    check_loads("kosodate", text)  # every form loads with the project's loader
    for typed in ("山田太郎", "ヤマダタロウ", "Tab", "atena_no=1"):
        assert typed not in text


def test_unknown_forms_are_reported_with_values_blanked() -> None:
    code = textwrap.dedent(
        """\
        page.get_by_role("textbox").nth(1).fill("山田太郎")
        page.locator("#children").get_by_role("textbox", name="氏名").fill("山田花子")
        page.get_by_role("button", name=re.compile("登録")).click()
        page.frame_locator("frame[name=main]").get_by_label("氏名").fill("佐藤")
        page.get_by_label("カナ").fill("ヤマダ")
        expect(page.get_by_label("氏名")).to_have_value("鈴木")
        print("hello")
        """
    )
    conversion = convert(code)
    assert [e.strategies for e in conversion.entries] == [
        [Recorded("label", "カナ")],
        [Recorded("label", "氏名")],
    ]
    assert [line for line, _ in conversion.unknown] == [1, 2, 3, 4, 7]
    shown = "\n".join(text for _, text in conversion.unknown)
    assert 'page.get_by_role("textbox").nth(1).fill' in shown.replace("'", '"')
    assert "frame_locator" in shown and "re.compile" in shown
    for typed in ("山田太郎", "山田花子", "佐藤", "鈴木", "ヤマダ"):
        assert typed not in shown


def test_the_touched_element_gives_id_label_and_sensitivity() -> None:
    seen = [
        {"id": "spouse_name", "label": "配偶者氏名", "type": "text", "name": "spouse_name"},
        {"id": "name", "label": "氏名", "type": "text"},
        {"id": "", "label": "", "text": "登録", "name": "", "type": "submit"},
        {"id": "pw", "label": "", "aria": "暗号", "type": "password"},
        {"id": "bad id", "label": "口座番号", "type": "text", "name": "accountNo"},
    ]
    role = Recorded("role", "textbox", "氏名")
    assert matching(role, seen) == seen[1]  # the same text, not 配偶者氏名 containing it
    assert matching(Recorded("role", "textbox", "偶者"), seen) == seen[0]  # only one contains
    assert matching(Recorded("role", "textbox", "偶者", exact=True), seen) is None
    assert matching(Recorded("css", "#pw"), seen) == seen[3]
    entries = [
        Entry([role]),
        Entry([Recorded("role", "button", "登録")]),
        Entry([Recorded("css", "#pw")]),
        Entry([Recorded("label", "口座番号")]),
    ]
    enrich(entries, seen)
    name_entries(entries)
    assert entries[0].strategies == [
        Recorded("css", "#name"),
        Recorded("label", "氏名", exact=True),
        role,
    ]
    assert [e.key for e in entries] == ["name", "button_1", "pw", "account_no"]
    assert [e.sensitive for e in entries] == [False, False, True, True]
    assert entries[3].strategies == [Recorded("label", "口座番号")]  # "bad id" is no #id
    text = render("s", None, entries, [])
    assert "{css: '#pw', sensitive: true}" in text
    check_loads("kosodate", text)


def test_an_empty_recording_gives_an_empty_screen() -> None:
    text, conversion = selector_entries(Recording("", [], "http://x/"), "yobou", "a", "/a", "今")
    assert conversion.entries == [] and "url: /a" in text
    check_loads("yobou", text)
