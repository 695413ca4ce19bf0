"""``renkei recipe try`` and ``renkei recipe check FILE…`` against the real mock core system.

The dry run drives real Chromium through the real screens up to 登録 and must leave the
mock's records, the application's row, its attempts and the runs exactly as they were,
with the screenshots on disk and every sensitive value masked in what it prints and
writes. No browser is held in the test thread: the dry run starts its own Playwright.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from e2e_helpers import clean, rows, set_data
from PIL import Image, ImageChops
from sqlalchemy import func, select

from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.masking import VALUE_MASK
from bots.queue.db import Database
from bots.queue.schema import AttemptRow, RunRow
from bots.queue.slots import SessionSlots
from bots.service import load_recipes, run_once
from bots.tooling.dryrun import dry_run

JT = "jidou_teate_nintei"
ROOT = Path(__file__).resolve().parent.parent


def _state(db: Database, app_id: str) -> dict[str, Any]:
    """Everything the queue keeps about an application, and the attempts and runs."""
    row = rows(db)[app_id]
    columns = ("status", "attempts", "receipt_no", "keyed_at", "reason", "retry_at",
               "acquired_by", "acquired_until", "needs_verification", "updated_at", "data")  # fmt: skip
    with db.session() as s:
        attempts = s.execute(select(func.count()).select_from(AttemptRow)).scalar_one()
        runs = s.execute(select(func.count()).select_from(RunRow)).scalar_one()
    return {**{c: getattr(row, c) for c in columns}, "attempt_rows": attempts, "run_rows": runs}


def _env(settings: Settings) -> dict[str, str]:
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_ROOT": str(ROOT),
    }


def test_the_dry_run_changes_nothing_and_leaves_its_screenshots(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    secret = clean(rows(db)[app_id].data["applicant"]["my_number"])
    before, records = _state(db, app_id), core.records()

    report = dry_run(settings, load_recipes(settings)[JT], app_id, db=db)

    assert report.stopped_before_register, report.problem
    assert _state(db, app_id) == before  # status, attempts, receipt, lease: as they were
    assert core.records() == records == []  # nothing registered in the core system
    assert report.screens == ["inquiry", "atena_search", "nintei_entry"]
    shots = [e.path for e in report.screenshots]
    assert [p.name for p in shots] == ["01_before_register.png"]
    assert shots[0].is_file() and shots[0].parent == report.folder
    assert Image.open(shots[0]).text["renkei:application"] == app_id  # stamped as a run's
    typed = {k.element: k.value for k in report.keyed}
    assert typed["nintei_entry.my_number"] == VALUE_MASK
    assert typed["nintei_entry.account_no"] == VALUE_MASK
    assert typed["nintei_entry.remarks"].endswith(f"[renkei:{app_id}]")
    log = (report.folder / "try.jsonl").read_text(encoding="utf-8")
    assert "nintei_entry.bank_code" in log and secret not in log
    assert '"register"' not in log  # the register step never ran, not even its record


def test_the_cli_says_what_it_did_and_the_application_is_then_keyed_once(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    secret = clean(rows(db)[app_id].data["applicant"]["my_number"])

    tried = CliRunner().invoke(
        cli, ["recipe", "try", JT, "--application", app_id], env=_env(settings)
    )

    assert tried.exit_code == 0, tried.output
    out = tried.output
    assert f"試行 {app_id}（{JT}）: 登録の直前で停止しました" in out
    assert "画面: inquiry → atena_search → nintei_entry" in out
    assert f"個人番号（nintei_entry.my_number）: {VALUE_MASK}" in out
    assert secret not in out
    folder = next((settings.out_root / "tries").iterdir())
    assert f"画面記録: {folder}" in out and (folder / "01_before_register.png").is_file()
    assert core.records() == [] and rows(db)[app_id].status == Status.RESOLVED.value

    result = run_once(settings, JT, db=db)  # the dry run left nothing in its way

    assert [i.outcome.value for i in result.items] == ["keyed"]
    assert len(core.records_for(app_id)) == 1 and rows(db)[app_id].attempts == 1


def test_an_application_with_bad_data_is_tried_no_further_than_its_check(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    set_data(db, app_id, lambda d: d["children"][0].update(birth_date="2019-02-30"))
    before = _state(db, app_id)

    tried = CliRunner().invoke(
        cli, ["recipe", "try", JT, "--application", app_id], env=_env(settings)
    )

    assert tried.exit_code == 1, tried.output
    assert "登録の前に終了しました: 申請データに不備があります" in tried.output
    assert "生年月日" in tried.output
    assert not list((settings.out_root / "tries").glob("*/*.png"))  # no browser was opened
    assert _state(db, app_id) == before


def test_try_refuses_an_unknown_application_and_another_procedures(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    env = _env(settings)

    unknown = CliRunner().invoke(cli, ["recipe", "try", JT, "--application", "JT-X"], env=env)
    other = CliRunner().invoke(
        cli, ["recipe", "try", "kaigo_nintei", "--application", application_id(0)], env=env
    )

    assert unknown.exit_code == 1 and "申請 JT-X は管理データベースにありません" in unknown.output
    assert other.exit_code == 1
    assert f"申請 {application_id(0)} は手続 {JT} の申請です" in other.output


def test_a_dry_run_holds_a_licence_like_a_run_and_waits_for_none_beyond_the_limit(
    settings: Settings, db: Database, core: Any
) -> None:
    """With one licence (RENKEI_CORE_SESSIONS=1) held by a runner, a dry run does not log
    in as a second session: it says why and opens nothing; once free, it holds the licence
    while it works and gives it back."""
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    settings.core_sessions, settings.session_wait_s = 1, 0.0
    slots = SessionSlots(db)
    held = slots.acquire("kosodate", "runner-1", timedelta(minutes=5), 1)
    assert held is not None

    refused = dry_run(settings, load_recipes(settings)[JT], app_id, db=db)

    assert not refused.stopped_before_register and refused.problem_kind == "transient"
    assert refused.problem == "kosodate: 同時接続数の上限（1）に達しているため待機しました"
    assert refused.screens == [] and not list(refused.folder.glob("*.png"))

    slots.release("kosodate", held, "runner-1")
    seen: list[dict[int, str]] = []
    tried = dry_run(
        settings,
        load_recipes(settings)[JT],
        app_id,
        db=db,
        observe=lambda *_: seen.append(slots.holders("kosodate")),
    )

    assert tried.stopped_before_register, tried.problem
    assert seen and all(list(h.values())[0].startswith("tool:") for h in seen), seen
    assert slots.holders("kosodate") == {}  # given back
    assert core.records() == []


# --- renkei recipe check FILE… -------------------------------------------------------------


def _line_col(text: str, needle: str) -> tuple[int, int]:
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    """A selector file with three mistakes and a recipe with one, copied from the shipped."""
    sel = tmp_path / "kosodate_broken.yaml"
    text = (ROOT / "selectors/kosodate.yaml").read_text(encoding="utf-8")
    text = text.replace("    url: /menu\n", "    url: /menu\n    urll: /menu\n", 1)
    text = text.replace("within: result_rows}", "within: result_row}", 1)
    text = text.replace("login: {screen: login,", "login: {screen: logon,", 1)
    sel.write_text(text, encoding="utf-8")
    recipe = tmp_path / "jt_broken.yaml"
    rtext = (ROOT / f"recipes/{JT}.yaml").read_text(encoding="utf-8")
    recipe.write_text(
        rtext.replace("- click: atena_search.search", "- clik: atena_search.search"),
        encoding="utf-8",
    )
    return {"selectors": sel, "recipe": recipe}


def test_check_of_named_files_lists_every_problem_of_each(broken: dict[str, Path]) -> None:
    sel_text = broken["selectors"].read_text(encoding="utf-8")
    rec_text = broken["recipe"].read_text(encoding="utf-8")
    good = ROOT / "selectors/kaigo.yaml"

    result = CliRunner().invoke(
        cli, ["recipe", "check", str(broken["selectors"]), str(broken["recipe"]), str(good)],
        env={"RENKEI_ROOT": str(ROOT)},
    )  # fmt: skip

    assert result.exit_code == 4, result.output
    problems = [
        line.removeprefix("NG  ") for line in result.stderr.splitlines() if line.startswith("NG  ")
    ]
    sel, rec = str(broken["selectors"]), str(broken["recipe"])
    at = {
        "urll": _line_col(sel_text, "urll:"),
        "within": _line_col(sel_text, "within: result_row}"),
        "logon": _line_col(sel_text, "screen: logon"),
        "clik": _line_col(rec_text, "clik:"),
    }

    def where(key: str) -> str:
        return "{}:{}:{}".format(sel if key != "clik" else rec, *at[key])

    assert problems == [  # every problem, in the order of the files and of their lines
        f"{where('logon')}: unknown screen 'logon' (did you mean 'login'?)",
        f"{where('urll')}: unknown screen key 'urll' (did you mean 'url'?)",
        f"{where('within')}: 'within: result_row' names no element"
        " of this screen (did you mean 'result_rows'?)",
        f"{where('clik')}: unknown step 'clik' (did you mean 'click'?)",
    ]
    assert "ok  selectors/kaigo.yaml  kaigo" in result.stdout
    assert "読み込めないファイルが 2 件あります（誤り 4 件）" in result.output


def test_check_of_one_good_recipe_file_checks_only_that_file(tmp_path: Path) -> None:
    copy = tmp_path / "jt.yaml"
    shutil.copy(ROOT / f"recipes/{JT}.yaml", copy)

    result = CliRunner().invoke(cli, ["recipe", "check", str(copy)], env={"RENKEI_ROOT": str(ROOT)})

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok  {copy}  {JT}  児童手当 認定請求  (selectors kosodate)"
    ]


def test_a_sensitive_value_is_masked_where_the_selector_file_forgot_to_say_so(
    settings: Settings, db: Database, core: Any, tmp_path: Path
) -> None:
    """Masking follows the data: an element a 口座番号 was typed into is blacked out in the
    screenshot even when its selector lacks ``sensitive: true`` (an IT slip recipe check
    cannot see). The two dry runs' screenshots must then be the same picture."""
    root = tmp_path / "root"
    for folder in ("recipes", "selectors"):
        shutil.copytree(ROOT / folder, root / folder)
    selectors = root / "selectors" / "kosodate.yaml"
    flagged = '{css: "#account_no", label: 口座番号, sensitive: true}'
    text = selectors.read_text(encoding="utf-8")
    assert text.count(flagged) == 1
    selectors.write_text(text.replace(flagged, '{css: "#account_no", label: 口座番号}'), "utf-8")
    forgetful = dataclasses.replace(settings, root=root)
    assert (
        not load_recipes(forgetful)[JT]
        .selectors.screen("nintei_entry")
        .elements["account_no"]
        .sensitive
    )
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)

    shots = [
        dry_run(s, load_recipes(s)[JT], app_id, db=db).screenshots[0].path
        for s in (settings, forgetful)
    ]

    pictures = [Image.open(p).convert("RGB") for p in shots]
    assert ImageChops.difference(*pictures).getbbox() is None
