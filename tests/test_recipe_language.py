"""The recipe language without Python: conditions, code lists, a per-application check and
the words of 本人確認 for other systems.

Load-time mistakes are checked on a copy of the shipped recipe, one change at a time, for
the exact message an IT officer reads (file:line:column). What the constructs do is
checked twice: conditions directly against scopes, and everything end to end — a copy of
the recipe using them keys real applications into the real mock core system.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import rows, set_data, update_row
from test_recipe_loading import Workspace, located

from bots import transforms
from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.errors import BusinessError, RecipeError
from bots.queue.db import Database
from bots.recipe.conditions import parse_condition
from bots.recipe.model import load_recipe
from bots.recipe.yamlpos import load_located
from bots.service import run_once
from bots.transforms import InvalidValue

REPO = Path(__file__).resolve().parents[1]
RECIPE = "recipes/jidou_teate_nintei.yaml"

IF_SPOUSE = "  - if: spouse_name\n"
CHILD_RELATION = "      relation: {from: relation, label: 続柄}\n"
FIELDS = "\nfields:\n"
CODES = '\ncodes:\n  relation: {"1": 子, "2": 孫, "9": その他}\n\nfields:\n'
ENTRY = "  - expect_screen: nintei_entry\n"
IDENTITY = "      rows: atena_search.result_rows\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "recipes").mkdir()
    (tmp_path / "selectors").mkdir()
    shutil.copy(REPO / RECIPE, tmp_path / RECIPE)
    shutil.copy(REPO / "selectors/kosodate.yaml", tmp_path / "selectors/kosodate.yaml")
    return Workspace(tmp_path)


def load_error(ws: Workspace) -> str:
    with pytest.raises(RecipeError) as caught:
        ws.load()
    return str(caught.value)


def _if(condition: str) -> tuple[str, str]:
    return IF_SPOUSE, f"  - if: {condition}\n"


# --- load-time mistakes ---------------------------------------------------------------

CONDITION_MISTAKES = [
    pytest.param(
        "{field: spouse_name, equal: 山田}",
        "equal: 山田",
        "unknown condition 'equal' (did you mean 'equals'?)",
        id="misspelt-operator",
    ),
    pytest.param(
        "{all: [{field: spouse_name, present: true}, {nott: {field: spouse_kana, equals: ア}}]}",
        "nott:",
        "unknown condition 'nott' (did you mean 'not'?)",
        id="misspelt-operator-nested",
    ),
    pytest.param(
        "{field: spouse_nme, present: true}",
        "spouse_nme",
        "unknown value 'spouse_nme' (did you mean 'spouse_name'?)",
        id="unknown-field",
    ),
    pytest.param(
        '{field: spouse_year, greater_than: "60"}',
        '"60"',
        "'greater_than' takes a number, not '60' (write it without quotes)",
        id="greater_than-text",
    ),
    pytest.param(
        "{field: spouse_year, less_than: 六十}",
        "六十",
        "'less_than' takes a number, not '六十' (write it without quotes)",
        id="less_than-not-a-number",
    ),
    pytest.param(
        "{field: spouse_name, present: true, equals: 山田}",
        "equals: 山田",
        "one test per condition ('present' and 'equals'): combine them with 'all'",
        id="two-tests",
    ),
    pytest.param(
        "{field: spouse_name}",
        "field: spouse_name}",
        "say what to test of 'spouse_name': equals, in, present, greater_than or less_than",
        id="no-test",
    ),
    pytest.param(
        "{equals: 山田}",
        "equals: 山田",
        "'equals' needs 'field': the value to test",
        id="no-field",
    ),
    pytest.param(
        "{any: [{field: spouse_name, present: true}], field: spouse_kana}",
        "field: spouse_kana",
        "'any' stands alone in its mapping; 'field' belongs in a condition inside it",
        id="combination-with-field",
    ),
    pytest.param(
        "{all: {field: spouse_name, present: true}}",
        "all:",
        "'all' takes a list of conditions",
        id="all-not-a-list",
    ),
    pytest.param(
        "{field: spouse_era, in: 昭和}",
        "in: 昭和",
        "'in' takes a list of values, e.g. [転出, 死亡]",
        id="in-not-a-list",
    ),
    pytest.param(
        "{field: spouse_name, present: yes please}",
        "present: yes",
        "'present' is true or false",
        id="present-not-bool",
    ),
    pytest.param(
        '{field: spouse_name, equals: ""}',
        '""',
        "compare with a value; for an empty one use 'present: false'",
        id="equals-empty",
    ),
    pytest.param(
        "{field: children, greater_than: 2}",
        "greater_than: 2",
        "'children' holds rows, not one value: test one of its fields, or 'present'",
        id="group-compared",
    ),
    pytest.param(
        "[spouse_name]",
        "[spouse_name]",
        'a condition is a field name or a mapping like {field: sex, equals: "2"}',
        id="condition-a-list",
    ),
]


@pytest.mark.parametrize(("condition", "at", "message"), CONDITION_MISTAKES)
def test_condition_mistake_is_located(ws: Workspace, condition: str, at: str, message: str) -> None:
    text = ws.edit(RECIPE, *_if(condition))

    assert load_error(ws) == located(RECIPE, text, at, message)


CODE_MISTAKES = [
    pytest.param(
        CODES,
        "      relation: {from: relation, transforms: [{code: relatoin}], label: 続柄}\n",
        "code: relatoin",
        "unknown code list 'relatoin' (did you mean 'relation'?)",
        id="misspelt-list",
    ),
    pytest.param(
        FIELDS,
        "      relation: {from: relation, transforms: [{code: relation}], label: 続柄}\n",
        "code: relation",
        "unknown code list 'relation' (declare it under 'codes:')",
        id="no-codes-section",
    ),
    pytest.param(
        CODES,
        "      relation: {from: relation, transforms: [strip, {cod: relation}], label: 続柄}\n",
        "cod: relation",
        "fields.children.fields.relation.transforms.1: unknown key 'cod' (did you mean 'code'?)",
        id="misspelt-key",
    ),
    pytest.param(
        CODES,
        "      relation: {from: relation, transforms: [{code: relation, code_of: relation}]}\n",
        "{code: relation, code_of",
        "fields.children.fields.relation.transforms.0: give exactly one of 'code' or 'code_of'",
        id="both-directions",
    ),
    pytest.param(
        '\ncodes:\n  relation: {"1": 子, "2": 子}\n\nfields:\n',
        "      relation: {from: relation, transforms: [{code_of: relation}], label: 続柄}\n",
        "code_of: relation",
        "code list 'relation' gives '子' to more than one code: 'code_of' could not choose",
        id="reverse-ambiguous",
    ),
    pytest.param(
        "\ncodes:\n  relation: {}\n\nfields:\n",
        "      relation: {from: relation, transforms: [{code: relation}], label: 続柄}\n",
        "relation: {}",
        "code list 'relation' is empty",
        id="empty-list",
    ),
    pytest.param(
        '\ncodes:\n  relation: {"1": [子]}\n\nfields:\n',
        CHILD_RELATION,
        '"1": [子]',
        "codes.relation.1: Input should be a valid string",
        id="label-not-text",
    ),
]


@pytest.mark.parametrize(("codes", "field", "at", "message"), CODE_MISTAKES)
def test_code_list_mistake_is_located(
    ws: Workspace, codes: str, field: str, at: str, message: str
) -> None:
    ws.edit(RECIPE, FIELDS, codes)
    text = ws.edit(RECIPE, CHILD_RELATION, field)

    assert load_error(ws) == located(RECIPE, text, at, message)


STEP_MISTAKES = [
    pytest.param(
        ENTRY,
        ENTRY + '  - expect: {nintei_entry.claimant_name: "{name}"}\n    otherwise: reveiw\n',
        "otherwise: reveiw",
        "'otherwise' is stop or review, not 'reveiw' (did you mean 'review'?)",
        id="expect-otherwise",
    ),
    pytest.param(
        ENTRY,
        ENTRY + '  - expect: {nintei_entry.claimant_name: "{name}"}\n    message: 確認して\n',
        "message: 確認して",
        "'message' is the clerk's text of 'otherwise: review'",
        id="expect-message-without-review",
    ),
    pytest.param(
        ENTRY,
        ENTRY + "  - expect: {nintei_entry.claimant_name: {equal: x}}\n    otherwise: review\n",
        "equal: x",
        "unknown key 'equal' (did you mean 'equals'?)",
        id="expect-misspelt-equals",
    ),
    pytest.param(
        IDENTITY,
        IDENTITY + "      subjet: 被保険者\n",
        "subjet: 被保険者",
        "unknown key 'subjet' (did you mean 'subject'?)",
        id="verify-misspelt-subject",
    ),
    pytest.param(
        IDENTITY,
        IDENTITY + '      subject: "{name}"\n',
        'subject: "{name}"',
        "'subject' is a word for the messages, e.g. 被保険者",
        id="verify-subject-template",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), STEP_MISTAKES)
def test_step_option_mistake_is_located(
    ws: Workspace, old: str, new: str, at: str, message: str
) -> None:
    text = ws.edit(RECIPE, old, new)

    assert load_error(ws) == located(RECIPE, text, at, message)


def test_the_new_constructs_load(ws: Workspace) -> None:
    ws.edit(RECIPE, FIELDS, CODES)
    ws.edit(
        RECIPE, CHILD_RELATION, "      relation: {from: relation, transforms: [{code: relation}]}\n"
    )
    ws.edit(
        RECIPE, *_if("{all: [{field: spouse_name, present: true}, {not: {field: x, equals: 1}}]}")
    )
    with pytest.raises(RecipeError, match="unknown value 'x'"):
        ws.load()
    ws.edit(RECIPE, "{field: x, equals: 1}", "{field: spouse_kana, in: [ア, イ]}")
    ws.edit(
        RECIPE,
        ENTRY,
        ENTRY + '  - expect: {nintei_entry.claimant_name: "{name}"}\n    otherwise: review\n',
    )
    ws.edit(RECIPE, IDENTITY, IDENTITY + "      subject: 受給者\n      searched_by: 宛名コード\n")

    ws.load()


# --- conditions, evaluated ------------------------------------------------------------


def _condition(tmp_path: Path, yaml_text: str, names: set[str]) -> Any:
    path = tmp_path / "c.yaml"
    path.write_text(f"if: {yaml_text}\n", encoding="utf-8")
    doc = load_located(path, "c.yaml")

    def check(value: Any, where: Any) -> str:
        if str(value).split(".")[0] not in names:
            raise RecipeError(f"unknown value '{value}'", where)
        return str(value)

    return parse_condition(doc["if"], doc.pos_of("if"), check)


SCOPE = {
    "sex": "2",
    "count": 2,
    "flag": False,
    "age": "６５",
    "blank": "　",
    "reason": "転出",
    "child": {"relation": "孫"},
}

CONDITIONS = [
    ("sex", True),
    ("blank", False),
    ("flag", False),
    ("missing", False),
    ('{field: sex, equals: "2"}', True),
    ("{field: sex, equals: 2}", True),  # a number written without quotes means the same
    ('{field: count, equals: "2"}', True),  # and a form's number equals its text
    ("{field: flag, equals: false}", True),
    ("{field: flag, present: true}", False),
    ("{field: missing, present: false}", True),
    ("{field: missing, equals: x}", False),
    ("{field: reason, in: [転出, 死亡]}", True),
    ("{field: reason, in: [転入]}", False),
    ("{field: child.relation, equals: 孫}", True),
    ("{field: age, greater_than: 64}", True),  # full-width digits are a number
    ("{field: age, greater_than: 65}", False),
    ("{field: age, less_than: 65.5}", True),
    ("{field: missing, greater_than: 0}", False),
    ("{not: {field: sex, equals: '1'}}", True),
    ("{all: [{field: sex, equals: '2'}, {field: reason, in: [転出]}]}", True),
    ("{all: [{field: sex, equals: '2'}, {field: reason, in: [転入]}]}", False),
    ("{any: [{field: sex, equals: '1'}, {field: reason, in: [転出]}]}", True),
    ("{any: [{field: sex, equals: '1'}, {not: {field: flag, equals: false}}]}", False),
]


@pytest.mark.parametrize(("yaml_text", "expected"), CONDITIONS)
def test_condition_result(tmp_path: Path, yaml_text: str, expected: bool) -> None:
    condition = _condition(tmp_path, yaml_text, set(SCOPE) | {"missing"})

    assert condition.evaluate(SCOPE).result is expected


def test_verdict_says_why_without_the_value(tmp_path: Path) -> None:
    condition = _condition(
        tmp_path,
        "{all: [{field: sex, equals: '2'}, {not: {field: reason, in: [転入, 死亡]}}]}",
        set(SCOPE),
    )

    verdict = condition.evaluate(SCOPE)

    assert str(verdict) == (
        "すべて（sex が「2」: 真、否定（reason が「転入・死亡」のいずれか: 偽）: 真）: 真"
    )
    assert "転出" not in str(verdict)  # what the application holds is not repeated


def test_a_value_that_is_not_a_number_needs_a_person(tmp_path: Path) -> None:
    condition = _condition(tmp_path, "{field: reason, greater_than: 1}", set(SCOPE))

    with pytest.raises(BusinessError) as caught:
        condition.evaluate(SCOPE)

    assert (
        str(caught.value)
        == "条件を判定できません: reason の値が数値ではありません（レシピ c.yaml:1:21）"
    )


# --- end to end: the real engine against the mock core system --------------------------


@pytest.fixture
def language(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """The shipped recipe using a code list for 続柄, a condition for 配偶者 and its own
    words for 本人確認, installed as the only recipe of the installation."""
    shutil.copy(REPO / "recipes/gaiji.txt", ws.root / "recipes/gaiji.txt")
    ws.edit(RECIPE, "relation: {label: 続柄, choices: [子, 孫, その他]}", "relation: {label: 続柄}")
    ws.edit(RECIPE, "      relations: [子]\n", '      relations: ["1"]\n')
    ws.edit(RECIPE, FIELDS, CODES)
    ws.edit(
        RECIPE,
        CHILD_RELATION,
        "      relation: {from: relation, transforms: [{code: relation}], label: 続柄}\n",
    )
    # 配偶者 keyed only when given and not marked as not to be keyed (a contrived rule, so
    # that the else branch is taken for an application that has a spouse)
    ws.edit(
        RECIPE,
        *_if(
            "{all: [{field: spouse_name, present: true},"
            " {not: {field: spouse_kana, in: [ミトウロク　ハナコ]}}]}"
        ),
    )
    ws.edit(RECIPE, IDENTITY, IDENTITY + "      subject: 受給者\n      searched_by: 宛名コード\n")
    monkeypatch.setenv("RENKEI_RECIPES", str(ws.root / "recipes"))
    yield ws


def _spouse(kana: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        birth = data["applicant"]["birth_date"]
        data["spouse"] = {"name": "山田　花子", "kana": kana, "birth_date": birth}
        for child in data["children"]:
            child["relation"] = "2"

    return change


def test_conditions_and_code_lists_key_through_the_engine(
    language: Workspace, settings: Settings, db: Database, core
) -> None:
    seed(db, 4, core.url, problems=False)
    keyed, skipped, bad_code, unknown = (application_id(i) for i in range(4))
    set_data(db, keyed, _spouse("ヤマダ　ハナコ"))
    set_data(db, skipped, _spouse("ミトウロク　ハナコ"))
    for app in (bad_code, unknown):
        set_data(db, app, lambda d: [c.update(relation="1") for c in d["children"]])
    set_data(db, bad_code, lambda d: d["children"][0].update(relation="7"))
    update_row(db, unknown, atena_no="0999999999")

    result = run_once(settings, db=db)

    status = {app: row.status for app, row in rows(db).items()}
    assert status == {
        keyed: Status.KEYED.value,
        skipped: Status.KEYED.value,
        bad_code: Status.NEEDS_REVIEW.value,
        unknown: Status.NEEDS_REVIEW.value,
    }
    [with_spouse] = core.records_for(keyed)
    assert with_spouse["spouse"]["kana"] == "ヤマダ　ハナコ"
    assert {c["relation"] for c in with_spouse["children"]} == {"孫"}  # "2" through the list
    [without] = core.records_for(skipped)
    assert without["spouse"] is None  # the condition chose else despite the spouse
    assert core.records_for(bad_code) == [] and core.records_for(unknown) == []
    assert rows(db)[bad_code].reason == (
        "申請データに不備があります: 児童1 続柄: コード表「relation」にないコードです（7）。"
        "使えるコード: 1（子）、2（孫）、9（その他）"
    )
    assert rows(db)[unknown].reason == (
        "基幹システムに該当する受給者が見つかりません（宛名コードを確認してください）"
    )
    lines = [json.loads(line) for line in result.audit_path.read_text().splitlines()]
    branches = {line["application"]: line["detail"] for line in lines if line["step"] == "if"}
    assert branches[keyed] == (
        "then（すべて（spouse_name が入力あり: 真、"
        "否定（spouse_kana が「ミトウロク　ハナコ」: 偽）: 真）: 真）"
    )
    assert branches[skipped].startswith("else（") and branches[skipped].endswith(": 偽）")


@pytest.mark.parametrize("otherwise", ["review", None])
def test_expect_per_application_or_stop(
    ws: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    db: Database,
    core,
    otherwise: str | None,
) -> None:
    shutil.copy(REPO / "recipes/gaiji.txt", ws.root / "recipes/gaiji.txt")
    option = f"    otherwise: {otherwise}\n    message: 宛名番号の表示を確認してください\n"
    ws.edit(
        RECIPE,
        ENTRY,
        ENTRY  # the entry screen never shows the tag as 宛名番号: every application differs
        + '  - expect: {nintei_entry.claimant_atena_no: {equals: "{remarks_tag}", label: 宛名番号}}\n'
        + (option if otherwise else ""),
    )
    monkeypatch.setenv("RENKEI_RECIPES", str(ws.root / "recipes"))
    seed(db, 2, core.url, problems=False)

    result = run_once(settings, db=db)

    assert core.records() == []
    first, second = rows(db)[application_id(0)], rows(db)[application_id(1)]
    if otherwise == "review":  # a fact about each application: both to a person, no stop
        assert result.stopped == {}
        for row in (first, second):
            assert row.status == Status.NEEDS_REVIEW.value
            assert row.reason == (
                f"宛名番号の表示を確認してください（宛名番号: 画面「{row.atena_no}」、"
                f"想定「[renkei:{row.id}]」）"
            )
    else:  # the default: the screen is not what the recipe assumes, the subsystem stops
        assert set(result.stopped) == {"kosodate"}
        assert "画面が想定と異なります" in result.stopped["kosodate"]
        # back to the queue untouched, the second not even tried
        assert (first.status, second.status) == (Status.RESOLVED.value, Status.RESOLVED.value)
        assert len(result.items) == 1


def test_code_lists_map_both_ways_and_refuse_what_is_not_listed(ws: Workspace) -> None:
    ws.edit(RECIPE, FIELDS, CODES)
    ws.edit(
        RECIPE,
        CHILD_RELATION,
        "      relation: {from: relation, transforms: [strip, {code_of: relation}]}\n"
        "      relation_label: {from: relation, transforms: [{code: relation}]}\n",
    )
    recipe = load_recipe(ws.recipe, ws.root / "selectors", ws.root)
    fields = recipe.groups["children"].fields
    to_code, to_label = fields["relation"].transforms, fields["relation_label"].transforms

    assert transforms.apply(to_code, " 孫 ") == "2"
    assert transforms.apply(to_label, "９") == "その他"  # full-width digits from an IME
    assert transforms.apply(to_label, 1) == "子"  # a form's number
    with pytest.raises(InvalidValue) as caught:
        transforms.apply(to_code, "甥")
    assert str(caught.value) == (
        "コード表「relation」にない値です（甥）。使えるコード: 1（子）、2（孫）、9（その他）"
    )
