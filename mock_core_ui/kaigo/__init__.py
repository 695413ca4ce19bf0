"""介護保険 subsystem: a legacy vendor's screens (frameset, tables, Shift_JIS). STUB."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("kaigo", __name__, url_prefix="/kaigo", template_folder="templates")
