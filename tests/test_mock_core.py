"""Tests of the mock core system (mock_core_ui): screens, rules and testing endpoints.

They use Flask's test client on a temporary SQLite file; one test starts the real server
(``python -m mock_core_ui``) to check the command line and /healthz.
"""

from __future__ import annotations

import datetime as dt
import html
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
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_core_ui import create_app
from mock_core_ui.services import STORE_KEY
from mock_core_ui.store import Store
from mock_core_ui.validation import ClaimForm, is_valid_my_number, my_number_check_digit
from mock_core_ui.validation import validate_claim as validate
from mock_core_ui.wareki import WarekiError, WarekiProblem, from_wareki, to_wareki

REPO = Path(__file__).resolve().parents[1]
VALID_MY_NUMBER = "123456789018"

RESIDENTS: list[dict[str, str]] = [
    {
        "atena_no": "0000012345",
        "name": "山田 太郎",
        "kana": "ヤマダ タロウ",
        "birth_date": "1985-04-01",
        "gender": "男",
        "postal_code": "305-0031",
        "address": "茨城県つくば市吾妻1-1-1",
    },
    {
        "atena_no": "0000012346",
        "name": "山田 花子",
        "kana": "ヤマダ　ハナコ",
        "birth_date": "2019-05-01",
        "gender": "女",
        "postal_code": "305-0031",
        "address": "茨城県つくば市吾妻1-1-1",
    },
    {
        "atena_no": "0000020001",
        "name": "佐藤 一郎",
        "kana": "サトウ イチロウ",
        "birth_date": "1990-12-31",
        "gender": "男",
        "postal_code": "305-0032",
        "address": "茨城県つくば市竹園2-2-2",
    },
]


# --- helpers ---


def make_app(tmp_path: Path, *, testing: bool = True) -> Flask:
    return create_app(str(tmp_path / "var" / "core.db"), testing=testing, secret_key="test-secret")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database with clerks and residents, copied per test (hashing is slow on purpose)."""
    base = tmp_path_factory.mktemp("template")
    application = make_app(base)
    resp = application.test_client().post("/_testing/residents", json=RESIDENTS)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    application.extensions[STORE_KEY].engine.dispose()  # checkpoints the WAL into the file
    return base / "var" / "core.db"


@pytest.fixture()
def app(tmp_path: Path, template_db: Path) -> Flask:
    (tmp_path / "var").mkdir()
    shutil.copy(template_db, tmp_path / "var" / "core.db")
    return make_app(tmp_path)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def logged_in(client: FlaskClient) -> FlaskClient:
    resp = login(client)
    assert resp.status_code == 303
    return client


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def login(
    client: FlaskClient, user: str = "rpa01", password: str = "renkei-demo", next_path: str = ""
) -> Any:
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={
            "user_id": user,
            "password": password,
            "csrf_token": token_of(page),
            "next": next_path,
        },
    )


def text(resp: Any) -> str:
    return str(resp.get_data(as_text=True))


def errors_of(page: str) -> list[str]:
    block = re.search(r'<ul id="errors">(.*?)</ul>', page, re.S)
    if block is None:
        return []
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def valid_form(**overrides: str) -> dict[str, str]:
    form = {
        "atena_no": "0000012345",
        "my_number": VALID_MY_NUMBER,
        "claim_era": "令和",
        "claim_year": "7",
        "claim_month": "4",
        "claim_day": "1",
        "spouse": "あり",
        "spouse_name": "山田 花子",
        "spouse_kana": "ヤマダ　ハナコ",
        "spouse_era": "昭和",
        "spouse_year": "62",
        "spouse_month": "2",
        "spouse_day": "3",
        "child_name_1": "山田 一郎",
        "child_kana_1": "ヤマダ　イチロウ",
        "child_era_1": "令和",
        "child_year_1": "1",
        "child_month_1": "5",
        "child_day_1": "1",
        "child_relation_1": "子",
        "child_cohabit_1": "同居",
        "bank_code": "0131",
        "branch_code": "123",
        "account_type": "普通",
        "account_no": "1234567",
        "account_holder": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "remarks": "マイナポータル申請 AP-0001",
    }
    form.update(overrides)
    return form


def post_claim(client: FlaskClient, form: dict[str, str]) -> Any:
    page = text(client.get(f"/jidou/nintei/new?atena_no={form['atena_no']}"))
    return client.post("/jidou/nintei", data={**form, "csrf_token": token_of(page)})


def records(client: FlaskClient) -> list[dict[str, Any]]:
    data = client.get("/_testing/records").get_json()
    assert isinstance(data, list)
    return data


# --- pure rules ---


def test_my_number_check_digit() -> None:
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number(VALID_MY_NUMBER)
    assert not is_valid_my_number("123456789019")
    assert not is_valid_my_number("12345678901")
    assert not is_valid_my_number("１２３４５６７８９０１８")


def test_wareki_round_trip_and_limits() -> None:
    assert to_wareki(dt.date(1985, 4, 1)) == "昭和60年4月1日"
    assert to_wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert to_wareki(dt.date(1989, 1, 7)) == "昭和64年1月7日"
    assert to_wareki(dt.date(1989, 1, 8)) == "平成元年1月8日"
    assert from_wareki("令和", "1", "5", "1") == dt.date(2019, 5, 1)
    assert from_wareki("明治", "45", "7", "29") == dt.date(1912, 7, 29)
    cases = [
        (("平成", "31", "5", "1"), WarekiProblem.OUT_OF_ERA),
        (("令和", "1", "4", "30"), WarekiProblem.OUT_OF_ERA),
        (("令和", "7", "2", "30"), WarekiProblem.NONEXISTENT),
        (("令和", "元", "5", "1"), WarekiProblem.INVALID),
        (("西暦", "1", "5", "1"), WarekiProblem.INVALID),
        (("令和", "", "5", "1"), WarekiProblem.MISSING),
    ]
    for args, problem in cases:
        with pytest.raises(WarekiError) as info:
            from_wareki(*args)
        assert info.value.problem is problem


# --- login, session, CSRF ---


def test_login_page_follows_contract(client: FlaskClient) -> None:
    page = text(client.get("/login"))
    assert '<html lang="ja">' in page
    assert 'data-screen="login"' in page
    assert '<header id="sysbar">' in page and "子育て支援システム" in page
    for element_id, label in (("user_id", "職員ID"), ("password", "パスワード")):
        assert f'id="{element_id}"' in page
        assert f'<label for="{element_id}">{label}</label>' in page
    assert 'id="login"' in page


def test_login_requires_csrf_token(client: FlaskClient) -> None:
    no_token = client.post("/login", data={"user_id": "rpa01", "password": "renkei-demo"})
    assert no_token.status_code == 400
    client.get("/login")
    bad_token = client.post(
        "/login", data={"user_id": "rpa01", "password": "renkei-demo", "csrf_token": "x"}
    )
    assert bad_token.status_code == 400


def test_login_success_goes_to_menu_and_shows_clerk(client: FlaskClient) -> None:
    resp = login(client)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/menu"
    page = text(client.get("/menu"))
    assert 'data-screen="menu"' in page
    assert "連携 太郎" in page
    assert 'id="menu_atena_search"' in page and 'id="menu_jidou_inquiry"' in page


def test_bad_password_shows_message(client: FlaskClient) -> None:
    resp = login(client, password="wrong")
    assert resp.status_code == 200
    assert errors_of(text(resp)) == ["職員IDまたはパスワードが正しくありません。"]
    assert errors_of(text(login(client, user="nobody"))) == [
        "職員IDまたはパスワードが正しくありません。"
    ]


def test_second_clerk_can_log_in(client: FlaskClient) -> None:
    assert login(client, "clerk01", "clerk-demo").status_code == 303


def test_not_logged_in_redirects_to_login_with_next(client: FlaskClient) -> None:
    resp = client.get("/atena/search?atena_no=1")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=%2Fatena%2Fsearch%3Fatena_no%3D1"


def test_next_only_accepts_local_paths(client: FlaskClient) -> None:
    assert login(client, next_path="/jidou/inquiry").headers["Location"] == "/jidou/inquiry"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert login(client, next_path=evil).headers["Location"] == "/menu"


def test_idle_session_expires(logged_in: FlaskClient) -> None:
    with logged_in.session_transaction() as sess:
        sess["last_seen"] = time.time() - 901
    resp = logged_in.get("/atena/search")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?expired=1&next=%2Fatena%2Fsearch"
    page = text(logged_in.get(resp.headers["Location"]))
    assert '<p id="notice">セッションの有効期限が切れました。再度ログインしてください。</p>' in page
    # The session is gone: the menu now needs a new log-in.
    assert logged_in.get("/menu").status_code == 302


def test_active_session_is_kept(logged_in: FlaskClient) -> None:
    with logged_in.session_transaction() as sess:
        sess["last_seen"] = time.time() - 800
    assert logged_in.get("/menu").status_code == 200


def test_post_after_expiry_stores_nothing(logged_in: FlaskClient) -> None:
    page = text(logged_in.get("/jidou/nintei/new?atena_no=0000012345"))
    with logged_in.session_transaction() as sess:
        sess["last_seen"] = time.time() - 5000
    resp = logged_in.post("/jidou/nintei", data={**valid_form(), "csrf_token": token_of(page)})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?expired=1"
    assert records(logged_in) == []


def test_entry_post_without_csrf_is_rejected(logged_in: FlaskClient) -> None:
    assert logged_in.post("/jidou/nintei", data=valid_form()).status_code == 400
    assert records(logged_in) == []


def test_logout(logged_in: FlaskClient) -> None:
    assert logged_in.get("/logout").status_code == 302
    assert logged_in.get("/menu").status_code == 302


# --- 宛名検索 ---


def search(client: FlaskClient, **params: str) -> str:
    return text(client.get("/atena/search", query_string=params))


def result_numbers(page: str) -> list[str]:
    return re.findall(r'<td class="atena_no">([^<]*)</td>', page)


def test_search_by_atena_no(logged_in: FlaskClient) -> None:
    page = search(logged_in, atena_no="0000012345")
    assert 'data-screen="atena_search"' in page
    assert result_numbers(page) == ["0000012345"]
    assert '<td class="birth">昭和60年4月1日</td>' in page
    assert 'href="/jidou/nintei/new?atena_no=0000012345"' in page
    assert result_numbers(search(logged_in, atena_no="12345")) == []  # exact match only


def test_search_by_kana_ignores_spaces_and_matches_prefix(logged_in: FlaskClient) -> None:
    assert result_numbers(search(logged_in, kana_name="ヤマダ")) == ["0000012345", "0000012346"]
    assert result_numbers(search(logged_in, kana_name="ヤマダハナコ")) == ["0000012346"]
    assert result_numbers(search(logged_in, kana_name="ヤマダ タロウ")) == ["0000012345"]
    assert result_numbers(search(logged_in, kana_name="ヤマダ　タ")) == ["0000012345"]
    assert result_numbers(search(logged_in, kana_name="タロウ")) == []  # not a substring search
    page = search(logged_in, kana_name="ヤマダハナコ")
    assert '<td class="birth">令和元年5月1日</td>' in page


def test_search_with_birth_date(logged_in: FlaskClient) -> None:
    hit = search(
        logged_in,
        kana_name="ヤマダ",
        birth_era="令和",
        birth_year="1",
        birth_month="5",
        birth_day="1",
    )
    assert result_numbers(hit) == ["0000012346"]
    miss = search(
        logged_in,
        kana_name="ヤマダ",
        birth_era="令和",
        birth_year="1",
        birth_month="5",
        birth_day="2",
    )
    assert '<p id="no_results">該当する住民が見つかりません。</p>' in miss
    bad = search(
        logged_in,
        kana_name="ヤマダ",
        birth_era="平成",
        birth_year="31",
        birth_month="5",
        birth_day="1",
    )
    assert errors_of(bad) == ["生年月日が正しくありません。"]


def test_search_needs_number_or_kana(logged_in: FlaskClient) -> None:
    first_visit = search(logged_in)
    assert errors_of(first_visit) == [] and 'id="results"' not in first_visit
    page = search(
        logged_in,
        atena_no="",
        kana_name="",
        birth_era="昭和",
        birth_year="60",
        birth_month="4",
        birth_day="1",
    )
    assert errors_of(page) == ["宛名番号またはカナ氏名を入力してください。"]
    assert 'id="results"' not in page


# --- 認定請求 登録 ---


def test_entry_form_follows_contract(logged_in: FlaskClient) -> None:
    page = text(logged_in.get("/jidou/nintei/new?atena_no=0000012345"))
    assert 'data-screen="nintei_entry"' in page
    assert '<span id="claimant_name">山田 太郎</span>' in page
    assert '<span id="claimant_birth">昭和60年4月1日</span>' in page
    ids = [
        "my_number",
        "claim_era",
        "claim_year",
        "claim_month",
        "claim_day",
        "spouse_yes",
        "spouse_no",
        "spouse_name",
        "spouse_kana",
        "spouse_era",
        "spouse_year",
        "spouse_month",
        "spouse_day",
        "child_name_1",
        "child_kana_1",
        "child_era_1",
        "child_year_1",
        "child_month_1",
        "child_day_1",
        "child_relation_1",
        "child_cohabit_1",
        "add_child",
        "bank_code",
        "branch_code",
        "account_type",
        "account_no",
        "account_holder",
        "remarks",
        "register",
    ]
    for element_id in ids:
        assert f'id="{element_id}"' in page, element_id
        if element_id not in ("add_child", "register"):
            assert f'<label for="{element_id}"' in page, element_id
    assert page.count('class="child-row"') == 1
    assert '<option value="令和">令和</option>' in page
    assert '<option value="孫">孫</option>' in page
    assert '<option value="別居">別居</option>' in page
    assert '<option value="当座">当座</option>' in page
    assert 'id="claim_year" name="claim_year" value=""' in page
    assert 'inputmode="numeric"' in page


def test_entry_for_unknown_resident_is_404(logged_in: FlaskClient) -> None:
    resp = logged_in.get("/jidou/nintei/new?atena_no=9999999999")
    assert resp.status_code == 404
    assert 'data-screen="error"' in text(resp)


def test_valid_registration(logged_in: FlaskClient) -> None:
    resp = post_claim(logged_in, valid_form())
    assert resp.status_code == 303
    match = re.fullmatch(r"/jidou/nintei/result/(JT\d{8})", resp.headers["Location"])
    assert match
    receipt_no = match.group(1)
    page = text(logged_in.get(resp.headers["Location"]))
    assert 'data-screen="nintei_result"' in page
    assert '<p id="message">認定請求を登録しました。</p>' in page
    assert f'<strong id="receipt_no">{receipt_no}</strong>' in page
    [record] = records(logged_in)
    assert record["receipt_no"] == receipt_no
    assert record["atena_no"] == "0000012345"
    assert record["claimant_name"] == "山田 太郎"
    assert record["claimant_kana"] == "ヤマダ タロウ"
    assert record["claimant_birth_date"] == "1985-04-01"
    assert record["my_number"] == VALID_MY_NUMBER
    assert record["claim_date"] == "2025-04-01"
    assert record["spouse"] == {
        "name": "山田 花子",
        "kana": "ヤマダ　ハナコ",
        "birth_date": "1987-02-03",
    }
    assert record["children"] == [
        {
            "name": "山田 一郎",
            "kana": "ヤマダ　イチロウ",
            "birth_date": "2019-05-01",
            "relation": "子",
            "cohabitation": "同居",
        }
    ]
    assert (
        record["bank_code"],
        record["branch_code"],
        record["account_type"],
        record["account_no"],
        record["account_holder"],
    ) == ("0131", "123", "普通", "1234567", "ﾔﾏﾀﾞ ﾀﾛｳ")
    assert record["remarks"] == "マイナポータル申請 AP-0001"
    assert record["registered_by"] == "rpa01"
    dt.datetime.fromisoformat(record["registered_at"])


def test_registration_without_spouse_and_with_two_children(logged_in: FlaskClient) -> None:
    form = valid_form(
        spouse="なし",
        spouse_name="無視される",
        child_name_2="山田 二郎",
        child_kana_2="ヤマダ　ジロウ",
        child_era_2="令和",
        child_year_2="3",
        child_month_2="12",
        child_day_2="31",
        child_relation_2="孫",
        child_cohabit_2="別居",
        child_name_3="",
        child_kana_3="",
        child_era_3="令和",
    )
    assert post_claim(logged_in, form).status_code == 303
    [record] = records(logged_in)
    assert record["spouse"] is None
    assert [c["birth_date"] for c in record["children"]] == ["2019-05-01", "2021-12-31"]
    assert record["children"][1]["relation"] == "孫"
    assert record["children"][1]["cohabitation"] == "別居"


VALIDATION_CASES: list[tuple[str, dict[str, str], str]] = [
    (
        "heisei31-may",
        {"claim_era": "平成", "claim_year": "31", "claim_month": "5", "claim_day": "1"},
        "請求年月日は平成の期間外の日付です。",
    ),
    ("feb30", {"claim_month": "2", "claim_day": "30"}, "請求年月日は存在しない日付です。"),
    (
        "reiwa1-april",
        {"child_era_1": "令和", "child_year_1": "1", "child_month_1": "4", "child_day_1": "30"},
        "児童1 生年月日は令和の期間外の日付です。",
    ),
    ("gannen-kanji", {"claim_year": "元"}, "請求年月日が正しくありません。"),
    (
        "halfwidth-kana",
        {"child_kana_1": "ﾔﾏﾀﾞ ｲﾁﾛｳ"},
        "児童1 フリガナは全角カタカナで入力してください。",
    ),
    (
        "hiragana-kana",
        {"spouse_kana": "やまだ はなこ"},
        "配偶者フリガナは全角カタカナで入力してください。",
    ),
    (
        "non-jis-name",
        {"child_name_1": "髙橋 一郎"},
        "児童1 氏名に使用できない文字が含まれています（髙）。",
    ),
    (
        "non-jis-spouse",
        {"spouse_name": "﨑山 ①子"},
        "配偶者氏名に使用できない文字が含まれています（﨑、①）。",
    ),
    ("long-name", {"child_name_1": "山" * 31}, "児童1 氏名は30文字以内で入力してください。"),
    ("check-digit", {"my_number": "123456789019"}, "個人番号が正しくありません。"),
    ("my-number-short", {"my_number": "12345678901"}, "個人番号が正しくありません。"),
    ("unknown-bank", {"bank_code": "1234"}, "金融機関コードが存在しません。"),
    ("bank-3-digits", {"bank_code": "131"}, "金融機関コードは半角数字4桁で入力してください。"),
    ("branch-4-digits", {"branch_code": "1234"}, "支店コードは半角数字3桁で入力してください。"),
    ("account-6-digits", {"account_no": "123456"}, "口座番号は半角数字7桁で入力してください。"),
    ("account-type", {"account_type": "貯蓄"}, "預金種別が正しくありません。"),
    (
        "holder-fullwidth",
        {"account_holder": "ヤマダ タロウ"},
        "口座名義（カナ）は半角カタカナで入力してください。",
    ),
    (
        "holder-long",
        {"account_holder": "ｱ" * 31},
        "口座名義（カナ）は30文字以内で入力してください。",
    ),
    ("remarks-long", {"remarks": "あ" * 201}, "備考は200文字以内で入力してください。"),
    ("relation", {"child_relation_1": "親"}, "児童1 続柄が正しくありません。"),
    ("missing-my-number", {"my_number": ""}, "個人番号を入力してください。"),
    (
        "missing-claim-date",
        {"claim_era": "", "claim_year": "", "claim_month": "", "claim_day": ""},
        "請求年月日を入力してください。",
    ),
    ("missing-child-name", {"child_name_1": ""}, "児童1 氏名を入力してください。"),
    ("missing-spouse-kana", {"spouse_kana": ""}, "配偶者フリガナを入力してください。"),
    ("missing-holder", {"account_holder": ""}, "口座名義（カナ）を入力してください。"),
    ("missing-branch", {"branch_code": ""}, "支店コードを入力してください。"),
    ("partial-child-2", {"child_name_2": "山田 二郎"}, "児童2 フリガナを入力してください。"),
    ("too-many-children", {"child_name_11": "山田 十一郎"}, "児童は10人まで入力できます。"),
]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [pytest.param(o, m, id=name) for name, o, m in VALIDATION_CASES],
)
def test_validation_rule(logged_in: FlaskClient, overrides: dict[str, str], message: str) -> None:
    resp = post_claim(logged_in, valid_form(**overrides))
    assert resp.status_code == 200
    page = text(resp)
    assert 'data-screen="nintei_entry"' in page
    assert message in errors_of(page)
    assert records(logged_in) == []


def test_all_errors_at_once_and_values_kept(logged_in: FlaskClient) -> None:
    form = valid_form(
        my_number="123",
        bank_code="1234",
        child_kana_1="ﾔﾏﾀﾞ",
        child_name_2="山田 二郎",
        child_kana_2="ヤマダ　ジロウ",
        child_era_2="令和",
        child_year_2="2",
        child_month_2="2",
        child_day_2="30",
        remarks="<b>残す</b>",
    )
    page = text(post_claim(logged_in, form))
    assert errors_of(page) == [
        "個人番号が正しくありません。",
        "児童1 フリガナは全角カタカナで入力してください。",
        "児童2 生年月日は存在しない日付です。",
        "金融機関コードが存在しません。",
    ]
    assert page.count('class="child-row"') == 2
    assert 'id="child_name_2" name="child_name_2" value="山田 二郎"' in page
    assert 'id="my_number" name="my_number" value="123"' in page
    assert '<option value="令和" selected>令和</option>' in page
    assert 'id="spouse_yes" name="spouse" value="あり" checked' in page
    assert "&lt;b&gt;残す&lt;/b&gt;</textarea>" in page
    assert records(logged_in) == []


def test_validate_claim_directly_without_flask() -> None:
    claim, errors = validate(ClaimForm.from_mapping(valid_form()))
    assert errors == [] and claim is not None
    assert claim.children[0].birth_date == dt.date(2019, 5, 1)


def test_same_claim_twice_makes_two_records(logged_in: FlaskClient) -> None:
    first = post_claim(logged_in, valid_form())
    second = post_claim(logged_in, valid_form())
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] != second.headers["Location"]
    numbers = [r["receipt_no"] for r in records(logged_in)]
    assert len(numbers) == 2 and numbers[1] == f"JT{int(numbers[0][2:]) + 1:08d}"


def test_concurrent_inserts_get_unique_receipt_numbers(app: Flask) -> None:
    store: Store = app.extensions[STORE_KEY]
    claim, _ = validate(ClaimForm.from_mapping(valid_form()))
    resident = store.get_resident("0000012345")
    assert claim is not None and resident is not None
    numbers: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            number = store.insert_claim(claim, resident, "rpa01")
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == len(set(numbers)) == 40
    assert len(store.all_records()) == 40


# --- 照会 ---


def inquire(client: FlaskClient, **params: str) -> str:
    return text(client.get("/jidou/inquiry", query_string=params))


def test_inquiry_by_remarks_partial_match(logged_in: FlaskClient) -> None:
    post_claim(logged_in, valid_form(remarks="申請番号 AP-100% 受付"))
    post_claim(logged_in, valid_form(remarks="申請番号 AP-1000 受付"))
    page = inquire(logged_in, inq_remarks="AP-100")
    assert 'data-screen="inquiry"' in page
    assert page.count('<td class="receipt_no">') == 2
    literal = inquire(logged_in, inq_remarks="100%")  # % is a character, not a wildcard
    assert literal.count('<td class="receipt_no">') == 1
    assert '<td class="remarks">申請番号 AP-100% 受付</td>' in literal
    assert '<p id="no_results">該当する認定請求はありません。</p>' in inquire(
        logged_in, inq_remarks="AP_1"
    )
    by_number = inquire(logged_in, inq_atena_no="0000012345")
    assert by_number.count('<td class="receipt_no">') == 2
    assert '<td class="claimant_name">山田 太郎</td>' in by_number


def test_inquiry_with_nothing_entered_lists_nothing(logged_in: FlaskClient) -> None:
    post_claim(logged_in, valid_form())
    page = inquire(logged_in, inq_atena_no="", inq_remarks="")
    assert 'id="inquiry_results"' not in page
    assert 'id="hint"' in page


def test_html_and_sql_in_remarks_are_literal(logged_in: FlaskClient) -> None:
    remarks = "<script>alert(1)</script>'; DROP TABLE claims; --"
    assert post_claim(logged_in, valid_form(remarks=remarks)).status_code == 303
    page = inquire(logged_in, inq_remarks="DROP TABLE")
    assert "<script>alert(1)" not in page
    cell = re.search(r'<td class="remarks">(.*?)</td>', page, re.S)
    assert cell and html.unescape(cell.group(1)) == remarks
    assert records(logged_in)[0]["remarks"] == remarks


# --- testing endpoints ---


def test_testing_endpoints_absent_without_testing(tmp_path: Path) -> None:
    client = make_app(tmp_path, testing=False).test_client()
    assert client.get("/_testing/records").status_code == 404
    assert client.get("/_testing/residents").status_code == 404
    assert client.post("/_testing/residents", json=RESIDENTS).status_code == 404
    assert client.post("/_testing/reset").status_code == 404
    login(client)
    assert client.get("/_testing/records").status_code == 404
    assert client.get("/healthz").get_data(as_text=True) == "ok"


def test_testing_residents_upsert_and_reset(logged_in: FlaskClient) -> None:
    changed = {**RESIDENTS[0], "address": "茨城県つくば市研究学園1-1"}
    assert logged_in.post("/_testing/residents", json=[changed]).get_json() == {"upserted": 1}
    listed = logged_in.get("/_testing/residents").get_json()
    assert len(listed) == 3 and listed[0] == changed
    assert logged_in.post("/_testing/residents", json={"atena_no": "1"}).status_code == 400
    bad_date = [{**RESIDENTS[0], "birth_date": "S60.4.1"}]
    assert logged_in.post("/_testing/residents", json=bad_date).status_code == 400
    post_claim(logged_in, valid_form())
    assert logged_in.post("/_testing/reset").get_json() == {"deleted": 1}
    assert records(logged_in) == []
    assert len(logged_in.get("/_testing/residents").get_json()) == 3


# --- the real server ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
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
                str(tmp_path / "new" / "core.db"),
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
            yield port, log_path
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_real_server_starts_and_answers_healthz(server: tuple[int, Path], tmp_path: Path) -> None:
    port, log_path = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
        assert resp.read() == b"ok"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as resp:
        assert 'data-screen="login"' in resp.read().decode("utf-8")
    assert (tmp_path / "new" / "core.db").exists()
    assert f"mock core system listening on http://127.0.0.1:{port}" in log_path.read_text()
