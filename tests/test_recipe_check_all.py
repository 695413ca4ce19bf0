"""``renkei recipe check`` reports every mistake of a recipe and its selector file in one
pass — each once, at its own file:line:column, with a hint for structural mistakes — so IT
staff fix them all before the next try instead of one per try.

Like tests/test_recipe_loading.py, each test copies the shipped 児童手当 recipe and the
子育て selector file and breaks them the way people do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bots.cli.main import cli
from bots.errors import RecipeError
from bots.recipe.model import load_recipe

REPO = Path(__file__).resolve().parents[1]
RECIPE = "recipes/jidou_teate_nintei.yaml"
SELECTORS = "selectors/kosodate.yaml"


class Copy:
    """The shipped recipe and selector file under ``root``, to be broken."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for relative in (RECIPE, SELECTORS):
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / relative, root / relative)

    def edit(self, relative: str, *changes: tuple[str, str]) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        for old, new in changes:
            assert text.count(old) == 1, f"test setup: {old!r} is not unique"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")

    def at(self, relative: str, needle: str, message: str) -> str:
        """``file:line:column: message`` for the one occurrence of ``needle``."""
        text = (self.root / relative).read_text(encoding="utf-8")
        assert text.count(needle) == 1, f"test setup: {needle!r} is not unique"
        before = text[: text.index(needle)]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return f"{relative}:{line}:{column}: {message}"

    def problems(self) -> list[str]:
        with pytest.raises(RecipeError) as caught:
            load_recipe(self.root / RECIPE, self.root / "selectors", self.root)
        return [str(p) for p in caught.value.problems]


@pytest.fixture
def copy(tmp_path: Path) -> Copy:
    return Copy(tmp_path)


def test_every_mistake_of_every_section_in_one_pass(copy: Copy) -> None:
    """Ten mistakes in the recipe, one in its selector file: eleven lines, recipe first and
    in file order, and nothing reported twice or as a consequence of another."""
    copy.edit(
        RECIPE,
        ("title: 児童手当 認定請求", "titel: 児童手当 認定請求"),
        ("phone: {label: 電話番号,", "phone: {labl: 電話番号,"),
        (
            "remarks: {label: 備考, required: false,",
            'remarks: {label: 備考, pattern: "[", required: false,',
        ),
        ("items: children, keys: [kana, birth_date]", "items: childs, keys: [kana, birth_date]"),
        ("transforms: [wareki_text]", "transforms: [wareki_txt]"),
        (
            "kana: {from: applicant.kana, label: 請求者フリガナ}",
            "kana: {from: applicant.kanaa, label: 請求者フリガナ}",
        ),
        ("  - click: inquiry.submit", "  - clik: inquiry.submit"),
        ("  - goto: atena_search\n", "  - goto atena_search\n"),
        ('{atena_search.atena_no: "{atena_no}"}', '{atena_search.atena_nr: "{atena_no}"}'),
        ('"{child.kana}"', '"{child.kanji}"'),
    )
    # the selector file: a mistyped strategy of an element the recipe's steps use
    copy.edit(SELECTORS, ('search: ["#search", {role: button', 'search: ["#search", {rol: button'))

    assert copy.problems() == [
        copy.at(RECIPE, "titel:", "unknown key 'titel' (did you mean 'title'?)"),
        copy.at(
            RECIPE,
            "labl: 電話番号",
            "application.items.applicant.items.phone: unknown key 'labl' (did you mean 'label'?)",
        ),
        copy.at(RECIPE, 'pattern: "["', "bad pattern: unterminated character set at position 0"),
        copy.at(
            RECIPE,
            "items: childs",
            "rule 'distinct_entries': 'childs' is not an item of the application "
            "(did you mean 'children'?)",
        ),
        copy.at(
            RECIPE,
            "from: applicant.kanaa",
            "'applicant.kanaa' is not an item of the application (did you mean 'applicant.kana'?)",
        ),
        copy.at(
            RECIPE,
            "wareki_txt",
            "unknown transform 'wareki_txt'（変換名が登録されていません）; did you mean "
            "'wareki_text' or 'wareki_month' or 'wareki_era'?",
        ),
        copy.at(RECIPE, "clik", "unknown step 'clik' (did you mean 'click'?)"),
        copy.at(
            RECIPE, "goto atena_search", "a step is '- goto: argument' (missing ':' after 'goto')"
        ),
        copy.at(
            RECIPE,
            "atena_search.atena_nr",
            "unknown element of screen 'atena_search' 'atena_nr' (did you mean 'atena_no'?)",
        ),
        copy.at(RECIPE, '"{child.kanji}"', "'child' has no field 'kanji'"),
        copy.at(
            SELECTORS,
            "rol: button",
            "unknown locator strategy 'rol' (did you mean 'role'?)",
        ),
    ]


def test_the_cli_lists_every_problem_and_fails(copy: Copy) -> None:
    copy.edit(
        RECIPE,
        ("  - click: inquiry.submit", "  - clik: inquiry.submit"),
        ("transforms: [wareki_text]", "transforms: [wareki_txt]"),
    )
    result = CliRunner().invoke(
        cli, ["recipe", "check", str(copy.root / RECIPE)], env={"RENKEI_ROOT": str(copy.root)}
    )

    assert result.exit_code != 0
    assert copy.at(RECIPE, "clik", "unknown step 'clik' (did you mean 'click'?)") in result.output
    assert copy.at(RECIPE, "wareki_txt", "unknown transform 'wareki_txt'") in result.output
    assert "誤り 2 件" in result.output


def test_a_misspelt_required_key_is_one_problem_not_two(copy: Copy) -> None:
    """``titel:`` is an unknown key and leaves 'title' missing: the did-you-mean says both."""
    copy.edit(RECIPE, ("title: 児童手当 認定請求", "titel: 児童手当 認定請求"))

    assert copy.problems() == [
        copy.at(RECIPE, "titel:", "unknown key 'titel' (did you mean 'title'?)")
    ]


def test_a_missing_key_is_named(copy: Copy) -> None:
    copy.edit(RECIPE, ("title: 児童手当 認定請求\n", ""))

    assert copy.problems() == [f"{RECIPE}:8:1: missing 'title'"]


def test_a_broken_selector_element_is_not_reported_again_by_the_steps(copy: Copy) -> None:
    copy.edit(
        SELECTORS,
        (
            '      atena_no: {css: "#atena_no", label: 宛名番号}',
            '      atena_no: {csss: "#atena_no"}',
        ),
    )

    problems = copy.problems()
    assert len(problems) == 1 and problems[0].startswith(f"{SELECTORS}:"), problems
    assert "unknown locator strategy 'csss' (did you mean 'css'?)" in problems[0]


def test_steps_are_checked_even_when_the_selector_file_does_not_parse(copy: Copy) -> None:
    copy.edit(SELECTORS, ("  menu:\n", "  menu:\n\t"))
    copy.edit(RECIPE, ("  - click: inquiry.submit", "  - clik: inquiry.submit"))

    problems = copy.problems()
    assert problems[0] == copy.at(RECIPE, "clik", "unknown step 'clik' (did you mean 'click'?)")
    assert len(problems) == 2 and problems[1].startswith(f"{SELECTORS}:")
    assert "replace the tab with spaces" in problems[1]


def test_a_step_argument_written_beside_its_step_gets_an_indentation_hint(copy: Copy) -> None:
    block = (
        '      nintei_entry.my_number: "{my_number}"\n'
        '      nintei_entry.claim_year: "{claim_year}"\n'
        '      nintei_entry.claim_month: "{claim_month}"\n'
        '      nintei_entry.claim_day: "{claim_day}"\n'
    )
    copy.edit(RECIPE, ("  - fill:\n" + block, "  - fill:\n" + block.replace("      ", "    ")))

    assert copy.problems() == [
        copy.at(
            RECIPE,
            "nintei_entry.my_number:",
            "'fill' has no argument and 'nintei_entry.my_number' stands beside it: indent the "
            "argument under 'fill:' (two more spaces)",
        )
    ]


def test_every_duplicate_key_is_reported_and_the_rest_still_checked(copy: Copy) -> None:
    copy.edit(
        RECIPE,
        (
            "  address: {from: applicant.address, label: 請求者住所}\n",
            "  address: {from: applicant.address, label: 請求者住所}\n"
            "  address: {from: applicant.address}\n",
        ),
        ("  - click: inquiry.submit", "  - clik: inquiry.submit"),
    )

    assert copy.problems() == [
        copy.at(
            RECIPE,
            "address: {from: applicant.address}",
            "duplicate key 'address' (also on line 86: YAML would keep only the last one)",
        ),
        copy.at(RECIPE, "clik", "unknown step 'clik' (did you mean 'click'?)"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("  - goto: atena_search\n", "  - goto: atena_search\n\t", "replace the tab with spaces"),
        ("selectors: kosodate\n", "selectors: kosodate\n  extra: 1\n", "indented deeper than"),
        ("title: 児童手当 認定請求\n", 'title: "児童手当 認定請求\n', "quote opened on line 9"),
        ("  - goto: atena_search\n", "  - goto: atena_search\n - goto: menu\n", "not aligned"),
    ],
    ids=["tab", "over-indented-key", "unclosed-quote", "misaligned-list"],
)
def test_yaml_syntax_errors_say_what_to_do(copy: Copy, old: str, new: str, hint: str) -> None:
    copy.edit(RECIPE, (old, new))

    [problem] = copy.problems()
    assert problem.startswith(f"{RECIPE}:") and "YAML syntax error:" in problem
    assert "(hint: " in problem and hint in problem


def test_the_shipped_recipes_check_clean() -> None:
    result = CliRunner().invoke(cli, ["recipe", "check"], env={"RENKEI_ROOT": str(REPO)})

    assert result.exit_code == 0, result.output
    assert "NG" not in result.output
