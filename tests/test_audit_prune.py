"""``renkei audit prune`` as an operator runs it and as an auditor then checks it.

The installation of tests/test_audit_verify.py (two real runs with Chromium against the
mock, one staff action) is made once for this module; every case prunes its own copy.
Runs made today count as ended before tomorrow, the latest date ``--before`` accepts, so
nothing is back-dated. Each case checks what a person would: the folders on disk, the
rows of the management database, and what ``renkei audit verify`` says afterwards.
"""

from __future__ import annotations

import getpass
import json
import shutil
import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import test_audit_verify
from click.testing import CliRunner, Result
from test_audit_verify import (
    Installation,
    edit,
    expect_problem,
    rehash,
    rows,
    write,
)

from bots.audit.anchors import DbAnchors, prune_message
from bots.audit.keys import load_key, verify_signature
from bots.audit.prune import QUIET, plan
from bots.audit.trail import AuditTrail
from bots.cli.main import cli
from bots.config import jst
from bots.contracts import AuditEvent
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow, AuditAnchorRow, AuditPruneRow, RunRow
from bots.service import RUN_LOCK_LEASE

NOTE = "保存期間（5年）経過"

#: The installation of test_audit_verify.py, made once more for this module (module scope).
shared_origin = test_audit_verify.origin


@pytest.fixture
def inst(shared_origin: Installation, tmp_path: Path) -> Installation:
    """A copy of this module's installation (made once, as tests/test_audit_verify.py does)."""
    copy = tmp_path / "inst"
    shutil.copytree(shared_origin.base, copy)
    return Installation(copy, shared_origin.runs)


def day(offset: int) -> str:
    return (jst(datetime.now(UTC)).date() + timedelta(days=offset)).isoformat()


def prune(inst: Installation, *args: str, input: str | None = None, floor_days: int = 0) -> Result:
    """``renkei audit prune``; the retention floor off (0), as these runs are all of today."""
    env = {**inst.env(), "RENKEI_RETENTION_MIN_DAYS": str(floor_days)}
    return CliRunner().invoke(cli, ["audit", "prune", *args], env=env, input=input)


def prune_all(inst: Installation) -> Result:
    result = prune(inst, "--before", day(1), "--note", NOTE, "--yes")
    assert result.exit_code == 0, result.output
    return result


def counts(inst: Installation) -> dict[str, int]:
    db = Database(inst.db_url)
    try:
        with db.session() as s:
            tables = (ApplicationRow, AttemptRow, RunRow, AuditAnchorRow, AuditPruneRow)
            return {t.__tablename__: s.query(t).count() for t in tables}
    finally:
        db.dispose()


def records(inst: Installation) -> dict[str, AuditPruneRow]:
    db = Database(inst.db_url)
    try:
        with db.session() as s:
            return {r.run_id: r for r in s.query(AuditPruneRow)}
    finally:
        db.dispose()


def last_line(result: Result) -> str:
    return result.output.strip().splitlines()[-1]


# --- what the operator sees -------------------------------------------------------------------


def test_a_dry_run_lists_the_runs_and_removes_nothing(inst: Installation) -> None:
    before = counts(inst)
    result = prune(inst, "--before", day(1), "--dry-run")

    assert result.exit_code == 0, result.output
    limit = datetime.fromisoformat(day(1))
    assert f"削除の対象: {limit.year}年{limit.month}月{limit.day}日より前に終了した実行 2 件" in (
        result.output
    )
    for run in inst.runs:
        assert f"  {run}  終了 " in result.output
    shots = len(list((inst.out / inst.runs[0] / "screenshots").rglob("*.png")))
    assert f"監査記録 {len(rows(inst.log()))} 行  画面写真 {shots} 枚" in result.output
    assert last_line(result) == "試行のため、何も削除していません"
    assert all((inst.out / run).is_dir() for run in inst.runs)
    assert counts(inst) == before
    assert not (inst.base / "audit" / "retention.jsonl").exists()


def test_dates_notes_and_the_question(inst: Installation) -> None:
    late = prune(inst, "--before", day(2), "--note", NOTE, "--yes")
    today = prune(inst, "--before", day(0), "--note", NOTE, "--yes")
    no_note = prune(inst, "--before", day(1), "--yes")
    declined = prune(inst, "--before", day(1), "--note", NOTE, input="n\n")

    assert late.exit_code == 1
    tomorrow = datetime.fromisoformat(day(1))
    assert f"--before には明日（{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日）以前" in (
        late.output
    )
    assert today.exit_code == 0, today.output  # today's runs ended today, not before it
    assert "削除の対象はありません" in today.output
    assert no_note.exit_code == 1
    assert "理由（--note）を入力してください: 削除の記録に必要です" in no_note.output
    assert "2 件の実行フォルダを削除します。元には戻せません。よろしいですか？" in declined.output
    assert last_line(declined) == "中止しました（何も削除していません）"
    assert all((inst.out / run).is_dir() for run in inst.runs)
    assert counts(inst)["audit_prunes"] == 0


def test_the_retention_floor_keeps_recent_evidence(inst: Installation) -> None:
    floor = prune(inst, "--before", day(1), "--note", NOTE, "--yes", floor_days=365)
    if_unset = CliRunner().invoke(
        cli, ["audit", "prune", "--before", day(-30), "--note", NOTE, "--yes"], env=inst.env()
    )

    latest = datetime.fromisoformat(day(-365))
    assert floor.exit_code == 1
    assert "保存期間の下限（RENKEI_RETENTION_MIN_DAYS=365 日）より新しい証跡は削除できません" in (
        floor.output
    )
    assert f"{latest.year}年{latest.month}月{latest.day}日以前の日付を指定してください" in (
        floor.output
    )
    assert if_unset.exit_code == 1 and "RENKEI_RETENTION_MIN_DAYS=365" in if_unset.output
    assert all((inst.out / run).is_dir() for run in inst.runs)
    assert counts(inst)["audit_prunes"] == 0


# --- pruned, and verified afterwards -------------------------------------------------------------


def test_pruned_runs_are_gone_recorded_signed_and_verify_passes(inst: Installation) -> None:
    before = counts(inst)
    kept_lines = {run: len(rows(inst.log(n))) for n, run in enumerate(inst.runs)}

    result = prune_all(inst)

    assert "2 件の実行フォルダを削除しました（削除記録 番号 1〜2、" in result.output
    assert not any((inst.out / run).exists() for run in inst.runs)
    after = counts(inst)
    for table in ("applications", "attempts", "runs"):  # the business record stays
        assert after[table] == before[table]
    assert after["audit_anchors"] > before["audit_anchors"]  # the retention chain's, added
    key = load_key(inst.base / "keys")
    for run, record in records(inst).items():
        assert verify_signature(key.public, record.signature, prune_message(record))
        assert record.lines == len(record.hashes) == kept_lines[run]
        assert (record.by, record.host, record.note) == (
            getpass.getuser(),
            socket.gethostname(),
            NOTE,
        )
    retention = [json.loads(line) for line in rows(inst.base / "audit" / "retention.jsonl")]
    assert [(e["pruned_run"], e["record"]) for e in retention] == [
        (inst.runs[0], 1),
        (inst.runs[1], 2),
    ]

    verified = inst.verify()
    assert verified.exit_code == 0, verified.output
    assert last_line(verified) == (
        "検証結果: 改ざんは見つかりませんでした（実行 2 件、うち削除済み（保存期間経過）の実行 2 件、"
        "操作記録 1 件、削除記録 1 件）"
    )
    again = prune_all(inst)
    assert "削除の対象はありません" in again.output


def test_verify_of_a_pruned_run_says_when_by_whom_and_why(inst: Installation) -> None:
    prune_all(inst)
    record = records(inst)[inst.runs[0]]
    at = jst(record.at)

    result = inst.verify("--run", inst.runs[0])

    assert result.exit_code == 0, result.output
    when = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M:%S}"
    assert (
        f"注記: {inst.out / inst.runs[0]}: 保存期間の経過により証跡を削除した実行です。"
        f"{when} に {getpass.getuser()}（{socket.gethostname()}）が削除" in result.output
    )
    assert f"理由: {NOTE}）。削除記録の署名と、アンカー " in result.output
    assert last_line(result) == (
        "検証結果: 改ざんは見つかりませんでした（実行 1 件、うち削除済み（保存期間経過）の実行 1 件、"
        "操作記録 0 件）"
    )


def test_a_tampered_run_is_refused_and_a_folder_deleted_without_prune_is_still_found(
    inst: Installation,
) -> None:
    lines = rows(inst.log())
    write(inst.log(), [*lines[:2], edit(lines[2], detail="改ざん"), *lines[3:]])

    result = prune(inst, "--before", day(1), "--note", NOTE, "--yes")

    assert result.exit_code == 1, result.output
    assert "削除しない実行（検証で問題が見つかりました。問題のある証跡は削除できません）:" in (
        result.output
    )
    assert f"  {inst.runs[0]}: {inst.log()}:3: 行の内容が改変されています" in result.output
    assert "1 件の実行フォルダを削除しました（削除記録 番号 1、" in result.output
    assert inst.log().is_file() and not (inst.out / inst.runs[1]).exists()
    assert set(records(inst)) == {inst.runs[1]}

    shutil.rmtree(inst.out / inst.runs[0])  # removed by hand instead: no record
    verified = inst.verify()

    expect_problem(verified, 1)
    assert f"{inst.log()}: 実行フォルダの監査記録がありません（アンカー " in verified.output


def test_a_run_still_going_is_never_pruned(inst: Installation) -> None:
    run = datetime.now().strftime("%Y%m%d-%H%M%S-") + "going0"
    db = Database(inst.db_url)
    trail = AuditTrail(
        inst.out / run / "audit.jsonl",
        run,
        "host:1",
        anchor=DbAnchors(db, load_key(inst.base / "keys")),
    )
    trail.emit(AuditEvent(step="run_start", outcome="ok"))  # anchored, not final
    try:
        result = prune(inst, "--before", day(1), "--note", NOTE, "--yes")
    finally:
        trail.close()
        db.dispose()

    assert result.exit_code == 0, result.output
    assert f"実行中のため対象外: {run}" in result.output
    assert (inst.out / run / "audit.jsonl").is_file()
    assert run not in records(inst)


def test_a_killed_run_counts_as_ended_once_quiet_for_a_lease_and_holding_no_lock(
    inst: Installation,
) -> None:
    """Not closed (no final anchor): in progress while its runner holds a run lock or it
    wrote within a lease; after that, a killed run that may go with the others."""
    assert QUIET == RUN_LOCK_LEASE
    run = datetime.now().strftime("%Y%m%d-%H%M%S-") + "killed"
    db, key = Database(inst.db_url), load_key(inst.base / "keys")
    trail = AuditTrail(inst.out / run / "audit.jsonl", run, "host:2", anchor=DbAnchors(db, key))
    trail.emit(AuditEvent(step="run_start", outcome="ok"))  # then killed: never closed
    later = datetime.now(UTC) + QUIET + timedelta(minutes=1)
    try:
        quiet = plan(db, inst.out, date.fromisoformat(day(1)), key, now=later)
        inst.sql(
            "INSERT INTO run_locks (name, holder, acquired_until) VALUES (?, ?, ?)",
            "run:jidou-teate-nintei",
            "host:2",
            (later + timedelta(minutes=5)).replace(tzinfo=None).isoformat(sep=" "),
        )
        locked = plan(db, inst.out, date.fromisoformat(day(1)), key, now=later)
    finally:
        trail.close()  # (after the plans: until then it is a run that was killed)
        db.dispose()

    killed = [c for c in quiet.prunable if c.run_id == run]
    assert len(killed) == 1 and killed[0].killed and len(killed[0].hashes) == 1
    assert run in locked.running and run not in {c.run_id for c in locked.prunable}


def test_a_prune_cut_short_is_noted_and_finished_by_the_next(
    inst: Installation, shared_origin: Installation
) -> None:
    prune_all(inst)
    shutil.copytree(shared_origin.out / inst.runs[0], inst.out / inst.runs[0])  # left behind

    noted = inst.verify()
    finished = prune_all(inst)

    assert noted.exit_code == 0, noted.output
    assert (
        f"注記: {inst.out / inst.runs[0]}: 削除記録（番号 1）がありますが、実行フォルダが残って"
        "います（削除が途中で止まった可能性）" in noted.output
    )
    assert "途中で止まっていた削除 1 件を完了しました" in finished.output
    assert not (inst.out / inst.runs[0]).exists()
    assert len(records(inst)) == 2


# --- tampering with what pruning left ---------------------------------------------------------


def test_an_edited_removal_record_is_found(inst: Installation) -> None:
    prune_all(inst)
    inst.sql("UPDATE audit_prunes SET note = ? WHERE run_id = ?", "誤って削除", inst.runs[0])

    result = inst.verify()

    expect_problem(result, 1)
    assert f"{inst.log()}: 削除記録（番号 1、" in result.output
    assert "の署名が正しくありません（偽造・書き換えの疑い）" in result.output


def test_a_removal_record_deleted_from_the_database_is_found(inst: Installation) -> None:
    prune_all(inst)
    inst.sql("DELETE FROM audit_prunes WHERE run_id = ?", inst.runs[0])

    result = inst.verify()

    expect_problem(result, 2)
    assert f"{inst.log()}: 実行フォルダの監査記録がありません（アンカー " in result.output
    retention = inst.base / "audit" / "retention.jsonl"
    assert (
        f"{retention}:1: 削除記録（番号 1、実行 {inst.runs[0]}）が管理データベースにありません"
        "（削除記録が消された疑い）" in result.output
    )


def test_a_checkpoint_from_before_the_prune_still_verifies_with_a_note(inst: Installation) -> None:
    kept = inst.base.parent / "auditor-checkpoint.json"
    made = CliRunner().invoke(cli, ["audit", "checkpoint", "--out", str(kept)], env=inst.env())
    assert made.exit_code == 0, made.output
    held = {run: len(rows(inst.log(n))) for n, run in enumerate(inst.runs)}
    prune_all(inst)

    result = inst.verify("--checkpoint", str(kept))

    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "の後に、保存期間の経過" in line]
    assert len(notes) == 2, result.output
    for run, note in zip(inst.runs, notes, strict=True):
        assert note.startswith(f"注記: {inst.out / run}: チェックポイント（")
        assert f"チェックポイントの {held[run]} 行目までは削除記録の" in note
    assert last_line(result).startswith("検証結果: 改ざんは見つかりませんでした")


def test_a_chain_rewritten_then_pruned_with_a_resigned_record_is_found(inst: Installation) -> None:
    """An insider with the key: prunes, then replaces the record's hashes with those of a
    rewritten chain and signs it again. The run's anchors and the auditor's checkpoint
    still hold the original heads."""
    kept = inst.base.parent / "auditor-checkpoint.json"
    CliRunner().invoke(cli, ["audit", "checkpoint", "--out", str(kept)], env=inst.env())
    forged = rehash([edit(rows(inst.log())[0], detail="改ざん"), *rows(inst.log())[1:]])
    prune_all(inst)
    key, db = load_key(inst.base / "keys"), Database(inst.db_url)
    with db.session() as s:
        record = s.query(AuditPruneRow).filter_by(run_id=inst.runs[0]).one()
        record.hashes = [json.loads(line)["hash"] for line in forged]
        record.head = record.hashes[-1]
        record.signature = key.sign(prune_message(record))
    db.dispose()

    result = inst.verify("--checkpoint", str(kept))

    expect_problem(result, 2)
    assert f"{inst.log()}:1: 削除記録（番号 1、" in result.output
    assert "と照合: アンカー（番号 " in result.output
    assert (
        "に記録されたハッシュと一致しません（記録が書き換えられ、ハッシュが再計算された疑い）"
        in (result.output)
    )
    assert "の後に削除された実行ですが、削除記録（番号 1、" in result.output
    assert "チェックポイントの時点の内容と一致しません（削除の前に書き換えられた疑い）" in (
        result.output
    )
