"""Writing the pages and examples into a checkout: what ``python -m bots.docs`` runs."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bots.docs.examples import all_examples, write_examples
from bots.docs.layout import import_docs
from bots.docs.recipe_reference import recipe_reference
from bots.docs.reference import schema_reference

if TYPE_CHECKING:
    from bots.recipe.model import Recipe


def _as_list(recipes: Mapping[str, Recipe] | Iterable[Recipe]) -> list[Recipe]:
    return list(recipes.values()) if isinstance(recipes, Mapping) else list(recipes)


def write_docs(recipes: Mapping[str, Recipe] | Iterable[Recipe], docs_dir: Path) -> list[Path]:
    """Write ``recipe-application.md``, ``recipe-reference.md`` and ``import.md`` into
    ``docs_dir``."""
    loaded = _as_list(recipes)
    docs_dir.mkdir(parents=True, exist_ok=True)
    examples = {p: apps for p, (_name, apps) in all_examples().items()}
    pages = {
        docs_dir / "recipe-application.md": schema_reference(),
        docs_dir / "recipe-reference.md": recipe_reference(),
        docs_dir / "import.md": import_docs(loaded, examples),
    }
    for path, text in pages.items():
        path.write_text(text, encoding="utf-8")
    return list(pages)


def main() -> None:
    """Regenerate docs/ and examples/ of the checkout from the loaded recipes."""
    from bots.config import Settings
    from bots.service import load_recipes

    settings = Settings()
    recipes = _as_list(load_recipes(settings))
    written = write_docs(recipes, settings.root / "docs")
    written += write_examples(recipes, settings.root / "examples")
    for path in written:
        sys.stdout.write(f"wrote {path}\n")
