"""Signing in and out, changing one's own password, and the guard before every view.

The guard (:func:`guard`) runs before each request: it ends a session that has been idle
too long (server-side, see :mod:`bots.console.accounts`), then checks the route's action
against :mod:`bots.console.roles`. A refused action is answered 403 with the reason and
written to the audit log with the person: an auditor sees attempts, not only deeds.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from bots.audit.anchors import session_anchor
from bots.console import accounts
from bots.console.roles import ACTIONS, allowed
from bots.console.web import action, done, failed, installation, user
from bots.contracts import AuditEvent
from bots.errors import RenkeiError
from bots.review import record

bp = Blueprint("auth", __name__)

#: Endpoints anyone may reach without signing in.
PUBLIC = frozenset({"auth.login", "static"})
READING = frozenset({"GET", "HEAD", "OPTIONS"})

ENDED = {
    "timeout": "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください",
    "locked": "アカウントがロックされたため、ログアウトしました",
    "disabled": "アカウントが無効になったため、ログアウトしました",
    "password": "パスワードが変更されたため、ログアウトしました。新しいパスワードでログインしてください",
}


def guard() -> BaseResponse | tuple[Response, int] | tuple[str, int] | None:
    """Who is asking, and may they do this? (``before_request`` of the whole app)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC:
        return None  # 404s and the log-in page
    inst = installation()
    token = session.get("token")
    state = (
        accounts.touch_session(inst.db, inst.audit_dir, token, inst.policy)
        if isinstance(token, str)
        else accounts.SessionState(None, None)
    )
    if state.user is None:
        session.clear()
        message = ENDED.get(state.ended or "", "ログインしてください")
        if request.path.startswith("/api/"):
            return jsonify(error=message), 401
        failed(message)
        target = request.full_path.rstrip("?") if request.method in READING else None
        return redirect(url_for("auth.login", next=target))
    g.user = state.user
    if state.user.must_change and endpoint not in ("auth.password", "auth.logout"):
        failed(
            "管理者が設定した仮のパスワードです。使い始める前に、自分のパスワードに変更してください"
        )
        return redirect(url_for("auth.password"))
    view = current_app.view_functions[endpoint]
    name: str | None = getattr(view, "_renkei_action", None)
    if request.method in READING and not getattr(view, "_renkei_also_get", False):
        name = "view"
    if name is not None and allowed(state.user.role, name):
        return None
    return _refuse(name)


def _refuse(name: str | None) -> tuple[str, int]:
    """403 with the reason, and a line in the audit log naming the person and the route."""
    inst, person = installation(), user()
    label = ACTIONS[name].label if name in ACTIONS else "この操作"
    with inst.db.session() as s:
        record(
            inst.audit_dir,
            person.name,
            AuditEvent(
                step="console_refused",
                outcome="refused",
                detail=f"{request.method} {request.path}: {label}",
                extra={"by": person.name, "role": person.role.value},
            ),
            anchor=session_anchor(s),
        )
    why = f"{person.role.label}の権限では「{label}」はできません"
    return render_template("error.html", title="権限がありません", message=why), 403


def _safe_next(target: str | None) -> str:
    """Only a path of this console (never another site) after signing in."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    inst = installation()
    name = (request.form.get("name") or "").strip()
    password = request.form.get("password") or ""
    try:
        signed_in = accounts.authenticate(inst.db, inst.audit_dir, name, password, inst.policy)
    except accounts.LoginRefused as exc:
        failed(str(exc))
        return render_template("login.html", next=request.form.get("next", ""), name=name)
    session.clear()  # a new session id on sign-in: nothing of before carries over
    session["token"] = accounts.open_session(inst.db, signed_in)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
@action("view")
def logout() -> BaseResponse:
    token = session.get("token")
    if isinstance(token, str):
        inst = installation()
        accounts.close_session(inst.db, inst.audit_dir, token)
    session.clear()
    done("ログアウトしました")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@action("own_password")
def password() -> BaseResponse | str:
    if request.method == "GET":
        return render_template("password.html")
    inst, person = installation(), user()
    new = request.form.get("new") or ""
    if new != (request.form.get("again") or ""):
        failed("新しいパスワードが 2 回の入力で一致しません")
        return render_template("password.html")
    try:
        accounts.set_password(
            inst.db,
            inst.audit_dir,
            person.name,
            new,
            by=person.name,
            current=request.form.get("current") or "",
            keep_token=session.get("token"),
        )
    except RenkeiError as exc:
        failed(str(exc))
        return render_template("password.html")
    done("パスワードを変更しました")
    return redirect(url_for("home.index"))
