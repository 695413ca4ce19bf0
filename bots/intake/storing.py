"""The storing stage of an import: an application made from a row → the queue.

Shared by ``renkei import`` and the sources of ``sources.yaml`` (``renkei sync``): whatever
a row came from, it is stored the same way. Each application is checked with its
procedure's schema exactly as the bot will check it: a resolved one with problems is stored
as 要確認 with the bot's reason (never lost, never sent to the bot to fail). A row of an
application already in the queue goes to the caller's :data:`Policy`, which says whether it
is refused, skipped (with why, or quietly: unchanged) or taken as a correction; a
correction is audited with masked before/after (``import_replace`` in the staff actions'
log, like ``review edit``) in the transaction that makes it. Refused rows are recorded in
``import_rejections`` under the place they came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bots.audit.anchors import session_anchor
from bots.clock import utcnow
from bots.contracts import AuditEvent, Status
from bots.engine.values import DATA_PROBLEM, data_problems
from bots.masking import protect_data, scrub_text
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, ImportRejectionRow
from bots.queue.transitions import ForbiddenTransition, create, transition
from bots.recipe.model import Recipe
from bots.review import changed_items, record

#: Statuses an import may correct (with ``replace``): nothing was, or may have been, keyed.
REPLACEABLE = (Status.NEEDS_REVIEW.value, Status.REJECTED.value)


@dataclass
class ImportReport:
    """What became of each row: stored (``loaded``, some as 要確認), refused or skipped."""

    loaded: list[str] = field(default_factory=list)  # stored, replaced ones included
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    needs_review: list[tuple[int, str]] = field(default_factory=list)  # stored as 要確認
    warnings: list[tuple[int, str]] = field(default_factory=list)  # stored, but look at it
    replaced: list[str] = field(default_factory=list)  # corrections
    skipped: list[tuple[int, str]] = field(default_factory=list)  # not taken, and why
    unchanged: int = 0  # already in the queue as they are: skipped quietly


@dataclass(frozen=True)
class Verdict:
    """What to do with a row of an application already in the queue."""

    action: Literal["refuse", "skip", "unchanged", "correct"]
    reason: str = ""


#: (the stored application, the row's) → what to do with the row.
Policy = Callable[[ApplicationRow, ApplicationRow], Verdict]


def not_replaceable(existing: ApplicationRow) -> str | None:
    """Why an import must not overwrite ``existing`` (None: it may, as a correction)."""
    app_id, status = existing.id, existing.status
    if status == Status.KEYED.value:
        return (
            f"申請ID {app_id} は連携済のため取り込みでは訂正できません"
            "（基幹システムに登録済みです。訂正は基幹システムで行ってください）"
        )
    if status in (Status.CLAIMED.value, Status.KEYING.value):
        return f"申請ID {app_id} は連携中のため取り込みでは訂正できません"
    if existing.needs_verification:
        return (
            f"申請ID {app_id} は基幹システムに登録された可能性があるため取り込みでは訂正できません"
            f"（renkei review show {app_id} で確認してください）"
        )
    if status not in REPLACEABLE:
        return (
            f"申請ID {app_id} は{Status(status).label}です。"
            "取り込みで訂正できるのは要確認・対象外の申請だけです"
        )
    return None


def _one_based(path: str) -> str:
    """The schema's 0-based list positions as the import's columns name them (1-based)."""
    return ".".join(str(int(p) + 1) if p.isdigit() else p for p in path.split("."))


class Store:
    """One delivery's storing (a file, a table read): each application stored, corrected,
    skipped or refused, the report of it, and the refused rows recorded.

    ``place`` names where the rows came from in audit lines and ``import_rejections``
    (the file's path; ``<source>:<file or table>`` for a source). ``record_once``: a row
    refused again for the same reason is not recorded again (a source's table is re-read at
    every sync; its refused rows would fill ``import_rejections`` every few minutes).
    """

    def __init__(
        self,
        db: Database,
        recipes: Mapping[str, Recipe],
        *,
        place: str,
        policy: Policy,
        by: str,
        audit_dir: Path | None,
        record_once: bool = False,
    ) -> None:
        self.db, self.recipes, self.place, self.policy = db, recipes, place, policy
        self.by, self.audit_dir, self.record_once = by, audit_dir, record_once
        self.report = ImportReport()
        self.refused: list[tuple[int, str | None, str]] = []
        self.not_taken: list[tuple[int, str | None, str]] = []  # skipped, with why
        self.seen: set[str] = set()

    def refuse(self, number: int, app_id: str | None, reason: str) -> None:
        reason = scrub_text(reason)
        self.report.rejected.append((number, reason))
        self.refused.append((number, app_id or None, reason))

    def skip(self, number: int, app_id: str | None, reason: str) -> None:
        """Not taken, and not the row's fault (say why: the application is 連携済…)."""
        reason = scrub_text(reason)
        self.report.skipped.append((number, reason))
        self.not_taken.append((number, app_id, reason))

    def take(self, number: int, app: ApplicationRow) -> None:
        """Store ``app`` (row ``number``), or correct, skip or refuse it (see the module doc)."""
        protect_data(app.data)
        if app.id in self.seen:
            self.refuse(number, app.id, f"申請ID {app.id} がファイル内で重複しています")
            return
        self.seen.add(app.id)
        problems: list[str] = []
        unknown: list[str] = []
        try:
            with self.db.session() as s:
                existing = s.get(ApplicationRow, app.id)
                verdict = Verdict("correct") if existing is None else self.policy(existing, app)
                if verdict.action == "unchanged":
                    self.report.unchanged += 1
                    return
                if verdict.action == "skip":
                    self.skip(number, app.id, verdict.reason)
                    return
                refusal = verdict.reason if verdict.action == "refuse" else None
                if refusal is None:
                    problems, unknown = self.check(app)
                    refusal = self._write(s, existing, app, number)
                if refusal:
                    self.refuse(number, app.id, refusal)
                    return
        except IntegrityError:  # another import stored it between our read and our write
            self.refuse(number, app.id, f"申請ID {app.id} は同時に別の取り込みで保存されました")
            return
        self._stored(number, app, problems, unknown)

    def _write(
        self, s: Session, existing: ApplicationRow | None, app: ApplicationRow, number: int
    ) -> str | None:
        """Create ``app`` or correct ``existing`` with it; why not, if refused."""
        if existing is not None:
            return self.correct(s, existing, app, number)
        try:
            create(s, app)
            s.flush()  # a concurrent insert of the same id fails here, inside the try
        except ForbiddenTransition as exc:
            return str(exc)
        return None

    def _stored(
        self, number: int, app: ApplicationRow, problems: list[str], unknown: list[str]
    ) -> None:
        self.report.loaded.append(app.id)
        if app.status == Status.NEEDS_REVIEW.value:
            self.report.needs_review.append((number, app.reason or ""))
        elif problems:
            label = Status(app.status).label
            self.report.warnings.append(
                (number, f"申請データに不備（{label}のまま保存しました）: {'／'.join(problems)}")
            )
        for item in unknown:
            self.report.warnings.append(
                (number, f"定義にない項目 {item}（申請とともに保存しました）")
            )

    def check(self, app: ApplicationRow) -> tuple[list[str], list[str]]:
        """The bot's checks now: a resolved row with problems is stored as 要確認 instead."""
        recipe = self.recipes[app.procedure]
        checked = recipe.schema.check(app.data)
        problems = list(dict.fromkeys(data_problems(checked, app.atena_no)))
        unknown = [_one_based(p) for p in checked.unknown]
        if problems and app.status == Status.RESOLVED.value:
            app.status = Status.NEEDS_REVIEW.value
            app.reason = DATA_PROBLEM + "／".join(problems)
        return problems, unknown

    def correct(
        self, s: Session, existing: ApplicationRow, app: ApplicationRow, number: int
    ) -> str | None:
        """Replace ``existing`` by the row, or why not; audited in the same transaction."""
        refusal = not_replaceable(existing)
        if refusal:
            return refusal
        if existing.procedure != app.procedure:
            return f"申請ID {app.id} は手続 {existing.procedure} の申請です（手続は変えられません）"
        if self.audit_dir is None:
            raise ValueError("a correction needs audit_dir: every correction is audited")
        changes = changed_items(existing.data, app.data, self.recipes[app.procedure])
        if existing.atena_no != app.atena_no:
            changes.insert(
                0,
                {
                    "item": "atena_no",
                    "label": "宛名番号",
                    "before": existing.atena_no,
                    "after": app.atena_no,
                },
            )
        try:  # written first, in this transaction: the audit line only for a real change
            self._replace(s, existing, app, number)
        except ForbiddenTransition as exc:
            return str(exc)
        extra: dict[str, object] = {"by": self.by, "from": existing.status, "changes": changes}
        if app.source is not None:
            extra |= {"source": app.source, "version": app.source_version}
        record(
            self.audit_dir,
            self.by,
            anchor=session_anchor(s),  # anchored in the transaction of the correction
            event=AuditEvent(
                step="import_replace",
                outcome=app.status,
                application=app.id,
                detail=f"{self.place}:{number}行目",
                extra=extra,
            ),
        )
        self.report.replaced.append(app.id)
        return None

    def _replace(
        self, s: Session, existing: ApplicationRow, app: ApplicationRow, number: int
    ) -> None:
        """The correction, through the table of transitions, guarded on the status read."""
        sourced = {} if app.source is None else {"source_version": app.source_version}
        transition(
            s,
            app.id,
            Status(app.status),
            expected_from=[existing.status],
            data=app.data,
            atena_no=app.atena_no,
            reason=app.reason or f"取り込みで訂正（{Path(self.place).name}:{number}行目）",
            attempts=0,
            retry_at=None,
            core_message=None,
            receipt_no=None,
            keyed_at=None,
            keyed_by=None,
            purged_at=None,  # new data: purged again only after its own outcome
            updated_at=utcnow(),
            **sourced,
        )

    def save_refused(self) -> None:
        """Record the refused rows, so they are not only on the clerk's screen."""
        if not self.refused:
            return
        now = utcnow()
        with self.db.session() as s:
            recorded = self._recorded(s) if self.record_once else set()
            s.add_all(
                ImportRejectionRow(
                    file=self.place,
                    row=number,
                    application_id=app_id,
                    reason=reason,
                    imported_at=now,
                    by=self.by,
                )
                for number, app_id, reason in self.refused
                if (app_id, reason) not in recorded
            )

    def _recorded(self, s: Session) -> set[tuple[str | None, str]]:
        q = select(ImportRejectionRow.application_id, ImportRejectionRow.reason).where(
            ImportRejectionRow.file == self.place
        )
        return {(app_id, reason) for app_id, reason in s.execute(q)}
