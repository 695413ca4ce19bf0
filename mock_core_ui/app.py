"""Application factory of the mock core system (児童手当, another vendor's product)."""

from __future__ import annotations

import secrets

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import auth, faults, faults_admin, security, testing_api, views
from .boshi import bp as boshi_bp
from .db import open_engine
from .forms import mount as mount_forms
from .kaigo import bp as kaigo_bp
from .layouts import KosodateLayout, kosodate_layout
from .services import STORE_KEY
from .store import Store
from .validation import ACCOUNT_TYPES, COHABITATIONS, MAX_CHILDREN, RELATIONS
from .wareki import ERA_NAMES, to_wareki
from .yobou import mount as mount_yobou

ERROR_TEXT = {
    400: "不正なリクエストです。",
    404: "指定された画面またはデータはありません。",
    405: "この操作はできません。",
}


def create_app(
    db_path: str,
    *,
    testing: bool = False,
    session_timeout: int = 900,
    secret_key: str | None = None,
    fault_settings: faults.FaultSettings | None = None,
    admin: bool = False,
) -> Flask:
    """Build the app on its own SQLite file (created with tables and clerks if missing).

    Without a ``secret_key`` a random one is made, so a restart logs every clerk out, as
    many real systems do. ``testing`` adds the ``/_testing`` endpoints; ``admin`` or
    ``testing`` adds the operator's ``/_admin/faults`` endpoint. ``fault_settings`` are the
    faults at start-up (all off by default; see docs/mock-core-faults.md).
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        SESSION_TIMEOUT=session_timeout,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        MOCK_CORE_TESTING=testing,
        MOCK_CORE_ADMIN=admin or testing,
    )
    app.extensions[STORE_KEY] = Store(open_engine(db_path))

    app.jinja_env.globals.update(
        era_names=ERA_NAMES,
        relations=RELATIONS,
        cohabitations=COHABITATIONS,
        account_types=ACCOUNT_TYPES,
        max_children=MAX_CHILDREN,
    )
    app.jinja_env.filters["wareki"] = to_wareki
    faults.install(app, fault_settings)  # its before-request hook goes first (maintenance)
    security.install(app)

    @app.context_processor
    def layout_context() -> dict[str, KosodateLayout]:
        """The 子育て layout variant to render (ids, labels, footer version)."""
        return {"kosodate_layout": kosodate_layout()}

    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(kaigo_bp)
    app.register_blueprint(boshi_bp)
    mount_forms(app)  # the procedures whose screens are data (forms/specs)
    if testing:
        app.register_blueprint(testing_api.bp)
    if admin or testing:
        app.register_blueprint(faults_admin.bp)
    # 健康管理システム（予防接種）: another vendor's app of its own at /yobou (no log-in)
    mount_yobou(app)

    @app.route("/healthz")
    def healthz() -> Response:
        """Liveness probe for start-up scripts and tests (no log-in needed)."""
        return Response("ok", mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        """Errors as a plain screen (``data-screen="error"``) the bot can recognise."""
        code = exc.code or 500
        # Our own abort() calls carry a Japanese description; werkzeug's defaults are English.
        custom = exc.description if exc.description != type(exc).description else None
        text = custom or ERROR_TEXT.get(code, "エラーが発生しました。")
        return render_template("error.html", errors=[text], code=code), code

    @app.after_request
    def no_store(response: Response) -> Response:
        """Screens hold personal data: keep them out of caches."""
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app
