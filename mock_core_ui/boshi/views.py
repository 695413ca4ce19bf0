"""The 母子保健 single-page app: the HTML shell and its JSON API.

Everything a clerk sees is drawn by ``static/boshi.js`` from the API below; the shell only
carries the CSRF token, the clerk's name and the layout variant. Log-in, session time-out
and the CSRF check of the form field are done by the app-wide guard (``security.py``);
the register API additionally insists on the ``X-CSRF-Token`` header itself. API answers
are JSON (errors too: ``{"errors": [message, ...]}``) and are slowed down by a small random
delay, as a busy vendor back end is, so the screen's spinner is really seen.
"""

from __future__ import annotations

import hmac
import random
import time
from typing import Any, cast

from flask import (
    Blueprint,
    current_app,
    jsonify,
    render_template,
    request,
    session,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .. import faults
from ..security import csrf_token
from ..services import STORE_KEY
from ..wareki import to_wareki
from . import testing
from .store import BoshiStore, PregnancySummary
from .validation import validate_pregnancy

bp = Blueprint(
    "boshi",
    __name__,
    url_prefix="/boshi",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

BOSHI_STORE_KEY = "mock_core_boshi_store"
SUBSYSTEM = "boshi"
API_PREFIX = "/boshi/api/"
DEFAULT_DELAY = (0.05, 0.3)  # seconds; app.config["BOSHI_API_DELAY"] overrides
KNOWN_VARIANTS = ("v2", "v3")

NO_RESIDENT = "該当する住民が見つかりません。"
NEED_ATENA = "宛名番号を入力してください。"
NEED_INQUIRY = "宛名番号または備考を入力してください。"
BAD_CSRF = "不正なリクエストです。画面を開き直してください。"
SYSTEM_ERROR = "システムエラーが発生しました。時間をおいて再度操作してください。"
# The app's error texts (app.py cannot be imported from here: it imports this package).
ERROR_TEXT = {
    400: "不正なリクエストです。",
    404: "指定された画面またはデータはありません。",
    405: "この操作はできません。",
}


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    """At registration: create the tables, and the testing endpoints when testing is on."""
    app = state.app
    boshi_store = BoshiStore(app.extensions[STORE_KEY])
    boshi_store.create_schema()
    app.extensions[BOSHI_STORE_KEY] = boshi_store
    if app.config.get("MOCK_CORE_TESTING"):
        testing.register(app, boshi_store_of)


def boshi_store_of() -> BoshiStore:
    """The app's :class:`BoshiStore`."""
    return cast(BoshiStore, current_app.extensions[BOSHI_STORE_KEY])


def variant() -> str:
    """The layout variant to draw: ``v1`` (normal), ``v2`` or ``v3``."""
    chosen = faults.layout_variant(SUBSYSTEM)
    return chosen if chosen in KNOWN_VARIANTS else "v1"


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def _errors(messages: list[str], status: int, **extra: Any) -> tuple[Response, int]:
    return jsonify({"errors": messages, **extra}), status


@bp.before_request
def _slow_api() -> None:
    """A random 50–300 ms pause before every API answer (the spinner must be seen)."""
    if _is_api():
        low, high = current_app.config.get("BOSHI_API_DELAY", DEFAULT_DELAY)
        if high > 0:
            time.sleep(random.uniform(low, high))


@bp.after_request
def _no_store(response: Response) -> Response:
    """API answers hold personal data too: keep them out of caches."""
    if _is_api():
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
    """JSON errors for the API (also for the guard's 400); the usual error screen otherwise."""
    code = exc.code or 500
    custom = exc.description if exc.description != type(exc).description else None
    text = custom or ERROR_TEXT.get(code, "エラーが発生しました。")
    if _is_api():
        return _errors([text], code)
    return render_template("error.html", errors=[text], code=code), code


# --- the shell ---


@bp.get("/")
def shell() -> str:
    """The near-empty page the script fills in."""
    return render_template(
        "boshi/shell.html",
        csrf=csrf_token(),
        variant=variant(),
        clerk=str(session.get("display_name", "")),
        clerk_id=str(session.get("user_id", "")),
    )


# --- the API ---


@bp.get("/api/residents")
def api_residents() -> Response | tuple[Response, int]:
    """住民検索 by 宛名番号 (exact): a list of zero or one resident."""
    atena_no = request.args.get("atena_no", "").strip()
    if not atena_no:
        return _errors([NEED_ATENA], 400)
    resident = boshi_store_of().get_resident(atena_no)
    found = [] if resident is None else [resident]
    if request.args.get("view") == "entry":  # the 届出 screen opens: the form is drawn now
        faults.form_served(SUBSYSTEM)
    return jsonify(
        {
            "residents": [
                {
                    "atena_no": r.atena_no,
                    "name": r.name,
                    "kana": r.kana,
                    "birth_date": r.birth_date.isoformat(),
                    "birth_wareki": to_wareki(r.birth_date),
                    "address": r.address,
                }
                for r in found
            ]
        }
    )


def _header_csrf_ok() -> bool:
    expected = session.get("csrf_token")
    sent = request.headers.get("X-CSRF-Token", "")
    return isinstance(expected, str) and hmac.compare_digest(expected, sent)


@bp.post("/api/pregnancies")
def api_register() -> tuple[Response, int]:
    """Register a 妊娠の届出: 201 with the 受付番号, or 400 with every problem (nothing kept).

    The script sends the layout it drew the form in (``X-Screen-Version``); a form drawn
    before a vendor update gets 409 and is not kept, nor is one a register fault hits (500).
    """
    if faults.form_is_stale(SUBSYSTEM, request.headers.get("X-Screen-Version"), variant()):
        return _errors([faults.STALE_FORM_TEXT], 409, error="screen_updated")
    if faults.register_should_fail(SUBSYSTEM):
        return _errors([SYSTEM_ERROR], 500)
    if not _header_csrf_ok():
        return _errors([BAD_CSRF], 400)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _errors(["不正なリクエストです。"], 400)
    atena_no = data.get("atena_no")
    resident = (
        boshi_store_of().get_resident(atena_no.strip()) if isinstance(atena_no, str) else None
    )
    if resident is None:
        return _errors([NO_RESIDENT], 404)
    item, problems = validate_pregnancy(data, variant())
    if item is None:
        return _errors(problems.messages, 400, field_errors=problems.by_field)
    receipt_no = boshi_store_of().insert(item, resident, str(session["user_id"]))
    return jsonify({"receipt_no": receipt_no}), 201


def _summary(row: PregnancySummary) -> dict[str, str]:
    return {
        "receipt_no": row.receipt_no,
        "atena_no": row.atena_no,
        "name": row.name,
        "notified_on": row.notified_on.isoformat(),
        "notified_wareki": to_wareki(row.notified_on),
        "due_date": row.due_date.isoformat(),
        "due_wareki": to_wareki(row.due_date),
        "remarks": row.remarks,
    }


@bp.get("/api/pregnancies")
def api_inquiry() -> Response | tuple[Response, int]:
    """妊娠届 照会: 宛名番号 exact and/or 備考 partial; both empty is refused (no full list)."""
    atena_no = request.args.get("atena_no", "").strip()
    remarks = request.args.get("remarks", "").strip()
    if not atena_no and not remarks:
        return _errors([NEED_INQUIRY], 400)
    rows = boshi_store_of().inquire(atena_no, remarks)
    return jsonify({"pregnancies": [_summary(r) for r in rows]})
