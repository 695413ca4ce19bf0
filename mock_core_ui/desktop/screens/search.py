"""被保険者検索 (KDS110): by 被保険者番号, or by カナ氏名 (and 生年月日); a list; 選択.

The list is a ttk.Treeview: its text cannot be selected or copied, as in many vendors'
grids, so a bot reads it by OCR — large black-on-white type, dates as ``S12.03.03``
(ASCII only, so digits can be read with a whitelist).
"""

from __future__ import annotations

import datetime as dt
import re
from tkinter import ttk

from .. import dialogs
from ..app import App
from ..forms import PROCEDURES, short_date
from ..store import Insured, search_insured

HNO_RE = re.compile(r"[0-9]{10}")
BIRTH_RE = re.compile(r"[0-9]{8}")
NO_CRITERIA = "被保険者番号またはカナ氏名を入力してください。"
HNO_FORMAT = "被保険者番号は半角数字10桁で入力してください。"
BIRTH_FORMAT = "生年月日は西暦8桁の半角数字（例 19370303）で入力してください。"
NOT_FOUND = "該当する被保険者はありません。"
NOT_CHOSEN = "一覧から被保険者を選択してください。"
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("hno", "被保険者番号", 170),
    ("name", "氏名", 190),
    ("birth", "生年月日", 140),
    ("address", "住所", 340),
)


def _birth(text: str) -> dt.date | None:
    if not BIRTH_RE.fullmatch(text):
        raise ValueError(BIRTH_FORMAT)
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(BIRTH_FORMAT) from None


def find(app: App, hno: str, kana: str, birth_text: str) -> list[Insured] | str:
    """The people matching the criteria, or the message of the problem with them."""
    if not hno and not kana:
        return NO_CRITERIA
    if hno and not HNO_RE.fullmatch(hno):
        return HNO_FORMAT
    try:
        birth = _birth(birth_text) if birth_text else None
    except ValueError as exc:
        return str(exc)
    found = search_insured(app.options.store, hno, "" if hno else kana, birth)
    return found or NOT_FOUND


def _criteria(app: App, frame: ttk.Frame) -> dict[str, ttk.Entry]:
    px = app.look.px
    box = ttk.LabelFrame(frame, text="検索条件", padding=px(12))
    box.pack(fill="x")
    fields: dict[str, ttk.Entry] = {}
    rows = (
        ("hno", "被保険者番号", 14, "（半角数字10桁）"),
        ("kana", "カナ氏名", 24, "（前方一致）"),
        ("birth", "生年月日", 12, "（西暦8桁 例 19370303）"),
    )
    for row, (key, label, width, hint) in enumerate(rows):
        ttk.Label(box, text=label).grid(row=row, column=0, sticky="w", pady=px(3))
        field = ttk.Entry(box, width=width)
        field.grid(row=row, column=1, sticky="w", padx=px(10), pady=px(3))
        ttk.Label(box, text=hint, style="Hint.TLabel").grid(row=row, column=2, sticky="w")
        fields[key] = field
        app.name(f"search_{key}", field)
    return fields


def _results(app: App, frame: ttk.Frame) -> ttk.Treeview:
    px = app.look.px
    tree = ttk.Treeview(
        frame, columns=[c[0] for c in COLUMNS], show="headings", height=7, selectmode="browse"
    )
    for key, heading, width in COLUMNS:
        tree.heading(key, text=heading, anchor="w")
        tree.column(key, width=px(width), anchor="w", stretch=False)
    tree.pack(fill="x", pady=(px(12), 0))
    app.name("results", tree)
    return tree


def search(app: App, procedure: str) -> None:
    """Search the person whose application of ``procedure`` is to be keyed."""
    from .entry import entry
    from .login import menu

    proc = PROCEDURES[procedure]
    app.session.procedure = procedure

    def build(frame: ttk.Frame) -> None:
        px = app.look.px
        fields = _criteria(app, frame)
        people: dict[str, Insured] = {}
        buttons = ttk.Frame(frame)
        buttons.pack(fill="x", pady=(px(8), 0))
        tree = _results(app, frame)

        def run() -> None:
            tree.delete(*tree.get_children())
            people.clear()
            values = {k: f.get().strip() for k, f in fields.items()}
            found = find(app, values["hno"], values["kana"], values["birth"])
            if isinstance(found, str):
                dialogs.error(app, [found], then=fields["hno"].focus_set)
                return
            for person in found:
                row = (person.hihokensha_no, person.name, short_date(person.birth_date))
                tree.insert("", "end", iid=person.hihokensha_no, values=(*row, person.address))
                people[person.hihokensha_no] = person
            if len(found) == 1:
                tree.selection_set(found[0].hihokensha_no)
                tree.focus(found[0].hihokensha_no)
            tree.focus_set()
            app.publish()

        def choose() -> None:
            chosen = tree.selection()
            if not chosen:
                dialogs.error(app, [NOT_CHOSEN], then=tree.focus_set)
                return
            app.session.person = people[chosen[0]]
            entry(app, procedure)

        go = ttk.Button(buttons, text="検索", width=8, command=run)
        go.pack(side="left")
        for field in fields.values():
            field.bind("<Return>", lambda _e: run())
        tree.bind("<Return>", lambda _e: choose())
        tree.bind("<Double-1>", lambda _e: choose())
        bottom = ttk.Frame(frame)
        bottom.pack(fill="x", side="bottom")
        pick = ttk.Button(bottom, text="選択", width=8, command=choose)
        back = ttk.Button(bottom, text="戻る", width=8, command=lambda: menu(app))
        back.pack(side="right")
        pick.pack(side="right", padx=px(8))
        for key, widget in (("search", go), ("choose", pick), ("back", back)):
            app.name(key, widget)
        app.focus_first(fields["hno"])

    app.show("search", f"被保険者検索（{proc.short}）", "KDS110", build)
