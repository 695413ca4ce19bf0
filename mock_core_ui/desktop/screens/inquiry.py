"""照会 (KDS419 / KDS429): a person's registrations of a procedure, by 被保険者番号.

A bot that crashed while keying searches here first (受付番号, 申請日, 備考 of every
registration of the person) so that it never keys one application twice. The list is a
Treeview like the search's: read by OCR.
"""

from __future__ import annotations

import datetime as dt
from tkinter import ttk

from .. import dialogs, store
from ..app import App
from ..forms import PROCEDURES, short_date
from .search import HNO_FORMAT, HNO_RE

NO_NUMBER = "被保険者番号を入力してください。"
NOT_INSURED = "該当する被保険者はありません。"
NONE_FOUND = "該当する申請はありません。"
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("receipt_no", "受付番号", 170),
    ("shinsei", "申請日", 130),
    ("remarks", "備考", 380),
    ("at", "登録日時", 200),
)


def rows(app: App, procedure: str, hno: str) -> list[tuple[str, ...]] | str:
    """The person's registrations as list rows, or the message of the problem."""
    if not hno:
        return NO_NUMBER
    if not HNO_RE.fullmatch(hno):
        return HNO_FORMAT
    if store.get_insured(app.options.store, hno) is None:
        return NOT_INSURED
    found = store.registrations(app.options.store, procedure, hno)
    if not found:
        return NONE_FOUND
    out: list[tuple[str, ...]] = []
    for reg in found:
        day = reg["data"].get("shinsei_date")
        shown = short_date(dt.date.fromisoformat(day)) if day else ""
        remarks = " ".join(str(reg["remarks"]).split())
        out.append((reg["receipt_no"], shown, remarks, reg["registered_at"].replace("T", " ")))
    return out


def inquiry(app: App, procedure: str) -> None:
    """照会 of ``procedure`` (the list at the top can switch to the other procedure)."""
    from .login import menu

    def build(frame: ttk.Frame) -> None:
        px = app.look.px
        box = ttk.LabelFrame(frame, text="照会条件", padding=px(12))
        box.pack(fill="x")
        names = {p.key: p.short for p in PROCEDURES.values()}
        ttk.Label(box, text="業務").grid(row=0, column=0, sticky="w", pady=px(3))
        kind = ttk.Combobox(box, state="readonly", width=20, values=list(names.values()))
        kind.set(names[procedure])
        kind.grid(row=0, column=1, sticky="w", padx=px(10), pady=px(3))
        ttk.Label(box, text="被保険者番号").grid(row=1, column=0, sticky="w", pady=px(3))
        hno = ttk.Entry(box, width=14)
        hno.grid(row=1, column=1, sticky="w", padx=px(10), pady=px(3))
        go = ttk.Button(box, text="照会", width=8)
        go.grid(row=1, column=2, padx=px(10))
        tree = ttk.Treeview(
            frame, columns=[c[0] for c in COLUMNS], show="headings", height=8, selectmode="none"
        )
        for key, heading, width in COLUMNS:
            tree.heading(key, text=heading, anchor="w")
            tree.column(key, width=px(width), anchor="w", stretch=False)
        tree.pack(fill="x", pady=(px(12), 0))

        def run() -> None:
            tree.delete(*tree.get_children())
            chosen = next(k for k, v in names.items() if v == kind.get())
            found = rows(app, chosen, hno.get().strip())
            if isinstance(found, str):
                dialogs.error(app, [found], then=hno.focus_set)
                return
            for row in found:
                tree.insert("", "end", values=row)
            app.publish()

        go.configure(command=run)
        hno.bind("<Return>", lambda _e: run())
        back = ttk.Button(frame, text="戻る", width=8, command=lambda: menu(app))
        back.pack(side="bottom", anchor="e")
        for key, widget in (
            ("inquiry_procedure", kind),
            ("inquiry_hno", hno),
            ("inquire", go),
            ("results", tree),
            ("back", back),
        ):
            app.name(key, widget)
        app.focus_first(hno)

    proc = PROCEDURES[procedure]
    app.show("inquiry", f"申請照会（{proc.short}）", proc.inquiry_id, build)
