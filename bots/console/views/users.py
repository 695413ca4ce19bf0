"""アカウント: the administrator's page of console accounts (the same service as
``renkei console user …``; the first 管理者 is made there)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bots.clock import utcnow
from bots.console import accounts
from bots.console.roles import Role
from bots.console.web import action, done, failed, installation, who
from bots.errors import RenkeiError

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.route("/")
@action("accounts", also_get=True)
def index() -> str:
    return render_template(
        "users/index.html",
        title="アカウント",
        accounts=accounts.list_accounts(installation().db),
        roles=list(Role),
        now=utcnow(),
        minimum=accounts.MIN_PASSWORD,
    )


def _back(outcome: str | None = None, error: str | None = None) -> Response:
    if outcome:
        done(outcome)
    if error:
        failed(error)
    return redirect(url_for("users.index"))


@bp.route("/", methods=["POST"])
@action("accounts")
def add() -> Response:
    form, inst = request.form, installation()
    try:
        made = accounts.add_user(
            inst.db, inst.audit_dir, (form.get("name") or "").strip(), form.get("role") or "",
            form.get("password") or "", display_name=(form.get("display_name") or "").strip(),
            by=who(), temporary=True,
        )  # fmt: skip
    except RenkeiError as exc:
        return _back(error=str(exc))
    return _back(f"アカウント {made.name}（{made.role.label}）を作成しました")


@bp.route("/<name>/password", methods=["POST"])
@action("accounts")
def password(name: str) -> Response:
    inst = installation()
    try:
        accounts.set_password(
            inst.db,
            inst.audit_dir,
            name,
            request.form.get("password") or "",
            by=who(),
            temporary=True,
        )
    except RenkeiError as exc:
        return _back(error=str(exc))
    return _back(f"{name} のパスワードを設定し直しました（ロックも解除しました）")


@bp.route("/<name>/unlock", methods=["POST"])
@action("accounts")
def unlock(name: str) -> Response:
    inst = installation()
    try:
        accounts.unlock(inst.db, inst.audit_dir, name, by=who())
    except RenkeiError as exc:
        return _back(error=str(exc))
    return _back(f"{name} のロックを解除しました")


@bp.route("/<name>/disable", methods=["POST"])
@action("accounts")
def disable(name: str) -> Response:
    return _set_disabled(name, True)


@bp.route("/<name>/enable", methods=["POST"])
@action("accounts")
def enable(name: str) -> Response:
    return _set_disabled(name, False)


def _set_disabled(name: str, disabled: bool) -> Response:
    inst = installation()
    try:
        accounts.set_disabled(inst.db, inst.audit_dir, name, disabled, by=who())
    except RenkeiError as exc:
        return _back(error=str(exc))
    return _back(f"{name} を{'無効' if disabled else '有効'}にしました")
