"""Tests of the mock 介護保険 subsystem (mock_core_ui/kaigo): a legacy vendor's screens.

Flask's test client on a temporary SQLite file for the screens, rules and testing
endpoints; one test drives the real server in real Chromium as a clerk would (frames,
pop-up, confirm dialog, Shift_JIS round trip). The screen contract is
docs/mock-core-kaigo.md.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bots.drivers.browser import CHROMIUM_ARGS
from mock_core_ui import create_app, faults
from mock_core_ui.services import STORE_KEY

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RENKEI_CHROMIUM", "/usr/bin/chromium")

INSURED: list[dict[str, str]] = [
    {
        "hihokensha_no": "0800000011",
        "name": "筑波 花子",
        "kana": "ツクバ ハナコ",
        "birth_date": "1945-04-01",
        "address": "茨城県つくば市吾妻1-1-1",
        "atena_no": "0000012345",
    },
    {
        "hihokensha_no": "0800000029",
        "name": "吾妻 一郎",
        "kana": "アヅマ イチロウ",
        "birth_date": "1989-01-08",
        "address": "茨城県つくば市竹園2-2-2",
        "atena_no": "0000020001",
    },
]
DOCTOR = ("0810100017", "つくば中央病院", "佐藤 健一")
ENTRY_ITEMS = [
    "申請区分",
    "申請日",
    "前回の要介護度",
    "医療機関コード",
    "医療機関名",
    "医師名",
    "保険者番号",
    "記号・番号",
    "本人の居所",
    "施設名",
    "備考",
]


# --- a bot's eye: table rows, and inputs found by the text of the cell to their left ---


class Rows(HTMLParser):
    """Collect table rows as lists of cells: (text, controls) with controls as attr dicts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, list[dict[str, str]]]]] = []
        self._rows: list[list[tuple[list[str], list[dict[str, str]]]]] = []
        self._cells: list[tuple[list[str], list[dict[str, str]]]] = []
        self._in_option = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th") and self._rows:
            cell: tuple[list[str], list[dict[str, str]]] = ([], [])
            self._rows[-1].append(cell)
            self._cells.append(cell)
        elif tag in ("input", "select", "textarea", "a") and self._cells:
            self._cells[-1][1].append({"tag": tag, **{k: v or "" for k, v in attrs}})
        if tag == "option":
            self._in_option = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cells:
            self._cells.pop()
        elif tag == "tr" and self._rows:
            row = self._rows.pop()
            self.rows.append([("".join(t).strip(), c) for t, c in row])
        elif tag == "option":
            self._in_option = False

    def handle_data(self, data: str) -> None:
        if self._cells and not self._in_option:
            self._cells[-1][0].append(data)


def rows_of(page: str) -> list[list[tuple[str, list[dict[str, str]]]]]:
    parser = Rows()
    parser.feed(page)
    return parser.rows


def items_of(page: str) -> list[tuple[str, list[dict[str, str]]]]:
    """(item text, controls of the cell to its right) for every form row, in page order."""
    found = []
    for row in rows_of(page):
        for (text, controls), (_, right) in zip(row, row[1:], strict=False):
            inputs = [c for c in right if c["tag"] in ("input", "select", "textarea")]
            if text and not controls and inputs:
                found.append((text, inputs))
    return found


def name_of(page: str, item: str) -> str:
    """The name of the first input right of the cell whose text is exactly ``item``."""
    matches = [inputs for text, inputs in items_of(page) if text == item]
    assert len(matches) == 1, f"item {item!r}: {len(matches)} rows"
    return matches[0][0]["name"]


def alert_of(page: str) -> str | None:
    """The text of the page's load-time alert (the JavaScript literal decoded), if any."""
    match = re.search(r"^alert\('((?:[^'\\]|\\.)*)'\);$", page, re.M)
    if match is None:
        return None
    text = match.group(1).encode("latin-1", "backslashreplace").decode("unicode_escape")
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


# --- app and client ---


def make_app(tmp_path: Path, *, testing: bool = True) -> Flask:
    return create_app(str(tmp_path / "var" / "core.db"), testing=testing, secret_key="test")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database with clerks and 被保険者, copied per test (password hashing is slow)."""
    base = tmp_path_factory.mktemp("kaigo-template")
    application = make_app(base)
    resp = application.test_client().post("/kaigo/_testing/insured", json=INSURED)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    application.extensions[STORE_KEY].engine.dispose()
    return base / "var" / "core.db"


@pytest.fixture()
def app(tmp_path: Path, template_db: Path) -> Flask:
    (tmp_path / "var").mkdir()
    shutil.copy(template_db, tmp_path / "var" / "core.db")
    return make_app(tmp_path)


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def login(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login",
        data={"user_id": "rpa01", "password": "renkei-demo", "csrf_token": token_of(page)},
    )
    assert resp.status_code == 303


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    c = app.test_client()
    login(c)
    return c


def set_variant(app: Flask, variant: str | None) -> None:
    variants = app.extensions[faults.FAULTS_KEY].variants
    if variant is None:
        variants.pop("kaigo", None)
    else:
        variants["kaigo"] = variant


def sjis(resp: Any) -> str:
    assert resp.headers["Content-Type"] == "text/html; charset=Shift_JIS"
    return str(resp.data.decode("cp932"))


def get(client: FlaskClient, path: str, **params: str) -> str:
    query = urlencode(params, encoding="cp932")
    return sjis(client.get(f"{path}?{query}" if query else path))


def entry_values(page: str, by_item: dict[str, str] | None = None) -> dict[str, str]:
    """The post of an entry page, filled by item text like a bot that reads the screen."""
    form = {"csrf_token": token_of(page)}
    hidden = re.search(r'name="f00" value="([^"]*)"', page)
    assert hidden
    form["f00"] = hidden.group(1)
    defaults = {
        "申請区分": "1",
        "申請日": "5/7/4/1",
        "医療機関コード": DOCTOR[0],
        "本人の居所": "1",
        "備考": "",
    }
    for item, value in {**defaults, **(by_item or {})}.items():
        inputs = next(inputs for text, inputs in items_of(page) if text == item)
        if item == "申請日":
            for control, part in zip(inputs, value.split("/"), strict=True):
                form[control["name"]] = part
        else:
            form[inputs[0]["name"]] = value
    return form


def post_entry(client: FlaskClient, form: dict[str, str]) -> Any:
    return client.post(
        "/kaigo/nintei",
        data=urlencode(form, encoding="cp932"),
        content_type="application/x-www-form-urlencoded",
    )


def register(
    client: FlaskClient, by_item: dict[str, str] | None = None, hno: str = "0800000011"
) -> Any:
    """Open the entry screen of ``hno``, fill it by item texts and post it."""
    page = get(client, "/kaigo/nintei/new", h=hno)
    return post_entry(client, entry_values(page, by_item))


def records(client: FlaskClient) -> list[dict[str, Any]]:
    data = client.get("/kaigo/_testing/records").get_json()
    assert isinstance(data, list)
    return data


# --- frames, encoding, log-in ---


def test_frameset_and_menu(client: FlaskClient) -> None:
    page = get(client, "/kaigo/")
    assert '<frameset cols="180,*">' in page
    assert '<frame name="menu" src="/kaigo/menu">' in page
    assert '<frame name="work" src="/kaigo/welcome">' in page
    menu = get(client, "/kaigo/menu")
    assert '<a href="/kaigo/search" target="work">被保険者検索</a>' in menu
    assert '<a href="/kaigo/inquiry" target="work">要介護認定申請 照会</a>' in menu
    assert '<a href="/menu" target="_top">業務メニューへ戻る</a>' in menu
    assert "連携 太郎" in menu


@pytest.mark.parametrize(
    "path",
    [
        "/kaigo/",
        "/kaigo/menu",
        "/kaigo/welcome",
        "/kaigo/search",
        "/kaigo/inquiry",
        "/kaigo/nintei/new?h=0800000011",
        "/kaigo/lookup/doctor",
    ],
)
def test_pages_are_shift_jis(client: FlaskClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    page = sjis(resp)
    assert '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">' in page
    assert "介護保険システム".encode("cp932") in resp.data
    with pytest.raises(UnicodeDecodeError):
        resp.data.decode("utf-8")
    assert " id=" not in page and "<label" not in page


def test_kaigo_needs_log_in(app: Flask) -> None:
    resp = app.test_client().get("/kaigo/search")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    page = get(client, "/kaigo/nintei/new", h="0800000011")
    form = entry_values(page)
    del form["csrf_token"]
    assert post_entry(client, form).status_code == 400
    assert records(client) == []


# --- 被保険者検索 ---


def test_search_finds_insured_person(client: FlaskClient) -> None:
    page = get(client, "/kaigo/search", f01="0800000011")
    assert alert_of(page) is None
    header, row = [r for r in rows_of(page) if len(r) == 6]
    assert [t for t, _ in header] == [
        "被保険者番号",
        "氏名",
        "カナ氏名",
        "生年月日",
        "住所",
        "選択",
    ]
    assert [t for t, _ in row][:5] == [
        "0800000011",
        "筑波 花子",
        "ツクバ ハナコ",
        "昭和20年4月1日",
        "茨城県つくば市吾妻1-1-1",
    ]
    assert row[5][1][0]["href"] == "/kaigo/nintei/new?h=0800000011"
    second = get(client, "/kaigo/search", f01="0800000029")
    assert "平成元年1月8日" in second


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0899999999", "該当する被保険者はありません。"),
        ("123", "被保険者番号は半角数字10桁で入力してください。"),
        ("０８００００００１１", "被保険者番号は半角数字10桁で入力してください。"),
        ("", "被保険者番号を入力してください。"),
    ],
)
def test_search_problems_come_as_alert(client: FlaskClient, value: str, message: str) -> None:
    page = get(client, "/kaigo/search", f01=value)
    assert alert_of(page) == message
    assert '<script type="text/javascript">' in page
    assert "0800000011" not in page


def test_search_screen_without_query_has_no_alert(client: FlaskClient) -> None:
    assert alert_of(get(client, "/kaigo/search")) is None


def test_entry_for_unknown_insured_goes_back_with_alert(client: FlaskClient) -> None:
    page = get(client, "/kaigo/nintei/new", h="0899999999")
    assert "KGM010" in page and alert_of(page) == "該当する被保険者はありません。"


# --- entry screen ---


def test_entry_screen_follows_contract(client: FlaskClient) -> None:
    page = get(client, "/kaigo/nintei/new", h="0800000011")
    assert [text for text, _ in items_of(page)] == ENTRY_ITEMS
    names = {text: [c["name"] for c in inputs if "name" in c] for text, inputs in items_of(page)}
    assert names["申請区分"] == ["f01"] * 3
    assert names["申請日"] == ["f02", "f03", "f04", "f05"]
    assert names["備考"] == ["f14"]
    header = {r[0][0]: r[1][0] for r in rows_of(page) if len(r) == 2 and not r[1][1]}
    assert header["被保険者番号"] == "0800000011"
    assert header["氏名"] == "筑波 花子"
    assert header["カナ氏名"] == "ツクバ ハナコ"
    assert header["生年月日"] == "昭和20年4月1日"
    code = next(i for t, i in items_of(page) if t == "医療機関コード")
    assert "readonly" in code[0] and code[1]["value"] == "主治医検索"
    assert "window.open('/kaigo/lookup/doctor', 'lookup', 'width=600,height=400')" in page
    assert "return confirm('登録します。よろしいですか？');" in page
    assert '<input type="submit" value="登録">' in page
    facility = next(i for t, i in items_of(page) if t == "施設名")
    assert "disabled" in facility[0]


def test_valid_registration_stores_record_with_receipt(client: FlaskClient) -> None:
    resp = register(
        client,
        {
            "申請区分": "2",
            "申請日": "5/7/4/1",
            "前回の要介護度": "21",
            "保険者番号": "06080012",
            "記号・番号": "つくば１２・３４５",
            "本人の居所": "2",
            "施設名": "特別養護老人ホーム 梅ヶ丘苑",
            "備考": "マイナポータル申請 AP-0001 森鴎外～",
        },
    )
    assert resp.status_code == 200
    page = sjis(resp)
    receipt = {r[0][0]: r[1][0] for r in rows_of(page) if len(r) == 2}["受付番号"]
    assert re.fullmatch(r"KG[0-9]{8}", receipt)
    assert alert_of(page) is None and "KGM021" in page
    assert '<a href="/kaigo/search">戻る</a>' in page
    (record,) = records(client)
    assert record["receipt_no"] == receipt
    assert record["hihokensha_no"] == "0800000011" and record["name"] == "筑波 花子"
    assert record["kubun"] == "2" and record["kubun_name"] == "更新"
    assert record["shinsei_date"] == "2025-04-01"
    assert record["prev_care_level"] == "要介護1" and record["prev_care_level_code"] == "21"
    assert (record["doctor_code"], record["doctor_hospital"], record["doctor_name"]) == DOCTOR
    assert record["insurer_no"] == "06080012"
    assert record["insurer_symbol"] == "つくば１２・３４５"
    assert (
        record["residence"] == "施設" and record["facility_name"] == "特別養護老人ホーム 梅ヶ丘苑"
    )
    assert record["remarks"] == "マイナポータル申請 AP-0001 森鴎外～"
    assert record["registered_by"] == "rpa01" and record["madoguchi"] is None


def test_new_application_ignores_previous_level_and_facility_at_home(client: FlaskClient) -> None:
    register(client, {"申請区分": "1", "前回の要介護度": "21", "施設名": "どこか"})
    (record,) = records(client)
    assert record["prev_care_level"] is None and record["facility_name"] == ""
    assert record["residence"] == "自宅"


def test_same_application_twice_makes_two_records(client: FlaskClient) -> None:
    first = sjis(register(client, {"備考": "二重"}))
    second = sjis(register(client, {"備考": "二重"}))
    numbers = [re.search(r"KG[0-9]{8}", p).group(0) for p in (first, second)]  # type: ignore[union-attr]
    assert numbers[0] != numbers[1]
    assert [r["receipt_no"] for r in records(client)] == numbers


def test_concurrent_registrations_get_unique_receipt_numbers(app: Flask) -> None:
    from mock_core_ui.kaigo import store as kaigo_store

    numbers: list[str] = []
    problems: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                person = kaigo_store.get_insured("0800000011")
                doctor = kaigo_store.get_doctor(DOCTOR[0])
                assert person is not None and doctor is not None
                application = kaigo_store.Application(
                    "0800000011", None, "1", dt.date(2025, 4, 1), None, doctor, "", "", "1", "", ""
                )
                for _ in range(5):
                    numbers.append(kaigo_store.insert_application(application, person, "t"))
        except BaseException as exc:  # pragma: no cover - reported below
            problems.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not problems
    assert len(numbers) == 30 and len(set(numbers)) == 30


@pytest.mark.parametrize(
    ("by_item", "message"),
    [
        ({"申請区分": ""}, "申請区分を選択してください。"),
        ({"申請区分": "9"}, "申請区分が正しくありません。"),
        ({"申請日": "5///"}, "申請日を入力してください。"),
        ({"申請日": "4/31/5/1"}, "申請日は平成の期間外の日付です。"),
        ({"申請日": "5/7/2/30"}, "申請日は存在しない日付です。"),
        ({"申請日": "5/７/4/1"}, "申請日が正しくありません。"),
        ({"申請日": "5/99/4/1"}, "申請日に未来の日付は入力できません。"),
        ({"申請区分": "3"}, "前回の要介護度を選択してください。"),
        ({"医療機関コード": ""}, "主治医を選択してください。"),
        ({"医療機関コード": "0810199999"}, "主治医の医療機関コードが存在しません。"),
        (
            {"保険者番号": "0608001", "記号・番号": "1"},
            "保険者番号は半角数字8桁で入力してください。",
        ),
        ({"記号・番号": "12-3"}, "保険者番号を入力してください。"),
        ({"保険者番号": "06080012"}, "記号・番号を入力してください。"),
        ({"本人の居所": "3"}, "施設名を入力してください。"),
        (
            {"本人の居所": "2", "施設名": "①ホーム"},
            "施設名に使用できない文字が含まれています（①）。",
        ),
        ({"備考": "あ" * 201}, "備考は200文字以内で入力してください。"),
        ({"備考": "髙橋様より"}, "備考に使用できない文字が含まれています（髙）。"),
        ({"備考": "&#134071;野家"}, "備考に使用できない文字が含まれています（𠮷）。"),
    ],
)
def test_validation_rule(client: FlaskClient, by_item: dict[str, str], message: str) -> None:
    page = sjis(register(client, by_item))
    assert "KGM020" in page
    assert message in (alert_of(page) or "").split("\n")
    assert records(client) == []


def test_all_errors_at_once_and_values_kept(client: FlaskClient) -> None:
    page = sjis(
        register(
            client,
            {"申請区分": "", "医療機関コード": "", "本人の居所": "3", "備考": "改行\r\nあり＜b＞"},
        )
    )
    assert (
        alert_of(page)
        == "申請区分を選択してください。\n主治医を選択してください。\n施設名を入力してください。"
    )
    assert '<textarea name="f14" rows="4" cols="50">改行\nあり＜b＞</textarea>' in page
    assert '<option value="3" selected>入院中</option>' in page
    assert records(client) == []


def test_character_references_from_the_browser_are_read_back(client: FlaskClient) -> None:
    # Chromium sends 〜 (U+301C) as "&#12316;": it is JIS X 0208 and is stored as typed.
    register(client, {"備考": "10時&#12316;12時 <b>'x'</b>"})
    assert records(client)[0]["remarks"] == "10時〜12時 <b>'x'</b>"


def test_unknown_insured_on_post_stores_nothing(client: FlaskClient) -> None:
    page = get(client, "/kaigo/nintei/new", h="0800000011")
    form = {**entry_values(page), "f00": "0899999999"}
    answer = sjis(post_entry(client, form))
    assert (alert_of(answer) or "").startswith("被保険者が存在しません。")
    assert records(client) == []


def test_register_fault_answers_500_before_writing(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = get(client, "/kaigo/nintei/new", h="0800000011")
    monkeypatch.setattr(faults, "register_should_fail", lambda subsystem: subsystem == "kaigo")
    assert post_entry(client, entry_values(page)).status_code == 500
    assert records(client) == []


# --- 主治医検索 pop-up ---


def test_doctor_lookup_lists_master_with_select_buttons(client: FlaskClient) -> None:
    page = get(client, "/kaigo/lookup/doctor")
    listed = [r for r in rows_of(page) if len(r) == 4][1:]
    assert len(listed) >= 8
    assert tuple(t for t, _ in listed[0][:3]) == DOCTOR
    button = listed[0][3][1][0]
    assert button["value"] == "選択"
    assert button["onclick"] == "kaigoPick('0810100017', 'つくば中央病院', '佐藤 健一');"
    assert "window.opener.kaigoSetDoctor(code, hospital, doctor);" in page
    assert "window.close();" in page
    master = client.get("/kaigo/_testing/doctors").get_json()
    assert len(master) == len(listed) and master[0] == dict(
        zip(("code", "hospital", "doctor"), DOCTOR, strict=True)
    )


def test_doctor_lookup_filters_by_hospital_part(client: FlaskClient) -> None:
    page = get(client, "/kaigo/lookup/doctor", f01="クリニック")
    hospitals = [r[1][0] for r in rows_of(page) if len(r) == 4][1:]
    assert hospitals and all("クリニック" in h for h in hospitals)
    none = get(client, "/kaigo/lookup/doctor", f01="%")
    assert alert_of(none) == "該当する医療機関はありません。"


# --- 照会 ---


def test_inquiry_by_remarks_and_number(client: FlaskClient) -> None:
    register(client, {"備考": "申請番号 AP-0001 100%"})
    register(client, {"備考": "申請番号 AP-0002"}, hno="0800000029")
    page = get(client, "/kaigo/inquiry", f02="AP-0001 100%")
    table = [r for r in rows_of(page) if len(r) == 6]
    assert [t for t, _ in table[0]] == [
        "受付番号",
        "被保険者番号",
        "氏名",
        "申請区分",
        "申請日",
        "備考",
    ]
    assert len(table) == 2
    assert [t for t, _ in table[1]][1:] == [
        "0800000011",
        "筑波 花子",
        "新規",
        "令和7年4月1日",
        "申請番号 AP-0001 100%",
    ]
    assert (
        len([r for r in rows_of(get(client, "/kaigo/inquiry", f02="申請番号")) if len(r) == 6]) == 3
    )
    by_number = get(client, "/kaigo/inquiry", f01="0800000029", f02="")
    assert "AP-0002" in by_number and "AP-0001" not in by_number
    assert alert_of(get(client, "/kaigo/inquiry", f02="_")) == "該当する申請はありません。"


def test_inquiry_with_nothing_entered_alerts_and_lists_nothing(client: FlaskClient) -> None:
    register(client)
    page = get(client, "/kaigo/inquiry", f01="", f02="")
    assert alert_of(page) == "被保険者番号または備考を入力してください。"
    assert "KG0" not in page


# --- layout variants ---


def test_v2_moves_things_but_keeps_item_texts(app: Flask, client: FlaskClient) -> None:
    set_variant(app, "v2")
    page = get(client, "/kaigo/nintei/new", h="0800000011")
    assert [text for text, _ in items_of(page)] == ["受付窓口", *ENTRY_ITEMS]
    assert name_of(page, "申請区分") == "f02" and name_of(page, "備考") == "f15"
    assert "Ver.2.10" in page
    resp = post_entry(client, {**entry_values(page, {"受付窓口": "05", "備考": "v2で登録"})})
    assert "KGM021" in sjis(resp)
    (record,) = records(client)
    assert record["madoguchi"] == "電子申請" and record["remarks"] == "v2で登録"

    search = get(client, "/kaigo/search", f02="0800000011")
    assert name_of(search, "被保険者番号") == "f02"
    header = next(r for r in rows_of(search) if len(r) == 6)
    assert [t for t, _ in header] == [
        "選択",
        "氏名",
        "カナ氏名",
        "生年月日",
        "被保険者番号",
        "住所",
    ]
    inquiry = get(client, "/kaigo/inquiry")
    assert (name_of(inquiry, "被保険者番号"), name_of(inquiry, "備考")) == ("f02", "f03")


def test_v3_renames_item_texts(app: Flask, client: FlaskClient) -> None:
    set_variant(app, "v3")
    page = get(client, "/kaigo/nintei/new", h="0800000011")
    texts = [text for text, _ in items_of(page)]
    assert "保険者No." in texts and "保険者番号" not in texts
    header = [r[0][0] for r in rows_of(page) if len(r) == 2]
    assert "被保番号" in header and "被保険者番号" not in header
    search = get(client, "/kaigo/search")
    assert [t for t, _ in items_of(search)] == ["被保番号"]
    assert "被保険者番号" not in search.replace("被保険者番号を入力", "")
    assert "Ver.3.00" in page
    set_variant(app, None)
    assert "被保険者番号" in get(client, "/kaigo/search")


# --- testing endpoints ---


def test_testing_endpoints_absent_without_testing(tmp_path: Path) -> None:
    c = make_app(tmp_path, testing=False).test_client()
    paths = ["/kaigo/_testing/records", "/kaigo/_testing/doctors", "/kaigo/_testing/insured"]
    for path in paths:
        assert c.get(path).status_code == 404
    assert c.post("/kaigo/_testing/insured", json=INSURED).status_code == 404
    assert c.post("/kaigo/_testing/reset").status_code == 404
    login(c)
    for path in paths:
        assert c.get(path).status_code == 404


def test_testing_insured_upsert_and_reset(client: FlaskClient) -> None:
    changed = {**INSURED[0], "address": "茨城県つくば市研究学園1-1"}
    assert client.post("/kaigo/_testing/insured", json=[changed]).get_json() == {"upserted": 1}
    listed = client.get("/kaigo/_testing/insured").get_json()
    assert listed[0] == changed and len(listed) == 2
    bad = [{**INSURED[0], "hihokensha_no": "12345"}]
    assert client.post("/kaigo/_testing/insured", json=bad).status_code == 400
    register(client)
    assert client.post("/kaigo/_testing/reset").get_json() == {"deleted": 1}
    assert records(client) == []
    assert "KG00000002" in sjis(register(client))  # numbers are never reused


# --- a clerk in real Chromium against the real server ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read().decode())


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mock_core_ui",
                "--port",
                str(port),
                "--db",
                str(tmp_path / "core.db"),
                "--testing",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _cell_right_of(frame: Any, text: str) -> Any:
    return frame.locator(f"xpath=//td[normalize-space(.)='{text}']/following-sibling::td[1]")


def test_clerk_registers_in_real_chromium(server: str) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    _call(f"{server}/kaigo/_testing/insured", "POST", INSURED)
    remarks = "電子申請 AP-0042 漢字確認：森鴎外・髪型～"
    facility = "介護老人保健施設 つくばの杜"
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)

            def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.accept()

            page.on("dialog", on_dialog)
            page.goto(f"{server}/login")
            page.fill("#user_id", "rpa01")
            page.fill("#password", "renkei-demo")
            page.click("#login")
            page.wait_for_url("**/menu")

            page.goto(f"{server}/kaigo/")
            menu = page.frame(name="menu")
            work = page.frame(name="work")
            assert menu is not None and work is not None
            menu.click("text=被保険者検索")
            work.wait_for_url("**/kaigo/search")

            _cell_right_of(work, "被保険者番号").locator("input").fill("0899999999")
            work.click("input[value='検索']")
            work.wait_for_url(re.compile(r"f01=0899999999$"))
            assert dialogs == ["該当する被保険者はありません。"]

            _cell_right_of(work, "被保険者番号").locator("input").fill("0800000011")
            work.click("input[value='検索']")
            work.wait_for_url(re.compile(r"f01=0800000011$"))
            row = work.locator("xpath=//tr[td[normalize-space(.)='0800000011']]")
            assert "昭和20年4月1日" in row.inner_text()
            row.locator("a", has_text="選択").click()
            work.wait_for_url(re.compile(r"/kaigo/nintei/new\?h=0800000011$"))

            _cell_right_of(work, "申請区分").locator("input[value='2']").check()
            date = _cell_right_of(work, "申請日")
            date.locator("select").select_option(label="令和")
            for i, part in enumerate(("7", "4", "1")):
                date.locator("input").nth(i).fill(part)
            _cell_right_of(work, "前回の要介護度").locator("select").select_option(label="要支援2")

            code = _cell_right_of(work, "医療機関コード").locator("input[type='text']")
            assert not code.is_editable()
            with page.expect_popup() as popup_info:
                work.click("input[value='主治医検索']")
            popup = popup_info.value
            popup.wait_for_load_state()
            _cell_right_of(popup, "医療機関名").locator("input").fill("梅ヶ丘")
            popup.click("input[value='検索']")
            popup.wait_for_url(re.compile(r"/kaigo/lookup/doctor\?f01="))
            popup_rows = popup.locator("xpath=//tr[td/input[@value='選択']]")
            assert popup_rows.count() == 1
            with popup.expect_event("close"):
                try:
                    popup_rows.first.locator("input[value='選択']").click()
                except PlaywrightError:
                    # The choice closes its own window, sometimes before the click returns.
                    assert popup.is_closed()
            assert code.input_value() == "0810100090"
            assert _cell_right_of(work, "医師名").locator("input").input_value() == "小林 幸子"

            _cell_right_of(work, "本人の居所").locator("select").select_option(label="施設")
            _cell_right_of(work, "施設名").locator("input").fill(facility)
            _cell_right_of(work, "備考").locator("textarea").fill(remarks)
            work.click("input[value='登録']")
            work.wait_for_url("**/kaigo/nintei")
            receipt = _cell_right_of(work, "受付番号").inner_text().strip()
            assert re.fullmatch(r"KG[0-9]{8}", receipt)
            assert dialogs[-1] == "登録します。よろしいですか？"

            menu.click("text=要介護認定申請 照会")
            work.wait_for_url("**/kaigo/inquiry")
            _cell_right_of(work, "備考").locator("input").fill("森鴎外")
            work.click("input[value='照会']")
            work.wait_for_url(re.compile(r"/kaigo/inquiry\?"))
            found = work.locator(f"xpath=//tr[td[normalize-space(.)='{receipt}']]")
            assert remarks in found.inner_text()
        finally:
            browser.close()

    (record,) = _call(f"{server}/kaigo/_testing/records")
    assert record["receipt_no"] == receipt
    assert record["remarks"] == remarks and record["facility_name"] == facility
    assert record["doctor_code"] == "0810100090" and record["prev_care_level"] == "要支援2"
    assert record["kubun_name"] == "更新" and record["shinsei_date"] == "2025-04-01"
    assert html.unescape(record["name"]) == "筑波 花子"
