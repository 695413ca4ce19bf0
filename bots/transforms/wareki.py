"""和暦 (Japanese era dates): the core screens take era + year + month + day.

The core system validates that a date lies inside its era (``平成31年5月1日`` does not
exist: 令和 began on 2019-05-01), so the conversion must be exact on the boundary days.
Year 1 of an era is written 元年 on paper and in the core system's display, and keyed as
``1`` in its year field.

Dates before 明治 (1868-01-25) have no era in this table and are rejected rather than
guessed. 明治 is counted from 1868-01-25 (慶応4年1月1日, the date the change of era was
made retroactive to), as the core system does.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import NamedTuple

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, half_ascii


class Era(NamedTuple):
    """An era and its first day (Gregorian)."""

    name: str
    start: date


#: The eras the core system knows, oldest first. Each ends the day before the next starts.
ERAS: tuple[Era, ...] = (
    Era("明治", date(1868, 1, 25)),
    Era("大正", date(1912, 7, 30)),
    Era("昭和", date(1926, 12, 25)),
    Era("平成", date(1989, 1, 8)),
    Era("令和", date(2019, 5, 1)),
)

ERA_NAMES: tuple[str, ...] = tuple(era.name for era in ERAS)

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WAREKI = re.compile(
    r"(明治|大正|昭和|平成|令和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
)


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def _format(era: str, year: int, month: int, day: int) -> str:
    return f"{era}{_year_text(year)}年{month}月{day}日"


class Wareki(NamedTuple):
    """A date as era, era year (1 = 元年), month and day."""

    era: str
    year: int
    month: int
    day: int

    @property
    def text(self) -> str:
        """The date as the core system displays it: ``昭和60年4月1日``, ``令和元年5月1日``."""
        return _format(self.era, self.year, self.month, self.day)

    @property
    def year_text(self) -> str:
        """The era year as written: ``元`` for 1, else the digits."""
        return _year_text(self.year)

    def to_date(self) -> date:
        """The Gregorian date (validated, see :func:`from_wareki`)."""
        return from_wareki(self.era, self.year, self.month, self.day)


def _era_index(name: str) -> int:
    try:
        return ERA_NAMES.index(name)
    except ValueError:
        allowed = "・".join(ERA_NAMES)
        raise InvalidValue(f"元号 {name} は使用できません（{allowed}）") from None


def _era_end(index: int) -> date | None:
    """The last day of ``ERAS[index]``, or None for the current era."""
    if index + 1 < len(ERAS):
        return ERAS[index + 1].start - timedelta(days=1)
    return None


def parse_iso_date(value: object) -> date:
    """A ``date`` from a date, a datetime or an ISO ``YYYY-MM-DD`` string.

    Full-width digits and hyphens (``２０１９－０５－０１``) are normalised first, since
    online forms deliver them. Only the plain ``YYYY-MM-DD`` form is accepted: the other
    forms :meth:`date.fromisoformat` knows (``20190501``, week dates) never come from a
    form and would hide a mistake.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = half_ascii(as_text(value)).strip()
    match = _ISO.fullmatch(text)
    if not match:
        raise InvalidValue(f"日付の形式が正しくありません（{text}）。YYYY-MM-DD で指定してください")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValue(f"{text} は存在しない日付です") from None


def _as_int(value: int | str, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidValue(f"{what}が正しくありません（{value}）")
    if isinstance(value, int):
        return value
    text = half_ascii(str(value)).strip()
    if what == "年" and text in ("元", "元年"):
        return 1
    text = text.removesuffix(what)
    if not text.isascii() or not text.isdigit():
        raise InvalidValue(f"{what}が正しくありません（{value}）")
    return int(text)


def from_wareki(era: str, year: int | str, month: int | str, day: int | str) -> date:
    """The Gregorian date of an era date; :class:`InvalidValue` if no such day exists.

    Rejects a day outside its era (``平成31年5月1日``, ``令和元年4月30日``, ``昭和65年1月1日``)
    and an impossible day (``2月30日``). ``year`` may be ``"元"``; strings may carry
    full-width digits.
    """
    index = _era_index(era.strip())
    era = ERAS[index].name
    y = _as_int(year, "年")
    m = _as_int(month, "月")
    d = _as_int(day, "日")
    label = _format(era, y, m, d) if y >= 1 else f"{era}{y}年{m}月{d}日"
    if y < 1:
        raise InvalidValue(f"{label} は存在しない日付です（年は1以上）")
    start = ERAS[index].start
    try:
        result = date(start.year + y - 1, m, d)
    except ValueError:
        raise InvalidValue(f"{label} は存在しない日付です") from None
    end = _era_end(index)
    if result < start:
        first = to_wareki(start)
        bound = f"{first.year_text}年{first.month}月{first.day}日"
        raise InvalidValue(f"{label} は存在しない日付です（{era}は{bound}から）")
    if end is not None and result > end:
        last = to_wareki(end)
        bound = f"{last.year_text}年{last.month}月{last.day}日"
        raise InvalidValue(f"{label} は存在しない日付です（{era}は{bound}まで）")
    return result


def to_wareki(value: date | str) -> Wareki:
    """The era date of a ``date`` or ISO string; :class:`InvalidValue` before 明治."""
    day = parse_iso_date(value)
    for era in reversed(ERAS):
        if day >= era.start:
            return Wareki(era.name, day.year - era.start.year + 1, day.month, day.day)
    raise InvalidValue(f"{day.isoformat()} は明治より前の日付のため和暦にできません")


def parse_wareki_text(text: str) -> Wareki:
    """Parse ``令和元年5月1日`` / ``昭和60年4月1日`` (full-width digits allowed), validated."""
    normalised = half_ascii(as_text(text)).strip()
    match = _WAREKI.fullmatch(normalised)
    if not match:
        raise InvalidValue(f"和暦の日付として読めません（{text}）")
    era, year_part, month_part, day_part = match.groups()
    year = 1 if year_part == "元" else int(year_part)
    day = from_wareki(era, year, int(month_part), int(day_part))
    return Wareki(era, year, day.month, day.day)


def to_date(value: object) -> date:
    """A ``date`` from a date, an ISO string or a 和暦 text — whichever the form carried."""
    if isinstance(value, str) and any(value.strip().startswith(n) for n in ERA_NAMES):
        return parse_wareki_text(value).to_date()
    return parse_iso_date(value)


@register("iso_date")
def iso_date(value: object) -> str:
    """``YYYY-MM-DD`` from a date, an ISO string (full-width digits allowed) or 和暦 text."""
    return to_date(value).isoformat()


@register("wareki_era")
def wareki_era(value: object) -> str:
    """The era name (``令和``) of a date, for the core screen's era select."""
    return to_wareki(to_date(value)).era


@register("wareki_year")
def wareki_year(value: object) -> str:
    """The era year as digits (元年 → ``"1"``), for the core screen's year field."""
    return str(to_wareki(to_date(value)).year)


@register("wareki_month")
def wareki_month(value: object) -> str:
    """The month as digits without zero padding (``"4"``)."""
    return str(to_wareki(to_date(value)).month)


@register("wareki_day")
def wareki_day(value: object) -> str:
    """The day as digits without zero padding (``"1"``)."""
    return str(to_wareki(to_date(value)).day)


@register("wareki_text")
def wareki_text(value: object) -> str:
    """The date as the core system displays it (``令和元年5月1日``), for comparing screens."""
    return to_wareki(to_date(value)).text
