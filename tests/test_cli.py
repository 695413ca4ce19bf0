"""The ``renkei`` command as staff use it: seed, run (plain output off a terminal), status."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from bots.cli.main import cli
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path, core_url: str) -> dict[str, str]:
    return {
        "RENKEI_DB": f"sqlite:///{tmp_path / 'm.db'}",
        "RENKEI_CORE_URL": core_url,
        "RENKEI_OUT": str(tmp_path / "runs"),
    }


def test_seed_run_status_from_the_command_line(tmp_path: Path, core) -> None:
    runner = CliRunner()
    env = _env(tmp_path, core.url)

    seeded = runner.invoke(cli, ["demo", "seed", "5", "--each", "0"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert (
        "申請 5 件を作成" in seeded.output
        and "JT-2026-000005: デモ用の不備 bad_date" in seeded.output
    )

    ran = runner.invoke(cli, ["run", "--procedure", "jidou_teate_nintei"], env=env)
    assert ran.exit_code == 0, ran.output
    assert ran.output.count("連携済  JT") == 4  # one plain line per application, no progress bar
    assert "JT-2026-000005  要確認  申請データに不備があります" in ran.output
    assert "連携済 keyed:            4" in ran.output
    report = next(line.split()[-1] for line in ran.output.splitlines() if "report:" in line)
    assert Path(report).is_file()

    status = runner.invoke(cli, ["status", "--json"], env=env)
    assert json.loads(status.output) == {
        "received": 0,
        "identified": 0,
        "resolved": 0,
        "claimed": 0,
        "keying": 0,
        "keyed": 4,
        "needs_review": 1,
        "failed": 0,
        "rejected": 0,
    }
    human = runner.invoke(cli, ["status"], env=env)
    assert "連携済（keyed）\t4" in human.output

    again = runner.invoke(cli, ["demo", "seed", "5", "--each", "0"], env=env)
    assert "申請 0 件を作成（既存 5 件）" in again.output
    rerun = runner.invoke(cli, ["run"], env=env)
    assert "連携済 keyed:            0" in rerun.output
    assert len(core.records()) == 4


def test_demo_seed_covers_every_procedure_with_a_recipe(tmp_path: Path, core) -> None:
    env = _env(tmp_path, core.url)
    seeded = CliRunner().invoke(cli, ["demo", "seed", "4", "--each", "2"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "  児童手当 現況届（jidou_teate_genkyou）: 2 件を作成" in seeded.output

    with Database(env["RENKEI_DB"]).session() as s:
        found = dict(
            s.execute(
                select(ApplicationRow.procedure, func.count()).group_by(ApplicationRow.procedure)
            ).all()
        )
    recipes = {path.stem for path in (ROOT / "recipes").glob("*.yaml")}
    assert set(found) == recipes, "every shipped recipe has demo applications"
    assert all(found[p] >= 2 for p in recipes if p not in ("boshi_ninshin", "yobou_sesshu"))


def test_unknown_procedure_is_a_clear_error(tmp_path: Path, core) -> None:
    result = CliRunner().invoke(cli, ["run", "-p", "jidou_teate"], env=_env(tmp_path, core.url))
    assert result.exit_code != 0
    assert "手続 'jidou_teate' のレシピがありません" in result.output


def test_a_bad_verify_setting_is_a_clear_error(tmp_path: Path, core) -> None:
    env = _env(tmp_path, core.url) | {"RENKEI_VERIFY": "sometimes"}
    result = CliRunner().invoke(cli, ["run"], env=env)
    assert result.exit_code != 0
    assert "RENKEI_VERIFY は when-needed か always です（'sometimes'）" in result.output


def test_verify_all_looks_up_before_typing(tmp_path: Path, core) -> None:
    runner = CliRunner()
    env = _env(tmp_path, core.url)
    runner.invoke(cli, ["demo", "seed", "1", "--each", "0"], env=env)
    ran = runner.invoke(cli, ["run", "--verify-all"], env=env)
    assert ran.exit_code == 0, ran.output
    (audit,) = (tmp_path / "runs").glob("*/audit.jsonl")
    screens = [
        json.loads(line)["detail"]
        for line in audit.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["step"] == "goto"
    ]
    assert screens == ["inquiry", "atena_search"]
    assert len(core.records()) == 1


def test_run_help_documents_the_exit_codes_and_parallel() -> None:
    shown = CliRunner().invoke(cli, ["run", "--help"])
    assert shown.exit_code == 0
    text = " ".join(shown.output.split())
    for code in range(8):
        assert f" {code} " in text
    assert "--parallel" in text and "Join a run already going as an extra runner" in text
    assert "docs/operations.md" in text


def test_bad_attempt_and_margin_settings_are_clear_errors(tmp_path: Path, core) -> None:
    for name, value, message in [
        ("RENKEI_MAX_ATTEMPTS", "0", "RENKEI_MAX_ATTEMPTS は 1 以上で指定してください（0）"),
        ("RENKEI_MAX_ATTEMPTS", "many", "RENKEI_MAX_ATTEMPTS は整数で指定してください（'many'）"),
        ("RENKEI_WINDOW_MARGIN_S", "-1", "RENKEI_WINDOW_MARGIN_S は 0 以上で指定してください"),
    ]:
        env = _env(tmp_path, core.url) | {name: value}
        result = CliRunner().invoke(cli, ["run"], env=env)
        assert result.exit_code == 1
        assert message in result.output
        assert "Traceback" not in result.output
