"""The numbers behind the console's charts: outcomes per day and per procedure, and the
time an application takes, from the ``attempts`` table (every try of every run).

Days are Japan days. 連携済 counts attempts that keyed (or found the application already
keyed); 要確認 those that sent it to a person; 失敗 those that ended in a transient error or
a stopped subsystem (the application went back to the queue).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bots.config import JST, jst
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow

#: Outcome groups as the charts show them, in order, with the attempts' outcomes in each.
GROUPS: dict[str, tuple[str, ...]] = {
    "連携済": ("keyed", "already_keyed"),
    "要確認": ("needs_review",),
    "失敗（再試行・停止）": ("retry", "stopped"),
}
_GROUP_OF = {outcome: group for group, outcomes in GROUPS.items() for outcome in outcomes}


@dataclass(frozen=True)
class Stats:
    days: list[date]
    per_day: dict[str, list[int]]  # group → count per day
    per_procedure: dict[str, dict[str, int]]  # procedure → group → count
    seconds_per_day: list[float | None]  # median seconds of a keyed attempt, per day
    seconds_per_procedure: dict[str, float]  # procedure → median seconds (keyed)


def _utc_start(day: date) -> datetime:
    """The first moment of a Japan day, as stored (naive UTC)."""
    return datetime.combine(day, time(), JST).astimezone(UTC).replace(tzinfo=None)


def gather(db: Database, first: date, last: date, procedure: str | None = None) -> Stats:
    """Attempts that ended between the JST days ``first`` and ``last`` (both included)."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    q = (
        select(
            AttemptRow.started_at, AttemptRow.ended_at, AttemptRow.outcome, ApplicationRow.procedure
        )
        .join(ApplicationRow, ApplicationRow.id == AttemptRow.application_id)
        .where(
            AttemptRow.ended_at >= _utc_start(first),
            AttemptRow.ended_at < _utc_start(last + timedelta(days=1)),
        )
    )
    if procedure:
        q = q.where(ApplicationRow.procedure == procedure)
    per_day = {g: [0] * len(days) for g in GROUPS}
    per_procedure: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GROUPS, 0))
    times_day: dict[int, list[float]] = defaultdict(list)
    times_procedure: dict[str, list[float]] = defaultdict(list)
    with db.session() as s:
        for started, ended, outcome, proc in s.execute(q):
            group = _GROUP_OF.get(outcome or "")
            if group is None or ended is None:
                continue
            i = index[jst(ended).date()]
            per_day[group][i] += 1
            per_procedure[proc][group] += 1
            if group == "連携済":
                seconds = (ended - started).total_seconds()
                times_day[i].append(seconds)
                times_procedure[proc].append(seconds)
    return Stats(
        days=days,
        per_day=per_day,
        per_procedure=dict(sorted(per_procedure.items())),
        seconds_per_day=[
            round(statistics.median(times_day[i]), 1) if times_day.get(i) else None
            for i in range(len(days))
        ],
        seconds_per_procedure={
            p: round(statistics.median(t), 1) for p, t in sorted(times_procedure.items())
        },
    )
