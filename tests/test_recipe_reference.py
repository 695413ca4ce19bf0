"""``docs/recipe-reference.md`` is what the registries say now, and says all of it.

The page is generated (:mod:`bots.docs.recipe_reference`) from the step, transform, rule
and condition registries and the recipe and selector models; a step registered, a key
added or a docstring changed without regenerating fails here, as tests/test_docs.py does
for the other generated pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bots import transforms
from bots.config import Settings
from bots.docs import recipe_reference, write_docs
from bots.docs.recipe_reference import step_keys, undescribed
from bots.docs.text import REGENERATE
from bots.recipe import conditions
from bots.recipe.model import BUILTIN_NAMES, Recipe
from bots.recipe.yamlpos import load_located
from bots.schema import RULES
from bots.service import load_recipes
from bots.steps import STEPS, ParseContext
from bots.steps.registry import parse_steps

ROOT = Path(__file__).resolve().parents[1]
PAGE = "recipe-reference.md"


@pytest.fixture(scope="module")
def recipes() -> dict[str, Recipe]:
    return load_recipes(Settings())


def test_the_committed_reference_is_what_the_code_generates(
    recipes: dict[str, Recipe], tmp_path: Path
) -> None:
    written = write_docs(recipes, tmp_path)  # what `renkei recipe docs` and bots.docs run

    assert tmp_path / PAGE in written
    committed = ROOT / "docs" / PAGE
    assert committed.exists(), f"docs/{PAGE} is missing: run `{REGENERATE}`"
    assert committed.read_text(encoding="utf-8") == (tmp_path / PAGE).read_text(encoding="utf-8"), (
        f"docs/{PAGE} is out of date: run `{REGENERATE}` and commit the result"
    )


def test_every_registered_name_has_its_entry() -> None:
    text = recipe_reference()
    for name, cls in STEPS.items():
        assert f"### `{name}`" in text, f"step {name} missing"
        summary = (cls.__doc__ or "").strip().splitlines()[0]
        assert summary.replace(":mod:", "") in text.replace(":mod:", ""), f"{name}: docstring"
    for name in transforms.TRANSFORMS:
        assert f"| `{name}` |" in text, f"transform {name} missing"
    for name in RULES:
        assert f"### `{name}`" in text, f"rule {name} missing"
    for op in conditions.OPERATORS:
        assert f"| `{op}` |" in text, f"condition {op} missing"
    for name in BUILTIN_NAMES | {"index"}:
        assert f"- `{{{name}}}`:" in text, f"placeholder {name} missing"


def test_every_key_and_operator_is_explained() -> None:
    assert undescribed() == [], "add a line to bots/docs/recipe_reference.py"


def test_the_keys_shown_for_a_step_are_the_ones_its_parser_checks() -> None:
    assert step_keys(STEPS["screenshot"])["beside"] == ["screen"]
    assert step_keys(STEPS["register"])["value"] == ["button", "confirm", "errors", "success"]
    identity = step_keys(STEPS["verify_identity"])
    assert {"rows", "checks"} <= set(identity["value"])
    assert identity["entry"] == ["equals", "label", "allow"]
    assert step_keys(STEPS["fill"]) == {"beside": [], "value": [], "entry": []}


def _parse_error(tmp_path: Path, name: str, key: str) -> str:
    """What the loader says of ``- name: x`` with ``key`` beside it ('' if nothing)."""
    path = tmp_path / "steps.yaml"
    path.write_text(f"- {name}: x\n  {key}: y\n", encoding="utf-8")
    ctx = ParseContext(selectors=None, names=set())  # type: ignore[arg-type]
    try:
        parse_steps(load_located(path), ctx, None)
    except Exception as exc:  # noqa: BLE001  past the key check, anything may fail here
        return str(exc)
    return ""


@pytest.mark.parametrize("name", sorted(STEPS))
def test_the_keys_beside_a_step_on_the_page_are_exactly_those_the_loader_takes(
    name: str, tmp_path: Path
) -> None:
    for key in step_keys(STEPS[name])["beside"]:
        assert f"unknown key '{key}'" not in _parse_error(tmp_path, name, key)
    assert "unknown key 'zz_not_a_key'" in _parse_error(tmp_path, name, "zz_not_a_key")
