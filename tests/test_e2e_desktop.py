"""End to end on a desktop client: the same engine, queue and recipes' data, on pixels.

Real Xvfb (one for the module), the real mock client (``python -m mock_core_ui.desktop``,
one per setting), a real SQLite management database and the real engine through
``bots.service.run_once`` as a scheduled run calls it, with ``RENKEI_RECIPES`` pointing
at ``recipes/desktop`` (the desktop installation). The bot sees pixels only; the test reads
the client's own store (and, to check the masking, the screenshot's pixels).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from desktop_client import MockClient, poll
from e2e_helpers import installation_settings, rows, set_data

from bots.demo import applications
from bots.queue.db import Database
from bots.service import run_once
from mock_core_ui.desktop import store

ROOT = Path(__file__).resolve().parent.parent
DESKTOP_RECIPES = ROOT / "recipes" / "desktop"


@pytest.fixture(scope="module")
def display(x_display: str) -> Iterator[str]:
    """The session's X display, with the desktop recipes as this installation's recipes."""
    before = os.environ.get("RENKEI_RECIPES")
    os.environ["RENKEI_RECIPES"] = str(DESKTOP_RECIPES)
    try:
        yield x_display
    finally:
        if before is None:
            os.environ.pop("RENKEI_RECIPES", None)
        else:
            os.environ["RENKEI_RECIPES"] = before


class Installation:
    """A management database with applications, and the client the bot works."""

    def __init__(self, base: Path, client: MockClient) -> None:
        self.base, self.client = base, client
        self.settings = installation_settings(base, "http://127.0.0.1:9")  # no web core
        self.db = Database(self.settings.db_url)

    def seed(self, n: int, procedure: str) -> list[str]:
        module = next(m for m in applications.modules() if procedure == m.PROCEDURE)
        applications.seed_applications(self.db, n, only=procedure)
        return [applications.application_id(module, i) for i in range(n)]

    def run(self) -> Any:
        return run_once(self.settings, db=self.db)

    def registrations(self) -> list[dict[str, Any]]:
        return store.registrations(self.client.store)


@pytest.fixture
def installation(
    display: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Installation]:
    scale, layout = getattr(request, "param", (1.0, "v1"))
    client = MockClient.start(tmp_path, scale=scale, layout=layout)
    try:
        yield Installation(tmp_path, client)
    finally:
        client.stop()


def _expected_typed(data: dict[str, Any], app_id: str) -> dict[str, str]:
    """What the client must show as typed for a 被保険者証 application (its fields' strings)."""
    year, month, day = (int(p) for p in data["application_date"].split("-"))
    codes = {"紛失": "1", "破損": "2", "汚損": "3", "その他": "4"}
    return {
        "shinsei_date_era": "5",  # 令和
        "shinsei_date_year": str(year - 2018),
        "shinsei_date_month": str(month),
        "shinsei_date_day": str(day),
        "riyuu": codes[data["reason"]],
        "riyuu_sonota": data.get("reason_detail") or "",
        "koufu": {"窓口交付": "1", "郵送": "2"}[data["delivery"]],
        "remarks": f"[renkei:{app_id}] 電子申請 {app_id}",
    }


@pytest.mark.parametrize(
    "installation", [(1.0, "v1"), (1.25, "v1"), (1.5, "v1")], indirect=True, ids=str
)
def test_keyed_exactly_once_with_the_right_values_at_each_scale(
    installation: Installation,
) -> None:
    ids = installation.seed(2, "kaigo_hihokenshashou")
    data = {i: r.data for i, r in rows(installation.db).items()}
    result = installation.run()
    assert result.counts["keyed"] == 2, result.counts
    stored = {
        r["remarks"].split("]")[0].removeprefix("[renkei:"): r for r in installation.registrations()
    }
    assert sorted(stored) == sorted(ids)  # each once, nothing else
    after = rows(installation.db)
    for app_id in ids:
        record = stored[app_id]
        assert record["hihokensha_no"] == data[app_id]["insured"]["hihokensha_no"]
        assert record["typed"] == _expected_typed(data[app_id], app_id)
        assert after[app_id].status == "keyed"
        assert after[app_id].receipt_no == record["receipt_no"]  # read back by OCR, checked


def test_second_procedure_with_a_family_applicant(installation: Installation) -> None:
    ids = installation.seed(2, "kaigo_futan_wariai")
    data = {i: r.data for i, r in rows(installation.db).items()}
    result = installation.run()
    assert result.counts["keyed"] == 2, result.counts
    stored = {
        r["remarks"].split("]")[0].removeprefix("[renkei:"): r for r in installation.registrations()
    }
    assert sorted(stored) == sorted(ids)
    for app_id in ids:
        typed, app = stored[app_id]["typed"], data[app_id]
        assert typed["nendo"] == str(app["nendo"])
        assert (
            typed["shinseisha"] == {"本人": "1", "家族": "2", "その他": "3"}[app["applicant_kind"]]
        )
        assert typed["shinseisha_name"] == (app.get("applicant_name") or "")
        assert typed["kankei"] == (app.get("applicant_relation") or "")


def test_evidence_has_the_sensitive_field_black(installation: Installation) -> None:
    """生年月日 is marked sensitive in the selector file: black in the screenshot before 登録."""
    from PIL import Image

    installation.seed(1, "kaigo_hihokenshashou")
    assert installation.run().counts["keyed"] == 1
    (shot,) = list(installation.base.glob("runs/*/screenshots/*/*/*before_register*.png"))
    image = Image.open(shot).convert("L")
    x, y, w, h = 498, 74, 140, 28  # the header's 生年月日 field at 100 % (the client's box)
    inner = [
        image.getpixel((x + dx, y + dy)) for dx in range(3, w - 3, 5) for dy in range(3, h - 3, 3)
    ]
    assert max(inner) == 0  # every pixel black: the date is not in the file
    name = [
        image.getpixel((300 + dx, 80 + dy)) for dx in range(0, 100, 5) for dy in range(0, 14, 3)
    ]
    assert max(name) > 200  # the name field is not masked (it is not sensitive)


def test_identity_mismatch_goes_to_review_and_nothing_is_stored(
    installation: Installation,
) -> None:
    (app_id,) = installation.seed(1, "kaigo_hihokenshashou")
    set_data(installation.db, app_id, lambda d: d["insured"].update(name="別人\u3000花子"))
    result = installation.run()
    assert result.counts["needs_review"] == 1, result.counts
    row = rows(installation.db)[app_id]
    assert row.status == "needs_review"
    assert "氏名" in (row.reason or "") and "別人" in (row.reason or "")
    assert installation.registrations() == []


@pytest.mark.parametrize("installation", [(1.0, "v2")], indirect=True, ids=str)
def test_a_vendor_update_stops_the_run_naming_the_screen(installation: Installation) -> None:
    (app_id,) = installation.seed(1, "kaigo_hihokenshashou")
    result = installation.run()
    assert result.counts["stopped"] == 1, result.counts
    row = rows(installation.db)[app_id]
    assert row.status == "resolved"  # back in the queue, untouched
    assert "hihokenshashou_entry" in (row.reason or "") and "領域" in (row.reason or "")
    assert installation.registrations() == []


def test_a_kill_after_register_and_a_rerun_key_nothing_twice(installation: Installation) -> None:
    """The runner is SIGKILLed once the client stored the registration (はい pressed),
    before the outcome is written back; the rerun looks it up in 照会 first."""
    (app_id,) = installation.seed(1, "kaigo_hihokenshashou")
    env = {**os.environ, "RENKEI_DB": installation.settings.db_url, "RENKEI_LEASE_S": "2"}
    env["RENKEI_OUT"] = str(installation.base / "runs")
    env["RENKEI_AUDIT_DIR"] = str(installation.base / "audit")
    runner = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        poll("登録", installation.registrations, timeout=90)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
    finally:
        if runner.poll() is None:
            runner.kill()
    assert rows(installation.db)[app_id].status == "keying"  # killed before the write-back
    poll("リースの期限", lambda: _lease_over(installation), timeout=10)
    result = installation.run()
    row = rows(installation.db)[app_id]
    assert row.status == "keyed", (result.counts, row.reason)
    (record,) = installation.registrations()  # once
    assert row.receipt_no == record["receipt_no"]


def _lease_over(installation: Installation) -> bool:
    from datetime import datetime

    row = rows(installation.db)[next(iter(rows(installation.db)))]
    until = getattr(row, "acquired_until", None) or getattr(row, "lease_until", None)
    return until is None or until < datetime.utcnow()


def test_capture_tool_crops_what_the_shipped_template_shows(display: str, tmp_path: Path) -> None:
    """``renkei selectors capture`` on the client at 100 %: the box of the ログイン button
    (from the client's geometry) is the shipped template, pixel for pixel."""
    import numpy as np
    from click.testing import CliRunner
    from desktop_client import text_of
    from PIL import Image, ImageGrab

    from bots.cli.capture import selectors_capture

    client = MockClient.start(tmp_path, tag="capture")
    try:
        state = client.state()
        assert state is not None
        image = poll("描画", lambda: ImageGrab.grab(xdisplay=display) if _drawn(client) else None)
        x, y, w, h = text_of(image.convert("RGB"), state["widgets"]["login"])
        title = "介護保険総合システム クライアント版 - ログイン"
        args = [str(tmp_path / "out"), "--window", title, "--box", f"login_button={x},{y},{w},{h}"]
        result = CliRunner().invoke(selectors_capture, [*args, "--reference", "login"])
        assert result.exit_code == 0, result.output
    finally:
        client.stop()
    shipped = ROOT / "selectors" / "images" / "kaigo_desktop"
    for name in ("login_button", "login"):
        made = np.asarray(Image.open(tmp_path / "out" / f"{name}.png"))
        assert np.array_equal(made, np.asarray(Image.open(shipped / f"{name}.png"))), name


def _drawn(client: MockClient) -> bool:
    """The log-in screen's fields are drawn (the client publishes before it paints)."""
    from PIL import ImageGrab

    state = client.state()
    if state is None:
        return False
    x, y, w, h = state["widgets"]["user"]
    box = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=os.environ["DISPLAY"]).convert("L")
    return box.getextrema()[0] < 100  # the field's border is drawn


def test_recipe_extends_reports_a_missing_base_and_keys_not_allowed(tmp_path: Path) -> None:
    from bots.errors import RecipeError
    from bots.recipe.model import load_recipe

    folder = tmp_path / "desktop"
    folder.mkdir()
    bad = folder / "x.yaml"
    bad.write_text(
        "extends: no_such_recipe\nselectors: kaigo_desktop_hihokenshashou\n"
        "already_keyed: none\nsteps: []\n",
        encoding="utf-8",
    )
    with pytest.raises(RecipeError, match=r"x.yaml:1:1: extends: no recipe 'no_such_recipe'"):
        load_recipe(bad, ROOT / "selectors", tmp_path)
    (tmp_path / "kaigo_hihokenshashou.yaml").write_text(
        (ROOT / "recipes" / "kaigo_hihokenshashou.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    own = (DESKTOP_RECIPES / "kaigo_hihokenshashou.yaml").read_text(encoding="utf-8")
    bad.write_text(own + "title: 別の名前\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"'title' is the base recipe's"):
        load_recipe(bad, ROOT / "selectors", tmp_path)
    bad.write_text(
        own.replace("  birth_digits:", "  name: {from: insured.kana}\n  birth_digits:"),
        encoding="utf-8",
    )
    with pytest.raises(RecipeError, match=r"'name' is in the base recipe's fields already"):
        load_recipe(bad, ROOT / "selectors", tmp_path)
