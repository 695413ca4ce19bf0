"""和暦 (Japanese era) conversion for the mock core system.

This mock stands for another vendor's product, so it carries its own era table instead of
importing the bot's: if the two ever disagree, the tests will show it, just as a real vendor
difference would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Era:
    """One era: its name and the first and last day it covers (None = still running)."""

    name: str
    start: dt.date
    end: dt.date | None


ERAS: tuple[Era, ...] = (
    Era("明治", dt.date(1868, 1, 25), dt.date(1912, 7, 29)),
    Era("大正", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("昭和", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("平成", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("令和", dt.date(2019, 5, 1), None),
)

ERA_NAMES: tuple[str, ...] = tuple(era.name for era in ERAS)
_BY_NAME: dict[str, Era] = {era.name: era for era in ERAS}


class WarekiProblem(Enum):
    """Why a 和暦 date was refused; the screen turns each into its own message."""

    MISSING = "missing"  # some part left empty
    INVALID = "invalid"  # unknown era or a part that is not a number
    NONEXISTENT = "nonexistent"  # e.g. 2月30日
    OUT_OF_ERA = "out_of_era"  # e.g. 平成31年5月1日


class WarekiError(ValueError):
    """Raised by :func:`from_wareki`; ``problem`` tells the caller which message to show."""

    def __init__(self, problem: WarekiProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def era_of(day: dt.date) -> tuple[Era, int]:
    """Return the era containing ``day`` and the year within it (1 = 元年)."""
    for era in reversed(ERAS):
        if day >= era.start:
            return era, day.year - era.start.year + 1
    raise ValueError(f"{day.isoformat()} is before 明治")


def to_wareki(day: dt.date) -> str:
    """Format a date as a clerk writes it: ``昭和60年4月1日``, the first year as ``元年``.

    Dates before 明治 cannot occur for living residents; they are shown in ISO form rather
    than raising, so one odd record never breaks a whole result list.
    """
    try:
        era, year = era_of(day)
    except ValueError:
        return day.isoformat()
    year_text = "元" if year == 1 else str(year)
    return f"{era.name}{year_text}年{day.month}月{day.day}日"


def _parse_number(text: str, max_digits: int) -> int:
    """Accept only half-width digits, as the screen asks ("元年" is keyed as 1)."""
    if not text or len(text) > max_digits or not all("0" <= c <= "9" for c in text):
        raise WarekiError(WarekiProblem.INVALID)
    value = int(text)
    if value == 0:
        raise WarekiError(WarekiProblem.INVALID)
    return value


def from_wareki(era_name: str, year: str, month: str, day: str) -> dt.date:
    """Convert the four screen fields to a date, refusing anything a clerk could not mean.

    The date must exist and lie inside the named era: 平成31年5月1日 is refused although
    the Gregorian day exists, because that day is 令和元年5月1日.
    """
    if not (era_name and year and month and day):
        raise WarekiError(WarekiProblem.MISSING)
    era = _BY_NAME.get(era_name)
    if era is None:
        raise WarekiError(WarekiProblem.INVALID)
    y = _parse_number(year, 3)
    m = _parse_number(month, 2)
    d = _parse_number(day, 2)
    gregorian_year = era.start.year + y - 1
    try:
        result = dt.date(gregorian_year, m, d)
    except ValueError as exc:
        raise WarekiError(WarekiProblem.NONEXISTENT) from exc
    if result < era.start or (era.end is not None and result > era.end):
        raise WarekiError(WarekiProblem.OUT_OF_ERA)
    return result
