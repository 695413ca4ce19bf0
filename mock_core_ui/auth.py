"""ログイン / ログアウト screens."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from .security import log_in, safe_next
from .services import store

bp = Blueprint("auth", __name__)

BAD_LOGIN = "職員IDまたはパスワードが正しくありません。"
EXPIRED_NOTICE = "セッションの有効期限が切れました。再度ログインしてください。"


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Show the login form; on a good id/password go to ``next`` (local only) or the menu."""
    errors: list[str] = []
    user_id = ""
    nxt = request.values.get("next", "")
    if request.method == "POST":
        user_id = request.form.get("user_id", "").strip()
        password = request.form.get("password", "")
        display_name = store().authenticate(user_id, password) if user_id else None
        if display_name is not None:
            log_in(user_id, display_name)
            return redirect(safe_next(nxt) or url_for("views.menu"), code=303)
        errors.append(BAD_LOGIN)
    notice = EXPIRED_NOTICE if request.args.get("expired") == "1" else None
    return render_template(
        "login.html", errors=errors, notice=notice, user_id=user_id, next=safe_next(nxt) or ""
    )


@bp.route("/logout")
def logout() -> Response:
    """End the session and go back to the login screen."""
    session.clear()
    return redirect(url_for("auth.login"))
