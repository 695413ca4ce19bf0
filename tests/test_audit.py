"""The audit trail as an auditor reads it: one JSON line per step, no personal or account
number in clear text, screenshots identified by their SHA-256, and a hash chain that
``renkei audit verify`` checks (exit 0 when intact, 1 when a line was changed or removed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bots.audit.trail import AuditTrail, verify_chain
from bots.cli.main import cli
from bots.contracts import AuditEvent
from bots.errors import AuditWriteFailed

MY_NUMBER = "123456789018"
ACCOUNT_NO = "7654321"
OTHER_ACCOUNT_NO = "1234567"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


@pytest.fixture
def screenshot(tmp_path: Path) -> Path:
    path = tmp_path / "shots" / "A-1_before_register.png"
    path.parent.mkdir()
    path.write_bytes(PNG)
    return path


def events(screenshot: Path) -> list[AuditEvent]:
    """What one application's run emits, with sensitive values slipping in everywhere."""
    return [
        AuditEvent(step="claim", outcome="ok", application="A-1", duration_ms=1.23456),
        AuditEvent(
            step="fill",
            outcome="ok",
            application="A-1",
            element="nintei_entry.my_number",
            value=MY_NUMBER,
            duration_ms=12.34,
            detail=f"個人番号 {MY_NUMBER} を入力しました",
        ),
        AuditEvent(
            step="fill",
            outcome="ok",
            application="A-1",
            element="nintei_entry.remarks",
            value={"my_number": MY_NUMBER, "note": "窓口で確認済"},
            extra={"my_number": MY_NUMBER},
        ),
        AuditEvent(
            step="fill",
            outcome="ok",
            application="A-1",
            element="nintei_entry.account_no",
            value=f"口座番号 {ACCOUNT_NO}",
            detail=f"口座番号: {OTHER_ACCOUNT_NO} を入力",
        ),
        AuditEvent(
            step="register",
            outcome="error",
            application="A-1",
            element="nintei_entry.register",
            value=int(MY_NUMBER),
            detail="1234 5678 9018 は登録済みです",
            duration_ms=250.0,
        ),
        AuditEvent(
            step="screenshot",
            outcome="ok",
            application="A-1",
            screenshot=screenshot,
            detail="before_register",
        ),
    ]


@pytest.fixture
def audit_file(tmp_path: Path, screenshot: Path) -> Path:
    path = tmp_path / "run-1" / "audit.jsonl"
    trail = AuditTrail(path, "run-1", "host-a:1")
    try:
        for event in events(screenshot):
            trail.emit(event)
    finally:
        trail.close()
    return path


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- what is written ------------------------------------------------------------------


def test_no_personal_or_account_number_in_clear(audit_file: Path) -> None:
    text = audit_file.read_text(encoding="utf-8")

    for secret in (MY_NUMBER, "1234 5678 9018", ACCOUNT_NO, OTHER_ACCOUNT_NO):
        assert secret not in text
    assert "個人番号 ************ を入力しました" in text
    assert "口座番号: ******* を入力" in text


def test_each_line_is_json_with_the_audit_fields(audit_file: Path) -> None:
    entries = lines(audit_file)

    assert len(entries) == 6
    for entry in entries:
        assert {"time", "run", "application", "step", "element", "outcome", "duration_ms"} <= set(
            entry
        )
        assert entry["run"] == "run-1"
        assert entry["application"] == "A-1"
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    assert [e["step"] for e in entries] == [
        "claim",
        "fill",
        "fill",
        "fill",
        "register",
        "screenshot",
    ]
    assert entries[1]["element"] == "nintei_entry.my_number"
    assert entries[1]["duration_ms"] == 12.3
    assert entries[0]["duration_ms"] == 1.2
    assert entries[4]["outcome"] == "error"
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]


def test_masked_values_keep_their_shape(audit_file: Path) -> None:
    entries = lines(audit_file)

    assert entries[1]["value"] == "************"
    assert entries[2]["value"] == {"my_number": "************", "note": "窓口で確認済"}
    assert entries[2]["my_number"] == "************"
    assert entries[3]["value"] == "口座番号 *******"
    assert entries[4]["value"] == "************"


def test_screenshot_is_recorded_with_its_sha256(audit_file: Path, screenshot: Path) -> None:
    shot = lines(audit_file)[-1]

    assert shot["step"] == "screenshot"
    assert Path(shot["screenshot"]) == screenshot
    assert shot["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_intact_file_verifies(audit_file: Path) -> None:
    ok, message = verify_chain(audit_file)

    assert ok is True
    assert message == f"{audit_file}: 改ざんは検出されませんでした"


def test_two_runs_write_separate_chains(tmp_path: Path, screenshot: Path) -> None:
    first = AuditTrail(tmp_path / "a" / "audit.jsonl", "run-a", "host-a:1")
    second = AuditTrail(tmp_path / "b" / "audit.jsonl", "run-b", "host-a:1")
    try:
        first.emit(AuditEvent(step="claim", outcome="ok", application="A-1"))
        second.emit(AuditEvent(step="claim", outcome="ok", application="B-1"))
        first.emit(AuditEvent(step="register", outcome="ok", application="A-1"))
    finally:
        first.close()
        second.close()

    assert [e["application"] for e in lines(first.path)] == ["A-1", "A-1"]
    assert [e["application"] for e in lines(second.path)] == ["B-1"]
    assert verify_chain(first.path)[0] and verify_chain(second.path)[0]


# --- tampering ------------------------------------------------------------------------


def edit_value(rows: list[str]) -> list[str]:
    """Line 2: the personal-number step now claims another element, hash left as it was."""
    entry = json.loads(rows[1])
    entry["element"] = "nintei_entry.remarks"
    rows[1] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    return rows


def edit_value_and_rehash(rows: list[str]) -> list[str]:
    """Line 2 edited and its own hash recomputed: line 3 no longer follows it."""
    entry = json.loads(rows[1])
    entry.pop("hash")
    entry["outcome"] = "error"
    body = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    entry["hash"] = hashlib.sha256((entry["prev"] + body).encode()).hexdigest()
    rows[1] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    return rows


def delete_line_3(rows: list[str]) -> list[str]:
    return rows[:2] + rows[3:]


def delete_line_1(rows: list[str]) -> list[str]:
    return rows[1:]


def swap_lines_2_and_3(rows: list[str]) -> list[str]:
    return [rows[0], rows[2], rows[1], *rows[3:]]


def garble_line_2(rows: list[str]) -> list[str]:
    rows[1] = rows[1][:-10]
    return rows


TAMPERING = [
    pytest.param(edit_value, 2, "行の内容が改変されています", id="edit-line-2"),
    pytest.param(edit_value_and_rehash, 3, "連鎖が切れています", id="edit-line-2-rehashed"),
    pytest.param(delete_line_3, 3, "連鎖が切れています", id="delete-line-3"),
    pytest.param(delete_line_1, 1, "連鎖が切れています", id="delete-line-1"),
    pytest.param(swap_lines_2_and_3, 2, "連鎖が切れています", id="swap-lines"),
    pytest.param(garble_line_2, 2, "JSONとして読めません", id="garbled-line-2"),
]


@pytest.mark.parametrize(("tamper", "bad_line", "reason"), TAMPERING)
def test_tampering_is_detected_at_the_line(
    audit_file: Path, tamper: Callable[[list[str]], list[str]], bad_line: int, reason: str
) -> None:
    rows = audit_file.read_text(encoding="utf-8").splitlines()
    audit_file.write_text("\n".join(tamper(rows)) + "\n", encoding="utf-8")

    ok, message = verify_chain(audit_file)

    assert ok is False
    assert message.startswith(f"{audit_file}:{bad_line}: ")
    assert reason in message


# --- renkei audit verify --------------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    """The command on the test's own (empty) database and key: never the checkout's var/."""
    return {
        "RENKEI_DB": f"sqlite:///{tmp_path / 'renkei.db'}",
        "RENKEI_OUT": str(tmp_path / "runs"),
        "RENKEI_AUDIT_DIR": str(tmp_path / "audit"),
        "RENKEI_KEY_DIR": str(tmp_path / "keys"),
    }


def test_cli_verify_intact_file_exits_0(audit_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "verify", str(audit_file)], env=_env(tmp_path))

    assert result.exit_code == 0, result.output
    assert f"{audit_file}: 改ざんは検出されませんでした" in result.output
    assert result.output.strip().splitlines()[-1] == (
        "検証結果: 改ざんは見つかりませんでした（実行 1 件、操作記録 0 件）"
    )


def test_cli_verify_tampered_file_exits_1(audit_file: Path, tmp_path: Path) -> None:
    rows = audit_file.read_text(encoding="utf-8").splitlines()
    audit_file.write_text("\n".join(edit_value(rows)) + "\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["audit", "verify", str(audit_file)], env=_env(tmp_path))

    assert result.exit_code == 1
    assert f"{audit_file}:2: 行の内容が改変されています" in result.output
    assert result.output.strip().splitlines()[-1] == "検証結果: 問題 1 件"


def test_cli_verify_missing_file_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["audit", "verify", str(tmp_path / "nothing.jsonl")], env=_env(tmp_path)
    )

    assert result.exit_code not in (0, 1)
    assert "nothing.jsonl" in result.output


# --- the writer owns its file -------------------------------------------------------------


def test_a_screenshot_in_the_run_folder_is_recorded_relative_to_it(tmp_path: Path) -> None:
    run = tmp_path / "run-2"
    shot = run / "screenshots" / "A-1" / "01_before_register.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(PNG)
    trail = AuditTrail(run / "audit.jsonl", "run-2", "host-a:1")
    trail.emit(AuditEvent(step="screenshot", outcome="ok", application="A-1", screenshot=shot))
    trail.close()

    entry = lines(run / "audit.jsonl")[0]
    assert entry["screenshot"] == "screenshots/A-1/01_before_register.png"
    assert entry["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_anchors_at_start_every_n_lines_and_at_close(tmp_path: Path) -> None:
    anchored: list[tuple[str, int, bool]] = []
    trail = AuditTrail(
        tmp_path / "r" / "audit.jsonl",
        "r",
        "host-a:1",
        anchor=lambda chain, head, n, final: anchored.append((chain, n, final)),
        anchor_lines=3,
        anchor_seconds=3600,
    )
    for _ in range(7):
        trail.emit(AuditEvent(step="fill", outcome="ok", application="A-1"))
    trail.close()
    trail.close()  # closing twice anchors once

    assert anchored == [("r", 1, False), ("r", 4, False), ("r", 7, False), ("r", 7, True)]


def test_a_failed_write_raises_and_every_later_emit_too(tmp_path: Path) -> None:
    log = tmp_path / "r" / "audit.jsonl"
    log.parent.mkdir()
    log.symlink_to("/dev/full")  # every write: ENOSPC, as on a full disk
    trail = AuditTrail(log, "r", "host-a:1")

    for _ in range(2):
        with pytest.raises(AuditWriteFailed, match=f"監査記録 {log} に書き込めないため"):
            trail.emit(AuditEvent(step="claim", outcome="ok", application="A-1"))
    trail.close()
