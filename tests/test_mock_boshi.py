"""Tests of the mock 母子保健 subsystem (``mock_core_ui/boshi``, the single-page app).

API-level tests use Flask's test client on a temporary SQLite file; the browser tests
start the real server (``python -m mock_core_ui``) and drive its screens in real Chromium
the way a bot must: by label, role and text, never by id.
"""

from __future__ import annotations

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
from flask import Flask
from flask.testing import FlaskClient

from bots.drivers.browser import CHROMIUM_ARGS
from mock_core_ui import create_app
from mock_core_ui.faults import FaultSettings
from mock_core_ui.services import STORE_KEY

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
RECEIPT_RE = re.compile(r"BH\d{8}")

RESIDENTS: list[dict[str, str]] = [
    {
        "atena_no": "0000031001",
        "name": "鈴木 花子",
        "kana": "スズキ ハナコ",
        "birth_date": "1994-06-15",
        "gender": "女",
        "postal_code": "305-0031",
        "address": "茨城県つくば市吾妻1-1-1",
    },
    {
        "atena_no": "0000031002",
        "name": "田中 令子",
        "kana": "タナカ レイコ",
        "birth_date": "2019-05-01",
        "gender": "女",
        "postal_code": "305-0032",
        "address": "茨城県つくば市竹園2-2-2",
    },
]
ATENA = RESIDENTS[0]["atena_no"]


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "atena_no": ATENA,
        "notified_on": "2025-04-01",
        "weeks": "10",
        "due_date": "2025-10-20",
        "multiple": "いいえ",
        "clinic": "つくば市立母子クリニック",
        "occupation": "会社員",
        "remarks": "マイナポータル申請 AP-0001",
    }
    body.update(overrides)
    return body


# --- API-level helpers ---


def make_app(tmp_path: Path, *, testing: bool = True, **faults: Any) -> Flask:
    app = create_app(
        str(tmp_path / "var" / "core.db"),
        testing=testing,
        secret_key="test-secret",
        fault_settings=FaultSettings(**faults) if faults else None,
    )
    app.config["BOSHI_API_DELAY"] = (0.0, 0.0)  # the spinner delay is for browsers
    return app


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with clerks and residents, copied per test (password hashing is slow)."""
    base = tmp_path_factory.mktemp("boshi-template")
    application = make_app(base)
    resp = application.test_client().post("/_testing/residents", json=RESIDENTS)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    application.extensions[STORE_KEY].engine.dispose()  # checkpoints the WAL into the file
    return base / "var" / "core.db"


def app_from_template(tmp_path: Path, template_db: Path, **kwargs: Any) -> Flask:
    (tmp_path / "var").mkdir(exist_ok=True)
    shutil.copy(template_db, tmp_path / "var" / "core.db")
    return make_app(tmp_path, **kwargs)


@pytest.fixture()
def client(tmp_path: Path, template_db: Path) -> FlaskClient:
    return app_from_template(tmp_path, template_db).test_client()


def login(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf_token on the login page"
    resp = client.post(
        "/login",
        data={"user_id": "rpa01", "password": "renkei-demo", "csrf_token": match.group(1)},
    )
    assert resp.status_code == 303


def shell_token(client: FlaskClient) -> str:
    page = client.get("/boshi/").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match, "no csrf-token meta tag in the shell"
    return match.group(1)


@pytest.fixture()
def logged_in(client: FlaskClient) -> FlaskClient:
    login(client)
    return client


def register(client: FlaskClient, body: dict[str, Any], token: str | None = "auto") -> Any:
    headers = {}
    if token == "auto":
        headers["X-CSRF-Token"] = shell_token(client)
    elif token is not None:
        headers["X-CSRF-Token"] = token
    return client.post("/boshi/api/pregnancies", json=body, headers=headers)


def records(client: FlaskClient) -> list[dict[str, Any]]:
    data = client.get("/boshi/_testing/records").get_json()
    assert isinstance(data, list)
    return data


# --- shell and log-in ---


def test_shell_and_api_need_login(client: FlaskClient) -> None:
    resp = client.get("/boshi/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=%2Fboshi%2F")
    assert client.get(f"/boshi/api/residents?atena_no={ATENA}").status_code in (302, 401)
    assert client.post("/boshi/api/pregnancies", json=valid_body()).status_code in (302, 400, 401)
    assert records(client) == []


def test_shell_is_near_empty_with_token_and_variant(logged_in: FlaskClient) -> None:
    resp = logged_in.get("/boshi/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert '<div id="app" data-variant="v1"' in page
    assert '<meta name="csrf-token" content="' in page
    assert "<label" not in page and "<input" not in page  # everything is drawn by the script
    script = logged_in.get("/boshi/static/boshi.js")
    assert script.status_code == 200 and b"progressbar" in script.data


# --- 住民検索 ---


def test_resident_search_api(logged_in: FlaskClient) -> None:
    found = logged_in.get(f"/boshi/api/residents?atena_no={ATENA}").get_json()
    assert found == {
        "residents": [
            {
                "atena_no": ATENA,
                "name": "鈴木 花子",
                "kana": "スズキ ハナコ",
                "birth_date": "1994-06-15",
                "birth_wareki": "平成6年6月15日",
                "address": "茨城県つくば市吾妻1-1-1",
            }
        ]
    }
    gannen = logged_in.get("/boshi/api/residents?atena_no=0000031002").get_json()
    assert gannen["residents"][0]["birth_wareki"] == "令和元年5月1日"
    assert logged_in.get("/boshi/api/residents?atena_no=9999999999").get_json() == {"residents": []}
    empty = logged_in.get("/boshi/api/residents?atena_no=")
    assert empty.status_code == 400
    assert empty.get_json() == {"errors": ["宛名番号を入力してください。"]}


# --- registration ---


def test_valid_registration_gets_bh_receipt_and_is_stored(logged_in: FlaskClient) -> None:
    resp = register(logged_in, valid_body())
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json() == {"receipt_no": "BH00000001"}
    twins = register(logged_in, valid_body(multiple="はい", fetus_count="2", remarks=""))
    assert twins.get_json() == {"receipt_no": "BH00000002"}
    stored = records(logged_in)
    assert len(stored) == 2
    first = stored[0]
    registered_at = first.pop("registered_at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", registered_at)
    assert first == {
        "receipt_no": "BH00000001",
        "atena_no": ATENA,
        "name": "鈴木 花子",
        "kana": "スズキ ハナコ",
        "birth_date": "1994-06-15",
        "notified_on": "2025-04-01",
        "weeks": 10,
        "due_date": "2025-10-20",
        "multiple": False,
        "fetus_count": None,
        "clinic": "つくば市立母子クリニック",
        "occupation": "会社員",
        "remarks": "マイナポータル申請 AP-0001",
        "registered_by": "rpa01",
    }
    assert stored[1]["multiple"] is True and stored[1]["fetus_count"] == 2


def test_fetus_count_is_ignored_when_not_multiple(logged_in: FlaskClient) -> None:
    assert register(logged_in, valid_body(fetus_count="3")).status_code == 201
    assert records(logged_in)[0]["fetus_count"] is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"notified_on": ""}, "notified_on", "届出日を入力してください。"),
        ({"notified_on": "2025/04/01"}, "notified_on", "届出日が正しくありません。"),
        ({"notified_on": "2025-02-30"}, "notified_on", "届出日は存在しない日付です。"),
        ({"weeks": ""}, "weeks", "妊娠週数を入力してください。"),
        ({"weeks": "0"}, "weeks", "妊娠週数は1から45までの半角数字で入力してください。"),
        ({"weeks": "46"}, "weeks", "妊娠週数は1から45までの半角数字で入力してください。"),
        ({"weeks": "１０"}, "weeks", "妊娠週数は1から45までの半角数字で入力してください。"),
        ({"due_date": ""}, "due_date", "出産予定日を入力してください。"),
        (
            {"due_date": "2025-04-01"},
            "due_date",
            "出産予定日は届出日より後の日付を入力してください。",
        ),
        (
            {"due_date": "2026-01-27"},
            "due_date",
            "出産予定日は届出日から300日以内の日付を入力してください。",
        ),
        ({"multiple": ""}, "multiple", "多胎妊娠を選択してください。"),
        ({"multiple": "たぶん"}, "multiple", "多胎妊娠が正しくありません。"),
        ({"multiple": "はい"}, "fetus_count", "胎児数を選択してください。"),
        ({"multiple": "はい", "fetus_count": "6"}, "fetus_count", "胎児数が正しくありません。"),
        ({"clinic": ""}, "clinic", "妊婦健診の医療機関を入力してください。"),
        (
            {"clinic": "髙橋レディースクリニック"},
            "clinic",
            "妊婦健診の医療機関に使用できない文字が含まれています（髙）。",
        ),
        ({"occupation": ""}, "occupation", "職業を選択してください。"),
        ({"occupation": "公務員"}, "occupation", "職業が正しくありません。"),
        ({"remarks": "あ" * 201}, "remarks", "備考は200文字以内で入力してください。"),
        ({"remarks": "𠮷野家"}, "remarks", "備考に使用できない文字が含まれています（𠮷）。"),
    ],
)
def test_validation_rule(
    logged_in: FlaskClient, overrides: dict[str, str], field: str, message: str
) -> None:
    resp = register(logged_in, valid_body(**overrides))
    assert resp.status_code == 400
    data = resp.get_json()
    assert data["errors"] == [message]
    assert data["field_errors"] == {field: [message]}
    assert records(logged_in) == []


def test_limits_are_accepted(logged_in: FlaskClient) -> None:
    ok = valid_body(weeks=45, due_date="2026-01-26", remarks="あ" * 200)  # 300 days exactly
    assert register(logged_in, ok).status_code == 201
    assert (
        register(logged_in, valid_body(weeks="1", multiple="はい", fetus_count="5")).status_code
        == 201
    )
    assert [r["weeks"] for r in records(logged_in)] == [45, 1]


def test_all_errors_at_once_in_screen_order(logged_in: FlaskClient) -> None:
    resp = register(logged_in, {"atena_no": ATENA})
    assert resp.status_code == 400
    assert resp.get_json()["errors"] == [
        "届出日を入力してください。",
        "妊娠週数を入力してください。",
        "出産予定日を入力してください。",
        "多胎妊娠を選択してください。",
        "妊婦健診の医療機関を入力してください。",
        "職業を選択してください。",
    ]
    assert records(logged_in) == []


def test_unknown_resident_is_refused(logged_in: FlaskClient) -> None:
    resp = register(logged_in, valid_body(atena_no="9999999999"))
    assert resp.status_code == 404
    assert resp.get_json() == {"errors": ["該当する住民が見つかりません。"]}
    assert records(logged_in) == []


def test_csrf_header_is_required(logged_in: FlaskClient) -> None:
    for token in (None, "forged-token"):
        resp = register(logged_in, valid_body(), token=token)
        assert resp.status_code == 400
        assert resp.get_json()["errors"] == ["不正なリクエストです。画面を開き直してください。"]
    assert records(logged_in) == []


def test_register_fault_answers_500_and_stores_nothing(tmp_path: Path, template_db: Path) -> None:
    client = app_from_template(tmp_path, template_db, register_500_rate=1.0).test_client()
    login(client)
    resp = register(client, valid_body())
    assert resp.status_code == 500
    assert resp.get_json()["errors"] == [
        "システムエラーが発生しました。時間をおいて再度操作してください。"
    ]
    assert records(client) == []


def test_v3_variant_renames_items_in_messages(tmp_path: Path, template_db: Path) -> None:
    client = app_from_template(tmp_path, template_db, variants={"boshi": "v3"}).test_client()
    login(client)
    assert 'data-variant="v3"' in client.get("/boshi/").get_data(as_text=True)
    resp = register(client, valid_body(weeks="", due_date="2025-03-01"))
    assert resp.get_json()["errors"] == [
        "妊娠週を入力してください。",
        "分娩予定日は届出日より後の日付を入力してください。",
    ]


# --- 照会 ---


def test_inquiry_by_atena_and_remarks_with_escaping(logged_in: FlaskClient) -> None:
    register(logged_in, valid_body(remarks="100%_完了"))
    register(logged_in, valid_body(remarks="100X完了"))
    register(logged_in, valid_body(atena_no="0000031002", remarks="別人"))

    def inquire(**params: str) -> Any:
        return logged_in.get("/boshi/api/pregnancies", query_string=params)

    by_atena = inquire(atena_no=ATENA, remarks="").get_json()["pregnancies"]
    assert [p["receipt_no"] for p in by_atena] == ["BH00000001", "BH00000002"]
    assert by_atena[0] == {
        "receipt_no": "BH00000001",
        "atena_no": ATENA,
        "name": "鈴木 花子",
        "notified_on": "2025-04-01",
        "notified_wareki": "令和7年4月1日",
        "due_date": "2025-10-20",
        "due_wareki": "令和7年10月20日",
        "remarks": "100%_完了",
    }
    literal = inquire(atena_no="", remarks="%_").get_json()["pregnancies"]
    assert [p["receipt_no"] for p in literal] == ["BH00000001"]
    both = inquire(atena_no="0000031002", remarks="別").get_json()["pregnancies"]
    assert [p["receipt_no"] for p in both] == ["BH00000003"]
    assert inquire(atena_no=ATENA, remarks="ない").get_json() == {"pregnancies": []}
    empty = inquire(atena_no="", remarks="")
    assert empty.status_code == 400
    assert empty.get_json() == {"errors": ["宛名番号または備考を入力してください。"]}


# --- testing endpoints ---


def test_testing_endpoints_absent_without_testing(tmp_path: Path) -> None:
    client = make_app(tmp_path, testing=False).test_client()
    assert client.get("/boshi/_testing/records").status_code == 404
    assert client.post("/boshi/_testing/reset").status_code == 404
    login(client)
    assert client.get("/boshi/_testing/records").status_code == 404
    assert client.post("/boshi/_testing/reset").status_code == 404


def test_testing_reset_keeps_the_counter(logged_in: FlaskClient) -> None:
    register(logged_in, valid_body())
    assert logged_in.post("/boshi/_testing/reset").get_json() == {"deleted": 1}
    assert records(logged_in) == []
    assert register(logged_in, valid_body()).get_json() == {"receipt_no": "BH00000002"}


def test_api_answers_are_delayed_by_default(tmp_path: Path, template_db: Path) -> None:
    app = app_from_template(tmp_path, template_db)
    app.config.pop("BOSHI_API_DELAY")
    client = app.test_client()
    login(client)
    started = time.monotonic()
    for _ in range(3):
        client.get(f"/boshi/api/residents?atena_no={ATENA}")
    elapsed = time.monotonic() - started
    assert 0.15 <= elapsed < 3


# --- the real server in real Chromium ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode())


# A variant needs fault settings at start-up: the same app, served the same way.
_VARIANT_LAUNCHER = (
    "import sys, waitress\n"
    "from mock_core_ui import create_app\n"
    "from mock_core_ui.faults import FaultSettings\n"
    "app = create_app(sys.argv[1], testing=True,"
    " fault_settings=FaultSettings(variants={'boshi': sys.argv[3]}))\n"
    "waitress.serve(app, host='127.0.0.1', port=int(sys.argv[2]), threads=4)\n"
)


def _start_server(tmp: Path, variant: str | None) -> Iterator[str]:
    """Start the mock as its own process, wait for /healthz, seed residents, stop at the end."""
    port = _free_port()
    db = tmp / "core.db"
    if variant is None:
        cmd = [
            sys.executable,
            "-m",
            "mock_core_ui",
            "--port",
            str(port),
            "--db",
            str(db),
            "--testing",
        ]
    else:
        cmd = [sys.executable, "-c", _VARIANT_LAUNCHER, str(db), str(port), variant]
    log_path = tmp / "server.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.1)
            assert _call(f"{base}/_testing/residents", "POST", RESIDENTS) == {"upserted": 2}
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _start_server(tmp_path_factory.mktemp("boshi-server"), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    import playwright.sync_api as playwright_api

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: run make test, it installs it"
    with playwright_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_boshi(page: Any, base: str, hash_: str = "") -> None:
    """Open the subsystem and log in on the shared login screen it sends us to."""
    page.goto(f"{base}/boshi/")
    page.get_by_label("職員ID").fill("rpa01")
    page.get_by_label("パスワード").fill("renkei-demo")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/boshi/"))
    if hash_:  # the login screen sends us back to /boshi/ only (the hash stays in the browser)
        page.goto(f"{base}/boshi/{hash_}")


def test_browser_search_select_register_and_inquire(page: Any, server: str) -> None:
    from playwright.sync_api import expect

    _call(f"{server}/boshi/_testing/reset", "POST", {})
    open_boshi(page, server)
    expect(page.get_by_role("heading", level=1, name="住民検索")).to_be_visible()
    page.evaluate(
        """() => {
            window.__spinners = 0;
            new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
                if (n.getAttribute && n.getAttribute("role") === "progressbar") window.__spinners++;
            }))).observe(document.body, { childList: true });
        }"""
    )

    atena_input = page.get_by_label("宛名番号")
    first_id = atena_input.get_attribute("id")
    atena_input.fill("9999999999")
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page.get_by_text("該当する住民が見つかりません。")).to_be_visible()

    page.get_by_label("宛名番号").fill(ATENA)
    page.get_by_role("button", name="検索", exact=True).click()
    card = page.get_by_role("listitem").filter(has_text="鈴木 花子")
    expect(card).to_contain_text("スズキ ハナコ")
    expect(card).to_contain_text("平成6年6月15日")
    expect(card).to_contain_text("茨城県つくば市吾妻1-1-1")
    second_id = page.get_by_label("宛名番号").get_attribute("id")
    assert first_id and second_id and first_id.startswith("f-") and second_id.startswith("f-")
    assert first_id != second_id  # every render makes new ids
    assert page.evaluate("window.__spinners") >= 2
    expect(page.get_by_role("progressbar", name="読み込み中")).to_have_count(0)

    card.get_by_role("button", name="選択").click()
    expect(page.get_by_role("heading", level=1, name="妊娠の届出")).to_be_visible()
    assert page.url.endswith(f"#/new/{ATENA}")
    header = page.get_by_role("region", name="届出者")
    for text in (ATENA, "鈴木 花子", "スズキ ハナコ", "平成6年6月15日"):
        expect(header).to_contain_text(text)

    # Submitting nothing: messages inline and summarised, nothing stored.
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_role("alert")).to_contain_text("届出日を入力してください。")
    expect(page.locator(".field-error", has_text="職業を選択してください。")).to_be_visible()
    assert _call(f"{server}/boshi/_testing/records") == []

    page.get_by_label("届出日").fill("2025-04-01")
    page.get_by_label("妊娠週数").fill("12")
    page.get_by_label("出産予定日").fill("2025-10-20")
    expect(page.get_by_label("胎児数")).to_have_count(0)
    page.get_by_role("radiogroup", name="多胎妊娠").get_by_label("はい").check()
    expect(page.get_by_label("胎児数")).to_be_visible()
    page.get_by_label("胎児数").select_option("2")
    page.get_by_label("妊婦健診の医療機関").fill("つくば市立母子クリニック")
    page.get_by_label("職業").select_option("パート・アルバイト")
    page.get_by_label("備考").fill("[renkei:AP-1] テスト")
    page.get_by_role("button", name="登録").click()

    toast = page.get_by_role("status")
    expect(toast).to_have_text(re.compile(r"登録しました（受付番号 BH\d{8}）"))
    match = RECEIPT_RE.search(toast.inner_text())
    assert match
    receipt_no = match.group(0)
    expect(page.get_by_role("heading", level=1, name="住民検索")).to_be_visible()
    stored = _call(f"{server}/boshi/_testing/records")
    assert [r["receipt_no"] for r in stored] == [receipt_no]
    assert stored[0]["fetus_count"] == 2 and stored[0]["occupation"] == "パート・アルバイト"
    assert stored[0]["weeks"] == 12 and stored[0]["due_date"] == "2025-10-20"

    page.get_by_role("navigation").get_by_role("button", name="妊娠届 照会").click()
    expect(page.get_by_role("heading", level=1, name="妊娠届 照会")).to_be_visible()
    page.get_by_label("備考（部分一致）").fill("renkei:AP-1")
    page.get_by_role("button", name="照会", exact=True).click()
    row = page.get_by_role("table", name="照会結果").get_by_role("row").filter(has_text=receipt_no)
    expect(row).to_contain_text("令和7年10月20日")
    expect(toast).to_have_count(0, timeout=7_000)  # the toast goes after 5 seconds


@pytest.mark.parametrize("variant", ["v2", "v3"])
def test_browser_layout_variants(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, variant: str
) -> None:
    from playwright.sync_api import expect

    server = _start_server(tmp_path_factory.mktemp(f"boshi-{variant}"), variant)
    base = next(server)
    context = browser.new_context(locale="ja-JP")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        open_boshi(page, base, f"#/new/{ATENA}")
        expect(page.get_by_role("heading", level=1, name="妊娠の届出")).to_be_visible()
        expect(page.get_by_label("届出日")).to_be_visible()
        expect(page.get_by_role("button", name="登録")).to_be_visible()
        if variant == "v3":
            expect(page.get_by_label("妊娠週", exact=True)).to_be_visible()
            expect(page.get_by_label("分娩予定日", exact=True)).to_be_visible()
            expect(page.get_by_label("妊娠週数")).to_have_count(0)
            expect(page.get_by_label("出産予定日")).to_have_count(0)
        else:
            expect(page.locator("aside").get_by_role("button", name="住民検索")).to_be_visible()
            notified = page.get_by_label("届出日").bounding_box()
            due = page.get_by_label("出産予定日").bounding_box()
            assert notified and due and due["y"] < notified["y"]  # moved, same labels
            page.get_by_label("届出日").fill("2025-04-01")
            page.get_by_label("妊娠週数").fill("8")
            page.get_by_label("出産予定日").fill("2025-11-01")
            page.get_by_role("radiogroup", name="多胎妊娠").get_by_label("いいえ").check()
            page.get_by_label("妊婦健診の医療機関").fill("筑波母子医院")
            page.get_by_label("職業").select_option("学生")
            page.get_by_role("button", name="登録").click()
            expect(page.get_by_role("status")).to_have_text("登録しました（受付番号 BH00000001）")
    finally:
        context.close()
        server.close()
