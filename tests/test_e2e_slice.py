"""End to end: real Chromium keys seeded applications into the real mock core system.

Each test asserts what staff and auditors would check: the records in the core system,
the statuses in the management database, and the evidence files on disk.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from e2e_helpers import clean, rows, set_data, update_row

from bots import transforms
from bots.audit.trail import verify_chain
from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.results import sha256_file
from bots.service import run_once


def _expected_children(data: dict) -> list[tuple[str, str, str]]:
    return [
        (
            str(transforms.apply(["zenkaku_space"], c["name"])),
            str(transforms.apply(["katakana_zenkaku"], c["kana"])),
            transforms.apply(["iso_date"], c["birth_date"]),
        )
        for c in data["children"]
    ]


def test_twenty_applications_keyed_once_with_the_right_values(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 20, core.url, problems=False)

    first = run_once(settings, db=db)

    assert first.counts[OutcomeKind.KEYED.value] == 20, [
        (i.application_id, i.reason) for i in first.items
    ]
    records = core.records()
    assert len(records) == 20
    by_tag = {re.search(r"\[renkei:([^\]]+)\]", r["remarks"]).group(1): r for r in records}
    for app_id, row in rows(db).items():
        assert row.status == Status.KEYED.value
        record = by_tag[app_id]
        assert row.receipt_no == record["receipt_no"]
        data = row.data
        assert record["atena_no"] == row.atena_no
        assert record["my_number"] == clean(data["applicant"]["my_number"])
        assert record["claim_date"] == data["claim_date"]
        got = [(c["name"], c["kana"], c["birth_date"]) for c in record["children"]]
        assert got == _expected_children(data)
        assert record["bank_code"] == transforms.apply(["bank_code"], data["bank"]["bank_code"])
        assert record["account_no"] == transforms.apply(["account_no"], data["bank"]["account_no"])
        assert record["account_holder"] == transforms.apply(
            ["katakana_hankaku"], data["bank"]["holder_kana"]
        )
        if data.get("spouse"):
            assert record["spouse"]["birth_date"] == data["spouse"]["birth_date"]
        else:
            assert record["spouse"] is None

    second = run_once(settings, db=db)

    assert second.items == []
    assert len(core.records()) == 20


def test_evidence_is_complete_and_never_shows_a_personal_number(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 3, core.url, problems=False)
    result = run_once(settings, db=db)

    secrets = set()
    for row in rows(db).values():
        secrets.add(clean(row.data["applicant"]["my_number"]))
        secrets.add(transforms.apply(["account_no"], row.data["bank"]["account_no"]))
    audit_lines = [json.loads(line) for line in result.audit_path.read_text().splitlines()]
    shots = {line["screenshot"]: line["sha256"] for line in audit_lines if line.get("screenshot")}
    for item in result.items:
        assert [e.label for e in item.evidence] == ["before_register", "result"]
        for evidence in item.evidence:
            assert evidence.path.exists()
            logged = evidence.path.resolve().relative_to(result.out_dir.resolve()).as_posix()
            assert shots[logged] == sha256_file(evidence.path)  # relative to the run folder
    steps = {line["step"] for line in audit_lines}
    assert {"claim", "goto", "fill", "verify_identity", "register", "read", "outcome"} <= steps
    for line in audit_lines:
        assert {"time", "run", "application", "step", "element", "outcome", "duration_ms"} <= set(
            line
        )
    assert verify_chain(result.audit_path)[0]
    report = result.report_path.read_text()
    for item in result.items:
        assert item.application_id in report and item.receipt_no in report
        [first] = {e.attempt for e in item.evidence}  # keyed at its first try
        assert first.endswith("-try-1")
        shot = f"screenshots/{item.application_id}/{first}/01_before_register.png"
        assert f'href="{shot}"' in report
    for path in (result.audit_path, result.report_path, result.out_dir / "summary.json"):
        text = path.read_text()
        for secret in secrets:
            assert secret not in text, f"{secret} unmasked in {path.name}"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["children"][0].update(birth_date="平成31年5月1日"), "児童1 生年月日"),
        (lambda d: d["children"][0].update(birth_date="2020-02-30"), "児童1 生年月日"),
        (lambda d: d["applicant"].update(my_number="123456789010"), "個人番号"),
        (lambda d: d["children"][0].update(name="髙橋　一郎"), "髙"),
        (lambda d: d["children"][0].update(kana="Takahashi"), "児童1 フリガナ"),
        (lambda d: d["bank"].update(account_no="123456"), "口座番号"),
        (lambda d: d.update(children=[]), "児童"),
    ],
    ids=[
        "heisei31-05-01",
        "feb-30",
        "check-digit",
        "gaiji",
        "romaji-kana",
        "account-6",
        "no-child",
    ],
)
def test_bad_data_ends_needs_review_and_nothing_is_keyed(
    settings: Settings, db: Database, core, change, reason: str
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    set_data(db, app_id, change)

    result = run_once(settings, db=db)

    row = rows(db)[app_id]
    assert row.status == Status.NEEDS_REVIEW.value
    assert reason in row.reason and "申請データに不備があります" in row.reason
    assert result.items[0].evidence == []  # the browser never touched it
    assert core.records_for(app_id) == []


def test_resident_mismatch_is_caught_before_typing(settings: Settings, db: Database, core) -> None:
    seed(db, 2, core.url, problems=False)
    first, second = rows(db)[application_id(0)], rows(db)[application_id(1)]
    update_row(db, first.id, atena_no=second.atena_no)  # staff linked the wrong resident
    update_row(db, second.id, status=Status.RECEIVED.value)  # keep the other one out

    run_once(settings, db=db)

    row = rows(db)[first.id]
    assert row.status == Status.NEEDS_REVIEW.value
    assert "一致しません" in row.reason and "氏名" in row.reason
    assert core.records() == []


def test_core_rejection_keeps_the_core_message(settings: Settings, db: Database, core) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    set_data(db, app_id, lambda d: d["bank"].update(bank_code="1234"))

    result = run_once(settings, db=db)

    row = rows(db)[app_id]
    assert row.status == Status.NEEDS_REVIEW.value
    assert "金融機関コードが存在しません" in row.core_message
    assert [e.label for e in result.items[0].evidence] == ["before_register", "needs_review"]
    assert core.records_for(app_id) == []


def test_unknown_atena_no_needs_review(settings: Settings, db: Database, core) -> None:
    seed(db, 1, core.url, problems=False)
    update_row(db, application_id(0), atena_no="0999999999")

    run_once(settings, db=db)

    row = rows(db)[application_id(0)]
    assert row.status == Status.NEEDS_REVIEW.value and "見つかりません" in row.reason
    assert core.records() == []


def test_crash_between_register_and_record_is_never_keyed_twice(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    run_once(settings, db=db)
    receipt = rows(db)[app_id].receipt_no
    # The runner died after pressing 登録 but before writing the outcome back.
    update_row(
        db,
        app_id,
        status=Status.KEYING.value,
        receipt_no=None,
        keyed_at=None,
        acquired_by="dead-runner:1",
        acquired_until=datetime.utcnow() - timedelta(minutes=1),
    )

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.ALREADY_KEYED]
    row = rows(db)[app_id]
    assert row.status == Status.KEYED.value and row.receipt_no == receipt
    assert len(core.records_for(app_id)) == 1


def test_a_first_attempt_types_without_the_inquiry_round_trip(
    settings: Settings, db: Database, core
) -> None:
    """Nothing can be in the core system from an attempt that never reached 登録, so the
    照会 search is skipped; the audit log shows which screens were used."""
    seed(db, 1, core.url, problems=False)

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED]
    events = [json.loads(line) for line in result.audit_path.read_text().splitlines()]
    screens = [e["detail"] for e in events if e["step"] == "goto"]
    assert screens == ["atena_search"]
    assert len(core.records_for(application_id(0))) == 1


def test_verify_all_finds_a_claim_lost_with_a_restored_database(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    run_once(settings, db=db)
    receipt = rows(db)[app_id].receipt_no
    # The management database was restored from a backup taken before the run: the
    # application looks untouched, with no trace of the attempt that keyed it.
    update_row(
        db,
        app_id,
        status=Status.RESOLVED.value,
        receipt_no=None,
        keyed_at=None,
        attempts=0,
        needs_verification=False,
    )
    settings.verify = "always"  # renkei run --verify-all

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.ALREADY_KEYED]
    assert rows(db)[app_id].receipt_no == receipt
    assert len(core.records_for(app_id)) == 1


def test_cutting_the_end_of_the_audit_log_is_detected(
    settings: Settings, db: Database, core
) -> None:
    from click.testing import CliRunner

    from bots.cli.main import cli

    seed(db, 1, core.url, problems=False)
    result = run_once(settings, db=db)
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "verify", str(result.audit_path)]).exit_code == 0
    lines = result.audit_path.read_text().splitlines(keepends=True)
    result.audit_path.write_text("".join(lines[:-2]))

    cut = runner.invoke(cli, ["audit", "verify", str(result.audit_path)])

    assert cut.exit_code == 1 and "末尾の行が削除されています" in cut.output
