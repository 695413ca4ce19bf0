"""The core systems one run works: a licence, a logged-in driver and the host behind them.

Kept apart from the engine's outcome logic: these are lifetimes (started on first use,
replaced when broken, closed with the run's exit stack), not decisions about applications.
The concrete parts come from the service layer: the licence slots
(:class:`~bots.contracts.LicenceSlots`) and one host factory per kind of selector file
(:data:`~bots.contracts.HostFactory`: Chromium for ``web``), so nothing here knows which
UI technology a driver uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from loguru import logger
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from bots.contracts import AuditSink, Driver, DriverHost, HostFactory, LicenceSlots
from bots.errors import CoreUnavailable, RecipeError
from bots.recipe.model import Recipe

if TYPE_CHECKING:
    from bots.engine.runner import EngineSettings


def hold_licence(
    slots: LicenceSlots, system: str, holder: str, lease: timedelta, limit: int, wait_s: float
) -> int:
    """One of the system's ``limit`` licence slots for ``holder``, waiting up to ``wait_s``
    while all are in use (a run's and a tool's session alike); CoreUnavailable after."""
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


def no_driver(recipe: Recipe, kinds: Mapping[str, object]) -> RecipeError | None:
    """The recipe error of a selector file whose kind no driver is registered for, naming
    the file; None when a host of its kind can be made."""
    kind = recipe.selectors.kind
    if kind in kinds:
        return None
    known = "、".join(sorted(kinds)) or "なし"
    return RecipeError(
        f"{recipe.selectors.path}: 画面の種類 kind: {kind} を操作するドライバが登録されていません"
        f"（登録済み: {known}）"
    )


@dataclass
class Systems:
    """Drivers per subsystem, created on first use, replaced when broken.

    A kind's host (the browser, for the web) is made with its first driver and kept for
    the run; a driver (its logged-in session) or the whole host that broke under the run —
    a crashed tab, a Chromium that died — is closed and replaced for the next application,
    so one crash never fails the rest of the run. Everything still open is closed with the
    run's stack.
    """

    stack: ExitStack
    settings: EngineSettings
    runner: str
    slots: LicenceSlots | None = None
    hosts: Mapping[str, HostFactory] = field(default_factory=dict)  # kind → factory
    audit: AuditSink | None = None  # the run's trail: each host's start is on record
    running: dict[str, DriverHost] = field(default_factory=dict)  # kind → host of this run
    drivers: dict[str, Driver] = field(default_factory=dict)  # system → its driver
    held: dict[str, int] = field(default_factory=dict)  # system → licence slot
    _kinds: dict[str, str] = field(default_factory=dict)  # system → kind of its driver

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
        self._drop(system)
        assert self.slots is not None
        self.slots.release(system, slot, self.runner)

    def driver_for(self, recipe: Recipe) -> Driver:
        system = recipe.system
        self.licence(system)
        if system not in self.drivers:
            kind = recipe.selectors.kind
            problem = no_driver(recipe, self.hosts)
            if problem is not None:
                raise problem
            host = self.running.get(kind)
            if host is None:
                host = self.running[kind] = self.hosts[kind](self.audit)
            self.drivers[system] = host.open(recipe.selectors, self.settings.credentials)
            self._kinds[system] = kind
        else:
            self.drivers[system].use_screens(recipe.selectors)
        return self.drivers[system]

    def heal(self, system: str) -> None:
        """Replace the system's driver if its session or its host is gone (before a retry)."""
        driver = self.drivers.get(system)
        host = self.running.get(self._kinds.get(system, ""))
        if driver is not None and (host is None or not host.alive(driver)):
            self.discard(system)

    def discard(self, system: str) -> None:
        """Close the system's driver, and its host too if it died: new ones next time."""
        kind = self._kinds.get(system)
        self._drop(system)
        host = self.running.get(kind or "")
        if host is not None and not _healthy(host):
            logger.warning(
                "画面操作の基盤（{}: ブラウザ等）が終了していたため、次の申請から起動し直します",
                kind,
            )
            self._close_kind(str(kind))

    def _drop(self, system: str) -> None:
        driver = self.drivers.pop(system, None)
        self._kinds.pop(system, None)
        if driver is not None:
            _quietly(driver.close, f"{system} の画面操作")

    def _close_kind(self, kind: str) -> None:
        """Close every driver of ``kind``, then its host."""
        for system in [s for s, k in self._kinds.items() if k == kind]:
            self._drop(system)
        host = self.running.pop(kind, None)
        if host is not None:
            _quietly(host.close, "画面操作の基盤（ブラウザ等）")

    def close(self) -> None:
        for system in list(self.drivers):
            self._drop(system)
        for kind in list(self.running):
            self._close_kind(kind)


def _healthy(host: DriverHost) -> bool:
    try:
        return host.healthy()
    except Exception:  # noqa: BLE001  a dead host fails in many ways
        return False


def _quietly(close: Callable[[], None], what: str) -> None:
    """Close something that may already be broken: a failure to close is only logged."""
    try:
        close()
    except Exception as exc:  # noqa: BLE001  a dead browser fails in many ways
        logger.warning("{}を閉じられませんでした（{}: {}）", what, type(exc).__name__, exc)
