"""The exception queue as staff use it: list, show, retry, done by hand, reject — audited."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from e2e_helpers import clean, rows, set_data, update_row

from bots.audit.trail import verify_chain
from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database


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
