"""A selector file names the kind of screens it describes (``kind: web`` / ``desktop``).

The kind picks the driver host at run time (issue 15): a typo is a located error with a
did-you-mean when the file loads, a procedure's file must be of its subsystem's kind, and a
kind no driver is registered for stops its subsystem at run time, naming the file, before
a single application is claimed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import rows
from test_recipe_loading import located

from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import seed
from bots.drivers.registry import HostConfig, NoDriver, driver_hosts, host_maker
from bots.engine.runner import Engine
from bots.errors import RecipeError
from bots.queue.db import Database
from bots.queue.sql import SqlWorkQueue
from bots.recipe.selectors import load_selectors
from bots.service import engine_settings, load_recipes, run_trail

REPO = Path(__file__).resolve().parents[1]
BASE = "selectors/kosodate.yaml"
OWN = "selectors/jidou_teate_genkyou.yaml"
SYSTEM_LINE = "system: kosodate\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("kosodate.yaml", "jidou_teate_genkyou.yaml"):
        shutil.copy(REPO / "selectors" / name, tmp_path / name)
    return tmp_path


def _write_kind(path: Path, after: str, kind: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(after) == 1, f"test setup: {after!r} is not unique in {path.name}"
    text = text.replace(after, f"{after}kind: {kind}\n")
    path.write_text(text, encoding="utf-8")
    return text


def test_a_file_without_a_kind_is_web_and_both_kinds_load(folder: Path) -> None:
    assert load_selectors(REPO / BASE).kind == "web"
    assert load_selectors(REPO / OWN).kind == "web"  # of its base's kind

    assert load_selectors(REPO / "selectors/kaigo_desktop.yaml").kind == "desktop"
    assert load_selectors(REPO / "selectors/kaigo_desktop_hihokenshashou.yaml").kind == "desktop"


def test_a_mistyped_kind_is_located_with_a_did_you_mean(folder: Path) -> None:
    text = _write_kind(folder / "kosodate.yaml", SYSTEM_LINE, "dekstop")

    with pytest.raises(RecipeError) as caught:
        load_selectors(folder / "kosodate.yaml", BASE)

    assert str(caught.value) == located(
        BASE,
        text,
        "kind: dekstop",
        "unknown kind 'dekstop' (did you mean 'desktop'?): a selector file is for web or"
        " desktop screens",
    )


def test_a_procedure_file_of_another_kind_than_its_base_is_located(folder: Path) -> None:
    text = _write_kind(folder / "jidou_teate_genkyou.yaml", "extends: kosodate\n", "desktop")

    with pytest.raises(RecipeError) as caught:
        load_selectors(folder / "jidou_teate_genkyou.yaml", OWN)

    assert str(caught.value) == located(
        OWN,
        text,
        "kind: desktop",
        "kind 'desktop' differs from 'web' of the file it extends (a procedure's screens"
        " are of its subsystem's kind)",
    )


def test_the_web_host_is_registered_and_an_unknown_kind_has_no_driver() -> None:
    hosts = driver_hosts(HostConfig(core_url="http://127.0.0.1:1"))
    assert "web" in hosts
    assert host_maker("web").__name__ == "WebHost"
    with pytest.raises(NoDriver):
        host_maker("mainframe")


def test_a_kind_without_a_driver_stops_its_subsystem_naming_the_file_and_claims_nothing(
    settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 2, core.url, problems=False)
    queue = SqlWorkQueue(db, "run-nodriver")
    # this installation can drive no web screens: the 子育て recipes' kind has no host
    engine = Engine(
        load_recipes(settings),
        queue,
        engine_settings(settings),
        hosts={},
        trail=run_trail(queue),
    )

    result = engine.run("jidou_teate_nintei")

    assert result.items == []
    why = result.stopped["kosodate"]
    assert "selectors/kosodate.yaml" in why and "kind: web" in why
    assert "ドライバが登録されていません" in why
    assert {r.status for r in rows(db).values()} == {Status.RESOLVED.value}
    assert core.records() == []
    assert OutcomeKind.KEYED.value not in result.counts
