"""Log-in state, session time-out and CSRF protection of the mock core system.

Real core systems time a clerk out after a while and refuse forged or replayed posts; the
bot has to cope with both, so the mock does them for real (in a few lines, without extra
libraries). Session keys: ``user_id``, ``display_name``, ``last_seen`` (epoch seconds) and
``csrf_token``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

# Endpoints anyone may reach (no log-in, no time-out check).
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "healthz", "static"})


def csrf_token() -> str:
    """The session's CSRF token, created on first use (rendered into every POST form)."""
    token = session.get("csrf_token")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf_token"] = token
    return token


def csrf_ok() -> bool:
    """Whether the posted ``csrf_token`` equals the session's (constant-time compare)."""
    expected = session.get("csrf_token")
    sent = request.form.get("csrf_token", "")
    return isinstance(expected, str) and hmac.compare_digest(expected, sent)


def safe_next(target: str | None) -> str | None:
    """Accept only a local path for ``next`` so the login page is no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _current_path() -> str | None:
    """Where to come back to after logging in: only GET pages can be reopened."""
    if request.method != "GET":
        return None
    return request.full_path.rstrip("?") if request.query_string else request.path


def _to_login(expired: bool) -> Response:
    args: dict[str, str] = {}
    if expired:
        args["expired"] = "1"
    nxt = _current_path()
    if nxt:
        args["next"] = nxt
    query = f"?{urlencode(args)}" if args else ""
    return redirect(url_for("auth.login") + query)


def guard() -> Response | None:
    """``before_request`` hook: time-out, log-in and CSRF checks, in that order.

    The time-out is checked first so that a post from a stale page leads back to the login
    screen (with the notice) rather than to a bare 400; such a post is never stored.
    Unknown URLs are left alone so they give 404 (the testing endpoints must 404 when
    testing is off, logged in or not).
    """
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint.startswith("testing."):
        return None
    now = time.time()
    if "user_id" in session:
        last_seen = session.get("last_seen")
        timeout = int(current_app.config["SESSION_TIMEOUT"])
        if not isinstance(last_seen, int | float) or now - last_seen > timeout:
            session.clear()
            if endpoint not in PUBLIC_ENDPOINTS:
                return _to_login(expired=True)
        else:
            session["last_seen"] = now
    if endpoint not in PUBLIC_ENDPOINTS and "user_id" not in session:
        return _to_login(expired=False)
    if request.method == "POST" and not csrf_ok():
        abort(400, description="不正なリクエストです。画面を開き直してください。")
    return None


def log_in(user_id: str, display_name: str) -> None:
    """Start a fresh session for the clerk (a new CSRF token: no session fixation)."""
    session.clear()
    session["user_id"] = user_id
    session["display_name"] = display_name
    session["last_seen"] = time.time()
    csrf_token()


def install(app: Flask) -> None:
    """Wire the guard and the template helper into the app."""
    app.before_request(guard)
    app.jinja_env.globals["csrf_token"] = csrf_token
