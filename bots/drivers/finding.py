"""Finding elements on a core system's screens: the half of the web driver a vendor
update breaks first, so it is done with care.

* every strategy of an element is tried (first alone, then all at once with
  ``locator.or_``), waiting for the page rather than sleeping; the first strategy in the
  file's order that matches is used, and a match by a later one is *drift*, kept for IT;
* once an element has been found by its first strategy, later fills, selects and reads act
  on that strategy directly (Playwright's strict locators still refuse a second match) and
  fall back to the full search only when that fails — one browser round trip instead of
  three for most of a form, with the same errors when a screen has changed;
* no match, or an element that matches several times, raises a screen change naming the
  screen, the element and every strategy tried, like Playwright's call log — unless the
  page is the login screen (session expired) or the server answered 5xx (transient);
* elements live where their screen says: the page, a named frame of a legacy frameset, or
  a pop-up window.

:class:`ElementFinder` holds only the finding; :class:`~bots.drivers.playwright_web.
PlaywrightDriver` builds on it with the session, the actions and the evidence.
"""

from __future__ import annotations

from typing import NoReturn

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bots.drivers.locating import Scope, any_of, strategy_locator
from bots.errors import (
    CoreUnavailable,
    ScreenChanged,
    SelectorNotFound,
    SessionExpired,
    TransientError,
)
from bots.recipe.selectors import Element, Screen, SelectorSet

#: How long an action on an element's known first strategy may wait before the full search.
DIRECT_MS = 1_000


def element_key(element: Element) -> tuple[str, str, str]:
    return (element.screen, element.name, element.strategies[0].describe())


class ElementFinder:
    """Locates elements of one subsystem's screens in a page and its frames or pop-up.

    The driver sets these in its constructor; they are the state finding depends on.
    """

    base_url: str
    selectors: SelectorSet
    timeout_ms: float
    page: Page
    _popup: Page | None
    _login_screen: Screen
    _server_errors: list[tuple[int, str]]  # 5xx answers seen since the last action
    drift: list[tuple[Element, int]]  # elements found by a later strategy (index)
    _found_first: set[tuple[str, str, str]]  # found by their first strategy: see _direct

    def _raise_server_error(self) -> None:
        if not self._server_errors:
            return
        status, url = self._server_errors[-1]
        self._server_errors.clear()
        path = url.removeprefix(self.base_url)
        if status == 503:
            raise CoreUnavailable(f"基幹システムが停止中です（HTTP 503、夜間バッチ等）: {path}")
        raise TransientError(f"基幹システムがエラーを返しました（HTTP {status}）: {path}")

    # -- where elements live ----------------------------------------------------------

    def _scope_now(self, element: Element) -> Page | Frame | None:
        """Where the element's screen is shown right now, without waiting; None if nowhere."""
        screen = self.selectors.screens.get(element.screen)
        page: Page | None = self.page
        if screen is not None and screen.window:
            page = self._popup if self._popup is not None and not self._popup.is_closed() else None
        if page is None or screen is None or not screen.frame:
            return page
        return page.frame(name=screen.frame)

    def _scope(self, element: Element) -> Page | Frame:
        screen = self.selectors.screens.get(element.screen)
        page = self.page
        if screen is not None and screen.window:
            if self._popup is None or self._popup.is_closed():
                raise ScreenChanged(screen.name, element.name, "ポップアップ画面が開いていません")
            page = self._popup
        if screen is None or not screen.frame:
            return page
        frame = page.frame(name=screen.frame)
        if frame is None:
            try:
                page.locator(
                    f"frame[name='{screen.frame}'], iframe[name='{screen.frame}']"
                ).first.wait_for(state="attached", timeout=self.timeout_ms)
            except PlaywrightTimeout:
                self._raise_not_found(element, [], page)
            frame = page.frame(name=screen.frame)
        if frame is None:
            raise ScreenChanged(
                screen.name, element.name, f"フレーム '{screen.frame}' がありません"
            )
        return frame

    def _settle(self, scope: Page | Frame) -> None:
        """Wait until the subsystem's busy indicator (spinner) is gone, if it has one."""
        if self.selectors.busy is None:
            return
        for s in self.selectors.busy.strategies:
            busy = strategy_locator(scope, s)
            if busy.count():
                try:
                    busy.first.wait_for(state="hidden", timeout=self.timeout_ms)
                except PlaywrightTimeout as exc:
                    raise TransientError("基幹システムの読み込みが終わりません") from exc

    def _on_login_page(self) -> bool:
        marker = self._login_screen.marker
        if marker is None:
            return False
        locators = [strategy_locator(self.page, s) for s in marker.strategies]
        combined = any_of(locators)
        try:
            return combined.count() > 0  # one round trip for every strategy
        except PlaywrightError:
            return False

    def locate(
        self, element: Element, *, many: bool = False, timeout: float | None = None
    ) -> Locator:
        """Find an element by its strategies, in order; see the module docstring."""
        scope = self._scope(element)
        self._settle(scope)
        locators = [strategy_locator(scope, s) for s in element.strategies]
        # Fast path: the page has settled and the first strategy finds exactly what we want.
        first = locators[0].count()
        if first == 1 and not many:
            self._found_first.add(element_key(element))
        else:  # drifted or gone: no more direct actions on it (each would wait DIRECT_MS)
            self._found_first.discard(element_key(element))
        if first == 1 or (first > 1 and many):
            return locators[0]
        if first > 1 and element.latest:
            return locators[0].last
        if first == 0:  # before waiting: perhaps the session ended or the server failed
            self._raise_server_error()
            if element.screen != self._login_screen.name and self._on_login_page():
                raise SessionExpired(
                    "基幹システムのセッションが切れました（ログイン画面に戻りました）"
                )
        combined = any_of(locators)
        try:
            combined.first.wait_for(state="attached", timeout=timeout or self.timeout_ms)
        except PlaywrightTimeout:
            self._raise_not_found(element, locators, scope)
        for index, loc in enumerate(locators):
            n = loc.count()
            if n == 0:
                continue
            if n > 1 and element.latest:
                loc = loc.last
            elif n > 1 and not many:
                raise ScreenChanged(
                    element.screen,
                    element.name,
                    f"{element.strategies[index].describe()} が{n}件に一致します",
                )
            if index > 0:
                self.drift.append((element, index))
            return loc
        self._raise_not_found(element, locators, scope)

    def _direct(self, element: Element) -> Locator | None:
        """The first strategy's locator, to act on without counting first — when this
        element was found by it before in this session and nothing else needs checking
        first (no busy indicator to wait for, not a "latest of many" element). The caller
        acts with a short time-out and falls back to :meth:`locate` on any failure, so a
        changed screen still ends in the same precise error."""
        if (
            self.selectors.busy is not None
            or element.latest
            or element_key(element) not in self._found_first
        ):
            return None
        scope = self._scope_now(element)
        if scope is None:
            return None
        return strategy_locator(scope, element.strategies[0])

    def _raise_not_found(self, element: Element, locators: list[Locator], scope: Scope) -> NoReturn:
        self._raise_server_error()
        if element.screen != self._login_screen.name and self._on_login_page():
            raise SessionExpired("基幹システムのセッションが切れました（ログイン画面に戻りました）")
        tried = []
        for s, loc in zip(element.strategies, locators, strict=False):
            try:
                tried.append(f"{s.describe()} → {loc.count()} 件")
            except PlaywrightError:
                tried.append(f"{s.describe()} → 判定不能")
        raise SelectorNotFound(
            element.screen, element.name, tried or ["（画面の枠が見つかりません）"]
        )

    def _rows(self, rows: Element) -> tuple[Locator | None, int]:
        """The rows by the first strategy that finds any, and how many: one round trip."""
        scope = self._scope(rows)
        self._settle(scope)
        for s in rows.strategies:
            loc = strategy_locator(scope, s)
            n = loc.count()
            if n:
                return loc, n
        return None, 0

    def _texts(self, element: Element) -> list[str]:
        """The rendered text of everything any strategy of the element matches (none:
        empty), in one round trip: what :meth:`submit` compares before and after 登録."""
        scope = self._scope(element)
        self._settle(scope)
        locators = [strategy_locator(scope, s) for s in element.strategies]
        combined = any_of(locators)
        return [t.strip() for t in combined.all_inner_texts()]
