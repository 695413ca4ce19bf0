"""What happened to an application, gathered from every record renkei keeps of it.

An auditor asks, for one application: which runs touched it and what each step did, who
acted on it by hand and why, what the core system answered (受付番号), which screenshots
prove it and whether the record is unaltered. The answers are spread over the
management database (``applications``, ``attempts``, ``import_rejections``), each run's
``audit.jsonl`` and the staff actions' ``review.jsonl``; this module reads them all and
gives one model that both the trail (:func:`trail_of`, ``renkei audit trail``) and the
export (:func:`export_rows`, ``renkei audit export``) use, so what the screen shows and
what the 監査委員事務局 receives cannot disagree.

Nothing here verifies a chain itself: :func:`bots.audit.verify.verify_all` does, narrowed
to the runs involved. Every value shown goes through :mod:`bots.masking` again, with the
procedure's ``sensitive`` keys: the logs were masked when written, but an older log or a
newly sensitive item must not show in clear here either.

The console's other auditor pages (one run's steps, the search, the staff actions' log)
read these records through :mod:`bots.audit.browse`, which builds on this module.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bots.audit.trail import JST
from bots.audit.verify import Scope, runs_of_application, verify_all
from bots.config import jst
from bots.contracts import Status
from bots.errors import RenkeiError
from bots.masking import DEFAULT_SENSITIVE_KEYS, mask_values, scrub_text
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, AttemptRow, ImportRejectionRow
from bots.results import sha256_file

if TYPE_CHECKING:
    from bots.audit.keys import InstallationKey
    from bots.recipe.model import Recipe

#: What each step of a run's log did, as staff say it.
STEP_LABELS = {
    "run_start": "実行開始",
    "run_end": "実行終了",
    "browser_start": "ブラウザ起動",
    "gate": "実行の一時停止",
    "claim": "処理開始（申請の取得）",
    "normalize": "値の変換",
    "unknown_items": "レシピにない項目",
    "goto": "画面を開く",
    "expect_screen": "画面の確認",
    "verify_identity": "画面の照合",
    "find_existing": "登録済みの確認",
    "fill": "入力",
    "select": "選択",
    "check": "チェック",
    "click": "クリック",
    "if": "条件",
    "for_each": "繰り返し",
    "ensure_rows": "行の用意",
    "popup": "ポップアップ",
    "screenshot": "画面写真",
    "register": "登録",
    "read": "読み取り",
    "expect": "表示の確認",
    "outcome": "結果",
    "release": "返却",
    "lease_lost": "処理の引き継ぎ",
    "drift": "画面の変更を検知",
    "interrupt": "中断",
    "unexpected_error": "予期しないエラー",
}
#: Hand actions on an application (``review.jsonl``), as staff say them: the trail's and
#: the export's rows.
APPLICATION_ACTIONS = {
    "review_edit": "訂正",
    "review_retry": "再処理",
    "review_done": "手入力で連携済",
    "review_undo": "手入力の連携済を取消",
    "review_reject": "対象外",
    "import_replace": "取り込みで訂正",
    "data_purge": "申請データの消去（保存期間の経過）",
    "writeback": "申請管理システムへ結果を書き戻し",  # bots/sources/outbox.py
}
#: What people did in the console (``review.jsonl`` too), naming no application: the staff
#: actions' log shows them, the export (one row per application event) does not.
CONSOLE_ACTIONS = {
    "console_login": "ログイン",
    "console_logout": "ログアウト",
    "console_lock": "アカウントのロック",
    "console_refused": "権限のない操作",
    "account_add": "アカウント作成",
    "account_password": "パスワード変更",
    "account_unlock": "ロック解除",
    "account_disable": "アカウント無効化",
    "account_enable": "アカウント有効化",
    "schedule_add": "スケジュール追加",
    "schedule_pause": "スケジュール一時停止",
    "schedule_resume": "スケジュール再開",
    "schedule_remove": "スケジュール削除",
    "schedule_run_now": "今すぐ実行の依頼",
    "closed_day_add": "閉庁日の追加",
    "closed_day_remove": "閉庁日の削除",
    "window_set": "稼働時間の設定",
    "window_clear": "稼働時間の解除",
    "procedure_disable": "手続の停止",
    "procedure_enable": "手続の再開",
    "recipe_check": "レシピの確認",
    "data_seal": "申請データの暗号化",
    "data_rotate_key": "暗号鍵の入れ替え",
}
#: Every line of the staff actions' log, as staff say it.
ACTION_LABELS = {**APPLICATION_ACTIONS, **CONSOLE_ACTIONS}
#: A staff action's ``outcome`` where it is not an application's status.
ACTION_OUTCOMES = {
    "ok": "完了",
    "refused": "拒否",
    "locked": "ロック",
    "timeout": "時間切れ",
    "failed": "失敗",
}
#: A line's ``outcome`` where it says more than "done".
LINE_OUTCOMES = {
    "pressed": "押下",
    "accepted": "受付",
    "rejected": "拒否",
    "http_error": "HTTPエラー",
    "session_expired": "セッション切れ",
    "timeout": "時間切れ",
    "unavailable": "停止中",
    "screen_changed": "画面変更",
    "error": "エラー",
    "warning": "警告",
    "abandoned": "放棄",
    "paused": "一時停止",
    "closed": "閉庁",
    "stopped": "停止",
}
#: An attempt's outcome (``attempts.outcome``, an :class:`~bots.contracts.OutcomeKind`).
ATTEMPT_OUTCOMES = {
    "keyed": "連携済",
    "already_keyed": "連携済（登録済みを確認）",
    "needs_review": "要確認",
    "retry": "再試行待ち",
    "stopped": "停止（未処理）",
    "interrupted": "中断（未処理に戻した）",
}
NO_OUTCOME = "結果の記録なし（処理中、または強制終了）"


class UnknownApplication(RenkeiError):
    """No record of any kind names the application (or the 宛名番号)."""


@dataclass(frozen=True)
class Sources:
    """Where the records are, and the recipes (procedure titles, sensitive items)."""

    db: Database
    out_root: Path
    audit_dir: Path
    recipes: Mapping[str, Recipe] = field(default_factory=dict)

    def title(self, procedure: str | None) -> str:
        recipe = self.recipes.get(procedure or "")
        return recipe.title if recipe else ""

    def keys(self, procedure: str | None) -> frozenset[str]:
        recipe = self.recipes.get(procedure or "")
        extra = {k.lower() for k in recipe.sensitive_keys} if recipe else set()
        return DEFAULT_SENSITIVE_KEYS | frozenset(extra)

    def named(self, procedure: str | None) -> str:
        """``児童手当 認定請求（jidou_teate_nintei）``, or the id alone without its recipe."""
        title = self.title(procedure)
        return f"{title}（{procedure}）" if title else str(procedure or "")

    @property
    def review_log(self) -> Path:
        return self.audit_dir / "review.jsonl"


# --- the shared model -------------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """A screenshot a line names, hashed again now: ``state`` is what a person reads."""

    path: Path
    sha256: str
    state: str  # 一致 / ファイルがありません / 内容が一致しません

    @property
    def intact(self) -> bool:
        return self.state == "一致"


@dataclass(frozen=True)
class Event:
    """One line of any record, for the trail (values masked, texts scrubbed)."""

    at: datetime
    source: str  # a run id, 操作記録 or 取り込み
    step: str
    what: str
    who: str | None = None
    outcome: str | None = None
    element: str | None = None
    value: Any = None
    detail: str = ""
    changes: tuple[str, ...] = ()
    receipt_no: str | None = None
    shot: Shot | None = None
    where: str = ""  # file:line of the record


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt of the bot (``attempts`` row, with what its run's log says of it)."""

    attempt_id: int
    application_id: str
    atena_no: str
    procedure: str
    title: str
    run_id: str
    runner: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    reason: str
    receipt_no: str | None
    screenshots: int


@dataclass(frozen=True)
class HandAction:
    """One hand action from the review log (who, what, why, the items changed, masked)."""

    at: datetime
    application_id: str
    atena_no: str
    procedure: str
    title: str
    by: str
    action: str
    note: str
    changes: tuple[str, ...]
    status_after: str
    receipt_no: str | None
    where: str


@dataclass
class ApplicationTrail:
    """Everything recorded of one application, in time order, with the verdict."""

    id: str
    procedure: str
    title: str
    atena_no: str
    status: str
    receipt_no: str | None
    keyed_at: datetime | None
    received_at: datetime | None
    attempts: list[AttemptRecord]
    events: list[Event]
    shots: list[Shot]
    runs: list[str]
    verified: bool = False
    verdict: str = ""
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- reading the logs ---------------------------------------------------------------------


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, entry) of a JSON-lines log; unreadable lines are left to verify."""
    if not path.exists():
        return []
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            out.append((number, entry))
    return out


def _at(entry: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(entry.get("time"))).astimezone(JST)
    except ValueError:
        return datetime.min.replace(tzinfo=JST)


def _leaf(path: str | None) -> str:
    parts = [p for p in (path or "").split(".") if p and not p.isdigit()]
    return parts[-1].lower() if parts else ""


def _masked(value: Any, name: str | None, keys: frozenset[str]) -> Any:
    """``value`` masked as the item ``name`` (an element or data path) requires."""
    leaf = _leaf(name)
    if leaf and leaf in keys:
        return mask_values({leaf: value}, keys)[leaf]
    return mask_values(value, keys)


def _changes(entry: dict[str, Any], keys: frozenset[str]) -> tuple[str, ...]:
    """Each changed item as ``児童1 生年月日: 2019-02-30 → 2019-02-28`` (masked again)."""
    out = []
    for c in entry.get("changes") or []:
        if not isinstance(c, dict):
            continue
        item = str(c.get("item") or "")
        before, after = (_masked(c.get(k), item, keys) for k in ("before", "after"))
        shown = ["（なし）" if v is None else str(v) for v in (before, after)]
        out.append(f"{c.get('label') or item}: {shown[0]} → {shown[1]}")
    return tuple(out)


def _shot(folder: Path, entry: dict[str, Any]) -> Shot | None:
    name, recorded = entry.get("screenshot"), str(entry.get("sha256") or "")
    if not name:
        return None
    path = Path(name) if Path(name).is_absolute() else folder / name
    if not path.is_file():
        return Shot(path, recorded, "ファイルがありません")
    return Shot(path, recorded, "一致" if sha256_file(path) == recorded else "内容が一致しません")


def _run_event(
    run: str, number: int, entry: dict[str, Any], sources: Sources, keys: frozenset[str]
) -> Event:
    step = str(entry.get("step") or "")
    outcome = str(entry.get("outcome") or "")
    if step == "outcome":
        shown = ATTEMPT_OUTCOMES.get(outcome, outcome)
    else:
        shown = LINE_OUTCOMES.get(outcome, "")
    element = entry.get("element")
    return Event(
        at=_at(entry),
        source=run,
        step=step,
        what=STEP_LABELS.get(step, step),
        who=entry.get("runner"),
        outcome=shown or None,
        element=element,
        value=_masked(entry.get("value"), element, keys),
        detail=_detail(step, entry, sources),
        receipt_no=entry.get("receipt_no"),
        shot=_shot(sources.out_root / run, entry),
        where=f"{sources.out_root / run / 'audit.jsonl'}:{number}",
    )


def _detail(step: str, entry: dict[str, Any], sources: Sources) -> str:
    """The line's detail, in words where the engine wrote it for machines (scrubbed)."""
    detail = scrub_text(entry.get("detail"))
    if step == "run_start":
        return "対象: すべての手続" if detail == "all" else f"対象: {sources.named(detail)}"
    if step == "claim":
        tries = re.fullmatch(r"attempt (\d+)", detail)
        number = entry.get("attempt_id")
        which = f"試行 {number}" if number is not None else "試行"
        return f"{which}（{tries[1]} 回目）" if tries else detail
    if step == "run_end":
        try:
            counts = ast.literal_eval(detail)
        except (ValueError, SyntaxError):
            return detail
        if isinstance(counts, dict):
            shown = "・".join(f"{ATTEMPT_OUTCOMES.get(str(k), k)} {v}" for k, v in counts.items())
            return f"この実行の結果: {shown or 'なし'}"
    return detail


def _action(
    number: int, entry: dict[str, Any], row: ApplicationRow | None, sources: Sources
) -> HandAction:
    procedure = row.procedure if row else ""
    outcome = str(entry.get("outcome") or "")
    try:
        after = Status(outcome).label
    except ValueError:
        after = outcome
    step = str(entry.get("step") or "")
    return HandAction(
        at=_at(entry),
        application_id=str(entry.get("application") or ""),
        atena_no=row.atena_no if row else "",
        procedure=procedure,
        title=sources.title(procedure),
        by=str(entry.get("by") or entry.get("runner") or ""),
        action=ACTION_LABELS.get(step, step),
        note=scrub_text(entry.get("detail")),
        changes=_changes(entry, sources.keys(procedure)),
        status_after=after,
        receipt_no=entry.get("receipt_no"),
        where=f"{sources.review_log}:{number}",
    )


def _hand_actions(sources: Sources) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, entry in _lines(sources.review_log):
        if str(entry.get("step") or "") in APPLICATION_ACTIONS:
            yield number, entry


def _action_event(action: HandAction) -> Event:
    return Event(
        at=action.at,
        source="操作記録",
        step="hand",
        what=action.action,
        who=action.by,
        outcome=action.status_after,
        detail=action.note,
        changes=action.changes,
        receipt_no=action.receipt_no,
        where=action.where,
    )


# --- attempts -------------------------------------------------------------------------------


class _RunLogs:
    """Each run's log read once (an export touches many attempts of the same run)."""

    def __init__(self, out_root: Path) -> None:
        self.out_root = out_root
        self._read: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def lines(self, run: str) -> list[tuple[int, dict[str, Any]]]:
        if run not in self._read:
            self._read[run] = _lines(self.out_root / run / "audit.jsonl")
        return self._read[run]

    def of(self, run: str, app_id: str) -> list[dict[str, Any]]:
        return [e for _, e in self.lines(run) if e.get("application") == app_id]


def _segments(entries: list[dict[str, Any]], attempt_ids: list[int]) -> dict[int, list[Any]]:
    """The lines of each attempt of one application in one run: from its claim to the next.

    A claim line names its attempt (``attempt_id``); an older log's claims are matched to
    the run's attempts in order."""
    pending, out = list(attempt_ids), dict[int, list[Any]]()
    current: int | None = None
    for e in entries:
        if e.get("step") == "claim":
            stated = e.get("attempt_id")
            current = stated if isinstance(stated, int) else (pending[0] if pending else None)
            if current in pending:
                pending.remove(current)
            if current is not None:
                out.setdefault(current, [])
        if current is not None:
            out[current].append(e)
    return out


def _attempt_records(
    sources: Sources,
    pairs: list[tuple[AttemptRow, ApplicationRow]],
    logs: _RunLogs,
) -> list[AttemptRecord]:
    by_run: dict[tuple[str, str], list[int]] = {}
    for a, _ in pairs:
        by_run.setdefault((a.run_id, a.application_id), []).append(a.id)
    segments: dict[int, list[dict[str, Any]]] = {}
    for (run, app_id), ids in by_run.items():
        segments |= _segments(logs.of(run, app_id), sorted(ids))
    records = []
    for a, app in pairs:
        lines = segments.get(a.id, [])
        receipts = [e.get("receipt_no") for e in lines if e.get("step") == "outcome"]
        records.append(
            AttemptRecord(
                attempt_id=a.id,
                application_id=a.application_id,
                atena_no=app.atena_no,
                procedure=app.procedure,
                title=sources.title(app.procedure),
                run_id=a.run_id,
                runner=a.runner,
                started_at=jst(a.started_at),
                ended_at=jst(a.ended_at) if a.ended_at else None,
                outcome=ATTEMPT_OUTCOMES.get(a.outcome or "", a.outcome or NO_OUTCOME),
                reason=scrub_text(a.reason),
                receipt_no=next((r for r in reversed(receipts) if r), None),
                screenshots=sum(1 for e in lines if e.get("screenshot")),
            )
        )
    return records


# --- one application ------------------------------------------------------------------------


def _rejection_events(s: Any, app_id: str) -> list[Event]:
    q = select(ImportRejectionRow).where(ImportRejectionRow.application_id == app_id)
    return [
        Event(
            at=jst(r.imported_at),
            source="取り込み",
            step="import_rejected",
            what="取り込みで受け付けず",
            who=r.by,
            detail=scrub_text(r.reason),
            where=f"{r.file}:{r.row}行目",
        )
        for r in s.scalars(q.order_by(ImportRejectionRow.id))
    ]


def events_of(sources: Sources, app_id: str, runs: set[str] | None = None) -> Iterator[Event]:
    """Every recorded event of one application, in time order: each step of each run that
    touched it (with the run's start and end), each hand action, each import refusal."""
    if runs is None:
        runs = runs_of_application(sources.db, sources.out_root, app_id)
    with sources.db.session() as s:
        row = s.get(ApplicationRow, app_id)
        procedure = row.procedure if row else None
        events = _rejection_events(s, app_id)
        events += [
            _action_event(_action(n, e, row, sources))
            for n, e in _hand_actions(sources)
            if e.get("application") == app_id
        ]
    keys = sources.keys(procedure)
    for run in sorted(runs):
        for number, entry in _lines(sources.out_root / run / "audit.jsonl"):
            if entry.get("application") == app_id or entry.get("step") in ("run_start", "run_end"):
                events.append(_run_event(run, number, entry, sources, keys))
    yield from sorted(events, key=lambda e: e.at)


def trail_of(sources: Sources, app_id: str, key: InstallationKey) -> ApplicationTrail:
    """The trail of one application, verified (:func:`bots.audit.verify.verify_all` over
    the runs that touched it and the review log); UnknownApplication when nothing names it."""
    runs = runs_of_application(sources.db, sources.out_root, app_id)
    events = list(events_of(sources, app_id, runs))
    with sources.db.session() as s:
        row = s.get(ApplicationRow, app_id)
        q = select(AttemptRow).where(AttemptRow.application_id == app_id).order_by(AttemptRow.id)
        pairs = [(a, row) for a in s.scalars(q)] if row else []
        attempts = _attempt_records(sources, pairs, _RunLogs(sources.out_root))
    if row is None and not [e for e in events if e.step not in ("run_start", "run_end")]:
        raise UnknownApplication(
            f"申請 {app_id} の記録はありません（管理データベースにも監査記録にもありません）"
        )
    procedure = row.procedure if row else ""
    trail = ApplicationTrail(
        id=app_id,
        procedure=procedure,
        title=sources.title(procedure),
        atena_no=row.atena_no if row else "",
        status=Status(row.status).label if row else "管理データベースにありません",
        receipt_no=row.receipt_no if row else None,
        keyed_at=jst(row.keyed_at) if row and row.keyed_at else None,
        received_at=row.received_at.replace(tzinfo=JST) if row else None,  # stored in JST
        attempts=attempts,
        events=events,
        shots=[e.shot for e in events if e.shot is not None],
        runs=sorted(runs),
    )
    report = verify_all(sources.db, Scope(sources.out_root, sources.audit_dir, set(runs)), key)
    trail.verified = not report.findings
    trail.verdict = report.verdict()
    trail.findings = [str(f) for f in report.findings]
    trail.notes = list(report.notes)
    return trail


def applications_of_atena(sources: Sources, atena_no: str) -> list[str]:
    """The ids of every application filed under a 宛名番号, oldest first."""
    with sources.db.session() as s:
        q = select(ApplicationRow.id).where(ApplicationRow.atena_no == atena_no.strip())
        ids = list(s.scalars(q.order_by(ApplicationRow.received_at, ApplicationRow.id)))
    if not ids:
        raise UnknownApplication(f"宛名番号 {atena_no} の申請は管理データベースにありません")
    return ids


# --- the export -----------------------------------------------------------------------------


def _utc(day: date) -> datetime:
    """The start of a JST calendar day as the database stores times (naive UTC)."""
    return datetime.combine(day, time(), JST).astimezone(UTC).replace(tzinfo=None)


def export_rows(
    sources: Sources, start: date, end: date, procedure: str | None = None
) -> Iterator[AttemptRecord | HandAction]:
    """One row per attempt started and per hand action taken from ``start`` to ``end``
    (JST calendar dates, both included), in time order; ``procedure`` narrows both."""
    low, high = _utc(start), _utc(end + timedelta(days=1))
    with sources.db.session() as s:
        q = (
            select(AttemptRow, ApplicationRow)
            .join(ApplicationRow, ApplicationRow.id == AttemptRow.application_id)
            .where(AttemptRow.started_at >= low, AttemptRow.started_at < high)
        )
        if procedure:
            q = q.where(ApplicationRow.procedure == procedure)
        pairs = [(a, app) for a, app in s.execute(q.order_by(AttemptRow.id)).all()]
        rows: list[AttemptRecord | HandAction] = list(
            _attempt_records(sources, pairs, _RunLogs(sources.out_root))
        )
        apps: dict[str, ApplicationRow | None] = {}
        for number, entry in _hand_actions(sources):
            app_id = str(entry.get("application") or "")
            if app_id not in apps:
                apps[app_id] = s.get(ApplicationRow, app_id)
            action = _action(number, entry, apps[app_id], sources)
            if start <= action.at.date() <= end and (
                not procedure or action.procedure == procedure
            ):
                rows.append(action)
    yield from sorted(rows, key=lambda r: r.started_at if isinstance(r, AttemptRecord) else r.at)
