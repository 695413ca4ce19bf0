"""The client's main window: one Tk root at (0,0) whose body is replaced per screen.

Each screen has a fixed look: a navy band with the screen's name and id (the vendor's
screens all start so; a bot's reference image anchors on it), its fields, and the title
bar 「介護保険総合システム クライアント版 - <画面名>」 naming it. For tests and for making
image templates the client can publish, after every screen or pop-up is drawn, the
screen box of each named widget (``--geometry-file``, JSON); a bot never reads it.
"""

from __future__ import annotations

import json
import os
import sys
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import ttk
from typing import Any

from . import keys, look
from .options import Options
from .store import Insured

PRODUCT = "介護保険総合システム クライアント版"
VENDOR = "ミナト福祉システムズ"
IDLE_MESSAGE = "セッションの有効期限が切れました。再度ログインしてください。"


@dataclass
class Session:
    """Who is logged in and what they are doing (the procedure and the chosen person)."""

    user: str = ""
    procedure: str = ""
    person: Insured | None = None
    kept: dict[str, Any] = field(default_factory=dict)  # a screen's values while a pop-up is up


class App:
    """The Tk root, the current screen's named widgets, and the switches between screens."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.look = look.Look(options.scale)
        self.root = tk.Tk(className="KaigoClient")
        self.session = Session()
        self.screen = ""
        self.widgets: dict[str, tk.Misc] = {}
        self.popup: tuple[str, tk.Toplevel, dict[str, tk.Misc]] | None = None
        self._seq = 0
        self._idle_job: str | None = None
        self._ready = False
        self._pending = False
        look.apply(self.root, self.look)
        keys.install(self.root)
        width, height = self.look.window
        self.root.geometry(f"{width}x{height}+0+0")
        self.root.resizable(False, False)
        self.body = ttk.Frame(self.root)
        self.body.pack(fill="both", expand=True)
        self.root.bind_all("<Key>", self._activity, add="+")
        self.root.bind_all("<Button>", self._activity, add="+")
        self.pastes = 0
        if options.geometry_file is not None:  # the focus is part of the published layout
            self.root.bind_all("<FocusIn>", lambda _e: self._after_drawn(), add="+")
            self.root.bind_all("<<Pasted>>", self._pasted, add="+")

    # -- screens -------------------------------------------------------------------------

    def show(
        self, screen: str, title: str, screen_id: str, build: Callable[[ttk.Frame], None]
    ) -> None:
        """Replace the body by a new screen: the band, then what ``build`` puts in a frame."""
        for child in self.body.winfo_children():
            child.destroy()
        self.widgets = {}
        self.screen = screen
        self.root.title(f"{PRODUCT} - {title}")
        band = ttk.Frame(
            self.body, style="Band.TFrame", padding=(self.look.px(12), self.look.px(6))
        )
        band.pack(fill="x")
        ttk.Label(band, text=title, style="Band.TLabel").pack(side="left")
        who = f"{screen_id}　利用者 {self.session.user}" if self.session.user else screen_id
        ttk.Label(band, text=who, style="BandId.TLabel").pack(side="right")
        self.name("band", band)
        frame = ttk.Frame(self.body, padding=(self.look.px(20), self.look.px(14)))
        frame.pack(fill="both", expand=True)
        build(frame)
        footer = ttk.Label(self.body, text=f"{VENDOR}　{PRODUCT} Ver.3.2", style="Hint.TLabel")
        footer.pack(side="bottom", anchor="e", padx=self.look.px(8), pady=self.look.px(2))
        self.root.focus_force()
        self._after_drawn()

    def name(self, key: str, widget: tk.Misc) -> tk.Misc:
        """Give a widget of the current screen a stable name for the geometry file."""
        self.widgets[key] = widget
        return widget

    def publish(self) -> None:
        """The screen changed inside (a list filled): publish its layout again."""
        self._after_drawn()

    def focus_first(self, widget: tk.Misc) -> None:
        self.root.after_idle(widget.focus_set)

    # -- pop-ups (dialogs.Host) ---------------------------------------------------------

    def popup_shown(self, kind: str, top: tk.Toplevel, widgets: dict[str, tk.Misc]) -> None:
        self.popup = (kind, top, widgets)
        self._after_drawn()

    def popup_closed(self) -> None:
        self.popup = None
        self._after_drawn()

    # -- publication --------------------------------------------------------------------

    def _after_drawn(self) -> None:
        """Publish (readiness, then the geometry) once what changed is on the X server.

        Tk lays out and maps on idle and sends its requests when it next waits, so a file
        written then could send a test's click to a window the server has not mapped yet.
        So: lay out, wait for the server (a round trip), let the Expose events' redraws run
        (a timer, then idle), wait for the server again, and only then write. Any number of
        changes in the same turn of the event loop make one publication.
        """
        if self._pending:
            return
        self._pending = True
        self.root.after_idle(self._synced)

    def _sync(self) -> None:
        """Lay out, then a request with a reply: the server has done everything before it."""
        self.root.update_idletasks()
        self.root.winfo_pointerxy()

    def _synced(self) -> None:
        self._sync()
        self.root.after(1, lambda: self.root.after_idle(self._publish))

    def _publish(self) -> None:
        self._pending = False
        self._sync()
        if not self._ready:
            self._ready = True
            sys.stdout.write(f"READY {self.screen}\n")
            sys.stdout.flush()
            if self.options.ready_file is not None:
                self.options.ready_file.write_text(self.screen, encoding="utf-8")
        if self.options.geometry_file is not None:
            self._seq += 1
            _write_json(self.options.geometry_file, self.layout())

    def layout(self) -> dict[str, Any]:
        """The current screen (and pop-up): each named widget's screen box [x, y, w, h]."""
        popup = None
        if self.popup is not None and self.popup[1].winfo_exists():
            kind, top, widgets = self.popup
            popup = {
                "kind": kind,
                "title": top.title(),
                "window": _box(top),
                "widgets": {k: _box(w) for k, w in widgets.items()},
                "texts": _texts(widgets),
            }
        return {
            "seq": self._seq,
            "screen": self.screen,
            "title": self.root.title(),
            "scale": self.options.scale,
            "layout": self.options.layout,
            "window": _box(self.root),
            "widgets": {k: _box(w) for k, w in self.widgets.items() if w.winfo_exists()},
            "texts": _texts(self.widgets),
            "popup": popup,
            "focus": _focus_name(self),
            "pastes": self.pastes,
        }

    def _pasted(self, _event: tk.Event) -> None:
        self.pastes += 1
        self._after_drawn()

    # -- idle timeout -------------------------------------------------------------------

    def _activity(self, _event: tk.Event | None = None) -> None:
        if self.options.idle_timeout <= 0 or not self.session.user:
            return
        if self._idle_job is not None:
            self.root.after_cancel(self._idle_job)
        self._idle_job = self.root.after(self.options.idle_timeout * 1000, self._expired)

    def _expired(self) -> None:
        from . import dialogs, screens

        self._idle_job = None
        if self.popup is not None:
            self.popup[1].destroy()
            self.popup = None
        self.session = Session()
        screens.login(self)
        dialogs.error(self, [IDLE_MESSAGE])

    def logged_in(self) -> None:
        self._activity()


def _box(widget: tk.Misc) -> list[int]:
    return [
        widget.winfo_rootx(),
        widget.winfo_rooty(),
        widget.winfo_width(),
        widget.winfo_height(),
    ]


def _texts(widgets: dict[str, tk.Misc]) -> dict[str, str]:
    """The text of each named label, button and frame title (what a template shows)."""
    out = {}
    for key, widget in widgets.items():
        try:
            text = str(widget.cget("text"))
        except tk.TclError:
            continue
        if text and widget.winfo_exists():
            out[key] = text
    return out


def _focus_name(app: App) -> str | None:
    """The named widget with the keyboard focus; ``<name>.list`` when it is a drop-down
    list's open pop-down (a window Tk made itself, known only by its path)."""
    path = str(app.root.tk.call("focus"))
    if not path:
        return None
    every = dict(app.widgets)
    if app.popup is not None:
        every |= app.popup[2]
    for key, widget in every.items():
        if str(widget) == path:
            return key
        if path.startswith(f"{widget}.popdown"):
            return f"{key}.list"
    return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace the file whole (a reader never sees half of it)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
