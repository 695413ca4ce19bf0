"""The web driver: a logged-in Playwright context on one core-system subsystem.

Finding elements (strategies, drift, direct actions, frames and pop-ups, the errors that
name every strategy tried) is :mod:`bots.drivers.finding`; this module adds the session,
the actions and the evidence:

* JavaScript dialogs are handled for the whole context: alerts are collected (legacy
  systems report errors that way), a confirm is accepted only when its text is the one
  the recipe expects;
* お知らせ-style overlays declared as ``interrupts`` are closed whenever they block an
  action (Playwright's locator handlers) and before every screenshot;
* several elements are read in one page script where it can (:mod:`bots.drivers.reading`);
* every ``FRESH_TAB_AFTER`` applications the work goes on in a fresh tab of the same
  logged-in context, which holds Chromium's memory (see ``_fresh_tab``).

A screen that is not what the selector file says ends in an error of renkei's hierarchy
that names the screen, the element and the address, never in a raw Playwright error:

* screen URLs are paths under the configured core URL (:func:`screen_address`): ``/a``
  and ``a`` mean the same page, so a base URL with a path of its own
  (``http://core.local/kosodate``) works either way;
* an HTTP error answering a screen's configured URL, or the click that should load the
  next screen, is reported with its status (:class:`ScreenUnreachable`), before anything
  looks for an element on the error page;
* the log-in screen is checked as the selector file describes it (marker, fields, a
  button that submits): a mismatch is :class:`LoginScreenChanged`, with the URL opened;
* an element of the wrong kind (the user field pointing at a heading) is a screen change
  naming the element (``_acting``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from time import monotonic
from urllib.parse import urlsplit
from weakref import WeakSet

from playwright.sync_api import Browser, BrowserContext, Dialog, Frame, Locator, Page, Response
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bots.contracts import Credentials, Driver
from bots.drivers.finding import DIRECT_MS, STALE_STATUS, ElementFinder, element_key
from bots.drivers.locating import dom_query, strategy_locator
from bots.drivers.reading import SHOWN_JS, Query, read_singles, read_table, single_text
from bots.drivers.web_errors import (
    _WRONG_KIND,
    LoginScreenChanged,
    ScreenUnreachable,
    screen_address,
)
from bots.errors import (
    CoreUnavailable,
    LoginFailed,
    ScreenChanged,
    SelectorNotFound,
    SessionExpired,
    TransientError,
)
from bots.screens import Element, Interrupt, LoginSpec, Screen, SelectorSet

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


_NOT_SHOWN = "入力した値が画面に反映されません"


#: Applications started in one tab before the next starts in a fresh one (see _fresh_tab).
FRESH_TAB_AFTER = 5


#: A system without a log-in screen (an intranet terminal): nothing is ever the log-in page.
_NO_LOGIN = Screen(name="", url=None, marker=None)


class PlaywrightDriver(ElementFinder, Driver):
    """:class:`~bots.contracts.Driver` for web core systems, one browser context per session."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        selectors: SelectorSet,
        credentials: Credentials,
        *,
        timeout_ms: float = 10_000,
        fresh_tab_after: int = FRESH_TAB_AFTER,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.selectors = selectors
        self.credentials = credentials
        self.timeout_ms = timeout_ms
        self.fresh_tab_after = fresh_tab_after
        self.drift: list[tuple[Element, int]] = []
        self.interruptions: list[str] = []  # interrupts closed, for the audit trail
        self._alerts: list[str] = []
        self._confirms: list[str] = []
        self._expected_confirm: str | None = None
        self._server_errors: list[tuple[int, str]] = []
        self._client_errors: list[tuple[int, str]] = []  # 4xx documents: see click
        self._popup: Page | None = None
        # Pages given our handlers; weak, so a closed page's id reused by a new one can
        # never make the new one look watched (its dialogs would go unanswered).
        self._watched: WeakSet[Page] = WeakSet()
        self._applications = 0  # started in this tab: see ensure_session
        self._last_screen: Screen | None = None  # opened by URL: see _fresh_tab
        self._logged_in = False  # a log-in succeeded in this context: see ensure_session
        self._found_first: set[tuple[str, str, str]] = set()  # see _direct
        self._targets: dict[tuple[str, str, str], str | None] = {}  # see _navigates
        self.context: BrowserContext = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 900}
        )
        self.context.set_default_timeout(timeout_ms)
        self.context.on("page", self._watch)
        self.page: Page = self.context.new_page()
        self._watch(self.page)
        self._login_screen = self._login_screen_of(selectors)

    def use_screens(self, selectors: SelectorSet) -> None:
        """Work with another recipe's screens of the same system (one session per system).

        A procedure's selector file extends its subsystem's (``extends:``): the log-in and
        the shared screens are the same, its own screens are added, so the logged-in tab
        goes on serving the next recipe.
        """
        if selectors.system != self.selectors.system:
            raise ValueError(f"{selectors.system} is not {self.selectors.system}")
        self.selectors = selectors

    @staticmethod
    def _login_screen_of(selectors: SelectorSet) -> Screen:
        """The log-in screen, its URL written with a leading ``/`` (finding compares the
        frames' addresses with ``base_url + url``); a placeholder for a system without one."""
        login: LoginSpec | None = selectors.login
        if login is None:
            return _NO_LOGIN
        screen = selectors.screen(login.screen)
        if screen.url and not urlsplit(screen.url).scheme and not screen.url.startswith("/"):
            screen = replace(screen, url="/" + screen.url)
        return screen

    # -- events -----------------------------------------------------------------------

    def _watch(self, page: Page) -> None:
        if page in self._watched:
            return
        self._watched.add(page)
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
        # Documents and script calls alike (a single-page app registers by fetch): a 5xx
        # or a 409 (stale screen) is never the core system's verdict on the application.
        status = response.status
        kind = response.request.resource_type
        if (status >= 500 or status == STALE_STATUS) and kind in ("document", "xhr", "fetch"):
            self._server_errors.append((response.status, response.url))
        elif 400 <= status < 500 and kind == "document":
            self._client_errors.append((status, response.url))

    def take_alerts(self) -> list[str]:
        alerts, self._alerts = self._alerts, []
        return alerts

    # -- session and screens ----------------------------------------------------------

    def address(self, url: str) -> str:
        """The full address of a screen URL (see :func:`screen_address`)."""
        return screen_address(self.base_url, url)

    def _open(self, url: str, screen: str) -> None:
        """Open ``screen`` by its configured ``url``; an HTTP error is said as such."""
        self._server_errors.clear()
        address = self.address(url)
        try:
            response = self.page.goto(address, wait_until="domcontentloaded")
        except PlaywrightTimeout as exc:
            raise TransientError(f"基幹システムが応答しません: 画面 {screen}（{address}）") from exc
        except PlaywrightError as exc:
            first = exc.message.splitlines()[0]
            if "net::ERR_" in first:  # refused, no route, unknown host: the whole system
                raise CoreUnavailable(f"基幹システムに接続できません: {first}") from exc
            raise TransientError(f"基幹システムの画面 {screen} を開けません: {first}") from exc
        status = 200 if response is None else response.status
        if status in (503, STALE_STATUS):
            self._server_errors.append((status, address))
        elif status >= 500:
            raise TransientError(
                f"基幹システムがエラーを返しました（画面 {screen}、HTTP {status}: {address}）"
            )
        elif status >= 400:
            raise ScreenUnreachable(screen, "url", status, address, " URL ")
        self._raise_server_error()

    def ensure_session(self) -> None:
        """Be logged in, on whatever page: log in (again) when the log-in screen shows.

        A context that never logged in must find the log-in screen at its URL: anything
        else there is :class:`LoginScreenChanged` (never "still logged in", which would
        send the bot on to fail somewhere unrelated). A system without ``login:`` has
        nothing to do here.
        """
        self._applications += 1
        if self._applications > self.fresh_tab_after:
            self._fresh_tab()
        if self.selectors.login is None:
            return
        url = self.page.url
        if url.startswith(self.base_url):
            if not self.selectors.single_page and self._login_screen.url:
                # A multi-page system shows its log-in screen at its own URL (an expired
                # session redirects there, in a frameset inside a frame): the frames' URLs
                # tell, without asking the page, which costs a query.
                if not self._login_frame_shown():
                    return
            elif not self._on_login_page():
                return
        self._open(self._login_screen.url or "/", self._login_screen.name)
        if self._logged_in and not self._on_login_page():
            return  # still logged in
        self._log_in(self.selectors.login)

    def _log_in(self, login: LoginSpec) -> None:
        """Type the credentials and submit; every mismatch names the element and the URL."""
        screen, url = self._login_screen, self.page.url
        try:
            self.expect_screen(screen)
            self.fill(screen.elements[login.user], self.credentials.user)
            self.fill(screen.elements[login.password], self.credentials.password)
            submit = screen.elements[login.submit]
            loc = self.locate(submit)
            if self._navigates(submit, loc) is None and not submit.navigates:
                raise ScreenChanged(
                    screen.name,
                    login.submit,
                    "フォームの送信ボタンでもリンクでもありません（押しても画面が移りません）",
                )
            with self._navigation(self.page):
                loc.click()
        except ScreenUnreachable:
            raise
        except ScreenChanged as exc:
            raise LoginScreenChanged(exc.screen, exc.element, url, exc.detail) from exc
        except PlaywrightTimeout as exc:
            self._raise_server_error()
            raise TransientError(
                f"ログインボタンを押した後、基幹システムが応答しません（{url}）"
            ) from exc
        self._raise_server_error()
        if self._on_login_page():
            raise LoginFailed(
                "基幹システムにログインできません（職員ID・パスワードを確認してください）"
            )
        self._logged_in = True

    def _fresh_tab(self) -> None:
        """Go on in a new tab of the same logged-in context (cookies stay: no new log-in).

        Chromium's renderer keeps about a megabyte per page a tab has shown, so a run of a
        thousand applications in one tab would end above 4 GB; a fresh tab every
        ``fresh_tab_after`` applications holds a runner near its starting size.
        """
        old, self.page = self.page, self.context.new_page()
        self._watch(self.page)
        old.close()
        self._applications = 1
        last = self._last_screen
        if last is not None and last.url is not None:
            # A screen the recipe opened by URL: a GET in the session, unlike the last
            # page (often a POST's answer), and not the log-in page, which on some
            # systems logs the clerk in again. ensure_session then checks where we are.
            self._open(last.url, last.name)

    def goto(self, screen: Screen) -> None:
        self._alerts.clear()
        if screen.url is None:
            raise ScreenChanged(screen.name, "url", "画面のURLが定義されていません")
        self._open(screen.url, screen.name)
        self._last_screen = screen
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

    @contextmanager
    def _acting(self, element: Element, loc: Locator, what: str) -> Iterator[None]:
        """An action Playwright refuses for the element's kind is a screen change naming it.

        Time-outs and a closed or crashed tab pass through unchanged (transient, or the
        engine replaces the driver): only what the element itself refuses is translated,
        with the tag the selector found (``<h1>``), so IT sees what it points at.
        """
        try:
            yield
        except PlaywrightTimeout:
            raise
        except PlaywrightError as exc:
            first = exc.message.splitlines()[0] if exc.message else ""
            if not any(words in first for words in _WRONG_KIND):
                raise
            tag = "?"
            with suppress(PlaywrightError):
                tag = str(loc.evaluate("e => e.tagName.toLowerCase()", timeout=DIRECT_MS))
            raise ScreenChanged(
                element.screen,
                element.name,
                f"この要素には{what}できません（見つかったのは <{tag}> 要素です。"
                "セレクタファイルがこの項目を指しているか確認してください）",
            ) from exc

    def click(self, element: Element) -> None:
        loc = self.locate(element)
        scope: Page | Frame = self._scope(element)
        self._server_errors.clear()
        self._client_errors.clear()
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
        if self._client_errors:  # the next screen is an error page: say so, not "not found"
            status, url = self._client_errors[-1]
            what = f"「{element.name}」を押した後の画面"
            raise ScreenUnreachable(element.screen, element.name, status, url, what)

    def _navigates(self, element: Element, loc: Locator) -> str | None:
        """Where clicking loads a document (see ``_NAVIGATES_JS``), asked once per element
        and session: a button's form target does not change between applications."""
        key = element_key(element)
        if key not in self._targets:
            self._targets[key] = loc.evaluate(_NAVIGATES_JS)
        return self._targets[key]

    def fill(self, element: Element, value: str) -> None:
        loc = self._direct(element)
        if loc is not None:
            try:
                loc.fill(value, timeout=DIRECT_MS)
                return
            except PlaywrightError:
                self._distrust(element)  # look properly: the error must name the strategies
        loc = self.locate(element)
        with self._acting(element, loc, "入力"):
            loc.fill(value)

    def check_values(self, typed: Sequence[tuple[Element, str]]) -> None:
        # The field may refuse or change what was typed (maxlength, a script): never
        # register something other than the application's value. One read for the fields
        # the page can find itself; the others (and any it cannot settle) one by one.
        batch: dict[int, tuple[Page | Frame, list[tuple[Element, str, Query]]]] = {}
        careful: list[tuple[Element, str]] = []
        for element, value in typed:
            query = dom_query(element.strategies[0])
            scope = self._known_scope(element)
            if query is None or scope is None:
                careful.append((element, value))
            else:
                batch.setdefault(id(scope), (scope, []))[1].append((element, value, query))
        for scope, items in batch.values():
            shown = read_singles(scope, [q for _, _, q in items])
            for (element, value, _), on_screen in zip(items, shown, strict=True):
                if on_screen is None:
                    careful.append((element, value))
                elif on_screen != value:
                    raise ScreenChanged(element.screen, element.name, _NOT_SHOWN)
        for element, value in careful:
            if self.locate(element).input_value() != value:
                raise ScreenChanged(element.screen, element.name, _NOT_SHOWN)

    def select(self, element: Element, option: str, *, by_value: bool = False) -> None:
        value, label = (option, None) if by_value else (None, option)
        loc = self._direct(element)
        if loc is not None:
            try:
                loc.select_option(value=value, label=label, timeout=DIRECT_MS)
                return
            except PlaywrightError:
                self._distrust(element)  # not there, or no such option: find out which
        loc = self.locate(element)
        try:
            with self._acting(element, loc, "選択"):
                loc.select_option(value=value, label=label, timeout=2_000)
        except PlaywrightTimeout as exc:
            what = f"値「{option}」の選択肢" if by_value else f"選択肢「{option}」"
            raise ScreenChanged(element.screen, element.name, f"{what}がありません") from exc

    def check(self, element: Element) -> None:
        loc = self._direct(element)
        if loc is not None:
            try:
                loc.check(timeout=DIRECT_MS)
                return
            except PlaywrightError:
                self._distrust(element)
        loc = self.locate(element)
        with self._acting(element, loc, "チェック"):
            loc.check()

    def _known_scope(self, element: Element) -> Page | Frame | None:
        """Where an element found before by its first strategy shows now, if it was."""
        if element.latest or element_key(element) not in self._found_first:
            return None
        return self._scope_now(element)

    def read_text(self, element: Element) -> str:
        loc = self._direct(element)
        if loc is not None:
            text = single_text(loc)
            if text is not None:
                return text
        loc = self.locate(element)
        text = single_text(loc)
        return text if text is not None else str(loc.evaluate(SHOWN_JS))  # waits

    def read_texts(self, elements: Sequence[Element]) -> list[str]:
        """One round trip for elements found before by a first strategy the page can
        evaluate (a screen's header, read for 本人確認); the rest via :meth:`read_text`."""
        queries = [dom_query(e.strategies[0]) for e in elements]
        scopes = [self._known_scope(e) if self.selectors.busy is None else None for e in elements]
        texts: list[str | None] = [None] * len(elements)
        first = scopes[0] if scopes else None
        if first is not None and all(s is first for s in scopes) and None not in queries:
            texts = list(read_singles(first, [q for q in queries if q is not None]))
        return [
            t if t is not None else self.read_text(e) for e, t in zip(elements, texts, strict=True)
        ]

    def count(self, element: Element) -> int:
        return self._rows(element)[1]

    def read_rows(self, rows: Element, columns: Mapping[str, Element]) -> list[dict[str, str]]:
        table = self._read_table(rows, columns)
        if table is not None:
            return table
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

    def _read_table(
        self, rows: Element, columns: Mapping[str, Element]
    ) -> list[dict[str, str]] | None:
        """:meth:`read_rows` in one round trip when the page can evaluate every strategy
        of the rows and the first of each column; None: take the careful way."""
        row_queries = [dom_query(s) for s in rows.strategies]
        col_queries = [(k, dom_query(c.strategies[0])) for k, c in columns.items()]
        if not columns or None in row_queries or any(q is None for _, q in col_queries):
            return None
        scope = self._scope(rows)
        self._settle(scope)
        return read_table(
            scope,
            [q for q in row_queries if q is not None],
            [(k, q) for k, q in col_queries if q is not None],
        )

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
                alerts = self.take_alerts()
                self._raise_server_error()  # the error page's own alert is no verdict
                return alerts
            try:
                if Counter(self._texts(success)) - before:
                    return []
                if errors is not None and self.count(errors):
                    rows = self.read_rows(errors, {})
                    # A script shows a failed call's message in the same list as a
                    # rejection: the answer's status, seen by now, decides which it was.
                    self._raise_server_error()
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
                    close = strategy_locator(scope, interrupt.close.strategies[0]).first
                    # Its own click, not a Playwright action: an action first runs the
                    # locator handler, which closes the overlay, and the action then waits
                    # out its time-out for a close button that is gone. Closed meanwhile
                    # (by the handler): the wait below decides.
                    with suppress(PlaywrightError):
                        close.evaluate("e => e.click()", timeout=DIRECT_MS)
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
