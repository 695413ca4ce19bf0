"""Testing endpoints (``--testing`` only): load residents, read back and clear claims.

They let the test suite arrange data and check what the bot keyed without going through
the screens. They bypass log-in and CSRF, which is why they are not registered at all
unless testing is switched on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .forms import store as forms_store
from .services import store
from .store import Resident

bp = Blueprint("testing", __name__, url_prefix="/_testing")

_REQUIRED = ("atena_no", "name", "kana", "birth_date")
_OPTIONAL = ("gender", "postal_code", "address")


def _parse_resident(item: Any, index: int) -> Resident:
    """Turn one JSON object into a Resident, with a message naming the bad entry."""
    if not isinstance(item, dict):
        raise ValueError(f"item {index}: not an object")
    for key in _REQUIRED:
        if not isinstance(item.get(key), str) or not item[key]:
            raise ValueError(f"item {index}: {key} must be a non-empty string")
    for key in _OPTIONAL:
        if not isinstance(item.get(key, ""), str):
            raise ValueError(f"item {index}: {key} must be a string")
    try:
        birth = dt.date.fromisoformat(item["birth_date"])
    except ValueError as exc:
        raise ValueError(f"item {index}: birth_date must be an ISO date") from exc
    return Resident(
        atena_no=item["atena_no"],
        name=item["name"],
        kana=item["kana"],
        birth_date=birth,
        gender=item.get("gender", ""),
        postal_code=item.get("postal_code", ""),
        address=item.get("address", ""),
    )


@bp.get("/records")
def records() -> Response:
    """Every claim with all its values (ISO dates, children as a list)."""
    return jsonify(store().all_records())


@bp.get("/forms/<procedure>")
def form_records(procedure: str) -> Response:
    """Every application of one data-built procedure (``forms/specs``), values as stored."""
    return jsonify(forms_store.all_records(procedure))


@bp.post("/forms/reset")
def form_reset() -> Response:
    """Delete the applications of every data-built procedure."""
    return jsonify({"deleted": forms_store.reset()})


@bp.get("/residents")
def list_residents() -> Response:
    """Every resident."""
    return jsonify([r.to_json() for r in store().list_residents()])


@bp.post("/residents")
def upsert_residents() -> tuple[Response, int]:
    """Insert or replace residents by 宛名番号 from a JSON list."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, list):
        return jsonify({"error": "expected a JSON list of residents"}), 400
    try:
        items = [_parse_resident(item, i) for i, item in enumerate(payload)]
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"upserted": store().upsert_residents(items)}), 200


@bp.post("/reset")
def reset() -> Response:
    """Delete all claims; residents and the receipt counter are kept."""
    return jsonify({"deleted": store().reset_claims()})
