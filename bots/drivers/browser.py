"""One Chromium per run.

Playwright's own browser download cannot work on the municipality's closed network (nor
here), so renkei launches the distribution's Chromium: its old headless shell for headless
runs when installed, else ``/usr/bin/chromium`` (see :func:`bots.config.default_chromium`).
The flags keep it from phoning home, which a closed network would refuse many times a
second.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bots.errors import RenkeiError

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def launch_chromium(executable: str, *, headless: bool = True) -> Iterator[Browser]:
    """Start Playwright and Chromium; both are stopped when the block ends, whatever happens."""
    if not Path(executable).exists():
        raise RenkeiError(
            f"Chromium が見つかりません: {executable}（apt-get install chromium、"
            "または RENKEI_CHROMIUM で場所を指定してください）"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=headless, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
