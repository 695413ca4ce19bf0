"""Chromium's sandbox (issue 11, item 9): on unless the bot runs as root, and then said.

The policy is checked for each case it decides, and a real launch is checked by the
command line of the Chromium process it started: ``--no-sandbox`` is there exactly when
the policy says the sandbox is off (here, in CI, the bot runs as root).
"""

from __future__ import annotations

import json
import os

import psutil
import pytest

from bots.config import Settings, default_chromium
from bots.contracts import OutcomeKind
from bots.demo.seed import seed
from bots.drivers.browser import Sandbox, launch_chromium, sandbox_policy
from bots.queue.db import Database
from bots.service import run_once


def test_sandbox_is_on_for_an_ordinary_account() -> None:
    assert sandbox_policy(euid=1000, setting="") == Sandbox(True)


def test_root_turns_it_off_and_says_why() -> None:
    decided = sandbox_policy(euid=0, setting="")
    assert not decided.enabled
    assert "root" in decided.reason and "--no-sandbox" in decided.reason


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "false"])
def test_it_city_can_switch_it_off_knowingly(setting: str) -> None:
    decided = sandbox_policy(euid=1000, setting=setting)
    assert not decided.enabled
    assert "RENKEI_CHROMIUM_SANDBOX=off" in decided.reason


@pytest.mark.parametrize("setting", ["", "on", "yes"])
def test_anything_else_keeps_it_on(setting: str) -> None:
    assert sandbox_policy(euid=1000, setting=setting).enabled


def _chromium_command_lines() -> list[list[str]]:
    lines = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmd = child.cmdline()
        except psutil.Error:
            continue
        if cmd and "chrom" in os.path.basename(cmd[0]):
            lines.append(cmd)
    return lines


def test_the_launched_browser_follows_the_policy() -> None:
    decided = sandbox_policy()
    with launch_chromium(default_chromium(headless=True)) as browser:
        page = browser.new_page()
        page.set_content("<p>起動確認</p>")
        assert page.text_content("p") == "起動確認"
        browsers = [c for c in _chromium_command_lines() if "--remote-debugging-pipe" in c]
        assert browsers, "the Chromium process was not found"
        for cmd in browsers:
            assert ("--no-sandbox" in cmd) is (not decided.enabled), cmd


def test_a_run_records_whether_its_browser_was_sandboxed(settings: Settings, db: Database) -> None:
    seed(db, 1, settings.core_url, problems=False)
    result = run_once(settings, db=db)

    lines = [json.loads(line) for line in result.audit_path.read_text("utf-8").splitlines()]
    started = [line for line in lines if line["step"] == "browser_start"]
    decided = sandbox_policy()
    assert len(started) == 1
    assert started[0]["sandbox"] is decided.enabled
    assert started[0]["detail"] == (decided.reason or "Chromium をサンドボックス付きで起動しました")
    assert result.counts[OutcomeKind.KEYED.value] == 1
