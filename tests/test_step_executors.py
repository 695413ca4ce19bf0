"""Steps are parsed data; how each runs is its executor, apart (issue 15).

Loading a recipe must not need the code that drives a screen, and every step a recipe may
use must be runnable: a step registered without an executor would load, pass
``recipe check`` and then fail in the middle of a resident's record.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bots.engine.executors import EXECUTORS
from bots.steps import STEPS

ROOT = Path(__file__).resolve().parent.parent


def test_every_registered_step_has_an_executor() -> None:
    missing = sorted(name for name, cls in STEPS.items() if cls not in EXECUTORS)
    assert missing == []
    assert set(EXECUTORS) == set(STEPS.values())


def test_loading_every_recipe_imports_neither_the_execution_nor_a_driver() -> None:
    """In a fresh interpreter: load and check all the repo's recipes, then look at what
    was imported to do it."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bots.recipe.model import load_all\n"
        f"root = Path({str(ROOT)!r})\n"
        "recipes = load_all(root / 'recipes', root / 'selectors', root)\n"
        "assert recipes, 'no recipe loaded'\n"
        "loaded = [m for m in sys.modules if m.startswith(('bots.engine', 'bots.drivers',"
        " 'bots.contracts', 'bots.queue', 'playwright'))]\n"
        "print(len(recipes), sorted(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    count, loaded = done.stdout.strip().split(" ", 1)
    assert int(count) >= 20
    assert loaded == "[]"
