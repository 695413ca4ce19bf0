"""The web driver: a logged-in Playwright context on one core-system subsystem.

Locating is where a vendor update shows first, so it is done with care:

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
  a pop-up window opened by :meth:`popup`;
* JavaScript dialogs are handled for the whole context: alerts are collected (legacy
  systems report errors that way), a confirm is accepted only when its text is the one
  the recipe expects;
* お知らせ-style overlays declared as ``interrupts`` are closed whenever they block an
  action (Playwright's locator handlers) and before every screenshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import NoReturn
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Dialog, Frame, Locator, Page, Response
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bots.contracts import Driver
from bots.drivers.locating import Scope, strategy_locator
from bots.errors import (
    CoreUnavailable,
    RenkeiError,
    ScreenChanged,
    SelectorNotFound,
    SessionExpired,
    TransientError,
)
from bots.recipe.selectors import Element, Interrupt, Screen, SelectorSet

#: Where clicking the element loads a new document: null for nowhere, '' for its own
#: frame, else the target's name (a menu frame's links load the work frame).
_NAVIGATES_JS = """e => {
  if (e.tagName === 'A') {
    const href = e.getAttribute('href') || '';
    if (!href || href.startsWith('#') || href.startsWith('javascript:')) return null;
    return e.getAttribute('target') || '';
  }
  if ((e.tagName === 'BUTTON' || e.tagName === 'INPUT') && e.type === 'submit' && e.form)
    return e.form.getAttribute('target') || '';
  return null;
}"""


#: What a field shows: its value for form controls, else its rendered text.
_TEXT_JS = """e => ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName) ? e.value : e.innerText"""

#: How long an action on an element's known first strategy may wait before the full search.
_DIRECT_MS = 1_000


def _key(element: Element) -> tuple[str, str, str]:
    return (element.screen, element.name, element.strategies[0].describe())


class LoginFailed(RenkeiError):
    """The core system refused the bot's credentials: nothing can be keyed, stop."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


class PlaywrightDriver(Driver):
    """:class:`~bots.contracts.Driver` for web core systems, one browser context per session."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        selectors: SelectorSet,
        credentials: Credentials,
        *,
        timeout_ms: float = 10_000,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.selectors = selectors
        self.credentials = credentials
        self.timeout_ms = timeout_ms
        self.drift: list[tuple[Element, int]] = []
        self.interruptions: list[str] = []  # interrupts closed, for the audit trail
        self._alerts: list[str] = []
        self._confirms: list[str] = []
        self._expected_confirm: str | None = None
        self._server_errors: list[tuple[int, str]] = []
        self._popup: Page | None = None
        self._watched: set[int] = set()
        self._found_first: set[tuple[str, str, str]] = set()  # see _direct
        self._targets: dict[tuple[str, str, str], str | None] = {}  # see _navigates
        self.context: BrowserContext = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 900}
        )
        self.context.set_default_timeout(timeout_ms)
        self.context.on("page", self._watch)
        self.page: Page = self.context.new_page()
        self._watch(self.page)
        self._login_screen = selectors.screen(selectors.login.screen)

    # -- events -----------------------------------------------------------------------

    def _watch(self, page: Page) -> None:
        if id(page) in self._watched:
            return
        self._watched.add(id(page))
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)
        for interrupt in self.selectors.interrupts:
            for scope in [
                page,
                *(
                    page.frame_locator(f"frame[name='{f}'], iframe[name='{f}']")
                    for f in self.selectors.frames
                ),
            ]:
                detect = strategy_locator(scope, interrupt.detect.strategies[0])  # type: ignore[arg-type]
                close = strategy_locator(scope, interrupt.close.strategies[0])  # type: ignore[arg-type]
                page.add_locator_handler(detect, self._closer(interrupt, close))

    def _closer(self, interrupt: Interrupt, close: Locator):  # type: ignore[no-untyped-def]
        def handler() -> None:
            close.click()
            self.interruptions.append(interrupt.name)

        return handler

    def _on_dialog(self, dialog: Dialog) -> None:
        message = dialog.message
        if dialog.type in ("confirm", "beforeunload"):
            self._confirms.append(message)
            expected = self._expected_confirm
            if expected is not None and message.strip() == expected.strip():
                dialog.accept()
            else:
                dialog.dismiss()  # never agree to what the recipe did not expect
        else:
            self._alerts.append(message)
            dialog.dismiss() if dialog.type == "prompt" else dialog.accept()

    def _on_response(self, response: Response) -> None:
        if response.status >= 500 and response.request.resource_type in (
            "document",
            "xhr",
            "fetch",
        ):
            self._server_errors.append((response.status, response.url))

    def take_alerts(self) -> list[str]:
        alerts, self._alerts = self._alerts, []
        return alerts

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
        combined = locators[0]
        for other in locators[1:]:
            combined = combined.or_(other)
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
            self._found_first.add(_key(element))
        else:  # drifted or gone: no more direct actions on it (each would wait _DIRECT_MS)
            self._found_first.discard(_key(element))
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
        combined = locators[0]
        for other in locators[1:]:
            combined = combined.or_(other)
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
            or _key(element) not in self._found_first
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

    # -- session and screens ----------------------------------------------------------

    def _open(self, path: str) -> None:
        self._server_errors.clear()
        try:
            response = self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        except PlaywrightTimeout as exc:
            raise TransientError(f"基幹システムが応答しません: {path}") from exc
        except PlaywrightError as exc:
            raise TransientError(
                f"基幹システムに接続できません: {exc.message.splitlines()[0]}"
            ) from exc
        if response is not None and response.status >= 500:
            self._server_errors.append((response.status, response.url))
        self._raise_server_error()

    def ensure_session(self) -> None:
        url = self.page.url
        if url.startswith(self.base_url):
            login_url = self._login_screen.url
            if not self.selectors.single_page and login_url:
                # A multi-page system shows its log-in screen at its own URL (an expired
                # session redirects there): no need to ask the page, which costs a query.
                if urlsplit(url).path != urlsplit(self.base_url + login_url).path:
                    return
            elif not self._on_login_page():
                return
        login = self.selectors.login
        self._open(self._login_screen.url or "/")
        if not self._on_login_page():
            return  # still logged in
        screen = self._login_screen
        self.fill(screen.elements[login.user], self.credentials.user)
        self.fill(screen.elements[login.password], self.credentials.password)
        with self._navigation(self.page):
            self.locate(screen.elements[login.submit]).click()
        self._raise_server_error()
        if self._on_login_page():
            raise LoginFailed(
                "基幹システムにログインできません（職員ID・パスワードを確認してください）"
            )

    def goto(self, screen: Screen) -> None:
        self._alerts.clear()
        if screen.url is None:
            raise ScreenChanged(screen.name, "url", "画面のURLが定義されていません")
        self._open(screen.url)
        self.expect_screen(screen)

    def expect_screen(self, screen: Screen) -> None:
        if screen.marker is None:
            return
        try:
            self.locate(screen.marker, many=True)
        except SelectorNotFound as exc:
            raise ScreenChanged(
                screen.name, "marker", "想定した画面が表示されていません: " + "; ".join(exc.tried)
            ) from exc

    # -- actions ------------------------------------------------------------------------

    def _navigation(self, scope: Page | Frame):  # type: ignore[no-untyped-def]
        return scope.expect_navigation(wait_until="domcontentloaded", timeout=self.timeout_ms)

    def click(self, element: Element) -> None:
        loc = self.locate(element)
        scope: Page | Frame = self._scope(element)
        self._server_errors.clear()
        try:
            target = None if self.selectors.single_page else self._navigates(element, loc)
            if target is None and element.navigates:
                target = ""  # its script submits the form
            if target in ("_top", "_parent"):
                scope = scope.page if isinstance(scope, Frame) else scope
            elif target and target not in ("_self", "_blank"):
                page = scope.page if isinstance(scope, Frame) else scope
                scope = page.frame(name=target) or scope
            if target is not None and target != "_blank":
                with self._navigation(scope):
                    loc.click()
            else:
                loc.click()
        except PlaywrightTimeout as exc:
            self._raise_server_error()
            raise TransientError(f"{element.qualified} を押した後、画面が応答しません") from exc
        except PlaywrightError:
            if self._popup is not None and self._popup.is_closed():
                return  # the click closed its own pop-up window (a lookup choice): done
            raise
        self._raise_server_error()

    def _navigates(self, element: Element, loc: Locator) -> str | None:
        """Where clicking loads a document (see ``_NAVIGATES_JS``), asked once per element
        and session: a button's form target does not change between applications."""
        key = _key(element)
        if key not in self._targets:
            self._targets[key] = loc.evaluate(_NAVIGATES_JS)
        return self._targets[key]

    def fill(self, element: Element, value: str) -> None:
        loc = self._direct(element)
        if loc is not None:
            try:
                loc.fill(value, timeout=_DIRECT_MS)
            except PlaywrightError:
                loc = None  # look properly: the error must name the screen and strategies
        if loc is None:
            loc = self.locate(element)
            loc.fill(value)
        # The field may refuse or change what was typed (maxlength, a script): never
        # register something other than the application's value.
        if loc.input_value() != value:
            raise ScreenChanged(element.screen, element.name, "入力した値が画面に反映されません")

    def select(self, element: Element, label: str) -> None:
        loc = self._direct(element)
        if loc is not None:
            try:
                loc.select_option(label=label, timeout=_DIRECT_MS)
                return
            except PlaywrightError:
                pass  # not there, or no such option: find out which, below
        loc = self.locate(element)
        try:
            loc.select_option(label=label, timeout=2_000)
        except PlaywrightTimeout as exc:
            raise ScreenChanged(
                element.screen, element.name, f"選択肢「{label}」がありません"
            ) from exc

    def check(self, element: Element) -> None:
        loc = self._direct(element)
        if loc is not None:
            try:
                loc.check(timeout=_DIRECT_MS)
                return
            except PlaywrightError:
                pass
        self.locate(element).check()

    def read_text(self, element: Element) -> str:
        loc = self._direct(element)
        if loc is not None:
            try:
                return str(loc.evaluate(_TEXT_JS, timeout=_DIRECT_MS))
            except PlaywrightError:
                pass
        return str(self.locate(element).evaluate(_TEXT_JS))

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

    def count(self, element: Element) -> int:
        return self._rows(element)[1]

    def _texts(self, element: Element) -> list[str]:
        """The rendered text of every match of the element (none: empty)."""
        found, _ = self._rows(element)
        return [t.strip() for t in found.all_inner_texts()] if found is not None else []

    def read_rows(self, rows: Element, columns: Mapping[str, Element]) -> list[dict[str, str]]:
        found, n = self._rows(rows)
        if found is None:
            # "No rows" must mean the screen said so, not that we are somewhere else: a
            # login page (session expired) or an error page read as "not found" or "not
            # keyed yet" would send a resident to review, or key an application twice.
            self._raise_server_error()
            if rows.screen != self._login_screen.name and self._on_login_page():
                raise SessionExpired(
                    "基幹システムのセッションが切れました（ログイン画面に戻りました）"
                )
            screen = self.selectors.screens.get(rows.screen)
            if screen is not None:
                self.expect_screen(screen)
            return []
        out = []
        for index in range(n):
            row = found.nth(index)
            if not columns:  # a list of messages: the rows' own text
                out.append({"_text": row.inner_text().strip()})
                continue
            values = {}
            for key, col in columns.items():  # one round trip per cell, empty when absent
                texts = strategy_locator(row, col.strategies[0]).all_inner_texts()
                values[key] = texts[0].strip() if texts else ""
            out.append(values)
        return out

    def submit(
        self, button: Element, confirm: str | None, success: Element, errors: Element | None
    ) -> list[str]:
        loc = self.locate(button)
        # Toasts of earlier registrations may still show, and may vanish while we wait:
        # success is a text that was not there before (a toast carries its 受付番号), or
        # more of them than before — never a mere count, which a vanishing toast upsets.
        before = Counter(self._texts(success))
        self._alerts.clear()
        self._confirms.clear()
        self._server_errors.clear()
        self._expected_confirm = confirm
        try:
            loc.click()
        finally:
            self._expected_confirm = None
        if self._confirms and confirm is not None and self._confirms[0].strip() != confirm.strip():
            raise ScreenChanged(
                button.screen,
                button.name,
                f"想定外の確認ダイアログ「{self._confirms[0]}」（想定「{confirm}」）",
            )
        if confirm is not None and not self._confirms:
            raise ScreenChanged(button.screen, button.name, "確認ダイアログが表示されませんでした")
        deadline = monotonic() + self.timeout_ms / 1000
        while True:
            self._raise_server_error()
            if self._alerts:
                return self.take_alerts()
            try:
                if Counter(self._texts(success)) - before:
                    return []
                if errors is not None and self.count(errors):
                    rows = self.read_rows(errors, {})
                    return [r["_text"] for r in rows if r["_text"]] or ["（内容なし）"]
                if self._on_login_page():
                    raise SessionExpired("登録の途中でセッションが切れました（登録されていません）")
                waiting = strategy_locator(self._scope(success), success.strategies[0])
                waiting.nth(sum(before.values())).wait_for(state="attached", timeout=250)
            except (PlaywrightTimeout, PlaywrightError):
                pass  # the page is between documents: look again
            if monotonic() > deadline:
                self._raise_server_error()
                raise TransientError("登録ボタンの後、結果が表示されません")

    @contextmanager
    def popup(self, opener: Element, screen: Screen) -> Iterator[None]:
        loc = self.locate(opener)
        with self.page.expect_popup(timeout=self.timeout_ms) as info:
            loc.click()
        popup = info.value
        popup.wait_for_load_state("domcontentloaded")
        self._popup = popup
        try:
            self.expect_screen(screen)
            yield
            if not popup.is_closed():
                popup.wait_for_event("close", timeout=self.timeout_ms)
        finally:
            self._popup = None
            if not popup.is_closed():
                popup.close()

    def clear_interrupts(self) -> None:
        """Close declared overlays now (before a screenshot, which must show the screen)."""
        scopes: list[Page | Frame] = [self.page, *self.page.frames[1:]]
        for interrupt in self.selectors.interrupts:
            for scope in scopes:
                detect = strategy_locator(scope, interrupt.detect.strategies[0])
                if detect.count() and detect.first.is_visible():
                    strategy_locator(scope, interrupt.close.strategies[0]).first.click()
                    detect.first.wait_for(state="hidden", timeout=self.timeout_ms)
                    self.interruptions.append(interrupt.name)

    def screenshot(self, path: Path, mask: Sequence[Element]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        page = self._popup if self._popup is not None and not self._popup.is_closed() else self.page
        try:
            self.clear_interrupts()
            masks = []
            for element in mask:
                scope = self._scope_now(element)
                if scope is not None and (scope is page or getattr(scope, "page", None) is page):
                    masks += [strategy_locator(scope, s) for s in element.strategies]
            page.screenshot(
                path=str(path),
                full_page=True,
                mask=masks,
                mask_color="#000000",
                animations="disabled",
            )
        except PlaywrightError as exc:
            raise TransientError(f"画面を保存できません: {exc.message.splitlines()[0]}") from exc
        return path

    def close(self) -> None:
        self.context.close()
