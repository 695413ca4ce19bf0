"""Run results as data: reports, summaries and the CLI are rendered from these.

A neutral module: the engine fills them in, and the audit report, the CLI, the console and
the service layer read them, without any of those importing the engine. How a try and a
screenshot are named to people (:func:`try_caption`, :func:`shot_caption`) and the hash
of a screenshot (:func:`sha256_file`) belong to the evidence described here.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bots.contracts import OutcomeKind


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file (a screenshot's, as the audit trail records it)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def try_label(attempt_id: int, try_no: int) -> str:
    """The folder of one try: ``attempt-0012-try-2`` (sorts in order in a file browser)."""
    return f"attempt-{attempt_id:04d}-try-{try_no}"


def try_caption(label: str) -> str:
    """What the report shows for a try folder: ``試行 12・2回目`` for ``attempt-0012-try-2``."""
    match = re.fullmatch(r"attempt-(\d+)-try-(\d+)", label)
    return f"試行 {int(match[1])}・{match[2]}回目" if match else label


#: What people read for a screenshot label (the file keeps the label: ``01_before_register``).
SHOT_CAPTIONS = {
    "before_register": "登録前",
    "result": "登録結果",
    "needs_review": "要確認となった画面",
    "stopped": "停止した画面",
}


def shot_caption(label: str) -> str:
    """The Japanese caption of a screenshot label; a recipe's own label is named as it is."""
    return SHOT_CAPTIONS.get(label, f"画面記録（{label}）")


@dataclass(frozen=True)
class Evidence:
    """A screenshot kept for the auditors, with its hash and the try it belongs to.

    ``attempt`` names the try (``attempt-0012-try-2``, the folder it is in): an
    application retried inside one claim keeps the screenshots of every try.
    """

    label: str
    path: Path
    sha256: str
    attempt: str = ""


@dataclass(frozen=True)
class KeyedValue:
    """One value the bot typed or chose on a core-system screen, as the report shows it.

    ``value`` is already masked (``****``) where the selector or the recipe marks it
    sensitive: it is taken from what the runtime records, never from the raw data.
    """

    label: str  # what staff call the item: the recipe's field label (児童1 氏名)
    element: str  # the screen element, ``screen.name``
    value: str
    part: str = ""  # of a 和暦 date typed in parts: era, year, month or day


@dataclass
class ItemResult:
    """What happened to one application in this run."""

    application_id: str
    procedure: str
    outcome: OutcomeKind
    started_at: datetime
    ended_at: datetime
    receipt_no: str | None = None
    reason: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    attempts: int = 1
    atena_no: str = ""  # 宛名番号 of the applicant
    keyed: list[KeyedValue] = field(default_factory=list)  # the last try's values, masked

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Drift:
    """A fallback strategy found an element: the selector file needs updating."""

    system: str
    element: str
    strategy: str
    first_strategy: str


@dataclass
class RunResult:
    run_id: str
    runner: str
    procedure: str | None
    started_at: datetime
    out_dir: Path
    ended_at: datetime | None = None
    items: list[ItemResult] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)  # system → why the bot stopped
    paused: dict[str, str] = field(default_factory=dict)  # system → closed (503): try later
    drift: list[Drift] = field(default_factory=list)
    skipped_reason: str | None = None  # the run did not start (another run holds the lock)
    audit_last_hash: str | None = None  # the audit chain's final hash, kept outside the file
    # decided around the engine by bots.service.run_once:
    locked: dict[str, str] = field(default_factory=dict)  # procedure → who holds its lock
    broken: dict[str, str] = field(default_factory=dict)  # recipe file → located error
    outside_window: dict[str, str] = field(default_factory=dict)  # system → reason
    disabled: dict[str, str] = field(
        default_factory=dict
    )  # procedure → who/when/why IT switched it off
    titles: dict[str, str] = field(default_factory=dict)  # procedure → title (児童手当 認定請求)
    # what is left in the queue after the run, per procedure (WorkQueue.remaining);
    # None when it was not read (the run did not start)
    queue: dict[str, dict[str, int]] | None = None

    @property
    def counts(self) -> Counter[str]:
        return Counter(item.outcome.value for item in self.items)

    @property
    def keyed(self) -> int:
        c = self.counts
        return c[OutcomeKind.KEYED.value] + c[OutcomeKind.ALREADY_KEYED.value]

    @property
    def report_path(self) -> Path:
        return self.out_dir / "report.html"

    @property
    def audit_path(self) -> Path:
        return self.out_dir / "audit.jsonl"

    @property
    def screenshots_dir(self) -> Path:
        return self.out_dir / "screenshots"
