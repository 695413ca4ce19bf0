"""Procedures as IT looks after them: switched on or off, their recipes checked, their health.

One implementation for ``renkei procedure …`` / ``renkei procedures`` and the console's
レシピ・画面 page. IT switches a procedure off while its screens or its recipe are being
fixed (a vendor update, a law change): runs of every procedure then leave it alone, and a
run of that procedure alone is refused with who switched it off, when and why
(:func:`bots.service.run_once` asks :func:`disabled`). No row in ``procedure_states``
means the procedure is on.

Every switch and every recipe check is a line of the staff actions' audit log with the
person, written in the same transaction as the row it records. The health of a procedure
is read from what is on record: the recipe as it loads now, its last check, the runs'
summaries (the last run that worked it, the stops of its subsystem, selector drift).
:func:`catalogued` lays those states over the national plan's 26 (:mod:`bots.catalogue`):
each of the 26 by 分野 with its state or 「レシピなし」, then the recipes outside them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bots.audit.anchors import session_anchor
from bots.catalogue import BY_ID, FIELDS, CatalogueProcedure, in_field
from bots.clock import utcnow
from bots.config import Settings, ja_time
from bots.contracts import AuditEvent
from bots.errors import RecipeError, RenkeiError
from bots.masking import scrub_text
from bots.queue.db import Database
from bots.queue.schema import (
    ApplicationRow,
    AttemptRow,
    ProcedureStateRow,
    RecipeCheckRow,
    RunRow,
)
from bots.review import record

#: The error of a procedure that has a switch on record but no recipe file.
NO_RECIPE_FILE = "レシピのファイルがありません"

#: How many of the latest runs are read for the last run, stops and drift of a procedure.
RUNS_READ = 200


class ProcedureError(RenkeiError):
    """A switch that cannot be made (no note, an unknown procedure, already so): says why."""


class ProcedureDisabled(RenkeiError):
    """A run of one procedure that IT has switched off: names who, when and why."""


@dataclass(frozen=True)
class Switch:
    """A procedure's row in ``procedure_states``: its last switch (times naive UTC)."""

    procedure: str
    enabled: bool
    note: str
    changed_by: str
    changed_at: datetime

    def text(self) -> str:
        """``sato が 2026年12月2日 14:00:00 に停止（理由: 画面改修のため）`` as people read it."""
        what = "再開" if self.enabled else "停止"
        return f"{self.changed_by} が {ja_time(self.changed_at)} に{what}（理由: {self.note}）"


def _switch(row: ProcedureStateRow) -> Switch:
    return Switch(
        row.procedure, bool(row.enabled), row.note or "", row.changed_by or "", row.changed_at
    )


def switches(db: Database) -> dict[str, Switch]:
    """Every procedure IT has ever switched, by name (the others are on)."""
    with db.session() as s:
        return {r.procedure: _switch(r) for r in s.execute(select(ProcedureStateRow)).scalars()}


def disabled(db: Database) -> dict[str, Switch]:
    """The procedures switched off now: runs leave them alone."""
    return {p: sw for p, sw in switches(db).items() if not sw.enabled}


def refusal(switch: Switch, title: str | None = None) -> str:
    """Why a run of a switched-off procedure does not start, with what to do about it."""
    name = f"{title}（{switch.procedure}）" if title else switch.procedure
    return (
        f"手続 {name} は停止中のため実行しません: {switch.text()}。"
        f"再開するには renkei procedure enable {switch.procedure} --note … を実行してください"
    )


def _audit(
    s: Session, audit_dir: Path, by: str, step: str, outcome: str, detail: str, **extra: Any
) -> None:
    record(
        audit_dir,
        by,
        AuditEvent(step=step, outcome=outcome, detail=detail, extra={"by": by, **extra}),
        anchor=session_anchor(s),
    )


def _switch_to(
    db: Database,
    audit_dir: Path,
    procedure: str,
    note: str,
    by: str,
    enabled: bool,
    known: Collection[str] | None,
) -> Switch:
    """Record one switch and its audit line in one transaction; refuse a no-op."""
    note = scrub_text(note.strip())  # a note is shown on pages: no personal numbers in it
    if not note:
        raise ProcedureError("理由（メモ）を入力してください: 操作の記録に必要です")
    if not by.strip():
        raise ProcedureError("操作した人が分かりません: 記録に必要です")
    with db.session() as s:
        row = s.get(ProcedureStateRow, procedure)
        if row is None and known is not None and procedure not in known:
            raise ProcedureError(
                f"手続 '{procedure}' はありません（{', '.join(sorted(known)) or 'なし'}）"
            )
        if row is None or row.enabled:
            if enabled:
                raise ProcedureError(f"手続 {procedure} は停止していません（実行できる状態です）")
        elif not enabled:
            raise ProcedureError(f"手続 {procedure} はすでに停止中です: {_switch(row).text()}")
        if row is None:
            row = ProcedureStateRow(procedure=procedure)
            s.add(row)
        row.enabled, row.note, row.changed_by, row.changed_at = enabled, note, by, utcnow()
        s.flush()
        step, what = ("procedure_enable", "再開") if enabled else ("procedure_disable", "停止")
        _audit(
            s, audit_dir, by, step, "ok", f"手続 {procedure} を{what}しました: {note}",
            procedure=procedure, note=note,
        )  # fmt: skip
        return _switch(row)


def disable(
    db: Database,
    audit_dir: Path,
    procedure: str,
    note: str,
    by: str,
    *,
    known: Collection[str] | None = None,
) -> Switch:
    """Switch a procedure off (``note`` says why; ``known``, when given, the names there are)."""
    return _switch_to(db, audit_dir, procedure, note, by, False, known)


def enable(
    db: Database,
    audit_dir: Path,
    procedure: str,
    note: str,
    by: str,
    *,
    known: Collection[str] | None = None,
) -> Switch:
    """Switch a procedure on again (``note`` says why it may run now)."""
    return _switch_to(db, audit_dir, procedure, note, by, True, known)


# --- recipe checks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check of a procedure's recipe: ``ok`` or the loader's located error."""

    procedure: str
    checked_at: datetime
    ok: bool
    message: str
    by: str


def _recipe_files(settings: Settings) -> list[str]:
    """The procedures named by the recipe files there are (a broken file by its name)."""
    return sorted(p.stem for p in settings.recipes_dir.glob("*.yaml"))


def loaded(settings: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    """The recipes that load now by procedure, and each broken one's located error (by the
    file's name: a file that does not load names no procedure). A broken 外字 list breaks
    every recipe: each file then carries its error."""
    from bots.service import load_recipes_each

    try:
        recipes, errors = load_recipes_each(settings)
    except RecipeError as exc:
        return {}, dict.fromkeys(_recipe_files(settings), str(exc))
    return dict(recipes), {path.stem: str(exc) for path, exc in errors.items()}


def known_procedures(settings: Settings, db: Database) -> set[str]:
    """Every procedure IT may switch: recipes that load, broken files, and switched ones."""
    recipes, broken = loaded(settings)
    return set(recipes) | set(broken) | set(switches(db))


def check(settings: Settings, db: Database, audit_dir: Path, by: str) -> list[Check]:
    """Load every recipe now and record the result of each, with one audit line."""
    recipes, broken = loaded(settings)
    now = utcnow()
    checks = [
        Check(p, now, True, f"正常（{r.path.name}、画面定義 {r.system}）", by)
        for p, r in recipes.items()
    ] + [Check(p, now, False, why, by) for p, why in broken.items()]
    checks.sort(key=lambda c: c.procedure)
    with db.session() as s:
        for c in checks:
            s.add(
                RecipeCheckRow(
                    procedure=c.procedure, checked_at=now, ok=c.ok, message=c.message, by=by
                )
            )
        s.flush()
        _audit(
            s, audit_dir, by, "recipe_check", "ng" if broken else "ok",
            f"レシピを確認しました: 正常 {len(recipes)} 件、読み込めない {len(broken)} 件",
            ok=sorted(recipes), broken=broken,
        )  # fmt: skip
    return checks


def last_checks(db: Database) -> dict[str, Check]:
    """Each procedure's latest recipe check."""
    latest = (
        select(RecipeCheckRow.procedure, func.max(RecipeCheckRow.id).label("id"))
        .group_by(RecipeCheckRow.procedure)
        .subquery()
    )
    q = select(RecipeCheckRow).join(latest, RecipeCheckRow.id == latest.c.id)
    with db.session() as s:
        return {
            r.procedure: Check(r.procedure, r.checked_at, r.ok, r.message or "", r.by or "")
            for r in s.execute(q).scalars()
        }


# --- what the runs tell ----------------------------------------------------------------


@dataclass(frozen=True)
class RunTouch:
    """The last run that worked a procedure: when, and its applications by outcome."""

    run_id: str
    started_at: datetime
    ended_at: datetime | None
    counts: dict[str, int]

    def counts_text(self) -> str:
        """``連携済 2 件、要確認 1 件`` (in the report's order); 対象なし when it tried none."""
        from bots.audit.report import RUN_COUNT_LABELS

        labels = {**RUN_COUNT_LABELS, "interrupted": "中断", "running": "処理中"}
        order = [k for k in labels if k in self.counts] + sorted(set(self.counts) - set(labels))
        return "、".join(f"{labels.get(k, k)} {self.counts[k]} 件" for k in order) or "対象なし"


@dataclass(frozen=True)
class Stop:
    """A subsystem stopped in its last run, and why (IT must look before it runs again)."""

    system: str
    why: str
    run_id: str
    at: datetime


@dataclass(frozen=True)
class DriftEvent:
    """A fallback strategy found an element in a run: the selector file needs updating."""

    system: str
    element: str
    first_strategy: str
    strategy: str
    at: datetime
    run_id: str


def recent_runs(db: Database, limit: int = RUNS_READ) -> list[RunRow]:
    """The latest runs, newest first (detached: only their columns are read)."""
    with db.session() as s:
        rows = list(
            s.execute(select(RunRow).order_by(RunRow.started_at.desc()).limit(limit)).scalars()
        )
        s.expunge_all()
        return rows


def worked(run: RunRow) -> set[str]:
    """The procedures a run worked: its one procedure, or those its summary names."""
    if run.procedure:
        return {run.procedure}
    return set((run.summary or {}).get("titles") or {})


def run_counts(db: Database, run_id: str, procedure: str) -> dict[str, int]:
    """One run's tries of one procedure's applications, by outcome."""
    q = (
        select(AttemptRow.outcome, func.count())
        .join(ApplicationRow, ApplicationRow.id == AttemptRow.application_id)
        .where(AttemptRow.run_id == run_id, ApplicationRow.procedure == procedure)
        .group_by(AttemptRow.outcome)
    )
    with db.session() as s:
        return {str(outcome or "running"): int(n) for outcome, n in s.execute(q)}


def last_stops(runs: list[RunRow], systems: dict[str, str]) -> dict[str, Stop]:
    """Each subsystem stopped in the last run that worked it (``systems``: procedure →
    subsystem); a subsystem whose last run went on is not listed."""
    seen: set[str] = set()
    stops: dict[str, Stop] = {}
    for run in runs:  # newest first
        stopped = dict((run.summary or {}).get("stopped") or {})
        touched = {systems[p] for p in worked(run) if p in systems} | set(stopped)
        for system in touched - seen:
            if system in stopped:
                stops[system] = Stop(system, str(stopped[system]), run.id, run.started_at)
        seen |= touched
    return stops


def drift_events(runs: list[RunRow]) -> list[DriftEvent]:
    """Every drift the runs recorded, newest run first."""
    return [
        DriftEvent(
            str(d.get("system", "")),
            str(d.get("element", "")),
            str(d.get("first_strategy", "")),
            str(d.get("strategy", "")),
            run.started_at,
            run.id,
        )
        for run in runs
        for d in (run.summary or {}).get("drift") or []
    ]


# --- the state of every procedure ------------------------------------------------------


@dataclass(frozen=True)
class ProcedureState:
    """One procedure as IT sees it: recipe, switch, last check, last run, its subsystem."""

    procedure: str
    title: str | None  # None: the recipe does not load
    system: str | None
    error: str | None  # the loader's located error (file:line:column: …), None when it loads
    switch: Switch | None  # None: never switched, so on
    last_check: Check | None
    last_run: RunTouch | None
    stop: Stop | None  # its subsystem was stopped in the subsystem's last run
    recipe_file: bool = True  # False: only a switch is on record, no recipe file

    @property
    def enabled(self) -> bool:
        return self.switch is None or self.switch.enabled


@dataclass(frozen=True)
class Health:
    """What the レシピ・画面 page and ``renkei procedures`` show."""

    procedures: list[ProcedureState]
    stops: dict[str, Stop]
    drift: list[DriftEvent]

    @property
    def titles(self) -> dict[str, str]:
        return {p.procedure: p.title for p in self.procedures if p.title}


def _last_run(db: Database, runs: list[RunRow], procedure: str) -> RunTouch | None:
    for run in runs:  # newest first
        if procedure in worked(run):
            counts = run_counts(db, run.id, procedure)
            return RunTouch(run.id, run.started_at, run.ended_at, counts)
    return None


def health(settings: Settings, db: Database) -> Health:
    """The state of every procedure there is (a recipe file, or a switch on record)."""
    return _health(db, *loaded(settings))


def _health(db: Database, recipes: dict[str, Any], broken: dict[str, str]) -> Health:
    known = switches(db)
    checks = last_checks(db)
    runs = recent_runs(db)
    systems = {p: r.system for p, r in recipes.items()}
    stops = last_stops(runs, systems)
    states = []
    for p in sorted(set(recipes) | set(broken) | set(known)):
        recipe = recipes.get(p)
        system = recipe.system if recipe is not None else None
        error = broken.get(p) or (None if recipe is not None else NO_RECIPE_FILE)
        states.append(
            ProcedureState(
                procedure=p,
                title=recipe.title if recipe is not None else None,
                system=system,
                error=error,
                switch=known.get(p),
                last_check=checks.get(p),
                last_run=_last_run(db, runs, p),
                stop=stops.get(system) if system else None,
                recipe_file=recipe is not None or p in broken,
            )
        )
    return Health(states, stops, drift_events(runs))


# --- the national plan's 26, each with its state ------------------------------------

#: The group of the recipes of procedures outside the catalogue (予防接種 …).
OTHER = "その他"


@dataclass(frozen=True)
class Listed:
    """One line of the list: a procedure of the catalogue (or a recipe outside it, ``entry``
    None) with its state (``state`` None: no recipe file, never switched)."""

    procedure: str
    entry: CatalogueProcedure | None
    state: ProcedureState | None

    @property
    def recipe(self) -> Literal["ok", "error", "none"]:
        """あり（正常）/ あり（エラー）/ なし: a file that does not load is a recipe all the same."""
        if self.state is None or not self.state.recipe_file:
            return "none"
        return "ok" if self.state.error is None else "error"

    @property
    def title(self) -> str:
        """The recipe's title (what the runs' reports say), else the name staff use."""
        if self.state is not None and self.state.title:
            return self.state.title
        return self.entry.short if self.entry is not None else self.procedure

    @property
    def first_problem(self) -> str | None:
        """The first line of the loader's error: the whole list is ``renkei recipe check``'s."""
        if self.recipe != "error" or self.state is None or not self.state.error:
            return None
        lines = self.state.error.strip().splitlines()
        return lines[0] + ("…" if len(lines) > 1 else "")

    @property
    def moved(self) -> bool:
        """The recipe keys into another subsystem than the catalogue says (worth a look)."""
        system = self.state.system if self.state is not None else None
        return bool(self.entry and system and system != self.entry.subsystem)


@dataclass(frozen=True)
class Group:
    """A 分野 of the plan (子育て, 介護) in its order, or その他."""

    field: str
    procedures: list[Listed]

    @property
    def with_recipe(self) -> int:
        return sum(p.recipe != "none" for p in self.procedures)


@dataclass(frozen=True)
class Catalogued:
    """What ``renkei procedures`` and the レシピ・画面 page show: the 26 by 分野, then the
    recipes outside them, the stopped subsystems and the drift."""

    groups: list[Group]
    health: Health

    @property
    def planned(self) -> list[Listed]:
        return [p for g in self.groups if g.field != OTHER for p in g.procedures]

    def count_text(self) -> str:
        """``26 手続中 3 手続にレシピがあります`` (with how many of them do not load)."""
        planned = self.planned
        having = [p for p in planned if p.recipe != "none"]
        bad = sum(p.recipe == "error" for p in having)
        text = f"{len(planned)} 手続中 {len(having)} 手続にレシピがあります"
        return text + (f"（うち {bad} 手続のレシピにエラー）" if bad else "")


def catalogued(settings: Settings, db: Database) -> Catalogued:
    """Every procedure of the catalogue with its state, by 分野 in the plan's order, then
    the recipes (or switches) of procedures outside it under その他."""
    found = _health(db, *loaded(settings))
    states = {p.procedure: p for p in found.procedures}
    groups = [
        Group(field, [Listed(e.id, e, states.get(e.id)) for e in in_field(field)])
        for field in FIELDS
    ]
    others = [Listed(p, None, s) for p, s in states.items() if p not in BY_ID]
    if others:
        groups.append(Group(OTHER, others))
    return Catalogued(groups, found)
