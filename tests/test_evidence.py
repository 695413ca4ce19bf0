"""Every try leaves its own evidence, and no application id can put it anywhere else.

* A press of 登録 the core system answers with HTTP 500 is an audit line of its own, and
  the retry inside the same claim keeps its screenshots apart from the first try's: both
  ``before_register`` files are on disk, hashed in the audit log and linked in the report.
* An id that is a path (``../../x``, an absolute path), left in the database by an older
  renkei that accepted it at import, is keyed with its screenshots inside the run folder
  under its safe form; nothing is written outside, and the report renders.

Real Chromium against the real mock server, real SQLite files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import rows

from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import seed
from bots.engine.evidence import EvidencePathError, inside, is_plain_id, safe_path_part
from bots.engine.executors.safety import answer as _answer
from bots.errors import CoreUnavailable, ScreenChanged, SessionExpired, TransientError
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.queue.transitions import create
from bots.results import sha256_file
from bots.service import run_once

UNSAFE = ["../../x", "/etc/passwd", "a/b", "a\x00b", "a b", ".hidden", "..", "", "日本語"]


def _audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- the safe form of an id ---------------------------------------------------------------


@pytest.mark.parametrize("app_id", ["JT-2026-000001", "KG-2026-000003", "a.b_c-1"])
def test_a_plain_id_is_its_own_folder_name(app_id: str) -> None:
    assert is_plain_id(app_id) and safe_path_part(app_id) == app_id


@pytest.mark.parametrize("app_id", UNSAFE)
def test_an_unsafe_id_becomes_one_folder_inside_the_root(app_id: str, tmp_path: Path) -> None:
    part = safe_path_part(app_id)

    assert not is_plain_id(app_id)
    assert "/" not in part and "\x00" not in part and not part.startswith(".")
    assert "~" in part  # never the same as a plain id
    assert inside(tmp_path, part).parent == tmp_path.resolve()


def test_unsafe_ids_differing_only_in_unsafe_characters_stay_apart() -> None:
    assert safe_path_part("a/b") != safe_path_part("a b") != safe_path_part("a\x00b")


def test_a_path_outside_the_root_is_refused(tmp_path: Path) -> None:
    for parts in (("..", "x"), ("/etc/passwd",), ("a", "..", "..", "b"), ()):
        with pytest.raises(EvidencePathError, match="実行フォルダの外"):
            inside(tmp_path / "root", *parts)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (TransientError("基幹システムがエラーを返しました（HTTP 500）: /nintei"), "http_error"),
        (
            SessionExpired("登録の途中でセッションが切れました（登録されていません）"),
            "session_expired",
        ),
        (TransientError("登録ボタンの後、結果が表示されません"), "timeout"),
        (CoreUnavailable("基幹システムが停止中です（HTTP 503、夜間バッチ等）: /"), "unavailable"),
        (ScreenChanged("entry", "register", "想定外の確認ダイアログ"), "screen_changed"),
        (RuntimeError("boom"), "error"),
    ],
)
def test_each_answer_to_a_press_of_register_has_its_own_audit_outcome(
    error: Exception, outcome: str
) -> None:
    got, detail = _answer(error)

    assert got == outcome and str(error) in detail


# --- each try its own evidence --------------------------------------------------------------


def test_a_register_answered_500_and_its_retry_each_keep_their_evidence(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 1, core.url, problems=False)
    [app_id] = rows(db)
    settings.transient_tries = 3
    core.set_faults(register_500_rate=0.5, seed=2)  # the draws go 500, ok: one retry

    result = run_once(settings, db=db)

    assert core._call("/_admin/faults/injected").get("register_500") == 1
    [item] = result.items
    row = rows(db)[app_id]
    assert (item.outcome, row.status) == (OutcomeKind.KEYED, Status.KEYED.value)
    assert [r["receipt_no"] for r in core.records_for(app_id)] == [row.receipt_no]
    # both tries' screenshots, each in its own folder, none overwritten
    befores = [e for e in item.evidence if e.label == "before_register"]
    assert len(befores) == 2
    first, second = befores
    assert first.attempt.endswith("-try-1") and second.attempt.endswith("-try-2")
    assert first.path != second.path and first.path.exists() and second.path.exists()
    assert first.path.parent.name == first.attempt and second.path.parent.name == second.attempt
    lines = [e for e in _audit(result.audit_path) if e["application"] == app_id]
    shots = {e["screenshot"]: e["sha256"] for e in lines if e.get("screenshot")}
    run_dir = result.out_dir.resolve()
    for evidence in befores:  # logged relative to the run folder, with the file's hash
        assert shots[evidence.path.relative_to(run_dir).as_posix()] == sha256_file(evidence.path)
    presses = [(e["outcome"], e["detail"]) for e in lines if e["step"] == "register"]
    assert [o for o, _ in presses] == ["pressed", "http_error", "pressed", "accepted"]
    assert "HTTP 500" in presses[1][1]
    report = result.report_path.read_text()
    for evidence in befores:
        assert f'href="{evidence.path.relative_to(run_dir).as_posix()}"' in report
    assert "1回目" in report and "2回目" in report


# --- an unsafe id already in the database ----------------------------------------------------


def _files(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*") if p.is_file()}


def _with_unsafe_id(scratch: Database, db: Database, core_url: str, app_id: str) -> None:
    """A demo application (its resident in the mock) stored under ``app_id`` directly, as an
    older renkei's import would have let it in."""
    seed(scratch, 1, core_url, problems=False)
    [good] = rows(scratch).values()
    with db.session() as s:
        create(
            s,
            ApplicationRow(
                id=app_id,
                procedure=good.procedure,
                received_at=good.received_at,
                status=Status.RESOLVED.value,
                atena_no=good.atena_no,
                data=good.data,
                attempts=0,
                needs_verification=False,
            ),
        )


@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_an_unsafe_id_in_the_database_is_keyed_with_its_evidence_inside_the_run(
    settings: Settings, db: Database, core: Any, tmp_path: Path, kind: str
) -> None:
    app_id = "../../escaped" if kind == "relative" else str(tmp_path / "escaped")
    scratch = Database(f"sqlite:///{tmp_path / 'scratch.db'}")
    try:
        _with_unsafe_id(scratch, db, core.url, app_id)
    finally:
        scratch.dispose()

    before = _files(tmp_path)

    result = run_once(settings, db=db)

    [item] = result.items
    assert item.outcome == OutcomeKind.KEYED, item.reason
    assert len(core.records_for(app_id)) == 1
    folder = result.screenshots_dir.resolve() / safe_path_part(app_id)
    assert folder.is_dir() and sorted(p.name for p in folder.glob("*/*.png")) == [
        "01_before_register.png",
        "02_result.png",
    ]
    run_dir = result.out_dir.resolve()
    new = _files(tmp_path) - before
    outside = {p for p in new if not p.is_relative_to(run_dir)}
    # outside the run folder only the management database (and its journal) changed
    assert {p.name.split("-")[0] for p in outside} <= {"renkei.db"}, outside
    assert not (tmp_path / "escaped").exists() and not (settings.out_root / "escaped").exists()
    report = result.report_path.read_text()
    assert "01_before_register.png" in report and item.receipt_no and item.receipt_no in report
