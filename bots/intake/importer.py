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
``received_at`` is Japan time as written; a time with an offset (``+00:00``) is converted
to Japan time (the queue keeps the received time as the municipality reads it).

The file is read by :mod:`bots.intake.reading` and its applications stored by
:mod:`bots.intake.storing`, the two stages the sources of ``sources.yaml`` share; this
module is what is ``renkei import``'s own: its columns and its rule for existing rows.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bots.contracts import Status
from bots.engine.evidence import is_plain_id, printable_id
from bots.intake.reading import ImportFileError, read_table
from bots.intake.storing import (
    REPLACEABLE,
    ImportReport,
    Policy,
    Store,
    Verdict,
    not_replaceable,
)
from bots.masking import protect_data
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, ImportRejectionRow
from bots.recipe.model import Recipe

__all__ = [
    "MAX_ITEMS",
    "REPLACEABLE",
    "ImportFileError",
    "ImportReport",
    "Rejection",
    "count_rejections",
    "import_file",
    "is_blank",
    "list_rejections",
    "nest",
    "parse_received",
]

REQUIRED = ("id", "procedure", "atena_no")
JST = ZoneInfo("Asia/Tokyo")
_not_replaceable = not_replaceable  # the name older code imports


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


def is_blank(value: Any) -> bool:
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


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"children.1.name": "x"}`` → ``{"children": [{"name": "x"}]}``.

    Raises ValueError (a rejected row) for numbers outside 1–MAX_ITEMS and for columns that
    contradict each other (``bank`` beside ``bank.bank_code``).
    """
    root: dict[str, Any] = {}
    for key, value in flat.items():
        if is_blank(value):
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
    if "data" in row and not is_blank(row["data"]):
        try:
            fields["data"] = json.loads(str(row["data"]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"data 列が JSON として読めません（{exc.msg}）") from exc
    else:
        fields["data"] = nest({k: v for k, v in row.items() if k not in fields})
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


def import_policy(replace: bool) -> Policy:
    """``renkei import``'s rule for a row of an application already stored: refused, or
    (``replace``) taken as its correction when nothing was, or may have been, keyed."""

    def decide(existing: ApplicationRow, app: ApplicationRow) -> Verdict:
        if not replace:
            hint = ""
            if existing.status in REPLACEABLE and not existing.needs_verification:
                hint = "（訂正として取り込むには --replace を付けてください）"
            return Verdict("refuse", f"申請ID {app.id} は既に取り込まれています{hint}")
        return Verdict("correct")

    return decide


def _row(store: Store, number: int, raw: dict[str, Any]) -> None:
    """One row of the file: mapped by the import's columns, then stored (or refused)."""
    app_id: str | None = None
    _protect(raw)
    try:
        rec = _record(raw)
        app_id = None if is_blank(rec.get("id")) else printable_id(str(rec["id"]).strip())[:64]
        app = _validate(rec, store.recipes)
    except ValueError as exc:
        store.refuse(number, app_id, str(exc))
        return
    store.take(number, app)


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
    table = read_table(path)
    if not table.rows:
        raise ImportFileError(f"{path}: データ行がありません")
    if table.kind != "json":
        missing = [c for c in REQUIRED if c not in table.columns]
        if missing:
            raise ImportFileError(f"{path}: 必要な列がありません: {', '.join(missing)}")
    store = Store(
        db,
        recipes,
        place=str(path),
        policy=import_policy(replace),
        by=by or getpass.getuser(),
        audit_dir=audit_dir,
    )
    for number, raw in table.rows:
        _row(store, number, {"__json__": raw} if table.kind == "json" else raw)
    store.save_refused()
    return store.report


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


def parse_received(raw: Any, what: str = "received_at") -> datetime:
    """A received time as the queue keeps it: naive Japan time.

    A naive value (``2026-11-20T09:00``, ``2026/11/20 09:00``, a naive ``datetime``) is
    taken as Japan time as written; one with an offset is converted to Japan time. A date
    alone is midnight. Raises ValueError naming ``what`` (the column).
    """
    if isinstance(raw, datetime):
        moment = raw
    elif hasattr(raw, "isoformat") and not isinstance(raw, str):  # a date
        moment = datetime.fromisoformat(raw.isoformat())
    else:
        text = str(raw).strip()
        try:
            moment = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError(
                f"{what} '{text}' は日時として読めません（例 2026-11-20T09:00）"
            ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(JST)
    return moment.replace(tzinfo=None)


def _validate(rec: dict[str, Any], known: Mapping[str, Recipe]) -> ApplicationRow:
    for key in REQUIRED:
        if is_blank(rec.get(key)):
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
    received = (
        datetime.now(JST).replace(tzinfo=None)
        if is_blank(received_raw)
        else parse_received(received_raw)
    )
    status = str(rec.get("status") or Status.RESOLVED.value)
    if status not in (Status.RECEIVED.value, Status.IDENTIFIED.value, Status.RESOLVED.value):
        raise ValueError(f"status '{status}' は取り込めません（received / identified / resolved）")
    data = rec.get("data")
    if not isinstance(data, dict) or not data:
        raise ValueError("申請内容（data）がありません")
    return ApplicationRow(
        id=app_id,
        procedure=procedure,
        received_at=received,
        status=status,
        atena_no=atena_no,
        data=data,
        attempts=0,
        needs_verification=False,
    )
