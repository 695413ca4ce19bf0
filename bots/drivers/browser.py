"""One Chromium per run.

Playwright's own browser download cannot work on the municipality's closed network (nor
here), so renkei launches the distribution's Chromium: its old headless shell for headless
runs when installed, else ``/usr/bin/chromium`` (see :func:`bots.config.default_chromium`).
The flags keep it from phoning home, which a closed network would refuse many times a
second.

Chromium's sandbox stays on: the bot renders screens of a system that holds the
municipality's residents, and the sandbox is what keeps a renderer compromised by a page from
reaching the runner's files and keys. Playwright passes ``--no-sandbox`` unless told
otherwise, so the sandbox is asked for explicitly (``chromium_sandbox``). Only where the
bot itself runs as root (a container, CI) — where Chromium refuses to start sandboxed — or
where IT switched it off knowingly (``RENKEI_CHROMIUM_SANDBOX=off``) is it off, and then
:func:`sandbox_policy` says why, for the run's logs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bots.errors import RenkeiError

#: Flags for every launch; ``--no-sandbox`` is never among them (see :func:`sandbox_policy`).
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Sandbox:
    """Whether Chromium runs sandboxed, and if not, why (in Japanese, for the logs)."""

    enabled: bool
    reason: str = ""


def sandbox_policy(euid: int | None = None, setting: str | None = None) -> Sandbox:
    """On, unless the bot runs as root or ``RENKEI_CHROMIUM_SANDBOX=off`` says so.

    ``euid`` and ``setting`` default to the process's effective user and the environment.
    """
    euid = os.geteuid() if euid is None else euid
    setting = os.environ.get("RENKEI_CHROMIUM_SANDBOX", "") if setting is None else setting
    if euid == 0:
        return Sandbox(
            False,
            "renkei を root で実行しているため、Chromium のサンドボックスを無効にしています"
            "（--no-sandbox）。本番では専用の一般ユーザーで実行してください",
        )
    if setting.strip().lower() in {"off", "0", "no", "false"}:
        return Sandbox(
            False,
            "RENKEI_CHROMIUM_SANDBOX=off の設定により、Chromium のサンドボックスを無効にしています"
            "（--no-sandbox）",
        )
    return Sandbox(True)


@contextmanager
def launch_chromium(
    executable: str, *, headless: bool = True, sandbox: Sandbox | None = None
) -> Iterator[Browser]:
    """Start Playwright and Chromium; both are stopped when the block ends, whatever happens."""
    if not Path(executable).exists():
        raise RenkeiError(
            f"Chromium が見つかりません: {executable}（apt-get install chromium、"
            "または RENKEI_CHROMIUM で場所を指定してください）"
        )
    sandbox = sandbox or sandbox_policy()
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(
                executable_path=executable,
                headless=headless,
                args=CHROMIUM_ARGS,
                chromium_sandbox=sandbox.enabled,
            )
        except PlaywrightError as exc:
            if not sandbox.enabled:
                raise
            raise RenkeiError(
                f"Chromium をサンドボックス付きで起動できませんでした（{executable}）。"
                "このマシンで一般ユーザーの user namespace が使えるか確認してください。"
                "やむを得ず無効にする場合は RENKEI_CHROMIUM_SANDBOX=off を設定します"
                "（その旨が実行の記録に残ります）"
            ) from exc
        try:
            yield browser
        finally:
            browser.close()
