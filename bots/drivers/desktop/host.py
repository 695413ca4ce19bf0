"""The ``desktop`` driver host: the X display the client is shown on, and the client.

Registered as the host of selector files of kind ``desktop`` (:mod:`bots.drivers.registry`).
A municipality's client is installed and usually started by the desktop session, so the
host *attaches* to the display (``display``, else ``$DISPLAY``). When a
``client_command`` is configured (``RENKEI_DESKTOP_CLIENT``) and no window of the client
is open, the host starts it on the first driver it opens and waits for its first screen
by the log-in screen's reference image (never a fixed time); it stops only what it started.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from loguru import logger

from bots.contracts import AuditEvent, AuditSink, Credentials, Driver, DriverHost
from bots.drivers.desktop.driver import DesktopDriver
from bots.drivers.desktop.errors import WindowNotFound
from bots.drivers.desktop.matching import Finder, Template
from bots.drivers.desktop.screen import screen_region
from bots.drivers.desktop.waiting import wait_for_screen
from bots.drivers.desktop.windows import windows
from bots.drivers.registry import HostConfig, register_host
from bots.screens import SelectorSet


class DesktopHost(DriverHost):
    """The display (and, when configured, the client process) of a run's desktop drivers."""

    def __init__(self, config: HostConfig, audit: AuditSink | None = None) -> None:
        self.config = config
        self.audit = audit
        if config.display:
            os.environ["DISPLAY"] = config.display
        if not os.environ.get("DISPLAY"):
            raise WindowNotFound("（X ディスプレイ未設定: DISPLAY / RENKEI_DESKTOP_DISPLAY）")
        self.display = os.environ["DISPLAY"]
        self.finder = Finder()  # one per process: each window's scale is remembered
        self.process: subprocess.Popen[bytes] | None = None

    def open(self, selectors: SelectorSet, credentials: Credentials) -> DesktopDriver:
        if self.config.client_command and not self._client_shown(selectors):
            self._start(selectors)
        return DesktopDriver(
            selectors, credentials, timeout_s=self.config.timeout_ms / 1000, finder=self.finder
        )

    def _client_shown(self, selectors: SelectorSet) -> bool:
        return any(w.title.startswith(selectors.title) for w in windows())

    def _start(self, selectors: SelectorSet) -> None:
        """Start the client and wait until its log-in screen shows (its reference image)."""
        assert self.config.client_command
        command = shlex.split(self.config.client_command)
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        login = selectors.login
        screen = selectors.screens[login.screen] if login else None
        if screen is not None and screen.view is not None:
            x, y, w, h = screen.view.anchor
            template = Template.load(screen.view.reference, name=f"{screen.name}/基準")
            template = Template(template.name, template.image[y : y + h, x : x + w], 0.8)
            wait_for_screen(
                self.finder,
                template,
                screen=screen.name,
                within=screen_region(),
                timeout=self.config.start_timeout_s,
                key=screen.view.title,
            )
        logger.info("desktop.host started the client ({})", command[0])
        if self.audit is not None:
            self.audit.emit(
                AuditEvent(
                    step="client_start",
                    outcome="ok",
                    detail="基幹システムのクライアントを起動しました",
                    extra={"display": self.display},
                )
            )

    def alive(self, driver: Driver) -> bool:
        """Whether the driver's client still shows a window (a crashed client does not)."""
        if not isinstance(driver, DesktopDriver) or driver.closed:
            return False
        if self.process is not None and self.process.poll() is not None:
            return False
        try:
            return self._client_shown(driver.selectors)
        except Exception:  # the display itself went away
            return False

    def healthy(self) -> bool:
        try:
            screen_region(self.display)
        except Exception:
            return False
        return self.process is None or self.process.poll() is None

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


register_host("desktop", DesktopHost)
