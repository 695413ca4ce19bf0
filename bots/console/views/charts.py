"""(stub: filled in by its owner)"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("charts", __name__, url_prefix="/charts")


@bp.route("/")
def index() -> str:
    return render_template("error.html", title="準備中", message="このページは準備中です")
