"""ホーム: today's and recent runs, the queue by procedure and status, runs going now.

``/api/progress`` gives the runs going now as JSON; the page's script polls it every few
seconds, so "done of total" moves without reloading the page.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from bots.config import ja_time
from bots.console import overview
from bots.console.web import installation
from bots.contracts import Status

bp = Blueprint("home", __name__)

#: The statuses of the queue table, in the order staff read them.
SHOWN = [
    Status.RESOLVED, Status.CLAIMED, Status.KEYING, Status.NEEDS_REVIEW, Status.FAILED,
    Status.KEYED, Status.REJECTED,
]  # fmt: skip


@bp.route("/")
def index() -> str:
    inst = installation()
    runs = overview.recent_runs(inst.db)
    return render_template(
        "home.html",
        title="ホーム",
        today=[r for r in runs if overview.is_today(r.started_at)],
        earlier=[r for r in runs if not overview.is_today(r.started_at)][:10],
        going=[r for r in runs if r.going],
        queue=overview.queue_table(inst.db),
        statuses=SHOWN,
        titles=inst.titles(),
    )


@bp.route("/api/progress")
def progress() -> Response:
    """The runs going now, and those in ``?watch=`` (ids the page saw going): done of total
    per run, polled by the home page."""
    inst = installation()
    titles = inst.titles()
    watched = frozenset(w for w in request.args.get("watch", "").split(",") if w)
    runs = []
    for line in overview.runs_going(inst.db, frozenset(list(watched)[:20])):
        item = line.progress()
        item["procedure_name"] = (
            titles.get(line.procedure, line.procedure) if line.procedure else "すべての手続"
        )
        item["started"] = ja_time(line.started_at)
        runs.append(item)
    return jsonify(runs=runs)
