"""Server-side checks of the 妊娠の届出 entry (the JSON the screen posts).

Every problem is gathered (the clerk fixes them in one go), each message names the item
with the label the screen shows in the current layout variant (v3 renamed two items), and
nothing is stored unless the list is empty. Messages follow the main mock's wording.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..validation import non_jis_chars
from .store import Pregnancy

MAX_WEEKS = 45
MAX_DUE_DAYS = 300
MAX_CLINIC_LEN = 60
MAX_REMARKS_LEN = 200
MULTIPLE_CHOICES: tuple[str, ...] = ("いいえ", "はい")
FETUS_COUNTS: tuple[str, ...] = ("2", "3", "4", "5")
OCCUPATIONS: tuple[str, ...] = ("会社員", "自営業", "パート・アルバイト", "学生", "無職", "その他")

# Item names per layout variant (field key → label text on the screen).
LABELS: dict[str, str] = {
    "notified_on": "届出日",
    "weeks": "妊娠週数",
    "due_date": "出産予定日",
    "multiple": "多胎妊娠",
    "fetus_count": "胎児数",
    "clinic": "妊婦健診の医療機関",
    "occupation": "職業",
    "remarks": "備考",
}
_VARIANT_LABELS: dict[str, dict[str, str]] = {
    "v3": {**LABELS, "weeks": "妊娠週", "due_date": "分娩予定日"},
}

_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WEEKS_RE = re.compile(r"[0-9]{1,2}")


def labels_for(variant: str | None) -> dict[str, str]:
    """The item names the screen shows in ``variant`` (unknown variants: the normal ones)."""
    return _VARIANT_LABELS.get(variant or "", LABELS)


@dataclass
class Problems:
    """Messages in screen order, and the same messages by field for inline display."""

    messages: list[str] = field(default_factory=list)
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        """Record one message against a field."""
        self.messages.append(message)
        self.by_field.setdefault(key, []).append(message)


def _text(data: Mapping[str, Any], key: str, *, strip: bool = True) -> str:
    """A posted value as a string (numbers accepted; anything else counts as empty)."""
    value = data.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value.replace("\r\n", "\n")


def _date(key: str, value: str, labels: dict[str, str], problems: Problems) -> dt.date | None:
    item = labels[key]
    if not value:
        problems.add(key, f"{item}を入力してください。")
        return None
    if not _ISO_DATE_RE.fullmatch(value):
        problems.add(key, f"{item}が正しくありません。")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.add(key, f"{item}は存在しない日付です。")
        return None


def _jis_text(
    key: str, value: str, max_len: int, labels: dict[str, str], problems: Problems
) -> None:
    item = labels[key]
    if len(value) > max_len:
        problems.add(key, f"{item}は{max_len}文字以内で入力してください。")
    bad = non_jis_chars(value)
    if bad:
        problems.add(key, f"{item}に使用できない文字が含まれています（{'、'.join(bad)}）。")


def _choice(
    key: str, value: str, choices: tuple[str, ...], labels: dict[str, str], problems: Problems
) -> bool:
    if not value:
        problems.add(key, f"{labels[key]}を選択してください。")
        return False
    if value not in choices:
        problems.add(key, f"{labels[key]}が正しくありません。")
        return False
    return True


def validate_pregnancy(
    data: Mapping[str, Any], variant: str | None = None
) -> tuple[Pregnancy | None, Problems]:
    """Check a posted notification in screen order; the record only when nothing is wrong."""
    labels = labels_for(variant)
    problems = Problems()

    notified_on = _date("notified_on", _text(data, "notified_on"), labels, problems)

    weeks: int | None = None
    weeks_text = _text(data, "weeks")
    if not weeks_text:
        problems.add("weeks", f"{labels['weeks']}を入力してください。")
    elif not _WEEKS_RE.fullmatch(weeks_text) or not 1 <= int(weeks_text) <= MAX_WEEKS:
        problems.add(
            "weeks", f"{labels['weeks']}は1から{MAX_WEEKS}までの半角数字で入力してください。"
        )
    else:
        weeks = int(weeks_text)

    due_date = _date("due_date", _text(data, "due_date"), labels, problems)
    if notified_on is not None and due_date is not None:
        if due_date <= notified_on:
            problems.add(
                "due_date",
                f"{labels['due_date']}は{labels['notified_on']}より後の日付を入力してください。",
            )
        elif (due_date - notified_on).days > MAX_DUE_DAYS:
            problems.add(
                "due_date",
                f"{labels['due_date']}は{labels['notified_on']}から{MAX_DUE_DAYS}日以内の日付を入力してください。",
            )

    multiple_text = _text(data, "multiple")
    multiple = _choice("multiple", multiple_text, MULTIPLE_CHOICES, labels, problems) and (
        multiple_text == "はい"
    )
    fetus_count: int | None = None
    if multiple:
        count_text = _text(data, "fetus_count")
        if _choice("fetus_count", count_text, FETUS_COUNTS, labels, problems):
            fetus_count = int(count_text)

    clinic = _text(data, "clinic")
    if not clinic:
        problems.add("clinic", f"{labels['clinic']}を入力してください。")
    else:
        _jis_text("clinic", clinic, MAX_CLINIC_LEN, labels, problems)

    occupation = _text(data, "occupation")
    _choice("occupation", occupation, OCCUPATIONS, labels, problems)

    remarks = _text(data, "remarks", strip=False)
    _jis_text("remarks", remarks, MAX_REMARKS_LEN, labels, problems)

    if problems.messages or notified_on is None or due_date is None or weeks is None:
        return None, problems
    return (
        Pregnancy(
            notified_on=notified_on,
            weeks=weeks,
            due_date=due_date,
            multiple=multiple,
            fetus_count=fetus_count,
            clinic=clinic,
            occupation=occupation,
            remarks=remarks,
        ),
        problems,
    )
