"""``renkei import FILE``: applications from CSV, Excel or JSON, row by row.

A file from another system is never all good or all bad. Each row is checked on its own;
a bad row is reported with its row number (as the clerk sees it in Excel: the header is
row 1) and a reason, and the good rows are loaded. The data's *content* (kana, dates,
personal numbers) is checked later by the recipe, where a problem sends the application
to review with the same precision; here we check what the queue itself needs.

Columns: ``id``, ``procedure``, ``atena_no``, ``received_at`` and either one ``data``
column holding the form as JSON, or flat columns with dotted names
(``applicant.kana``, ``children.1.name`` — numbers are 1-based list positions).
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bots.contracts import Status
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow

REQUIRED = ("id", "procedure", "atena_no")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, wrong encoding, unknown type)."""


@dataclass
class ImportReport:
    loaded: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)


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


def import_file(db: Database, path: Path, known_procedures: set[str]) -> ImportReport:
    """Load every good row of ``path``; report the bad ones. Raises ImportFileError."""
    frame = _read(path)
    if frame.empty:
        raise ImportFileError(f"{path}: データ行がありません")
    if "__json__" not in frame.columns:
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise ImportFileError(f"{path}: 必要な列がありません: {', '.join(missing)}")
    report = ImportReport()
    first_row = 1 if "__json__" in frame.columns else 2  # spreadsheet numbering, header = 1
    seen: set[str] = set()
    for offset, row in enumerate(frame.to_dict(orient="records")):
        number = first_row + offset
        try:
            rec = _record({str(k): v for k, v in row.items()})
            app = _validate(rec, known_procedures)
        except ValueError as exc:
            report.rejected.append((number, str(exc)))
            continue
        if app.id in seen:
            report.rejected.append((number, f"申請ID {app.id} がファイル内で重複しています"))
            continue
        seen.add(app.id)
        with db.session() as s:
            if s.get(ApplicationRow, app.id) is not None:
                report.rejected.append((number, f"申請ID {app.id} は既に取り込まれています"))
                continue
            s.add(app)
        report.loaded.append(app.id)
    return report


def _validate(rec: dict[str, Any], known: set[str]) -> ApplicationRow:
    for key in REQUIRED:
        if _blank(rec.get(key)):
            raise ValueError(f"{key} が空です")
    app_id, procedure, atena_no = (str(rec[k]).strip() for k in REQUIRED)
    if len(app_id) > 64:
        raise ValueError("申請IDが長すぎます（64文字まで）")
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
