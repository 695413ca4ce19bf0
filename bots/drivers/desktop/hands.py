"""Hands: the mouse and the keyboard (pyautogui), and typing a value into a field.

Typing is where desktop bots go wrong quietly, so each value is typed and then *seen*:

* a field is cleared (select all, then the clear key) and the bot waits until it shows
  blank — not a fixed sleep, and not a guess that the client has caught up;
* the value is pasted through the clipboard (any text, Japanese included; see
  :mod:`~bots.drivers.desktop.clipboard`), or typed key by key (``via="keys"``, ASCII only,
  for clients that refuse paste), and the bot waits until the field shows ink and stops
  changing. Only then is the clipboard given back: the client fetches the clipboard after
  it sees the paste key, so restoring it earlier would paste the old content;
* :meth:`Hands.read_by_copy` reads what the field holds (select all, copy), for the
  caller to compare with what was meant — the same check as on the web. A client that
  does not allow copying gives ``None``; read it by OCR then (:mod:`~bots.drivers.desktop.ocr`).

The keys are a client's own (:class:`Keys`): Windows clients select all with Ctrl+A, a
terminal emulator may not. No value is logged, only field names and lengths.

pyautogui opens its X connection when it is imported, for the ``DISPLAY`` of that moment;
:func:`gui` imports it on first use and re-binds it when ``DISPLAY`` has changed (a test
session with an X server per module, a service that restarts Xvfb).
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from loguru import logger

from bots.drivers.desktop import clipboard
from bots.drivers.desktop.errors import FieldNotUpdated
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.screen import capture, display_name
from bots.drivers.desktop.waiting import poll

#: A pixel is ink when it differs this much (gray levels) from the field's background.
INK_LEVEL = 64


@dataclass(frozen=True)
class Keys:
    """A client's keys (pyautogui names): select all, copy, paste, and the key that clears."""

    select_all: tuple[str, ...] = ("ctrl", "a")
    copy: tuple[str, ...] = ("ctrl", "c")
    paste: tuple[str, ...] = ("ctrl", "v")
    clear: str = "backspace"


def gui() -> ModuleType:
    """pyautogui, connected to the current ``DISPLAY`` (see the module doc)."""
    import pyautogui

    x11: Any = sys.modules.get("pyautogui._pyautogui_x11")
    wanted = display_name()
    if x11 is not None and x11._display.get_display_name() != wanted:
        from Xlib.display import Display

        x11._display = Display(wanted)
    return pyautogui


def inside(field: Region) -> Region:
    """The part of a field where its text shows: well inside its border.

    A field placed from an anchor at 150 % is a few pixels larger than the entry (1-pixel
    borders do not scale), so a fixed inset would keep the border in view, and a border
    is a lot of "ink". Text is centred vertically: the middle 60 % of the height, and all
    but 3 % at each side, keep the text and leave the border out.
    """
    dx, dy = max(3, round(field.w * 0.03)), max(3, round(field.h * 0.2))
    return Region(field.x + dx, field.y + dy, max(field.w - 2 * dx, 1), max(field.h - 2 * dy, 1))


def ink(image: np.ndarray) -> int:
    """How many pixels of a field's inside are not its background (the median gray)."""
    background = float(np.median(image))
    return int((np.abs(image.astype(np.int16) - background) > INK_LEVEL).sum())


class Hands:
    """Mouse and keyboard on one display, with waits on what the field shows."""

    def __init__(self, keys: Keys | None = None, timeout: float = 5.0) -> None:
        self.keys = keys or Keys()
        self.timeout = timeout

    def click(self, target: Region | tuple[int, int]) -> None:
        """Click the middle of a region (or a point)."""
        x, y = target.center if isinstance(target, Region) else target
        gui().click(x, y, _pause=False)
        logger.debug("desktop.click {},{}", x, y)

    def press(self, *keys: str) -> None:
        """Press a key, or a chord of keys together (``press("ctrl", "s")``)."""
        gui().hotkey(*keys, _pause=False)

    def type_into(self, field: Region, value: str, *, name: str, via: str = "clipboard") -> None:
        """Replace what ``field`` holds with ``value``, and wait until it shows it.

        ``via="keys"`` types ASCII key by key (raises ValueError for other text: pyautogui
        would drop it silently). Raises :class:`FieldNotUpdated` when the field does not
        clear, or does not show the value, within the time-out.
        """
        if via == "keys" and not value.isascii():
            raise ValueError(f"項目『{name}』の値は ASCII 以外を含むため、キー入力できません")
        self.click(field)
        self.press(*self.keys.select_all)
        self.press(self.keys.clear)
        inner = inside(field)
        allowance = 3 * inner.h  # a text cursor is a couple of columns of ink
        if poll(lambda: True if self._ink(inner) <= allowance else None, self.timeout) is None:
            raise FieldNotUpdated(name, "空になりませんでした", self.timeout)
        if not value:
            return
        if via == "keys":
            gui().write(value, _pause=False)
            self._wait_shown(inner, allowance, name)
        else:
            with clipboard.borrowed():
                clipboard.write(value)
                self.press(*self.keys.paste)
                self._wait_shown(inner, allowance, name)
        logger.debug("desktop.type {} ({} characters, via {})", name, len(value), via)

    def read_by_copy(
        self, field: Region, *, name: str, timeout: float = 1.0, always: bool = False
    ) -> str | None:
        """What ``field`` holds, copied out of it; None when the client gives nothing.

        A blank field is ``""`` without copying (copying an empty selection changes
        nothing, which would look like a client that refuses to copy). ``always`` copies
        anyway: one narrow digit (「8」 in a right-aligned year field) has no more ink than
        a cursor, and a read-back must not take it for blank.
        """
        inner = inside(field)
        if not always and self._ink(inner) <= 3 * inner.h:
            return ""
        self.click(field)
        self.press(*self.keys.select_all)
        marker = f"renkei-{uuid.uuid4().hex}"
        with clipboard.borrowed():
            clipboard.write(marker)
            self.press(*self.keys.copy)
            copied = poll(lambda: text if (text := clipboard.read()) != marker else None, timeout)
        logger.debug(
            "desktop.read {} by copy: {}",
            name,
            "nothing copied" if copied is None else f"{len(copied)} characters",
        )
        return copied

    def _ink(self, inner: Region) -> int:
        return ink(capture(inner).gray)

    def _wait_shown(self, inner: Region, allowance: int, name: str) -> None:
        """Wait until the field has more ink than a cursor, the same in two looks."""
        last: list[np.ndarray] = []

        def settled() -> bool | None:
            now = capture(inner).gray
            same = bool(last) and np.array_equal(last[-1], now)
            last[:] = [now]
            return True if same and ink(now) > allowance else None

        if poll(settled, self.timeout) is None:
            raise FieldNotUpdated(name, "入力した値を表示しませんでした", self.timeout)
