"""The generated reference docs and the example import files never drift from the code.

``docs/recipe-application.md`` and ``docs/import.md`` are generated from the registries
and the recipes' schemas (:mod:`bots.docs`); a schema, rule or transform changed
without regenerating fails here. The files under ``examples/`` are what the generator
writes, and each is imported through the real CLI with no refused row, and every stored
application passes its procedure's schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bots import transforms
from bots.cli.main import cli
from bots.config import Settings
from bots.docs import schema_reference, write_docs, write_examples
from bots.docs.examples import all_examples
from bots.docs.text import REGENERATE
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import Recipe
from bots.schema import RULES
from bots.service import load_recipes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_FILES = sorted(
    p for p in (ROOT / "examples").iterdir() if p.suffix in (".csv", ".json", ".xlsx")
)
STALE = f"is out of date: run `{REGENERATE}` and commit the result"


@pytest.fixture(scope="module")
def recipes() -> dict[str, Recipe]:
    return load_recipes(Settings())


@pytest.mark.parametrize("name", ["recipe-application.md", "import.md"])
def test_committed_docs_are_what_the_code_generates(
    recipes: dict[str, Recipe], tmp_path: Path, name: str
) -> None:
    write_docs(recipes, tmp_path)
    committed = ROOT / "docs" / name
    assert committed.exists(), f"docs/{name} is missing: run `{REGENERATE}`"
    assert committed.read_text(encoding="utf-8") == (tmp_path / name).read_text(encoding="utf-8"), (
        f"docs/{name} {STALE}"
    )


def test_committed_examples_are_what_the_code_generates(
    recipes: dict[str, Recipe], tmp_path: Path
) -> None:
    written = write_examples(recipes.values(), tmp_path)
    assert {p.name for p in written} == {name for name, _ in all_examples().values()}
    for path in written:
        committed = ROOT / "examples" / path.name
        assert committed.exists(), f"examples/{path.name} is missing: run `{REGENERATE}`"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"examples/{path.name} {STALE}"
        )


def test_every_rule_and_transform_is_in_the_reference() -> None:
    text = schema_reference()
    for name in RULES:
        assert f"### `{name}`" in text, f"rule {name} missing from the reference"
    for name in transforms.TRANSFORMS:
        assert f"| `{name}` |" in text, f"transform {name} missing from the reference"


def test_every_procedure_has_an_example_file_of_each_kind(recipes: dict[str, Recipe]) -> None:
    assert set(all_examples()) == set(recipes), "every procedure needs an example"
    suffixes = {p.suffix for p in EXAMPLE_FILES}
    assert {".csv", ".json"} <= suffixes


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_imports_with_no_refused_row_and_passes_its_schema(
    recipes: dict[str, Recipe], tmp_path: Path, path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(cli, ["import", str(path)], env={"RENKEI_DB": url})
    assert result.exit_code == 0, result.output
    first_line = result.output.splitlines()[0]
    assert first_line.endswith("不備 0 行"), result.output
    with Database(url).session() as session:
        rows = list(session.scalars(select(ApplicationRow)))
    assert first_line.startswith(f"取り込み {len(rows)} 件")
    assert 2 <= len(rows) <= 3
    for row in rows:
        checked = recipes[row.procedure].schema.check(row.data)
        assert checked.problems == [], f"{row.id}: {[str(p) for p in checked.problems]}"
        assert checked.unknown == [], f"{row.id}: unknown items {checked.unknown}"
        assert row.status == "resolved"
        assert row.id.startswith("EX-")


def test_import_help_and_layout_tell_a_clerk_the_columns() -> None:
    """`renkei import --help` names the columns; `--layout` gives a procedure's items."""
    from click.testing import CliRunner

    from bots.cli.main import cli

    runner = CliRunner()
    shown = runner.invoke(cli, ["import", "--help"])
    assert shown.exit_code == 0
    for text in ("atena_no", "children.1.name", "--layout", "examples/"):
        assert text in shown.output
    layout = runner.invoke(cli, ["import", "--layout", "jidou_teate_nintei"])
    assert layout.exit_code == 0
    assert "`children.1.birth_date`" in layout.output and "児童1 生年月日" in layout.output
    unknown = runner.invoke(cli, ["import", "--layout", "jidou"])
    assert unknown.exit_code == 1 and "レシピがありません" in unknown.output
