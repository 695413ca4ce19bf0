"""グラフ: outcomes per day and per procedure, and the time per application.

The page embeds each chart's data as JSON (``<script type="application/json">``, never
executed) and ``console.js`` draws it with the vendored Chart.js: no CDN, the console
works on a closed network. Every chart has its numbers in a table beside it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template, request

from bots.clock import utcnow
from bots.config import ja_date, jst
from bots.console.stats import GROUPS, Stats, gather
from bots.console.web import installation

bp = Blueprint("charts", __name__, url_prefix="/charts")

COLOURS = {"連携済": "#1d7a3e", "要確認": "#a86a00", "失敗（再試行・停止）": "#b3261e"}
PERIODS = (7, 30, 90)


def _bars(labels: list[str], series: dict[str, list[int]], *, stacked: bool) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": g, "data": series[g], "backgroundColor": COLOURS[g]} for g in GROUPS
            ],
        },
        "options": {
            "animation": False,
            "maintainAspectRatio": False,
            "scales": {
                "x": {"stacked": stacked},
                "y": {"stacked": stacked, "beginAtZero": True, "ticks": {"precision": 0}},
            },
        },
    }


def _specs(stats: Stats, titles: dict[str, str]) -> dict[str, dict[str, Any]]:
    day_labels = [f"{d.month}/{d.day}" for d in stats.days]
    procedures = list(stats.per_procedure)
    per_procedure = {g: [stats.per_procedure[p][g] for p in procedures] for g in GROUPS}
    return {
        "per-day": _bars(day_labels, stats.per_day, stacked=True),
        "per-procedure": _bars(
            [titles.get(p, p) for p in procedures], per_procedure, stacked=False
        ),
        "seconds": {
            "type": "line",
            "data": {
                "labels": day_labels,
                "datasets": [
                    {
                        "label": "1 件あたりの秒数（中央値、連携済）",
                        "data": stats.seconds_per_day,
                        "borderColor": "#1f5fa8",
                        "spanGaps": True,
                    }
                ],
            },
            "options": {
                "animation": False,
                "maintainAspectRatio": False,
                "scales": {"y": {"beginAtZero": True}},
            },
        },
    }


@bp.route("/")
def index() -> str:
    inst = installation()
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    procedure = request.args.get("procedure") or None
    today = jst(utcnow()).date()
    first = today - timedelta(days=days - 1)
    stats = gather(inst.db, first, today, procedure)
    titles = inst.titles()
    return render_template(
        "charts/index.html",
        title="グラフ",
        stats=stats,
        specs=_specs(stats, titles),
        groups=list(GROUPS),
        titles=titles,
        days=days,
        periods=PERIODS,
        procedure=procedure,
        first=ja_date(first),
        last=ja_date(today),
    )
