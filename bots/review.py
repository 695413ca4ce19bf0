"""The exception queue (要確認): what staff do with the applications the bot could not key.

Nothing leaves the queue without a person's action or a keyed record. Each action names
who did it and why, and is written to the review audit log (hash-chained like a run's
log) before the status changes:

* ``edit`` — the data was wrong: corrected here, checked with exactly the bot's rules, and
  back to 連携待ち only when no problem remains (before/after of each item audited, masked);
* ``retry`` — the data or the core system was fixed: back to 連携待ち; the bot will look
  the application up in the core system again before typing, as always. The data is
  checked again first, so a retry never sends the same wrong data back to the bot. On a
  core system without an inquiry screen (``already_keyed: none``) there is nothing to look
  it up with: the person's retry is the check (they confirmed it is not registered), so
  the bot keys it — otherwise it would only send it back to 要確認;
* ``done`` — keyed by hand: 連携済 with the 受付番号 the clerk got from the core system
  (checked against the procedure's format); none is asked for a procedure whose core
  system gives none (``receipt: none``);
* ``undo`` — a mistaken ``done`` taken back (only a manual one: what the bot keyed is
  recorded in the core system, and is corrected there);
* ``reject`` — not to be keyed (withdrawn, duplicate application…): 対象外.
"""

from __future__ import annotations

import copy
import getpass
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bots.audit.anchors import AnchorSink, session_anchor
from bots.audit.trail import AuditTrail
from bots.clock import utcnow
from bots.contracts import AuditEvent, Status
from bots.engine.evidence import safe_path_part
from bots.engine.values import DATA_PROBLEM, data_problems
from bots.masking import (
    ACCOUNT_NO_MASK,
    DEFAULT_SENSITIVE_KEYS,
    MY_NUMBER_MASK,
    VALUE_MASK,
    mask_values,
    protect_data,
    scrub_text,
)
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow
from bots.queue.transitions import ForbiddenTransition, transition
from bots.schema.validate import label_of

if TYPE_CHECKING:
    from bots.intake.importer import Rejection
    from bots.recipe.model import Recipe

#: Statuses a person may act on.
OPEN = (Status.NEEDS_REVIEW.value, Status.FAILED.value)
#: What ``mask_values`` puts in place of a value: never a real one, so a corrected file
#: copied from ``review show`` keeps the stored value where it still shows the mask.
MASKS = frozenset({MY_NUMBER_MASK, ACCOUNT_NO_MASK, VALUE_MASK})

#: Why a 手入力済 without a 受付番号 is refused (its core system gives one).
NO_RECEIPT_GIVEN = "受付番号（--receipt）を入力してください"

#: (column values to set, audit extra) of one action, computed from the current row.
Plan = tuple[dict[str, Any], dict[str, Any]]
#: Changed items as audited: item, label, masked before and after.
Changes = list[dict[str, Any]]


class ReviewError(ValueError):
    """The action is not possible (unknown application, wrong status, missing note).

    ``problems`` are the data problems the bot's checks found (``児童1 生年月日: …``), when
    that is why: the console lists them one by one beside the correction form.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


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
    receipt_no: str | None = None
    keyed_by: str | None = None  # set when a person marked it 連携済 (``done``): undoable
    purged_at: datetime | None = None  # its form data purged (bots.queue.purge): none shown


@dataclass(frozen=True)
class ReviewDetail:
    item: ReviewItem
    data: dict[str, Any]  # masked
    history: list[dict[str, Any]]
    screenshots: list[Path]


@dataclass(frozen=True)
class DataEdit:
    """A correction: the whole data (``--file``), then items set and items removed.

    Paths are dotted with 1-based list positions, as the import's flat columns
    (``children.1.birth_date``).
    """

    replace: dict[str, Any] | None = None
    set: dict[str, Any] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)


def _item(row: ApplicationRow) -> ReviewItem:
    """The row as staff see it: its sensitive values recorded first, so a reason or the
    core system's message that repeats one (stored before this rule) shows it masked."""
    protect_data(row.data)
    return ReviewItem(
        row.id,
        row.procedure,
        Status(row.status),
        row.received_at,
        row.atena_no,
        scrub_text(row.reason) if row.reason is not None else None,
        scrub_text(row.core_message) if row.core_message is not None else None,
        row.attempts,
        row.receipt_no,
        row.keyed_by,
        row.purged_at,
    )


# --- data paths and changes -------------------------------------------------------------


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves by dotted path, list positions 1-based (empty containers are leaves too)."""
    if isinstance(data, dict) and data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out |= _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(data, list) and data:
        out = {}
        for index, value in enumerate(data, start=1):
            out |= _flatten(value, f"{prefix}.{index}" if prefix else str(index))
        return out
    return {prefix: data} if prefix else {}


def flat_items(data: Any) -> dict[str, Any]:
    """Each item of the data by its dotted, 1-based path (as ``edit`` takes them)."""
    return _flatten(data)


def item_label(recipe: Recipe, path: str) -> str | None:
    """The form's label of a 1-based path (``children.1.birth_date`` → 児童1 生年月日), if known."""
    parts = path.split(".")
    if recipe.schema.item(".".join(p for p in parts if not p.isdigit())) is None:
        return None
    zero_based = ".".join(str(int(p) - 1) if p.isdigit() else p for p in parts)
    return label_of(recipe.schema.items, zero_based)


def sensitive_keys(recipe: Recipe) -> frozenset[str]:
    return DEFAULT_SENSITIVE_KEYS | frozenset(recipe.sensitive_keys)


def changed_items(before: Any, after: Any, recipe: Recipe) -> Changes:
    """Each changed item with its label and masked before/after, for the audit log.

    Compared on the real values, shown masked: a changed 個人番号 is recorded as changed,
    its values only as the mask.
    """
    keys = sensitive_keys(recipe)
    raw_b, raw_a = _flatten(before), _flatten(after)
    shown_b, shown_a = _flatten(mask_values(before, keys)), _flatten(mask_values(after, keys))
    missing = object()
    changes = []
    for path in dict.fromkeys([*raw_b, *raw_a]):
        if raw_b.get(path, missing) != raw_a.get(path, missing):
            changes.append(
                {
                    "item": path,
                    "label": item_label(recipe, path),
                    "before": shown_b.get(path),
                    "after": shown_a.get(path),
                }
            )
    return changes


def _position(path: str, part: str, length: int, *, new: bool) -> int:
    """0-based index of a 1-based list position; ``new`` allows the one after the last."""
    last = length + 1 if new else length
    if not part.isdigit() or not 1 <= int(part) <= last:
        raise ReviewError(f"項目 {path}: 番号は1から{last}までです（{part}）")
    return int(part) - 1


def _child(node: Any, part: str, nxt: str, path: str) -> Any:
    """The container under ``part``, created when absent (or null) as ``nxt`` needs it."""
    want: Any = [] if nxt.isdigit() else {}
    if isinstance(node, list):
        idx = _position(path, part, len(node), new=True)
        if idx == len(node):
            node.append(None)
        key: Any = idx
    else:
        key = part
    current = node[key] if isinstance(node, list) else node.get(key)
    if current is None:
        node[key] = current = want
    if not isinstance(current, dict | list) or type(current) is not type(want):
        raise ReviewError(f"項目 {path}: 途中の {part} が値のため、その下の項目は設定できません")
    return current


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ReviewError(f"項目の指定が正しくありません（{path}）")
    node: Any = data
    for part, nxt in zip(parts, parts[1:], strict=False):
        node = _child(node, part, nxt, path)
    last = parts[-1]
    if isinstance(node, list):
        idx = _position(path, last, len(node), new=True)
        if idx == len(node):
            node.append(value)
        else:
            node[idx] = value
    else:
        node[last] = value


def unset_path(data: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and 1 <= int(part) <= len(node):
            node = node[int(part) - 1]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ReviewError(f"項目 {path} はありません")
    last = parts[-1]
    if isinstance(node, list) and last.isdigit() and 1 <= int(last) <= len(node):
        del node[int(last) - 1]
    elif isinstance(node, dict) and last in node:
        del node[last]
    else:
        raise ReviewError(f"項目 {path} はありません")


def _keep_masked(before: Any, after: Any) -> Any:
    """``after`` with each value still showing a mask replaced by the stored one."""
    if isinstance(after, str) and after in MASKS and before is not None:
        return before
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: _keep_masked(before.get(k), v) for k, v in after.items()}
    if isinstance(after, list) and isinstance(before, list):
        return [
            _keep_masked(before[i] if i < len(before) else None, v) for i, v in enumerate(after)
        ]
    return after


def apply_edit(data: dict[str, Any], edit: DataEdit) -> dict[str, Any]:
    """A corrected copy of ``data`` (the stored data is never changed in place)."""
    if edit.replace is not None:
        if not isinstance(edit.replace, dict):
            raise ReviewError("訂正後の申請データ（--file）は JSON のオブジェクトにしてください")
        new = copy.deepcopy(_keep_masked(data, edit.replace))
    else:
        new = copy.deepcopy(data)
    for path, value in edit.set.items():
        set_path(new, path, value)
    for path in edit.unset:
        unset_path(new, path)
    return new


def data_check(recipe: Recipe, data: dict[str, Any], atena_no: str) -> list[str]:
    """The problems the bot would find, in its words (checked exactly as a run checks)."""
    return list(dict.fromkeys(data_problems(recipe.schema.check(data), atena_no)))


def record(
    audit_dir: Path, who: str, event: AuditEvent, *, anchor: AnchorSink | None = None
) -> None:
    """One line in the staff actions' log (``review.jsonl``), hash-chained; anchored
    (``anchor``, see :mod:`bots.audit.anchors`) when the trail closes."""
    trail = AuditTrail(audit_dir / "review.jsonl", "review", who, anchor=anchor)
    try:
        trail.emit(event)
    finally:
        trail.close()


# --- the queue --------------------------------------------------------------------------


class ReviewQueue:
    """Staff actions on the exception queue, each audited with who and why.

    ``recipes`` (by procedure) are needed to check data and 受付番号 as the bot does; the
    CLI and the console pass :func:`bots.service.load_recipes`.
    """

    def __init__(
        self,
        db: Database,
        audit_dir: Path,
        evidence_root: Path,
        recipes: Mapping[str, Recipe] | None = None,
    ) -> None:
        self.db = db
        self.audit_dir = audit_dir
        self.evidence_root = evidence_root
        self.recipes = recipes or {}

    def list(self, procedure: str | None = None) -> list[ReviewItem]:
        with self.db.session() as s:
            q = select(ApplicationRow).where(ApplicationRow.status.in_(OPEN))
            if procedure:
                q = q.where(ApplicationRow.procedure == procedure)
            return [_item(r) for r in s.execute(q.order_by(ApplicationRow.received_at)).scalars()]

    def import_rejections(self, limit: int | None = None) -> tuple[int, Sequence[Rejection]]:
        """Rows ``renkei import`` refused (count, newest first): never loaded, so in no queue."""
        from bots.intake.importer import count_rejections, list_rejections

        return count_rejections(self.db), list_rejections(self.db, limit=limit)

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
                    "reason": scrub_text(a.reason) if a.reason is not None else None,
                }
                for a in attempts
            ]
            recipe = self.recipes.get(row.procedure)
            keys = sensitive_keys(recipe) if recipe else DEFAULT_SENSITIVE_KEYS
            item, data = _item(row), mask_values(row.data, keys)
        shots = sorted(self.evidence_root.glob(f"*/screenshots/{safe_path_part(app_id)}/*/*.png"))
        return ReviewDetail(item, data, history, shots)

    def _get(self, s: Any, app_id: str) -> ApplicationRow:
        row = s.get(ApplicationRow, app_id)
        if row is None:
            raise ReviewError(f"申請 {app_id} はありません")
        protect_data(row.data)  # before any message or audit line about it
        return row

    def _recipe(self, procedure: str) -> Recipe:
        recipe = self.recipes.get(procedure)
        if recipe is None:
            raise ReviewError(f"手続 '{procedure}' のレシピがないため、申請データを確認できません")
        return recipe

    def _act(
        self,
        app_id: str,
        action: str,
        who: str | None,
        note: str,
        plan: Callable[[ApplicationRow], Plan],
        allowed: tuple[str, ...] = OPEN,
    ) -> dict[str, Any]:
        """Check, audit, then change one application, all in one transaction.

        ``plan`` sees the current row (inside the transaction) and may refuse with
        :class:`ReviewError`; nothing is written then. Its ``status`` goes through the
        one table of allowed transitions (:mod:`bots.queue.transitions`), guarded on the
        status just read: a change made meanwhile (a run, another clerk) is refused.
        Returns the audit extra.
        """
        if not note.strip():
            raise ReviewError("理由（--note）を入力してください: 操作の記録に必要です")
        who = who or getpass.getuser()  # '' from the CLI means: the login name
        with self.db.session() as s:
            row = self._get(s, app_id)
            if row.status not in allowed:
                which = "・".join(Status(v).label for v in allowed)
                raise ReviewError(
                    f"申請 {app_id} は{Status(row.status).label}です。{which}の申請だけが操作できます"
                )
            values, extra = plan(row)
            before = Status(row.status)
            to = Status(values.pop("status"))
            try:  # written first, in this transaction: the audit line only for a real change
                transition(s, app_id, to, expected_from=[before], updated_at=utcnow(), **values)
            except ForbiddenTransition as exc:
                raise ReviewError(str(exc)) from exc
            record(
                self.audit_dir,
                who,
                AuditEvent(
                    step=f"review_{action}",
                    outcome=to.value,
                    application=app_id,
                    detail=note,
                    extra={"by": who, "from": before.value, **extra},
                ),
                anchor=session_anchor(s),  # committed with the change it records
            )
        return extra

    def edit(self, app_id: str, changes: DataEdit, note: str, who: str | None = None) -> Changes:
        """Correct the data; back to 連携待ち only if the bot's checks now pass.

        Returns the changed items (masked). ``needs_verification`` is left as it is: if an
        earlier attempt may have pressed 登録, the bot still looks the application up first.
        """

        def plan(row: ApplicationRow) -> Plan:
            recipe = self._recipe(row.procedure)
            new = apply_edit(row.data, changes)
            protect_data(new, sensitive_keys(recipe))  # the corrected values are as secret
            items = changed_items(row.data, new, recipe)
            if not items:
                raise ReviewError("申請データが変わっていません（--set・--unset・--file で訂正）")
            problems = data_check(recipe, new, row.atena_no)
            if problems:
                raise ReviewError(
                    "訂正後も" + DATA_PROBLEM + "／".join(problems) + "（訂正は保存していません）",
                    problems,
                )
            values = {
                "data": new,
                "status": Status.RESOLVED.value,
                "retry_at": None,
                "attempts": 0,
                "reason": f"訂正して再処理（{scrub_text(note)}）",
                "core_message": None,
            }
            return values, {"changes": items}

        changed: Changes = self._act(app_id, "edit", who, note, plan)["changes"]
        return changed

    def retry(self, app_id: str, note: str, who: str | None = None) -> None:
        """Back to the bot; refused while the data still has the problems the bot found."""

        def plan(row: ApplicationRow) -> Plan:
            recipe = self._recipe(row.procedure)
            problems = data_check(recipe, row.data, row.atena_no)
            if problems:
                raise ReviewError(
                    f"申請データの不備が残っているため再処理できません: {'／'.join(problems)}。"
                    f"renkei review edit {app_id} --set 項目=値 --note … で訂正してください",
                    problems,
                )
            values = {
                "status": Status.RESOLVED.value,
                "retry_at": None,
                "attempts": 0,
                # looked up first where it can be; without an inquiry screen the person
                # checked, and a mark would only send it back to 要確認 (see the module doc)
                "needs_verification": recipe.inquiry,
                "reason": f"再処理（{scrub_text(note)}）",
                "core_message": None,
            }
            return values, {}

        self._act(app_id, "retry", who, note, plan)

    def done(self, app_id: str, receipt_no: str | None, note: str, who: str | None = None) -> None:
        """Keyed by hand: the 受付番号 must have the procedure's format (a typo is refused).

        Only a procedure whose core system gives no 受付番号 (``receipt: none``) may be
        marked without one (``receipt_no`` None or empty); the procedure is known only
        from the row, so that is checked with the row.
        """
        receipt = (receipt_no or "").strip() or None
        by = who or getpass.getuser()

        def plan(row: ApplicationRow) -> Plan:
            recipe = self._recipe(row.procedure)
            if receipt is None and recipe.gives_receipt:
                raise ReviewError(NO_RECEIPT_GIVEN)
            problem = recipe.receipt_problem(receipt) if receipt else None
            if problem:
                raise ReviewError(problem)
            values = {
                "status": Status.KEYED.value,
                "receipt_no": receipt,
                "keyed_at": utcnow(),
                "keyed_by": by,
                "reason": f"手入力で連携済（{'' if receipt else '受付番号なし、'}{scrub_text(note)}）",
                "core_message": None,
            }
            return values, {"receipt_no": receipt}

        self._act(app_id, "done", by, note, plan)

    def receipt_required(self, app_id: str) -> bool:
        """Whether 手入力済 of this application asks for a 受付番号: yes, unless its
        procedure's core system gives none (``receipt: none``). The console's form and the
        CLI ask accordingly; :meth:`done` decides all the same."""
        with self.db.session() as s:
            procedure = self._get(s, app_id).procedure
        return self._recipe(procedure).gives_receipt

    def undo(self, app_id: str, note: str, who: str | None = None) -> None:
        """Take back a mistaken ``done``: to 要確認, receipt cleared.

        Only what a person marked 連携済: an application the bot keyed has its record in
        the core system, and removing the 受付番号 here would only hide it.
        """

        def plan(row: ApplicationRow) -> Plan:
            if row.purged_at is not None:
                raise ReviewError(
                    f"申請 {app_id} の申請データは保存期間の経過後に消去済みのため取り消せません"
                    "（訂正は基幹システムで行ってください）"
                )
            if row.keyed_by is None:
                raise ReviewError(
                    f"申請 {app_id} はボットが基幹システムに登録したため取り消せません"
                    "（基幹システムに記録があります。訂正は基幹システムで行ってください）"
                )
            values = {
                "status": Status.NEEDS_REVIEW.value,
                "receipt_no": None,
                "keyed_at": None,
                "keyed_by": None,
                "reason": f"手入力の連携済を取消（{scrub_text(note)}）",
            }
            return values, {"receipt_no": row.receipt_no, "keyed_by": row.keyed_by}

        self._act(app_id, "undo", who, note, plan, allowed=(Status.KEYED.value,))

    def reject(self, app_id: str, note: str, who: str | None = None) -> None:
        def plan(_row: ApplicationRow) -> Plan:
            return {"status": Status.REJECTED.value, "reason": f"対象外（{scrub_text(note)}）"}, {}

        self._act(app_id, "reject", who, note, plan)
