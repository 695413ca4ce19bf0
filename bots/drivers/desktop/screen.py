"""Seeing the screen: captures of the display or of one window, found by its title.

Pillow's ``ImageGrab.grab(xdisplay=…)`` reads the X server's pixels directly (XCB); no
screenshot tool is needed (pyautogui's own would call gnome-screenshot). A window is found
by its title with python-xlib, so every search can be limited to the client's window — faster,
and a label of another window (a second client, a dialog behind) is never matched.

A :class:`Capture` keeps the screen position of its top-left pixel, so every region found
in it is in screen coordinates and can be clicked as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageGrab

from bots.drivers.desktop.errors import WindowNotFound
from bots.drivers.desktop.geometry import Region


def display_name(display: str | None = None) -> str:
    """The X display to use: the one given, else ``$DISPLAY``."""
    name = display or os.environ.get("DISPLAY")
    if not name:
        raise WindowNotFound("（X ディスプレイ未設定: DISPLAY）")
    return name


@dataclass
class Capture:
    """Pixels of one region of the screen; ``origin`` is that region (screen coordinates)."""

    image: Image.Image
    origin: Region

    @cached_property
    def gray(self) -> np.ndarray:
        """The capture as an 8-bit grayscale array (what template matching compares)."""
        return np.asarray(self.image.convert("L"))

    def crop(self, region: Region) -> Image.Image:
        """The part of the capture under ``region`` (screen coordinates)."""
        return self.image.crop(region.relative_to(self.origin).bbox)


def screen_region(display: str | None = None) -> Region:
    """The whole screen of the display."""
    from Xlib.display import Display

    conn = Display(display_name(display))
    try:
        geometry = conn.screen().root.get_geometry()
        return Region(0, 0, int(geometry.width), int(geometry.height))
    finally:
        conn.close()


def capture(region: Region | None = None, display: str | None = None) -> Capture:
    """Grab ``region`` of the screen (the whole screen when None)."""
    name = display_name(display)
    if region is None:
        image = ImageGrab.grab(xdisplay=name)
        return Capture(image.convert("RGB"), Region(0, 0, image.width, image.height))
    image = ImageGrab.grab(bbox=region.bbox, xdisplay=name)
    return Capture(image.convert("RGB"), region)


def window_region(title: str, display: str | None = None) -> Region:
    """Where the mapped top-level window titled exactly ``title`` is, in screen pixels.

    Looks at the root's children and, under a window manager that reparents, their
    children (the client's own window inside the frame), as
    :func:`~bots.drivers.desktop.windows.windows` lists them. Raises
    :class:`WindowNotFound` when no visible window has that title; the first one found
    wins when several have (a client shows one main window per title).
    """
    from bots.drivers.desktop.windows import windows  # windows.py builds on this module

    for window in windows(display):
        if window.title == title:
            return window.region
    raise WindowNotFound(title)
