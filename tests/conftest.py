"""Shared fixtures: the real mock core system on loopback, real SQLite files, real Chromium.

The mock runs as its own server process for the whole session (as a core system would);
each test starts from an empty set of claims and its own management database.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import installation_settings
from xdisplay import NoDisplay, xvfb

from bots.config import Settings
from bots.demo.mockserver import mock_core
from bots.queue.db import Database
from bots.queue.sealing import create_key_file, key_path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def _installation_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One signing key (and staff-actions log) for the session, outside the checkout: a test
    that runs the bot or the CLI without naming a folder must not write into the project's var/.
    (Subprocesses inherit it; tests that need their own key set RENKEI_KEY_DIR.)"""
    names = ("RENKEI_KEY_DIR", "RENKEI_AUDIT_DIR", "RENKEI_DB")
    before = {name: os.environ.get(name) for name in names}
    os.environ["RENKEI_KEY_DIR"] = str(tmp_path_factory.mktemp("keys"))
    # the form data's key, made now: a command that would make it first says so (a warning
    # to back it up), which is not what a test of that command looks at
    create_key_file(key_path(Path(os.environ["RENKEI_KEY_DIR"])))
    # a test that names no database must not create the checkout's var/renkei.db either
    default_db = tmp_path_factory.mktemp("db") / "renkei.db"
    os.environ.setdefault("RENKEI_DB", f"sqlite:///{default_db}")
    # and the staff actions' log of a CLI test that names no folder (schedule changes are
    # audited) goes there too, never into the checkout's var/audit
    os.environ.setdefault("RENKEI_AUDIT_DIR", str(tmp_path_factory.mktemp("audit")))
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def x_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Xvfb for every desktop module of this process (of this xdist worker).

    pyautogui opens its X connection once, when it is imported, to the ``DISPLAY`` of that
    moment. An X server per module would leave it talking to a server that is gone (Xvfb
    reuses display numbers, so the name does not tell), and python-xlib then waits for a
    reply for ever. One server for the session keeps that connection good; each module
    closes its own windows.
    """
    try:
        screen = xvfb(tmp_path_factory.mktemp("x"))
        name = screen.__enter__()
    except NoDisplay as exc:
        pytest.fail(str(exc))
    import pyautogui

    pyautogui.PAUSE, pyautogui.FAILSAFE = 0.01, False
    try:
        yield name
    finally:
        screen.__exit__(None, None, None)


@pytest.fixture(scope="session")
def core_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mock core system, started with --testing on a free loopback port."""
    url = f"http://127.0.0.1:{_free_port()}"
    db = tmp_path_factory.mktemp("core") / "core.db"
    with mock_core(url, db, reuse=False) as running:
        yield running


class Core:
    """What a tester reads from the mock core system (its testing API, never the bot's)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, path: str, method: str = "GET", body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def records(self, subsystem: str = "") -> list[dict[str, Any]]:
        """Registered records of a subsystem ('' = 子育て, 'kaigo', 'boshi', 'yobou')."""
        prefix = f"/{subsystem}" if subsystem else ""
        return list(self._call(f"{prefix}/_testing/records"))

    def reset(self) -> None:
        for prefix in ("", "/kaigo", "/boshi", "/yobou"):
            self._call(f"{prefix}/_testing/reset", "POST", {})
        self._call("/_testing/forms/reset", "POST", {})
        self._call("/_admin/faults/reset", "POST", {})

    def records_for(self, application_id: str, subsystem: str = "") -> list[dict[str, Any]]:
        tag = f"[renkei:{application_id}]"
        return [r for r in self.records(subsystem) if tag in (r.get("remarks") or "")]

    def reset_faults(self) -> None:
        self._call("/_admin/faults/reset", "POST", {})

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Switch faults on through the operator endpoint (reset by the next test's reset)."""
        return dict(self._call("/_admin/faults", "POST", settings))


@pytest.fixture
def core(core_url: str) -> Iterator[Core]:
    c = Core(core_url)
    c.reset()
    yield c
    c._call("/_admin/faults/reset", "POST", {})


@pytest.fixture
def settings(tmp_path: Path, core_url: str) -> Settings:
    """One test's settings: the repo's recipes and selectors, everything written under tmp_path."""
    return installation_settings(tmp_path, core_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One real Chromium per module for the tests that look at pages as a person does (the
    console). Module-scoped: Playwright's sync API holds an event loop in this thread while
    it is open, and the bot (which starts its own Playwright) cannot run in this thread
    then — run it with ``console_helpers.run_bot``, which uses a thread of its own."""
    from bots.drivers.browser import launch_chromium

    with launch_chromium(Settings().chromium) as browser:
        yield browser


@pytest.fixture
def console_page(chromium: Any) -> Iterator[Any]:
    """A fresh browser (its own cookies) on a Japanese desktop, for one test."""
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


#: Modules whose shared set-up or tests take a minute or more (measured with --durations):
#: run first, longest first. The suite runs on two workers, each module on one (xdist
#: --dist loadscope hands modules out in collection order), so a long module collected
#: last leaves one worker alone with it while the other idles; longest-first keeps both
#: busy to the end.
LONG_MODULES = (
    "test_fault_matrix.py",
    "test_proofs.py",
    "test_e2e_desktop.py",
    "test_driver_contract.py",
    "test_scheduler_service.py",
    "test_e2e_procedures.py",
    "test_masking_scan.py",
    "test_queue_limits.py",
    "test_e2e_slice.py",
    "test_schema_corpus.py",
    "test_review.py",
    "test_data_at_rest.py",
    "test_bench.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first (see :data:`LONG_MODULES`); the rest keep their order."""
    rank = {name: i for i, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
