"""The exception queue as staff use it: list, show, retry, done by hand, reject — audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from e2e_helpers import clean, rows, set_data, update_row

from bots.audit.trail import verify_chain
from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.service import run_once


def _env(settings: Settings) -> dict[str, str]:
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_AUDIT_DIR": str(settings.audit_dir),
    }


def _review_log(settings: Settings) -> Path:
    return settings.audit_dir / "review.jsonl"


def test_staff_fix_and_retry_then_the_bot_keys_it(settings: Settings, db: Database, core) -> None:
    runner = CliRunner()
    env = _env(settings)
    seed(db, 5, core.url, problems=True)  # JT-2026-000005 has an impossible child birth date
    assert runner.invoke(cli, ["run"], env=env).exit_code == 0
    bad = application_id(4)

    listed = runner.invoke(cli, ["review", "list"], env=env)
    assert bad in listed.output and "児童1 生年月日" in listed.output

    shown = runner.invoke(cli, ["review", "show", bad], env=env)
    assert shown.exit_code == 0
    assert "2019-02-30" in shown.output and "要確認" in shown.output
    assert clean(rows(db)[bad].data["applicant"]["my_number"]) not in shown.output
    assert "************" in shown.output
    assert "needs_review" in shown.output  # the attempt history

    no_note = runner.invoke(cli, ["review", "retry", bad, "--note", " "], env=env)
    assert no_note.exit_code != 0 and "理由" in no_note.output

    set_data(db, bad, lambda d: d["children"][0].update(birth_date="2019-02-28"))  # corrected
    retried = runner.invoke(
        cli, ["review", "retry", bad, "--note", "生年月日を訂正", "--by", "suzuki"], env=env
    )
    assert retried.exit_code == 0
    assert rows(db)[bad].status == Status.RESOLVED.value

    runner.invoke(cli, ["run"], env=env)
    assert rows(db)[bad].status == Status.KEYED.value
    assert len(core.records_for(bad)) == 1
    entries = [json.loads(line) for line in _review_log(settings).read_text().splitlines()]
    mine = [e for e in entries if e["application"] == bad]
    assert mine[-1]["by"] == "suzuki" and mine[-1]["detail"] == "生年月日を訂正"
    assert mine[-1]["step"] == "review_retry"


def test_done_by_hand_and_reject_leave_the_queue_with_who_and_why(
    settings: Settings, db: Database
) -> None:
    seed(db, 3, None, problems=False)
    first, second, third = (application_id(i) for i in range(3))
    for app_id in (first, second):
        update_row(
            db,
            app_id,
            status=Status.NEEDS_REVIEW.value,
            reason="基幹システムが登録を受け付けませんでした",
        )
    runner = CliRunner()
    env = _env(settings)

    done = runner.invoke(
        cli,
        [
            "review",
            "done",
            first,
            "--receipt",
            "JT00009999",
            "--note",
            "窓口で入力",
            "--by",
            "tanaka",
        ],
        env=env,
    )
    rejected = runner.invoke(
        cli, ["review", "reject", second, "--note", "申請取下げ", "--by", "tanaka"], env=env
    )
    not_open = runner.invoke(cli, ["review", "reject", third, "--note", "x"], env=env)

    assert done.exit_code == 0 and rejected.exit_code == 0
    assert (
        rows(db)[first].status == Status.KEYED.value and rows(db)[first].receipt_no == "JT00009999"
    )
    assert rows(db)[second].status == Status.REJECTED.value
    assert not_open.exit_code != 0 and "連携待ち" in not_open.output
    assert (
        runner.invoke(cli, ["review", "list"], env=env).output.strip() == "要確認の申請はありません"
    )
    log = _review_log(settings)
    assert verify_chain(log)[0]
    steps = [
        (e["application"], e["step"], e["by"])
        for e in map(json.loads, log.read_text().splitlines())
    ]
    assert (first, "review_done", "tanaka") in steps and (
        second,
        "review_reject",
        "tanaka",
    ) in steps


# --- review edit, retry after a data error, done's 受付番号, undo --------------------------


def _entries(settings: Settings, app_id: str) -> list[dict[str, Any]]:
    log = _review_log(settings)
    if not log.exists():
        return []
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["application"] == app_id]


def _broken(db: Database, app_id: str, birth_date: str = "2019-02-30") -> None:
    """An application the bot found a data problem in: 要確認 with an impossible date."""
    set_data(db, app_id, lambda d: d["children"][0].update(birth_date=birth_date))
    update_row(db, app_id, status=Status.NEEDS_REVIEW.value, reason="申請データに不備があります: …")


def test_edit_fixes_a_bad_application_and_the_bot_keys_it(
    settings: Settings, db: Database, core
) -> None:
    runner, env = CliRunner(), _env(settings)
    seed(db, 5, core.url, problems=True)  # JT-2026-000005: impossible child birth date
    run_once(settings, db=db)
    bad, keyed = application_id(4), application_id(0)
    assert rows(db)[bad].status == Status.NEEDS_REVIEW.value
    wrong = ["review", "edit", bad, "--set", "children.1.birth_date=2019-02-29", "--note", "x"]

    still_bad = runner.invoke(cli, wrong, env=env)

    assert still_bad.exit_code == 1 and "児童1 生年月日" in still_bad.output
    assert rows(db)[bad].data["children"][0]["birth_date"] == "2019-02-30"
    fixed = runner.invoke(
        cli,
        ["review", "edit", bad, "--set", "children.1.birth_date=2019-02-28"]
        + ["--note", "申請者に確認", "--by", "suzuki"],
        env=env,
    )
    assert fixed.exit_code == 0, fixed.output
    assert "児童1 生年月日: 2019-02-30 → 2019-02-28" in fixed.output
    row = rows(db)[bad]
    assert row.status == Status.RESOLVED.value and row.attempts == 0
    assert row.reason == "訂正して再処理（申請者に確認）"

    run_once(settings, db=db)

    assert rows(db)[bad].status == Status.KEYED.value
    assert len(core.records_for(bad)) == 1
    [entry] = [e for e in _entries(settings, bad) if e["step"] == "review_edit"]
    assert entry["by"] == "suzuki" and entry["detail"] == "申請者に確認"
    assert entry["changes"] == [
        {
            "item": "children.1.birth_date",
            "label": "児童1 生年月日",
            "before": "2019-02-30",
            "after": "2019-02-28",
        }
    ]
    assert verify_chain(_review_log(settings))[0]
    # what the bot keyed is in the core system: it cannot be undone here
    undo = runner.invoke(cli, ["review", "undo", keyed, "--note", "間違い"], env=env)
    assert undo.exit_code == 1 and "ボットが基幹システムに登録" in undo.output
    assert rows(db)[keyed].status == Status.KEYED.value and rows(db)[keyed].receipt_no


def test_edit_of_a_personal_number_shows_only_the_mask(settings: Settings, db: Database) -> None:
    seed(db, 1, None, problems=False)
    app_id = application_id(0)
    old = rows(db)[app_id].data["applicant"]["my_number"]
    new = "123456789018" if clean(old) != "123456789018" else "773673268179"
    _broken(db, app_id)

    result = CliRunner().invoke(
        cli,
        ["review", "edit", app_id, "--set", f"applicant.my_number={new}"]
        + ["--set", "children.1.birth_date=2019-02-28", "--note", "番号の訂正"],
        env=_env(settings),
    )

    assert result.exit_code == 0, result.output
    assert rows(db)[app_id].data["applicant"]["my_number"] == new
    log_text = _review_log(settings).read_text()
    for number in (old, new, clean(old)):
        assert number not in result.output and number not in log_text
    [entry] = _entries(settings, app_id)
    [change] = [c for c in entry["changes"] if c["item"] == "applicant.my_number"]
    assert change == {
        "item": "applicant.my_number",
        "label": "請求者個人番号",
        "before": "************",
        "after": "************",
    }


def test_edit_from_a_file_keeps_masked_values_and_refuses_remaining_problems(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    seed(db, 1, None, problems=False)
    app_id = application_id(0)
    _broken(db, app_id)
    before = rows(db)[app_id]
    runner, env = CliRunner(), _env(settings)
    shown = json.loads(
        runner.invoke(cli, ["review", "show", app_id], env=env)
        .output.split("申請内容（個人番号・口座番号はマスク）:\n", 1)[1]
        .split("\n試行の履歴:", 1)[0]
    )
    shown["children"][0]["relation"] = "兄弟"  # not a choice: still refused
    corrected = tmp_path / "corrected.json"
    corrected.write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")

    refused = runner.invoke(
        cli, ["review", "edit", app_id, "--file", str(corrected), "--note", "訂正"], env=env
    )

    assert refused.exit_code == 1
    assert "児童1 生年月日" in refused.output and "児童1 続柄" in refused.output
    assert "保存していません" in refused.output
    after = rows(db)[app_id]
    assert after.data == before.data and after.status == Status.NEEDS_REVIEW.value
    assert _entries(settings, app_id) == []

    shown["children"][0].update(relation="子", birth_date="2019-02-28")
    corrected.write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")
    ok = runner.invoke(
        cli, ["review", "edit", app_id, "--file", str(corrected), "--note", "訂正"], env=env
    )

    assert ok.exit_code == 0, ok.output
    stored = rows(db)[app_id].data
    assert stored["applicant"]["my_number"] == before.data["applicant"]["my_number"]
    assert stored["bank"]["account_no"] == before.data["bank"]["account_no"]
    assert [c["item"] for c in _entries(settings, app_id)[0]["changes"]] == [
        "children.1.birth_date"
    ]


def test_edit_keeps_needs_verification(settings: Settings, db: Database) -> None:
    seed(db, 1, None, problems=False)
    app_id = application_id(0)
    _broken(db, app_id)
    update_row(db, app_id, needs_verification=True, attempts=3)

    result = CliRunner().invoke(
        cli,
        ["review", "edit", app_id, "--set", "children.1.birth_date=2019-02-28", "--note", "訂正"],
        env=_env(settings),
    )

    assert result.exit_code == 0, result.output
    row = rows(db)[app_id]
    assert row.needs_verification is True and row.attempts == 0
    assert row.status == Status.RESOLVED.value


def test_retry_with_the_same_wrong_data_is_refused(settings: Settings, db: Database) -> None:
    seed(db, 1, None, problems=False)
    app_id = application_id(0)
    _broken(db, app_id)

    result = CliRunner().invoke(
        cli, ["review", "retry", app_id, "--note", "もう一度"], env=_env(settings)
    )

    assert result.exit_code == 1
    assert "児童1 生年月日" in result.output and "review edit" in result.output
    assert rows(db)[app_id].status == Status.NEEDS_REVIEW.value
    assert _entries(settings, app_id) == []


def test_done_with_a_receipt_of_the_wrong_format_is_refused(
    settings: Settings, db: Database
) -> None:
    seed(db, 1, None, problems=False)
    app_id = application_id(0)
    update_row(db, app_id, status=Status.NEEDS_REVIEW.value, reason="基幹システムのエラー")

    result = CliRunner().invoke(
        cli,
        ["review", "done", app_id, "--receipt", "JT123", "--note", "窓口で入力"],
        env=_env(settings),
    )

    assert result.exit_code == 1
    assert "受付番号「JT123」は児童手当 認定請求の受付番号の形式ではありません" in result.output
    assert "JT00001234" in result.output  # the example
    assert rows(db)[app_id].status == Status.NEEDS_REVIEW.value


def test_undo_of_a_manual_done(settings: Settings, db: Database) -> None:
    seed(db, 1, None, problems=False)
    app_id = application_id(0)
    update_row(db, app_id, status=Status.NEEDS_REVIEW.value, reason="基幹システムのエラー")
    runner, env = CliRunner(), _env(settings)
    done = ["review", "done", app_id, "--receipt", "JT00001111", "--note", "窓口", "--by", "sato"]
    assert runner.invoke(cli, done, env=env).exit_code == 0
    assert rows(db)[app_id].keyed_by == "sato"

    result = runner.invoke(
        cli, ["review", "undo", app_id, "--note", "別の申請の番号", "--by", "tanaka"], env=env
    )

    assert result.exit_code == 0, result.output
    row = rows(db)[app_id]
    assert row.status == Status.NEEDS_REVIEW.value
    assert row.receipt_no is None and row.keyed_at is None and row.keyed_by is None
    assert row.reason == "手入力の連携済を取消（別の申請の番号）"
    last = _entries(settings, app_id)[-1]
    assert (last["step"], last["by"], last["receipt_no"]) == ("review_undo", "tanaka", "JT00001111")
    again = runner.invoke(cli, ["review", "undo", app_id, "--note", "x"], env=env)
    assert again.exit_code == 1 and "連携済の申請だけ" in again.output
