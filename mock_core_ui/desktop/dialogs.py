"""The client's modal pop-ups: エラー (a message and OK) and 確認 (登録しますか？ はい/いいえ).

They are Toplevels over the main window, centred on it (there is no window manager to
place them under Xvfb, and a Windows client centres its message boxes too), modal by a
grab, with the keyboard focus forced onto their default button so Enter answers them.
Closing one gives the focus back to the field that had it, as a message box does.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Protocol

from .look import BAND_TEXT, CAPTION, FACE, Look


class Host(Protocol):
    """What a pop-up needs of the app: its window, its look, and to publish its layout."""

    root: tk.Tk
    look: Look

    def popup_shown(self, kind: str, top: tk.Toplevel, widgets: dict[str, tk.Misc]) -> None: ...

    def popup_closed(self) -> None: ...


def _place(host: Host, top: tk.Toplevel) -> None:
    """Centre the pop-up on the main window (its size is known once it is laid out)."""
    top.update_idletasks()
    root = host.root
    w, h = top.winfo_reqwidth(), top.winfo_reqheight()
    x = root.winfo_rootx() + (root.winfo_width() - w) // 2
    y = root.winfo_rooty() + (root.winfo_height() - h) // 2
    top.geometry(f"{w}x{h}+{max(0, x)}+{max(0, y)}")


def _modal(host: Host, title: str) -> tuple[tk.Toplevel, ttk.Frame]:
    top = tk.Toplevel(host.root)
    top.withdraw()  # mapped once placed, so it never flashes at the screen's corner
    top.title(title)
    top.transient(host.root)
    top.resizable(False, False)
    top.configure(highlightthickness=1, highlightbackground="#303030", background=FACE)
    # the caption a Windows message box has, drawn by the client: under Xvfb there is no
    # window manager to draw one, and the bot recognises the pop-up by it
    caption = tk.Label(top, text=title, anchor="w", background=CAPTION, foreground=BAND_TEXT)
    caption.configure(font=host.look.font(14, bold=True), padx=host.look.px(8))
    caption.pack(fill="x")
    body = ttk.Frame(top, padding=host.look.px(18))
    body.pack(fill="both", expand=True)
    return top, body


def _show(host: Host, kind: str, top: tk.Toplevel, default: ttk.Button, widgets: dict) -> None:
    _place(host, top)
    top.deiconify()
    top.wait_visibility()
    top.grab_set()
    top.focus_force()
    default.focus_set()
    host.popup_shown(kind, top, widgets)


def _closer(host: Host, top: tk.Toplevel, then: Callable[[], None] | None) -> Callable[[], None]:
    before = host.root.focus_get()

    def close() -> None:
        top.grab_release()
        top.destroy()
        host.root.focus_force()
        if before is not None and before.winfo_exists():
            before.focus_set()
        host.popup_closed()
        if then is not None:
            then()

    return close


def error(host: Host, messages: list[str], then: Callable[[], None] | None = None) -> None:
    """「エラー」: every problem, one a line, and OK (Enter, Space or Esc closes it)."""
    top, body = _modal(host, "エラー")
    icon = tk.Canvas(body, width=host.look.px(36), height=host.look.px(36), highlightthickness=0)
    s = host.look.px(36)
    icon.create_oval(2, 2, s - 2, s - 2, fill="#c62828", outline="#c62828")
    icon.create_text(s // 2, s // 2, text="×", fill="#ffffff", font=host.look.font(22, True))
    icon.grid(row=0, column=0, sticky="n", padx=(0, host.look.px(12)))
    text = ttk.Label(body, text="\n".join(messages), justify="left")
    text.grid(row=0, column=1, sticky="w")
    close = _closer(host, top, then)
    ok = ttk.Button(body, text="OK", command=close, width=8)
    ok.grid(row=1, column=0, columnspan=2, pady=(host.look.px(16), 0))
    top.bind("<Escape>", lambda _e: close())
    top.protocol("WM_DELETE_WINDOW", close)
    _show(host, "error", top, ok, {"message": text, "ok": ok})


def confirm(
    host: Host, question: str, on_yes: Callable[[], None], on_no: Callable[[], None]
) -> None:
    """「確認」: the question with はい (focused) and いいえ; Esc is いいえ."""
    top, body = _modal(host, "確認")
    text = ttk.Label(body, text=question, font=host.look.font(17))
    text.grid(row=0, column=0, columnspan=2, pady=(0, host.look.px(16)))
    yes = ttk.Button(body, text="はい", width=8, command=_closer(host, top, on_yes))
    no_close = _closer(host, top, on_no)
    no = ttk.Button(body, text="いいえ", width=8, command=no_close)
    yes.grid(row=1, column=0, padx=host.look.px(8))
    no.grid(row=1, column=1, padx=host.look.px(8))
    top.bind("<Escape>", lambda _e: no_close())
    top.protocol("WM_DELETE_WINDOW", no_close)
    _show(host, "confirm", top, yes, {"message": text, "yes": yes, "no": no})
