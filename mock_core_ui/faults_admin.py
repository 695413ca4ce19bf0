"""The operator's endpoint for faults: ``GET/POST /_admin/faults``, ``POST /_admin/faults/reset``.

Registered only with ``--admin`` or ``--testing`` (404 otherwise). It is not behind the
clerk log-in (an operator's tool, like a load balancer's admin port) and never linked from
a screen. POSTs must be JSON (``Content-Type: application/json``), which a page of another
site cannot send without a CORS preflight, so no CSRF token is needed.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .faults import FaultSettingsError, runtime, settings_json, validate_update

log = logging.getLogger("mock_core_ui.faults")

bp = Blueprint("faults_admin", __name__, url_prefix="/_admin")


def _current() -> Response:
    state = runtime()
    return jsonify(settings_json(state.snapshot(), state.clock()))


@bp.get("/faults")
def show() -> Response:
    """The current settings (with the read-only ``maintenance_active``)."""
    return _current()


@bp.post("/faults")
def update() -> Response | tuple[Response, int]:
    """Merge the given fields into the settings (all or nothing); answer the new settings."""
    if not request.is_json:
        return jsonify({"error": "send a JSON object (Content-Type: application/json)"}), 415
    try:
        changes = validate_update(request.get_json(silent=True))
    except FaultSettingsError as exc:
        return jsonify({"error": str(exc)}), 400
    runtime().update(changes)
    log.info("faults changed: %s", changes)
    return _current()


@bp.get("/faults/injected")
def injected() -> Response:
    """How many times each kind of fault was applied since start-up or the last reset
    (``register_500``, ``session_expiry``, ``maintenance_503``, ``notice``, ``latency``,
    ``layout_switch``, ``stale_form``): a test's proof that the fault really happened."""
    return jsonify(runtime().injected_counts())


@bp.post("/faults/reset")
def reset() -> Response:
    """Every fault off, counts zeroed (the seed is kept and the random sequences restart)."""
    runtime().reset()
    log.info("faults reset")
    return _current()
