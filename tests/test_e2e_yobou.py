"""健康管理システム（予防接種）: the fourth vendor, keyed by a recipe written from its manual.

No log-in, no inquiry screen, no receipt number; selects and radio buttons take codes.
Every value is checked in the product's own records (codes as codes), and applications
the recipe or the product refuses go to 要確認 with nothing registered.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import Core
from e2e_helpers import ROOT, rows, set_data, update_row

from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import seed_yobou
from bots.queue.db import Database
from bots.service import run_once

PROCEDURE = "yobou_sesshu"
#: The manual's code lists (docs/mock-core-yobou.md 5.2), name → code, as a tester reads them.
SEX = {"男": "1", "女": "2"}
VACCINE = {
    "ヒブ": "01",
    "小児用肺炎球菌": "02",
    "Ｂ型肝炎": "03",
    "ロタウイルス": "04",
    "四種混合": "05",
    "五種混合": "06",
    "ＢＣＧ": "07",
    "麻しん風しん混合（ＭＲ）": "08",
    "水痘": "09",
    "日本脳炎": "10",
    "二種混合（ＤＴ）": "11",
    "ＨＰＶ（ヒトパピローマウイルス）": "12",
}
CATEGORY = {"定期": "1", "任意": "2", "定期（キャッチアップ）": "3"}
SITE = {"左上腕": "1", "右上腕": "2", "左大腿": "3", "右大腿": "4", "経口": "9"}
#: 元号 code and first day, as the manual lists them (昭和 3, 平成 4, 令和 5).
ERAS = (("5", date(2019, 5, 1)), ("4", date(1989, 1, 8)), ("3", date(1926, 12, 25)))


def _era(born: date) -> tuple[str, int]:
    """元号 code and year of a birthday, computed here rather than by the bot's transform."""
    code, start = next((c, s) for c, s in ERAS if born >= s)
    return code, born.year - start.year + 1


def _expected(app_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The record the product must hold for an application, in its own terms."""
    person = data["person"]
    born = date.fromisoformat(person["birth_date"])
    era, year = _era(born)
    shot = date.fromisoformat(data["vaccinated_on"])
    return {
        "jumin_cd": person["jumin_cd"],
        "name": person["name"],
        "kana": person["kana"],
        "sex": SEX[person["sex"]],
        "birth_era": era,
        "birth_year": year,
        "birth_month": born.month,
        "birth_day": born.day,
        "birth_date": person["birth_date"],
        "vaccine": VACCINE[data["vaccine"]],
        "category": CATEGORY[data["category"]],
        "dose": str(data["dose"]),
        "site": SITE[data["site"]],
        "vaccinated_on": shot.isoformat(),
        "lot_no": data["lot_no"],
        "clinic_code": data["clinic_code"],
        "doctor": data["doctor"] or "",
        "remarks": f"電子申請 {app_id} [renkei:{app_id}]",
    }


def test_records_are_keyed_with_every_value_and_codes_as_codes(
    settings: Settings, db: Database, core: Core
) -> None:
    assert seed_yobou(db, 6) == 6
    stored = {app_id: row.data for app_id, row in rows(db).items()}
    assert stored["YB-2026-000001"]["person"]["birth_date"] == "2019-06-15"  # 令和元年: 「元」

    result = run_once(settings, PROCEDURE, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED] * 6, [
        i.reason for i in result.items
    ]
    assert len(core.records("yobou")) == 6
    for app_id, row in rows(db).items():
        assert row.status == Status.KEYED.value and row.receipt_no is None
        (record,) = core.records_for(app_id, "yobou")
        expected = _expected(app_id, stored[app_id])
        assert {k: record[k] for k in expected} == expected
    assert [e.label for e in result.items[0].evidence] == ["entry", "before_register", "result"]


def _one(db: Database, change: Callable[[dict[str, Any]], None]) -> str:
    """One demo record, changed by ``change(data)``; returns its id."""
    seed_yobou(db, 1)
    set_data(db, "YB-2026-000001", change)
    return "YB-2026-000001"


def test_a_vaccine_not_in_the_code_list_goes_to_review_with_nothing_keyed(
    settings: Settings, db: Database, core: Core
) -> None:
    app_id = _one(db, lambda d: d.update(vaccine="インフルエンザ"))

    result = run_once(settings, PROCEDURE, db=db)

    row = rows(db)[app_id]
    assert [i.outcome for i in result.items] == [OutcomeKind.NEEDS_REVIEW]
    assert row.status == Status.NEEDS_REVIEW.value
    assert row.reason == (
        "申請データに不備があります: ワクチン種別: コード表「vaccine」にない値です（インフルエンザ）。"
        "使えるコード: 01（ヒブ）、02（小児用肺炎球菌）、03（Ｂ型肝炎）、04（ロタウイルス）、"
        "05（四種混合）、06（五種混合）、07（ＢＣＧ）、08（麻しん風しん混合（ＭＲ））、09（水痘）、"
        "10（日本脳炎）、11（二種混合（ＤＴ））、12（ＨＰＶ（ヒトパピローマウイルス））"
    )
    assert core.records("yobou") == []


#: Applications the manual's rules refuse, each with the reason the clerk reads (5.1, 5.2).
REFUSED_BY_THE_RULES = {
    "YB-2026-000001": (
        {"vaccine": "ＢＣＧ", "dose": 2, "site": "左上腕"},
        "接種回数: ワクチン種別が「ＢＣＧ」のときは1までです（2）",
    ),
    "YB-2026-000002": (
        {"vaccine": "ロタウイルス", "dose": 1, "site": "右上腕"},
        "接種部位: ワクチン種別が「ロタウイルス」のときは「経口」に限ります（右上腕）",
    ),
    "YB-2026-000003": (
        {"vaccine": "四種混合", "dose": 1, "site": "左上腕", "category": "定期（キャッチアップ）"},
        "ワクチン種別: 接種区分が「定期（キャッチアップ）」のときは"
        "「ＨＰＶ（ヒトパピローマウイルス）」に限ります（四種混合）",
    ),
    "YB-2026-000004": (
        {"vaccinated_on": "2018-04-01"},
        "接種日: 被接種者生年月日（2019-06-15）より前の日付です（2018-04-01）",
    ),
}


def test_the_manuals_rules_send_an_application_to_review_before_the_browser(
    settings: Settings, db: Database, core: Core
) -> None:
    seed_yobou(db, 4)
    set_data(db, "YB-2026-000004", lambda d: d["person"].update(birth_date="2019-06-15"))
    for app_id, (change, _) in REFUSED_BY_THE_RULES.items():
        set_data(db, app_id, lambda d, c=change: d.update(c))

    result = run_once(settings, PROCEDURE, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.NEEDS_REVIEW] * 4
    reasons = {app_id: row.reason for app_id, row in rows(db).items()}
    assert reasons == {
        app_id: f"申請データに不備があります: {said}"
        for app_id, (_, said) in REFUSED_BY_THE_RULES.items()
    }
    assert core.records("yobou") == []


@pytest.fixture
def own_recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the 予防接種 recipe as the installation's only recipe, to change."""
    folder = tmp_path / "recipes"
    folder.mkdir()
    shutil.copy(ROOT / "recipes" / f"{PROCEDURE}.yaml", folder)
    monkeypatch.setenv("RENKEI_RECIPES", str(folder))
    return folder


def test_a_refusal_at_kakunin_goes_to_review_in_the_products_words(
    own_recipes: Path, settings: Settings, db: Database, core: Core
) -> None:
    # 髙 is registered as this municipality's 外字, so the schema lets it through; the
    # product has no such character and says so at 確認 (5.4). Nothing was registered.
    (own_recipes / "gaiji.txt").write_text("髙\n", encoding="utf-8")
    app_id = _one(db, lambda d: d["person"].update(name="髙橋　花子"))

    result = run_once(settings, PROCEDURE, db=db)

    row = rows(db)[app_id]
    assert [i.outcome for i in result.items] == [OutcomeKind.NEEDS_REVIEW]
    assert row.status == Status.NEEDS_REVIEW.value and not row.needs_verification
    # as a refusal at 登録 is kept: renkei's words, and the product's own beside them
    assert row.reason == "基幹システムが入力内容を受け付けませんでした（何も登録されていません）"
    assert row.core_message == "氏名に使用できない文字が含まれています（髙）。"
    assert result.stopped == {}
    assert core.records("yobou") == []


def test_a_code_the_product_does_not_offer_stops_the_subsystem(
    own_recipes: Path, settings: Settings, db: Database, core: Core
) -> None:
    recipe = own_recipes / f"{PROCEDURE}.yaml"
    text = recipe.read_text(encoding="utf-8")
    # a code list that lists more than the product's select offers (a vendor update
    # removed 12, say): chosen by value, the option is not there
    recipe.write_text(
        text.replace(
            '    "12": ＨＰＶ（ヒトパピローマウイルス）\n',
            '    "13": ＨＰＶ（ヒトパピローマウイルス）\n',
        ),
        encoding="utf-8",
    )
    app_id = _one(db, lambda d: d.update(vaccine="ＨＰＶ（ヒトパピローマウイルス）", dose=1))

    result = run_once(settings, PROCEDURE, db=db)

    assert "値「13」の選択肢がありません" in result.stopped["yobou"]
    assert "vaccine" in result.stopped["yobou"]
    assert rows(db)[app_id].status == Status.RESOLVED.value  # back to the queue, untouched
    assert core.records("yobou") == []


def test_a_record_whose_attempt_may_have_pressed_touroku_is_not_keyed_again(
    settings: Settings, db: Database, core: Core
) -> None:
    seed_yobou(db, 2)
    update_row(db, "YB-2026-000001", needs_verification=True)  # a run died at 登録

    run_once(settings, PROCEDURE, db=db)

    after = rows(db)
    assert after["YB-2026-000001"].status == Status.NEEDS_REVIEW.value
    assert "照会画面がない" in (after["YB-2026-000001"].reason or "")
    assert after["YB-2026-000002"].status == Status.KEYED.value
    assert [r["remarks"] for r in core.records("yobou")] == [
        "電子申請 YB-2026-000002 [renkei:YB-2026-000002]"
    ]


def test_recipe_check_is_clean_with_the_yobou_files() -> None:
    result = CliRunner().invoke(
        cli,
        ["recipe", "check"],
        env={"RENKEI_RECIPES": str(ROOT / "recipes"), "RENKEI_SELECTORS": str(ROOT / "selectors")},
    )

    assert result.exit_code == 0, result.output
    assert "ok  yobou_sesshu  予防接種の記録  (yobou_sesshu.yaml, selectors yobou)" in result.output
