"""母子保健 subsystem: a single-page app rendered from a JSON API. STUB."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("boshi", __name__, url_prefix="/boshi", template_folder="templates",
               static_folder="static", static_url_path="/static")
