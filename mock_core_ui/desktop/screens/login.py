"""ログイン (KDS000) and メニュー (KDS010)."""

from __future__ import annotations

import hmac
from functools import partial
from tkinter import ttk

from .. import dialogs
from ..app import App
from ..forms import PROCEDURES

BAD_LOGIN = "利用者IDまたはパスワードが正しくありません。"
NO_USER = "利用者IDを入力してください。"


def _same(typed: str, expected: str) -> bool:
    """Compared in constant time (as bytes: compare_digest refuses non-ASCII text)."""
    return hmac.compare_digest(typed.encode(), expected.encode())


def login(app: App) -> None:
    """利用者ID and パスワード; Enter in either field is ログイン."""

    def build(frame: ttk.Frame) -> None:
        px = app.look.px
        box = ttk.LabelFrame(frame, text="ログイン", padding=px(24))
        box.place(relx=0.5, rely=0.42, anchor="center")
        app.name("box", box)
        ttk.Label(box, text="利用者ID").grid(row=0, column=0, sticky="w", pady=px(6))
        user = ttk.Entry(box, width=20)
        user.grid(row=0, column=1, padx=(px(12), 0), pady=px(6))
        ttk.Label(box, text="パスワード").grid(row=1, column=0, sticky="w", pady=px(6))
        password = ttk.Entry(box, width=20, show="●")
        password.grid(row=1, column=1, padx=(px(12), 0), pady=px(6))
        buttons = ttk.Frame(box)
        buttons.grid(row=2, column=0, columnspan=2, pady=(px(18), 0))
        ok = ttk.Button(buttons, text="ログイン", width=10)
        ok.pack(side="left", padx=px(6))
        end = ttk.Button(buttons, text="終了", width=10, command=app.root.destroy)
        end.pack(side="left", padx=px(6))

        def attempt() -> None:
            user_id = user.get().strip()
            if not user_id:
                dialogs.error(app, [NO_USER], then=user.focus_set)
                return
            good = _same(user_id, app.options.user) & _same(password.get(), app.options.password)
            if not good:
                password.delete(0, "end")
                dialogs.error(app, [BAD_LOGIN], then=password.focus_set)
                return
            app.session.user = user_id
            app.logged_in()
            menu(app)

        ok.configure(command=attempt)
        for field in (user, password):
            field.bind("<Return>", lambda _e: attempt())
        for key, widget in (("user", user), ("password", password), ("login", ok), ("quit", end)):
            app.name(key, widget)
        app.focus_first(user)

    app.session.user = ""
    app.show("login", "ログイン", "KDS000", build)


def menu(app: App) -> None:
    """A 入力 and a 照会 button per procedure, then ログアウト and 終了."""
    from .inquiry import inquiry
    from .search import search

    def build(frame: ttk.Frame) -> None:
        px = app.look.px
        group = ttk.LabelFrame(frame, text="資格管理", padding=px(16))
        group.pack(anchor="nw", fill="x")
        first: ttk.Button | None = None
        for row, proc in enumerate(PROCEDURES.values()):
            ttk.Label(group, text=proc.spec.title.replace(" 入力", "")).grid(
                row=row, column=0, sticky="w", pady=px(6), padx=(0, px(16))
            )
            entry = ttk.Button(group, text="入力", width=8, command=partial(search, app, proc.key))
            entry.grid(row=row, column=1, padx=px(6), pady=px(6))
            look_up = ttk.Button(
                group, text="照会", width=8, command=partial(inquiry, app, proc.key)
            )
            look_up.grid(row=row, column=2, padx=px(6), pady=px(6))
            app.name(f"menu_{proc.key}", entry)
            app.name(f"menu_{proc.key}_inquiry", look_up)
            first = first or entry
        bottom = ttk.Frame(frame)
        bottom.pack(side="bottom", anchor="se")
        logout = ttk.Button(bottom, text="ログアウト", width=10, command=lambda: login(app))
        logout.pack(side="left", padx=px(6))
        end = ttk.Button(bottom, text="終了", width=10, command=app.root.destroy)
        end.pack(side="left", padx=px(6))
        app.name("logout", logout)
        app.name("quit", end)
        if first is not None:
            app.focus_first(first)

    app.session.procedure = ""
    app.session.person = None
    app.show("menu", "業務メニュー", "KDS010", build)
