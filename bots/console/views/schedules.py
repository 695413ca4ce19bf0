"""(stub: filled in by its owner)"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("schedules", __name__, url_prefix="/schedules")


@bp.route("/")
def index() -> str:
    return render_template("error.html", title="準備中", message="このページは準備中です")


@bp.route("/calendar")
def calendar() -> str:
    return render_template("error.html", title="準備中", message="このページは準備中です")
