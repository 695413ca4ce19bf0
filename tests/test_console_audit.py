"""監査 in the console, in real Chromium against the real server, as an auditor who trusts
nothing uses it.

One installation per module, filled as in production: a first real run (Chromium against
the mock core) sends an application with an impossible birth date to 要確認 and keys
another; a clerk corrects it (:class:`bots.review.ReviewQueue`, who is recorded); a second
run keys it. The auditor then finds it (by 宛名番号, by id), reads its trail with the
screenshots, reads a run, verifies the installation (then, after one line of a run's log
is edited on disk, sees the finding naming the file), and takes the export (CSV and Excel,
read back with pandas). No page shows a seeded personal or account number; staff may not
take the export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from console_helpers import console_server, make_users, sign_in
from e2e_helpers import clean, installation_settings, rows, update_row

from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.queue.schema import AttemptRow
from bots.review import DataEdit, ReviewQueue
from bots.service import load_recipes, run_once

TOKYO = ZoneInfo("Asia/Tokyo")
BAD = application_id(4)  # seed(..., problems=True): an impossible child birth date
OTHER = application_id(0)  # keyed on the first run
NOTE = "申請者に電話で確認"


@dataclass
class Installation:
    settings: Settings
    base: Path
    runs: list[str]
    atena: str
    secrets: list[str]  # the seeded applications' 個人番号 and 口座番号, as stored and keyed
    day: date  # the JST day of the runs
    url: str = ""

    @property
    def key_dir(self) -> str:
        return str(self.base / "keys")


def _secrets(data: dict[str, Any]) -> list[str]:
    my_number, account = data["applicant"]["my_number"], data["bank"]["account_no"]
    return [my_number, clean(my_number), account]


def _fill(base: Path, settings: Settings, core_url: str) -> Installation:
    """Two real runs and a clerk's correction between them."""
    from conftest import Core

    Core(core_url).reset()
    db = Database(settings.db_url)
    seed(db, 5, core_url, problems=True)
    for index in (1, 2, 3):  # only BAD and OTHER go to the bot
        update_row(db, application_id(index), status=Status.RECEIVED.value)
    first = run_once(settings, db=db)
    assert rows(db)[BAD].status == Status.NEEDS_REVIEW.value
    queue = ReviewQueue(db, settings.audit_dir, settings.out_root, load_recipes(settings))
    queue.edit(BAD, DataEdit(set={"children.1.birth_date": "2019-02-28"}), NOTE, who="suzuki")
    second = run_once(settings, db=db)
    assert rows(db)[BAD].status == Status.KEYED.value
    found = rows(db)
    secrets = [s for app in found.values() for s in _secrets(app.data)]
    with db.session() as s:
        started = s.query(AttemptRow).filter_by(application_id=BAD).first().started_at
    db.dispose()
    day = started.replace(tzinfo=UTC).astimezone(TOKYO).date()
    return Installation(
        settings, base, [first.run_id, second.run_id], found[BAD].atena_no, secrets, day
    )


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[Installation]:
    base = tmp_path_factory.mktemp("console-audit")
    settings = installation_settings(base, core_url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RENKEI_KEY_DIR", str(base / "keys"))
        filled = _fill(base, settings, core_url)
        make_users(settings, {"tanaka": "auditor", "suzuki": "staff", "sato": "it"})
    with console_server(settings, RENKEI_KEY_DIR=filled.key_dir) as url:
        filled.url = url
        yield filled


@pytest.fixture
def auditor(inst: Installation, console_page: Any) -> Any:
    sign_in(console_page, inst.url, "tanaka")
    return console_page


def _no_secret(html: str, inst: Installation) -> None:
    for value in inst.secrets:
        assert value not in html, "a sensitive value is shown unmasked"


# --- search -------------------------------------------------------------------------------


def test_the_auditor_finds_the_application_by_atena_and_by_id(
    inst: Installation, auditor: Any
) -> None:
    page = auditor
    page.goto(inst.url + "/audit/")
    page.get_by_label("宛名番号").fill(inst.atena)
    page.get_by_role("button", name="検索").click()
    found = page.get_by_test_id("found")
    assert found.locator("tbody tr").count() == 1
    row = found.locator(f"tr[data-app='{BAD}']")
    assert "児童手当 認定請求（jidou_teate_nintei）" in row.inner_text()
    assert "連携済" in row.inner_text() and inst.atena in row.inner_text()
    _no_secret(page.content(), inst)

    page.get_by_label("宛名番号").fill("")
    page.get_by_label("申請ID（一部でも可）").fill(BAD)
    page.get_by_role("button", name="検索").click()
    assert page.get_by_test_id("found").locator("tbody tr").count() == 1
    page.get_by_role("link", name=BAD).click()
    assert page.locator("h1").inner_text() == f"申請 {BAD} の記録"


def test_the_search_by_received_day_and_a_bad_date(inst: Installation, auditor: Any) -> None:
    page = auditor
    db = Database(inst.settings.db_url, key_dir=Path(inst.key_dir))  # its data key
    received = rows(db)[BAD].received_at.date()  # stored in Japan time
    db.dispose()
    page.goto(f"{inst.url}/audit/?from={received}&to={received}&p=jidou_teate_nintei")
    assert page.get_by_test_id("found").locator(f"tr[data-app='{BAD}']").count() == 1
    page.goto(f"{inst.url}/audit/?from=2026-02-30")
    assert (
        "受付日（から） の日付「2026-02-30」が読めません" in page.get_by_role("alert").inner_text()
    )
    page.goto(f"{inst.url}/audit/?atena=9999999999")
    assert "条件に合う申請は管理データベースにありません" in page.inner_text("main")


# --- the trail of one application --------------------------------------------------------------


def test_the_trail_shows_both_runs_the_clerk_and_the_screenshots(
    inst: Installation, auditor: Any
) -> None:
    page = auditor
    page.goto(f"{inst.url}/audit/applications/{BAD}")
    facts = page.get_by_test_id("application-facts").inner_text()
    assert "児童手当 認定請求（jidou_teate_nintei）" in facts and inst.atena in facts
    attempts = page.get_by_test_id("attempts").locator("tbody tr")
    assert attempts.count() == 2
    assert "要確認" in attempts.nth(0).inner_text() and "連携済" in attempts.nth(1).inner_text()
    hand = page.get_by_test_id("hand-actions").locator("tbody tr")
    assert hand.count() == 1
    assert hand.locator("[data-field=who]").inner_text() == "suzuki"
    assert hand.locator("[data-field=note]").inner_text() == NOTE
    assert hand.locator("[data-field=change]").inner_text() == (
        "児童1 生年月日: 2019-02-30 → 2019-02-28"
    )
    events = page.get_by_test_id("events").inner_text()
    for run in inst.runs:
        assert f"実行 {run}" in events
    assert "2019-02-30 は存在しない日付" in events and "登録" in events
    assert "nintei_entry.my_number\t************" in events  # masked as the CLI shows it
    images = page.get_by_test_id("try").locator("img")
    assert images.count() == 2
    for index in range(2):
        images.nth(index).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=images.nth(index).element_handle()
        )
    states = page.get_by_test_id("try").get_by_test_id("shot-state").all_inner_texts()
    assert states == ["一致", "一致"]
    verdict = page.get_by_test_id("verdict").inner_text()
    shown = page.get_by_test_id("verification").inner_text()
    assert "問題なし" in verdict and "実行 2 件、操作記録 1 件" in verdict, shown
    _no_secret(page.content(), inst)


def test_an_unknown_application_is_said(inst: Installation, auditor: Any) -> None:
    response = auditor.goto(f"{inst.url}/audit/applications/JT-2099-000001")
    assert response.status == 404
    assert (
        "申請 JT-2099-000001 の記録はありません"
        in auditor.get_by_test_id("error-message").inner_text()
    )


# --- a run ----------------------------------------------------------------------------------


def test_the_run_page_lists_its_steps_and_summary(inst: Installation, auditor: Any) -> None:
    page = auditor
    run = inst.runs[1]
    page.goto(f"{inst.url}/audit/runs/{run}")
    assert page.locator("h1").inner_text() == f"実行 {run} の記録"
    lines = (inst.base / "runs" / run / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    steps = page.get_by_test_id("steps").locator("tbody tr")
    assert steps.count() == len(lines)
    assert [r.get_attribute("data-step") for r in steps.all()] == [
        json.loads(line)["step"] for line in lines
    ]
    first, last = steps.nth(0).inner_text(), steps.nth(len(lines) - 1).inner_text()
    assert "実行開始" in first and "実行終了" in last
    register = page.get_by_test_id("steps").locator("tr[data-step=register]").first.inner_text()
    assert BAD in register and "nintei_entry.register" in register and "押下" in register
    assert "秒" in register  # its duration
    shots = page.get_by_test_id("steps").locator("tr[data-step=screenshot] td:last-child a")
    named = [json.loads(line)["screenshot"] for line in lines if '"screenshot": "' in line]
    assert len(named) >= 2 and shots.count() == len(named)
    assert [Path(n).name for n in named] == shots.all_inner_texts()
    counts = page.get_by_test_id("run-counts").inner_text()
    assert "1\n連携済" in counts
    assert page.get_by_test_id("no-drift").is_visible()
    assert "問題なし" in page.get_by_test_id("verdict").inner_text()
    _no_secret(page.content(), inst)


# --- the staff actions' log -------------------------------------------------------------------


def test_the_staff_actions_log_names_who_did_what(inst: Installation, auditor: Any) -> None:
    page = auditor
    page.goto(inst.url + "/audit/actions")
    table = page.get_by_test_id("staff-actions")
    login = table.locator("tr[data-step=console_login]").first.inner_text()
    assert "tanaka" in login and "ログイン" in login  # newest first: this sign-in
    page.get_by_label("操作者").select_option("suzuki")
    page.get_by_role("button", name="絞り込む").click()
    bys = page.get_by_test_id("staff-actions").locator("[data-field=by]").all_inner_texts()
    assert bys and set(bys) == {"suzuki"}
    edit = page.get_by_test_id("staff-actions").locator("tr[data-step=review_edit]").inner_text()
    assert "訂正" in edit and NOTE in edit and "連携待ち" in edit and BAD in edit
    _no_secret(page.content(), inst)


# --- export ---------------------------------------------------------------------------------


def _download(page: Any, fmt: str, inst: Installation) -> Path:
    page.goto(inst.url + "/audit/export")
    page.get_by_label("開始日").fill(inst.day.isoformat())
    page.get_by_label("終了日（この日を含む）").fill(inst.day.isoformat())
    page.get_by_label("CSV" if fmt == "csv" else "Excel（xlsx）").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="ダウンロード").click()
    download = info.value
    assert download.suggested_filename == f"renkei-audit-{inst.day:%Y%m%d}-{inst.day:%Y%m%d}.{fmt}"
    target = inst.base / f"download.{fmt}"
    download.save_as(target)
    return target


def test_export_downloads_csv_and_excel_with_the_same_rows(
    inst: Installation, auditor: Any
) -> None:
    csv = pd.read_csv(
        _download(auditor, "csv", inst), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    xlsx = pd.read_excel(_download(auditor, "xlsx", inst), dtype=str, keep_default_na=False)
    assert list(csv.columns) == list(xlsx.columns) and len(csv) == len(xlsx) == 4
    keys = ["種別", "申請ID", "宛名番号", "実行ID", "実行者・操作者", "結果・操作", "理由・メモ"]
    assert csv[keys].values.tolist() == xlsx[keys].values.tolist()
    mine = csv[csv["申請ID"] == BAD]
    assert list(mine["種別"]) == ["ボットの試行", "手作業", "ボットの試行"]
    edit = mine.iloc[1]
    assert (edit["実行者・操作者"], edit["理由・メモ"]) == ("suzuki", NOTE)
    assert list(mine["実行ID"][mine["種別"] == "ボットの試行"]) == inst.runs
    _no_secret(csv.to_csv() + xlsx.to_csv(), inst)


def test_a_bad_period_is_said_and_keeps_the_form(inst: Installation, auditor: Any) -> None:
    page = auditor
    response = page.goto(f"{inst.url}/audit/export?from=2026-12-05&to=2026-12-01&format=csv")
    assert response.status == 400
    assert (
        "期間の開始（開始日 2026-12-05）が終了（終了日 2026-12-01）より後"
        in page.get_by_role("alert").inner_text()
    )
    assert page.get_by_label("開始日").input_value() == "2026-12-05"


def test_staff_may_not_take_the_export(inst: Installation, console_page: Any) -> None:
    page = console_page
    sign_in(page, inst.url, "suzuki")
    day = inst.day.isoformat()
    response = page.goto(f"{inst.url}/audit/export?from={day}&to={day}&format=csv")
    assert response.status == 403
    assert "権限" in page.get_by_test_id("error-message").inner_text()
    page.goto(inst.url + "/audit/")
    assert page.get_by_test_id("audit-nav").get_by_role("link", name="監査記録の出力").count() == 0
    lines = (inst.base / "audit" / "review.jsonl").read_text(encoding="utf-8").splitlines()
    refused = [json.loads(line) for line in lines if '"console_refused"' in line]
    assert refused and refused[-1]["by"] == "suzuki" and "/audit/export" in refused[-1]["detail"]


# --- verification (last: it edits a run's log) -----------------------------------------------


def test_verify_says_no_problem_then_names_the_edited_file(
    inst: Installation, auditor: Any
) -> None:
    page = auditor
    page.goto(inst.url + "/audit/verify")
    page.get_by_role("button", name="いま検証する").click()
    verdict = page.get_by_test_id("verdict")
    assert "問題なし" in verdict.inner_text()
    assert "改ざんは見つかりませんでした（実行 2 件、操作記録 1 件" in verdict.inner_text()
    assert "tanaka さんが実行" in page.get_by_test_id("verified-when").inner_text()

    log = inst.base / "runs" / inst.runs[0] / "audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if '"step": "outcome"' in line)
    lines[number] = lines[number].replace("needs_review", "keyed")
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.get_by_role("button", name="いま検証する").click()
    assert "問題あり" in page.get_by_test_id("verdict").inner_text()
    findings = page.get_by_test_id("findings").inner_text()
    assert str(log) in findings and f"\t{number + 1}\t" in findings
    assert "行の内容が改変されています" in findings
    _no_secret(page.content(), inst)
