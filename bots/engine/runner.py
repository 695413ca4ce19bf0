"""The engine: claim, key, write back — one application at a time, with evidence.

Lifetimes are explicit and nested in one exit stack: one driver host per kind of screens
per run (Chromium for the web, started only when there is work), one logged-in driver per
core-system subsystem (a clerk logs in once, then keys many), and every application starts
from a known screen. The engine knows the concrete parts only by their contracts
(:mod:`bots.contracts`): the service layer hands in the queue, the licence slots, the
driver hosts by kind and the audit trail (:func:`bots.service.new_engine`). A recipe whose
selector file is of a kind no driver is registered for stops its subsystem before anything
is claimed, naming the file.

Errors become outcomes here and nowhere else:

==========================  ==================================================
:class:`InvalidApplication`  ``needs_review`` before the browser is touched
:class:`BusinessError`       ``needs_review`` with the reason (and core message)
:class:`TransientError`      retried with back-off, then back to the queue
:class:`ScreenChanged`       application back to the queue, subsystem stopped
any other ``Exception``      a retry, logged with its traceback and audited
                             (``unexpected_error``); the subsystem's driver (and
                             the browser, if it died) is replaced; the run goes on
an interrupt                 application back to the queue uncounted; the run stops
==========================  ==================================================

Every claim counts as one of the application's attempts, and a retry or a stop pushes
its next claim back (``retry_delay``: ``retry_later`` doubled after each attempt, at most
``retry_later_max``); the queue sends one that used up its attempts to 要確認 with their
history, so no application can hold up the queue.

Before typing, an application that may already be in the core system is looked up there
(the recipe's ``already_keyed`` steps): a crash or retry after the register button can never
key it twice, because the second attempt finds the first. "May already be" is known, not
guessed: the register button is only ever pressed after ``keying`` is durably recorded,
and that mark (``needs_verification``) stays until the application is 連携済 — so a first
attempt, which provably never reached the button, skips the 照会 round trip. After
restoring the management database from a backup, set ``verify_always`` (``RENKEI_VERIFY=
always``): the marks of the lost period are gone with it.

A core system without an inquiry screen (``already_keyed: none``) cannot answer "is it
there?": an application that may have been registered (marked, pressed in this claim, or
every one under ``verify_always``) is then never keyed again automatically. It goes to 要確認
with a reason telling the clerk what to check; their 再実行 is the answer. One whose system
gives no 受付番号 (``receipt: none``) is 連携済 without one (:data:`NO_RECEIPT`).
"""

from __future__ import annotations

import getpass
import os
import socket
import traceback
import uuid
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from loguru import logger
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bots.clock import utcnow
from bots.contracts import (
    Application,
    AuditEvent,
    AuditSink,
    Claim,
    Credentials,
    Driver,
    HostFactory,
    LicenceSlots,
    Outcome,
    OutcomeKind,
    TrailFactory,
    WorkQueue,
)
from bots.engine.evidence import try_dir
from bots.engine.executors import run_steps
from bots.engine.runtime import AppRuntime, ItemLabels, keyed_labels
from bots.engine.systems import Systems, no_driver
from bots.engine.values import check_application, compute_values
from bots.errors import (
    AuditWriteFailed,
    BusinessError,
    CoreUnavailable,
    LeaseLost,
    LoginFailed,
    RenkeiError,
    ScreenChanged,
    TransientError,
)
from bots.masking import scrub_text
from bots.recipe.model import Recipe
from bots.results import Drift, Evidence, ItemResult, KeyedValue, RunResult, try_label
from bots.schema import CheckedApplication

#: The reason recorded with a keyed application whose core system gives no 受付番号.
NO_RECEIPT = "受付番号なし（この基幹システムは受付番号を付けません）"
#: Why an application that may have been registered is not keyed again on a system without
#: an inquiry screen, by what makes it possible (the clerk's next step follows, UNVERIFIABLE).
MAY_BE_KEYED = {
    "marked": "前回の処理で登録ボタンを押した可能性があります。",
    "pressed": "今回の処理で登録ボタンを押した後にエラーが起きたため、登録された可能性があります。",
    "verify_always": "全件確認（RENKEI_VERIFY=always: 管理データベースの復元後など）のため、"
    "登録済みの可能性があります。",
}
UNVERIFIABLE = (
    "基幹システムには照会画面がないため、二重登録を防ぐため自動では再登録しません。"
    "基幹システムで登録済みか確認し、登録済みなら『手入力済』（renkei review done）、"
    "未登録なら『再実行』（renkei review retry）してください"
)


@dataclass
class EngineSettings:
    """How a run reaches the core system and where it keeps its evidence."""

    core_url: str
    credentials: Credentials
    out_root: Path
    chromium: str = "/usr/bin/chromium"
    headless: bool = True
    lease: timedelta = timedelta(minutes=5)
    transient_tries: int = 3
    retry_later: timedelta = timedelta(minutes=10)  # back-off after an application's 1st attempt
    retry_later_max: timedelta = timedelta(hours=4)  # ... doubled after each, at most this
    timeout_ms: float = 10_000
    backoff_max_s: float = 8.0
    session_limit: int | None = None  # licences: simultaneous core sessions, all runners
    session_wait_s: float = 60.0
    verify_always: bool = False  # look every application up first, not only marked ones


@dataclass
class _Attempt:
    """One application's claim as it goes: the lease renewed, the runtime of the last try."""

    claim: Claim
    verify: bool  # look it up in the core system before typing
    pressed: bool = False  # this claim reached 登録 (a retry of it must not key blindly)
    runtime: AppRuntime | None = None
    evidence: list[Evidence] = field(default_factory=list)  # every try's screenshots

    @property
    def keyed(self) -> list[KeyedValue]:
        """The values the last try typed (masked): what the report shows."""
        return list(self.runtime.keyed) if self.runtime else []


def runner_name(pid: int | None = None) -> str:
    """Who runs: ``user@host:pid`` — the OS account and machine auditors ask for, and the
    process, by which :func:`bots.queue.sql.holder_is_dead` finds a killed runner of this
    machine (``pid``: another process's name, e.g. a child this one started)."""
    return f"{getpass.getuser()}@{socket.gethostname()}:{os.getpid() if pid is None else pid}"


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def retry_delay(base: timedelta, attempts: int, cap: timedelta) -> timedelta:
    """Back-off of an application: ``base`` after its first attempt, doubled after each
    further one, at most ``cap`` — so a failing application waits longer and longer."""
    return min(base * 2 ** min(max(attempts - 1, 0), 32), cap)


class Engine:
    """Runs recipes over the queue. One instance per run.

    The concrete parts are handed in (:func:`bots.service.new_engine` builds them from
    the installation's settings): the queue, the licence ``slots`` (with
    ``settings.session_limit``), a driver host factory per kind of selector file
    (``hosts``), and the audit ``trail`` factory that opens the run's audit log.
    """

    def __init__(
        self,
        recipes: dict[str, Recipe],
        queue: WorkQueue,
        settings: EngineSettings,
        *,
        hosts: Mapping[str, HostFactory],
        trail: TrailFactory,
        run_id: str | None = None,
        runner: str | None = None,
        slots: LicenceSlots | None = None,
    ) -> None:
        self.recipes = recipes
        self.queue = queue
        self.settings = settings
        self.hosts = hosts
        self.trail = trail
        self.run_id = run_id or new_run_id()
        self.runner = runner or runner_name()
        self.slots = slots  # licence slots, with settings.session_limit
        # what staff call each element a recipe types into, worked out once per recipe
        self._labels: dict[str, ItemLabels] = {p: keyed_labels(r) for p, r in recipes.items()}

    def run(
        self,
        procedure: str | None = None,
        *,
        limit: int | None = None,
        on_item: Callable[[ItemResult], None] | None = None,
        gate: Callable[[str], str | None] | None = None,
    ) -> RunResult:
        """Key every claimable application (of ``procedure``, or of every recipe).

        ``gate(system)`` is asked before each claim (e.g. the core system's online window):
        a reason stops claiming for that subsystem, recorded in ``result.paused``. Only
        claiming stops: every application taken so far has its outcome already.
        """
        out_dir = self.settings.out_root / self.run_id
        result = RunResult(
            self.run_id, self.runner, procedure, datetime.now().astimezone(), out_dir
        )
        result.titles = {p: r.title for p, r in self.recipes.items()}
        recipes = [self.recipes[procedure]] if procedure else list(self.recipes.values())
        audit = self.trail(result.audit_path, self.run_id, self.runner)
        audit.emit(AuditEvent(step="run_start", outcome="ok", detail=procedure or "all"))
        done = 0
        try:
            with ExitStack() as stack:
                systems = Systems(
                    stack, self.settings, self.runner, self.slots, self.hosts, audit=audit
                )
                for recipe in recipes:
                    unknown = no_driver(recipe, self.hosts)
                    if unknown is not None:  # before claiming: nothing is held for it
                        logger.error("{}: 停止しました: {}", recipe.system, unknown)
                        result.stopped[recipe.system] = str(unknown)
                        continue
                    try:  # a licence before claiming: never hold an application while waiting
                        systems.licence(recipe.system)
                    except CoreUnavailable as exc:
                        result.paused[recipe.system] = str(exc)
                        continue
                    while (
                        (limit is None or done < limit)
                        and recipe.system not in result.stopped
                        and recipe.system not in result.paused
                    ):
                        closed = gate(recipe.system) if gate else None
                        if closed is not None:
                            result.paused[recipe.system] = closed
                            audit.emit(AuditEvent(step="gate", outcome="paused", detail=closed))
                            break
                        claim = self.queue.claim(
                            self.runner, procedure=recipe.procedure, lease=self.settings.lease
                        )
                        if claim is None:
                            break
                        item = self._process(claim, recipe, systems, audit, result)
                        result.items.append(item)
                        done += 1
                        if on_item:
                            on_item(item)
        finally:
            result.ended_at = datetime.now().astimezone()
            try:
                audit.emit(
                    AuditEvent(
                        step="run_end",
                        outcome="stopped" if result.stopped else "ok",
                        detail=str(dict(result.counts)),
                        extra={"stopped": result.stopped},
                    )
                )
            finally:
                audit.close()  # fsync and the final anchor; raises if the log is unwritable
                result.audit_last_hash = audit.last_hash
        # what still waits, after this run (one query): its own counts alone would say
        # 要確認 0 while earlier runs left some
        result.queue = self.queue.remaining()
        return result

    # -- one application --------------------------------------------------------------

    def _process(
        self, claim: Claim, recipe: Recipe, systems: Systems, audit: AuditSink, result: RunResult
    ) -> ItemResult:
        app = claim.application
        started = datetime.now().astimezone()
        # Look it up before typing when a previous attempt (of this claim or an earlier one)
        # may have pressed 登録; see the module docstring.
        attempt = _Attempt(claim, app.needs_verification or self.settings.verify_always)
        settled = False  # an outcome is known, or the application was given up (lease lost)
        try:
            try:
                audit.emit(  # inside the try: an unwritable log still releases the claim
                    AuditEvent(
                        step="claim",
                        outcome="ok",
                        application=app.id,
                        detail=f"attempt {app.attempts}",
                        extra={
                            "verify_first": app.needs_verification,
                            "attempt_id": claim.attempt_id,
                        },
                    )
                )
                outcome = self._attempt(attempt, recipe, systems, audit, result)
            except LeaseLost as exc:
                # Another runner took the application over (our lease ran out): it will look it
                # up in the core system before typing; we must not touch it any more.
                audit.emit(
                    AuditEvent(
                        step="lease_lost", outcome="abandoned", application=app.id, detail=str(exc)
                    )
                )
                settled = True
                return ItemResult(
                    app.id,
                    recipe.procedure,
                    OutcomeKind.STOPPED,
                    started,
                    datetime.now().astimezone(),
                    reason="処理権（リース）を失ったため中断しました（他の実行者が確認して処理します）",
                    atena_no=app.atena_no,
                )
            except AuditWriteFailed:  # no evidence, no keying: the run ends (released below)
                raise
            except Exception as exc:  # renkei's errors, and any other: this application's outcome
                outcome = self._failed(exc, attempt, recipe, systems, audit, result)
            settled = True
        finally:
            if not settled:
                # An interrupt (Ctrl-C, SIGTERM as KeyboardInterrupt/SystemExit): put the
                # application back (verified before any typing next time), not counted as
                # one of its attempts; the interrupt goes on and stops the run.
                interrupted = Outcome(OutcomeKind.INTERRUPTED, reason="実行が中断されました")
                self._release(attempt.claim, interrupted, audit)
        self._drift(recipe, systems, result, audit)
        written = self._release(attempt.claim, outcome, audit)
        return ItemResult(
            app.id,
            recipe.procedure,
            written.kind,
            started,
            datetime.now().astimezone(),
            receipt_no=written.receipt_no,
            reason=_reason(written),
            evidence=list(attempt.evidence),
            attempts=app.attempts,
            atena_no=app.atena_no,
            keyed=attempt.keyed,
        )

    def _attempt(
        self,
        attempt: _Attempt,
        recipe: Recipe,
        systems: Systems,
        audit: AuditSink,
        result: RunResult,
    ) -> Outcome:
        """Check, then key one application, retrying transient errors inside the claim."""
        app = attempt.claim.application
        unverifiable = self._unverifiable(attempt, recipe, audit)
        if unverifiable:  # before the data check: whether it is registered comes first
            return unverifiable
        checked = check_application(recipe, app)
        _audit_checked(audit, app.id, checked)
        values = compute_values(recipe, app, checked)
        sensitive = {str(values.get(n)) for n in recipe.sensitive_fields if values.get(n)}
        for retrying in Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.settings.transient_tries),
            wait=wait_exponential(multiplier=0.5, max=self.settings.backoff_max_s),
            reraise=True,
        ):
            with retrying:
                if retrying.retry_state.attempt_number > 1:
                    systems.heal(recipe.system)  # a dead tab or browser: a new one
                attempt.claim = self.queue.extend(attempt.claim, self.settings.lease)
                unverifiable = self._unverifiable(attempt, recipe, audit)
                if unverifiable:  # a try of this claim pressed 登録, and nothing can look
                    return unverifiable
                driver = systems.driver_for(recipe)

                def before_register(c: Claim = attempt.claim) -> None:
                    self._before_register(c)
                    attempt.verify = attempt.pressed = True  # a retry of this claim must look

                try_no = retrying.retry_state.attempt_number  # each try its own folder
                attempt.runtime = AppRuntime(
                    driver=driver,
                    selectors=recipe.selectors,
                    values=values,
                    sensitive_values=sensitive,
                    audit=audit,
                    application_id=app.id,
                    evidence_dir=try_dir(
                        result.screenshots_dir, app.id, attempt.claim.attempt_id, try_no
                    ),
                    on_register=before_register,
                    evidence=attempt.evidence,
                    attempt_label=try_label(attempt.claim.attempt_id, try_no),
                    run_id=self.run_id,
                    labels=self._labels.get(recipe.procedure),
                )
                return self._key(recipe, attempt.runtime, driver, verify=attempt.verify)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _unverifiable(self, attempt: _Attempt, recipe: Recipe, audit: AuditSink) -> Outcome | None:
        """要確認 for an application that may be in a core system without an inquiry
        screen: nothing can tell whether it is there, so a person decides (module doc)."""
        if recipe.inquiry or not attempt.verify:
            return None
        app = attempt.claim.application
        why = "pressed" if attempt.pressed else "marked" if app.needs_verification else None
        reason = MAY_BE_KEYED[why or "verify_always"] + UNVERIFIABLE
        audit.emit(
            AuditEvent(
                step="already_keyed",
                outcome="unverifiable",
                application=app.id,
                detail=f"{recipe.system}: 照会画面なし（already_keyed: none）のため確認できません",
            )
        )
        return Outcome(OutcomeKind.NEEDS_REVIEW, reason=reason)

    def _retry_at(self, attempts: int) -> datetime:
        s = self.settings
        return utcnow() + retry_delay(s.retry_later, attempts, s.retry_later_max)

    def _failed(
        self,
        exc: Exception,
        attempt: _Attempt,
        recipe: Recipe,
        systems: Systems,
        audit: AuditSink,
        result: RunResult,
    ) -> Outcome:
        """The outcome an error means for the application (the table in the module doc)."""
        app = attempt.claim.application
        if isinstance(exc, BusinessError):
            self._error_evidence(attempt.runtime, "needs_review")
            return Outcome(
                OutcomeKind.NEEDS_REVIEW, reason=exc.reason, core_message=exc.core_message
            )
        if isinstance(exc, TransientError):
            unavailable = isinstance(exc, CoreUnavailable)  # the system's fault, not the app's
            if unavailable:
                result.paused[recipe.system] = str(exc)
            systems.heal(recipe.system)
            return Outcome(
                OutcomeKind.RETRY,
                reason=f"一時的なエラー: {exc}",
                retry_at=self._retry_at(app.attempts),
                counts=not unavailable,
            )
        if isinstance(exc, ScreenChanged | LoginFailed):
            self._error_evidence(attempt.runtime, "stopped")
            result.stopped[recipe.system] = str(exc)
            logger.error("{}: 停止しました: {}", recipe.system, exc)
            return Outcome(
                OutcomeKind.STOPPED, reason=str(exc), retry_at=self._retry_at(app.attempts)
            )
        return self._unexpected(exc, app, recipe, systems, audit)

    def _unexpected(
        self, exc: Exception, app: Application, recipe: Recipe, systems: Systems, audit: AuditSink
    ) -> Outcome:
        """A bug or a broken browser: logged with its traceback, audited, the subsystem's
        driver replaced, and a counted retry for the application — the run goes on."""
        app_id, name = app.id, type(exc).__name__
        message = scrub_text(str(exc).strip().splitlines()[0] if str(exc).strip() else "")[:200]
        trace = scrub_text("".join(traceback.format_exception(exc)))  # no values: not diagnose
        logger.error(
            "{}: 申請 {} の処理中に予期しないエラー（{}）: {}\n{}",
            recipe.system,
            app_id,
            name,
            message,
            trace,
        )
        audit.emit(
            AuditEvent(
                step="unexpected_error",
                outcome=OutcomeKind.RETRY.value,
                application=app_id,
                detail=f"{name}: {message}",
            )
        )
        systems.discard(recipe.system)
        return Outcome(
            OutcomeKind.RETRY,
            reason=f"予期しないエラー（{name}: {message}）のため再試行します",
            retry_at=self._retry_at(app.attempts),
        )

    def _before_register(self, claim: Claim) -> None:
        """Durably record ``keying`` with a fresh lease, or raise LeaseLost: never press
        register for an application another runner may be handling."""
        self.queue.mark_keying(self.queue.extend(claim, self.settings.lease))

    def _key(self, recipe: Recipe, rt: AppRuntime, driver: Driver, *, verify: bool) -> Outcome:
        driver.ensure_session()
        if verify:
            run_steps(recipe.already_keyed, rt)
            rt.keyed.clear()  # the 照会 search typed nothing into the application's record
        if rt.existing_receipt is not None:  # found, even with an empty 受付番号 cell
            return Outcome(
                OutcomeKind.ALREADY_KEYED,
                receipt_no=rt.existing_receipt or None,
                reason="基幹システムに登録済みであることを確認しました（二重登録を防止）",
            )
        run_steps(recipe.steps, rt)
        if not recipe.gives_receipt:  # receipt: none — 連携済, and the record says why
            return Outcome(OutcomeKind.KEYED, reason=NO_RECEIPT)
        receipt = rt.scope.get("receipt_no")
        if not receipt:
            raise ScreenChanged(recipe.system, "receipt_no", "受付番号を読み取れませんでした")
        return Outcome(OutcomeKind.KEYED, receipt_no=str(receipt))

    def _error_evidence(self, rt: AppRuntime | None, label: str) -> None:
        """A screenshot of the screen where things went wrong, when there is one."""
        if rt is None:
            return
        try:
            rt.screenshot(label, None)
        except RenkeiError as exc:
            logger.warning("エラー時の画面を保存できませんでした: {}", exc)

    def _drift(self, recipe: Recipe, systems: Systems, result: RunResult, audit: AuditSink) -> None:
        driver = systems.drivers.get(recipe.system)
        if driver is None:
            return
        known = {(d.system, d.element) for d in result.drift}
        for element, index in driver.drift:
            if (recipe.system, element.qualified) in known:
                continue
            known.add((recipe.system, element.qualified))
            drift = Drift(
                recipe.system,
                element.qualified,
                element.strategies[index].describe(),
                element.strategies[0].describe(),
            )
            result.drift.append(drift)
            audit.emit(
                AuditEvent(
                    step="drift",
                    outcome="warning",
                    element=element.qualified,
                    detail=f"{drift.first_strategy} が一致せず {drift.strategy} で検出",
                )
            )
        driver.drift.clear()
        for name in driver.interruptions:
            audit.emit(
                AuditEvent(
                    step="interrupt",
                    outcome="closed",
                    element=name,
                    detail=f"{recipe.system}: 割り込み画面（{name}）を閉じました",
                )
            )
        driver.interruptions.clear()

    def _release(self, claim: Claim, outcome: Outcome, audit: AuditSink) -> Outcome:
        """Write the outcome back; returns it as recorded (the attempt limit may make a
        retry 要確認), or as meant when the lease was lost (nothing was written)."""
        try:
            written = self.queue.release(claim, outcome)
        except LeaseLost as exc:
            logger.error("{}", exc)
            audit.emit(
                AuditEvent(
                    step="release",
                    outcome="lease_lost",
                    application=claim.application.id,
                    detail=str(exc),
                )
            )
            return outcome
        audit.emit(
            AuditEvent(
                step="outcome",
                outcome=written.kind.value,
                application=claim.application.id,
                detail=_reason(written),
                extra={"receipt_no": written.receipt_no},
            )
        )
        return written


def _audit_checked(audit: AuditSink, app_id: str, checked: CheckedApplication) -> None:
    """Every value a named transform changed (original and new, masked where sensitive),
    and the items the schema does not know: what the bot did to the data is on record."""
    for n in checked.normalised:
        audit.emit(
            AuditEvent(
                step="normalize",
                outcome="ok",
                application=app_id,
                element=n.path,
                value={"original": n.original, "normalized": n.value},
                detail=f"{n.label}: {'・'.join(n.transforms)}",
            )
        )
    if checked.unknown:
        audit.emit(
            AuditEvent(
                step="unknown_items",
                outcome="warning",
                application=app_id,
                detail="申請項目の定義にない項目: " + "、".join(checked.unknown),
            )
        )


def _reason(outcome: Outcome) -> str | None:
    if outcome.core_message:
        return f"{outcome.reason}（基幹システムのメッセージ: {outcome.core_message}）"
    return outcome.reason
