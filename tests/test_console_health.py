"""レシピ・画面 in real Chromium against the real console server and a real SQLite file:
IT reads every procedure's state (a broken recipe located), switches one off and on with
a note, checks the recipes now, and sees the drift of a real run; staff are refused."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_helpers import console_server, environment, make_users, sign_in
from e2e_helpers import installation_settings
from sqlalchemy import func, select

from bots import procedures
from bots.catalogue import CATALOGUE
from bots.config import Settings
from bots.demo.seed import seed
from bots.queue.db import Database
from bots.queue.schema import ProcedureStateRow, RecipeCheckRow, RunRow

ROOT = Path(__file__).resolve().parent.parent
JT = "jidou_teate_nintei"
KAIGO = "kaigo_nintei"
TIME = r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d"


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Settings:
    base = tmp_path_factory.mktemp("console-health")
    settings = installation_settings(base, core_url)
    recipes = base / "recipes"  # the repo's recipes, with a YAML error on line 3 of boshi's
    shutil.copytree(ROOT / "recipes", recipes)
    path = recipes / "boshi_ninshin.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "title: [unclosed\n")
    path.write_text("".join(lines), encoding="utf-8")
    (recipes / "kaigo_futan_gendo.yaml").unlink()  # not adopted by this municipality yet
    make_users(settings, {"sato": "it", "suzuki": "staff", "tanaka": "auditor"})
    return settings


@pytest.fixture(scope="module")
def url(installation: Settings) -> Iterator[str]:
    recipes = str(Path(installation.out_root).parent / "recipes")
    with console_server(installation, RENKEI_RECIPES=recipes) as running:
        yield running


def _audit(settings: Settings) -> list[dict[str, Any]]:
    path = Path(settings.audit_dir) / "review.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _row(page: Any, procedure: str) -> Any:
    return page.locator(f'tr[data-procedure="{procedure}"]')


def test_it_sees_every_procedure_and_the_broken_recipe_located(url: str, console_page: Any) -> None:
    page = console_page
    sign_in(page, url, "sato")
    page.get_by_role("link", name="レシピ・画面").click()
    assert page.locator("h1").inner_text() == "レシピ・画面"
    rows = page.get_by_test_id("procedures").locator("tbody tr[data-procedure]")
    assert rows.count() == 27  # the national plan's 26, then the shipped recipe outside them
    count = page.get_by_test_id("procedure-count").inner_text()
    shipped = {path.stem for path in (ROOT / "recipes").glob("*.yaml")} - {"kaigo_futan_gendo"}
    have = [p for p in CATALOGUE if p.id in shipped]
    assert count == f"26 手続中 {len(have)} 手続にレシピがあります（うち 1 手続のレシピにエラー）"
    groups = page.get_by_test_id("procedures").locator("tr.group").all_inner_texts()
    kosodate = sum(p.field == "子育て" for p in have)
    assert groups == [
        f"子育て（15 手続、レシピあり {kosodate}）",
        f"介護（11 手続、レシピあり {len(have) - kosodate}）",
        "その他（26 手続の外のレシピ 1 件）",
    ]
    none = _row(page, "kaigo_futan_gendo")
    assert none.locator('[data-field="recipe"]').inner_text() == "レシピなし"
    assert "介護保険負担限度額認定申請" in none.inner_text()
    assert none.get_by_role("button").count() == 0  # nothing to switch yet
    assert (
        page.locator('[data-field-group="その他"] tr[data-procedure="yobou_sesshu"]').count() == 1
    )
    jt = _row(page, JT)
    assert "児童手当 認定請求（jidou_teate_nintei）" in jt.inner_text()
    assert jt.locator('[data-field="recipe"]').inner_text() == "正常"
    assert jt.locator('[data-field="enabled"]').inner_text().strip() == "実行する"
    assert jt.locator('[data-field="system"]').inner_text() == "kosodate"
    broken = _row(page, "boshi_ninshin").locator('[data-field="recipe"]').inner_text()
    assert broken.startswith("不備") and re.search(r"boshi_ninshin\.yaml:\d+:\d+: YAML", broken)
    assert page.get_by_test_id("no-stops").is_visible()


def test_it_switches_a_procedure_off_with_a_note_and_on_again(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "sato")
    page.goto(url + "/health/")
    row = _row(page, KAIGO)
    row.get_by_label("理由（必須）").fill("介護の画面改修のため")
    row.get_by_role("button", name="停止").click()
    assert "手続 kaigo_nintei を停止しました" in page.get_by_role("status").inner_text()
    state = _row(page, KAIGO).locator('[data-field="enabled"]').inner_text()
    assert state.startswith("停止中") and "sato が" in state
    assert "（理由: 介護の画面改修のため）" in state and re.search(TIME + " に停止", state)
    db = Database(installation.db_url)
    with db.session() as s:
        stored = s.get(ProcedureStateRow, KAIGO)
        assert stored is not None and not stored.enabled
        assert (stored.changed_by, stored.note) == ("sato", "介護の画面改修のため")
    last = _audit(installation)[-1]
    assert (last["step"], last["by"], last["procedure"]) == ("procedure_disable", "sato", KAIGO)

    # a 再開 without a note is refused, says so and changes nothing
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = page.request.post(
        url + "/health/procedure",
        form={"csrf_token": token, "procedure": KAIGO, "switch": "enable", "note": " "},
    )
    assert refused.status == 400 and "理由（メモ）を入力してください" in refused.text()
    assert not procedures.switches(db)[KAIGO].enabled

    row = _row(page, KAIGO)
    row.get_by_label("理由（必須）").fill("改修が終わったため")
    row.get_by_role("button", name="再開").click()
    assert "再開しました" in page.get_by_role("status").inner_text()
    assert _row(page, KAIGO).locator('[data-field="enabled"]').inner_text().startswith("実行する")
    assert procedures.switches(db)[KAIGO].enabled
    assert _audit(installation)[-1]["step"] == "procedure_enable"
    db.dispose()


def test_it_checks_the_recipes_now_and_sees_the_time(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "sato")
    page.goto(url + "/health/")
    page.get_by_role("button", name="今すぐ確認").click()
    installed = Path(installation.out_root).parent / "recipes"
    good = len(list(installed.glob("*.yaml"))) - 1  # boshi's is broken here
    assert (
        page.get_by_role("alert").inner_text() == f"レシピを確認しました: 正常 {good} 件、不備 1 件"
    )
    checked = _row(page, JT).locator('[data-field="check"]').inner_text()
    assert re.match(TIME + " 正常", checked) and "sato" in checked
    bad = _row(page, "boshi_ninshin").locator('[data-field="check"]').inner_text()
    assert re.match(TIME + " 不備", bad)
    db = Database(installation.db_url)
    with db.session() as s:
        rows = s.execute(select(RecipeCheckRow)).scalars().all()
        assert {(r.procedure, r.ok, r.by) for r in rows} >= {
            (JT, True, "sato"),
            ("boshi_ninshin", False, "sato"),
        }
    db.dispose()
    last = _audit(installation)[-1]
    assert (last["step"], last["by"], last["outcome"]) == ("recipe_check", "sato", "ng")


def test_the_drift_of_a_real_run_is_listed_by_element(
    url: str, installation: Settings, console_page: Any, core
) -> None:
    db = Database(installation.db_url)
    seed(db, 1, core.url, problems=False)
    core.set_faults(variants={"kosodate": "v2"})  # the vendor renamed ids: fallbacks find them
    # the real command in its own process (this one's Playwright drives the console page)
    ran = subprocess.run(
        [sys.executable, "-m", "bots.cli", "run", "-p", JT],
        cwd=ROOT, env=environment(installation), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "セレクタのずれ drift: kosodate nintei_entry.bank_code" in ran.stdout
    with db.session() as s:
        run_id = s.execute(select(RunRow.id).order_by(RunRow.started_at.desc())).scalars().first()
    db.dispose()

    page = console_page
    sign_in(page, url, "sato")
    page.goto(url + "/health/")
    drifted = page.locator('[data-testid="drift"] tr[data-element="nintei_entry.bank_code"]')
    text = drifted.inner_text()
    assert "kosodate" in text and "→" in text and run_id is not None and run_id in text
    assert re.search(TIME, text)
    ran = _row(page, JT).locator('[data-field="run"]').inner_text()
    assert "連携済 1 件" in ran and re.search(TIME, ran)


@pytest.mark.parametrize("name", ["suzuki", "tanaka"])
def test_staff_and_the_auditor_are_refused_and_change_nothing(
    url: str, installation: Settings, console_page: Any, name: str
) -> None:
    page = console_page
    sign_in(page, url, name)
    page.goto(url + "/health/")
    assert _row(page, JT).is_visible()  # they read the page
    assert page.get_by_role("button", name="今すぐ確認").count() == 0
    assert page.get_by_role("button", name="停止").count() == 0
    db = Database(installation.db_url)
    with db.session() as s:
        checks_before = s.execute(select(func.count()).select_from(RecipeCheckRow)).scalar()
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    switch = page.request.post(
        url + "/health/procedure",
        form={"csrf_token": token, "procedure": JT, "switch": "disable", "note": "試し"},
    )
    check = page.request.post(url + "/health/check", form={"csrf_token": token})
    assert (switch.status, check.status) == (403, 403)
    assert "権限がありません" in switch.text()
    with db.session() as s:
        assert s.get(ProcedureStateRow, JT) is None
        after = s.execute(select(func.count()).select_from(RecipeCheckRow)).scalar()
        assert after == checks_before
    db.dispose()
