"""Every procedure whose mock screens are data, keyed end to end (issue #14).

One run per procedure keys three good applications and meets two malformed ones: every
value of the good ones is compared with the mock's record (``tests/procedures``), and the
malformed ones end 要確認 with the exact reason and nothing registered. The runs share the
session's mock server; each procedure's run is one browser, as in production.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from conftest import Core
from e2e_helpers import rows, set_data
from procedures import modules

from bots.config import Settings
from bots.contracts import Status
from bots.demo import applications
from bots.demo.seed import post_residents
from bots.queue.db import Database
from bots.service import run_once

GOOD = 3


def _people_in_the_mock(core: Core, module: ModuleType, n: int) -> None:
    people = [p for p, _ in applications.people(module.PEOPLE, n)]
    if module.PEOPLE == "kosodate":
        post_residents(core.url, people)
    else:
        core._call("/kaigo/_testing/insured", "POST", people)


@pytest.mark.parametrize("case", modules(), ids=lambda m: m.PROCEDURE)
def test_the_procedure_keys_every_value_and_refuses_what_is_malformed(
    case: ModuleType, settings: Settings, db: Database, core: Core
) -> None:
    seeded = next(m for m in applications.modules() if m.PROCEDURE == case.PROCEDURE)
    n = GOOD + len(case.MALFORMED)
    _people_in_the_mock(core, seeded, n)
    assert applications.seed_applications(db, n, only=case.PROCEDURE) == {case.PROCEDURE: n}
    ids = [applications.application_id(seeded, i) for i in range(n)]
    bad = dict(zip(ids[GOOD:], case.MALFORMED, strict=True))
    for app_id, (change, _reason) in bad.items():
        set_data(db, app_id, change)
    data = {app_id: row.data for app_id, row in rows(db).items()}

    run_once(settings, case.PROCEDURE, db=db)

    records = {
        r["remarks"].rsplit("[renkei:", 1)[-1].rstrip("]"): r
        for r in core._call(f"/_testing/forms/{case.PROCEDURE}")
    }
    after = rows(db)
    for app_id in ids[:GOOD]:
        row = after[app_id]
        assert row.status == Status.KEYED.value, (app_id, row.reason)
        record = records[app_id]
        assert row.receipt_no == record["receipt_no"]
        want = case.expected(data[app_id])
        assert {k: record["data"].get(k) for k in want} == want, app_id
        assert record["subject_no"] == row.atena_no or record["subject_no"]
    for app_id, (_change, reason) in bad.items():
        row = after[app_id]
        assert row.status == Status.NEEDS_REVIEW.value, app_id
        assert row.reason == reason, app_id
        assert app_id not in records
