"""The gaps the 予防接種 recipe found in the language, closed: a date as 8 digits, rules
between values, the core system's messages at a button before 登録, ``select`` by value.

What the shipped recipe now says is checked here without a browser — its schema against
applications (the run's check and the review correction's, which are the same), and each
new form's load-time mistakes at the exact file:line:column. Keying them is
``tests/test_e2e_yobou.py``.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_recipe_loading import located

from bots.docs.recipe_reference import recipe_reference
from bots.errors import RecipeError
from bots.recipe.model import Recipe, load_recipe
from bots.review import data_check
from bots.schema.loading import today_jst

REPO = Path(__file__).resolve().parents[1]
RECIPE = "recipes/yobou_sesshu.yaml"
SELECTORS = "selectors/yobou.yaml"
ATENA = "0003000001"

#: One valid 接種記録, as the management database stores it (dates ISO).
GOOD: dict[str, Any] = {
    "person": {
        "jumin_cd": ATENA,
        "name": "山田　花子",
        "kana": "ヤマダ　ハナコ",
        "sex": "女",
        "birth_date": "2025-01-15",
    },
    "vaccine": "四種混合",
    "category": "定期",
    "dose": 1,
    "site": "左上腕",
    "vaccinated_on": "2025-09-01",
    "lot_no": "AB1234-5",
    "clinic_code": "0812345678",
    "doctor": None,
    "remarks": "",
}


@pytest.fixture(scope="module")
def recipe() -> Recipe:
    return load_recipe(REPO / RECIPE, REPO / "selectors", REPO)


def problems(recipe: Recipe, **changes: Any) -> list[str]:
    data = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if key in data["person"]:
            data["person"][key] = value
        else:
            data[key] = value
    return [str(p) for p in recipe.schema.check(data).problems]


def test_the_good_record_passes(recipe: Recipe) -> None:
    assert problems(recipe) == []


def test_the_date_is_keyed_as_8_digits(recipe: Recipe) -> None:
    field = recipe.fields["vaccinated_on"]

    assert [getattr(t, "__name__", t) for t in field.transforms] == ["date_digits"]


DATE_PROBLEMS = [
    pytest.param("2025-02-30", "接種日: 2025-02-30 は存在しない日付です", id="no-such-day"),
    pytest.param(
        "2024-12-31",
        "接種日: 被接種者生年月日（2025-01-15）より前の日付です（2024-12-31）",
        id="before-birth",
    ),
    pytest.param(
        "2999-01-01", f"接種日: 未来の日付です（2999-01-01。今日は{today_jst()}）", id="future"
    ),
]


@pytest.mark.parametrize(("day", "message"), DATE_PROBLEMS)
def test_the_date_checks_of_a_date_item(recipe: Recipe, day: str, message: str) -> None:
    assert problems(recipe, vaccinated_on=day) == [message]


RULE_PROBLEMS = [
    pytest.param(
        {"vaccine": "ロタウイルス", "site": "左上腕"},
        "接種部位: ワクチン種別が「ロタウイルス」のときは「経口」に限ります（左上腕）",
        id="rota-not-oral",
    ),
    pytest.param(
        {"vaccine": "ヒブ", "site": "経口"},
        "ワクチン種別: 接種部位が「経口」のときは「ロタウイルス」に限ります（ヒブ）",
        id="oral-not-rota",
    ),
    pytest.param(
        {"category": "定期（キャッチアップ）"},
        "ワクチン種別: 接種区分が「定期（キャッチアップ）」のときは"
        "「ＨＰＶ（ヒトパピローマウイルス）」に限ります（四種混合）",
        id="catch-up-not-hpv",
    ),
    pytest.param(
        {"vaccine": "ＢＣＧ", "dose": 2},
        "接種回数: ワクチン種別が「ＢＣＧ」のときは1までです（2）",
        id="bcg-twice",
    ),
    pytest.param(
        {"vaccine": "水痘", "dose": 3},
        "接種回数: ワクチン種別が「水痘」のときは2までです（3）",
        id="varicella-three-times",
    ),
]


@pytest.mark.parametrize(("changes", "message"), RULE_PROBLEMS)
def test_rules_between_values(recipe: Recipe, changes: dict[str, Any], message: str) -> None:
    assert problems(recipe, **changes) == [message]


ALLOWED = [
    pytest.param({"vaccine": "ロタウイルス", "site": "経口", "dose": 3}, id="rota-oral-3"),
    pytest.param(
        {"vaccine": "ＨＰＶ（ヒトパピローマウイルス）", "category": "定期（キャッチアップ）"},
        id="hpv-catch-up",
    ),
    pytest.param({"vaccine": "ＢＣＧ", "dose": 1}, id="bcg-once"),
    pytest.param({"dose": 4}, id="four-for-the-others"),
]


@pytest.mark.parametrize("changes", ALLOWED)
def test_what_the_manual_allows_passes(recipe: Recipe, changes: dict[str, Any]) -> None:
    assert problems(recipe, **changes) == []


def test_an_item_already_wrong_is_reported_once(recipe: Recipe) -> None:
    # 接種回数 "二" fails its own check; the rule does not report it again
    assert problems(recipe, vaccine="ＢＣＧ", dose="二") == [
        "接種回数: 数字以外の文字があります（二）"
    ]


def test_the_review_correction_checks_the_rules_too(recipe: Recipe) -> None:
    data = copy.deepcopy(GOOD) | {"vaccine": "ＢＣＧ", "dose": 2}

    assert data_check(recipe, data, ATENA) == [
        "接種回数: ワクチン種別が「ＢＣＧ」のときは1までです（2）"
    ]
    assert data_check(recipe, data | {"dose": 1}, ATENA) == []


# --- load-time mistakes of the new forms ------------------------------------------------

CONFIRM = "  - click: {element: entry.confirm, errors: entry.errors}\n"
SEX = '      entry.sex: {value: "{sex_code}"}\n'
RULE = "    - {rule: at_most_if, item: dose, when: vaccine, equals: [ＢＣＧ, 二種混合（ＤＴ）], max: 1}\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in (RECIPE, SELECTORS):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def _edit(root: Path, old: str, new: str) -> str:
    path = root / RECIPE
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} is not unique"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


MISTAKES = [
    pytest.param(
        CONFIRM,
        "  - click: {element: entry.confirm, erors: entry.errors}\n",
        "erors: entry.errors",
        "unknown key 'erors' (did you mean 'errors'?)",
        id="click-misspelt-errors",
    ),
    pytest.param(
        CONFIRM,
        "  - click: {errors: entry.errors}\n",
        "{errors: entry.errors}",
        "'click' needs 'element' (the button to press)",
        id="click-without-element",
    ),
    pytest.param(
        CONFIRM,
        "  - click: {element: entry.confirm, errors: entry.eror}\n",
        "entry.eror",
        "unknown element of screen 'entry' 'eror' (did you mean 'errors'?)",
        id="click-unknown-errors-element",
    ),
    pytest.param(
        SEX,
        '      entry.sex: {valeu: "{sex_code}"}\n',
        'valeu: "{sex_code}"',
        "unknown key 'valeu' (did you mean 'value'?)",
        id="select-misspelt-value",
    ),
    pytest.param(
        SEX,
        '      entry.sex: {value: "{sex_cod}"}\n',
        '"{sex_cod}"',
        "unknown value '{sex_cod}' (did you mean 'sex_code'?)",
        id="select-value-unknown-field",
    ),
    pytest.param(
        RULE,
        RULE.replace("max: 1", "max: 一"),
        "max: 一",
        "rule 'at_most_if': max: Input should be a valid integer, unable to parse string as an"
        " integer",
        id="at-most-if-max-not-a-number",
    ),
    pytest.param(
        RULE,
        RULE.replace("when: vaccine", "when: vacine"),
        "when: vacine",
        "rule 'at_most_if': 'vacine' is not an item of the application (did you mean 'vaccine'?)",
        id="at-most-if-unknown-item",
    ),
    pytest.param(
        "equals: [経口], allowed: [ロタウイルス]}",
        "equals: [経口]}",
        "{rule: allowed_if, item: vaccine, when: site",
        "rule 'allowed_if': allowed: Field required",
        id="allowed-if-without-allowed",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), MISTAKES)
def test_a_mistake_in_a_new_form_is_located(
    root: Path, old: str, new: str, at: str, message: str
) -> None:
    text = _edit(root, old, new)

    with pytest.raises(RecipeError) as caught:
        load_recipe(root / RECIPE, root / "selectors", root)

    assert str(caught.value) == located(RECIPE, text, at, message)


def test_the_reference_shows_the_new_forms() -> None:
    text = recipe_reference()

    assert "| `date_digits` | The date as 8 digits ``YYYYMMDD``" in text
    assert "| `date_slash` | The date as ``YYYY/MM/DD``" in text
    assert "### `allowed_if`" in text and "### `at_most_if`" in text
    click = text.split("### `click`", 1)[1].split("### ", 1)[0]
    assert "- keys of the mapping under the step's name: `element`, `errors`" in click
    select = text.split("### `select`", 1)[1].split("### ", 1)[0]
    assert "- keys of each entry inside it: `value`" in select
