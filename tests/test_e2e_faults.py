"""Layout drift in 子育て: renamed ids found by a fallback strategy are keyed correctly and
reported, also when the vendor update lands between two applications of a run.

Every fault kind × every subsystem (500, session expiry, 503, the お知らせ modal, a layout
switch mid-form, latency, a breaking layout) is in ``test_fault_matrix.py``; these tests
check what only 子育て's renamed ids show: the drift report and the values keyed."""

from __future__ import annotations

from e2e_helpers import rows

from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import seed
from bots.queue.db import Database
from bots.service import run_once


def _keyed_once(db: Database, core, subsystem: str = "") -> None:
    for app_id, row in rows(db).items():
        assert row.status == Status.KEYED.value, (app_id, row.reason)
        found = core.records_for(app_id, subsystem)
        assert [r["receipt_no"] for r in found] == [row.receipt_no]


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
