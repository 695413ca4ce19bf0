"""The web driver: a logged-in Playwright context on one core-system subsystem.

Locating is where a vendor update shows first, so it is done with care:

* every strategy of an element is tried at once (``locator.or_``), waiting for the page
  rather than sleeping; then the first strategy in the file's order that matches is used;
* a match by a strategy other than the first is *drift*, recorded for IT;
* no match, or an element that matches several times, raises a screen change naming the
  screen, the element and every strategy tried, like Playwright's call log;
* a login page where a work screen was expected means the session expired: transient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bots.contracts import Driver
from bots.errors import RenkeiError, ScreenChanged, SelectorNotFound, SessionExpired, TransientError
from bots.recipe.selectors import Element, Screen, SelectorSet, Strategy

#: Whether clicking the element loads a new page: a link, or a button submitting its form.
_NAVIGATES_JS = """e => (e.tagName === 'A' && !!e.getAttribute('href') && !e.getAttribute('href').startsWith('#'))
  || ((e.tagName === 'BUTTON' || e.tagName === 'INPUT') && e.type === 'submit' && !!e.form)"""


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
        self.context: BrowserContext = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 900}
        )
        self.context.set_default_timeout(timeout_ms)
        self.page: Page = self.context.new_page()
        self._login_screen = selectors.screen(selectors.login.screen)

    # -- locating ---------------------------------------------------------------------

    def _strategy_locator(self, scope: Page | Locator, s: Strategy) -> Locator:
        match s.kind:
            case "css":
                return scope.locator(s.value)
            case "xpath":
                return scope.locator(f"xpath={s.value}")
            case "label":
                return scope.get_by_label(s.value, exact=s.exact)
            case "role":
                return scope.get_by_role(s.value, name=s.name, exact=s.exact)  # type: ignore[arg-type]
            case "text":
                return scope.get_by_text(s.value, exact=s.exact)
            case "placeholder":
                return scope.get_by_placeholder(s.value, exact=s.exact)
        raise ValueError(f"unknown strategy {s.kind}")  # the loader prevents this

    def _on_login_page(self) -> bool:
        marker = self._login_screen.marker
        if marker is None or self._login_screen.name == "":
            return False
        return any(self._strategy_locator(self.page, s).count() for s in marker.strategies)

    def locate(
        self, element: Element, *, many: bool = False, timeout: float | None = None
    ) -> Locator:
        """Find an element by its strategies, in order; see the module docstring."""
        locators = [self._strategy_locator(self.page, s) for s in element.strategies]
        # Fast path: the page has settled and the first strategy finds exactly what we want.
        first = locators[0].count()
        if first == 1 or (first > 1 and many):
            return locators[0]
        combined = locators[0]
        for other in locators[1:]:
            combined = combined.or_(other)
        try:
            combined.first.wait_for(state="attached", timeout=timeout or self.timeout_ms)
        except PlaywrightTimeout:
            self._raise_not_found(element, locators)
        for index, loc in enumerate(locators):
            n = loc.count()
            if n == 0:
                continue
            if n > 1 and not many:
                raise ScreenChanged(
                    element.screen,
                    element.name,
                    f"{element.strategies[index].describe()} が{n}件に一致します",
                )
            if index > 0:
                self.drift.append((element, index))
            return loc
        self._raise_not_found(element, locators)

    def _raise_not_found(self, element: Element, locators: list[Locator]) -> NoReturn:
        if element.screen != self._login_screen.name and self._on_login_page():
            raise SessionExpired("基幹システムのセッションが切れました（ログイン画面に戻りました）")
        tried = [
            f"{s.describe()} → {loc.count()} 件"
            for s, loc in zip(element.strategies, locators, strict=True)
        ]
        raise SelectorNotFound(element.screen, element.name, tried)

    # -- session and screens ----------------------------------------------------------

    def _open(self, path: str) -> None:
        try:
            response = self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        except PlaywrightTimeout as exc:
            raise TransientError(f"基幹システムが応答しません: {path}") from exc
        except PlaywrightError as exc:
            raise TransientError(
                f"基幹システムに接続できません: {exc.message.splitlines()[0]}"
            ) from exc
        if response is not None and response.status >= 500:
            raise TransientError(
                f"基幹システムがエラーを返しました（HTTP {response.status}）: {path}"
            )

    def ensure_session(self) -> None:
        if self.page.url.startswith(self.base_url) and not self._on_login_page():
            return
        login = self.selectors.login
        self._open(self._login_screen.url or "/")
        if not self._on_login_page():
            return  # still logged in
        screen = self._login_screen
        self.fill(screen.elements[login.user], self.credentials.user)
        self.fill(screen.elements[login.password], self.credentials.password)
        with self._navigation():
            self.locate(screen.elements[login.submit]).click()
        if self._on_login_page():
            raise LoginFailed(
                "基幹システムにログインできません（職員ID・パスワードを確認してください）"
            )

    def goto(self, screen: Screen) -> None:
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

    def _navigation(self):  # type: ignore[no-untyped-def]
        return self.page.expect_navigation(wait_until="domcontentloaded", timeout=self.timeout_ms)

    def click(self, element: Element) -> None:
        loc = self.locate(element)
        navigates = loc.evaluate(_NAVIGATES_JS)
        if navigates:
            with self._navigation():
                loc.click()
        else:
            loc.click()

    def fill(self, element: Element, value: str) -> None:
        loc = self.locate(element)
        loc.fill(value)
        if loc.input_value() != value:
            raise ScreenChanged(element.screen, element.name, "入力した値が画面に反映されません")

    def select(self, element: Element, label: str) -> None:
        loc = self.locate(element)
        try:
            loc.select_option(label=label, timeout=2_000)
        except PlaywrightTimeout as exc:
            raise ScreenChanged(
                element.screen, element.name, f"選択肢「{label}」がありません"
            ) from exc

    def check(self, element: Element) -> None:
        self.locate(element).check()

    def read_text(self, element: Element) -> str:
        loc = self.locate(element)
        if loc.evaluate("e => e.tagName") in ("INPUT", "TEXTAREA", "SELECT"):
            return loc.input_value()
        return loc.inner_text()

    def count(self, element: Element) -> int:
        for s in element.strategies:
            n = self._strategy_locator(self.page, s).count()
            if n:
                return n
        return 0

    def read_rows(self, rows: Element, columns: Mapping[str, Element]) -> list[dict[str, str]]:
        if not self.count(rows):
            return []
        row_loc = self.locate(rows, many=True)
        out = []
        for row in row_loc.all():
            values = {"_text": row.inner_text().strip()}
            for key, col in columns.items():
                cell = self._strategy_locator(row, col.strategies[0])
                values[key] = cell.first.inner_text().strip() if cell.count() else ""
            out.append(values)
        return out

    def click_and_confirm(self, element: Element, expected: str | None) -> str | None:
        loc = self.locate(element)
        seen: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            seen.append(dialog.message)
            if expected is None or dialog.message.strip() == expected.strip():
                dialog.accept()
            else:
                dialog.dismiss()

        self.page.once("dialog", on_dialog)
        try:
            with self._navigation() as nav:
                loc.click()
        except PlaywrightTimeout as exc:
            if seen and expected is not None and seen[0].strip() != expected.strip():
                raise ScreenChanged(
                    element.screen,
                    element.name,
                    f"想定外の確認ダイアログ「{seen[0]}」（想定「{expected}」）",
                ) from exc
            raise TransientError("登録ボタンの後、画面が遷移しません") from exc
        response = nav.value
        if response is not None and response.status >= 500:
            raise TransientError(
                f"登録時に基幹システムがエラーを返しました（HTTP {response.status}）"
            )
        if expected is not None and not seen:
            raise ScreenChanged(
                element.screen, element.name, "確認ダイアログが表示されませんでした"
            )
        return seen[0] if seen else None

    def screenshot(self, path: Path, mask: Sequence[Element]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        masks = [self._strategy_locator(self.page, s) for e in mask for s in e.strategies]
        self.page.screenshot(
            path=str(path), full_page=True, mask=masks, mask_color="#000000", animations="disabled"
        )
        return path

    def close(self) -> None:
        self.context.close()
