"""The client's look at a display scale: fonts in pixels, paddings, the window's size.

Windows display scaling (100 %, 125 %, 150 %) makes a DPI-aware client draw everything
larger by the factor. Tk's point sizes would follow the X server's DPI instead, which
Xvfb fixes, so every size here is in pixels times the factor: fonts (negative Tk sizes
are pixels), paddings, list row heights and the window. Widths given in characters
(Entry ``width``) follow the font, hence the scale, by themselves.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk

FAMILY = "IPAGothic"  # Debian fonts-ipafont-gothic: every Japanese glyph, clean digits
BASE_SIZE = (960, 640)  # the window at 100 %; 150 % (1440×960) still fits a 1600×1000 screen

# Colours of the vendor's theme (a grey client with a navy title band).
BAND = "#1f3a68"
BAND_TEXT = "#ffffff"
CAPTION = "#4a6ea8"  # a pop-up's caption
FACE = "#e8e8e8"
REQUIRED = "#b00000"
HINT = "#555555"


@dataclass(frozen=True)
class Look:
    """Sizes at one scale; ``px(n)`` turns a 100 % pixel size into this scale's."""

    scale: float

    def px(self, n: float) -> int:
        return max(1, round(n * self.scale))

    @property
    def window(self) -> tuple[int, int]:
        return self.px(BASE_SIZE[0]), self.px(BASE_SIZE[1])

    def font(self, size: int, bold: bool = False) -> tuple[str, int, str]:
        """A font tuple with a pixel size (Tk reads a negative size as pixels)."""
        return (FAMILY, -self.px(size), "bold" if bold else "normal")


def apply(root: tk.Tk, look: Look) -> None:
    """Set the named fonts and the ttk styles every screen uses."""
    for name, size in (
        ("TkDefaultFont", 15),
        ("TkTextFont", 15),
        ("TkMenuFont", 15),
        ("TkHeadingFont", 15),
        ("TkCaptionFont", 15),
        ("TkFixedFont", 15),
    ):
        tkfont.nametofont(name, root).configure(family=FAMILY, size=-look.px(size))
    root.option_add("*TCombobox*Listbox.font", look.font(15))
    root.configure(background=FACE)
    style = ttk.Style(root)
    style.theme_use("clam")
    pad = look.px(4)
    style.configure(".", background=FACE, font=look.font(15))
    style.configure("TButton", padding=(look.px(12), pad), font=look.font(15))
    style.configure("TEntry", padding=pad)
    style.configure("TCombobox", padding=pad, arrowsize=look.px(14))
    # the indicators are drawn in pixels by the theme: scale them like the text
    for kind in ("TRadiobutton", "TCheckbutton"):
        style.configure(kind, indicatorsize=look.px(13), indicatormargin=look.px(4))
    style.configure("TLabelframe.Label", font=look.font(15, bold=True), background=FACE)
    style.configure("Band.TLabel", background=BAND, foreground=BAND_TEXT, font=look.font(17, True))
    style.configure("BandId.TLabel", background=BAND, foreground=BAND_TEXT, font=look.font(14))
    style.configure("Band.TFrame", background=BAND)
    style.configure("Required.TLabel", foreground=REQUIRED)
    style.configure("Hint.TLabel", foreground=HINT, font=look.font(13))
    style.configure("Big.TLabel", font=look.font(22, bold=True))
    style.configure("Receipt.TLabel", font=look.font(28, bold=True), foreground="#000000")
    # the lists are read by OCR: large, black on white, generous rows
    style.configure(
        "Treeview",
        font=look.font(18),
        rowheight=look.px(32),
        background="#ffffff",
        fieldbackground="#ffffff",
        foreground="#000000",
    )
    style.configure("Treeview.Heading", font=look.font(16, bold=True), padding=pad)
    style.map("Treeview", background=[("selected", "#c8d8f0")], foreground=[("selected", "#000")])
