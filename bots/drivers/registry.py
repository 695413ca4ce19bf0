"""The drivers by kind: which :class:`~bots.contracts.DriverHost` works a selector file.

A selector file names its ``kind`` (``web`` when it does not; :data:`bots.screens.KINDS`).
Each kind's host is made by a :data:`HostMaker` registered here, from the module that
implements it — imported only when a run needs that kind, so a web run never loads the
desktop driver's libraries (pyautogui wants a display) and the reverse. The service layer
turns the makers into the engine's :data:`~bots.contracts.HostFactory` per kind
(:func:`driver_hosts`); the engine looks the kind of each recipe's selector file up there,
and a kind with no driver is a recipe error naming the file, before anything is claimed.

Adding a kind: a module that calls :func:`register_host` on import, and a line in
:data:`MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bots.contracts import AuditSink, DriverHost, HostFactory


@dataclass(frozen=True)
class HostConfig:
    """What a run's hosts are given, from the engine's settings (``bots.service``).

    ``core_url`` and ``timeout_ms`` hold for every kind; ``chromium`` and ``headless`` are
    the web host's; ``display``, ``client_command`` and ``start_timeout_s`` the desktop
    host's (the X display, the command that starts the client if the bot is to start it,
    and how long to wait for its first window). A kind with options of its own adds them
    here (with a default, so the callers of other kinds need not know them).
    """

    core_url: str
    timeout_ms: float = 10_000
    chromium: str = "/usr/bin/chromium"
    headless: bool = True
    display: str | None = None
    client_command: str | None = None
    start_timeout_s: float = 60.0


#: ``(config, the run's audit sink)`` → a new host of one kind.
HostMaker = Callable[[HostConfig, AuditSink | None], DriverHost]

#: kind → the module that registers its host maker when imported.
MODULES: dict[str, str] = {
    "web": "bots.drivers.web_host",
    "desktop": "bots.drivers.desktop.host",
}

_MAKERS: dict[str, HostMaker] = {}


class NoDriver(LookupError):
    """No driver is registered for a kind (the engine reports it as a recipe error)."""


def register_host(kind: str, maker: HostMaker) -> None:
    """Make ``maker`` the host of selector files of ``kind``; once per kind."""
    if kind in _MAKERS and _MAKERS[kind] is not maker:
        raise ValueError(f"a driver host for kind '{kind}' is registered twice")
    _MAKERS[kind] = maker


def host_maker(kind: str) -> HostMaker:
    """The maker of ``kind``'s host, importing the module that registers it."""
    if kind not in _MAKERS and kind in MODULES:
        importlib.import_module(MODULES[kind])
    try:
        return _MAKERS[kind]
    except KeyError:
        raise NoDriver(kind) from None


def kinds() -> list[str]:
    """Every kind a driver is known for (registered, or to be imported on first use)."""
    return sorted({*MODULES, *_MAKERS})


def _make(kind: str, config: HostConfig, audit: AuditSink | None) -> DriverHost:
    return host_maker(kind)(config, audit)


def driver_hosts(config: HostConfig) -> dict[str, HostFactory]:
    """The engine's host factory per known kind; nothing is imported until one is called."""
    return {kind: partial(_make, kind, config) for kind in kinds()}
