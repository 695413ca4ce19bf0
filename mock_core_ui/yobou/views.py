"""The screens of the 健康管理システム（予防接種）: a WSGI app of its own, mounted at ``/yobou``.

Another vendor's product on the same server: it shares neither the 子育て log-in nor its
session (an intranet terminal of the 保健センター opens it directly), so it is a Flask app
of its own behind a :class:`~werkzeug.middleware.dispatcher.DispatcherMiddleware` rather
than a blueprint under the app-wide log-in guard. It does share the operator's faults
(latency, maintenance, register 500s, お知らせ) by using the main app's fault settings and
runtime, so ``/_admin/faults`` acts on it as on every other subsystem.

Flow (``docs/mock-core-yobou.md``): 入力 → 確認 (values carried in hidden fields) → 登録,
which stores the record and answers 303 to a blank 入力 screen with 「登録しました。」.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from .. import faults
from ..services import STORE_KEY
from . import codes
from .store import YobouStore
from .validation import LABELS, posted_values, validate

PREFIX = "/yobou"
SUBSYSTEM = "yobou"
YOBOU_STORE_KEY = "mock_core_yobou_store"
SYSTEM_NAME = "健康管理システム"
TERMINAL = "保健センター 端末01"
REGISTERED = "登録しました。"
SYSTEM_ERROR = "システムエラーが発生しました。しばらくしてから再度登録してください。"
ERROR_TEXT = {
    404: "指定された画面はありません。",
    405: "この操作はできません。メニューから操作し直してください。",
}


#: The options of every select of the 入力 screen: (value, label) in screen order.
OPTIONS: dict[str, list[tuple[str, str]]] = {
    "sex": [(code, f"{code}：{label}") for code, label in codes.SEXES.items()],
    "era": list(codes.ERAS.items()),
    "year": [(str(y), codes.year_label(y)) for y in range(1, codes.MAX_ERA_YEAR + 1)],
    "month": [(str(m), str(m)) for m in range(1, 13)],
    "day": [(str(d), str(d)) for d in range(1, 32)],
    "vaccine": [(v.code, f"{v.code}：{v.label}") for v in codes.VACCINES],
    "category": [(code, f"{code}：{label}") for code, label in codes.CATEGORIES.items()],
}


def mount(app: Flask) -> Flask:
    """Build the product's app and serve it under ``/yobou`` of ``app`` (returns it).

    Call after ``faults.install(app)``: the faults of ``app`` are shared, not copied.
    """
    sub = Flask(__name__, static_url_path="/static")
    sub.config["MOCK_CORE_TESTING"] = bool(app.config.get("MOCK_CORE_TESTING"))
    yobou_store = YobouStore(app.extensions[STORE_KEY])
    yobou_store.create_schema()
    sub.extensions[YOBOU_STORE_KEY] = yobou_store
    faults.install(sub)
    sub.extensions[faults.FAULTS_KEY] = app.extensions[faults.FAULTS_KEY]
    sub.extensions[faults.RUNTIME_KEY] = app.extensions[faults.RUNTIME_KEY]
    sub.jinja_env.globals.update(
        system_name=SYSTEM_NAME, terminal=TERMINAL, codes=codes, options=OPTIONS
    )
    _routes(sub)
    if sub.config["MOCK_CORE_TESTING"]:
        _testing_routes(sub)
    sub.register_error_handler(HTTPException, _http_error)
    sub.after_request(_no_store)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {PREFIX: sub})  # type: ignore[method-assign]
    return sub


def yobou_store() -> YobouStore:
    """The product's store (``current_app`` is the mounted app)."""
    return cast(YobouStore, current_app.extensions[YOBOU_STORE_KEY])


def _http_error(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 500
    custom = exc.description if exc.description != type(exc).description else None
    text = custom or ERROR_TEXT.get(code, "エラーが発生しました。")
    return render_template("error.html", message=text), code


def _no_store(response: Response) -> Response:
    """Screens hold personal data: keep them out of caches."""
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _entry(
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    error_fields: set[str] | None = None,
    message: str | None = None,
) -> str:
    return render_template(
        "entry.html",
        values=values or posted_values({}),
        errors=errors or [],
        error_fields=error_fields or set(),
        message=message,
        labels=LABELS,
    )


def menu() -> str:
    """YBM000 業務メニュー: the page the terminal opens (no log-in)."""
    return render_template("menu.html", today=dt.date.today())


def entry_form() -> str:
    """YBS0110 接種記録入力: blank (after 登録 with the message), or refilled by 修正."""
    if request.method == "POST":
        return _entry(posted_values(request.form))
    message = REGISTERED if request.args.get("kanryo") == "1" else None
    return _entry(message=message)


def confirm() -> str:
    """YBS0120 接種記録確認: every value shown, with code and label; errors go back to 入力."""
    values = posted_values(request.form)
    item, problems = validate(values)
    if item is None:
        return _entry(values, problems.messages, problems.fields)
    return render_template("confirm.html", values=values, item=item, labels=LABELS)


def register() -> Response | tuple[str, int]:
    """登録: checked again (the hidden fields may be altered), stored, then a blank 入力."""
    if faults.register_should_fail(SUBSYSTEM):
        return render_template("error.html", message=SYSTEM_ERROR), 500
    values = posted_values(request.form)
    item, problems = validate(values)
    if item is None:
        return _entry(values, problems.messages, problems.fields), 200
    yobou_store().insert(item)
    return redirect(url_for("entry_form", kanryo="1"), code=303)


def _routes(sub: Flask) -> None:
    sub.add_url_rule("/", "menu", menu, methods=["GET"])
    sub.add_url_rule("/kiroku/nyuryoku", "entry_form", entry_form, methods=["GET", "POST"])
    sub.add_url_rule("/kiroku/kakunin", "confirm", confirm, methods=["POST"])
    sub.add_url_rule("/kiroku/touroku", "register", register, methods=["POST"])


def _testing_routes(sub: Flask) -> None:
    """``GET /yobou/_testing/records`` and ``POST /yobou/_testing/reset`` (testing only)."""

    def records() -> Response:
        """Every record with all its values (codes as keyed, dates ISO), in order."""
        return jsonify(yobou_store().all_records())

    def reset() -> Response:
        """Delete every record."""
        return jsonify({"deleted": yobou_store().reset()})

    sub.add_url_rule("/_testing/records", "testing_records", records, methods=["GET"])
    sub.add_url_rule("/_testing/reset", "testing_reset", reset, methods=["POST"])
