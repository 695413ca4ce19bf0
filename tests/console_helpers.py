"""The web console as tests use it: a real server process, real Chromium, a real database.

``ConsoleServer`` starts ``renkei console --port 0`` as its own process against one
installation (as an operator would), reads the address it prints, and stops it at the
end. ``sign_in`` logs a person in through the real log-in page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bots.config import Settings
from bots.console.accounts import add_user
from bots.queue.db import Database
from bots.results import RunResult
from bots.service import run_once

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "kakunin-pass-2026"  # every test account's password (10+ characters)


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a renkei process serving ``settings``' installation."""
    env = dict(os.environ)
    env.update(
        RENKEI_DB=settings.db_url,
        RENKEI_OUT=str(settings.out_root),
        RENKEI_AUDIT_DIR=str(settings.audit_dir),
        RENKEI_CORE_URL=settings.core_url,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def console_server(settings: Settings, **env: str) -> Iterator[str]:
    """``renkei console`` on a free loopback port for the block; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", "console", "--port", "0"],
        cwd=ROOT,
        env=environment(settings, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found is None:
            proc.kill()
            raise RuntimeError(
                f"console did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
            )
        url = found.group(0)
        with urllib.request.urlopen(url + "/login", timeout=10) as response:
            assert response.status == 200
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_bot(settings: Settings, procedure: str | None = None, **kwargs: Any) -> RunResult:
    """``bots.service.run_once`` in a thread of its own, as the scheduler runs it: the test's
    thread may hold the browser's Playwright (one sync Playwright per thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_once, settings, procedure, **kwargs).result()


def make_users(settings: Settings, users: Mapping[str, str]) -> None:
    """Accounts ``{name: role}``, each with :data:`PASSWORD`."""
    db = Database(settings.db_url)
    for name, role in users.items():
        add_user(
            db, settings.audit_dir, name, role, PASSWORD, display_name=f"{name} さん", by="setup"
        )
    db.dispose()


def sign_in(page: Any, url: str, name: str, password: str = PASSWORD) -> None:
    """Log in through the page, as a person does (ends on the page after log-in)."""
    page.goto(url + "/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_test_id("signed-in").wait_for()
