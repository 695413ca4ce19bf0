"""The console's Flask application: one factory, the pages registered as blueprints.

Security that holds for every page is set here once: CSRF tokens on every form and on
the scripts' POSTs (Flask-WTF), the session cookie HttpOnly and SameSite, a Content
Security Policy that allows only this console's own files (no CDN: the municipal
network is closed, and no inline script can run), no caching of pages that show
personal data, and error pages in Japanese that never show a traceback.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from loguru import logger
from werkzeug.exceptions import HTTPException

from bots.audit.keys import key_dir
from bots.audit.report import procedure_display
from bots.config import Settings, ja_date, ja_time
from bots.console.accounts import LoginPolicy
from bots.console.roles import ROLE_LABELS, allowed
from bots.console.web import Installation
from bots.contracts import STATUS_LABELS, Status
from bots.masking import scrub_text

SECRET_FILE = "console-secret"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class ConsoleFlask(Flask):
    """Flask whose unhandled errors are logged masked, through loguru, without locals."""

    def log_exception(self, exc_info: Any) -> None:
        _, exc, _ = exc_info
        logger.opt(exception=exc).error(
            "コンソールの処理でエラー: {} {}", request.method, request.path
        )


def _secret_key(directory: Path) -> bytes:
    """The key that signs session cookies: made once, readable by the service account only."""
    path = directory / SECRET_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def create_app(
    settings: Settings, policy: LoginPolicy | None = None, *, secure_cookies: bool = False
) -> Flask:
    """The console for one installation (``settings``); ``secure_cookies`` when served
    behind HTTPS (a reverse proxy on the LAN)."""
    app = ConsoleFlask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(key_dir()),
        SESSION_COOKIE_NAME="renkei_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # as long as the session: the server ends idle sessions
        WTF_CSRF_SSL_STRICT=secure_cookies,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.extensions["renkei"] = Installation(settings, policy or LoginPolicy())
    CSRFProtect(app)
    _register(app)
    _templates(app)
    return app


def _register(app: Flask) -> None:
    from bots.console import auth
    from bots.console.views import BLUEPRINTS

    app.before_request(auth.guard)
    app.register_blueprint(auth.bp)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        message = (
            "フォームの確認用の情報がないか、古くなっています。"
            "ページを開き直してから、もう一度操作してください（何も変更していません）"
        )
        return render_template(
            "error.html", title="操作を受け付けませんでした", message=message
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        titles = {
            404: "ページがありません",
            405: "この操作はできません",
            413: "ファイルが大きすぎます",
        }
        code = exc.code or 500
        title = titles.get(code, "要求を処理できませんでした")
        return render_template(
            "error.html", title=title, message=scrub_text(exc.description or "")
        ), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        logger.opt(exception=exc).error(
            "コンソールの処理でエラー: {} {}", request.method, request.path
        )
        message = (
            "予期しないエラーのため処理できませんでした（何も変更していない場合があります）。"
            "情報政策の担当者に、この時刻をお伝えください: " + ja_time(datetime.now())
        )
        return render_template("error.html", title="エラー", message=message), 500


def _templates(app: Flask) -> None:
    app.jinja_env.filters["ja_time"] = ja_time
    app.jinja_env.filters["ja_date"] = ja_date
    app.jinja_env.filters["status_label"] = lambda v: STATUS_LABELS.get(Status(v), v) if v else "—"
    app.jinja_env.globals.update(
        role_labels=ROLE_LABELS,
        allowed=allowed,
        procedure_display=procedure_display,
    )
