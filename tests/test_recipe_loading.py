"""Loading recipes and selector files: every mistake IT staff can make is caught at load
time, with the file, line and column of the mistake and a hint at what was meant.

Each test copies the repository's recipe and selector file into a temporary folder,
changes one thing in the text, and checks the message an IT person would read.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots import transforms
from bots.cli.main import cli
from bots.errors import RecipeError
from bots.recipe.model import load_all, load_each, load_recipe
from bots.recipe.selectors import load_selectors

REPO = Path(__file__).resolve().parents[1]
RECIPE = "recipes/jidou_teate_nintei.yaml"
SELECTORS = "selectors/kosodate.yaml"

REGISTER_BLOCK = """\
  - register:
      button: nintei_entry.register
      confirm: 登録してよろしいですか？
      errors: nintei_entry.errors
      success: nintei_result
"""
FIND_EXISTING_BLOCK = """\
  - find_existing:
      rows: inquiry.result_rows
      receipt: inquiry.result_receipt_no
      remarks: inquiry.result_remarks
      tag: "{remarks_tag}"
"""


@dataclass
class Workspace:
    """A copy of the recipe and selector file under ``root`` (recipes/ and selectors/)."""

    root: Path

    @property
    def recipe(self) -> Path:
        return self.root / RECIPE

    @property
    def selectors(self) -> Path:
        return self.root / SELECTORS

    def edit(self, relative: str, old: str, new: str) -> str:
        """Replace the one occurrence of ``old``; return the new text."""
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"test setup: {old!r} is not unique in {relative}"
        text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        return text

    def load(self) -> None:
        load_recipe(self.recipe, self.root / "selectors", self.root)


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the one occurrence of ``needle`` in ``text``."""
    assert text.count(needle) == 1, f"test setup: {needle!r} is not unique"
    before = text[: text.index(needle)]
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column


def located(file: str, text: str, needle: str, message: str) -> str:
    line, column = position(text, needle)
    return f"{file}:{line}:{column}: {message}"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "recipes").mkdir()
    (tmp_path / "selectors").mkdir()
    shutil.copy(REPO / RECIPE, tmp_path / RECIPE)
    shutil.copy(REPO / SELECTORS, tmp_path / SELECTORS)
    return Workspace(tmp_path)


def load_error(ws: Workspace) -> str:
    with pytest.raises(RecipeError) as caught:
        ws.load()
    return str(caught.value)


# --- the repository's own files -------------------------------------------------------


def test_repository_recipes_load_cleanly() -> None:
    recipes = load_all(REPO / "recipes", REPO / "selectors", REPO)

    assert set(recipes) == {path.stem for path in (REPO / "recipes").glob("*.yaml")}
    assert {"jidou_teate_nintei", "kaigo_nintei", "boshi_ninshin", "yobou_sesshu"} <= set(recipes)
    recipe = recipes["jidou_teate_nintei"]
    assert recipe.title == "児童手当 認定請求"
    assert recipe.system == "kosodate"
    assert set(recipe.groups) == {"children"}
    assert {"my_number", "account_no"} <= recipe.sensitive_fields
    assert [s.name for s in recipe.already_keyed][-1] == "find_existing"
    assert "register" in [s.name for s in recipe.steps]


def test_unchanged_copy_loads(ws: Workspace) -> None:
    ws.load()


# --- recipe mistakes ------------------------------------------------------------------

RECIPE_MISTAKES = [
    pytest.param(
        "- click: atena_search.search",
        "- clik: atena_search.search",
        "clik: atena_search.search",
        "unknown step 'clik' (did you mean 'click'?)",
        id="unknown-step",
    ),
    pytest.param(
        "- click: atena_search.search",
        "- click: atena_search.serch",
        "atena_search.serch",
        "unknown element of screen 'atena_search' 'serch' (did you mean 'search'?)",
        id="unknown-element",
    ),
    pytest.param(
        "- goto: atena_search",
        "- goto: atena_serch",
        "atena_serch",
        "unknown screen 'atena_serch' (did you mean 'atena_search'?)",
        id="unknown-screen-in-goto",
    ),
    pytest.param(
        'atena_search.result_kana: {equals: "{kana}"',
        'atena_search.result_kana: {equals: "{kanna}"',
        '"{kanna}"',
        "unknown value '{kanna}' (did you mean 'kana'?)",
        id="unknown-placeholder",
    ),
    pytest.param(
        'nintei_entry.child_name: "{child.name}"',
        'nintei_entry.child_name: "{child.nam}"',
        '"{child.nam}"',
        "'child' has no field 'nam'",
        id="unknown-group-field",
    ),
    pytest.param(
        '      nintei_entry.remarks: "{remarks}"\n',
        '      nintei_entry.remarks: "{remarks}"\n      nintei_entry.child_name: "{remarks}"\n',
        'nintei_entry.child_name: "{remarks}"',
        "element 'nintei_entry.child_name' needs index: use it inside for_each"
        " or define the value among the fields",
        id="indexed-element-outside-for_each",
    ),
    pytest.param(
        "  - click: atena_search.search\n",
        "  - click: atena_search.search\n    as: result\n",
        "as: result",
        "unknown key 'as'",
        id="unknown-key-beside-step",
    ),
    pytest.param(
        REGISTER_BLOCK,
        "",
        "steps:\n  - goto: atena_search",
        "the steps never 'register': nothing would be keyed",
        id="no-register-step",
    ),
    pytest.param(
        FIND_EXISTING_BLOCK,
        "",
        "already_keyed:\n",
        "'already_keyed' must end in 'find_existing': without it a retry could key twice",
        id="already_keyed-without-find_existing",
    ),
    pytest.param(
        "  - goto: atena_search\n",
        "  - goto: atena_search: now\n",
        ": now",
        "YAML syntax error: mapping values are not allowed here (hint: a ':' inside a value "
        "(put the value in quotes) or a key indented deeper than the keys beside it)",
        id="yaml-syntax-error",
    ),
    pytest.param(
        "title: 児童手当 認定請求\n",
        "title: 児童手当 認定請求\ntitle: もう一度\n",
        "title: もう一度",
        "duplicate key 'title' (also on line 9: YAML would keep only the last one)",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), RECIPE_MISTAKES)
def test_recipe_mistake_is_located(
    ws: Workspace, old: str, new: str, at: str, message: str
) -> None:
    text = ws.edit(RECIPE, old, new)

    assert load_error(ws) == located(RECIPE, text, at, message)


def test_unknown_transform_names_the_field_and_suggests(ws: Workspace) -> None:
    text = ws.edit(
        RECIPE,
        "birth_text: {from: applicant.birth_date, transforms: [wareki_text]",
        "birth_text: {from: applicant.birth_date, transforms: [wareki_txt]",
    )
    with pytest.raises(KeyError) as registry_error:
        transforms.get("wareki_txt")
    suggestion = str(registry_error.value)
    assert "did you mean 'wareki_text'" in suggestion

    # at the transform itself, not only at its field
    assert load_error(ws) == located(RECIPE, text, "wareki_txt", suggestion)


def test_fields_that_is_not_a_mapping(ws: Workspace) -> None:
    text = ws.recipe.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^fields:\n.*?^already_keyed:", "fields: 3\n\nalready_keyed:", text)
    ws.recipe.write_text(text, encoding="utf-8")

    assert load_error(ws) == located(
        RECIPE,
        text,
        "fields: 3",
        "fields: Input should be a valid dictionary "
        "(one 'name: {from: item, …}' per line under 'fields:')",
    )  # and nothing more: the steps' names are not reported as unknown because of it


def test_field_with_both_from_and_value(ws: Workspace) -> None:
    text = ws.edit(RECIPE, "remarks_tag: {value:", "remarks_tag: {from: application_id, value:")

    message = load_error(ws)
    line, column = position(text, "remarks_tag:")
    assert message.startswith(f"{RECIPE}:{line}:{column}: ")
    assert message.endswith("give exactly one of 'from' or 'value'")


def test_shape_error_names_the_path_as_written_in_yaml(ws: Workspace) -> None:
    """IT staff know ``fields.remarks_tag``; pydantic's union branch names mean nothing."""
    ws.edit(RECIPE, "remarks_tag: {value:", "remarks_tag: {from: application_id, value:")

    message = load_error(ws)
    assert "fields.remarks_tag:" in message
    assert "function-after" not in message
    assert "FieldSpec" not in message


def test_misspelt_key_in_a_group_field_is_located_at_the_key(ws: Workspace) -> None:
    """A typo inside the 児童 group must point at the typo, not at the group's 'each'."""
    text = ws.edit(
        RECIPE,
        "relation: {from: relation, label: 続柄}",
        "relation: {from: relation, lable: 続柄}",
    )

    message = load_error(ws)
    line, column = position(text, "lable: 続柄")
    assert message.startswith(f"{RECIPE}:{line}:{column}: ")
    assert "lable" in message


def test_selector_error_is_reported_in_the_selector_file(ws: Workspace) -> None:
    text = ws.edit(SELECTORS, 'user_id: {css: "#user_id"', 'user_id: {csss: "#user_id"')

    assert load_error(ws) == located(
        SELECTORS, text, 'csss: "#user_id"', "unknown locator strategy 'csss' (did you mean 'css'?)"
    )


# --- selector files -------------------------------------------------------------------

SELECTOR_MISTAKES = [
    pytest.param(
        'user_id: {css: "#user_id"',
        'user_id: {csss: "#user_id"',
        'csss: "#user_id"',
        "unknown locator strategy 'csss' (did you mean 'css'?)",
        id="unknown-strategy-kind",
    ),
    pytest.param(
        'submit: ["#login", {role: button, name: ログイン}]',
        'submit: ["#login", {rol: button, name: ログイン}]',
        "rol: button",
        "unknown locator strategy 'rol' (did you mean 'role'?)",
        id="unknown-strategy-kind-in-list",
    ),
    pytest.param(
        'result_kana: {css: "td.kana", within: result_rows}',
        'result_kana: {css: "td.kana", within: result_row}',
        "within: result_row}",
        "'within: result_row' names no element of this screen (did you mean 'result_rows'?)",
        id="within-names-nothing",
    ),
    pytest.param(
        "login: {screen: login, user: user_id, password: password, submit: submit}\n",
        "",
        "system: kosodate",
        "missing 'login'",
        id="missing-login",
    ),
    pytest.param(
        "password: password, submit: submit}",
        "password: password, submit: sumbit}",
        "submit: sumbit",
        "unknown login element 'sumbit' (did you mean 'submit'?)",
        id="unknown-login-element",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), SELECTOR_MISTAKES)
def test_selector_mistake_is_located(
    ws: Workspace, old: str, new: str, at: str, message: str
) -> None:
    text = ws.edit(SELECTORS, old, new)

    with pytest.raises(RecipeError) as caught:
        load_selectors(ws.selectors, SELECTORS)
    assert str(caught.value) == located(SELECTORS, text, at, message)


# --- renkei recipe check --------------------------------------------------------------


def recipe_check(ws: Workspace) -> Result:
    env = {
        "RENKEI_RECIPES": str(ws.root / "recipes"),
        "RENKEI_SELECTORS": str(ws.root / "selectors"),
        "RENKEI_DB": f"sqlite:///{ws.root / 'm.db'}",
    }
    return CliRunner().invoke(cli, ["recipe", "check"], env=env)


def test_cli_recipe_check_ok(ws: Workspace) -> None:
    result = recipe_check(ws)

    assert result.exception is None, result.output
    assert result.exit_code == 0
    assert "ok  jidou_teate_nintei" in result.output


def test_cli_recipe_check_reports_the_located_mistake(ws: Workspace) -> None:
    text = ws.edit(RECIPE, "- click: atena_search.search", "- clik: atena_search.search")
    line, column = position(text, "clik: atena_search.search")

    result = recipe_check(ws)

    assert result.exit_code != 0
    assert (
        f"jidou_teate_nintei.yaml:{line}:{column}: unknown step 'clik' (did you mean 'click'?)"
        in result.output
    )
    assert "ok  " not in result.output


def test_a_broken_file_leaves_the_other_recipes_loaded(ws: Workspace) -> None:
    shutil.copy(REPO / "recipes/kaigo_nintei.yaml", ws.root / "recipes/kaigo_nintei.yaml")
    shutil.copy(REPO / "selectors/kaigo.yaml", ws.root / "selectors/kaigo.yaml")
    text = ws.edit(RECIPE, "- click: atena_search.search", "- clik: atena_search.search")
    line, column = position(text, "clik: atena_search.search")

    recipes, errors = load_each(ws.root / "recipes", ws.root / "selectors", ws.root)

    assert set(recipes) == {"kaigo_nintei"}
    assert [str(e) for e in errors.values()] == [
        f"{RECIPE}:{line}:{column}: unknown step 'clik' (did you mean 'click'?)"
    ]
    with pytest.raises(RecipeError, match="unknown step 'clik'"):
        load_all(ws.root / "recipes", ws.root / "selectors", ws.root)


def test_cli_recipe_check_reports_every_broken_file(ws: Workspace) -> None:
    shutil.copy(REPO / "recipes/kaigo_nintei.yaml", ws.root / "recipes/kaigo_nintei.yaml")
    shutil.copy(REPO / "selectors/kaigo.yaml", ws.root / "selectors/kaigo.yaml")
    ws.edit(RECIPE, "- click: atena_search.search", "- clik: atena_search.search")
    ws.edit("recipes/kaigo_nintei.yaml", "procedure: kaigo_nintei", "procedure: [kaigo_nintei")

    result = recipe_check(ws)

    assert result.exit_code == 4
    assert "jidou_teate_nintei.yaml:" in result.stderr and "unknown step 'clik'" in result.stderr
    assert "kaigo_nintei.yaml:" in result.stderr and "YAML syntax error" in result.stderr
    assert "読み込めないレシピが 2 件あります" in result.output
