"""A procedure's selector file on top of its subsystem's (``extends:``, issue #14).

The file gets the base's log-in, interrupts and screens and adds its own; every mistake in
the link is a located error the IT staff can act on, like any other selector mistake.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_recipe_loading import located

from bots.errors import RecipeError
from bots.recipe.selectors import load_selectors

REPO = Path(__file__).resolve().parents[1]
OWN = "selectors/jidou_teate_genkyou.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("kosodate.yaml", "kaigo.yaml", "jidou_teate_genkyou.yaml"):
        shutil.copy(REPO / "selectors" / name, tmp_path / name)
    return tmp_path


def _edit(folder: Path, name: str, old: str, new: str) -> str:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} is not unique in {name}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def _error(folder: Path) -> str:
    with pytest.raises(RecipeError) as caught:
        load_selectors(folder / "jidou_teate_genkyou.yaml", OWN)
    return str(caught.value)


def test_the_procedure_file_has_the_base_login_and_screens_beside_its_own() -> None:
    base = load_selectors(REPO / "selectors/kosodate.yaml")
    own = load_selectors(REPO / OWN)
    assert own.system == base.system
    assert own.login == base.login and own.interrupts == base.interrupts
    assert base.screens.keys() < own.screens.keys()
    assert {"genkyou_entry", "genkyou_result", "genkyou_inquiry"} <= own.screens.keys()


def test_a_screen_written_in_both_files_is_located(folder: Path) -> None:
    base = load_selectors(folder / "kosodate.yaml")
    taken = sorted(base.screens)[0]
    text = _edit(folder, "jidou_teate_genkyou.yaml", "  genkyou_result:", f"  {taken}:")
    assert _error(folder) == located(
        OWN,
        text,
        f'{taken}:\n    marker: ["body[data-screen=jidou_teate_genkyou_result]',
        f"screen '{taken}' is already in selectors/kosodate.yaml; give it another name",
    )


def test_a_missing_base_is_located(folder: Path) -> None:
    text = _edit(folder, "jidou_teate_genkyou.yaml", "extends: kosodate", "extends: kosodat")
    assert _error(folder).startswith(
        located(OWN, text, "extends: kosodat", "extends: cannot use selectors/kosodat.yaml")
    )


def test_a_circular_base_is_located(folder: Path) -> None:
    text = _edit(
        folder, "jidou_teate_genkyou.yaml", "extends: kosodate", "extends: jidou_teate_genkyou"
    )
    assert located(
        OWN,
        text,
        "extends: jidou_teate_genkyou",
        "extends: cannot use selectors/jidou_teate_genkyou.yaml (it extends itself)",
    ) in _error(folder)


def test_another_system_is_located(folder: Path) -> None:
    text = _edit(
        folder, "jidou_teate_genkyou.yaml", "extends: kosodate", "extends: kosodate\nsystem: kaigo"
    )
    assert located(
        OWN, text, "system: kaigo", "system 'kaigo' differs from 'kosodate' of the file it extends"
    ) in _error(folder)


def test_a_broken_base_is_named_by_the_procedure_file(folder: Path) -> None:
    base_text = (folder / "kosodate.yaml").read_text(encoding="utf-8")
    first_css = next(line for line in base_text.splitlines() if "css:" in line)
    _edit(folder, "kosodate.yaml", first_css, first_css.replace("css:", "csss:"))
    assert "extends: selectors/kosodate.yaml has problems of its own" in _error(folder)
