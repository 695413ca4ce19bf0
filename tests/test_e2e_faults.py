"""Faults on demand: each kind either retried and keyed, or stopped with the right reason;
never keyed twice, never a wrong record. The mock's faults are set through its operator
endpoint, never through the screens the bot uses."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import rows

from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import seed, seed_boshi, seed_kaigo
from bots.queue.db import Database
from bots.service import run_once


def _keyed_once(db: Database, core, subsystem: str = "") -> None:
    for app_id, row in rows(db).items():
        assert row.status == Status.KEYED.value, (app_id, row.reason)
        found = core.records_for(app_id, subsystem)
        assert [r["receipt_no"] for r in found] == [row.receipt_no]


def _audit(result) -> list[dict]:
    return [json.loads(line) for line in result.audit_path.read_text().splitlines()]


def test_http_500_on_register_is_retried_and_keyed_once(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 5, core.url, problems=False)
    core.set_faults(register_500_rate=0.4, seed=7)
    settings.transient_tries = 6

    run_once(settings, db=db)

    _keyed_once(db, core)
    with db.session() as s:
        from sqlalchemy import text

        failures = s.execute(text("select count(*) from attempts")).scalar_one()
    assert failures == 5  # one attempt (claim) each; the retries happened inside it


def test_session_expiry_logs_in_again(settings: Settings, db: Database, core) -> None:
    seed(db, 4, core.url, problems=False)
    core.set_faults(session_expiry_after=12)

    result = run_once(settings, db=db)

    assert {i.outcome for i in result.items} == {OutcomeKind.KEYED}
    _keyed_once(db, core)


def test_notice_modal_is_closed_and_never_in_the_evidence(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 3, core.url, problems=False)
    core.set_faults(notice_rate=0.5, seed=3)

    result = run_once(settings, db=db)

    _keyed_once(db, core)
    closed = [e for e in _audit(result) if e["step"] == "interrupt"]
    assert closed and all(e["element"] == "notice" for e in closed)


def test_maintenance_pauses_the_subsystem_and_loses_nothing(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 3, core.url, problems=False)
    core.set_faults(maintenance=True)
    settings.transient_tries = 2

    paused = run_once(settings, db=db)

    assert "503" in paused.paused["kosodate"]
    assert len(paused.items) == 1 and paused.items[0].outcome is OutcomeKind.RETRY
    assert {r.status for r in rows(db).values()} == {Status.RESOLVED.value}
    assert core.records() == []

    core.set_faults(maintenance=False)
    from e2e_helpers import update_row

    for app_id in rows(db):  # staff (or the retry time) release the postponed one
        update_row(db, app_id, retry_at=None)
    run_once(settings, db=db)
    _keyed_once(db, core)


def test_latency_slows_but_keys(settings: Settings, db: Database, core) -> None:
    seed(db, 1, core.url, problems=False)
    core.set_faults(latency_ms=300, latency_jitter_ms=100)

    run_once(settings, db=db)

    _keyed_once(db, core)


def test_renamed_ids_are_drift_keyed_correctly_and_reported(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 2, core.url, problems=False)
    core.set_faults(variants={"kosodate": "v2"})

    result = run_once(settings, db=db)

    _keyed_once(db, core)
    drifted = {d.element for d in result.drift}
    assert {
        "nintei_entry.my_number",
        "nintei_entry.bank_code",
        "nintei_entry.account_no",
    } <= drifted
    for record in core.records():
        row = rows(db)[record["remarks"].split("[renkei:")[1].rstrip("]")]
        assert record["bank_code"] == row.data["bank"]["bank_code"]
    assert "nintei_entry.bank_code" in result.report_path.read_text()


def test_a_vendor_update_between_two_applications_is_followed(
    settings: Settings, db: Database, core
) -> None:
    """Elements found directly by their first strategy in the first application are not
    trusted blindly after the screens changed under a running bot."""
    seed(db, 3, core.url, problems=False)

    result = run_once(
        settings, db=db, on_item=lambda item: core.set_faults(variants={"kosodate": "v2"})
    )

    _keyed_once(db, core)
    assert {"nintei_entry.my_number", "nintei_entry.account_no"} <= {
        d.element for d in result.drift
    }
    for record in core.records():
        row = rows(db)[record["remarks"].split("[renkei:")[1].rstrip("]")]
        assert record["my_number"] == row.data["applicant"]["my_number"].replace("-", "")
        assert record["account_no"] == row.data["bank"]["account_no"]


@pytest.mark.parametrize(
    ("subsystem", "procedure", "element"),
    [
        ("kosodate", "jidou_teate_nintei", "要素 bank_code"),
        ("kaigo", "kaigo_nintei", "要素 hihokensha_no"),
        ("boshi", "boshi_ninshin", "要素 weeks"),
    ],
)
def test_breaking_vendor_update_stops_the_subsystem_and_names_the_element(
    settings: Settings, db: Database, core, subsystem: str, procedure: str, element: str
) -> None:
    seed(db, 6, core.url, problems=False)
    seed_kaigo(db, 3, core.url)
    seed_boshi(db, 6)
    core.set_faults(variants={subsystem: "v3"})

    result = run_once(settings, procedure, db=db)

    assert list(result.stopped) == [subsystem]
    assert element in result.stopped[subsystem]
    assert [i.outcome for i in result.items] == [OutcomeKind.STOPPED]  # the first, then no more
    mine = {k: r for k, r in rows(db).items() if r.procedure == procedure}
    assert {r.status for r in mine.values()} == {Status.RESOLVED.value}
    assert core.records("" if subsystem == "kosodate" else subsystem) == []
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert element in summary["stopped"][subsystem]
