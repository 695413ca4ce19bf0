"""Every fault of the test bed ends the same way in all three subsystems.

Each case seeds a few applications of one subsystem's procedure, switches one fault on
through the mock's operator endpoint, runs the bot once (real Chromium, the real mock
server) and compares what a clerk would compare: the core system's records with the
management database. The outcomes:

* transient faults (HTTP 500 on 登録, session expiry, the お知らせ modal, a layout switch
  between the form's load and its post, latency): every application keyed exactly once,
  with the receipt number the management database holds;
* the nightly batch (503): the subsystem paused, nothing keyed, nothing lost (all still
  連携待ち), and after the batch the next run keys each exactly once;
* a breaking layout: the subsystem stopped naming the element, nothing keyed at all.

The mock counts every fault it applied (``/_admin/faults/injected``), so a case whose
fault never fired fails instead of passing for nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_helpers import rows, update_row

from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.fake import make_dataset
from bots.demo.seed import post_residents, seed, seed_boshi, seed_kaigo
from bots.queue.db import Database
from bots.results import RunResult
from bots.service import run_once

#: Applications per case: enough for a fault to meet one application and not the next.
N = 2


def _seed_boshi(db: Database, url: str) -> None:
    post_residents(url, [resident for resident, _ in make_dataset(4)])  # 2 women of 4
    assert seed_boshi(db, 4) == N


@dataclass(frozen=True)
class Subsystem:
    name: str
    procedure: str
    records: str  # the mock's records prefix ('' = 子育て)
    seed: Callable[[Database, str], Any]
    session_expiry_after: int  # a session ends inside the first application, and again
    breaking_element: str  # what a breaking layout (v3) stops on


SUBSYSTEMS = [
    Subsystem(
        "kosodate",
        "jidou_teate_nintei",
        "",
        lambda db, url: seed(db, N, url, problems=False),
        7,
        "要素 bank_code",
    ),
    Subsystem(
        "kaigo",
        "kaigo_nintei",
        "kaigo",
        lambda db, url: seed_kaigo(db, N, url),
        9,
        "要素 hihokensha_no",
    ),
    Subsystem("boshi", "boshi_ninshin", "boshi", _seed_boshi, 5, "要素 weeks"),
]

#: fault kind → (fault settings for a subsystem, the injected count that proves it fired)
FAULTS: dict[str, tuple[Callable[[Subsystem], dict[str, Any]], str]] = {
    # seed 2: the register draws go 500, ok, 500, ok, …: each application meets a 500
    "register_500": (lambda s: {"register_500_rate": 0.5, "seed": 2}, "register_500"),
    "session_expiry": (
        lambda s: {"session_expiry_after": s.session_expiry_after},
        "session_expiry",
    ),
    "notice": (lambda s: {"notice_rate": 0.5, "seed": 3}, "notice"),
    "layout_switch": (lambda s: {"switch_after_form": {s.name: "v2"}}, "stale_form"),
    "latency": (lambda s: {"latency_ms": 60, "latency_jitter_ms": 40}, "latency"),
}


def _cases(kinds: list[str]) -> list[Any]:
    return [pytest.param(s, k, id=f"{s.name}-{k}") for s in SUBSYSTEMS for k in kinds]


def _mine(db: Database, sub: Subsystem) -> dict[str, Any]:
    return {k: r for k, r in rows(db).items() if r.procedure == sub.procedure}


def _keyed_once(db: Database, core: Any, sub: Subsystem) -> None:
    """Each application 連携済 with the one record the core system holds for it."""
    mine = _mine(db, sub)
    assert len(mine) == N
    for app_id, row in mine.items():
        assert row.status == Status.KEYED.value, (app_id, row.status, row.reason)
        found = core.records_for(app_id, sub.records)
        assert [r["receipt_no"] for r in found] == [row.receipt_no], app_id
    assert len(core.records(sub.records)) == N  # nothing else keyed either


def _injected(core: Any) -> dict[str, int]:
    return dict(core._call("/_admin/faults/injected"))


def _audit(result: RunResult) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.audit_path.read_text().splitlines()]


@pytest.fixture
def fast(settings: Settings) -> Settings:
    settings.transient_tries = 3  # enough for the seeded sequences above, no more
    return settings


@pytest.mark.parametrize(("sub", "kind"), _cases(list(FAULTS)))
def test_transient_fault_is_retried_and_keyed_exactly_once(
    fast: Settings, db: Database, core: Any, sub: Subsystem, kind: str
) -> None:
    sub.seed(db, core.url)
    faults, proof = FAULTS[kind]
    core.set_faults(**faults(sub))

    result = run_once(fast, sub.procedure, db=db)

    assert _injected(core).get(proof, 0) >= 1, f"the fault {kind} never fired"
    assert not result.stopped and not result.paused
    _keyed_once(db, core, sub)
    if kind in ("notice", "latency"):  # nothing to retry: each keyed at its first try
        assert {i.outcome for i in result.items} == {OutcomeKind.KEYED}
    if kind == "notice":
        closed = [e for e in _audit(result) if e["step"] == "interrupt"]
        assert closed and all(e["element"] == "notice" for e in closed)
    if kind == "layout_switch":  # the old form's post was refused, the new screen keyed
        assert _injected(core)["layout_switch"] == 1


@pytest.mark.parametrize("sub", SUBSYSTEMS, ids=[f"{s.name}-maintenance" for s in SUBSYSTEMS])
def test_maintenance_pauses_loses_nothing_and_the_next_run_keys_once(
    fast: Settings, db: Database, core: Any, sub: Subsystem
) -> None:
    sub.seed(db, core.url)
    core.set_faults(maintenance=True)
    fast.transient_tries = 2

    paused = run_once(fast, sub.procedure, db=db)

    assert "503" in paused.paused[sub.name]
    assert _injected(core)["maintenance_503"] >= 1
    assert [i.outcome for i in paused.items] == [OutcomeKind.RETRY]  # then no more claims
    assert {r.status for r in _mine(db, sub).values()} == {Status.RESOLVED.value}
    assert {r.attempts for r in _mine(db, sub).values()} == {0}  # the system's fault: uncounted
    assert core.records(sub.records) == []

    core.set_faults(maintenance=False)
    for app_id in _mine(db, sub):  # the postponed one is due again (its retry time passed)
        update_row(db, app_id, retry_at=None)
    run_once(fast, sub.procedure, db=db)
    _keyed_once(db, core, sub)


@pytest.mark.parametrize("sub", SUBSYSTEMS, ids=[f"{s.name}-breaking_layout" for s in SUBSYSTEMS])
def test_breaking_layout_stops_the_subsystem_naming_the_element(
    fast: Settings, db: Database, core: Any, sub: Subsystem
) -> None:
    sub.seed(db, core.url)
    core.set_faults(variants={sub.name: "v3"})
    fast.timeout_ms = 3000  # the missing element is waited for this long, then named

    result = run_once(fast, sub.procedure, db=db)

    assert list(result.stopped) == [sub.name]
    assert sub.breaking_element in result.stopped[sub.name]
    assert [i.outcome for i in result.items] == [OutcomeKind.STOPPED]  # the first, then no more
    assert {r.status for r in _mine(db, sub).values()} == {Status.RESOLVED.value}
    assert core.records(sub.records) == []  # nothing half-keyed
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert sub.breaking_element in summary["stopped"][sub.name]
