"""One logged-in session on one subsystem, for the tools (not for runs).

A run's drivers live in :class:`bots.engine.systems.Systems` with licences, healing and
the run's audit trail; the tools need only one driver for a few minutes, started and
closed here — from the host of the selector file's kind (:mod:`bots.drivers.registry`),
with the same Chromium (or client), credentials and time-out as a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from bots.config import Settings
from bots.contracts import Driver
from bots.drivers.registry import NoDriver, host_maker, kinds
from bots.engine.runner import runner_name
from bots.engine.systems import hold_licence
from bots.errors import RecipeError
from bots.queue.db import Database
from bots.queue.slots import SessionSlots
from bots.screens import SelectorSet
from bots.service import engine_settings, host_config


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
) -> Iterator[Driver]:
    """A driver on the subsystem of ``selectors`` holding a licence slot (:func:`licence`);
    closed with its host (the browser), and the slot given back, at the end.

    A web host starts its own Playwright: call it in a thread that holds no other one.
    """
    with licence(settings, selectors.system, hold), _driver(settings, selectors) as driver:
        yield driver


@contextmanager
def _driver(settings: Settings, selectors: SelectorSet) -> Iterator[Driver]:
    engine = engine_settings(settings)  # protects the password in every output, as a run
    try:
        make = host_maker(selectors.kind)
    except NoDriver:
        raise RecipeError(
            f"{selectors.path}: 画面の種類 kind: {selectors.kind} を操作するドライバが"
            f"登録されていません（登録済み: {'、'.join(kinds())}）"
        ) from None
    host = make(host_config(engine), None)
    try:
        driver = host.open(selectors, engine.credentials)
        try:
            yield driver
        finally:
            driver.close()
    finally:
        host.close()
