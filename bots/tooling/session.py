"""One logged-in browser on one subsystem, for the tools (not for runs).

A run's browser lives in :class:`bots.engine.systems.Systems` with licences, healing and
the run's audit trail; the tools need only one driver for a few minutes, started and
closed here, with the same Chromium, credentials and time-out as a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from loguru import logger

from bots.config import Settings
from bots.drivers.browser import launch_chromium, sandbox_policy
from bots.drivers.playwright_web import PlaywrightDriver
from bots.engine.runner import runner_name
from bots.engine.systems import hold_licence
from bots.queue.db import Database
from bots.queue.slots import SessionSlots
from bots.recipe.selectors import SelectorSet
from bots.service import engine_settings


@contextmanager
def licence(settings: Settings, system: str, hold: timedelta | None = None) -> Iterator[None]:
    """A tool logged in is one more session on the core system: with a licence limit
    (``RENKEI_CORE_SESSIONS``) it holds a slot as a run does, waiting as a run waits, so a
    dry run beside a run never logs in beyond the vendor's licence. ``hold`` is the lease
    (a run's by default; longer for a person recording screens)."""
    engine = engine_settings(settings)
    if not engine.session_limit:
        yield
        return
    slots = SessionSlots(Database(settings.db_url))
    holder = f"tool:{runner_name()}"
    lease = hold or engine.lease
    slot = hold_licence(slots, system, holder, lease, engine.session_limit, engine.session_wait_s)
    try:
        yield
    finally:
        slots.release(system, slot, holder)


@contextmanager
def driver_for(
    settings: Settings, selectors: SelectorSet, hold: timedelta | None = None
) -> Iterator[PlaywrightDriver]:
    """A driver on the subsystem of ``selectors`` holding a licence slot (:func:`licence`);
    closed with its browser, and the slot given back, at the end.

    It starts its own Playwright: call it in a thread that holds no other Playwright.
    """
    with licence(settings, selectors.system, hold), _driver(settings, selectors) as driver:
        yield driver


@contextmanager
def _driver(settings: Settings, selectors: SelectorSet) -> Iterator[PlaywrightDriver]:
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
