"""What the console's auditor pages read besides one application's trail.

The 監査 pages of the web console (:mod:`bots.console.views.audit`) also show one run's
log step by step (:func:`run_trail`), a search over the applications (:func:`find_applications`,
with the procedures to choose from, :func:`known_procedures`) and the staff actions' log,
console sign-ins and settings included (:func:`staff_actions`). None of that is part of the
trail of one application or of the export rows, which stay in :mod:`bots.audit.history`
(``renkei audit trail`` / ``export``); this module reads the same records through the same
helpers there (the same step labels, the same masking again with each procedure's
``sensitive`` keys), so a run's page and an application's trail cannot disagree.

It imports from :mod:`bots.audit.history` and never the other way round.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bots.audit.history import (
    ACTION_LABELS,
    ACTION_OUTCOMES,
    APPLICATION_ACTIONS,
    Event,
    Sources,
    _action,
    _at,
    _lines,
    _run_event,
)
from bots.audit.trail import JST
from bots.audit.verify import Scope, verify_all
from bots.config import jst
from bots.contracts import Status
from bots.errors import RenkeiError
from bots.masking import scrub_text
from bots.queue.schema import ApplicationRow, RunRow

if TYPE_CHECKING:
    from bots.audit.keys import InstallationKey


# --- one run (the console's run page) ---------------------------------------------------------


class UnknownRun(RenkeiError):
    """Neither the management database nor the run folders know the run."""


@dataclass(frozen=True)
class RunStep:
    """One line of a run's log, in order: the event, the application and how long it took."""

    seq: int | None
    application: str | None
    duration_ms: float | None
    event: Event


@dataclass
class RunTrail:
    """A run's log, read line by line and masked, with its summary and its verdict."""

    id: str
    procedure: str | None
    runner: str
    started_at: datetime | None
    ended_at: datetime | None
    summary: dict[str, Any]
    steps: list[RunStep]
    verified: bool = False
    verdict: str = ""
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _summary(sources: Sources, run_id: str, row: RunRow | None) -> dict[str, Any]:
    """The run's summary as the database keeps it; else the folder's ``summary.json``."""
    if row is not None and row.summary:
        return dict(row.summary)
    path = sources.out_root / run_id / "summary.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in document.items() if k != "items"} if isinstance(document, dict) else {}


def run_trail(sources: Sources, run_id: str, key: InstallationKey) -> RunTrail:
    """Every line of one run, masked with each application's procedure, and the run's
    chain verified against its anchors; UnknownRun when nothing names it."""
    log = sources.out_root / run_id / "audit.jsonl"
    lines = _lines(log)
    with sources.db.session() as s:
        row = s.get(RunRow, run_id)
        named = {str(e["application"]) for _, e in lines if e.get("application")}
        q = select(ApplicationRow.id, ApplicationRow.procedure).where(ApplicationRow.id.in_(named))
        procedures = dict(s.execute(q).tuples().all())
    if row is None and not log.parent.is_dir():
        raise UnknownRun(
            f"実行 {run_id} の記録はありません（管理データベースにも実行フォルダにもありません）"
        )
    steps = []
    for number, entry in lines:
        app_id = entry.get("application")
        keys = sources.keys(procedures.get(str(app_id)) if app_id else None)
        duration = entry.get("duration_ms")
        steps.append(
            RunStep(
                seq=entry.get("seq") if isinstance(entry.get("seq"), int) else None,
                application=str(app_id) if app_id else None,
                duration_ms=float(duration) if isinstance(duration, int | float) else None,
                event=_run_event(run_id, number, entry, sources, keys),
            )
        )
    trail = RunTrail(
        id=run_id,
        procedure=row.procedure if row else None,
        runner=row.runner if row else "",
        started_at=jst(row.started_at) if row else None,
        ended_at=jst(row.ended_at) if row and row.ended_at else None,
        summary=_summary(sources, run_id, row),
        steps=steps,
    )
    scope = Scope(sources.out_root, sources.audit_dir, {run_id}, review=False)
    report = verify_all(sources.db, scope, key)
    trail.verified, trail.verdict = not report.findings, report.verdict()
    trail.findings, trail.notes = [str(f) for f in report.findings], list(report.notes)
    return trail


# --- searching, and the staff actions' log (the console's audit pages) ------------------------


@dataclass(frozen=True)
class FoundApplication:
    """One application a search found: what the result list shows."""

    id: str
    procedure: str
    title: str
    atena_no: str
    status: str
    received_at: datetime  # Japan time


def find_applications(
    sources: Sources,
    *,
    app_id: str = "",
    atena_no: str = "",
    start: date | None = None,
    end: date | None = None,
    procedure: str = "",
    limit: int = 200,
) -> list[FoundApplication]:
    """Applications by id (part of it), 宛名番号, received day (JST, both days included) and
    procedure, newest first; at most ``limit`` + 1 (so the caller can say there are more)."""
    q = select(ApplicationRow)
    if app_id.strip():
        q = q.where(ApplicationRow.id.contains(app_id.strip(), autoescape=True))
    if atena_no.strip():
        q = q.where(ApplicationRow.atena_no == atena_no.strip())
    if start is not None:  # received_at is stored in Japan time
        q = q.where(ApplicationRow.received_at >= datetime.combine(start, time()))
    if end is not None:
        q = q.where(ApplicationRow.received_at < datetime.combine(end + timedelta(days=1), time()))
    if procedure:
        q = q.where(ApplicationRow.procedure == procedure)
    q = q.order_by(ApplicationRow.received_at.desc(), ApplicationRow.id.desc()).limit(limit + 1)
    with sources.db.session() as s:
        return [
            FoundApplication(
                r.id,
                r.procedure,
                sources.title(r.procedure),
                r.atena_no,
                Status(r.status).label,
                r.received_at.replace(tzinfo=JST),
            )
            for r in s.scalars(q)
        ]


def known_procedures(sources: Sources) -> list[str]:
    """Every procedure with a recipe or with applications on record (a recipe removed
    since still has its applications to audit)."""
    with sources.db.session() as s:
        stored = set(s.scalars(select(ApplicationRow.procedure).distinct()))
    return sorted(stored | set(sources.recipes))


@dataclass(frozen=True)
class StaffAction:
    """One line of the staff actions' log: who did what, when, to what, and why."""

    at: datetime
    by: str
    step: str
    action: str
    outcome: str
    application: str | None
    detail: str
    changes: tuple[str, ...]
    where: str


def staff_actions(sources: Sources, by: str = "") -> list[StaffAction]:
    """Every line of ``review.jsonl`` (hand actions and the console's own), newest first;
    ``by`` keeps one person's. Texts scrubbed, changed values masked again."""
    apps: dict[str, ApplicationRow | None] = {}
    out = []
    with sources.db.session() as s:
        for number, entry in _lines(sources.review_log):
            person = str(entry.get("by") or entry.get("runner") or "")
            if by and person != by:
                continue
            step, outcome = str(entry.get("step") or ""), str(entry.get("outcome") or "")
            app_id = str(entry.get("application") or "") or None
            shown, changes = ACTION_OUTCOMES.get(outcome, outcome), tuple[str, ...]()
            if app_id and step in APPLICATION_ACTIONS:
                if app_id not in apps:
                    apps[app_id] = s.get(ApplicationRow, app_id)
                hand = _action(number, entry, apps[app_id], sources)
                shown, changes = hand.status_after, hand.changes
            out.append(
                StaffAction(
                    at=_at(entry),
                    by=person,
                    step=step,
                    action=ACTION_LABELS.get(step, step),
                    outcome=shown,
                    application=app_id,
                    detail=scrub_text(entry.get("detail")),
                    changes=changes,
                    where=f"{sources.review_log}:{number}",
                )
            )
    return sorted(out, key=lambda a: a.at, reverse=True)
