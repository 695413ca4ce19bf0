"""入力 (KDS410 / KDS420): the chosen person, the procedure's items, 登録 and 戻る; 結果.

The header's 被保険者番号・氏名・生年月日 are read-only Entries, so they can be selected
and copied (本人確認 by copy, not OCR). 登録 runs the web mock's checks; problems come in
one エラー pop-up naming the items, and nothing is stored. Otherwise 確認 asks
登録しますか？; only はい writes the row (one transaction), then 結果 shows the 受付番号
as a Label (not copyable: read it by OCR).
"""

from __future__ import annotations

import datetime as dt
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from .. import dialogs, store
from ..app import App
from ..forms import (
    DEFAULT_ERA,
    ERA_CHOICES,
    PROCEDURES,
    Item,
    check,
    choice_text,
    code_of,
    field_width,
    long_date,
    spec_for,
)
from ..keys import readonly_entry
from ..look import REQUIRED

Getter = Callable[[], str]
QUESTION = "登録しますか？"


def _header(app: App, frame: ttk.Frame) -> None:
    person = app.session.person
    assert person is not None
    px = app.look.px
    box = ttk.LabelFrame(frame, text="被保険者", padding=(px(10), px(4)))
    box.pack(fill="x")
    shown = (
        ("subject_hno", "被保険者番号", person.hihokensha_no, 12),
        ("subject_name", "氏名", person.name, 14),
        ("subject_birth", "生年月日", long_date(person.birth_date), 16),
    )
    for col, (key, label, value, width) in enumerate(shown):
        ttk.Label(box, text=label).grid(row=0, column=col * 2, sticky="w", padx=(px(8), px(6)))
        field = readonly_entry(box, value, width)
        field.grid(row=0, column=col * 2 + 1, sticky="w")
        app.name(key, field)


def _wareki(app: App, cell: ttk.Frame, item: Item, getters: dict[str, Getter]) -> tk.Misc:
    era = ttk.Combobox(cell, state="readonly", width=6)
    era.configure(values=[choice_text(c, t) for c, t in ERA_CHOICES.items()])
    era.set(choice_text(DEFAULT_ERA, ERA_CHOICES[DEFAULT_ERA]))
    era.pack(side="left")
    getters[f"{item.name}_era"] = lambda: code_of(era.get())
    app.name(f"{item.name}_era", era)
    for part, unit, width in (("year", "年", 3), ("month", "月", 3), ("day", "日", 3)):
        field = ttk.Entry(cell, width=width, justify="right")
        field.pack(side="left", padx=(app.look.px(6), app.look.px(2)))
        ttk.Label(cell, text=unit).pack(side="left")
        getters[f"{item.name}_{part}"] = field.get
        app.name(f"{item.name}_{part}", field)
    return era


def _control(app: App, cell: ttk.Frame, item: Item, getters: dict[str, Getter]) -> tk.Misc:
    """The item's widget(s) in ``cell``; their getters under the standard keys."""
    if item.kind == "wareki":
        return _wareki(app, cell, item, getters)
    if item.kind == "select":
        box = ttk.Combobox(cell, state="readonly", width=14)
        box.configure(values=[choice_text(c, t) for c, t in item.choices.items()])
        box.pack(side="left")
        getters[item.name] = lambda: code_of(box.get())
        return app.name(item.name, box)
    if item.kind == "radio":
        var = tk.StringVar(cell, "")
        first: tk.Misc | None = None
        for code, text in item.choices.items():
            button = ttk.Radiobutton(cell, text=text, value=code, variable=var)
            button.pack(side="left", padx=(0, app.look.px(14)))
            app.name(f"{item.name}_{code}", button)
            first = first or button
        getters[item.name] = var.get
        assert first is not None
        return first
    if item.kind == "textarea":
        area = tk.Text(cell, width=46, height=3, wrap="char", font="TkTextFont")
        area.configure(relief="solid", borderwidth=1, padx=app.look.px(4), pady=app.look.px(2))
        area.pack(side="left")
        getters[item.name] = lambda: area.get("1.0", "end-1c")
        return app.name(item.name, area)
    field = ttk.Entry(cell, width=field_width(item))
    field.pack(side="left")
    getters[item.name] = field.get
    return app.name(item.name, field)


def _items(app: App, frame: ttk.Frame, procedure: str) -> tuple[dict[str, Getter], dict]:
    """Every section's items, top to bottom (the Tab order); their getters and first widgets."""
    px = app.look.px
    getters: dict[str, Getter] = {}
    firsts: dict[str, tk.Misc] = {}
    for section in spec_for(procedure, app.options.layout).sections:
        box = ttk.LabelFrame(frame, text=section.legend, padding=(px(10), px(2)))
        box.pack(fill="x", pady=(px(8), 0))
        box.columnconfigure(2, minsize=px(150))
        for row, item in enumerate(section.items):
            mark = "※" if item.required else ""
            ttk.Label(box, text=mark, foreground=REQUIRED).grid(row=row, column=0, sticky="w")
            label = ttk.Label(box, text=item.label)
            label.grid(row=row, column=1, sticky="w", padx=(0, px(12)), pady=px(3))
            app.name(f"label_{item.name}", label)
            cell = ttk.Frame(box)
            cell.grid(row=row, column=2, sticky="w", pady=px(3))
            firsts[item.label] = _control(app, cell, item, getters)
            if item.hint:
                hint = ttk.Label(box, text=item.hint, style="Hint.TLabel")
                hint.grid(row=row, column=3, sticky="w", padx=(px(10), 0))
    return getters, firsts


def _first_problem(firsts: dict[str, tk.Misc], messages: list[str]) -> tk.Misc | None:
    """The widget of the item the first message names (the longest label that fits)."""
    names = sorted(firsts, key=len, reverse=True)
    hit = next((label for label in names if messages[0].startswith(label)), None)
    return None if hit is None else firsts[hit]


def entry(app: App, procedure: str) -> None:
    """The 入力 screen of ``procedure`` for the chosen person."""
    from .search import search

    proc = PROCEDURES[procedure]
    person = app.session.person
    assert person is not None

    def build(frame: ttk.Frame) -> None:
        _header(app, frame)
        getters, firsts = _items(app, frame, procedure)
        bottom = ttk.Frame(frame)
        bottom.pack(fill="x", side="bottom")
        save = ttk.Button(bottom, text="登録", width=8)
        back = ttk.Button(bottom, text="戻る", width=8, command=lambda: search(app, procedure))
        left, right = (save, back) if app.options.layout != "v2" else (back, save)
        left.pack(side="left")
        right.pack(side="right")
        app.name("register", save)
        app.name("back", back)

        def register() -> None:
            raw = {key: get() for key, get in getters.items()}
            record, errors = check(procedure, app.options.layout, raw, dt.date.today())
            if record is None:
                target = _first_problem(firsts, errors)
                dialogs.error(app, errors, then=None if target is None else target.focus_set)
                return

            def yes() -> None:
                typed = {k: v for k, v in raw.items()}
                receipt_no = store.register(
                    app.options.store,
                    procedure,
                    proc.spec.receipt_prefix,
                    person,
                    (record, typed),
                    app.session.user,
                )
                result(app, procedure, receipt_no)

            dialogs.confirm(app, QUESTION, on_yes=yes, on_no=lambda: None)

        save.configure(command=register)
        app.focus_first(next(iter(firsts.values())))

    spec = proc.spec
    app.show("entry", f"{spec.title}", proc.entry_id, build)


def result(app: App, procedure: str, receipt_no: str) -> None:
    """登録しました and the 受付番号 (a Label), 戻る to the menu."""
    from .login import menu

    proc = PROCEDURES[procedure]

    def build(frame: ttk.Frame) -> None:
        px = app.look.px
        done = ttk.Label(frame, text="登録しました", style="Big.TLabel")
        done.pack(pady=(px(40), px(24)))
        line = ttk.Frame(frame)
        line.pack()
        ttk.Label(line, text="受付番号", font=app.look.font(20)).pack(side="left", padx=px(16))
        number = ttk.Label(line, text=receipt_no, style="Receipt.TLabel", background="#ffffff")
        number.configure(padding=(px(16), px(6)), relief="solid")
        number.pack(side="left")
        back = ttk.Button(frame, text="戻る", width=8, command=lambda: menu(app))
        back.pack(side="bottom", anchor="e")
        for key, widget in (("message", done), ("receipt_no", number), ("back", back)):
            app.name(key, widget)
        app.focus_first(back)

    app.show("result", proc.spec.title.replace("入力", "結果"), proc.result_id, build)
