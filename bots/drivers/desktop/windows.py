"""The client's windows on the display, by title: which screen and which pop-up are shown.

A clerk knows where they are by the window's title bar (「… - 被保険者証再交付申請 入力」,
「確認」); so does the driver. Every visible top-level window with a title is listed with
its box (python-xlib; :func:`~bots.drivers.desktop.screen.window_region` finds one in it),
in stacking order, bottom first: a pop-up stands over the main window.
"""

from __future__ import annotations

from dataclasses import dataclass

from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.screen import display_name


@dataclass(frozen=True)
class Window:
    """A visible top-level window: its title and where it is (screen pixels)."""

    title: str
    region: Region


def windows(display: str | None = None) -> list[Window]:
    """Every visible window with a title, bottom of the stack first."""
    from Xlib import X
    from Xlib.display import Display
    from Xlib.error import XError

    conn = Display(display_name(display))
    out: list[Window] = []
    try:
        root = conn.screen().root
        frontier = list(root.query_tree().children)
        for _depth in range(2):
            below = []
            for window in frontier:
                try:
                    if window.get_attributes().map_state != X.IsViewable:
                        continue
                    title = _net_name(conn, window) or window.get_wm_name()
                    if isinstance(title, bytes):
                        title = title.decode("utf-8", "replace")
                    if title:
                        geometry = window.get_geometry()
                        at = root.translate_coords(window, 0, 0)
                        box = Region(int(at.x), int(at.y), geometry.width, geometry.height)
                        out.append(Window(str(title), box))
                    else:
                        below.extend(window.query_tree().children)
                except XError:  # the window went away while we looked
                    continue
            frontier = below
    finally:
        conn.close()
    return out


def titled(title: str, display: str | None = None) -> Region | None:
    """The box of the topmost visible window titled exactly ``title``, or None."""
    found = [w.region for w in windows(display) if w.title == title]
    return found[-1] if found else None


def _net_name(conn: object, window: object) -> str | None:
    """The window's ``_NET_WM_NAME`` (UTF-8; how Tk and most toolkits set a Japanese title)."""
    atom = conn.intern_atom("_NET_WM_NAME")  # type: ignore[attr-defined]
    utf8 = conn.intern_atom("UTF8_STRING")  # type: ignore[attr-defined]
    prop = window.get_full_property(atom, utf8)  # type: ignore[attr-defined]
    if prop is None:
        return None
    value = prop.value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
