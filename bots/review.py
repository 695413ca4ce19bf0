"""The exception queue (要確認): what staff do with the applications the bot could not key.

Nothing leaves the queue without a person's action or a keyed record. Each action names
who did it and why, and is written to the review audit log (hash-chained like a run's
log) before the status changes:

* ``retry`` — the data or the core system was fixed: back to 連携待ち; the bot will look
  the application up in the core system again before typing, as always;
* ``done`` — keyed by hand: 連携済 with the 受付番号 the clerk got from the core system;
* ``reject`` — not to be keyed (withdrawn, duplicate application…): 対象外.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bots.audit.trail import AuditTrail
from bots.contracts import AuditEvent, Status
from bots.masking import mask_values
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow
from bots.queue.sql import utcnow

#: Statuses a person may act on.
OPEN = (Status.NEEDS_REVIEW.value, Status.FAILED.value)


class ReviewError(ValueError):
    """The action is not possible (unknown application, wrong status, missing note)."""


@dataclass(frozen=True)
class ReviewItem:
    id: str
    procedure: str
    status: Status
    received_at: datetime
    atena_no: str
    reason: str | None
    core_message: str | None
    attempts: int


@dataclass(frozen=True)
class ReviewDetail:
    item: ReviewItem
    data: dict[str, Any]  # masked
    history: list[dict[str, Any]]
    screenshots: list[Path]


def _item(row: ApplicationRow) -> ReviewItem:
    return ReviewItem(
        row.id,
        row.procedure,
        Status(row.status),
        row.received_at,
        row.atena_no,
        row.reason,
        row.core_message,
        row.attempts,
    )


class ReviewQueue:
    """Staff actions on the exception queue, each audited with who and why."""

    def __init__(self, db: Database, audit_dir: Path, evidence_root: Path) -> None:
        self.db = db
        self.audit_dir = audit_dir
        self.evidence_root = evidence_root

    def list(self, procedure: str | None = None) -> list[ReviewItem]:
        with self.db.session() as s:
            q = select(ApplicationRow).where(ApplicationRow.status.in_(OPEN))
            if procedure:
                q = q.where(ApplicationRow.procedure == procedure)
            return [_item(r) for r in s.execute(q.order_by(ApplicationRow.received_at)).scalars()]

    def show(self, app_id: str) -> ReviewDetail:
        with self.db.session() as s:
            row = self._get(s, app_id)
            attempts = s.execute(
                select(AttemptRow)
                .where(AttemptRow.application_id == app_id)
                .order_by(AttemptRow.id)
            ).scalars()
            history = [
                {
                    "started_at": a.started_at,
                    "ended_at": a.ended_at,
                    "runner": a.runner,
                    "run": a.run_id,
                    "outcome": a.outcome,
                    "reason": a.reason,
                }
                for a in attempts
            ]
            item, data = _item(row), mask_values(row.data)
        shots = sorted(self.evidence_root.glob(f"*/screenshots/{app_id}/*.png"))
        return ReviewDetail(item, data, history, shots)

    def _get(self, s: Any, app_id: str) -> ApplicationRow:
        row = s.get(ApplicationRow, app_id)
        if row is None:
            raise ReviewError(f"申請 {app_id} はありません")
        return row

    def _act(self, app_id: str, action: str, who: str | None, note: str, **values: Any) -> None:
        if not note.strip():
            raise ReviewError("理由（--note）を入力してください: 操作の記録に必要です")
        who = who or getpass.getuser()  # '' from the CLI means: the login name
        with self.db.session() as s:
            row = self._get(s, app_id)
            if row.status not in OPEN:
                raise ReviewError(
                    f"申請 {app_id} は{Status(row.status).label}です。要確認・連携エラーの申請だけが操作できます"
                )
            before = row.status
            trail = AuditTrail(self.audit_dir / "review.jsonl", "review", who)
            try:
                trail.emit(
                    AuditEvent(
                        step=f"review_{action}",
                        outcome=values.get("status", before),
                        application=app_id,
                        detail=note,
                        extra={"by": who, "from": before, "receipt_no": values.get("receipt_no")},
                    )
                )
            finally:
                trail.close()
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    def retry(self, app_id: str, note: str, who: str | None = None) -> None:
        self._act(
            app_id,
            "retry",
            who,
            note,
            status=Status.RESOLVED.value,
            retry_at=None,
            attempts=0,
            needs_verification=True,
            reason=f"再処理（{note}）",
            core_message=None,
        )

    def done(self, app_id: str, receipt_no: str, note: str, who: str | None = None) -> None:
        if not receipt_no.strip():
            raise ReviewError("受付番号（--receipt）を入力してください")
        self._act(
            app_id,
            "done",
            who,
            note,
            status=Status.KEYED.value,
            receipt_no=receipt_no.strip(),
            keyed_at=utcnow(),
            reason=f"手入力で連携済（{note}）",
            core_message=None,
        )

    def reject(self, app_id: str, note: str, who: str | None = None) -> None:
        self._act(
            app_id, "reject", who, note, status=Status.REJECTED.value, reason=f"対象外（{note}）"
        )
