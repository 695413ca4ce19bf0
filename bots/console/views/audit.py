"""(stub: filled in by its owner)"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
def index() -> str:
    return render_template("error.html", title="準備中", message="このページは準備中です")


@bp.route("/runs/<run_id>")
def run(run_id: str) -> str:
    return render_template(
        "error.html", title="準備中", message=f"実行 {run_id} の記録は準備中です"
    )
