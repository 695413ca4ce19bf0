"""監査: what an auditor who trusts nothing reads, checks and takes away.

Every page reads the same model as ``renkei audit trail`` / ``export`` / ``verify``
(:mod:`bots.audit.history`, :mod:`bots.audit.export`, :mod:`bots.audit.verify`), so the
screen and the CLI cannot disagree. Values are masked by that model; screenshots are
hashed again on every view and their state (一致 / ファイルがありません / 内容が一致しません)
is shown beside them. Nothing here changes anything: the verification is an action
(``verify``) only so that who may run it is one table's decision, and the export is
refused to whoever may not take the records away (``export``, checked on GET too).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from bots.audit import export as exporting
from bots.audit.browse import (
    UnknownRun,
    find_applications,
    known_procedures,
    run_trail,
    staff_actions,
)
from bots.audit.history import (
    Event,
    Shot,
    Sources,
    UnknownApplication,
    export_rows,
    trail_of,
)
from bots.audit.keys import load_key
from bots.audit.report import RUN_COUNT_LABELS, runner_display
from bots.audit.verify import Scope, verify_all
from bots.console.views.evidence import evidence_url
from bots.console.web import action, installation, who
from bots.errors import RecipeError
from bots.masking import scrub_text
from bots.results import shot_caption, try_caption

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: How many applications a search lists (the auditor narrows the search for more).
LIMIT = 200
_LAST = "renkei_audit_last_verdict"
_LOCK = threading.Lock()


def _sources() -> Sources:
    """The records of the installation, with the recipes that load: a broken recipe file
    must not keep an auditor from reading the trail (as ``renkei audit trail``)."""
    inst = installation()
    try:
        recipes, _broken = inst.recipes()
    except RecipeError:  # the shared 外字 list itself is broken: ids without titles
        recipes = {}
    settings = inst.settings
    return Sources(inst.db, settings.out_root, settings.audit_dir, recipes)


def _value(value: Any) -> str:
    """A (masked) value as text: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _day(name: str, label: str, errors: dict[str, str]) -> date | None:
    """A JST day from the query string; a message naming the item when it cannot be read."""
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return exporting.parse_day(text, label)
    except exporting.ExportError as exc:
        errors[name] = str(exc)
        return None


# --- search ---------------------------------------------------------------------------------


@bp.route("/")
def index() -> str:
    sources = _sources()
    form = {k: (request.args.get(k) or "").strip() for k in ("id", "atena", "from", "to", "p")}
    errors: dict[str, str] = {}
    start, end = _day("from", "受付日（から）", errors), _day("to", "受付日（まで）", errors)
    if start and end and start > end:
        errors["to"] = "受付日の期間の開始が終了より後になっています"
    procedures = known_procedures(sources)
    if form["p"] and form["p"] not in procedures:
        errors["p"] = f"手続 '{form['p']}' はありません"
    searched = any(form.values()) and not errors
    found = []
    if searched:
        found = find_applications(
            sources, app_id=form["id"], atena_no=form["atena"], start=start, end=end,
            procedure=form["p"], limit=LIMIT,
        )  # fmt: skip
    return render_template(
        "audit/index.html",
        title="監査",
        form=form,
        errors=errors,
        procedures=procedures,
        sources=sources,
        searched=searched,
        found=found[:LIMIT],
        more=len(found) > LIMIT,
        limit=LIMIT,
    )


# --- one application ------------------------------------------------------------------------


@dataclass
class Photo:
    """A screenshot as the page shows it: where, what it shows, and whether it still holds."""

    shot: Shot
    caption: str
    url: str | None
    at: datetime


@dataclass
class Try:
    """The screenshots of one try, shown side by side."""

    run: str
    caption: str
    photos: list[Photo] = field(default_factory=list)


def _tries(events: list[Event]) -> list[Try]:
    """Screenshots grouped by the try folder they belong to, in time order."""
    tries: dict[tuple[str, str], Try] = {}
    for e in events:
        if e.shot is None:
            continue
        folder = e.shot.path.parent.name
        group = tries.setdefault((e.source, folder), Try(e.source, try_caption(folder)))
        url = evidence_url(e.shot.path) if e.shot.path.is_file() else None
        group.photos.append(Photo(e.shot, shot_caption(e.detail), url, e.at))
    return list(tries.values())


@bp.route("/applications/<app_id>")
def application(app_id: str) -> tuple[str, int] | str:
    sources = _sources()
    try:
        trail = trail_of(sources, app_id, load_key())
    except UnknownApplication as exc:
        return render_template("error.html", title="記録がありません", message=str(exc)), 404
    return render_template(
        "audit/application.html",
        title=f"申請 {trail.id} の記録",
        trail=trail,
        hands=[e for e in trail.events if e.step == "hand"],
        tries=_tries(trail.events),
        value=_value,
    )


# --- one run ----------------------------------------------------------------------------------


def _seconds(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms / 1000:.2f}秒"


def _summary_view(summary: dict[str, Any]) -> dict[str, Any]:
    """The parts of a run's summary the page shows, texts scrubbed once more."""

    def texts(key: str) -> dict[str, str]:
        return {str(k): scrub_text(str(v)) for k, v in (summary.get(key) or {}).items()}

    return {
        "counts": [(label, int(summary.get(k) or 0)) for k, label in RUN_COUNT_LABELS.items()],
        "stopped": texts("stopped"),
        "paused": texts("paused"),
        "locked": texts("locked"),
        "broken": texts("broken"),
        "outside_window": texts("outside_window"),
        "drift": [d for d in summary.get("drift") or [] if isinstance(d, dict)],
        "skipped": scrub_text(summary.get("skipped_reason"))
        if summary.get("skipped_reason")
        else "",
    }


@bp.route("/runs/<run_id>")
def run(run_id: str) -> tuple[str, int] | str:
    sources = _sources()
    try:
        trail = run_trail(sources, run_id, load_key())
    except UnknownRun as exc:
        return render_template("error.html", title="記録がありません", message=str(exc)), 404
    return render_template(
        "audit/run.html",
        title=f"実行 {run_id} の記録",
        trail=trail,
        summary=_summary_view(trail.summary),
        runner=runner_display(trail.runner) if trail.runner else "—",
        shot_url=lambda shot: evidence_url(shot.path) if shot.path.is_file() else None,
        seconds=_seconds,
        value=_value,
        titles={p: r.title for p, r in sources.recipes.items()},
    )


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The last verification this console ran (kept in memory: a restart forgets it)."""

    at: datetime
    by: str
    verdict: str
    findings: list[tuple[str, int | None, str]]
    notes: list[str]


@bp.route("/verify", methods=["GET", "POST"])
@action("verify")
def verify() -> BaseResponse | str:
    """GET shows the last verdict; POST verifies every chain of the installation exactly
    as ``renkei audit verify`` (no option) does, then shows it."""
    if request.method == "POST":
        inst = installation()
        settings = inst.settings
        report = verify_all(inst.db, Scope(settings.out_root, settings.audit_dir), load_key())
        found = [(f.file, f.line, f.message) for f in report.findings]
        with _LOCK:
            current_app.extensions[_LAST] = Verdict(
                datetime.now().astimezone(), who(), report.verdict(), found, list(report.notes)
            )
        return redirect(url_for("audit.verify"))
    with _LOCK:
        last: Verdict | None = current_app.extensions.get(_LAST)
    return render_template("audit/verify.html", title="監査記録の検証", last=last)


# --- export -----------------------------------------------------------------------------------


@bp.route("/export")
@action("export", also_get=True)
def export() -> Response | tuple[str, int] | str:
    """The form; with ``format`` in the query, the same file as ``renkei audit export``."""
    sources = _sources()
    procedures = known_procedures(sources)
    form = {k: (request.args.get(k) or "").strip() for k in ("from", "to", "p", "format")}
    if not form["format"]:
        return _export_form(form, procedures, {})
    errors: dict[str, str] = {}
    try:
        start, end = exporting.period(form["from"], form["to"], ("開始日", "終了日"))
    except exporting.ExportError as exc:
        errors["period"] = str(exc)
    if form["p"] and form["p"] not in procedures:
        errors["p"] = f"手続 '{form['p']}' はありません"
    if form["format"] not in exporting.FORMATS:
        errors["format"] = "形式は CSV か Excel を選んでください"
    if errors:
        return _export_form(form, procedures, errors), 400
    table = exporting.frame(export_rows(sources, start, end, form["p"] or None))
    body = exporting.as_bytes(table, form["format"])
    name = exporting.default_name(start, end, form["format"]).name
    return Response(
        body,
        mimetype=exporting.MEDIA_TYPES[form["format"]],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _export_form(form: dict[str, str], procedures: list[str], errors: dict[str, str]) -> str:
    return render_template(
        "audit/export.html",
        title="監査記録の出力",
        form=form,
        procedures=procedures,
        titles=installation().titles(),
        errors=errors,
    )


# --- the staff actions' log -------------------------------------------------------------------


@bp.route("/actions")
def actions() -> str:
    sources = _sources()
    person = (request.args.get("by") or "").strip()
    everything = staff_actions(sources)
    people = sorted({a.by for a in everything if a.by})
    shown = [a for a in everything if a.by == person] if person else everything
    return render_template(
        "audit/actions.html",
        title="操作の記録",
        actions=shown,
        people=people,
        person=person,
    )
