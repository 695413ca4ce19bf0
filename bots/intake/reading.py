"""The reading stage of an import: a CSV, Excel or JSON file → numbered rows.

Shared by ``renkei import`` (:mod:`bots.intake.importer`) and the drop-folder sources
(:mod:`bots.sources.folder`): both must read the same files the same way, and both number
rows as the clerk sees them in Excel (the header is row 1; a JSON file's objects from 1).
Nothing here knows what a row means: mapping a row onto an application is the caller's.

A file is read from its bytes (``raw``) when the caller has them: a drop folder hashes the
very bytes it reads, so what is recorded as taken is what was read.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

#: The encodings a file may be declared in (``auto``: UTF-8 with or without BOM, else
#: Shift_JIS/cp932, UTF-16 and EUC-JP refused by name).
Encoding = Literal["auto", "utf-8", "cp932"]
EXCEL = (".xlsx", ".xlsm", ".xls")
TEXT = (".csv", ".txt")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, wrong encoding, unknown type)."""


@dataclass
class Table:
    """A file's rows: (row number, row). CSV/Excel rows are ``{column: str or NaN}``; a JSON
    file's rows are its array's items as they are (an item that is not an object is the
    caller's to refuse)."""

    kind: Literal["csv", "excel", "json"]
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, Any]] = field(default_factory=list)


def read_table(path: Path, *, raw: bytes | None = None, encoding: Encoding = "auto") -> Table:
    """Every row of ``path`` (or of ``raw``, its bytes), or :class:`ImportFileError`."""
    if raw is None:
        if not path.exists():
            raise ImportFileError(f"{path}: ファイルがありません")
        raw = path.read_bytes()
    if not raw:
        raise ImportFileError(f"{path}: ファイルが空です")
    suffix = path.suffix.lower()
    if suffix in EXCEL:
        return _frame_table("excel", _read_excel(path, raw))
    if suffix == ".json":
        items = _read_json(path, raw)
        return Table("json", [], [(n, item) for n, item in enumerate(items, start=1)])
    if suffix in TEXT:
        return _frame_table("csv", _read_csv(path, raw, encoding))
    raise ImportFileError(f"{path}: 対応していない形式です（CSV・Excel・JSON）")


def _frame_table(kind: Literal["csv", "excel"], frame: pd.DataFrame) -> Table:
    columns = [str(c) for c in frame.columns]
    records = frame.to_dict(orient="records")
    rows = [(2 + i, {str(k): v for k, v in rec.items()}) for i, rec in enumerate(records)]
    return Table(kind, columns, rows)


def _read_excel(path: Path, raw: bytes) -> pd.DataFrame:
    try:
        return pd.read_excel(io.BytesIO(raw), dtype=str)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ImportFileError(
            f"{path}: Excel ファイルとして読めません（{type(exc).__name__}）"
        ) from exc


def _read_json(path: Path, raw: bytes) -> list[Any]:
    try:
        items = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path}: JSON は UTF-8 で保存してください") from exc
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{path}: JSON として読めません（{exc.lineno}行目）") from exc
    if not isinstance(items, list):
        raise ImportFileError(f"{path}: JSON は申請の配列にしてください")
    return items


def _read_csv(path: Path, raw: bytes, encoding: Encoding) -> pd.DataFrame:
    text = decode_csv(path, raw, encoding)
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise ImportFileError(f"{path}: データがありません") from exc
    except pd.errors.ParserError as exc:
        # pandas says "line N" (the file's line) or "row N" (0-based, header = row 0)
        line = re.search(r"line (\d+)", str(exc))
        row = re.search(r"row (\d+)", str(exc))
        where = (
            f"{line.group(1)}行目" if line else f"{int(row.group(1)) + 1}行目" if row else "途中"
        )
        raise ImportFileError(
            f"{path}: CSV の{where}が読めません（列の数が合わないか、引用符が閉じていません）"
        ) from exc


_SAVE_AS = "（UTF-8 または Shift_JIS で保存してください）"


def _japanese_share(text: str) -> float:
    """How much of ``text`` is kanji, hiragana or full-width katakana (a decoding's sanity)."""
    jp = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    return jp / max(1, len(text))


def _refuse_utf16(path: Path, head: bytes) -> None:
    """UTF-16 (with or without BOM) and binary files, refused by name."""
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


def decode_csv(path: Path, raw: bytes, encoding: Encoding = "auto") -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (cp932), refusing anything else by name.

    cp932 accepts many byte strings that are not cp932 text: UTF-16 and EUC-JP in
    particular decode into plausible-looking garbage (山田 → ｻｳﾅﾄ), which must never become
    a resident's name. So those are recognised first and refused with what to do. A
    declared ``encoding`` (a drop folder's setting) is used as declared, or refused.
    """
    _refuse_utf16(path, raw[:4096])
    if encoding != "auto":
        try:
            return raw.decode("utf-8-sig" if encoding == "utf-8" else "cp932")
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{path}: 文字コード {encoding} として読めません（sources.yaml の encoding）"
            ) from None
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
