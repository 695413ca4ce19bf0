"""Tests of the mock 健康管理システム（予防接種） (``mock_core_ui/yobou``, docs/mock-core-yobou.md).

The screens are driven in real Chromium against the real mock server (``core_url``) the
way a clerk uses them: no log-in, 入力 → 確認 → 登録 (a confirm dialog) → a blank 入力
with 「登録しました。」 and no number. What was stored is read back through the product's
testing endpoint only. A few rules are checked through Flask's test client on a
temporary SQLite file, where a browser adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Dialog, Page, expect

from mock_core_ui import create_app

#: A complete, valid 接種記録 as the form posts it (field name → value).
VALID: dict[str, str] = {
    "JUMIN_CD": "0000052001",
    "SHIMEI": "予防　花子",
    "KANA": "ヨボウ　ハナコ",
    "SEIBETSU": "2",
    "SEI_GENGO": "5",
    "SEI_NEN": "1",
    "SEI_TSUKI": "6",
    "SEI_HI": "15",
    "WAKUCHIN": "05",
    "SESSHU_KBN": "1",
    "SESSHU_KAI": "3",
    "BUI": "2",
    "SESSHU_YMD": "20200310",
    "LOT_NO": "DP-4471A",
    "IRYO_CD": "0812345678",
    "ISHI": "接種　一郎",
    "BIKOU": "マイナポータル申請\n[renkei:AP-yobou-1]",
}
TEXTS = {
    "JUMIN_CD": "#txtJuminCd",
    "SHIMEI": "#txtShimei",
    "KANA": "#txtKana",
    "SESSHU_YMD": "#txtSesshuYmd",
    "LOT_NO": "#txtLotNo",
    "IRYO_CD": "#txtIryoCd",
    "ISHI": "#txtIshi",
    "BIKOU": "#txaBikou",
}
SELECTS = {
    "SEIBETSU": "#selSeibetsu",
    "SEI_GENGO": "#selSeiGengo",
    "SEI_NEN": "#selSeiNen",
    "SEI_TSUKI": "#selSeiTsuki",
    "SEI_HI": "#selSeiHi",
    "WAKUCHIN": "#selWakuchin",
    "SESSHU_KBN": "#selSesshuKbn",
}
RADIOS = ("SESSHU_KAI", "BUI")


class Yobou:
    """The product's testing endpoints (never used by the bot)."""

    def __init__(self, base: str) -> None:
        self.base = base + "/yobou"

    def _call(self, path: str, method: str = "GET") -> Any:
        data = b"{}" if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.loads(response.read().decode())

    def records(self) -> list[dict[str, Any]]:
        return list(self._call("/_testing/records"))

    def reset(self) -> None:
        self._call("/_testing/reset", "POST")


@pytest.fixture
def yobou(core_url: str) -> Yobou:
    system = Yobou(core_url)
    system.reset()
    return system


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="ja-JP")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def open_entry(page: Page, core_url: str) -> None:
    """From the terminal's start page (no log-in) to the 接種記録入力 screen."""
    page.goto(core_url + "/yobou/")
    expect(page.locator("#hdrGamenId")).to_have_text("YBM000")
    page.get_by_role("link", name="接種記録登録", exact=True).click()
    expect(page.locator("#hdrGamenId")).to_have_text("YBS0110")


def fill(page: Page, values: dict[str, str]) -> None:
    """Key every value: text by id, selects and radios by their code (the value)."""
    for key, selector in TEXTS.items():
        page.locator(selector).fill(values[key])
    for key, selector in SELECTS.items():
        page.locator(selector).select_option(value=values[key])
    for key in RADIOS:
        page.locator(f"input[type=radio][name={key}][value='{values[key]}']").check()


def to_confirm(page: Page, values: dict[str, str]) -> None:
    fill(page, values)
    page.get_by_role("button", name="確認", exact=True).click()
    expect(page.locator("#hdrGamenId")).to_have_text("YBS0120")


def register(page: Page) -> str:
    """Press 登録 and accept the dialog; returns the dialog's text."""
    seen: list[str] = []

    def accept(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="登録", exact=True).click()
    expect(page.locator("#hdrGamenId")).to_have_text("YBS0110")
    return seen[0]


def test_a_record_keyed_through_the_screens_is_stored_with_every_value_as_a_code(
    page: Page, core_url: str, yobou: Yobou
) -> None:
    open_entry(page, core_url)
    to_confirm(page, VALID)
    table = page.locator("#tblKakunin")
    for shown in ("05：四種混合", "2：女", "令和元年6月15日", "3回目", "右上腕", "2020年3月10日"):
        expect(table).to_contain_text(shown)
    assert yobou.records() == []  # 確認 stores nothing

    assert register(page) == "登録します。よろしいですか？"

    expect(page.locator("#msgInfo")).to_have_text("登録しました。")
    [record] = yobou.records()
    assert record["remarks"] == "マイナポータル申請\n[renkei:AP-yobou-1]"  # lines kept
    assert {k: record[k] for k in ("jumin_cd", "name", "kana", "lot_no", "clinic_code")} == {
        "jumin_cd": "0000052001",
        "name": "予防　花子",
        "kana": "ヨボウ　ハナコ",
        "lot_no": "DP-4471A",
        "clinic_code": "0812345678",
    }
    assert record["doctor"] == "接種　一郎"
    # codes as keyed, never the labels
    assert (record["sex"], record["vaccine"], record["category"]) == ("2", "05", "1")
    assert (record["dose"], record["site"]) == ("3", "2")
    assert (record["birth_era"], record["birth_year"], record["birth_month"]) == ("5", 1, 6)
    assert record["birth_day"] == 15
    assert record["birth_date"] == "2019-06-15"
    assert record["vaccinated_on"] == "2020-03-10"


def test_after_registering_the_form_is_blank_and_no_number_is_given(
    page: Page, core_url: str, yobou: Yobou
) -> None:
    open_entry(page, core_url)
    to_confirm(page, VALID)
    register(page)

    expect(page.locator("#msgInfo")).to_have_text("登録しました。")
    for selector in (*TEXTS.values(), *SELECTS.values()):
        expect(page.locator(selector)).to_have_value("")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    body = page.locator("body").inner_text()
    for word in ("受付番号", "登録番号", "番号："):
        assert word not in body
    assert str(yobou.records()[0]["seq"]) not in page.locator("#msgInfo").inner_text()
    # reopening the form from the menu shows no message: it belongs to the 登録 just made
    page.get_by_role("link", name="メニューへ戻る").click()
    page.get_by_role("link", name="接種記録登録", exact=True).click()
    expect(page.locator("#msgInfo")).to_have_count(0)


def test_cancelling_the_confirm_dialog_stores_nothing(
    page: Page, core_url: str, yobou: Yobou
) -> None:
    open_entry(page, core_url)
    to_confirm(page, VALID)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="登録", exact=True).click()
    expect(page.locator("#hdrGamenId")).to_have_text("YBS0120")
    assert yobou.records() == []


def test_validation_errors_are_listed_in_japanese_and_the_values_kept(
    page: Page, core_url: str, yobou: Yobou
) -> None:
    bad = {
        **VALID,
        "SHIMEI": "ﾖﾎﾞｳ ﾊﾅｺ",
        "KANA": "よぼう　はなこ",
        "WAKUCHIN": "07",  # ＢＣＧ: one dose only
        "SESSHU_KAI": "2",
        "SESSHU_YMD": "2020/03/10",
        "IRYO_CD": "",
    }
    open_entry(page, core_url)
    fill(page, bad)
    page.get_by_role("button", name="確認", exact=True).click()

    expect(page.locator("#hdrGamenId")).to_have_text("YBS0110")
    expect(page.locator("#msgErr li")).to_have_text(
        [
            "氏名は全角で入力してください。",
            "カナ氏名は全角カタカナで入力してください。",
            "ＢＣＧの接種回数は1回目までです。",
            "接種日は西暦8桁の半角数字（例：20250401）で入力してください。",
            "接種医療機関コードを入力してください。",
        ]
    )
    expect(page.locator("#txtShimei")).to_have_value("ﾖﾎﾞｳ ﾊﾅｺ")
    expect(page.locator("#txtShimei")).to_have_class("e")
    expect(page.locator("#txtJuminCd")).not_to_have_class("e")
    expect(page.locator("#selWakuchin")).to_have_value("07")
    expect(page.locator("input[name=SESSHU_KAI][value='2']")).to_be_checked()
    assert yobou.records() == []


def test_correcting_from_the_confirm_page_keeps_every_choice(
    page: Page, core_url: str, yobou: Yobou
) -> None:
    open_entry(page, core_url)
    to_confirm(page, VALID)
    page.get_by_role("button", name="修正", exact=True).click()

    expect(page.locator("#hdrGamenId")).to_have_text("YBS0110")
    for key, selector in SELECTS.items():
        expect(page.locator(selector)).to_have_value(VALID[key])
    expect(page.locator("input[name=BUI][value='2']")).to_be_checked()
    expect(page.locator("#txaBikou")).to_have_value(VALID["BIKOU"])
    page.locator("input[name=BUI][value='1']").check()
    page.get_by_role("button", name="確認", exact=True).click()
    register(page)
    assert [r["site"] for r in yobou.records()] == ["1"]


def test_the_terminal_opens_without_log_in_and_offers_no_inquiry(page: Page, core_url: str) -> None:
    response = page.goto(core_url + "/yobou/")
    assert response is not None and response.status == 200
    assert page.url == core_url + "/yobou/"  # not sent to /login
    expect(page).to_have_title("業務メニュー | 健康管理システム")
    expect(page.get_by_text("接種履歴照会（未導入）")).to_be_visible()
    expect(page.get_by_role("link")).to_have_count(1)  # 接種記録登録 only


# --- rules through the test client (no browser needed) ---


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return create_app(str(tmp_path / "core.db"), testing=True).test_client()


def errors_of(client: FlaskClient, **changes: str) -> list[str]:
    response = client.post("/yobou/kiroku/kakunin", data={**VALID, **changes})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    if 'id="msgErr"' not in text:
        return []
    block = text.split('id="msgErr"', 1)[1].split("</ul>", 1)[0]
    return [item.split("</li>", 1)[0] for item in block.split("<li>")[1:]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"SEI_GENGO": "4", "SEI_NEN": "31", "SEI_TSUKI": "5", "SEI_HI": "1"},
            "生年月日は元号の範囲外の日付です。",
        ),
        ({"SEI_TSUKI": "2", "SEI_HI": "30"}, "生年月日は存在しない日付です。"),
        ({"SEI_GENGO": "9"}, "生年月日が正しくありません。"),
        ({"SHIMEI": "予防 花子"}, "氏名は全角で入力してください。"),
        ({"SHIMEI": "髙橋　花子"}, "氏名に使用できない文字が含まれています（髙）。"),
        ({"KANA": "ﾖﾎﾞｳ ﾊﾅｺ"}, "カナ氏名は全角カタカナで入力してください。"),
        ({"JUMIN_CD": "５２００１"}, "住民コードは半角数字10桁で入力してください。"),
        ({"SEIBETSU": "男"}, "性別が正しくありません。"),
        ({"SESSHU_KAI": ""}, "接種回数を選択してください。"),
        ({"BUI": "9"}, "「経口」はロタウイルスのみ選択できます。"),
        ({"WAKUCHIN": "04", "BUI": "1"}, "ロタウイルスの接種部位は「経口」を選択してください。"),
        ({"SESSHU_KBN": "3"}, "接種区分「定期（キャッチアップ）」はＨＰＶのみ選択できます。"),
        ({"SESSHU_YMD": "20190101"}, "接種日が生年月日より前の日付です。"),
        ({"SESSHU_YMD": "20250231"}, "接種日は存在しない日付です。"),
        ({"LOT_NO": "ＤＰ４４７１"}, "ロット番号は半角英数字20文字以内で入力してください。"),
        ({"ISHI": "Dr. Sesshu"}, "接種医師名は全角で入力してください。"),
        ({"BIKOU": "x" * 201}, "備考は200文字以内で入力してください。"),
    ],
)
def test_each_rule_has_its_message(
    client: FlaskClient, changes: dict[str, str], message: str
) -> None:
    assert errors_of(client, **changes) == [message]


def test_a_future_vaccination_date_is_refused(client: FlaskClient) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert errors_of(client, SESSHU_YMD=tomorrow.strftime("%Y%m%d")) == [
        "接種日に未来の日付は入力できません。"
    ]


def test_optional_items_may_be_left_empty_and_valid_ones_pass(client: FlaskClient) -> None:
    assert errors_of(client) == []
    assert errors_of(client, ISHI="", BIKOU="") == []
    assert errors_of(client, WAKUCHIN="04", BUI="9") == []
    assert errors_of(client, WAKUCHIN="12", SESSHU_KBN="3") == []


def test_register_checks_again_and_the_same_record_twice_is_stored_twice(
    client: FlaskClient,
) -> None:
    """No duplicate check exists (nor an inquiry): posting 登録 twice makes two records."""
    altered = client.post("/yobou/kiroku/touroku", data={**VALID, "SEIBETSU": "3"})
    assert "性別が正しくありません。" in altered.get_data(as_text=True)
    for _ in range(2):
        response = client.post("/yobou/kiroku/touroku", data=VALID)
        assert response.status_code == 303
        assert response.headers["Location"] == "/yobou/kiroku/nyuryoku?kanryo=1"
    records = client.get("/yobou/_testing/records").get_json()
    assert [r["remarks"] for r in records] == [VALID["BIKOU"], VALID["BIKOU"]]


def test_testing_endpoints_exist_only_in_testing_mode(tmp_path: Path) -> None:
    client = create_app(str(tmp_path / "core.db")).test_client()
    assert client.get("/yobou/").status_code == 200
    assert client.get("/yobou/_testing/records").status_code == 404
    assert client.post("/yobou/_testing/reset").status_code == 404


def test_the_operator_faults_apply_to_the_product(client: FlaskClient) -> None:
    client.post("/_admin/faults", json={"maintenance": True})
    closed = client.get("/yobou/kiroku/nyuryoku")
    assert closed.status_code == 503
    assert "夜間バッチ処理中" in closed.get_data(as_text=True)
    client.post("/_admin/faults", json={"maintenance": False, "register_500_rate": 1})
    failed = client.post("/yobou/kiroku/touroku", data=VALID)
    assert failed.status_code == 500
    assert "システムエラーが発生しました。" in failed.get_data(as_text=True)
    assert client.get("/yobou/_testing/records").get_json() == []
