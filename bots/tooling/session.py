"""One logged-in browser on one subsystem, for the tools (not for runs).

A run's browser lives in :class:`bots.engine.systems.Systems` with licences, healing and
the run's audit trail; the tools need only one driver for a few minutes, started and
closed here, with the same Chromium, credentials and time-out as a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from loguru import logger

from bots.config import Settings
from bots.drivers.browser import launch_chromium, sandbox_policy
from bots.drivers.playwright_web import PlaywrightDriver
from bots.recipe.selectors import SelectorSet
from bots.service import engine_settings


@contextmanager
def driver_for(settings: Settings, selectors: SelectorSet) -> Iterator[PlaywrightDriver]:
    """A driver on the subsystem of ``selectors``; closed with its browser at the end.

    It starts its own Playwright: call it in a thread that holds no other Playwright.
    """
    engine = engine_settings(settings)  # protects the password in every output, as a run
    sandbox = sandbox_policy()
    if not sandbox.enabled:
        logger.warning(sandbox.reason)
    with launch_chromium(engine.chromium, headless=engine.headless, sandbox=sandbox) as browser:
        driver = PlaywrightDriver(
            browser,
            engine.core_url,
            selectors,
            engine.credentials,
            timeout_ms=engine.timeout_ms,
        )
        try:
            yield driver
        finally:
            driver.close()
