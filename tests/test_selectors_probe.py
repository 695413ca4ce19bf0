"""``renkei selectors probe`` against the real mock core system and its layout variants.

The normal 子育て screens: every element the recipe uses is found by its first strategy.
``v2`` (ids renamed, labels kept): the label fallbacks match, reported as drift, exit 0.
``v3`` (a label changed too): the elements no strategy finds are named, exit 3. The probe
and its dry run start their own Playwright; no browser is held in the test thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from e2e_helpers import rows

from bots.cli.main import cli
from bots.config import Settings
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.service import load_recipes
from bots.tooling.probe import exit_status, probe, uses

JT = "jidou_teate_nintei"
ROOT = Path(__file__).resolve().parent.parent


def _env(settings: Settings, **more: str) -> dict[str, str]:
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_ROOT": str(ROOT),
        **more,
    }


def test_every_element_the_recipe_uses_is_found_on_the_normal_screens(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    recipe = load_recipes(settings)[JT]
    before = rows(db)[app_id].status

    report = probe(settings, recipe.selectors, [recipe], walk=(recipe, app_id))

    assert exit_status(report) == 0 and report.problems == []
    assert report.of("missing") == [] and report.of("drift") == []
    usage = uses([recipe])
    for name in usage.used - usage.answers:  # all but the inquiry's (empty) results
        if not name.startswith("nintei_result."):  # after 登録: never reached
            assert (report.elements[name].status, report.elements[name].index) == ("ok", 1), name
    assert report.elements["nintei_entry.bank_code"].strategy == "css='#bank_code'"
    assert report.elements["nintei_entry.child_name"].strategy == "css='#child_name_1'"
    assert report.elements["nintei_entry.errors"].status == "absent"  # only after a refusal
    assert report.elements["nintei_result.receipt_no"].status == "not_probed"
    assert report.walk is not None and report.walk.stopped_before_register
    assert core.records() == [] and rows(db)[app_id].status == before


def test_v2_renamed_ids_are_reported_as_drift_on_the_screens_with_a_url(
    settings: Settings, core: Any
) -> None:
    core.set_faults(variants={"kosodate": "v2"})

    result = CliRunner().invoke(cli, ["selectors", "probe", "kosodate"], env=_env(settings))

    assert result.exit_code == 0, result.output
    drift = [line for line in result.stdout.splitlines() if "ドリフト drift" in line]
    assert drift == [
        "  ドリフト drift  remarks  2番目 label='備考（部分一致）' で一致"
        "（1番目 css='#inq_remarks' は不一致）"
    ]
    assert "画面 nintei_entry（未到達）" in result.stdout  # no URL, and no dry run asked for
    assert "kosodate: 一致 " in result.stdout and "ドリフト 1、見つからない 0" in result.stdout


def test_v3_names_the_elements_no_strategy_finds(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    core.set_faults(variants={"kosodate": "v3"})
    env = _env(settings, RENKEI_TIMEOUT_MS="3000")

    result = CliRunner().invoke(
        cli, ["selectors", "probe", "kosodate", "--application", app_id], env=env
    )

    assert result.exit_code == 3, result.output
    missing = [line for line in result.stdout.splitlines() if "見つからない missing" in line]
    assert missing == [
        "  見つからない missing  bank_code  どの探索方法でも見つかりません"
        "（css='#bank_code' → 0 件; label='金融機関コード' → 0 件）",
        "  見つからない missing  account_no  どの探索方法でも見つかりません"
        "（css='#account_no' → 0 件; label='口座番号' → 0 件）",
    ]
    assert "  ドリフト drift  branch_code  2番目 label='支店コード' で一致" in result.stdout
    assert f"試行 {app_id}: 終了: 画面が想定と異なります（画面 nintei_entry、要素 bank_code）" in (
        result.stdout
    )
    assert core.records() == []
