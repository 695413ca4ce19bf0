"""The vendor's checks of a posted entry screen, for any procedure, from its spec.

The screen posts strings under standard keys (an item's name; a 和暦 date's four parts as
``name_era`` … ``name_day``; a row's items as ``rows_item_n``, its dates
``rows_item_n_era`` …); each subsystem's views
map their own input names to these first. Every problem is reported at once, in screen
order, in the vendor's words, and nothing is stored unless there are none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..wareki import WarekiError, from_wareki
from .spec import FormSpec, Item, Rows, keys_of

Record = dict[str, Any]


def row_prefix(rows: Rows) -> str:
    return f"{rows.name}_"


def _blank(item: Item, raw: Mapping[str, str], prefix: str, suffix: str) -> bool:
    return all(not raw.get(k, "").strip() for k in keys_of(item, prefix, suffix))


class _Checker:
    """Collects the problems of one post while reading its values."""

    def __init__(self, raw: Mapping[str, str], today: dt.date) -> None:
        self.raw = raw
        self.today = today
        self.errors: list[str] = []

    def value(self, item: Item, label: str, prefix: str = "", suffix: str = "") -> Any:
        """One item's stored value, or None with its problem noted."""
        keys = keys_of(item, prefix, suffix)
        if _blank(item, self.raw, prefix, suffix):
            return None
        if item.kind == "wareki":
            return self._wareki(item, label, [self.raw.get(k, "").strip() for k in keys])
        text = self.raw.get(keys[0], "").strip()
        if item.kind in ("select", "radio"):
            if text not in item.choices:
                return self._fail(f"{label}の選択が正しくありません。")
            return text
        if item.kind == "check":
            return text in ("1", "on", "true")
        if not _digits_ok(item, text):
            return self._fail(_digits_message(item, label))
        if item.kind == "number":
            return self._number(item, label, int(text))
        if item.max_length is not None and len(text) > item.max_length:
            return self._fail(f"{label}は{item.max_length}文字以内で入力してください。")
        return text

    def _wareki(self, item: Item, label: str, parts: list[str]) -> dt.date | None:
        try:
            day = from_wareki(*parts)
        except WarekiError:
            return self._fail(f"{label}が正しくありません。")
        if item.not_future and day > self.today:
            return self._fail(f"{label}に未来の日付は入力できません。")
        return day

    def _number(self, item: Item, label: str, number: int) -> int | None:
        low = item.min if item.min is not None else 0
        if number < low or (item.max is not None and number > item.max):
            top = f"{item.max:,}" if item.max is not None else ""
            return self._fail(f"{label}は{low:,}から{top}までの数値で入力してください。")
        return number

    def _fail(self, message: str) -> Any:
        """Note a problem; the item then has no value (None)."""
        self.errors.append(message)
        return None

    def missing(self, item: Item, label: str) -> None:
        verb = "選択" if item.kind in ("select", "radio") else "入力"
        self.errors.append(f"{label}を{verb}してください。")


def _digits_ok(item: Item, text: str) -> bool:
    if item.kind not in ("digits", "number"):
        return True
    if not (text.isascii() and text.isdigit()):
        return False
    return item.length is None or len(text) == item.length


def _digits_message(item: Item, label: str) -> str:
    if item.length is not None:
        return f"{label}は半角数字{item.length}桁で入力してください。"
    return f"{label}は半角数字で入力してください。"


def _needed(item: Item, values: Mapping[str, Any]) -> bool:
    if item.required_when is not None:
        return str(values.get(item.required_when.item) or "") in item.required_when.values
    return item.required


def _items(
    check: _Checker, items: list[Item], prefix: str = "", suffix: str = "", heading: str = ""
) -> Record:
    """The items' values; their problems in screen order (a missing item is only known to
    be required once every value is read: ``required_when``)."""
    values: Record = {}
    problems: dict[str, list[str]] = {}
    before = check.errors
    for item in items:
        check.errors = problems.setdefault(item.name, [])
        values[item.name] = check.value(item, f"{heading}{item.label}", prefix, suffix)
    for item in items:
        check.errors = problems[item.name]
        blank = values[item.name] is None and _blank(item, check.raw, prefix, suffix)
        if blank and _needed(item, values):
            check.missing(item, f"{heading}{item.label}")
    check.errors = before + [m for item in items for m in problems[item.name]]
    return values


def _rows(check: _Checker, rows: Rows) -> list[Record]:
    filled: list[Record] = []
    for n in range(1, rows.count + 1):
        suffix = f"_{n}"
        if all(_blank(i, check.raw, row_prefix(rows), suffix) for i in rows.items):
            continue
        heading = f"{rows.heading(n)}の"
        filled.append(_items(check, rows.items, row_prefix(rows), suffix, heading))
    if len(filled) < rows.min:
        check.errors.append(f"{rows.noun}を{rows.min}件以上入力してください。")
    return filled


def validate(
    spec: FormSpec, raw: Mapping[str, str], today: dt.date
) -> tuple[Record | None, list[str]]:
    """The record to store (dates as dates, codes as codes), or None and every problem."""
    check = _Checker(raw, today)
    record: Record = {}
    for section in spec.sections:
        record.update(_items(check, section.items))
        if section.rows is not None:
            record[section.rows.name] = _rows(check, section.rows)
    return (None, check.errors) if check.errors else (record, [])
