"""Tests of the mock core system's faults on demand (mock_core_ui/faults.py and friends).

Faults are set through the operator's endpoint ``/_admin/faults`` on Flask's test client;
pure parts (the maintenance window, the modal injection) are tested directly; one test
starts the real server and drives it with ``python -m mock_core_ui.faults_cli``; one test
checks in Chromium that the お知らせ overlay really blocks clicks until it is closed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, jsonify
from flask.testing import FlaskClient

from bots.drivers.browser import CHROMIUM_ARGS
from mock_core_ui import create_app
from mock_core_ui.__main__ import fault_settings_from_args, parse_args
from mock_core_ui.faults import (
    RUNTIME_KEY,
    FaultSettings,
    FaultSettingsError,
    in_window,
    maintenance_state,
    parse_window,
    seconds_until,
)
from mock_core_ui.faults_cli import parse_assignments
from mock_core_ui.notice import NOTICES, inject_notice, notice_html
from mock_core_ui.services import STORE_KEY

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
MAINTENANCE_MESSAGE = "システムはただいま夜間バッチ処理中です。{}以降に再度ご利用ください。"
RESIDENT = {
    "atena_no": "0000012345",
    "name": "山田 太郎",
    "kana": "ヤマダ タロウ",
    "birth_date": "1985-04-01",
    "gender": "男",
    "postal_code": "305-0031",
    "address": "茨城県つくば市吾妻1-1-1",
}
FORM: dict[str, str] = {
    "atena_no": "0000012345",
    "my_number": "123456789018",
    "claim_era": "令和",
    "claim_year": "7",
    "claim_month": "4",
    "claim_day": "1",
    "spouse": "なし",
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
V2_NAMES = {
    "my_number": "kojin_no",
    "bank_code": "kikan_cd",
    "branch_code": "shiten_cd",
    "account_type": "yokin_shubetsu",
    "account_no": "koza_no",
    "account_holder": "koza_meigi",
    "remarks": "biko",
}


# --- helpers ---


def make_app(tmp_path: Path, **kwargs: Any) -> Flask:
    kwargs.setdefault("testing", True)
    return create_app(str(tmp_path / "var" / "core.db"), secret_key="test-secret", **kwargs)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database with clerks and a resident, copied per test (hashing is slow on purpose)."""
    base = tmp_path_factory.mktemp("faults-template")
    application = make_app(base)
    assert application.test_client().post("/_testing/residents", json=[RESIDENT]).status_code == 200
    application.extensions[STORE_KEY].engine.dispose()
    return base / "var" / "core.db"


def app_on_copy(tmp_path: Path, template_db: Path, **kwargs: Any) -> Flask:
    (tmp_path / "var").mkdir(parents=True, exist_ok=True)
    shutil.copy(template_db, tmp_path / "var" / "core.db")
    return make_app(tmp_path, **kwargs)


@pytest.fixture()
def app(tmp_path: Path, template_db: Path) -> Flask:
    return app_on_copy(tmp_path, template_db)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def set_faults(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    resp = client.post("/_admin/faults", json=fields)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return dict(resp.get_json())


def text(resp: Any) -> str:
    return str(resp.get_data(as_text=True))


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf_token on the page"
    return match.group(1)


def login(client: FlaskClient) -> None:
    page = text(client.get("/login"))
    resp = client.post(
        "/login",
        data={"user_id": "rpa01", "password": "renkei-demo", "csrf_token": token_of(page)},
    )
    assert resp.status_code == 303


def entry_page(client: FlaskClient) -> str:
    resp = client.get("/jidou/nintei/new?atena_no=0000012345")
    assert resp.status_code == 200
    return text(resp)


def post_claim(client: FlaskClient, form: dict[str, str]) -> Any:
    return client.post("/jidou/nintei", data={**form, "csrf_token": token_of(entry_page(client))})


def records(client: FlaskClient) -> list[dict[str, Any]]:
    return list(client.get("/_testing/records").get_json())


def label_for(page: str, element_id: str) -> str | None:
    match = re.search(rf'<label for="{element_id}"[^>]*>([^<]*)</label>', page)
    return match.group(1) if match else None


# --- the admin endpoint ---


def test_admin_endpoint_absent_without_admin_or_testing(tmp_path: Path) -> None:
    client = make_app(tmp_path, testing=False).test_client()
    assert client.get("/_admin/faults").status_code == 404
    assert client.post("/_admin/faults", json={"maintenance": True}).status_code == 404
    assert client.post("/_admin/faults/reset").status_code == 404


def test_admin_flag_alone_enables_it_without_testing(tmp_path: Path) -> None:
    client = make_app(tmp_path, testing=False, admin=True).test_client()
    assert client.get("/_admin/faults").status_code == 200
    assert client.get("/_testing/records").status_code == 404


def test_admin_shows_defaults_merges_and_resets(client: FlaskClient) -> None:
    shown = client.get("/_admin/faults").get_json()  # no log-in needed: an operator's tool
    assert shown == {
        "latency_ms": 0,
        "latency_jitter_ms": 0,
        "register_500_rate": 0.0,
        "session_expiry_after": None,
        "maintenance": False,
        "notice_rate": 0.0,
        "variants": {},
        "maintenance_window": None,
        "seed": None,
        "switch_after_form": {},
        "maintenance_active": False,
    }
    set_faults(client, latency_ms=5, variants={"kosodate": "v2", "kaigo": "v3"})
    now = set_faults(client, notice_rate=0.25, variants={"kaigo": None})
    assert now["latency_ms"] == 5 and now["notice_rate"] == 0.25
    assert now["variants"] == {"kosodate": "v2"}
    assert client.get("/_admin/faults").get_json() == now
    reset = client.post("/_admin/faults/reset").get_json()
    assert reset == shown


@pytest.mark.parametrize(
    "body",
    [
        {"latency_ms": -1},
        {"latency_ms": "100"},
        {"register_500_rate": 1.5},
        {"notice_rate": True},
        {"maintenance": 1},
        {"maintenance_window": "22:00-6:00"},
        {"maintenance_window": "10:00-10:00"},
        {"session_expiry_after": -3},
        {"variants": {"kosodate": 2}},
        {"no_such_fault": 1},
        {"latency_ms": 10, "notice_rate": 2},  # all or nothing: latency_ms not applied either
        [],
    ],
)
def test_admin_rejects_bad_settings_and_changes_nothing(client: FlaskClient, body: Any) -> None:
    before = client.get("/_admin/faults").get_json()
    resp = client.post("/_admin/faults", json=body)
    assert resp.status_code == 400 and "error" in resp.get_json()
    assert client.get("/_admin/faults").get_json() == before


def test_admin_post_must_be_json(client: FlaskClient) -> None:
    resp = client.post("/_admin/faults", data={"maintenance": "true"})
    assert resp.status_code == 415
    assert client.get("/_admin/faults").get_json()["maintenance"] is False


def test_admin_is_never_linked_from_a_screen(client: FlaskClient) -> None:
    assert "/_admin" not in text(client.get("/login"))
    login(client)
    for path in (
        "/menu",
        "/atena/search",
        "/jidou/inquiry",
        "/jidou/nintei/new?atena_no=0000012345",
    ):
        assert "/_admin" not in text(client.get(path)), path


# --- latency ---


def test_latency_is_applied_and_reported(client: FlaskClient) -> None:
    assert "X-Mock-Latency-Ms" not in client.get("/login").headers
    set_faults(client, latency_ms=200)
    started = time.monotonic()
    resp = client.get("/login")
    assert time.monotonic() - started >= 0.2  # a lower bound only
    assert resp.headers["X-Mock-Latency-Ms"] == "200"
    # the operator's endpoints and /healthz are never slowed down
    assert "X-Mock-Latency-Ms" not in client.get("/_admin/faults").headers
    assert "X-Mock-Latency-Ms" not in client.get("/healthz").headers


def test_latency_jitter_stays_in_range_and_is_seeded(tmp_path: Path, template_db: Path) -> None:
    def delays(seed: int, run: str) -> list[int]:
        client = app_on_copy(tmp_path / run, template_db).test_client()
        set_faults(client, latency_ms=1, latency_jitter_ms=20, seed=seed)
        return [int(client.get("/login").headers["X-Mock-Latency-Ms"]) for _ in range(8)]

    first = delays(7, "first")
    assert all(1 <= d <= 21 for d in first)
    assert len(set(first)) > 1
    assert delays(7, "again") == first


# --- HTTP 500 on registering ---


def test_register_500_stores_nothing(client: FlaskClient) -> None:
    login(client)
    set_faults(client, register_500_rate=1.0)
    resp = post_claim(client, FORM)
    assert resp.status_code == 500
    page = text(resp)
    assert 'data-screen="error"' in page
    assert "システムエラーが発生しました。" in page
    assert records(client) == []
    set_faults(client, register_500_rate=0.0)
    assert post_claim(client, FORM).status_code == 303
    assert len(records(client)) == 1


def test_register_should_fail_share_and_seed(tmp_path: Path, template_db: Path) -> None:
    from mock_core_ui.faults import register_should_fail

    def draws(seed: int, run: str) -> list[bool]:
        application = app_on_copy(tmp_path / run, template_db)
        application.test_client().post(
            "/_admin/faults", json={"register_500_rate": 0.3, "seed": seed}
        )
        with application.app_context():
            return [register_should_fail("kosodate") for _ in range(400)]

    first = draws(1, "first")
    assert 80 <= sum(first) <= 160  # about 30 %
    assert draws(1, "again") == first


def test_injected_faults_are_counted_and_reset(client: FlaskClient) -> None:
    login(client)
    set_faults(client, register_500_rate=1.0)
    assert post_claim(client, FORM).status_code == 500
    assert post_claim(client, FORM).status_code == 500
    assert client.get("/_admin/faults/injected").get_json() == {"register_500": 2}
    client.post("/_admin/faults/reset")
    assert client.get("/_admin/faults/injected").get_json() == {}


# --- a layout switch while the entry form is open ---


def test_layout_switch_after_form_refuses_the_old_form_with_409(client: FlaskClient) -> None:
    login(client)
    set_faults(client, switch_after_form={"kosodate": "v2"})
    old_form = entry_page(client)  # drawn in v1; the vendor update lands right after it
    assert 'name="screen_version" value="v1"' in old_form
    shown = client.get("/_admin/faults").get_json()
    assert shown["variants"] == {"kosodate": "v2"} and shown["switch_after_form"] == {}

    resp = client.post(
        "/jidou/nintei", data={**FORM, "screen_version": "v1", "csrf_token": token_of(old_form)}
    )

    assert resp.status_code == 409
    assert "画面が更新されました。お手数ですが、最初から入力し直してください。" in text(resp)
    assert records(client) == []
    assert client.get("/_admin/faults/injected").get_json() == {
        "layout_switch": 1,
        "stale_form": 1,
    }
    new_form = entry_page(client)  # the clerk starts again on the new screen: it registers
    assert 'name="screen_version" value="v2"' in new_form
    renamed = {V2_NAMES.get(k, k): v for k, v in FORM.items()}
    resp = client.post(
        "/jidou/nintei", data={**renamed, "screen_version": "v2", "csrf_token": token_of(new_form)}
    )
    assert resp.status_code == 303 and len(records(client)) == 1


def test_switch_after_form_rejects_bad_values(client: FlaskClient) -> None:
    resp = client.post("/_admin/faults", json={"switch_after_form": {"kaigo": 2}})
    assert resp.status_code == 400 and "switch_after_form" in resp.get_json()["error"]


# --- session expiry after N requests ---


def test_session_expires_after_n_requests(client: FlaskClient) -> None:
    login(client)
    set_faults(client, session_expiry_after=3)
    for _ in range(3):
        assert client.get("/menu").status_code == 200
    resp = client.get("/menu")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?expired=1")
    page = text(client.get(resp.headers["Location"]))
    assert "セッションの有効期限が切れました。再度ログインしてください。" in page
    assert client.get("/menu").status_code == 302  # the session is gone
    login(client)  # a new log-in starts a new count
    assert client.get("/menu").status_code == 200


def test_post_on_expiry_stores_nothing(client: FlaskClient) -> None:
    login(client)
    token = token_of(entry_page(client))  # request 1 since log-in
    set_faults(client, session_expiry_after=2)
    assert client.get("/menu").status_code == 200  # request 2
    resp = client.post("/jidou/nintei", data={**FORM, "csrf_token": token})
    assert resp.status_code == 302 and "expired=1" in resp.headers["Location"]
    assert records(client) == []


def test_api_request_gets_401_json_on_expiry(app: Flask) -> None:
    app.add_url_rule("/boshi/api/_probe", "faults_probe_api", lambda: jsonify(ok=True))
    client = app.test_client()
    assert client.get("/boshi/api/_probe").status_code == 401  # not logged in: no redirect
    login(client)
    set_faults(client, session_expiry_after=1)
    assert client.get("/boshi/api/_probe").get_json() == {"ok": True}
    resp = client.get("/boshi/api/_probe")
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "session_expired"


# --- maintenance ---


def test_maintenance_answers_503_except_for_tools(client: FlaskClient) -> None:
    login(client)
    token = token_of(entry_page(client))
    set_faults(client, maintenance=True)
    for path in ("/menu", "/login", "/jidou/inquiry", "/kaigo/", "/boshi/"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        page = text(resp)
        assert 'data-screen="maintenance"' in page
        assert MAINTENANCE_MESSAGE.format("06:00") in page
        assert int(resp.headers["Retry-After"]) > 0
    resp = client.post("/jidou/nintei", data={**FORM, "csrf_token": token})
    assert resp.status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/core.css").status_code == 200
    assert client.get("/_testing/records").get_json() == []  # nothing was written
    set_faults(client, maintenance=False)
    assert client.get("/menu").status_code == 200


def test_maintenance_answers_json_to_apis(client: FlaskClient) -> None:
    set_faults(client, maintenance=True, maintenance_window="23:00-05:30")
    resp = client.get("/boshi/api/residents?atena_no=1")
    assert resp.status_code == 503
    assert resp.get_json() == {
        "error": "maintenance",
        "message": MAINTENANCE_MESSAGE.format("05:30"),
    }


@pytest.mark.parametrize(
    ("now", "inside"),
    [
        ("21:59", False),
        ("22:00", True),
        ("23:59", True),
        ("00:00", True),
        ("05:59", True),
        ("06:00", False),
        ("12:00", False),
    ],
)
def test_window_across_midnight(now: str, inside: bool) -> None:
    assert in_window(parse_window("22:00-06:00"), dt.time.fromisoformat(now)) is inside


def test_window_within_a_day_and_bad_windows() -> None:
    window = parse_window(" 12:00-13:30 ")
    assert window == (dt.time(12, 0), dt.time(13, 30))
    assert in_window(window, dt.time(12, 0)) and in_window(window, dt.time(13, 29, 59))
    assert not in_window(window, dt.time(13, 30)) and not in_window(window, dt.time(11, 59))
    for bad in ("", "22:00", "24:00-06:00", "22:00-06:60", "9:00-10:00", "10:00-10:00"):
        with pytest.raises(FaultSettingsError):
            parse_window(bad)


def test_seconds_until_and_state() -> None:
    at = dt.datetime(2025, 1, 10, 23, 30)
    assert seconds_until(dt.time(6, 0), at) == 6 * 3600 + 30 * 60
    assert seconds_until(dt.time(23, 45), at) == 15 * 60
    settings = FaultSettings(maintenance_window="22:00-06:00")
    assert maintenance_state(settings, at) == (True, dt.time(6, 0))
    assert maintenance_state(settings, at.replace(hour=12)) == (False, dt.time(6, 0))
    assert maintenance_state(FaultSettings(maintenance=True), at) == (True, dt.time(6, 0))


def test_window_applies_by_the_clock(app: Flask) -> None:
    client = app.test_client()
    state = app.extensions[RUNTIME_KEY]
    state.clock = lambda: dt.datetime(2025, 1, 10, 23, 30)
    shown = set_faults(client, maintenance_window="22:00-06:00")
    assert shown["maintenance_active"] is True and shown["maintenance"] is False
    resp = client.get("/login")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == str(6 * 3600 + 30 * 60)
    assert MAINTENANCE_MESSAGE.format("06:00") in text(resp)
    state.clock = lambda: dt.datetime(2025, 1, 11, 6, 0)
    assert client.get("/login").status_code == 200


# --- the お知らせ modal ---


def test_notice_injected_at_rate_one_and_not_at_zero(client: FlaskClient) -> None:
    login(client)
    assert "notice_modal" not in text(client.get("/menu"))
    set_faults(client, notice_rate=1.0)
    for path in ("/menu", "/login", "/jidou/inquiry"):
        page = text(client.get(path))
        assert (
            '<div id="notice_modal" role="dialog" aria-modal="true" aria-labelledby="notice_title"'
            in page
        )
        assert '<h2 id="notice_title"' in page and ">お知らせ</h2>" in page
        assert '<button type="button" id="notice_close"' in page and ">閉じる</button>" in page
        assert "position:fixed;inset:0;z-index:9999" in page
        assert page.index("notice_overlay") < page.rindex("</body>")
    # never into tools, JSON, errors or redirects
    assert b"notice_modal" not in client.get("/_admin/faults").data
    assert b"notice_modal" not in client.get("/_testing/records").data
    assert "notice_modal" not in text(client.get("/jidou/nintei/result/JT99999999"))
    set_faults(client, notice_rate=0.0)
    assert "notice_modal" not in text(client.get("/menu"))


def test_notice_share_is_about_the_rate(client: FlaskClient) -> None:
    set_faults(client, notice_rate=0.5, seed=3)
    shown = sum("notice_modal" in text(client.get("/login")) for _ in range(60))
    assert 15 <= shown <= 45


def test_notice_into_a_shift_jis_page(app: Flask) -> None:
    page = "<html><head><title>介護保険</title></head><body><p>被保険者番号 髙橋①</p></body></html>"
    raw = page.encode("cp932")
    app.add_url_rule(
        "/_probe_sjis",
        "faults_probe_sjis",
        lambda: Response(raw, content_type="text/html; charset=Shift_JIS"),
    )
    client = app.test_client()
    login(client)
    set_faults(client, notice_rate=1.0)
    body = client.get("/_probe_sjis").data
    decoded = body.decode("cp932")
    assert 'id="notice_modal"' in decoded and "お知らせ" in decoded and "閉じる" in decoded
    assert body.startswith(raw[: raw.index(b"</body>")])  # the page's own bytes are untouched
    assert body.endswith(b"</body></html>")


def test_inject_notice_directly() -> None:
    modal = notice_html(0)
    assert inject_notice(b"<html><body>x</BODY></html>", "utf-8", modal) == (
        b"<html><body>x" + modal.encode() + b"</BODY></html>"
    )
    euc = inject_notice("<body>介護</body>".encode("euc_jp"), "EUC-JP", modal)
    assert euc is not None and "お知らせ" in euc.decode("euc_jp")
    assert inject_notice(b"<html><p>no end</p></html>", "utf-8", modal) is None
    frameset = b"<html><frameset cols='20%,*'><frame src=a></frameset><noframes><body></body></noframes></html>"
    assert inject_notice(frameset, "Shift_JIS", modal) is None
    assert inject_notice(b"<body>\xff\xfe</body>", "utf-8", modal) is None  # not decodable
    assert inject_notice(b"<body></body>", "no-such-charset", modal) is None
    for subject, body in NOTICES:  # every notice can go into a Shift_JIS page as is
        (subject + body + "お知らせ閉じる").encode("shift_jis")


def test_notice_overlay_blocks_clicks_until_closed() -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    page_html = inject_notice(
        b'<!doctype html><html><body><button id="work" onclick="document.title=\'clicked\'">'
        b"work</button></body></html>",
        "utf-8",
        notice_html(1),
    )
    assert page_html is not None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page()
            page.set_content(page_html.decode())
            assert page.get_by_role("dialog", name="お知らせ").is_visible()
            with pytest.raises(PlaywrightError):
                page.click("#work", timeout=700)  # the overlay takes the click
            page.get_by_role("button", name="閉じる").click()
            assert page.locator("#notice_overlay").count() == 0
            page.click("#work", timeout=2000)
            assert page.title() == "clicked"
        finally:
            browser.close()


# --- layout variants of 子育て ---


def test_v2_renames_ids_keeps_labels_and_registers(client: FlaskClient) -> None:
    login(client)
    set_faults(client, variants={"kosodate": "v2"})
    page = entry_page(client)
    assert 'data-screen="nintei_entry"' in page and "<h1>児童手当 認定請求 登録</h1>" in page
    for old, new in V2_NAMES.items():
        assert f'id="{old}"' not in page and f'name="{old}"' not in page
        assert f'id="{new}"' in page and f'name="{new}"' in page
    assert label_for(page, "kojin_no") == "個人番号"
    assert label_for(page, "kikan_cd") == "金融機関コード"
    assert label_for(page, "koza_no") == "口座番号"
    assert label_for(page, "biko") == "備考"
    assert page.index('id="kikan_cd"') < page.index('id="shiten_cd"') < page.index('id="koza_no"')
    renamed = {V2_NAMES.get(key, key): value for key, value in FORM.items()}
    resp = post_claim(client, renamed)
    assert resp.status_code == 303, text(resp)
    (record,) = records(client)
    assert record["my_number"] == "123456789018" and record["bank_code"] == "0131"
    assert record["account_no"] == "1234567" and record["remarks"] == "マイナポータル申請 AP-0001"
    inquiry = text(client.get("/jidou/inquiry?inq_biko=AP-0001"))
    assert (
        label_for(inquiry, "inq_biko") == "備考（部分一致）" and 'id="inq_remarks"' not in inquiry
    )
    assert record["receipt_no"] in inquiry


def test_v2_form_comes_back_with_renamed_ids(client: FlaskClient) -> None:
    login(client)
    set_faults(client, variants={"kosodate": "v2"})
    renamed = {V2_NAMES.get(key, key): value for key, value in FORM.items()}
    page = text(post_claim(client, {**renamed, "kikan_cd": "9999"}))
    assert "金融機関コードが存在しません。" in page
    assert 'id="kikan_cd" name="kikan_cd" value="9999"' in page
    assert records(client) == []


def test_v3_changes_labels_and_order_and_registers(client: FlaskClient) -> None:
    login(client)
    set_faults(client, variants={"kosodate": "v3"})
    page = entry_page(client)
    assert 'id="bank_code"' not in page and 'id="account_no"' not in page
    assert "金融機関コード" not in page and "口座番号" not in page
    assert label_for(page, "kikan_cd") == "金融機関番号"
    assert label_for(page, "koza_no") == "口座No."
    assert label_for(page, "shiten_cd") == "支店コード"
    assert page.index('id="koza_no"') < page.index('id="shiten_cd"')
    assert "Ver.4.0.0" in page
    # old field names are no longer read: nothing stored, the missing items are reported
    resp = post_claim(client, FORM)
    assert resp.status_code == 200 and records(client) == []
    renamed = {V2_NAMES.get(key, key): value for key, value in FORM.items()}
    assert post_claim(client, renamed).status_code == 303
    assert records(client)[0]["account_no"] == "1234567"


def test_other_subsystem_variant_leaves_kosodate_alone(client: FlaskClient) -> None:
    login(client)
    set_faults(client, variants={"kaigo": "v3"})
    page = entry_page(client)
    assert 'id="my_number"' in page and label_for(page, "bank_code") == "金融機関コード"
    assert "Ver.3.2.1" in page


# --- start-up flags and the CLI ---


def test_startup_flags_make_settings() -> None:
    args = parse_args(
        [
            "--latency-ms",
            "100",
            "--latency-jitter-ms",
            "50",
            "--register-500-rate",
            "0.05",
            "--session-expiry-after",
            "30",
            "--maintenance",
            "--maintenance-window",
            "22:00-06:00",
            "--notice-rate",
            "0.3",
            "--variant",
            "kosodate=v2",
            "--variant",
            "kaigo=v3",
            "--fault-seed",
            "42",
            "--admin",
        ]
    )
    assert args.admin is True
    assert fault_settings_from_args(args) == FaultSettings(
        latency_ms=100,
        latency_jitter_ms=50,
        register_500_rate=0.05,
        session_expiry_after=30,
        maintenance=True,
        notice_rate=0.3,
        variants={"kosodate": "v2", "kaigo": "v3"},
        maintenance_window="22:00-06:00",
        seed=42,
    )
    assert fault_settings_from_args(parse_args([])) == FaultSettings()
    for bad in (
        ["--notice-rate", "2"],
        ["--maintenance-window", "22-06"],
        ["--variant", "kosodate"],
    ):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_cli_assignments() -> None:
    assert parse_assignments(
        [
            "register_500_rate=0.05",
            "variants.kosodate=v3",
            "maintenance=on",
            "session_expiry_after=none",
            "maintenance_window=22:00-06:00",
            "latency_ms=10",
        ]
    ) == {
        "register_500_rate": 0.05,
        "variants": {"kosodate": "v3"},
        "maintenance": True,
        "session_expiry_after": None,
        "maintenance_window": "22:00-06:00",
        "latency_ms": 10,
    }
    with pytest.raises(ValueError):
        parse_assignments(["latency_ms"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
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
                str(tmp_path / "core.db"),
                "--testing",
                "--variant",
                "kosodate=v2",
                "--latency-ms",
                "1",
                "--fault-seed",
                "5",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_core_ui.faults_cli", "--url", url, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_cli_round_trip_against_real_server(server: str) -> None:
    shown = cli(server, "show")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["variants"] == {"kosodate": "v2"}  # from the start-up flags
    assert json.loads(shown.stdout)["seed"] == 5 and json.loads(shown.stdout)["latency_ms"] == 1
    changed = cli(
        server, "set", "register_500_rate=0.05", "variants.kosodate=v3", "maintenance=true"
    )
    assert changed.returncode == 0, changed.stderr
    settings = json.loads(changed.stdout)
    assert settings["register_500_rate"] == 0.05 and settings["variants"] == {"kosodate": "v3"}
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server + "/login", timeout=5)
    assert info.value.code == 503
    assert "夜間バッチ処理中" in info.value.read().decode("utf-8")
    bad = cli(server, "set", "notice_rate=7")
    assert bad.returncode == 1 and "notice_rate" in bad.stderr
    reset = cli(server, "reset")
    assert reset.returncode == 0
    assert json.loads(reset.stdout)["maintenance"] is False
    with urllib.request.urlopen(server + "/login", timeout=5) as resp:
        assert resp.status == 200
    unreachable = cli(f"http://127.0.0.1:{free_port()}", "show")
    assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr
