"""``renkei recipe check [FILE…]``: every problem of recipe and selector files, in one pass.

Without files: every recipe of the installation (each with its selector file) and every
selector file no recipe uses, so a file being written for a new system is checked too.
With files: only those — a recipe file (with the selector file it names, from the
installation's selectors folder) or a selector file on its own, told apart by their top
keys (``procedure:`` / ``screens:``). Each problem is one ``file:line:column: message``
line; a problem already reported (a selector file's, through its recipe) is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bots.config import Settings
from bots.errors import RecipeError
from bots.recipe.model import GAIJI_FILE, load_each, load_recipe
from bots.recipe.selectors import load_selectors
from bots.recipe.yamlpos import LocDict, read_located
from bots.schema.loading import load_gaiji


@dataclass
class FileCheck:
    """One file checked: what it is (``ok``) or every problem it has."""

    path: Path
    shown: str  # the path as messages show it
    kind: str  # "recipe" or "selectors"
    summary: str = ""  # for a file that loads: procedure and title, or system and title
    problems: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    files: list[FileCheck] = field(default_factory=list)

    @property
    def broken(self) -> list[FileCheck]:
        return [f for f in self.files if f.problems]

    def problems(self) -> list[str]:
        """Every problem once, in the order the files were checked."""
        return list(dict.fromkeys(p for f in self.files for p in f.problems))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _kind(path: Path, shown: str) -> str:
    """A selector file has ``screens:`` (or ``system:``) and no ``procedure:``."""
    doc, _ = read_located(path, shown)  # a duplicate key is reported by the loader
    if (
        isinstance(doc, LocDict)
        and "procedure" not in doc
        and ("screens" in doc or "system" in doc)
    ):
        return "selectors"
    return "recipe"


def _check_one(settings: Settings, path: Path, gaiji: frozenset[str]) -> FileCheck:
    shown = _shown(path, settings.root)
    check = FileCheck(path, shown, "recipe")
    try:
        check.kind = _kind(path, shown)
        if check.kind == "selectors":
            sel = load_selectors(path, shown)
            check.summary = f"{sel.system}  {sel.title}"
        else:
            recipe = load_recipe(path, settings.selectors_dir, settings.root, gaiji)
            check.summary = f"{recipe.procedure}  {recipe.title}  (selectors {recipe.system})"
    except RecipeError as exc:
        check.problems = [str(p) for p in exc.problems]
    return check


def check_files(settings: Settings, paths: list[Path]) -> CheckResult:
    """Check exactly ``paths``; the 外字 list is the installation's (a broken one raises)."""
    gaiji = load_gaiji(settings.recipes_dir / GAIJI_FILE)
    return CheckResult([_check_one(settings, p, gaiji) for p in paths])


def check_all(settings: Settings) -> CheckResult:
    """Every recipe, then every selector file no loaded recipe uses (see module doc)."""
    recipes, errors = load_each(settings.recipes_dir, settings.selectors_dir, settings.root)
    result = CheckResult()
    for r in recipes.values():
        summary = f"{r.procedure}  {r.title}  ({r.path.name}, selectors {r.system})"
        result.files.append(FileCheck(r.path, _shown(r.path, settings.root), "recipe", summary))
    for path, error in errors.items():
        shown = _shown(path, settings.root)
        result.files.append(
            FileCheck(path, shown, "recipe", problems=[str(p) for p in error.problems])
        )
    used = {r.selectors.path.resolve() for r in recipes.values()}
    reported = set(result.problems())
    for path in sorted(settings.selectors_dir.glob("*.yaml")):
        if path.resolve() in used:
            continue
        check = _check_one(settings, path, frozenset())
        check.problems = [p for p in check.problems if p not in reported]
        if check.problems:  # one that loads is listed with the recipe that uses it
            result.files.append(check)
    return result
