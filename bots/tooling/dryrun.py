"""``renkei recipe try``: a dry run of one application, which changes nothing.

It logs in, fills every screen of the procedure's recipe with the application's values,
takes the recipe's screenshots and stops where 登録 would be pressed — the runtime's
``before_register`` hook with ``dry_run`` (:class:`~bots.engine.runtime.
StoppedBeforeRegister`), so no step after 登録 runs. What it leaves alone, and how:

* the core system: 登録 is never pressed; an entry form left open stores nothing;
* the management database: the application is read, never claimed — no status change,
  no attempt, no lease, no receipt, no ``keying`` mark, no run row. A runner may claim the
  same application meanwhile; that is harmless, because the dry run never registers;
* the run's audit chain: the dry run writes its own log (``try.jsonl``, masked like the
  audit log) beside its screenshots, under ``<RENKEI_OUT>/tries/``, outside every run.

The application's data is checked by the procedure's schema first, as a run would; a
problem is reported (masked) and nothing is opened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bots.config import Settings
from bots.contracts import Application, AuditEvent, AuditSink, Driver
from bots.engine.evidence import inside, safe_path_part
from bots.engine.executors import run_step
from bots.engine.runtime import AppRuntime, StoppedBeforeRegister, keyed_labels
from bots.engine.values import check_application, compute_values
from bots.errors import (
    BusinessError,
    CoreUnavailable,
    LoginFailed,
    RenkeiError,
    ScreenChanged,
    TransientError,
)
from bots.masking import scrub_text
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import Recipe
from bots.results import Evidence, KeyedValue
from bots.steps.registry import Step
from bots.tooling.session import driver_for

#: Called after logging in (step None) and after every step with the driver and the step
#: (the probe looks at the screens then).
Observer = Callable[[Driver, Step | None], None]


class TryRefused(RenkeiError):
    """The dry run cannot start: no such application, or one of another procedure."""


@dataclass
class TryReport:
    """What a dry run did, as ``renkei recipe try`` prints it (every value masked)."""

    procedure: str
    application_id: str
    folder: Path
    screens: list[str] = field(default_factory=list)  # in the order first met
    keyed: list[KeyedValue] = field(default_factory=list)
    screenshots: list[Evidence] = field(default_factory=list)
    stopped_before_register: bool = False
    existing_receipt: str | None = None  # the inquiry found it keyed already
    problem: str | None = None  # why it ended before 登録
    problem_kind: str | None = None  # "data", "screen", "transient", "existing", …
    failed_element: str | None = None  # ``screen.element`` of a screen change


class _TryLog(AuditSink):
    """The dry run's own log: the runtime's events, kept for the report and written as
    JSON lines (values masked by the runtime, texts scrubbed) beside the screenshots."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: list[AuditEvent] = []

    def emit(self, event: AuditEvent) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", encoding="utf-8") as out:
            for e in self.events:
                line = {
                    "step": e.step,
                    "outcome": e.outcome,
                    "element": e.element,
                    "value": e.value,
                    "detail": scrub_text(e.detail) if e.detail else None,
                    "screenshot": str(e.screenshot) if e.screenshot else None,
                }
                out.write(scrub_text(json.dumps(line, ensure_ascii=False, default=str)) + "\n")

    def screens(self) -> list[str]:
        """The screens the steps worked on, in the order first met."""
        seen: list[str] = []
        for e in self.events:
            name = e.element.partition(".")[0] if e.element else None
            if name is None and e.step in ("goto", "expect_screen"):
                name = e.detail
            if name and name not in seen:
                seen.append(name)
        return seen


def _row(db: Database, app_id: str) -> ApplicationRow:
    with db.session() as s:
        row = s.execute(select(ApplicationRow).where(ApplicationRow.id == app_id)).scalar()
        if row is None:
            raise TryRefused(f"申請 {app_id} は管理データベースにありません")
        s.expunge(row)
        return row


def application_procedure(db: Database, app_id: str) -> str:
    """The procedure of an application (the probe picks the recipe to walk by it)."""
    return _row(db, app_id).procedure


def load_application(db: Database, app_id: str, procedure: str) -> Application:
    """The application as the bot would receive it, read without claiming it."""
    row = _row(db, app_id)
    if row.procedure != procedure:
        raise TryRefused(
            f"申請 {app_id} は手続 {row.procedure} の申請です（{procedure} ではありません）"
        )
    return Application(
        id=row.id,
        procedure=row.procedure,
        atena_no=row.atena_no,
        data=row.data,
        received_at=row.received_at,
        attempts=row.attempts,
        needs_verification=bool(row.needs_verification),
    )


def try_folder(settings: Settings, app_id: str) -> Path:
    """``<RENKEI_OUT>/tries/<UTC time>-<application>``: one folder per dry run."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return inside(settings.out_root, "tries", f"{stamp}-{safe_path_part(app_id)}")


def dry_run(
    settings: Settings,
    recipe: Recipe,
    app_id: str,
    *,
    db: Database | None = None,
    observe: Observer | None = None,
) -> TryReport:
    """Key ``app_id`` into the core system up to 登録, and stop; see the module doc.

    Starts its own Playwright: call it in a thread that holds none.
    """
    app = load_application(db or Database(settings.db_url), app_id, recipe.procedure)
    folder = try_folder(settings, app_id)
    report = TryReport(recipe.procedure, app_id, folder)
    log = _TryLog(folder / "try.jsonl")
    try:
        checked = check_application(recipe, app)
        values = compute_values(recipe, app, checked)
    except BusinessError as exc:
        report.problem, report.problem_kind = exc.reason, "data"
        log.close()
        return report
    try:
        _try_on_screens(settings, recipe, app.id, values, folder, log, observe, report)
    except CoreUnavailable as exc:  # every licence in use: nothing was opened
        report.problem, report.problem_kind = str(exc), "transient"
        log.close()
    return report


def _try_on_screens(
    settings: Settings,
    recipe: Recipe,
    app_id: str,
    values: dict[str, Any],
    folder: Path,
    log: _TryLog,
    observe: Observer | None,
    report: TryReport,
) -> None:
    sensitive = {str(values.get(n)) for n in recipe.sensitive_fields if values.get(n)}
    with driver_for(settings, recipe.selectors) as driver:
        rt = AppRuntime(
            driver=driver,
            selectors=recipe.selectors,
            values=values,
            sensitive_values=sensitive,
            audit=log,
            application_id=app_id,
            evidence_dir=folder,
            on_register=_never,
            labels=keyed_labels(recipe),
            dry_run=True,
        )
        try:
            _walk(recipe, rt, driver, observe, report)
        except StoppedBeforeRegister:
            report.stopped_before_register = True
        except (ScreenChanged, LoginFailed, BusinessError, TransientError) as exc:
            _ended(report, exc, rt)
        finally:
            log.close()
    report.screens, report.keyed, report.screenshots = log.screens(), rt.keyed, rt.evidence


def _walk(
    recipe: Recipe,
    rt: AppRuntime,
    driver: Driver,
    observe: Observer | None,
    report: TryReport,
) -> None:
    """The engine's order: log in, look the application up (read-only), then the steps."""
    driver.ensure_session()
    if observe is not None:
        observe(driver, None)
    if recipe.already_keyed:
        _steps(recipe.already_keyed, rt, driver, observe)
        rt.keyed.clear()  # the 照会 search typed nothing into the application's record
    if rt.existing_receipt:
        report.existing_receipt = rt.existing_receipt
        report.problem = f"基幹システムに登録済みです（受付番号 {rt.existing_receipt}）"
        report.problem_kind = "existing"
        return
    _steps(recipe.steps, rt, driver, observe)
    # A recipe without a register step does not load; reaching here means it was skipped
    # (an ``if`` around it): say so rather than claim a stop that did not happen.
    report.problem = "登録の手順まで進みませんでした（条件により登録されない申請です）"
    report.problem_kind = "no_register"


def _steps(steps: list[Step], rt: AppRuntime, driver: Driver, observe: Observer | None) -> None:
    for step in steps:
        try:
            run_step(step, rt)
        finally:
            if observe is not None:
                observe(driver, step)  # also after a failed step: the screen it failed on


def _ended(report: TryReport, exc: RenkeiError, rt: AppRuntime) -> None:
    """Why the dry run ended before 登録, with a screenshot of that screen (masked)."""
    report.problem = exc.reason if isinstance(exc, BusinessError) else str(exc)
    if isinstance(exc, ScreenChanged):
        report.failed_element = f"{exc.screen}.{exc.element}"
    report.problem_kind = (
        "data"
        if isinstance(exc, BusinessError)
        else "transient"
        if isinstance(exc, TransientError)
        else "screen"
    )
    with suppress(RenkeiError):  # the browser is gone: the report says why all the same
        rt.screenshot("stopped" if report.problem_kind == "screen" else "needs_review", None)


def _never() -> None:  # pragma: no cover - the dry run raises before calling it
    raise AssertionError("a dry run never reaches the engine's register hook")
