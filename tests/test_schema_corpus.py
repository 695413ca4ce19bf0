"""Malformed applications of all three procedures: never keyed, always 要確認 with the reason.

The corpus ``tests/corpus/procedures.yaml`` spoils valid seeded applications of 児童手当
認定請求 (子育て), 要介護・要支援認定の申請 (介護保険, frameset) and 妊娠の届出 (母子保健,
single-page app): items the recipe checks but does not key, unknown items, the laws'
plausibility rules, and 本人確認 against the resident the core system shows. The whole
corpus goes through ONE end-to-end run (all three procedures in one ``run_once``, real
Chromium, the real mock core system); every case is then checked on its own: 要確認, every
expected substring in the reason, no record of it in any subsystem, no personal number in
the reason, and nothing typed when it was caught before the entry screen. The controls in
the same run (values the bot normalises) are keyed once, with the normalised values in the
core system's record.
"""

from __future__ import annotations

import copy
import functools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jaconv
import pytest
import yaml
from conftest import ROOT, Core
from corpus_edits import (
    case_ids as _ids,
)
from corpus_edits import (
    convert_path as _convert,
)
from corpus_edits import (
    get_path as _get,
)
from corpus_edits import (
    parent_of as _parent,
)
from corpus_edits import (
    set_path as _set,
)
from e2e_helpers import installation_settings, rows

from bots import transforms
from bots.config import Settings
from bots.contracts import Status
from bots.demo.fake import make_dataset
from bots.demo.procedures import boshi_application, kaigo_dataset
from bots.demo.seed import _post, post_residents
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import Recipe
from bots.results import ItemResult, RunResult
from bots.service import load_recipes, run_once

CORPUS = Path(__file__).resolve().parent / "corpus"
SPEC = yaml.safe_load((CORPUS / "procedures.yaml").read_text(encoding="utf-8"))
CONTROLS: list[dict[str, Any]] = SPEC["controls"]
CASES: list[dict[str, Any]] = SPEC["cases"]
ALL = CONTROLS + CASES  # the claim order of the run

JIDOU, KAIGO, BOSHI = "jidou_teate_nintei", "kaigo_nintei", "boshi_ninshin"
#: procedure → (application id prefix, the subsystem's testing API prefix)
PROCEDURES = {JIDOU: ("JT-SC", ""), KAIGO: ("KG-SC", "kaigo"), BOSHI: ("BH-SC", "boshi")}
STAGES = {"data", "resident", "core"}
DATA_PREFIX = "申請データに不備があります"
FIRST_CLAIM = datetime(2026, 11, 20, 9, 0)
CHANGE_KEYS = {
    "set",
    "delete",
    "copy",
    "children_count",
    "hiragana",
    "hankaku_kana",
    "zenkaku",
    "resident",
}


# --- applying a case's change to a seeded application ------------------------------------


def apply_change(change: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """The edit of the form data a corpus case describes (see the corpus's header)."""
    unknown = set(change) - CHANGE_KEYS
    assert not unknown, f"unknown change keys {unknown} in the corpus"

    def edit(data: dict[str, Any]) -> None:
        if "children_count" in change:
            first = data["children"][0]
            data["children"] = [copy.deepcopy(first) for _ in range(change["children_count"])]
        for path, value in (change.get("set") or {}).items():
            _set(data, path, value)
        for path, source in (change.get("copy") or {}).items():
            _set(data, path, _get(data, source))
        for path in change.get("delete") or []:
            node, last = _parent(data, path)
            del node[last]
        for path in change.get("hankaku_kana") or []:
            _convert(data, path, lambda s: str(jaconv.z2h(s, kana=True, ascii=True)))
        for path in change.get("hiragana") or []:
            _convert(data, path, lambda s: str(jaconv.kata2hira(s)))
        for path in change.get("zenkaku") or []:  # digits and hyphens as an IME types them
            _convert(data, path, lambda s: str(jaconv.h2z(s, kana=False, ascii=True, digit=True)))

    return edit


def test_corpus_is_well_formed() -> None:
    ids = _ids(ALL)
    assert len(set(ids)) == len(ids), "case ids must be unique"
    assert len(CASES) >= 45
    for control in CONTROLS:
        assert set(control) <= {"id", "why", "procedure", "change", "expect_record"}
        assert control["procedure"] in PROCEDURES and control["why"], control["id"]
        apply_change(control["change"])
    for case in CASES:
        allowed = {"id", "why", "procedure", "rule", "change", "stage", "expect_reason"}
        assert set(case) <= allowed | {"expect_core"}, case["id"]
        assert case["procedure"] in PROCEDURES, case["id"]
        assert case["why"] and case["rule"] and case["stage"] in STAGES, case["id"]
        assert case.get("expect_reason"), f"{case['id']}: say what the reason must contain"
        for text in case["expect_reason"] + (case.get("expect_core") or []):
            assert isinstance(text, str), f"{case['id']}: {text!r} (quote it in the YAML)"
        assert (case["stage"] == "core") == bool(case.get("expect_core")), case["id"]
        apply_change(case["change"])  # checks the keys
    per_procedure = Counter(case["procedure"] for case in CASES)
    assert all(per_procedure[p] >= 10 for p in PROCEDURES), per_procedure
    per_rule = Counter(case["rule"] for case in CASES if case["stage"] != "core")
    assert all(n >= 2 for n in per_rule.values()), per_rule


# --- seeding: one household / insured person per case ------------------------------------


@dataclass
class Seeded:
    procedure: str
    app_id: str
    atena_no: str
    person: dict[str, Any]  # the resident (insured person) as the core system holds them
    data: dict[str, Any]  # the application as seeded, before the case's change


def _seed_all() -> dict[str, Seeded]:
    """A valid seeded application for every corpus entry, by case id (deterministic)."""
    wanted = Counter(item["procedure"] for item in ALL)
    households = make_dataset(wanted[JIDOU] + 4 * wanted[BOSHI] + 10, seed=2026)
    jidou = iter(households[: wanted[JIDOU]])
    women = iter(
        (index, resident)
        for index, (resident, _) in enumerate(households)
        if index >= wanted[JIDOU] and resident["gender"] == "女"
    )
    insured = iter(kaigo_dataset(wanted[KAIGO]))
    numbers: Counter[str] = Counter()
    out: dict[str, Seeded] = {}
    for item in ALL:
        procedure = item["procedure"]
        numbers[procedure] += 1
        app_id = f"{PROCEDURES[procedure][0]}-{numbers[procedure]:04d}"
        if procedure == JIDOU:
            person, data = next(jidou)
        elif procedure == BOSHI:
            index, person = next(women)
            data = boshi_application(person, index)
        else:
            person, data = next(insured)
        person = {**copy.deepcopy(person), **(item["change"].get("resident") or {})}
        out[item["id"]] = Seeded(procedure, app_id, person["atena_no"], person, data)
    return out


SEEDED = _seed_all()


@functools.cache
def _recipes() -> dict[str, Recipe]:
    return load_recipes(Settings(root=ROOT))


def _checked(seeded: Seeded) -> dict[str, Any]:
    result = _recipes()[seeded.procedure].schema.check(seeded.data)
    assert result.ok, f"{seeded.app_id}: {[str(p) for p in result.problems]}"
    return result.data


def test_every_seeded_application_is_valid_before_its_change() -> None:
    """A case must fail for its own change only: the applications it spoils are valid."""
    for case_id, seeded in SEEDED.items():
        result = _recipes()[seeded.procedure].schema.check(seeded.data)
        assert result.ok, f"{case_id}: {[str(p) for p in result.problems]}"


# --- one run over the whole corpus -------------------------------------------------------


@dataclass
class CorpusRun:
    result: RunResult
    seconds: float
    rows: dict[str, ApplicationRow]
    items: dict[str, ItemResult]
    records: dict[str, list[dict[str, Any]]]  # subsystem → everything it holds after the run

    def records_for(self, app_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The records carrying this application's tag, in any subsystem."""
        tag = f"[renkei:{app_id}]"
        return [
            (subsystem, record)
            for subsystem, records in self.records.items()
            for record in records
            if tag in (record.get("remarks") or "")
        ]


def _secrets(data: dict[str, Any]) -> list[str]:
    """The personal and account numbers of the application, as they would be keyed."""
    out = []
    for path, transform in (
        ("applicant.my_number", "my_number"),
        ("bank.account_no", "account_no"),
    ):
        try:
            value = _get(data, path)
        except (KeyError, TypeError):
            continue
        if value:
            out.append(str(transforms.apply([transform], value)))
    return out


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[CorpusRun]:
    base = tmp_path_factory.mktemp("schema_corpus")
    settings = installation_settings(base, core_url)
    core = Core(core_url)
    core.reset()
    db = Database(settings.db_url)
    try:
        with db.session() as s:
            for index, item in enumerate(ALL):
                seeded = SEEDED[item["id"]]
                data = copy.deepcopy(seeded.data)
                apply_change(item["change"])(data)
                s.add(
                    ApplicationRow(
                        id=seeded.app_id,
                        procedure=seeded.procedure,
                        received_at=FIRST_CLAIM + timedelta(minutes=index),
                        status=Status.RESOLVED.value,
                        atena_no=seeded.atena_no,
                        data=data,
                        attempts=0,
                        needs_verification=False,
                    )
                )
        people = list(SEEDED.values())
        post_residents(core_url, [p.person for p in people if p.procedure != KAIGO])
        _post(
            core_url, "/kaigo/_testing/insured", [p.person for p in people if p.procedure == KAIGO]
        )

        started = datetime.now()
        result = run_once(settings, db=db)
        seconds = (datetime.now() - started).total_seconds()

        yield CorpusRun(
            result=result,
            seconds=seconds,
            rows=rows(db),
            items={item.application_id: item for item in result.items},
            records={sub: core.records(sub) for _, sub in PROCEDURES.values()},
        )
    finally:
        db.dispose()


def test_the_run_went_through_every_application(corpus_run: CorpusRun) -> None:
    """No bad application may stop the run: the ones after it would wait for nothing."""
    result = corpus_run.result
    assert result.stopped == {}, f"the run stopped: {result.stopped}"
    processed = sorted(item.application_id for item in result.items)
    assert processed == sorted(s.app_id for s in SEEDED.values())
    print(f"\none run over {len(ALL)} applications: {corpus_run.seconds:.1f}s")


def test_the_core_system_holds_the_controls_only(corpus_run: CorpusRun) -> None:
    tags = {f"[renkei:{SEEDED[c['id']].app_id}]" for c in CONTROLS}
    for subsystem, records in corpus_run.records.items():
        for record in records:
            assert any(tag in (record.get("remarks") or "") for tag in tags), (subsystem, record)
    assert sum(len(r) for r in corpus_run.records.values()) == len(CONTROLS)


@pytest.mark.parametrize("case", CONTROLS, ids=_ids(CONTROLS))
def test_control_is_keyed_once(corpus_run: CorpusRun, case: dict[str, Any]) -> None:
    seeded = SEEDED[case["id"]]
    row = corpus_run.rows[seeded.app_id]
    assert row.status == Status.KEYED.value, (row.status, row.reason, row.core_message)
    [(subsystem, record)] = corpus_run.records_for(seeded.app_id)
    assert subsystem == PROCEDURES[seeded.procedure][1]
    assert record["receipt_no"] == row.receipt_no
    if "atena_no" in record:
        assert record["atena_no"] == row.atena_no
    for path, expected in (case.get("expect_record") or {}).items():
        if isinstance(expected, dict):  # {seeded: path}: the seeded value, normalised
            expected = _get(_checked(seeded), expected["seeded"])
        assert _get(record, path) == expected, (path, record)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_bad_application_needs_review_and_is_not_keyed(
    corpus_run: CorpusRun, case: dict[str, Any]
) -> None:
    seeded = SEEDED[case["id"]]
    row = corpus_run.rows[seeded.app_id]
    item = corpus_run.items.get(seeded.app_id)
    what = f"{case['id']} ({case['why']})"

    assert corpus_run.records_for(seeded.app_id) == [], f"{what}: keyed into the core system"
    assert row.status == Status.NEEDS_REVIEW.value, (
        f"{what}: status {row.status}, reason {row.reason!r}, core {row.core_message!r}"
    )
    reason = row.reason or ""
    for expected in case["expect_reason"]:
        assert expected in reason, f"{what}: {expected!r} not in the reason {reason!r}"
    for expected in case.get("expect_core") or []:
        assert expected in (row.core_message or ""), (
            f"{what}: {expected!r} not in the core message {row.core_message!r}"
        )
    for secret in _secrets(row.data):
        assert secret not in reason + (row.core_message or ""), f"{what}: a number in clear"
    assert row.receipt_no is None

    assert item is not None
    shots = [e.label for e in item.evidence]
    if case["stage"] == "data":  # caught before the browser was used for it
        assert reason.startswith(DATA_PREFIX), f"{what}: {reason!r}"
        assert shots == []
    elif case["stage"] == "resident":  # 本人確認 failed: nothing was typed
        assert not reason.startswith(DATA_PREFIX), f"{what}: {reason!r}"
        assert "before_register" not in shots
    else:  # the core system refused it: the evidence shows the form and the refusal
        assert shots == ["before_register", "needs_review"]
