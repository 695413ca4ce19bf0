"""The seams of renkei: small contracts, each implementation kept lean.

Three interfaces separate the stages of the one-way data flow (management DB → claim →
recipe → driver → core system → outcome → write-back):

* :class:`Driver` — works one core system's screens as a clerk would. One implementation
  per UI technology (``bots/drivers/``), opened by the :class:`DriverHost` of its kind
  (the browser of the web driver; the display and client of a desktop one). Elements
  arrive as logical :class:`~bots.screens.Element` objects; locating them, waiting for
  them and noticing drift is the driver's business, never the recipe's.
* :class:`WorkQueue` — hands out resolved applications under a lease and records their
  outcome (``bots/queue/``). Modelled on APScheduler 4's data stores: acquire with
  ``acquired_by``/``acquired_until``, release with an outcome, extend, reap abandoned.
* :class:`AuditSink` — observes every step for the auditors (``bots/audit/``). It must
  never see an unmasked personal or account number: callers pass values through
  :mod:`bots.masking` first, and the sink scrubs again.

The engine (``bots/engine/``) knows only these contracts and the neutral screen model
(:mod:`bots.screens`); the service layer (:mod:`bots.service`) hands it the concrete queue,
:class:`LicenceSlots`, driver hosts (by kind, :data:`HostFactory`) and audit trail
(:data:`TrailFactory`). ``lint-imports`` (pyproject ``[tool.importlinter]``) keeps it so:
this module imports nothing of renkei but the screen model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from bots.screens import Element, Screen, SelectorSet


class Status(StrEnum):
    """An application's status in the management system (DOMAIN.md, ③-4 ステータス管理).

    The values are stored; the labels are what staff read.
    """

    RECEIVED = "received"  # 受付
    IDENTIFIED = "identified"  # 申請者特定済
    RESOLVED = "resolved"  # 審査済・連携待ち: what the bot takes
    CLAIMED = "claimed"  # a runner holds it under a lease, nothing typed yet
    KEYING = "keying"  # the register button may have been pressed: verify before retrying
    KEYED = "keyed"  # 連携済, 受付番号 recorded
    NEEDS_REVIEW = "needs_review"  # 要確認: a person must act
    FAILED = "failed"  # 連携エラー: gave up after transient errors
    REJECTED = "rejected"  # 対象外: a person decided it is not to be keyed (取下げ等)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.RECEIVED: "受付",
    Status.IDENTIFIED: "申請者特定済",
    Status.RESOLVED: "連携待ち",
    Status.CLAIMED: "処理中",
    Status.KEYING: "登録処理中",
    Status.KEYED: "連携済",
    Status.NEEDS_REVIEW: "要確認",
    Status.FAILED: "連携エラー",
    Status.REJECTED: "対象外",
}


#: What :meth:`WorkQueue.remaining` counts, in the order staff read it, with their labels:
#: the applications the bot or a person still has to act on. 再試行待ち (``retry_wait``)
#: is 連携待ち whose retry time has not come (it failed and backs off).
REMAINING_LABELS = {
    "resolved": "連携待ち",
    "retry_wait": "再試行待ち",
    "claimed": "処理中",
    "keying": "登録処理中",
    "needs_review": "要確認",
    "failed": "連携エラー",
}


@dataclass(frozen=True)
class Application:
    """One resolved application as the bot received it from the management system."""

    id: str  # the business key in the management system
    procedure: str
    atena_no: str  # 宛名番号 of the applicant, set when staff identified them
    data: Mapping[str, Any]  # the form as received (JSON)
    received_at: datetime
    attempts: int = 0
    needs_verification: bool = False  # a previous attempt may have registered it


@dataclass(frozen=True)
class Claim:
    """An application held by one runner until ``acquired_until``."""

    application: Application
    attempt_id: int
    acquired_by: str
    acquired_until: datetime


class OutcomeKind(StrEnum):
    KEYED = "keyed"  # registered now; receipt_no set
    ALREADY_KEYED = "already_keyed"  # found in the core system; receipt_no set
    NEEDS_REVIEW = "needs_review"  # business error; reason set
    RETRY = "retry"  # transient error; back to the queue
    STOPPED = "stopped"  # the screen changed: back to the queue, the run stops
    # the run itself was stopped (Ctrl-C, SIGTERM) mid-application: back to the queue, and
    # not counted as one of the application's attempts (nothing is wrong with it)
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    receipt_no: str | None = None
    reason: str | None = None
    core_message: str | None = None
    retry_at: datetime | None = None
    #: Whether this attempt counts towards the application's attempt limit. False when the
    #: fault is the core system's as a whole (503 for the nightly batch, unreachable, all
    #: licences in use): a week of maintenance must not send the queue to 要確認.
    counts: bool = True


class WorkQueue(ABC):
    """Where applications wait, are claimed, and get their outcome written back."""

    @abstractmethod
    def claim(self, runner: str, *, procedure: str | None, lease: timedelta) -> Claim | None:
        """Take the application that waited longest (resolved, or due for retry), or None.

        Waited longest: since it was received, or — tried before — since its retry time;
        a failing application never stays first.

        The application is invisible to other runners until the lease expires. An
        application whose earlier attempt may have pressed register comes back with
        ``needs_verification`` set: the caller must look for it in the core system first.
        """

    @abstractmethod
    def mark_keying(self, claim: Claim) -> None:
        """Record, durably, that the register button is about to be pressed."""

    @abstractmethod
    def extend(self, claim: Claim, lease: timedelta) -> Claim:
        """Push the lease further; raises if the claim was lost to another runner."""

    @abstractmethod
    def release(self, claim: Claim, outcome: Outcome) -> Outcome:
        """Write the outcome back and end the attempt; returns the outcome as recorded.

        Every claim counts as an attempt: a RETRY or STOPPED at the attempt limit is
        recorded as NEEDS_REVIEW, with the history of the attempts as its reason.
        """

    @abstractmethod
    def reap(self, now: datetime | None = None) -> int:
        """Return applications with expired leases to the queue (or, their attempts used
        up, to 要確認); how many."""

    @abstractmethod
    def counts(self, procedure: str | None = None) -> dict[Status, int]:
        """Applications per status."""

    @abstractmethod
    def remaining(self, now: datetime | None = None) -> dict[str, dict[str, int]]:
        """What is left to do, per procedure: every key of :data:`REMAINING_LABELS` with
        its count (zeros included), for each procedure with anything left. One query: a
        run reads it once at its end, so its summary says what still waits (a second
        run's 要確認 0 must not hide the four a first run left)."""


class LicenceSlots(ABC):
    """At most ``limit`` logged-in sessions per core system, across every runner.

    A core system is licensed per concurrent session (同時接続ライセンス): a runner takes
    a slot before it logs in, pushes its lease on while it works and gives it back after it
    logged out. Implemented on the management database by
    :class:`bots.queue.slots.SessionSlots`, so runners on several machines share the count.
    """

    @abstractmethod
    def acquire(self, system: str, holder: str, lease: timedelta, limit: int) -> int | None:
        """Take a slot of ``system`` for ``holder`` until now + ``lease``: its number, or
        None when all ``limit`` are held by others (do not log in; try again later). A
        holder asking again gets the slot it holds, its lease renewed."""

    @abstractmethod
    def extend(self, system: str, slot: int, holder: str, lease: timedelta) -> datetime:
        """Push the lease to now + ``lease``; raises :class:`~bots.errors.LeaseLost` if the
        slot is no longer ``holder``'s."""

    @abstractmethod
    def release(self, system: str, slot: int, holder: str) -> bool:
        """Give the slot back; False (and no change) if it was not ``holder``'s."""

    @abstractmethod
    def holders(self, system: str, now: datetime | None = None) -> dict[int, str]:
        """Slots in use now (lease not ended), slot number → holder."""


@dataclass(frozen=True)
class Credentials:
    """The bot's clerk account on a core system (the password is protected in every output
    by the service layer before it gets here)."""

    user: str
    password: str


class Driver(ABC):
    """Works a core system's screens as a clerk would: one logged-in session at a time.

    Every method that takes an element waits for it (never a fixed sleep) and raises
    :class:`~bots.errors.SelectorNotFound` when no strategy finds it. A strategy other
    than the first that matches is recorded in :attr:`drift`.
    """

    drift: list[tuple[Element, int]]  # (element, index of the strategy that matched)
    interruptions: list[str]  # names of overlays (お知らせ) the driver closed

    @abstractmethod
    def use_screens(self, selectors: SelectorSet) -> None:
        """Work with another recipe's screens of the same system (one session per system):
        a procedure's selector file extends its subsystem's, so the logged-in session goes
        on serving the next recipe. Another system's screens are a ValueError."""

    @abstractmethod
    def ensure_session(self) -> None:
        """Be logged in and on a known screen; log in (again) when needed."""

    @abstractmethod
    def goto(self, screen: Screen) -> None:
        """Open a screen directly (the web: by its URL) and check it. A core system that
        has no such way (a desktop client: only its home screen, by going back) raises
        RecipeError for any other screen: its recipes click their way there."""

    @abstractmethod
    def expect_screen(self, screen: Screen) -> None:
        """Check that the current page is this screen (its marker is present)."""

    @abstractmethod
    def click(self, element: Element) -> None: ...

    @abstractmethod
    def fill(self, element: Element, value: str) -> None:
        """Type ``value`` into the field. What the field then shows is confirmed by
        :meth:`check_values`, once for all the fields a step typed."""

    @abstractmethod
    def check_values(self, typed: Sequence[tuple[Element, str]]) -> None:
        """Raise ScreenChanged for the first field that does not show exactly what was
        typed into it (a maxlength, a script that rewrites): nothing else is registered."""

    @abstractmethod
    def select(self, element: Element, option: str, *, by_value: bool = False) -> None:
        """Choose the option whose visible label is ``option`` (or, ``by_value``, whose
        value is). An option that is not there is a ScreenChanged naming it. A driver that
        cannot tell its options by label (a desktop code list, chosen by its code's key)
        refuses a label with a RecipeError naming the element: its recipes choose by value."""

    @abstractmethod
    def check(self, element: Element) -> None: ...

    @abstractmethod
    def read_text(self, element: Element) -> str: ...

    def read_texts(self, elements: Sequence[Element]) -> list[str]:
        """:meth:`read_text` of each element; a driver may read them all at once."""
        return [self.read_text(e) for e in elements]

    @abstractmethod
    def count(self, element: Element) -> int:
        """How many elements match now (no waiting beyond the page settling)."""

    @abstractmethod
    def read_rows(self, rows: Element, columns: Mapping[str, Element]) -> list[dict[str, str]]:
        """The text of each column element inside each row element."""

    @abstractmethod
    def submit(
        self, button: Element, confirm: str | None, success: Element, errors: Element | None
    ) -> list[str]:
        """Press the register button and wait for the outcome.

        A confirm dialog is accepted only if its text is ``confirm``. Returns ``[]`` when
        ``success`` appears, or the core system's rejection messages (the ``errors``
        element's texts, or alerts). Raises TransientError on 5xx or an expired session,
        ScreenChanged when the dialog is not the expected one.
        """

    @abstractmethod
    def popup(self, opener: Element, screen: Screen) -> AbstractContextManager[None]:
        """Click ``opener``, work in the pop-up window it opens (``screen``) inside the
        block, and wait for the window to close (a lookup's choice closes it)."""

    @abstractmethod
    def take_alerts(self) -> list[str]:
        """Alert texts seen since the last call (legacy systems report errors that way)."""

    @abstractmethod
    def screenshot(self, path: Path, mask: Sequence[Element]) -> Path:
        """Save the viewport to ``path`` with the masked elements blacked out."""

    @abstractmethod
    def close(self) -> None: ...


class DriverHost(ABC):
    """What the drivers of one kind share during a run, and its lifetime.

    For the web, the Chromium every subsystem's browser context lives in; for a desktop
    client, the display session and the client process. The run creates a host on first
    need (:data:`HostFactory`), opens one driver per subsystem from it, asks whether a
    driver (:meth:`alive`) or the host itself (:meth:`healthy`) survived a crash, and
    closes it with the run: a host that died is closed and replaced for the next
    application, so one crash never fails the rest of the run.
    """

    @abstractmethod
    def open(self, selectors: SelectorSet, credentials: Credentials) -> Driver:
        """A new driver on the subsystem of ``selectors``, not yet logged in."""

    @abstractmethod
    def alive(self, driver: Driver) -> bool:
        """Whether ``driver`` (opened here) still answers: a crashed tab or window does not."""

    @abstractmethod
    def healthy(self) -> bool:
        """Whether the host itself still works (the browser still connected)."""

    @abstractmethod
    def close(self) -> None:
        """Stop what the host started; its drivers are closed before (or by) this."""


#: A new :class:`DriverHost` of one kind for a run, given the run's audit sink (a host
#: records how it started: Chromium's sandbox, for one). The service layer hands the engine
#: one per kind it can drive (``{"web": …}``; :mod:`bots.drivers.registry`).
HostFactory = Callable[["AuditSink | None"], DriverHost]


@dataclass
class AuditEvent:
    """One line of the audit trail; values already masked by the caller."""

    step: str
    outcome: str
    application: str | None = None
    element: str | None = None
    value: Any = None
    duration_ms: float | None = None
    screenshot: Path | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AuditSink(ABC):
    """Receives every step of a run for the audit log."""

    @abstractmethod
    def emit(self, event: AuditEvent) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    def last_hash(self) -> str | None:
        """The hash of the last line, for a sink that chains its lines (the audit trail):
        the run keeps it outside the file, so cutting lines off the end is detected."""
        return None


#: The audit sink of one run: ``(path, run_id, runner)`` → a sink writing to ``path``
#: (:class:`bots.audit.trail.AuditTrail` with the queue's anchors, in the service layer).
TrailFactory = Callable[[Path, str, str], AuditSink]
