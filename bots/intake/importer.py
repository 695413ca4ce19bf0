"""``renkei import FILE``: applications from CSV, Excel or JSON, row by row.

A file from another system is never all good or all bad. Each row is checked on its own;
a bad row is reported with its row number (as the clerk sees it in Excel: the header is
row 1) and a reason, and the good rows are loaded; refused rows are also recorded in
``import_rejections`` (``renkei import --report``). Each stored row is then checked with its
procedure's application schema, exactly as the bot will check it: a row with problems is
stored as 要確認 with the bot's reason (never lost, never sent to the bot to fail), and
items the schema does not declare are reported and kept with the application.

An application already in the management database is refused, unless ``replace`` is
given and it is in 要確認 or 対象外 with no attempt that may have pressed 登録: then the
row is taken as its correction (audited with masked before/after, like ``review edit``).
Never for anything that is, or may be, in the core system.

Columns: ``id``, ``procedure``, ``atena_no``, ``received_at`` and either one ``data``
column holding the form as JSON, or flat columns with dotted names
(``applicant.kana``, ``children.1.name`` — numbers are 1-based list positions).
"""

from __future__ import annotations

import contextlib
import getpass
import io
import json
import math
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bots.audit.anchors import session_anchor
from bots.clock import utcnow
from bots.contracts import AuditEvent, Status
from bots.engine.evidence import is_plain_id, printable_id
from bots.engine.values import DATA_PROBLEM, data_problems
from bots.masking import protect_data, scrub_text
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, ImportRejectionRow
from bots.queue.transitions import ForbiddenTransition, create, transition
from bots.recipe.model import Recipe
from bots.review import changed_items, record

REQUIRED = ("id", "procedure", "atena_no")
#: Statuses an import may correct (with ``replace``): nothing was, or may have been, keyed.
REPLACEABLE = (Status.NEEDS_REVIEW.value, Status.REJECTED.value)
JST = ZoneInfo("Asia/Tokyo")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, wrong encoding, unknown type)."""


@dataclass
class ImportReport:
    """What became of each row: stored (``loaded``, some as 要確認) or refused."""

    loaded: list[str] = field(default_factory=list)  # stored, replaced ones included
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    needs_review: list[tuple[int, str]] = field(default_factory=list)  # stored as 要確認
    warnings: list[tuple[int, str]] = field(default_factory=list)  # stored, but look at it
    replaced: list[str] = field(default_factory=list)  # corrections (``replace``)


@dataclass(frozen=True)
class Rejection:
    """A refused row as recorded (``imported_at`` naive UTC, as every time in the database)."""

    file: str
    row: int
    application_id: str | None
    reason: str
    imported_at: datetime
    by: str

    @property
    def imported_at_jst(self) -> str:
        """The time as staff read it: Japan time, to the minute."""
        return f"{self.imported_at.replace(tzinfo=UTC).astimezone(JST):%Y-%m-%d %H:%M}"


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if not path.exists():
        raise ImportFileError(f"{path}: ファイルがありません")
    if path.stat().st_size == 0:
        raise ImportFileError(f"{path}: ファイルが空です")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            return pd.read_excel(path, dtype=str)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise ImportFileError(
                f"{path}: Excel ファイルとして読めません（{type(exc).__name__}）"
            ) from exc
    if suffix == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{path}: JSON は UTF-8 で保存してください") from exc
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"{path}: JSON として読めません（{exc.lineno}行目）") from exc
        if not isinstance(raw, list):
            raise ImportFileError(f"{path}: JSON は申請の配列にしてください")
        return pd.DataFrame({"__json__": raw})
    if suffix in (".csv", ".txt"):
        text = _decode_csv(path)
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError as exc:
            raise ImportFileError(f"{path}: データがありません") from exc
        except pd.errors.ParserError as exc:
            # pandas says "line N" (the file's line) or "row N" (0-based, header = row 0)
            line = re.search(r"line (\d+)", str(exc))
            row = re.search(r"row (\d+)", str(exc))
            where = (
                f"{line.group(1)}行目"
                if line
                else f"{int(row.group(1)) + 1}行目"
                if row
                else "途中"
            )
            raise ImportFileError(
                f"{path}: CSV の{where}が読めません（列の数が合わないか、引用符が閉じていません）"
            ) from exc
    raise ImportFileError(f"{path}: 対応していない形式です（CSV・Excel・JSON）")


_SAVE_AS = "（UTF-8 または Shift_JIS で保存してください）"


def _japanese_share(text: str) -> float:
    """How much of ``text`` is kanji, hiragana or full-width katakana (a decoding's sanity)."""
    jp = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    return jp / max(1, len(text))


def _decode_csv(path: Path) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (cp932), refusing anything else by name.

    cp932 accepts many byte strings that are not cp932 text: UTF-16 and EUC-JP in
    particular decode into plausible-looking garbage (山田 → ｻｳﾅﾄ), which must never become
    a resident's name. So those are recognised first and refused with what to do.
    """
    raw = path.read_bytes()
    head = raw[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(f"{path}: 文字コードが UTF-16 のため読めません{_SAVE_AS}")
    if b"\x00" in head:
        units = [head[i : i + 2] for i in range(0, len(head) - 1, 2)]
        ascii_units = sum(
            1 for u in units if (u[0] == 0 and 32 <= u[1] < 127) or (u[1] == 0 and 32 <= u[0] < 127)
        )
        if units and ascii_units / len(units) > 0.3:
            raise ImportFileError(f"{path}: 文字コードが UTF-16 のため読めません{_SAVE_AS}")
        raise ImportFileError(f"{path}: テキスト（CSV）ファイルではありません")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp932")
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: 文字コードを判別できません{_SAVE_AS}") from None
    try:
        euc = raw.decode("euc_jp")
    except UnicodeDecodeError:
        return text
    if _japanese_share(euc) > _japanese_share(text):
        raise ImportFileError(f"{path}: 文字コードが EUC-JP のようです{_SAVE_AS}")
    return text


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    )


MAX_ITEMS = 100  # rows of a repeated group (児童) one column may address


def _index(key: str, part: str) -> int:
    if not part.isdigit() or not 1 <= int(part) <= MAX_ITEMS:
        raise ValueError(f"列 {key}: 番号は1から{MAX_ITEMS}までです（{part}）")
    return int(part) - 1


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"children.1.name": "x"}`` → ``{"children": [{"name": "x"}]}``.

    Raises ValueError (a rejected row) for numbers outside 1–MAX_ITEMS and for columns that
    contradict each other (``bank`` beside ``bank.bank_code``).
    """
    root: dict[str, Any] = {}
    for key, value in flat.items():
        if _blank(value):
            continue
        parts = key.split(".")
        node: Any = root
        for here, nxt in zip(parts, parts[1:], strict=False):
            want: Any = [] if nxt.isdigit() else {}
            if isinstance(node, list):
                idx = _index(key, here)
                while len(node) <= idx:
                    node.append({})
                if not isinstance(node[idx], type(want)):
                    raise ValueError(f"列 {key} が他の列と矛盾しています")
                node = node[idx]
                continue
            node = node.setdefault(here, want)
            if not isinstance(node, type(want)):
                raise ValueError(f"列 {key} が他の列と矛盾しています")
        last = parts[-1]
        if isinstance(node, list):
            idx = _index(key, last)
            while len(node) <= idx:
                node.append(None)
            node[idx] = value
        elif isinstance(node.get(last), dict | list):
            raise ValueError(f"列 {key} が他の列と矛盾しています")
        else:
            node[last] = value
    return root


def _record(row: dict[str, Any]) -> dict[str, Any]:
    if "__json__" in row:
        item = row["__json__"]
        if not isinstance(item, dict):
            raise ValueError("申請がオブジェクトではありません")
        return item
    fields = {
        k: v
        for k, v in row.items()
        if k in ("id", "procedure", "atena_no", "received_at", "status")
    }
    if "data" in row and not _blank(row["data"]):
        try:
            fields["data"] = json.loads(str(row["data"]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"data 列が JSON として読めません（{exc.msg}）") from exc
    else:
        fields["data"] = _nest({k: v for k, v in row.items() if k not in fields})
    return fields


def _protect(raw: dict[str, Any]) -> None:
    """Record the row's sensitive values before any message about the row is made.

    Read from the row as it stands, not from what it parses to: a row that fails (a
    column shifted, a ``data`` that is not JSON) is reported too, and its reason may
    repeat a value. Flat columns count by their item's name (``bank.account_no``).
    """
    protect_data([{str(k).rsplit(".", 1)[-1]: v} for k, v in raw.items()])
    if isinstance(raw.get("data"), str):
        with contextlib.suppress(json.JSONDecodeError):  # reported unreadable, without its text
            protect_data(json.loads(raw["data"]))


def _one_based(path: str) -> str:
    """The schema's 0-based list positions as the import's columns name them (1-based)."""
    return ".".join(str(int(p) + 1) if p.isdigit() else p for p in path.split("."))


def _not_replaceable(existing: ApplicationRow) -> str | None:
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


class _Import:
    """One file's import: each row stored, replaced or refused, and the report of it."""

    def __init__(
        self,
        db: Database,
        path: Path,
        recipes: Mapping[str, Recipe],
        *,
        replace: bool,
        by: str,
        audit_dir: Path | None,
    ) -> None:
        self.db, self.path, self.recipes = db, path, recipes
        self.replace, self.by, self.audit_dir = replace, by, audit_dir
        self.report = ImportReport()
        self.refused: list[tuple[int, str | None, str]] = []
        self.seen: set[str] = set()

    def refuse(self, number: int, app_id: str | None, reason: str) -> None:
        reason = scrub_text(reason)
        self.report.rejected.append((number, reason))
        self.refused.append((number, app_id or None, reason))

    def row(self, number: int, raw: dict[str, Any]) -> None:
        app_id: str | None = None
        _protect(raw)
        try:
            rec = _record(raw)
            app_id = None if _blank(rec.get("id")) else printable_id(str(rec["id"]).strip())[:64]
            app = _validate(rec, self.recipes)
        except ValueError as exc:
            self.refuse(number, app_id, str(exc))
            return
        if app.id in self.seen:
            self.refuse(number, app.id, f"申請ID {app.id} がファイル内で重複しています")
            return
        self.seen.add(app.id)
        problems, unknown = self.check(app)
        with self.db.session() as s:
            existing = s.get(ApplicationRow, app.id)
            refusal = None if existing is None else self.correct(s, existing, app, number)
            if refusal:
                self.refuse(number, app.id, refusal)
                return
            if existing is None:
                try:
                    create(s, app)
                except ForbiddenTransition as exc:
                    self.refuse(number, app.id, str(exc))
                    return
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
        """Replace ``existing`` by the row (``replace``), or why not; audited before it changes."""
        if not self.replace:
            hint = ""
            if existing.status in REPLACEABLE and not existing.needs_verification:
                hint = "（訂正として取り込むには --replace を付けてください）"
            return f"申請ID {app.id} は既に取り込まれています{hint}"
        refusal = _not_replaceable(existing)
        if refusal:
            return refusal
        if existing.procedure != app.procedure:
            return f"申請ID {app.id} は手続 {existing.procedure} の申請です（手続は変えられません）"
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
        where = f"{self.path}:{number}行目"
        assert self.audit_dir is not None  # import_file requires it with replace
        try:  # written first, in this transaction: the audit line only for a real change
            self._replace(s, existing, app, number)
        except ForbiddenTransition as exc:
            return str(exc)
        record(
            self.audit_dir,
            self.by,
            anchor=session_anchor(s),  # anchored in the transaction of the correction
            event=AuditEvent(
                step="import_replace",
                outcome=app.status,
                application=app.id,
                detail=where,
                extra={"by": self.by, "from": existing.status, "changes": changes},
            ),
        )
        self.report.replaced.append(app.id)
        return None

    def _replace(
        self, s: Session, existing: ApplicationRow, app: ApplicationRow, number: int
    ) -> None:
        """The correction, through the table of transitions, guarded on the status read."""
        transition(
            s,
            app.id,
            Status(app.status),
            expected_from=[existing.status],
            data=app.data,
            atena_no=app.atena_no,
            reason=app.reason or f"取り込みで訂正（{self.path.name}:{number}行目）",
            attempts=0,
            retry_at=None,
            core_message=None,
            receipt_no=None,
            keyed_at=None,
            keyed_by=None,
            updated_at=utcnow(),
        )

    def save_refused(self) -> None:
        """Record the refused rows, so they are not only on the clerk's screen."""
        if not self.refused:
            return
        now = utcnow()
        with self.db.session() as s:
            s.add_all(
                ImportRejectionRow(
                    file=str(self.path),
                    row=number,
                    application_id=app_id,
                    reason=reason,
                    imported_at=now,
                    by=self.by,
                )
                for number, app_id, reason in self.refused
            )


def import_file(
    db: Database,
    path: Path,
    recipes: Mapping[str, Recipe],
    *,
    replace: bool = False,
    by: str | None = None,
    audit_dir: Path | None = None,
) -> ImportReport:
    """Load every good row of ``path``; report (and record) the bad ones.

    ``recipes`` by procedure: a row's procedure must have one, and its data is checked with
    it. ``replace`` takes rows of existing applications as corrections (see the module
    doc); their audit goes to ``audit_dir/review.jsonl``. ``by``: who imports (default the
    login name). Raises ImportFileError when the file as a whole cannot be read.
    """
    if replace and audit_dir is None:
        raise ValueError("replace needs audit_dir: every correction is audited")
    frame = _read(path)
    if frame.empty:
        raise ImportFileError(f"{path}: データ行がありません")
    if "__json__" not in frame.columns:
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise ImportFileError(f"{path}: 必要な列がありません: {', '.join(missing)}")
    run = _Import(
        db, path, recipes, replace=replace, by=by or getpass.getuser(), audit_dir=audit_dir
    )
    first_row = 1 if "__json__" in frame.columns else 2  # spreadsheet numbering, header = 1
    for offset, row in enumerate(frame.to_dict(orient="records")):
        run.row(first_row + offset, {str(k): v for k, v in row.items()})
    run.save_refused()
    return run.report


def list_rejections(db: Database, limit: int | None = None) -> list[Rejection]:
    """The recorded refused rows, newest first."""
    q = select(ImportRejectionRow).order_by(
        ImportRejectionRow.imported_at.desc(), ImportRejectionRow.id.desc()
    )
    if limit is not None:
        q = q.limit(limit)
    with db.session() as s:
        return [
            Rejection(r.file, r.row, r.application_id, r.reason, r.imported_at, r.by)
            for r in s.scalars(q)
        ]


def count_rejections(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(ImportRejectionRow)) or 0)


def _validate(rec: dict[str, Any], known: Mapping[str, Recipe]) -> ApplicationRow:
    for key in REQUIRED:
        if _blank(rec.get(key)):
            raise ValueError(f"{key} が空です")
    app_id, procedure, atena_no = (str(rec[k]).strip() for k in REQUIRED)
    if len(app_id) > 64:
        raise ValueError("申請IDが長すぎます（64文字まで）")
    if not is_plain_id(app_id):
        # The id names the application's evidence folder: "../../x" or "/etc/passwd"
        # must never reach a path (bots.engine.evidence).
        raise ValueError(
            f"申請ID '{printable_id(app_id)}' は使えません（半角英数字と - _ . のみ、"
            "先頭は . 以外、64文字まで。例 JT-2026-000001）"
        )
    if procedure not in known:
        raise ValueError(f"手続 '{procedure}' のレシピがありません（{', '.join(sorted(known))}）")
    if not atena_no.isascii() or not atena_no.isdigit():
        raise ValueError(f"宛名番号 '{atena_no}' は半角数字ではありません")
    received_raw = rec.get("received_at")
    try:
        received = (
            datetime.now() if _blank(received_raw) else datetime.fromisoformat(str(received_raw))
        )
    except ValueError as exc:
        raise ValueError(
            f"received_at '{received_raw}' は日時として読めません（例 2026-11-20T09:00）"
        ) from exc
    status = str(rec.get("status") or Status.RESOLVED.value)
    if status not in (Status.RECEIVED.value, Status.IDENTIFIED.value, Status.RESOLVED.value):
        raise ValueError(f"status '{status}' は取り込めません（received / identified / resolved）")
    data = rec.get("data")
    if not isinstance(data, dict) or not data:
        raise ValueError("申請内容（data）がありません")
    return ApplicationRow(
        id=app_id,
        procedure=procedure,
        received_at=received.replace(tzinfo=None),
        status=status,
        atena_no=atena_no,
        data=data,
        attempts=0,
        needs_verification=False,
    )
