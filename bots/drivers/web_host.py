"""The ``web`` driver host: one Chromium per run, a browser context per subsystem.

Registered as the host of selector files of kind ``web`` (:mod:`bots.drivers.registry`).
The run creates it when its first web driver is needed — so Chromium starts only when
there is work — and closes it with the run, or when Chromium died under it
(:meth:`WebHost.healthy`), so the next application gets a new one.
"""

from __future__ import annotations

from contextlib import ExitStack

from loguru import logger
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from bots.contracts import AuditEvent, AuditSink, Credentials, Driver, DriverHost
from bots.drivers.browser import launch_chromium, sandbox_policy
from bots.drivers.playwright_web import PlaywrightDriver
from bots.drivers.registry import HostConfig, register_host
from bots.screens import SelectorSet


class WebHost(DriverHost):
    """Chromium for the run's web drivers (:class:`~bots.contracts.DriverHost`)."""

    def __init__(self, config: HostConfig, audit: AuditSink | None = None) -> None:
        self.config = config
        self._stack = ExitStack()
        self.browser: Browser = self._start(audit)

    def _start(self, audit: AuditSink | None) -> Browser:
        """Launch Chromium; whether it is sandboxed, and why not, is logged in the
        operational log and the run's audit trail (an auditor asks)."""
        sandbox = sandbox_policy()
        if not sandbox.enabled:
            logger.warning(sandbox.reason)
        browser = self._stack.enter_context(
            launch_chromium(self.config.chromium, headless=self.config.headless, sandbox=sandbox)
        )
        if audit is not None:
            audit.emit(
                AuditEvent(
                    step="browser_start",
                    outcome="ok",
                    detail=sandbox.reason or "Chromium をサンドボックス付きで起動しました",
                    extra={"sandbox": sandbox.enabled, "browser": browser.version},
                )
            )
        return browser

    def open(self, selectors: SelectorSet, credentials: Credentials) -> PlaywrightDriver:
        return PlaywrightDriver(
            self.browser,
            self.config.core_url,
            selectors,
            credentials,
            timeout_ms=self.config.timeout_ms,
        )

    def alive(self, driver: Driver) -> bool:
        """Whether the driver's browser, context and tab still answer (a crashed tab does not)."""
        if not isinstance(driver, PlaywrightDriver):
            return False
        try:
            browser = driver.context.browser
            if driver.page.is_closed() or not browser or not browser.is_connected():
                return False
            driver.page.evaluate("1")  # a crashed renderer raises here
        except PlaywrightError:
            return False
        return True

    def healthy(self) -> bool:
        return self.browser.is_connected()

    def close(self) -> None:
        stack, self._stack = self._stack, ExitStack()
        stack.close()


register_host("web", WebHost)
