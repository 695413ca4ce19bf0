"""Testing endpoints of the 母子保健 subsystem (``--testing`` only; never for the bot).

``GET /boshi/_testing/records`` and ``POST /boshi/_testing/reset``. They are added to the
app only when testing is on (so they are 404 otherwise, logged in or not) and under the
``testing.`` endpoint names the app's guard already leaves alone, so, like the main
``/_testing`` endpoints, they need neither a log-in nor a CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, jsonify
from flask.sansio.app import App
from werkzeug.wrappers import Response

from .store import BoshiStore


def register(app: App, get_store: Callable[[], BoshiStore]) -> None:
    """Add the two endpoints to ``app``."""

    def _check() -> None:
        if not current_app.config.get("MOCK_CORE_TESTING"):
            abort(404)

    def records() -> Response:
        """Every 妊娠の届出 with all its values (dates ISO), in receipt order."""
        _check()
        return jsonify(get_store().all_records())

    def reset() -> Response:
        """Delete every 妊娠の届出 (residents and the receipt counter are kept)."""
        _check()
        return jsonify({"deleted": get_store().reset()})

    app.add_url_rule("/boshi/_testing/records", "testing.boshi_records", records, methods=["GET"])
    app.add_url_rule("/boshi/_testing/reset", "testing.boshi_reset", reset, methods=["POST"])
