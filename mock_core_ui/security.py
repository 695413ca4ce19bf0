"""Log-in state, session time-out and CSRF protection of the mock core system.

Real core systems time a clerk out after a while and refuse forged or replayed posts; the
bot has to cope with both, so the mock does them for real (in a few lines, without extra
libraries). Session keys: ``user_id``, ``display_name``, ``last_seen`` (epoch seconds),
``requests`` (requests made since log-in) and ``csrf_token``.

The ``session_expiry_after`` fault (faults.py) ends a session after N requests exactly as
the idle time-out does. JSON API requests (under ``faults.API_PREFIXES``) get a 401 JSON
answer instead of a redirect to the login screen, and may send the CSRF token in an
``X-CSRF-Token`` header instead of a form field.
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, current_app, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from .faults import faults, is_api_request, runtime

# Endpoints anyone may reach (no log-in, no time-out check).
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "healthz", "static"})
# Endpoint prefixes the guard leaves alone entirely (operator and test tools).
UNGUARDED_PREFIXES = ("testing.", "faults_admin.")
EXPIRED_MESSAGE = "セッションの有効期限が切れました。再度ログインしてください。"
LOGIN_MESSAGE = "ログインしてください。"


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
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
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
    """Redirect to the login screen (``expired=1`` shows the notice); 401 JSON for an API."""
    if is_api_request():
        login_url = url_for("auth.login", expired="1") if expired else url_for("auth.login")
        response = jsonify(
            {
                "error": "session_expired" if expired else "login_required",
                "message": EXPIRED_MESSAGE if expired else LOGIN_MESSAGE,
                "login_url": login_url,
            }
        )
        response.status_code = 401
        return response
    args: dict[str, str] = {}
    if expired:
        args["expired"] = "1"
    nxt = _current_path()
    if nxt:
        args["next"] = nxt
    query = f"?{urlencode(args)}" if args else ""
    return redirect(url_for("auth.login") + query)


def _session_ended(now: float) -> bool:
    """Whether the logged-in session has ended: idle too long, or too many requests.

    Otherwise the session is kept alive: ``last_seen`` refreshed, ``requests`` counted.
    """
    last_seen = session.get("last_seen")
    timeout = int(current_app.config["SESSION_TIMEOUT"])
    if not isinstance(last_seen, int | float) or now - last_seen > timeout:
        return True
    count = session.get("requests", 0)
    count = count + 1 if isinstance(count, int) else 1
    limit = faults().session_expiry_after
    if limit and count > limit:
        runtime().count("session_expiry")
        return True
    session["last_seen"] = now
    session["requests"] = count
    return False


def guard() -> Response | None:
    """``before_request`` hook: time-out, log-in and CSRF checks, in that order.

    The time-out (idle, or after ``session_expiry_after`` requests) is checked first so
    that a post from a stale page leads back to the login screen (with the notice) rather
    than to a bare 400; such a post is never stored. Unknown URLs are left alone so they
    give 404 (the testing endpoints must 404 when testing is off, logged in or not).
    Static files, ``/_testing`` and ``/_admin`` are neither guarded nor counted.
    """
    endpoint = request.endpoint
    if (
        endpoint is None
        or endpoint == "static"
        or endpoint.endswith(".static")
        or endpoint.startswith(UNGUARDED_PREFIXES)
    ):
        return None
    if "user_id" in session and _session_ended(time.time()):
        session.clear()
        if endpoint not in PUBLIC_ENDPOINTS:
            return _to_login(expired=True)
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
    session["requests"] = 0
    csrf_token()


def install(app: Flask) -> None:
    """Wire the guard and the template helper into the app."""
    app.before_request(guard)
    app.jinja_env.globals["csrf_token"] = csrf_token
