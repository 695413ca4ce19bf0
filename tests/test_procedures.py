"""Procedures switched off and on, recipes checked, and the health IT reads: against the
real mock core system, real runs and a real SQLite file (bots.procedures, bots.service
and the ``renkei procedure`` commands)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from loguru import logger
from sqlalchemy import select

from bots import procedures
from bots.cli.main import cli
from bots.cli.procedures import procedures as procedures_command
from bots.clock import utcnow
from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import seed, seed_boshi
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, ProcedureStateRow, RecipeCheckRow, RunRow
from bots.service import run_once

ROOT = Path(__file__).resolve().parents[1]
JT = "jidou_teate_nintei"
BOSHI = "boshi_ninshin"


def _audit(settings: Settings) -> list[dict[str, Any]]:
    path = Path(settings.audit_dir) / "review.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _statuses(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {r.id: r.status for r in s.execute(select(ApplicationRow)).scalars()}


def _env(settings: Settings) -> dict[str, str]:
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_AUDIT_DIR": str(settings.audit_dir),
    }


def renkei(args: list[str], settings: Settings) -> Result:
    return CliRunner().invoke(cli, args, env=_env(settings))


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """The operational log's warnings while the test runs."""
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m.record["message"])), level="WARNING")
    yield lines
    with contextlib.suppress(ValueError):  # a `renkei` command removes every sink itself
        logger.remove(sink)


def test_a_disabled_procedure_is_left_alone_refused_alone_and_works_again_when_enabled(
    settings: Settings, db: Database, core, warnings: list[str]
) -> None:
    seed(db, 2, core.url, problems=False)
    seed_boshi(db, 2)
    procedures.disable(db, settings.audit_dir, JT, "子育ての画面改修のため", "sato")

    result = run_once(settings, db=db)

    by_id = _statuses(db)
    assert {v for k, v in by_id.items() if k.startswith("JT-")} == {Status.RESOLVED.value}
    assert {v for k, v in by_id.items() if not k.startswith("JT-")} == {Status.KEYED.value}
    assert core.records() == []
    assert len(core.records("boshi")) == len([k for k in by_id if not k.startswith("JT-")]) > 0
    assert JT not in result.titles and {i.procedure for i in result.items} == {BOSHI}
    left = [w for w in warnings if "停止中のため、この実行では扱いません" in w]
    assert len(left) == 1 and JT in left[0] and "sato" in left[0]
    with db.session() as s:  # the run's row names what it left alone, and why
        row = s.get(RunRow, result.run_id)
        assert row is not None and row.summary is not None
        assert "子育ての画面改修のため" in row.summary["disabled"][JT]

    with pytest.raises(procedures.ProcedureDisabled) as refused:
        run_once(settings, JT, db=db)
    text = str(refused.value)
    assert "児童手当 認定請求" in text and "sato" in text and "子育ての画面改修のため" in text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d に停止", text)
    alone = renkei(["run", "-p", JT], settings)
    assert alone.exit_code == 1 and "停止中のため実行しません" in alone.output
    assert core.records() == []

    procedures.enable(db, settings.audit_dir, JT, "改修が終わったため", "sato")
    again = run_once(settings, JT, db=db)
    assert [i.outcome.value for i in again.items] == ["keyed", "keyed"]
    assert set(_statuses(db).values()) == {Status.KEYED.value}
    steps = [(a["step"], a["by"], a.get("procedure")) for a in _audit(settings)]
    assert steps == [("procedure_disable", "sato", JT), ("procedure_enable", "sato", JT)]


def test_a_switch_needs_a_note_a_known_procedure_and_a_real_change(
    settings: Settings, db: Database
) -> None:
    known = procedures.known_procedures(settings, db)
    assert known == {path.stem for path in (ROOT / "recipes").glob("*.yaml")}
    assert {JT, BOSHI, "kaigo_nintei", "yobou_sesshu"} <= known
    with pytest.raises(procedures.ProcedureError, match="理由（メモ）を入力してください"):
        procedures.disable(db, settings.audit_dir, JT, "   ", "sato", known=known)
    with pytest.raises(procedures.ProcedureError, match="手続 'nope' はありません"):
        procedures.disable(db, settings.audit_dir, "nope", "試験", "sato", known=known)
    with pytest.raises(procedures.ProcedureError, match="停止していません"):
        procedures.enable(db, settings.audit_dir, JT, "試験", "sato", known=known)
    assert procedures.switches(db) == {} and _audit(settings) == []  # nothing written

    procedures.disable(db, settings.audit_dir, JT, "個人番号 1234-5678-9012 の件", "sato")
    with pytest.raises(procedures.ProcedureError, match="すでに停止中です: sato が"):
        procedures.disable(db, settings.audit_dir, JT, "二度目", "suzuki")
    with db.session() as s:
        row = s.get(ProcedureStateRow, JT)
        assert row is not None and not row.enabled and row.changed_by == "sato"
        assert row.note is not None and "1234-5678-9012" not in row.note  # masked as stored
    assert len(_audit(settings)) == 1


@pytest.fixture
def broken_boshi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the recipes with a YAML error on line 3 of boshi_ninshin.yaml."""
    recipes = tmp_path / "recipes"
    shutil.copytree(ROOT / "recipes", recipes)
    path = recipes / "boshi_ninshin.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "title: [unclosed\n")
    path.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setenv("RENKEI_RECIPES", str(recipes))
    return "boshi_ninshin.yaml:"


def test_check_records_each_recipe_and_one_audit_line_with_the_located_error(
    settings: Settings, db: Database, broken_boshi: str
) -> None:
    checks = procedures.check(settings, db, settings.audit_dir, "sato")

    shipped = {path.stem for path in (ROOT / "recipes").glob("*.yaml")}
    assert {c.procedure: c.ok for c in checks} == {p: p != BOSHI for p in shipped}
    with db.session() as s:
        rows = {r.procedure: r for r in s.execute(select(RecipeCheckRow)).scalars()}
    assert rows[JT].ok and rows[JT].by == "sato"
    assert not rows[BOSHI].ok and rows[BOSHI].message is not None
    assert re.search(r"boshi_ninshin\.yaml:\d+:\d+: ", rows[BOSHI].message)
    [line] = _audit(settings)
    assert (line["step"], line["by"], line["outcome"]) == ("recipe_check", "sato", "ng")
    assert broken_boshi in line["broken"][BOSHI]

    found = {p.procedure: p for p in procedures.health(settings, db).procedures}
    assert found[BOSHI].error is not None and broken_boshi in found[BOSHI].error
    assert found[BOSHI].last_check is not None and not found[BOSHI].last_check.ok
    assert found[JT].error is None and found[JT].system == "kosodate"

    listed = renkei(["procedure", "check", "--by", "sato"], settings)
    assert listed.exit_code == 4 and "不備 NG  boshi_ninshin" in listed.stderr
    assert "正常 OK  jidou_teate_nintei" in listed.stdout
    assert [a["step"] for a in _audit(settings)] == ["recipe_check", "recipe_check"]


def _run_row(db: Database, run_id: str, minutes_ago: int, summary: dict[str, Any]) -> None:
    started = utcnow() - timedelta(minutes=minutes_ago)
    with db.session() as s:
        s.add(RunRow(id=run_id, procedure=None, runner="t", started_at=started,
                     ended_at=started + timedelta(seconds=30), summary=summary))  # fmt: skip


def test_health_reads_the_last_run_its_counts_the_stops_and_the_drift(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 2, core.url, problems=False)
    ran = run_once(settings, JT, db=db)
    drift = {"system": "kosodate", "element": "nintei_entry.bank_code",
             "first_strategy": "css=#bank_code", "strategy": "label=金融機関コード"}  # fmt: skip
    _run_row(db, "older-drift", 60 * 24, {"titles": {JT: "x"}, "drift": [drift]})
    _run_row(db, "older-stop", 60 * 24 + 1, {"titles": {BOSHI: "y"}, "stopped": {"boshi": "旧"}})
    _run_row(db, "kaigo-stop", 5, {"titles": {"kaigo_nintei": "z"}, "stopped": {"kaigo": "画面が想定と異なります"}})  # fmt: skip

    found = procedures.health(settings, db)

    by = {p.procedure: p for p in found.procedures}
    assert by[JT].last_run is not None and by[JT].last_run.run_id == ran.run_id
    assert by[JT].last_run.counts == {"keyed": 2}
    assert by[JT].last_run.counts_text() == "連携済 2 件"
    assert (
        by["kaigo_nintei"].stop is not None
        and "画面が想定と異なります" in by["kaigo_nintei"].stop.why
    )
    assert by[JT].stop is None
    assert set(found.stops) == {"kaigo", "boshi"}
    assert [(d.element, d.run_id) for d in found.drift] == [
        ("nintei_entry.bank_code", "older-drift")
    ]

    listing = CliRunner().invoke(procedures_command, [], obj=settings)
    assert listing.exit_code == 0, listing.output
    assert "最終実行: " in listing.output and "連携済 2 件" in listing.output
    assert "kaigo: 画面が想定と異なります" in listing.output
    assert (
        "kosodate nintei_entry.bank_code: css=#bank_code → label=金融機関コード" in listing.output
    )


def test_the_cli_switches_with_a_required_note_and_audits_the_person(settings: Settings) -> None:
    off = renkei(["procedure", "disable", JT, "--note", "改修中", "--by", "sato"], settings)
    assert off.exit_code == 0, off.output
    assert "停止しました" in off.output and "sato が" in off.output
    no_note = renkei(["procedure", "enable", JT], settings)
    assert no_note.exit_code == 2 and "--note" in no_note.output
    unknown = renkei(["procedure", "disable", "nope", "--note", "x", "--by", "sato"], settings)
    assert unknown.exit_code == 1 and "手続 'nope' はありません" in unknown.output
    listed = renkei(["procedure", "list"], settings)
    assert "状態: 停止中  sato が" in listed.output and "（理由: 改修中）" in listed.output
    on = renkei(["procedure", "enable", JT, "--note", "改修済", "--by", "sato"], settings)
    assert on.exit_code == 0 and "再開しました" in on.output
    assert [(a["step"], a["by"]) for a in _audit(settings)] == [
        ("procedure_disable", "sato"),
        ("procedure_enable", "sato"),
    ]
    helps = [renkei(["procedure", c, "--help"], settings).output for c in ("disable", "check")]
    assert all("理由" in h or "確認" in h for h in helps)
