"""The core systems one run works: a licence, a logged-in driver and the browser behind them.

Kept apart from the engine's outcome logic: these are lifetimes (started on first use,
replaced when broken, closed with the run's exit stack), not decisions about applications.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from loguru import logger
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from bots.contracts import AuditEvent, AuditSink, Driver
from bots.drivers.browser import launch_chromium, sandbox_policy
from bots.drivers.playwright_web import PlaywrightDriver
from bots.errors import CoreUnavailable
from bots.queue.slots import SessionSlots
from bots.recipe.model import Recipe

if TYPE_CHECKING:
    from bots.engine.runner import EngineSettings


def hold_licence(
    slots: SessionSlots, system: str, holder: str, lease: timedelta, limit: int, wait_s: float
) -> int:
    """One of the system's ``limit`` licence slots for ``holder``, waiting up to ``wait_s``
    while all are in use (a run's and a tool's browser alike); CoreUnavailable after."""
    waiting = Retrying(
        stop=stop_after_delay(wait_s),
        wait=wait_fixed(1),
        retry=retry_if_result(lambda slot: slot is None),  # all licences in use: wait
    )
    try:
        slot = waiting(slots.acquire, system, holder, lease, limit)
    except RetryError:
        slot = None
    if slot is None:
        raise CoreUnavailable(f"{system}: 同時接続数の上限（{limit}）に達しているため待機しました")
    return int(slot)


@dataclass
class Systems:
    """Drivers per subsystem, created on first use, replaced when broken.

    The browser is started with the first driver and kept for the run; a driver (its
    logged-in context) or the whole browser that broke under the run — a crashed tab, a
    Chromium that died — is closed and replaced for the next application, so one crash
    never fails the rest of the run. Everything still open is closed with the run's stack.
    """

    stack: ExitStack
    settings: EngineSettings
    runner: str
    slots: SessionSlots | None = None
    browser: Browser | None = None
    drivers: dict[str, PlaywrightDriver] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)  # system → licence slot
    audit: AuditSink | None = None  # the run's trail: each browser start is on record
    _browser_stack: ExitStack = field(default_factory=ExitStack)

    def __post_init__(self) -> None:
        self.stack.callback(self.close)

    def licence(self, system: str) -> None:
        """Hold one of the system's licence slots before logging in (and keep it)."""
        if self.slots is None or self.settings.session_limit is None:
            return
        lease = self.settings.lease
        if system in self.held:
            self.slots.extend(system, self.held[system], self.runner, lease)
            return
        slot = hold_licence(
            self.slots,
            system,
            self.runner,
            lease,
            self.settings.session_limit,
            self.settings.session_wait_s,
        )
        self.held[system] = slot
        self.stack.callback(self._give_back, system, slot)

    def _give_back(self, system: str, slot: int) -> None:
        """The system's session ends before its licence is free for another runner."""
        driver = self.drivers.pop(system, None)
        if driver is not None:
            _quietly(driver.close, f"{system} の画面操作")
        assert self.slots is not None
        self.slots.release(system, slot, self.runner)

    def driver_for(self, recipe: Recipe) -> Driver:
        system = recipe.system
        self.licence(system)
        if system not in self.drivers:
            if self.browser is None:
                self.browser = self._start_browser()
            self.drivers[system] = PlaywrightDriver(
                self.browser,
                self.settings.core_url,
                recipe.selectors,
                self.settings.credentials,
                timeout_ms=self.settings.timeout_ms,
            )
        else:
            self.drivers[system].use_screens(recipe.selectors)
        return self.drivers[system]

    def _start_browser(self) -> Browser:
        """Launch Chromium for the run; whether it is sandboxed, and why not, is logged in
        the operational log and the run's audit trail (an auditor asks)."""
        sandbox = sandbox_policy()
        if not sandbox.enabled:
            logger.warning(sandbox.reason)
        browser = self._browser_stack.enter_context(
            launch_chromium(
                self.settings.chromium, headless=self.settings.headless, sandbox=sandbox
            )
        )
        if self.audit is not None:
            self.audit.emit(
                AuditEvent(
                    step="browser_start",
                    outcome="ok",
                    detail=sandbox.reason or "Chromium をサンドボックス付きで起動しました",
                    extra={"sandbox": sandbox.enabled, "browser": browser.version},
                )
            )
        return browser

    def heal(self, system: str) -> None:
        """Replace the system's driver if its tab or the browser is gone (before a retry)."""
        driver = self.drivers.get(system)
        if driver is not None and not _alive(driver):
            self.discard(system)

    def discard(self, system: str) -> None:
        """Close the system's driver, and the browser too if it died: new ones next time."""
        driver = self.drivers.pop(system, None)
        if driver is not None:
            _quietly(driver.close, f"{system} の画面操作")
        if self.browser is not None and not self.browser.is_connected():
            logger.warning("ブラウザ（Chromium）が終了していたため、次の申請から起動し直します")
            self.close()

    def close(self) -> None:
        for system in list(self.drivers):
            _quietly(self.drivers.pop(system).close, f"{system} の画面操作")
        self.browser = None
        browser_stack, self._browser_stack = self._browser_stack, ExitStack()
        _quietly(browser_stack.close, "ブラウザ")


def _alive(driver: PlaywrightDriver) -> bool:
    """Whether the driver's browser, context and tab still answer (a crashed tab does not)."""
    try:
        if (
            driver.page.is_closed()
            or not driver.context.browser
            or not (driver.context.browser.is_connected())
        ):
            return False
        driver.page.evaluate("1")  # a crashed renderer raises here
    except PlaywrightError:
        return False
    return True


def _quietly(close: Callable[[], None], what: str) -> None:
    """Close something that may already be broken: a failure to close is only logged."""
    try:
        close()
    except Exception as exc:  # noqa: BLE001  a dead browser fails in many ways
        logger.warning("{}を閉じられませんでした（{}: {}）", what, type(exc).__name__, exc)
