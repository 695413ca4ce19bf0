"""Screenshots of the run folders, for the pages that show them (要確認, 監査).

Only PNG files inside the installation's run folders (``RENKEI_OUT``) are served, by
their path relative to it; anything else is 404. Sensitive fields were blacked out when
the screenshot was taken (the driver's mask), so the file is shown as it is.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory, url_for

from bots.console.web import installation

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


def evidence_url(path: Path) -> str | None:
    """The console's URL of a screenshot under the run folders; None when outside them."""
    root = installation().settings.out_root.resolve()
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        return None
    return url_for("evidence.screenshot", rel=rel.as_posix())


@bp.route("/<path:rel>")
def screenshot(rel: str) -> Response:
    if not rel.lower().endswith(".png"):
        abort(404)
    root = installation().settings.out_root
    response = send_from_directory(root, rel, mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
