"""What the home page reads: recent runs, runs going now, the queue by procedure and status.

Read-only queries over the management database; times stay naive UTC here and are shown
in JST by the templates (``ja_time``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bots.clock import utcnow
from bots.config import jst
from bots.contracts import Status
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, RunRow

#: A run without an end older than this is shown as interrupted, not as going.
GOING_FOR_AT_MOST = timedelta(hours=12)


@dataclass(frozen=True)
class RunLine:
    id: str
    procedure: str | None
    runner: str
    started_at: datetime
    ended_at: datetime | None
    done: int
    total: int
    keyed: int
    already_keyed: int
    needs_review: int
    retry: int
    stopped: dict[str, str] = field(default_factory=dict)
    paused: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None

    @property
    def going(self) -> bool:
        return self.ended_at is None and utcnow() - self.started_at < GOING_FOR_AT_MOST

    @property
    def seconds(self) -> float | None:
        end = self.ended_at or (utcnow() if self.going else None)
        return None if end is None else (end - self.started_at).total_seconds()

    @property
    def duration(self) -> str:
        """``3分12秒`` as people say it; "—" for an interrupted run."""
        total = self.seconds
        if total is None:
            return "—"
        minutes, secs = divmod(int(round(total)), 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours}時間{minutes}分"
        return f"{minutes}分{secs}秒" if minutes else f"{secs}秒"

    def progress(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "procedure": self.procedure,
            "done": self.done,
            "total": max(self.total, self.done),
            "going": self.going,
            "keyed": self.keyed + self.already_keyed,
            "needs_review": self.needs_review,
        }


def _line(row: RunRow) -> RunLine:
    summary = row.summary or {}
    return RunLine(
        id=row.id,
        procedure=row.procedure,
        runner=row.runner,
        started_at=row.started_at,
        ended_at=row.ended_at,
        done=row.done or 0,
        total=row.total or 0,
        keyed=int(summary.get("keyed", 0)),
        already_keyed=int(summary.get("already_keyed", 0)),
        needs_review=int(summary.get("needs_review", 0)),
        retry=int(summary.get("retry", 0)),
        stopped=dict(summary.get("stopped") or {}),
        paused=dict(summary.get("paused") or {}),
        skipped=summary.get("skipped_reason"),
    )


def recent_runs(db: Database, limit: int = 20) -> list[RunLine]:
    with db.session() as s:
        rows = s.execute(select(RunRow).order_by(RunRow.started_at.desc()).limit(limit)).scalars()
        return [_line(r) for r in rows]


def runs_going(db: Database, watched: frozenset[str] = frozenset()) -> list[RunLine]:
    """Runs going now, and the ``watched`` ones whatever their state (a page that saw a run
    going asks for it until it has seen it end)."""
    since = utcnow() - GOING_FOR_AT_MOST
    going = RunRow.ended_at.is_(None) & (RunRow.started_at >= since)
    where = going | RunRow.id.in_(sorted(watched)) if watched else going
    with db.session() as s:
        rows = s.execute(select(RunRow).where(where).order_by(RunRow.started_at)).scalars()
        return [_line(r) for r in rows]


def is_today(moment: datetime) -> bool:
    return jst(moment).date() == jst(utcnow()).date()


def queue_table(db: Database) -> dict[str, dict[str, int]]:
    """Applications per procedure and status (every status, zeros included)."""
    q = select(ApplicationRow.procedure, ApplicationRow.status, func.count()).group_by(
        ApplicationRow.procedure, ApplicationRow.status
    )
    table: dict[str, dict[str, int]] = {}
    with db.session() as s:
        for procedure, status, n in s.execute(q):
            table.setdefault(procedure, dict.fromkeys((st.value for st in Status), 0))[status] = (
                int(n)
            )
    return dict(sorted(table.items()))
