"""Testing endpoints of the 介護保険 subsystem (``--testing`` only; never used by the bot).

They are added to the app only when ``MOCK_CORE_TESTING`` is on, so without it the URLs do
not exist (404, logged in or not). Their endpoint names start with ``testing.``, which the
log-in/CSRF guard of ``security.py`` leaves alone, like the app's own ``/_testing`` ones.
JSON in and out (UTF-8), not Shift_JIS: this is the tester's back door, not a screen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, jsonify, request
from flask.sansio.app import App
from werkzeug.wrappers import Response

from . import store
from .store import Insured

PREFIX = "/kaigo/_testing"
_REQUIRED = ("hihokensha_no", "name", "kana", "birth_date")
_OPTIONAL = ("address", "atena_no")


def _only_when_testing() -> None:
    if not current_app.config.get("MOCK_CORE_TESTING"):
        abort(404)


def _parse_insured(item: Any, index: int) -> Insured:
    """One JSON object → Insured, with a message naming the bad entry."""
    if not isinstance(item, dict):
        raise ValueError(f"item {index}: not an object")
    for key in _REQUIRED:
        if not isinstance(item.get(key), str) or not item[key]:
            raise ValueError(f"item {index}: {key} must be a non-empty string")
    for key in _OPTIONAL:
        if not isinstance(item.get(key, ""), str):
            raise ValueError(f"item {index}: {key} must be a string")
    number = item["hihokensha_no"]
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        raise ValueError(f"item {index}: hihokensha_no must be 10 digits")
    try:
        birth = dt.date.fromisoformat(item["birth_date"])
    except ValueError as exc:
        raise ValueError(f"item {index}: birth_date must be an ISO date") from exc
    return Insured(
        hihokensha_no=number,
        name=item["name"],
        kana=item["kana"],
        birth_date=birth,
        address=item.get("address", ""),
        atena_no=item.get("atena_no", ""),
    )


def upsert_insured() -> tuple[Response, int]:
    """``POST /kaigo/_testing/insured``: insert or replace 被保険者 from a JSON list."""
    _only_when_testing()
    payload = request.get_json(silent=True)
    if not isinstance(payload, list):
        return jsonify({"error": "expected a JSON list of insured persons"}), 400
    try:
        items = [_parse_insured(item, i) for i, item in enumerate(payload)]
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"upserted": store.upsert_insured(items)}), 200


def list_insured() -> Response:
    """``GET /kaigo/_testing/insured``: every 被保険者."""
    _only_when_testing()
    return jsonify([p.to_json() for p in store.list_insured()])


def records() -> Response:
    """``GET /kaigo/_testing/records``: every application with all its values."""
    _only_when_testing()
    return jsonify(store.all_records())


def reset() -> Response:
    """``POST /kaigo/_testing/reset``: delete every application (counter kept)."""
    _only_when_testing()
    return jsonify({"deleted": store.reset_applications()})


def doctors() -> Response:
    """``GET /kaigo/_testing/doctors``: the 主治医 master."""
    _only_when_testing()
    return jsonify([d.to_json() for d in store.find_doctors()])


def install(app: App) -> None:
    """Add the endpoints to ``app`` (called at blueprint registration, testing only)."""
    app.add_url_rule(
        f"{PREFIX}/insured", "testing.kaigo_upsert_insured", upsert_insured, methods=["POST"]
    )
    app.add_url_rule(f"{PREFIX}/insured", "testing.kaigo_list_insured", list_insured)
    app.add_url_rule(f"{PREFIX}/records", "testing.kaigo_records", records)
    app.add_url_rule(f"{PREFIX}/reset", "testing.kaigo_reset", reset, methods=["POST"])
    app.add_url_rule(f"{PREFIX}/doctors", "testing.kaigo_doctors", doctors)
