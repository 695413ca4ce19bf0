"""Windows keyboard habits on Tk's X11 widgets, bound once per widget class.

Clerks (and a bot trained on Windows clients) expect Ctrl+A to select all, Ctrl+C/V/X to
copy, paste and cut, a paste to replace the selection, Tab to leave a multi-line field
and Enter to press the focused button. Tk on X11 follows Motif/Emacs instead (Ctrl+A goes
to the line start, a paste inserts beside the selection, Tab types a tab in a Text), so
the client binds the Windows behaviour itself. Pasting is the only way to enter Japanese
without an IME; Tk asks the clipboard owner for UTF8_STRING, so it arrives intact.

Tk handles other events while it waits for the clipboard's owner to answer, so a click
sent right after Ctrl+V can act before the pasted text is in the field: whoever pastes
must wait for the field to show it. Each paste ends with a ``<<Pasted>>`` event (the app
counts them in its geometry file, for tests).
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any

ENTRY_CLASSES = ("TEntry", "Entry")


def _entry_selection(w: Any) -> tuple[int, int] | None:
    if not w.selection_present():
        return None
    return int(w.index("sel.first")), int(w.index("sel.last"))


def _entry_select_all(event: tk.Event) -> str:
    w: Any = event.widget
    w.selection_range(0, "end")
    w.icursor("end")
    return "break"


def _entry_copy(event: tk.Event, cut: bool = False) -> str:
    w: Any = event.widget
    span = _entry_selection(w)
    if span is None:
        return "break"
    w.clipboard_clear()
    w.clipboard_append(w.get()[span[0] : span[1]])
    if cut and _editable(w):
        w.delete(span[0], span[1])
    return "break"


def _editable(w: Any) -> bool:
    state = str(w.cget("state"))
    return state not in ("readonly", "disabled")


def _entry_paste(event: tk.Event) -> str:
    w: Any = event.widget
    if not _editable(w):
        return "break"
    try:
        text = w.clipboard_get()
    except tk.TclError:  # empty clipboard
        return "break"
    span = _entry_selection(w)
    if span is not None:
        w.delete(span[0], span[1])
    w.insert("insert", text.replace("\r", "").replace("\n", ""))
    w.event_generate("<<Pasted>>")
    return "break"


def _text_select_all(event: tk.Event) -> str:
    w: Any = event.widget
    w.tag_add("sel", "1.0", "end-1c")
    w.mark_set("insert", "end-1c")
    return "break"


def _text_copy(event: tk.Event, cut: bool = False) -> str:
    w: Any = event.widget
    if not w.tag_ranges("sel"):
        return "break"
    w.clipboard_clear()
    w.clipboard_append(w.get("sel.first", "sel.last"))
    if cut:
        w.delete("sel.first", "sel.last")
    return "break"


def _text_paste(event: tk.Event) -> str:
    w: Any = event.widget
    try:
        text = w.clipboard_get()
    except tk.TclError:
        return "break"
    if w.tag_ranges("sel"):
        w.delete("sel.first", "sel.last")
    w.insert("insert", text.replace("\r\n", "\n"))
    w.event_generate("<<Pasted>>")
    return "break"


def _focus_next(event: tk.Event) -> str:
    target = event.widget.tk_focusNext()
    if target is not None:
        target.focus_set()
    return "break"


def _focus_prev(event: tk.Event) -> str:
    target = event.widget.tk_focusPrev()
    if target is not None:
        target.focus_set()
    return "break"


def _combobox_key(event: tk.Event) -> str | None:
    """A readonly list picks the first choice starting with the typed key ("1 紛失" by 1),
    as a Windows drop-down list does."""
    w: Any = event.widget
    if not event.char or not event.char.isprintable() or int(event.state) & 0x4:
        return None
    for value in w.cget("values"):
        if str(value).startswith(event.char):
            w.set(value)
            w.event_generate("<<ComboboxSelected>>")
            return "break"
    return "break"


def _list_key(root: tk.Misc, event: tk.Event) -> str | None:
    """In an open drop-down list a key moves the highlight to the first choice starting with
    it; Enter then takes it (Tk's own binding), as on Windows. Tk made this listbox itself,
    so it comes as a path name and is driven through Tcl."""
    if not event.char or not event.char.isprintable():
        return None
    path = str(event.widget)
    values = [str(v) for v in root.tk.splitlist(root.tk.call(path, "get", 0, "end"))]
    for index, value in enumerate(values):
        if value.startswith(event.char):
            root.tk.call(path, "selection", "clear", 0, "end")
            root.tk.call(path, "selection", "set", index)
            root.tk.call(path, "activate", index)
            root.tk.call(path, "see", index)
            break
    return "break"


def _press(event: tk.Event) -> str:
    w: Any = event.widget
    if str(w.cget("state")) != "disabled":
        w.invoke()
    return "break"


def install(root: tk.Tk) -> None:
    """Bind the Windows keys on every Entry, Text, Combobox and Button of the client."""
    for cls in ENTRY_CLASSES:
        root.bind_class(cls, "<Control-a>", _entry_select_all)
        root.bind_class(cls, "<Control-c>", _entry_copy)
        root.bind_class(cls, "<Control-x>", lambda e: _entry_copy(e, cut=True))
        root.bind_class(cls, "<Control-v>", _entry_paste)
        root.bind_class(cls, "<<Paste>>", _entry_paste)
    root.bind_class("Text", "<Control-a>", _text_select_all)
    root.bind_class("Text", "<Control-c>", _text_copy)
    root.bind_class("Text", "<Control-x>", lambda e: _text_copy(e, cut=True))
    root.bind_class("Text", "<Control-v>", _text_paste)
    root.bind_class("Text", "<<Paste>>", _text_paste)
    root.bind_class("Text", "<Tab>", _focus_next)
    root.bind_class("Text", "<Shift-Tab>", _focus_prev)
    root.bind_class("Text", "<ISO_Left_Tab>", _focus_prev)
    root.bind_class("TCombobox", "<KeyPress>", _combobox_key, add="+")
    root.bind_class("ComboboxListbox", "<KeyPress>", lambda e: _list_key(root, e), add="+")
    for cls in ("TButton", "TRadiobutton", "TCheckbutton"):
        root.bind_class(cls, "<Return>", _press)
        root.bind_class(cls, "<KP_Enter>", _press)


def readonly_entry(parent: tk.Misc, value: str, width: int) -> ttk.Entry:
    """A field the clerk can select and copy but not change (the header's person)."""
    var = tk.StringVar(parent, value)
    entry = ttk.Entry(parent, textvariable=var, width=width, state="readonly", takefocus=0)
    entry.var = var  # type: ignore[attr-defined]  # keep the variable alive with the widget
    return entry
