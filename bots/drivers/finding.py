"""Finding elements on a core system's screens: the half of the web driver a vendor
update breaks first, so it is done with care.

* every strategy of an element is tried (first alone, then all at once with
  ``locator.or_``), waiting for the page rather than sleeping; the first strategy in the
  file's order that matches is used, and a match by a later one is *drift*, kept for IT;
* once an element has been found by its first strategy, later fills, selects and reads act
  on that strategy directly (Playwright's strict locators still refuse a second match) and
  fall back to the full search only when that fails — one browser round trip instead of
  three for most of a form, with the same errors when a screen has changed; one failure
  stops direct actions on that whole screen (a vendor update changes many ids at once);
* no match, or an element that matches several times, raises a screen change naming the
  screen, the element and every strategy tried, like Playwright's call log — unless the
  page, any of its frames or the pop-up shows the login screen (session expired) or the
  server answered 5xx or 409 (transient);
* elements live where their screen says: the page, a named frame of a legacy frameset, or
  a pop-up window.

:class:`ElementFinder` holds only the finding; :class:`~bots.drivers.playwright_web.
PlaywrightDriver` builds on it with the session, the actions and the evidence.
"""

from __future__ import annotations

from contextlib import suppress
from typing import NoReturn
from urllib.parse import urlsplit

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
from bots.screens import Element, Screen, SelectorSet
from bots.selector_text import css_string

#: How long an action on an element's known first strategy may wait before the full search.
DIRECT_MS = 1_000

#: HTTP 409 Conflict: the core system refuses a post from a screen that was replaced (a
#: vendor update while the form was open). Retried from the first screen, like a 5xx.
STALE_STATUS = 409


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
        """Raise for the last answer that says the core system did not take the request.

        5xx is the server's fault (503: closed for the nightly batch); 409 is the answer to a
        post from a screen a vendor update replaced while it was open — nothing was stored,
        and the application must start again from its first screen, so the stale page is
        left at once (a single-page app would otherwise keep drawing the old layout).
        """
        if not self._server_errors:
            return
        status, url = self._server_errors[-1]
        self._server_errors.clear()
        path = url.removeprefix(self.base_url)
        if status == 503:
            raise CoreUnavailable(f"基幹システムが停止中です（HTTP 503、夜間バッチ等）: {path}")
        if status == STALE_STATUS:
            self._leave_page()
            raise TransientError(
                f"基幹システムの画面が入力中に更新されたため、登録されませんでした（HTTP 409）: "
                f"{path}。最初の画面からやり直します"
            )
        raise TransientError(f"基幹システムがエラーを返しました（HTTP {status}）: {path}")

    def _leave_page(self) -> None:
        """Drop the current document (the next attempt opens its screens afresh by URL)."""
        with suppress(PlaywrightError):
            self.page.goto("about:blank")

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
                name = css_string(screen.frame)
                page.locator(f"frame[name='{name}'], iframe[name='{name}']").first.wait_for(
                    state="attached", timeout=self.timeout_ms
                )
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

    def _login_frame_shown(self) -> bool:
        """Whether any frame of the page, or the pop-up, shows the log-in screen's URL: an
        expired session of a frameset answers inside the frame that was loading (the menu
        frame stays as it was), a lookup window inside the window. No browser round trip."""
        login_url = self._login_screen.url
        if not login_url:
            return False
        login_path = urlsplit(self.base_url + login_url).path
        pages = [self.page]
        if self._popup is not None and not self._popup.is_closed():
            pages.append(self._popup)
        return any(
            f.url.startswith(self.base_url) and urlsplit(f.url).path == login_path
            for p in pages
            for f in p.frames
        )

    def _on_login_page(self) -> bool:
        if self._login_frame_shown():
            return True
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
        try:
            self._wait_for_any(element, locators, scope, timeout or self.timeout_ms)
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

    def _wait_for_any(
        self, element: Element, locators: list[Locator], scope: Scope, timeout: float
    ) -> None:
        """Wait until a strategy matches — or the log-in screen shows where the element was
        awaited: an expired session answers the request that was loading (a script's call
        redirects a single-page app, a frame's link loads the log-in form into the frame),
        which must not cost a whole time-out before it is recognised."""
        waiting = any_of(locators)
        marker = self._login_screen.marker
        if marker is not None and element.screen != self._login_screen.name:
            waiting = waiting.or_(any_of([strategy_locator(scope, s) for s in marker.strategies]))
        waiting.first.wait_for(state="attached", timeout=timeout)

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

    def _distrust(self, element: Element) -> None:
        """A direct action on an element found before failed: its screen has probably
        changed under us (a vendor update renames many ids at once), so no element of that
        screen is acted on directly any more until found by its first strategy again —
        one short wait per changed screen, not one per renamed field."""
        self._found_first = {k for k in self._found_first if k[0] != element.screen}

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
