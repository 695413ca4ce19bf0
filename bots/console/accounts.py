"""The console's accounts and sign-ins: one implementation for the console and the CLI.

Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed when those change);
a wrong password counts against the account and ``LoginPolicy.lock_after`` of them in a
row lock it for ``lock_minutes`` (an administrator may unlock sooner). A signed-in browser
holds a random token whose hash is a row of ``console_sessions``: idle longer than
``idle_minutes``, older than ``max_hours``, signed out, or its account disabled or
locked, and the row is ended — the cookie is then worth nothing.

Every change and every sign-in, good or refused, is a line of the staff actions' audit
log (``review.jsonl``) with the person, written in the same transaction as the change. A
name that matches no account is not written there: people type passwords into the name
field, and the audit log must not keep them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bots.audit.anchors import session_anchor
from bots.clock import utcnow
from bots.config import int_setting, ja_time
from bots.console.roles import Role
from bots.contracts import AuditEvent
from bots.errors import RenkeiError
from bots.queue.db import Database
from bots.queue.schema import ConsoleSessionRow, ConsoleUserRow
from bots.review import record

_HASHER = PasswordHasher()
#: Verified when the name is unknown, so a refusal takes as long either way.
_DUMMY_HASH = _HASHER.hash("renkei-no-such-account")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
#: last_seen is written at most this often: a page with live progress polls every few
#: seconds, and the idle limit is minutes.
TOUCH_EVERY = timedelta(seconds=30)

REFUSED = "ユーザー名またはパスワードが違います"


class AccountError(RenkeiError):
    """An account action is not possible; the text says why, for the person doing it."""


class LoginRefused(RenkeiError):
    """A sign-in refused: wrong name or password, locked or disabled (the text says which
    the person may know)."""


@dataclass(frozen=True)
class LoginPolicy:
    """How sign-ins are limited; each from its ``RENKEI_CONSOLE_*`` setting."""

    lock_after: int = 5
    lock_minutes: int = 15
    idle_minutes: int = 30
    max_hours: int = 10

    @classmethod
    def from_environment(cls) -> LoginPolicy:
        return cls(
            lock_after=int_setting("RENKEI_CONSOLE_LOCK_AFTER", 5, 1),
            lock_minutes=int_setting("RENKEI_CONSOLE_LOCK_MIN", 15, 1),
            idle_minutes=int_setting("RENKEI_CONSOLE_IDLE_MIN", 30, 1),
            max_hours=int_setting("RENKEI_CONSOLE_MAX_HOURS", 10, 1),
        )


@dataclass(frozen=True)
class User:
    name: str
    display_name: str
    role: Role
    #: the password was set by someone else (an administrator): the person must choose
    #: their own before anything else
    must_change: bool = False


@dataclass(frozen=True)
class Account:
    """An account as the administrator's list shows it."""

    name: str
    display_name: str
    role: Role
    disabled: bool
    locked_until: datetime | None
    failed_logins: int
    last_login_at: datetime | None
    created_at: datetime
    created_by: str | None


def _user(row: ConsoleUserRow) -> User:
    return User(row.name, row.display_name or row.name, Role(row.role), bool(row.must_change))


def _audit(
    s: Session, audit_dir: Path, who: str, step: str, outcome: str, detail: str, **extra: Any
) -> None:
    record(
        audit_dir,
        who,
        AuditEvent(step=step, outcome=outcome, detail=detail, extra={"by": who, **extra}),
        anchor=session_anchor(s),
    )


def check_password(password: str, name: str) -> None:
    """The rules a new password must meet, as one message naming what is wrong."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは {MIN_PASSWORD} 文字以上にしてください")
    if password.casefold() == name.casefold() or name.casefold() in password.casefold():
        raise AccountError("パスワードにユーザー名を含めないでください")


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = "、".join(f"{r.value}（{r.label}）" for r in Role)
        raise AccountError(f"役割 '{role}' はありません: {names}") from None


def add_user(
    db: Database,
    audit_dir: Path,
    name: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    by: str,
    temporary: bool = False,
) -> User:
    """A new account; its name is kept for ever (the audit trail names it). A
    ``temporary`` password (one the administrator gives out) must be changed at sign-in."""
    if not NAME_PATTERN.match(name):
        raise AccountError(
            f"ユーザー名 '{name}' は使えません: 英数字と . _ - の 2〜64 文字で、英数字で始めてください"
        )
    the_role = _role(role)
    check_password(password, name)
    with db.session() as s:
        if s.get(ConsoleUserRow, name) is not None:
            raise AccountError(f"ユーザー {name} はすでにあります")
        now = utcnow()
        row = ConsoleUserRow(
            name=name,
            display_name=display_name or None,
            role=the_role.value,
            password_hash=_HASHER.hash(password),
            failed_logins=0,
            disabled=False,
            created_at=now,
            created_by=by,
            password_changed_at=now,
            must_change=temporary,
        )
        s.add(row)
        s.flush()
        _audit(
            s, audit_dir, by, "account_add", "ok", f"アカウント {name}（{the_role.label}）を作成",
            account=name, role=the_role.value,
        )  # fmt: skip
        return _user(row)


def _get(s: Session, name: str) -> ConsoleUserRow:
    row = s.get(ConsoleUserRow, name)
    if row is None:
        raise AccountError(f"ユーザー {name} はありません")
    return row


def set_password(
    db: Database,
    audit_dir: Path,
    name: str,
    password: str,
    *,
    by: str,
    current: str | None = None,
    keep_token: str | None = None,
    temporary: bool = False,
) -> None:
    """A new password (``current`` is checked when people change their own); unlocks.
    A ``temporary`` one (set by an administrator) must be changed at the next sign-in.

    Every other session of the account ends; ``keep_token`` (the changer's own browser)
    stays signed in.
    """
    check_password(password, name)
    with db.session() as s:
        row = _get(s, name)
        if current is not None and not _verify(row.password_hash, current):
            raise AccountError("現在のパスワードが違います")
        if current is not None and _verify(row.password_hash, password):
            raise AccountError("新しいパスワードは、いまのパスワードと違うものにしてください")
        row.password_hash = _HASHER.hash(password)
        row.password_changed_at = utcnow()
        row.must_change = temporary
        row.failed_logins, row.locked_until = 0, None
        _end_sessions(s, name, "password", keep=keep_token)
        _audit(
            s, audit_dir, by, "account_password", "ok", f"{name} のパスワードを変更", account=name
        )


def unlock(db: Database, audit_dir: Path, name: str, *, by: str) -> None:
    with db.session() as s:
        row = _get(s, name)
        row.failed_logins, row.locked_until = 0, None
        _audit(s, audit_dir, by, "account_unlock", "ok", f"{name} のロックを解除", account=name)


def set_disabled(db: Database, audit_dir: Path, name: str, disabled: bool, *, by: str) -> None:
    """Disable (every session of it ends) or enable again an account."""
    if disabled and name == by:
        raise AccountError("自分のアカウントは無効にできません")
    with db.session() as s:
        row = _get(s, name)
        row.disabled = disabled
        if disabled:
            _end_sessions(s, name, "disabled")
        step, what = ("account_disable", "無効に") if disabled else ("account_enable", "有効に")
        _audit(s, audit_dir, by, step, "ok", f"{name} を{what}しました", account=name)


def list_accounts(db: Database) -> list[Account]:
    with db.session() as s:
        rows = s.execute(select(ConsoleUserRow).order_by(ConsoleUserRow.name)).scalars()
        return [
            Account(
                r.name,
                r.display_name or r.name,
                Role(r.role),
                r.disabled,
                r.locked_until,
                r.failed_logins,
                r.last_login_at,
                r.created_at,
                r.created_by,
            )  # fmt: skip
            for r in rows
        ]


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    db: Database, audit_dir: Path, name: str, password: str, policy: LoginPolicy
) -> User:
    """The account if the password is right and it may sign in; else :class:`LoginRefused`.

    The refusal is committed and audited before it is raised (a locked account stays
    locked whatever the caller does with the error).
    """
    now = utcnow()
    with db.session() as s:
        row = s.get(ConsoleUserRow, name) if NAME_PATTERN.match(name) else None
        if row is None:
            _verify(_DUMMY_HASH, password)
            _audit(
                s, audit_dir, "（不明）", "console_login", "refused", "登録されていないユーザー名"
            )
            refusal = LoginRefused(REFUSED)
        elif row.locked_until is not None and row.locked_until > now:
            _audit(s, audit_dir, name, "console_login", "locked", "ロック中のため拒否")
            refusal = LoginRefused(_locked_text(row.locked_until))
        elif not _verify(row.password_hash, password):
            refusal = _wrong_password(s, audit_dir, row, policy, now)
        elif row.disabled:
            _audit(s, audit_dir, name, "console_login", "refused", "無効なアカウント")
            refusal = LoginRefused("このアカウントは無効です。管理者に連絡してください")
        else:
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
            row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
            _audit(s, audit_dir, name, "console_login", "ok", "ログイン")
            return _user(row)
    raise refusal


def _wrong_password(
    s: Session, audit_dir: Path, row: ConsoleUserRow, policy: LoginPolicy, now: datetime
) -> LoginRefused:
    row.failed_logins = (row.failed_logins or 0) + 1
    if row.failed_logins < policy.lock_after:
        _audit(
            s, audit_dir, row.name, "console_login", "refused",
            f"パスワードの誤り（{row.failed_logins} 回目）",
        )  # fmt: skip
        return LoginRefused(REFUSED)
    row.locked_until = now + timedelta(minutes=policy.lock_minutes)
    _end_sessions(s, row.name, "locked")
    _audit(
        s, audit_dir, row.name, "console_lock", "locked",
        f"パスワードを {row.failed_logins} 回続けて誤ったためロック（{policy.lock_minutes} 分）",
    )  # fmt: skip
    return LoginRefused(_locked_text(row.locked_until))


def _locked_text(until: datetime) -> str:
    return (
        f"パスワードを続けて誤ったため、アカウントをロックしました。{ja_time(until)} 以降に"
        "もう一度ログインするか、管理者にロックの解除を依頼してください"
    )


# --- sessions --------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Database, user: User) -> str:
    """A new session of ``user``; returns the token for the cookie (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as s:
        s.add(
            ConsoleSessionRow(
                token_hash=_digest(token), user=user.name, created_at=now, last_seen=now
            )
        )
    return token


@dataclass(frozen=True)
class SessionState:
    user: User | None
    ended: str | None = None  # why it ended: timeout, logout, locked, disabled, password …


def touch_session(db: Database, audit_dir: Path, token: str, policy: LoginPolicy) -> SessionState:
    """The user of a live session (its last_seen moved on), or why there is none."""
    now = utcnow()
    with db.session() as s:
        row = s.get(ConsoleSessionRow, _digest(token))
        if row is None:
            return SessionState(None, "unknown")
        if row.ended_at is not None:
            return SessionState(None, row.ended_why or "ended")
        account = s.get(ConsoleUserRow, row.user)
        why = _why_ended(row, account, policy, now)
        if why is not None:
            row.ended_at, row.ended_why = now, why
            if why == "timeout":
                _audit(
                    s,
                    audit_dir,
                    row.user,
                    "console_logout",
                    "timeout",
                    "一定時間操作がないためログアウト",
                )
            return SessionState(None, why)
        assert account is not None
        if now - row.last_seen >= TOUCH_EVERY:
            row.last_seen = now
        return SessionState(_user(account))


def _why_ended(
    row: ConsoleSessionRow, account: ConsoleUserRow | None, policy: LoginPolicy, now: datetime
) -> str | None:
    if account is None or account.disabled:
        return "disabled"
    if account.locked_until is not None and account.locked_until > now:
        return "locked"
    if now - row.last_seen > timedelta(minutes=policy.idle_minutes):
        return "timeout"
    if now - row.created_at > timedelta(hours=policy.max_hours):
        return "timeout"
    return None


def close_session(db: Database, audit_dir: Path, token: str) -> None:
    """Sign out: the session's row is ended (audited once)."""
    with db.session() as s:
        row = s.get(ConsoleSessionRow, _digest(token))
        if row is None or row.ended_at is not None:
            return
        row.ended_at, row.ended_why = utcnow(), "logout"
        _audit(s, audit_dir, row.user, "console_logout", "ok", "ログアウト")


def _end_sessions(s: Session, name: str, why: str, keep: str | None = None) -> None:
    """End every live session of ``name`` (a password change, a lock, a disabled account),
    except the one whose token is ``keep``."""
    q = update(ConsoleSessionRow).where(
        ConsoleSessionRow.user == name, ConsoleSessionRow.ended_at.is_(None)
    )
    if keep is not None:
        q = q.where(ConsoleSessionRow.token_hash != _digest(keep))
    s.execute(q.values(ended_at=utcnow(), ended_why=why))
