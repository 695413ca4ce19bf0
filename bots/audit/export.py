"""``renkei audit export``: the attempts and hand actions of a period, as CSV or Excel.

For the 監査委員事務局, who open it in Excel: Japanese headers, one row per attempt of the
bot and one per hand action (column 種別 tells them apart), in time order. The rows come
from :func:`bots.audit.history.export_rows`, already masked; texts are scrubbed once more
here, because this file leaves the installation. CSV is written with a BOM (``utf-8-sig``)
so that Excel reads the Japanese correctly; in the xlsx file the times are real date-times
(sortable, filterable) shown as ``2026年12月1日 18:02:11``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bots.audit.history import AttemptRecord, HandAction
from bots.config import jst
from bots.errors import RenkeiError
from bots.masking import scrub_text

FORMATS = ("csv", "xlsx")
#: What a download of each format is (the console sends the file :func:`write` makes).
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET = "監査記録"
KIND_ATTEMPT, KIND_ACTION = "ボットの試行", "手作業"
COLUMNS = [
    "種別",
    "日時",
    "終了日時",
    "申請ID",
    "宛名番号",
    "手続",
    "手続名",
    "実行ID",
    "実行者・操作者",
    "結果・操作",
    "理由・メモ",
    "受付番号",
    "画面写真（枚）",
    "訂正した項目",
    "記録",
]
TIME_COLUMNS = ("日時", "終了日時")
#: How Excel shows the time columns (the cells hold real date-times).
EXCEL_TIME_FORMAT = 'yyyy"年"m"月"d"日" hh:mm:ss'
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


class ExportError(RenkeiError):
    """The period or the file asked for cannot be exported (said in Japanese)."""


def parse_day(text: str, option: str) -> date:
    """A JST calendar date as people type it: ``2026-12-01`` or ``2026/12/1``."""
    match = _DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ExportError(
            f"{option} の日付「{text}」が読めません（2026-12-01 のように年-月-日で指定してください）"
        ) from None


def period(
    start_text: str, end_text: str, names: tuple[str, str] = ("--from", "--to")
) -> tuple[date, date]:
    """The period (both days included); the start may not be after the end. ``names`` are
    the items as the person typed them (the CLI's options, the console's fields)."""
    first, last = names
    start, end = parse_day(start_text, first), parse_day(end_text, last)
    if start > end:
        raise ExportError(
            f"期間の開始（{first} {start:%Y-%m-%d}）が終了（{last} {end:%Y-%m-%d}）より後になっています"
        )
    return start, end


def _naive(moment: datetime | None) -> datetime | None:
    """Japan time without the zone (as Excel holds date-times), to the second."""
    return None if moment is None else jst(moment).replace(tzinfo=None, microsecond=0)


def _text(moment: Any) -> str:
    """A naive Japan time of the table as people read it: ``2026年12月1日 18:02:11``."""
    if moment is None or pd.isna(moment):
        return ""
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M:%S}"


def _row(r: AttemptRecord | HandAction) -> dict[str, object]:
    if isinstance(r, AttemptRecord):
        return {
            "種別": KIND_ATTEMPT,
            "日時": _naive(r.started_at),
            "終了日時": _naive(r.ended_at),
            "申請ID": r.application_id,
            "宛名番号": r.atena_no,
            "手続": r.procedure,
            "手続名": r.title,
            "実行ID": r.run_id,
            "実行者・操作者": r.runner,
            "結果・操作": r.outcome,
            "理由・メモ": scrub_text(r.reason),
            "受付番号": r.receipt_no or "",
            "画面写真（枚）": r.screenshots,
            "訂正した項目": "",
            "記録": f"attempts:{r.attempt_id}",
        }
    return {
        "種別": KIND_ACTION,
        "日時": _naive(r.at),
        "終了日時": None,
        "申請ID": r.application_id,
        "宛名番号": r.atena_no,
        "手続": r.procedure,
        "手続名": r.title,
        "実行ID": "",
        "実行者・操作者": r.by,
        "結果・操作": f"{r.action}（→ {r.status_after}）",
        "理由・メモ": scrub_text(r.note),
        "受付番号": r.receipt_no or "",
        "画面写真（枚）": None,
        "訂正した項目": scrub_text(" / ".join(r.changes)),
        "記録": r.where,
    }


def frame(rows: Iterable[AttemptRecord | HandAction]) -> pd.DataFrame:
    """The export as a table with Japanese headers (times as naive JST date-times)."""
    table = pd.DataFrame([_row(r) for r in rows], columns=COLUMNS)
    table["画面写真（枚）"] = table["画面写真（枚）"].astype("Int64")
    return table


def default_name(start: date, end: date, fmt: str) -> Path:
    return Path(f"renkei-audit-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}")


def write(table: pd.DataFrame, out: Path, fmt: str) -> Path:
    """Write ``table`` as ``fmt`` (csv: times as text; xlsx: date-times shown in Japanese)."""
    if fmt not in FORMATS:
        raise ExportError(f"形式は csv か xlsx です（{fmt}）")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            text = table.copy()
            for column in TIME_COLUMNS:
                text[column] = [_text(v) for v in text[column]]
            text.to_csv(out, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(out, engine="openpyxl") as writer:
                table.to_excel(writer, index=False, sheet_name=SHEET)
                _layout(writer.sheets[SHEET], table)
    except OSError as exc:
        raise ExportError(f"{out} に書き出せません（{exc.strerror or exc}）") from exc
    return out


def _layout(sheet: Any, table: pd.DataFrame) -> None:
    """Times shown in Japanese, columns wide enough to read (Japanese counts double), the
    header row kept in view."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        if column in TIME_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = EXCEL_TIME_FORMAT
        cells = [str(column), *(str(v) for v in table[column].head(200) if pd.notna(v))]
        width = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in c) for c in cells)
        if column in TIME_COLUMNS:
            width = 22
        sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)


def as_bytes(table: pd.DataFrame, fmt: str) -> bytes:
    """The very file :func:`write` makes, as bytes: the console's download is the CLI's file."""
    with tempfile.TemporaryDirectory(prefix="renkei-export-") as folder:
        return write(table, Path(folder) / f"export.{fmt}", fmt).read_bytes()
