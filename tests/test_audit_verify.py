"""``renkei audit verify`` as an auditor runs it, on real run folders.

One real installation is made per module (two real runs with Chromium against the mock,
and one staff action on the exception queue); every tamper case works on its own copy of
it (database, run folders, review log, signing key), tampers as someone with access to the
files or the database would, and checks what verify says: the file, the line and what.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result
from e2e_helpers import installation_settings
from loguru import logger
from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)

from bots.audit.anchors import DbAnchors, load_anchors, row_message, session_anchor
from bots.audit.keys import load_key, verify_signature
from bots.audit.trail import AuditTrail
from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import AuditEvent, OutcomeKind, Status
from bots.demo.seed import application_id, seed
from bots.errors import AuditWriteFailed
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AuditAnchorRow
from bots.review import ReviewQueue
from bots.service import load_recipes, run_once

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PROBLEM_APP = application_id(4)  # seed(..., problems=True): an impossible birth date
T = TypeVar("T")


@dataclass
class Installation:
    """A copy of the module's installation: its folders, database and key."""

    base: Path
    runs: list[str]

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.base / 'renkei.db'}"

    @property
    def out(self) -> Path:
        return self.base / "runs"

    def log(self, run: int = 0) -> Path:
        return self.out / self.runs[run] / "audit.jsonl"

    @property
    def review(self) -> Path:
        return self.base / "audit" / "review.jsonl"

    def env(self) -> dict[str, str]:
        return {
            "RENKEI_DB": self.db_url,
            "RENKEI_OUT": str(self.out),
            "RENKEI_AUDIT_DIR": str(self.base / "audit"),
            "RENKEI_KEY_DIR": str(self.base / "keys"),
        }

    def verify(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["audit", "verify", *args], env=self.env())

    def anchors(self, chain: str) -> list[AuditAnchorRow]:
        db = Database(self.db_url)
        try:
            with db.session() as s:
                q = s.query(AuditAnchorRow).filter_by(chain=chain).order_by(AuditAnchorRow.seq)
                return list(q)
        finally:
            db.dispose()

    def sql(self, statement: str, *params: Any) -> None:
        with sqlite3.connect(self.base / "renkei.db") as conn:
            conn.execute(statement, params)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[Installation]:
    """Two real runs (2 then 3 applications, one of them to 要確認) and one staff action."""
    base = tmp_path_factory.mktemp("installation")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RENKEI_KEY_DIR", str(base / "keys"))
        settings = installation_settings(base, core_url)
        db = Database(settings.db_url)
        from conftest import Core

        Core(core_url).reset()
        seed(db, 5, core_url, problems=True)
        first = run_once(settings, db=db, limit=2)
        second = run_once(settings, db=db)
        assert first.counts[OutcomeKind.KEYED.value] == 2
        assert PROBLEM_APP in {i.application_id for i in second.items}
        queue = ReviewQueue(db, settings.audit_dir, settings.out_root, load_recipes(settings))
        queue.reject(PROBLEM_APP, note="申請取下げ", who="clerk-a")
        db.dispose()
        yield Installation(base, [first.run_id, second.run_id])


@pytest.fixture
def inst(origin: Installation, tmp_path: Path) -> Installation:
    copy = tmp_path / "inst"
    shutil.copytree(origin.base, copy)
    return Installation(copy, origin.runs)


def rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rehash(lines: list[str]) -> list[str]:
    """Recompute every line's prev and hash, as a careful editor would."""
    out, prev = [], "0" * 64
    for line in lines:
        entry = json.loads(line)
        entry.pop("hash")
        entry["prev"] = prev
        body = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        entry["hash"] = prev = hashlib.sha256((prev + body).encode()).hexdigest()
        out.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    return out


def edit(line: str, **changes: Any) -> str:
    entry = json.loads(line)
    entry.update(changes)
    return json.dumps(entry, ensure_ascii=False, sort_keys=True)


def first_screenshot(path: Path) -> tuple[int, str]:
    for number, line in enumerate(rows(path), start=1):
        shot = json.loads(line).get("screenshot")
        if shot:
            return number, shot
    raise AssertionError("no screenshot in the log")


def expect_problem(result: Result, count: int | None = None) -> None:
    assert result.exit_code == 1, result.output
    verdict = result.output.strip().splitlines()[-1]
    assert verdict.startswith("検証結果: 問題 "), result.output
    if count is not None:
        assert verdict == f"検証結果: 問題 {count} 件", result.output


# --- intact ------------------------------------------------------------------------------


def test_an_intact_installation_verifies_every_chain(inst: Installation) -> None:
    result = inst.verify()

    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last == "検証結果: 改ざんは見つかりませんでした（実行 2 件、操作記録 1 件）"


def test_screenshots_are_in_the_chain_relative_to_the_run_folder(inst: Installation) -> None:
    number, shot = first_screenshot(inst.log())
    entry = json.loads(rows(inst.log())[number - 1])

    assert not Path(shot).is_absolute()
    target = inst.log().parent / shot
    assert entry["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()


def test_anchors_are_signed_numbered_and_closed(inst: Installation) -> None:
    anchors = inst.anchors(inst.runs[0])
    key = load_key(inst.base / "keys")

    assert anchors[0].lines == 1  # at start
    assert anchors[-1].final and anchors[-1].lines == len(rows(inst.log()))
    assert [a.seq for a in anchors] == list(range(1, len(anchors) + 1))
    assert all(
        key.public.verify(bytes.fromhex(a.signature), row_message(a)) is None for a in anchors
    )
    review = inst.anchors("review")
    assert review[-1].final and review[-1].lines == len(rows(inst.review)) == 1


def test_narrowed_to_a_run_or_an_application(inst: Installation) -> None:
    one = inst.verify("--run", inst.runs[0])
    app = inst.verify("--application", PROBLEM_APP)

    assert one.exit_code == 0, one.output
    assert one.output.strip().endswith("（実行 1 件、操作記録 0 件）")
    assert app.exit_code == 0, app.output
    assert app.output.strip().endswith("（実行 1 件、操作記録 1 件）")


def test_a_file_argument_is_still_accepted(inst: Installation) -> None:
    result = inst.verify(str(inst.log(1)))

    assert result.exit_code == 0, result.output
    assert f"{inst.log(1)}: 改ざんは検出されませんでした" in result.output


# --- tampering with the files -----------------------------------------------------------


def test_an_edited_line(inst: Installation) -> None:
    lines = rows(inst.log())
    lines[2] = edit(lines[2], detail="改ざん")
    write(inst.log(), lines)

    result = inst.verify()

    expect_problem(result)
    assert f"{inst.log()}:3: 行の内容が改変されています" in result.output


def test_a_deleted_line(inst: Installation) -> None:
    lines = rows(inst.log())
    write(inst.log(), lines[:2] + lines[3:])

    result = inst.verify()

    expect_problem(result)
    assert (
        f"{inst.log()}:3: 前の行との連鎖が切れています: 行が削除されています（連番 3 がありません）"
        in result.output
    )


def test_two_lines_swapped(inst: Installation) -> None:
    lines = rows(inst.log())
    write(inst.log(), [*lines[:2], lines[3], lines[2], *lines[4:]])

    result = inst.verify()

    expect_problem(result)
    assert (
        f"{inst.log()}:3: 前の行との連鎖が切れています: 行の順序が入れ替わっています"
        "（連番 3 の行が 4 行目にあります）" in result.output
    )


def test_the_tail_cut_off(inst: Installation) -> None:
    lines = rows(inst.log())
    write(inst.log(), lines[:-2])

    result = inst.verify()

    expect_problem(result, 1)
    assert f"{inst.log()}:{len(lines) - 1}: 末尾の行が削除されています" in result.output


def test_a_screenshot_changed(inst: Installation) -> None:
    number, shot = first_screenshot(inst.log())
    (inst.log().parent / shot).write_bytes(b"\x89PNG\r\n\x1a\n not the screen")

    result = inst.verify()

    expect_problem(result, 1)
    assert f"{inst.log()}:{number}: 画面写真 {shot} の内容が記録時と異なります" in result.output


def test_a_screenshot_deleted(inst: Installation) -> None:
    number, shot = first_screenshot(inst.log())
    (inst.log().parent / shot).unlink()

    result = inst.verify()

    expect_problem(result, 1)
    assert f"{inst.log()}:{number}: 画面写真 {shot} がありません（削除の疑い）" in result.output


def test_a_chain_rewritten_with_its_hashes_recomputed(inst: Installation) -> None:
    lines = rows(inst.log())
    lines[2] = edit(lines[2], detail="改ざん")
    write(inst.log(), rehash(lines))
    first_after = next(a for a in inst.anchors(inst.runs[0]) if a.lines >= 3)

    result = inst.verify()

    expect_problem(result, 1)
    assert (
        f"{inst.log()}:{first_after.lines}: アンカー（番号 {first_after.number}、" in result.output
    )
    assert (
        "に記録されたハッシュと一致しません（記録が書き換えられ、ハッシュが再計算された疑い）"
        in result.output
    )


def test_a_run_folder_deleted(inst: Installation) -> None:
    shutil.rmtree(inst.out / inst.runs[0])

    result = inst.verify()

    expect_problem(result, 1)
    assert f"{inst.log()}: 実行フォルダの監査記録がありません（アンカー " in result.output


# --- tampering with the database -----------------------------------------------------------


def test_a_run_missing_from_the_sequence(inst: Installation) -> None:
    """The folder and its anchors deleted: the numbering has a gap, the runs row no anchors."""
    numbers = [a.number for a in inst.anchors(inst.runs[0])]
    shutil.rmtree(inst.out / inst.runs[0])
    inst.sql("DELETE FROM audit_anchors WHERE chain = ?", inst.runs[0])

    result = inst.verify()

    expect_problem(result, 2)
    gap = f"{min(numbers)}〜{max(numbers)}"
    assert (
        f"audit_anchors: アンカー番号 {gap} が欠けています（実行の記録が削除された疑い）"
        in result.output
    )
    assert f"runs:{inst.runs[0]}: 管理データベースに実行" in result.output
    assert "アンカーがありません（監査記録の削除の疑い）" in result.output


def test_a_forged_anchor(inst: Installation) -> None:
    """The chain rewritten and its anchors' heads changed to match: the signatures fail."""
    lines = rehash([edit(rows(inst.log())[0], detail="改ざん"), *rows(inst.log())[1:]])
    write(inst.log(), lines)
    for a in inst.anchors(inst.runs[0]):
        new_head = json.loads(lines[a.lines - 1])["hash"]
        inst.sql("UPDATE audit_anchors SET head = ? WHERE number = ?", new_head, a.number)

    result = inst.verify()

    expect_problem(result, len(inst.anchors(inst.runs[0])))
    first = inst.anchors(inst.runs[0])[0]
    assert f"{inst.log()}:1: アンカー（番号 {first.number}、" in result.output
    assert "の署名が正しくありません（偽造・書き換えの疑い）" in result.output


def test_a_checkpoint_holds_even_against_anchors_resigned_with_the_key(
    inst: Installation,
) -> None:
    kept = inst.base.parent / "auditor-checkpoint.json"
    made = CliRunner().invoke(cli, ["audit", "checkpoint", "--out", str(kept)], env=inst.env())
    assert made.exit_code == 0, made.output
    assert "監査記録 3 件" in made.output
    lines = rehash([edit(rows(inst.log())[0], detail="改ざん"), *rows(inst.log())[1:]])
    write(inst.log(), lines)
    key = load_key(inst.base / "keys")  # the insider has the key too
    for a in inst.anchors(inst.runs[0]):
        a.head = json.loads(lines[a.lines - 1])["hash"]
        inst.sql(
            "UPDATE audit_anchors SET head = ?, signature = ? WHERE number = ?",
            a.head,
            key.sign(row_message(a)),
            a.number,
        )
    assert inst.verify().exit_code == 0  # the anchors alone are fooled

    result = inst.verify("--checkpoint", str(kept))

    expect_problem(result, 1)
    assert f"{inst.log()}:{len(lines)}: チェックポイント（" in result.output
    assert "の時点の内容と一致しません（それ以前の行が書き換えられています）" in result.output


# --- the key ---------------------------------------------------------------------------------


def test_key_init_is_idempotent_private_and_show_prints_the_fingerprint(tmp_path: Path) -> None:
    env = {"RENKEI_KEY_DIR": str(tmp_path / "keys")}
    first = CliRunner().invoke(cli, ["audit", "key", "init"], env=env)
    again = CliRunner().invoke(cli, ["audit", "key", "init"], env=env)
    shown = CliRunner().invoke(cli, ["audit", "key", "show"], env=env)

    assert first.exit_code == again.exit_code == shown.exit_code == 0
    assert "署名鍵を作成しました" in first.output
    assert "すでにあります（変更していません）" in again.output
    private = tmp_path / "keys" / "audit-ed25519.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    fingerprint = first.output.strip().splitlines()[-1]
    assert (
        fingerprint
        == again.output.strip().splitlines()[-1]
        == shown.output.strip().splitlines()[-1]
    )
    assert "-----BEGIN PUBLIC KEY-----" in shown.output


# --- the writer ------------------------------------------------------------------------------


def test_logger_remove_no_longer_drops_audit_lines(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "r" / "audit.jsonl", "r", "host:1")
    trail.emit(AuditEvent(step="claim", outcome="ok", application="A-1"))
    logger.remove()  # what the CLI (and any library) may do at any time
    trail.emit(AuditEvent(step="register", outcome="ok", application="A-1"))
    trail.close()

    assert [json.loads(line)["step"] for line in rows(trail.path)] == ["claim", "register"]


def _fd_of(path: Path) -> int:
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == str(path):
                return int(name)
        except OSError:
            continue
    raise AssertionError(f"{path} is not open")


def test_an_unwritable_audit_log_stops_the_run_before_the_next_application(
    settings: Settings, db: Database, core, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After the first application the log's file is a full disk (/dev/full): the next
    application is never touched in the core system and goes back to 連携待ち."""
    monkeypatch.setenv("RENKEI_KEY_DIR", str(tmp_path / "keys"))
    seed(db, 3, core.url, problems=False)
    logs: list[Path] = []

    def disk_full(item: Any) -> None:
        log = next(settings.out_root.glob("*/audit.jsonl"))
        logs.append(log)
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, _fd_of(log.resolve()))
        os.close(full)

    with pytest.raises(AuditWriteFailed) as raised:
        run_once(settings, db=db, on_item=disk_full)

    assert f"監査記録 {logs[0]} に書き込めないため、実行を停止しました" in str(raised.value)
    assert len(core.records()) == 1
    with db.session() as s:
        statuses = sorted(r.status for r in s.query(ApplicationRow))
    assert statuses == [Status.KEYED.value, Status.RESOLVED.value, Status.RESOLVED.value]


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"待ち時間切れ: {what}")
        time.sleep(0.05)


def test_a_killed_run_is_anchored_and_verifiable(settings: Settings, core, tmp_path: Path) -> None:
    db = Database(settings.db_url, key_dir=tmp_path / "keys")  # the run's own key folder
    seed(db, 6, core.url, problems=False)
    db.dispose()
    env = os.environ | {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_AUDIT_DIR": str(settings.audit_dir),
        "RENKEI_KEY_DIR": str(tmp_path / "keys"),
    }
    proc = subprocess.Popen([str(VENV / "renkei"), "run"], env=env, cwd=tmp_path)
    try:

        def keyed_one() -> Path | None:
            for log in settings.out_root.glob("*/audit.jsonl"):
                if '"step": "outcome"' in log.read_text(encoding="utf-8"):
                    return log
            return None

        log = wait_for("最初の申請の結果", keyed_one)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    installation = Installation(tmp_path, [log.parent.name])
    anchors = installation.anchors(log.parent.name)
    assert anchors and not anchors[-1].final
    assert anchors[-1].lines <= len(rows(log))
    result = CliRunner().invoke(cli, ["audit", "verify"], env=env)

    assert result.exit_code == 0, result.output
    assert f"注記: {log}: 実行の終了が記録されていません（強制終了された実行）" in result.output
    assert result.output.strip().endswith("（実行 1 件、操作記録 0 件）")


# --- several runners anchoring at once (SQLite and PostgreSQL) -------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_concurrent_anchors_are_numbered_without_gaps(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Four runners' trails and staff actions anchoring at the same time on one database:
    every anchor numbered 1..N once, each signed, each chain's seq 1..k."""
    if dialect == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        db = Database(server.create_database("anchors"))
    else:
        db = Database(f"sqlite:///{tmp_path / 'anchors.db'}")
    key = load_key(tmp_path / "keys")
    sink = DbAnchors(db, key)

    def runner(n: int) -> None:
        trail = AuditTrail(
            tmp_path / f"run-{n}" / "audit.jsonl", f"run-{n}", f"h:{n}", anchor=sink, anchor_lines=2
        )
        for _ in range(10):
            trail.emit(AuditEvent(step="fill", outcome="ok", application=f"A-{n}"))
        trail.close()

    def clerk() -> None:
        for _ in range(5):
            with db.session() as s:
                session_anchor(s, key)("review", "0" * 64, 1, True)

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=clerk))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    anchors = load_anchors(db)
    db.dispose()
    assert [a.number for a in anchors] == list(range(1, len(anchors) + 1))
    assert len(anchors) == 4 * 6 + 5  # per run: lines 1, 3, 5, 7, 9, and the final 10
    for chain in {a.chain for a in anchors}:
        mine = [a.seq for a in anchors if a.chain == chain]  # in installation order
        assert mine == list(range(1, len(mine) + 1))
    assert all(verify_signature(key.public, a.signature, row_message(a)) for a in anchors)


def test_runs_from_before_signing_are_checked_as_chains_and_noted(inst: Installation) -> None:
    """An upgraded installation: a run written by a renkei that did not sign yet has no
    anchors. It is not a deletion — it started before anchor 1 — so its chain is checked
    and the verdict says it is unsigned; an edit in it is still found."""
    first = min(a.at for run in inst.runs for a in inst.anchors(run))
    legacy = inst.out / "20261101-090000-legacy" / "audit.jsonl"
    old = AuditTrail(legacy, "20261101-090000-legacy", "old-host:1")  # no anchor sink
    for step in ("run_start", "run_end"):
        old.emit(AuditEvent(step=step, outcome="ok"))
    old.close()
    inst.sql(
        "INSERT INTO runs (id, runner, started_at) VALUES (?, ?, ?)",
        "20261101-090000-legacy",
        "old-host:1",
        (first - timedelta(days=30)).isoformat(sep=" "),
    )

    result = inst.verify()
    assert result.exit_code == 0, result.output
    assert "署名を始める前" in result.output
    assert result.output.strip().splitlines()[-1] == (
        "検証結果: 改ざんは見つかりませんでした（実行 3 件、うち署名開始前の実行 1 件は連鎖のみ、"
        "操作記録 1 件）"
    )

    lines = rows(legacy)
    write(legacy, [edit(lines[0], outcome="changed"), *lines[1:]])
    edited = inst.verify()
    assert edited.exit_code == 1
    assert f"{legacy}:1:" in edited.output
