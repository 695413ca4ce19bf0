"""The desktop :class:`~bots.contracts.Driver`: a thick client worked on pixels and keys.

It serves a ``kind: desktop`` selector file (docs/desktop.md) as the web driver serves a
DOM: the same contract, the same engine, queue, audit, masking, 本人確認 and 二重登録防止.

How it sees and acts, and why:

* *Where am I* is the window title (:mod:`.windows`), as a clerk reads the title bar:
  each screen of the file has its ``title``; a pop-up (確認, エラー) is a window of its own.
* *Is this still the screen the templates were made for* is the visual drift check
  (:mod:`.drift`): :meth:`expect_screen`, and any typing on a screen not checked since it
  was opened, first compare the window with the screen's reference image outside its value
  boxes — a vendor update that moved a field stops the subsystem (:class:`LayoutDrift`,
  naming the screen and the region) before a name is typed into a birth date.
* Elements are found by template (:mod:`.eyes`, multi-scale: one set of templates serves
  100/125/150 %); typing goes through the clipboard and is seen on screen (:mod:`.hands`);
  values are read back by copying, or by OCR where the element says so, and compared.
* An error pop-up that appears after a click is read (OCR), closed and kept as an alert
  (:meth:`take_alerts`): the engine reads it as the core system's answer.

Nothing waits a fixed time: every wait polls a condition until a deadline. Scores,
scales and timings go to the operational log; values never do.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
from loguru import logger

from bots.contracts import Credentials, Driver
from bots.drivers.desktop import ocr
from bots.drivers.desktop.drift import Reference, check_layout
from bots.drivers.desktop.errors import (
    FieldNotUpdated,
    LayoutDrift,
    ScreenNotShown,
    TemplateAmbiguous,
    TemplateNotFound,
    WindowNotFound,
)
from bots.drivers.desktop.evidence import masked_screenshot
from bots.drivers.desktop.eyes import Eyes
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.hands import Hands
from bots.drivers.desktop.matching import Finder, Match
from bots.drivers.desktop.screen import Capture, capture
from bots.drivers.desktop.waiting import poll, wait_for_screen
from bots.drivers.desktop.windows import titled, windows
from bots.errors import LoginFailed, RecipeError, ScreenChanged, SelectorNotFound
from bots.screens import Desktop, Element, Look, Screen, SelectorSet

_NOT_SHOWN = "入力した値が画面に反映されません"
#: Two captures this far apart that are the same pixels: the client has finished drawing.
SETTLE_INTERVAL = 0.05
#: How many rounds :meth:`DesktopDriver.ensure_session` takes to reach the home screen.
NAVIGATION_ROUNDS = 8


#: How long a chosen code may take to show in its field before it counts as missing.
SELECT_SHOWN_S = 3.0


def _same_text(a: str, b: str) -> bool:
    """Equal up to width (NFKC: ？ and ?) and spacing: what OCR cannot tell apart."""
    norm = lambda t: "".join(unicodedata.normalize("NFKC", t).split())  # noqa: E731
    return norm(a) == norm(b)


def window_scale(size: tuple[int, int], window: Region) -> float | None:
    """The window's display scale against its 100 % ``size``, when it has that shape.

    A DPI-aware client draws its window exactly scale × its 100 % size, but its text only
    about so (whole pixel sizes): a band title matched best at 1.20 in a window at 1.25
    puts the bottom of a 640-pixel form 25 pixels off (measured). The window's size is the
    better measure; a window of another shape (maximised) gives none.
    """
    width, height = size
    sx, sy = window.w / width, window.h / height
    if abs(sx - sy) > 0.01 or not 0.5 < sx < 3.0:
        return None
    return round(sx, 4)


class DesktopDriver(Driver):
    """One logged-in session of a desktop client, on the display of ``DISPLAY``."""

    def __init__(
        self,
        selectors: SelectorSet,
        credentials: Credentials,
        *,
        timeout_s: float = 10.0,
        finder: Finder | None = None,
    ) -> None:
        if selectors.kind != "desktop" or selectors.desktop is None:
            raise ValueError(f"{selectors.path.name} is not a desktop selector file")
        self.selectors = selectors
        self.credentials = credentials
        self.timeout = timeout_s
        self.finder = finder or Finder()
        self.eyes = Eyes(selectors, self.finder, timeout_s)
        self.hands = Hands(timeout=timeout_s)
        self.drift: list[tuple[Element, int]] = []
        self.interruptions: list[str] = []
        self._alerts: list[str] = []
        self.closed = False  # close() was called: its host no longer counts it alive
        self._checked: str | None = None  # the screen whose layout passed, until it changes
        # screens whose layout passed the drift check in this session: the client's layout
        # changes with a vendor update, which restarts the client (and with it the driver)
        self._passed: set[str] = set()
        self._references: dict[str, Reference] = {}
        self._known: dict[str, Screen] = {}  # every screen of every file used, by title
        self._learn(selectors)

    def _learn(self, selectors: SelectorSet) -> None:
        for screen in selectors.screens.values():
            if screen.view is not None:
                self._known[screen.view.title] = screen

    @property
    def _desk(self) -> Desktop:
        assert self.selectors.desktop is not None
        return self.selectors.desktop

    def use_screens(self, selectors: SelectorSet) -> None:
        if selectors.system != self.selectors.system or selectors.kind != "desktop":
            raise ValueError(f"{selectors.system} is not {self.selectors.system}'s screens")
        self.selectors = selectors
        self.eyes = Eyes(selectors, self.finder, self.timeout)
        self._learn(selectors)

    # -- where we are ----------------------------------------------------------------------

    def _shown(self) -> tuple[Screen | None, Screen | None]:
        """The main screen and the pop-up (if any) shown now, by window title."""
        main = popup = None
        for window in windows():
            screen = self._known.get(window.title)
            if screen is None:
                continue
            if screen.window:
                popup = screen
            else:
                main = screen
        return main, popup

    def _settled(self, region: Region) -> Capture:
        """A capture of ``region`` once it stops changing (three equal looks in a row)."""
        looks: list[np.ndarray] = []

        def still() -> Capture | None:
            shot = capture(region)
            looks.append(shot.gray)
            del looks[:-3]
            same = len(looks) == 3 and all(np.array_equal(looks[0], g) for g in looks[1:])
            return shot if same else None

        shot = poll(still, self.timeout, SETTLE_INTERVAL)
        return shot if shot is not None else capture(region)

    # -- session and navigation ------------------------------------------------------------

    def ensure_session(self) -> None:
        """Reach the home screen (the menu): close pop-ups, log in, go back screen by screen."""
        login = self.selectors.login
        for _ in range(NAVIGATION_ROUNDS):
            shown = poll(lambda: s if any(s := self._shown()) else None, self.timeout)
            main, popup = shown if shown is not None else (None, None)
            if popup is not None:
                self._dismiss(popup)
            elif main is None:
                raise WindowNotFound(self.selectors.title)
            elif login is not None and main.name == login.screen:
                self._log_in()
            elif main.name == self._desk.home:
                self.expect_screen(main)
                return
            elif main.view is not None and main.view.back is not None:
                self._navigate(main.elements[main.view.back], main)
            else:
                raise ScreenChanged(main.name, "back", "メニューに戻る方法（back）がありません")
        raise ScreenChanged(self._desk.home, "navigation", "メニュー画面に戻れませんでした")

    def _navigate(self, button: Element, leaving: Screen) -> None:
        """Press a button that leaves ``leaving`` and wait until its window title is gone."""
        assert leaving.view is not None
        title = leaving.view.title
        self.hands.click(self.eyes.find(button).region)
        if poll(lambda: True if titled(title) is None else None, self.timeout) is None:
            raise ScreenNotShown(leaving.name, button.qualified, self.timeout, 0.0)
        self._checked = None

    def _dismiss(self, popup: Screen) -> None:
        """Close a pop-up left open (a crash between two steps): an error is answered OK,
        a confirm いいえ (Esc) — never はい, which could register."""
        if popup.name == self._desk.alert[0]:
            said = self._take_popup(popup)
            logger.info("desktop.session closed a pop-up left open ({} line(s))", len(said))
            self._alerts.clear()
        else:
            self.hands.press("escape")
            self._wait_closed(popup)

    def _log_in(self) -> None:
        login = self.selectors.login
        assert login is not None
        screen = self.selectors.screen(login.screen)
        self.expect_screen(screen)
        self.fill(screen.elements[login.user], self.credentials.user)
        self.fill(screen.elements[login.password], self.credentials.password)
        assert screen.view is not None
        title = screen.view.title
        self.hands.click(self.eyes.find(screen.elements[login.submit]).region)
        alert = self.selectors.screen(self._desk.alert[0])
        assert alert.view is not None

        def answered() -> str | None:
            if titled(alert.view.title) is not None:  # type: ignore[union-attr]
                return "refused"
            return "in" if titled(title) is None else None

        outcome = poll(answered, self.timeout)
        if outcome == "refused":
            said = " / ".join(self._take_popup(alert))
            self._alerts.clear()
            raise LoginFailed(f"基幹システムにログインできません: {said}")
        if outcome is None:
            raise ScreenNotShown(login.screen, login.submit, self.timeout, 0.0)
        self._checked = None
        logger.info("desktop.session logged in as {}", self.credentials.user)

    def goto(self, screen: Screen) -> None:
        """Only the home screen can be gone to (the menu, by going back); every other screen
        is reached as a clerk reaches it: the recipe clicks its menu entry."""
        if screen.name != self._desk.home:
            raise RecipeError(
                f"画面『{screen.name}』へは直接移動できません: メニューのボタンを click してください"
            )
        self.ensure_session()

    def expect_screen(self, screen: Screen) -> None:
        """Wait for the screen's window, then check its layout against the reference."""
        view = screen.view
        if view is None:
            raise RecipeError(f"画面『{screen.name}』はデスクトップの画面ではありません")
        region = poll(lambda: titled(view.title), self.timeout)
        if region is None:
            main, _ = self._shown()
            if not screen.window and main is not None and main.name != screen.name:
                # the client answers, with another of its screens: not slowness (retry)
                # but a flow that differs from the recipe's (stop), as on the web
                raise ScreenChanged(screen.name, "title", f"画面『{main.name}』が表示されています")
            raise ScreenNotShown(screen.name, view.title, self.timeout, 0.0)
        if screen.window:
            return  # a pop-up: its text is read, its layout is not the vendor's form
        reference = self._reference(screen)
        if screen.name in self._passed:  # a layout cannot change while the client runs
            self._wait_drawn(reference, screen, region)
            self._checked = screen.name
            return
        self._wait_drawn(reference, screen, region)
        try:
            self._check(reference, region, screen)
        except LayoutDrift:
            self._check(reference, region, screen)  # a second look: a redraw in progress
        self._passed.add(screen.name)
        self._checked = screen.name

    def _wait_drawn(self, reference: Reference, screen: Screen, region: Region) -> None:
        """Wait for the reference's anchor: a window is titled before its content is drawn.
        The anchor of the reference at the window's scale, matched at that scale."""
        assert screen.view is not None
        title = screen.view.title
        chosen, placed = self._compared_with(screen, reference, region)
        finder = Finder(scales=(round(placed.scale, 4),)) if placed is not None else self.finder
        wait_for_screen(
            finder,
            chosen.anchor_template(),
            screen=screen.name,
            within=lambda: placed.region.inset(-6) if placed else (titled(title) or region),
            timeout=self.timeout,
            key=title,
        )

    def _check(self, reference: Reference, region: Region, screen: Screen) -> None:
        started = time.perf_counter()
        shot = self._settled(region)
        reference, placed = self._compared_with(screen, reference, region)
        report = check_layout(
            reference, shot, self.finder, within=region, anchor_at=placed, key=screen.name
        )
        logger.info(
            "desktop.screen {} layout ok: scale {:.3f}, {} tiles aligned ({:.0f} ms)",
            screen.name,
            report.scale,
            report.aligned_tiles,
            (time.perf_counter() - started) * 1000,
        )

    def _compared_with(
        self, screen: Screen, base: Reference, window: Region
    ) -> tuple[Reference, Match | None]:
        """The reference for the window's scale (the 100 % one, or the one captured at that
        scale) and where its anchor lies: from the window's top-left, at the scale the
        window's size gives; matched as usual when the window's shape says nothing."""
        scale = window_scale(base.size, window)
        if scale is None:
            return base, None
        assert screen.view is not None
        chosen, at = base, 1.0
        for other, path in screen.view.scaled:
            if abs(other - scale) < 0.02:
                chosen, at = self._scaled_reference(screen, base, other, path), other
        a, s = chosen.anchor, scale / at
        region = Region(
            window.x + round(a.x * s), window.y + round(a.y * s), round(a.w * s), round(a.h * s)
        )
        logger.debug("desktop.screen {} at scale {:.3f} (reference {:.2f})", screen.name, scale, at)
        return chosen, Match(f"{screen.name}/基準", region, 1.0, s)

    def _scaled_reference(
        self, screen: Screen, base: Reference, scale: float, path: Path
    ) -> Reference:
        """The reference captured at ``scale``. Its value boxes are the 100 % ones scaled
        and, because fields sized in characters do not move exactly with the scale
        (measured: 氏名's field 23 pixels left of 1.5 × its 100 % place), the boxes of the
        screen's fields as located now (reference and window share the scale)."""
        key = f"{screen.name}@{scale}"
        if key not in self._references:
            grow = round(4 * scale)
            view_values = screen.view.values if screen.view else ()
            values = [Region(*v).scaled(scale).inset(-grow) for v in view_values]
            window = self.eyes.window_of(screen)
            for element in screen.elements.values():
                if element.look is None or element.look.offset is None or element.params:
                    continue
                try:
                    box = self.eyes.find(element, wait=False).region
                except (TemplateNotFound, TemplateAmbiguous):
                    continue  # the drift check reports what moved
                values.append(box.relative_to(window).inset(-grow))
            self._references[key] = Reference.load(
                path, screen.name, base.anchor.scaled(scale), values
            )
        return self._references[key]

    def _reference(self, screen: Screen) -> Reference:
        view = screen.view
        assert view is not None
        if screen.name not in self._references:
            boxes = tuple(Region(*v) for v in view.values)
            self._references[screen.name] = Reference.load(
                view.reference, screen.name, Region(*view.anchor), boxes
            )
        return self._references[screen.name]

    def _typing_on(self, screen_name: str) -> None:
        """Typing is allowed on a screen whose layout was checked since it opened."""
        if self._checked != screen_name:
            self.expect_screen(self.selectors.screen(screen_name))

    # -- acting -------------------------------------------------------------------------

    def click(self, element: Element) -> None:
        seen = self.eyes.find(element)
        main, _ = self._shown()
        self.hands.click(seen.region)
        self._after_click(main)

    def _after_click(self, before: Screen | None) -> None:
        """Let the client answer the click; an error pop-up is read, closed and kept."""
        main, popup = self._shown()
        if main is not None:
            # the window may close between the two looks (the click opened another)
            with suppress(WindowNotFound):
                self._settled(self.eyes.window_of(main))
            main, popup = self._shown()
        if popup is not None and popup.name == self._desk.alert[0]:
            self._take_popup(popup)
        if main is None or before is None or main.name != before.name:
            self._checked = None

    def fill(self, element: Element, value: str) -> None:
        self._typing_on(element.screen)
        seen = self.eyes.find(element)
        self.hands.type_into(seen.region, value, name=element.qualified)

    def check_values(self, typed: Sequence[tuple[Element, str]]) -> None:
        for element, value in typed:
            shown = self.read_text(element)
            if not _same_text(shown, value):
                logger.info("desktop.check {}: not what was typed", element.qualified)
                raise ScreenChanged(element.screen, element.name, _NOT_SHOWN)

    def select(self, element: Element, option: str, *, by_value: bool = False) -> None:
        """A drop-down list: open it, press the code's key (the first choice starting with
        it is highlighted), Enter; what it then shows is read back (check_values)."""
        if not by_value:
            raise RecipeError(
                f"{element.qualified}: デスクトップでは選択肢をコードで指定してください（{{value: …}}）"
            )
        if len(option) != 1:
            raise ScreenChanged(
                element.screen, element.name, f"コード「{option}」はキー1つで選べません"
            )
        self._typing_on(element.screen)
        seen = self.eyes.find(element)
        below = Region(seen.region.x, seen.region.bottom, seen.region.w, seen.region.h * 2)
        closed = capture(below).gray
        self.hands.click(seen.region)
        self._wait_pixels(below, closed, changed=True, name=element.qualified)
        self.hands.press(option)
        self.hands.press("enter")
        self._wait_pixels(below, closed, changed=False, name=element.qualified)
        # Home (the choice unselected) and Tab on: a chosen item shows highlighted (light
        # on blue, grey once unfocused), which OCR misreads (measured: 「2」 read as 4,
        # 「5」 as nothing); plain it is black on grey
        self.hands.press("home")
        self.hands.press("tab")
        self._settled(seen.region)

        # a code the list does not have highlights nothing: Enter keeps the old choice.
        # Read until it shows the code (a field read while the client still repaints it
        # reads as the old text): only a choice that never shows is missing.
        def shows() -> bool | None:
            return True if _same_text(self.read_text(element), option) else None

        if poll(shows, SELECT_SHOWN_S) is None:
            raise ScreenChanged(element.screen, element.name, f"値「{option}」の選択肢がありません")

    def _wait_pixels(self, region: Region, base: np.ndarray, *, changed: bool, name: str) -> None:
        def done() -> bool | None:
            same = np.array_equal(capture(region).gray, base)
            return True if same != changed else None

        if poll(done, self.timeout) is None:
            what = "選択肢の一覧を開きませんでした" if changed else "選択肢の一覧を閉じませんでした"
            raise FieldNotUpdated(name, what, self.timeout)

    def check(self, element: Element) -> None:
        """Tick a radio button (or checkbox) and wait until it shows ticked."""
        self._typing_on(element.screen)
        seen = self.eyes.find(element)
        before = capture(seen.region).gray
        self.hands.click(seen.region)
        self._wait_pixels(seen.region, before, changed=True, name=element.qualified)

    def read_text(self, element: Element) -> str:
        if self._is_alert(element):
            return " ".join(self.take_alerts())
        seen = self.eyes.find(element)
        look = element.look or Look()
        if look.read != "ocr":
            text = self.hands.read_by_copy(seen.region, name=element.qualified, always=True)
            if text is not None:
                return text
        return self.eyes.ocr(element, seen.region, seen.scale)

    def count(self, element: Element) -> int:
        if self._is_alert(element):
            self._collect()
            return len(self._alerts)
        if element.look is not None and element.look.rows:
            return len(self.eyes.rows(element)[0])
        try:
            self.eyes.find(element, wait=False)
        except TemplateAmbiguous as exc:
            return len(exc.matches)
        except (SelectorNotFound, WindowNotFound):
            return 0
        return 1

    def read_rows(self, rows: Element, columns: Mapping[str, Element]) -> list[dict[str, str]]:
        """Each filled row of a list, its columns read by OCR (a list cannot be copied)."""
        if self._is_alert(rows):
            return [{"_text": text} for text in self.take_alerts()]
        bands, scale = self.eyes.rows(rows)
        out = []
        for band in bands:
            row = {
                key: self.eyes.ocr(column, Eyes.cell(band, column, scale), scale).strip()
                for key, column in columns.items()
            }
            row["_text"] = " ".join(row.values())
            out.append(row)
        logger.debug("desktop.rows {}: {} row(s)", rows.qualified, len(out))
        return out

    def submit(
        self, button: Element, confirm: str | None, success: Element, errors: Element | None
    ) -> list[str]:
        """登録 → 確認 (its text read by OCR must be ``confirm``) → はい → success or エラー."""
        confirm_screen = self.selectors.screen(self._desk.confirm[0])
        alert = self.selectors.screen(self._desk.alert[0])
        self.hands.click(self.eyes.find(button).region)
        answer = self._answer(confirm_screen, alert, success, button)
        if answer == "confirm":
            self._confirm(confirm_screen, confirm, button)
            answer = self._answer(None, alert, success, button)
        if answer == "alert":
            return self._take_popup(alert)
        return []

    def _answer(
        self, confirm: Screen | None, alert: Screen, success: Element, button: Element
    ) -> str:
        def seen() -> str | None:
            titles = {w.title for w in windows()}
            if confirm is not None and confirm.view and confirm.view.title in titles:
                return "confirm"
            if alert.view and alert.view.title in titles:
                return "alert"
            return "success" if self.count(success) == 1 else None

        found = poll(seen, self.timeout)
        if found is None:
            raise ScreenNotShown(button.screen, success.qualified, self.timeout, 0.0)
        return found

    def _confirm(self, screen: Screen, expected: str | None, button: Element) -> None:
        message, yes = (screen.elements[n] for n in self._desk.confirm[1:])
        said = self.read_text(message)
        if expected is None or not _same_text(said, expected):
            self.hands.press("escape")  # いいえ: nothing is registered
            self._wait_closed(screen)
            raise ScreenChanged(
                button.screen,
                button.name,
                f"確認ダイアログの文言「{said}」が想定「{expected or '（なし）'}」と異なります",
            )
        self.hands.click(self.eyes.find(yes).region)

    # -- pop-ups and alerts --------------------------------------------------------------

    def _is_alert(self, element: Element) -> bool:
        name, message, _ = self._desk.alert
        return element.screen == name and element.name == message

    def _collect(self) -> None:
        _, popup = self._shown()
        if popup is not None and popup.name == self._desk.alert[0]:
            self._take_popup(popup)

    def _take_popup(self, popup: Screen) -> list[str]:
        """Read an error pop-up's lines (OCR, from its caption down to its button), keep
        them as alerts, press the button and wait until the pop-up is gone."""
        button = popup.elements[self._desk.alert[2]]
        window = self.eyes.window_of(popup)
        seen = self.eyes.find(button)
        s = seen.scale
        top = window.y + round(26 * s)
        text = Region(window.x + round(56 * s), top, window.w - round(64 * s), seen.region.y - top)
        lines = ocr.read_lines(self._settled(text).image, name=popup.name)
        self._alerts.extend(lines)
        self.hands.click(seen.region)
        self._wait_closed(popup)
        logger.info("desktop.alert {} line(s) from {}", len(lines), popup.name)
        return lines

    def _wait_closed(self, popup: Screen) -> None:
        assert popup.view is not None
        title = popup.view.title
        if poll(lambda: True if titled(title) is None else None, self.timeout) is None:
            raise ScreenNotShown(popup.name, title, self.timeout, 0.0)

    def take_alerts(self) -> list[str]:
        self._collect()
        taken, self._alerts = self._alerts, []
        return taken

    @contextmanager
    def popup(self, opener: Element, screen: Screen) -> Iterator[None]:
        raise RecipeError(
            f"{opener.qualified}: デスクトップのクライアントでは popup（別ウィンドウでの検索）に未対応です"
        )
        yield  # pragma: no cover

    # -- evidence -------------------------------------------------------------------------

    def screenshot(self, path: Path, mask: Sequence[Element]) -> Path:
        """The main window (and a pop-up over it), the masked elements' boxes black."""
        main, popup = self._shown()
        if main is None:
            raise WindowNotFound(self.selectors.title)
        window = self.eyes.window_of(main)
        if popup is not None:
            window = window.union(self.eyes.window_of(popup))
        boxes = []
        for element in mask:
            if element.screen != main.name:
                continue
            try:
                boxes.append(self.eyes.find(element, wait=False).region)
            except TemplateNotFound as exc:  # shown but not found: never save it unmasked
                raise ScreenChanged(
                    element.screen, element.name, "マスクする項目が見つかりません"
                ) from exc
        return masked_screenshot(path, window, boxes)

    def close(self) -> None:
        """Nothing of the client to close (it is the host's, or the clerk's); the driver is
        done: its host no longer counts it alive, so a run never goes on with it."""
        self.closed = True
