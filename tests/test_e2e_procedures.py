"""Every procedure whose mock screens are data, keyed end to end (issue #14).

Each procedure of ``tests/procedures`` gets three good applications and its malformed ones
(at least two); one run of the bot over all of them — one browser and one logged-in session
per core system, as in production — keys the good ones and sends the malformed ones to 要確認.
Then, per procedure: every value of each good application is compared with the mock's
record (what ``expected`` says the vendor stores), its 受付番号 is the one written back, and
each malformed one ends 要確認 with exactly its reason and nothing registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from conftest import Core
from e2e_helpers import installation_settings, rows, set_data
from procedures import modules

from bots.demo import applications
from bots.demo.seed import post_residents
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.service import run_once

GOOD = 3
CASES = modules()


@dataclass
class Keyed:
    """The state after the one run: the applications' data before it, rows and records after."""

    data: dict[str, dict[str, Any]]
    rows: dict[str, ApplicationRow]
    records: dict[str, dict[str, Any]]  # application id → the mock's record


def _demo(case: ModuleType) -> ModuleType:
    return next(m for m in applications.modules() if m.PROCEDURE == case.PROCEDURE)


def _ids(case: ModuleType) -> list[str]:
    return [applications.application_id(_demo(case), i) for i in range(GOOD + len(case.MALFORMED))]


def _people_in_the_mock(core: Core, n: int) -> None:
    post_residents(core.url, [p for p, _ in applications.people("kosodate", n)])
    core._call("/kaigo/_testing/insured", "POST", [p for p, _ in applications.people("kaigo", n)])


def _selected(request: pytest.FixtureRequest) -> list[ModuleType]:
    """The cases this session runs (``-k`` narrows the one run too)."""
    chosen = {
        item.callspec.params["case"].PROCEDURE
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    return [c for c in CASES if c.PROCEDURE in chosen]


@pytest.fixture(scope="module")
def keyed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, core_url: str
) -> Keyed:
    cases = _selected(request)
    core = Core(core_url)
    core.reset()
    settings = installation_settings(tmp_path_factory.mktemp("procedures"), core_url)
    db = Database(settings.db_url)
    _people_in_the_mock(core, GOOD + max(len(c.MALFORMED) for c in cases))
    for case in cases:
        n = GOOD + len(case.MALFORMED)
        assert applications.seed_applications(db, n, only=case.PROCEDURE) == {case.PROCEDURE: n}
        for app_id, (change, _reason) in zip(_ids(case)[GOOD:], case.MALFORMED, strict=True):
            set_data(db, app_id, change)
    data = {app_id: row.data for app_id, row in rows(db).items()}

    run_once(settings, db=db)

    records: dict[str, dict[str, Any]] = {}
    for case in cases:
        for record in core._call(f"/_testing/forms/{case.PROCEDURE}"):
            tag = record["remarks"].rsplit("[renkei:", 1)[-1].rstrip("]")
            assert tag not in records, f"{tag} registered twice"
            records[tag] = record
    after = rows(db)
    db.dispose()
    return Keyed(data, after, records)


@pytest.mark.parametrize("case", CASES, ids=lambda m: m.PROCEDURE)
def test_every_value_is_in_the_mock_record(case: ModuleType, keyed: Keyed) -> None:
    for app_id in _ids(case)[:GOOD]:
        row = keyed.rows[app_id]
        assert row.status == "keyed", (app_id, row.reason)
        record = keyed.records[app_id]
        assert row.receipt_no == record["receipt_no"]
        assert record["subject_no"] in (
            row.atena_no,
            keyed.data[app_id].get("insured", {}).get("hihokensha_no"),
        )
        want = case.expected(keyed.data[app_id])
        assert {k: record["data"].get(k) for k in want} == want, app_id


@pytest.mark.parametrize("case", CASES, ids=lambda m: m.PROCEDURE)
def test_malformed_applications_wait_for_a_person_with_the_reason(
    case: ModuleType, keyed: Keyed
) -> None:
    assert len(case.MALFORMED) >= 2
    for app_id, (_change, reason) in zip(_ids(case)[GOOD:], case.MALFORMED, strict=True):
        row = keyed.rows[app_id]
        assert (row.status, row.reason) == ("needs_review", reason), app_id
        assert app_id not in keyed.records
