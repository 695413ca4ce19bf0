"""Schedules in words: what a 業務担当 writes (``平日 18:00``) to a cron line and back.

Staff should not have to learn crontab to say "every weekday at six". The store keeps cron
(:mod:`bots.scheduling.store`), so words are turned into cron at the edge — the CLI's
``--when`` and the console's form — and cron is shown as words in the lists, falling back
to the cron text for anything words cannot say (seconds, steps, ranges of hours).

Accepted forms (digits, colons and spaces may be full-width, ``１８：００``)::

    毎日 8:30          平日 18:00         土日 10:00
    毎週月曜 7:00      月・水・金 12:00   毎月1日 9:00      毎月末日 17:00

平日 means Monday to Friday here. Whatever the words, the scheduler still rests on closed
days (祝日, 年末年始, the municipality's extra closed days) unless the schedule is marked
to run on them too.
"""

from __future__ import annotations

import re

import jaconv

from bots.scheduling.store import ScheduleError

_DAYS = "月火水木金土日"
_CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_EVERY_DAY = frozenset(range(7))

#: The examples every error shows, in the order people meet them.
EXAMPLES = (
    "平日 18:00",
    "毎日 8:30",
    "毎週月曜 7:00",
    "月・水・金 12:00",
    "土日 10:00",
    "毎月1日 9:00",
    "毎月末日 17:00",
)

_TIME = re.compile(r"(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分|(半))?)$")
_MONTH_DAY = re.compile(r"毎月(\d{1,2})日$")
_MONTH_END = re.compile(r"(?:毎月)?月?末日?$")
_WEEKDAY_LIST = re.compile(
    r"(?:毎週)?([月火水木金土日](?:曜日?)?(?:[・、,/]?[月火水木金土日](?:曜日?)?)*)$"
)


class WhenError(ScheduleError):
    """A phrase that is not one of the accepted forms: one Japanese line with examples."""


def accepted_forms() -> str:
    """The accepted forms as one line, for errors and help texts."""
    return " / ".join(EXAMPLES)


def _refuse(text: str, why: str = "は読み取れません") -> WhenError:
    return WhenError(
        f"実行日時「{text}」{why}。次の形で書いてください: {accepted_forms()}"
        "（数字・コロンは全角でも構いません）"
    )


def _normal(text: str) -> str:
    """Half-width digits, colons and spaces; one space between words; 曜 names kept."""
    half = jaconv.z2h(text, kana=False, ascii=True, digit=True)
    return " ".join(half.replace("：", ":").split())


def _time(text: str, phrase: str) -> tuple[int, int]:
    m = _TIME.match(text)
    if not m:
        raise _refuse(phrase, f"の時刻「{text}」が読み取れません")
    hour = int(m.group(1))
    minute = 30 if m.group(4) else int(m.group(2) or m.group(3) or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise _refuse(phrase, f"の時刻「{text}」は 0:00〜23:59 の範囲ではありません")
    return hour, minute


def _day_field(text: str, phrase: str) -> tuple[str, str]:
    """The days part → (day-of-month field, day-of-week field) of a cron line."""
    if text == "毎日":
        return "*", "*"
    if text in ("平日", "毎平日"):
        return "*", "mon-fri"
    if text == "週末":
        return "*", "sat,sun"
    if m := _MONTH_DAY.match(text):
        day = int(m.group(1))
        if not 1 <= day <= 31:
            raise _refuse(phrase, f"の日「{day}日」は 1〜31 の範囲ではありません")
        return str(day), "*"
    if _MONTH_END.match(text) and "末" in text:
        return "last", "*"
    if (m := _WEEKDAY_LIST.match(text)) and not text.startswith("毎日"):
        names = m.group(1).replace("曜日", "").replace("曜", "")
        return "*", _dow(frozenset(_DAYS.index(ch) for ch in names if ch in _DAYS))
    raise _refuse(phrase)


def _dow(days: frozenset[int]) -> str:
    if days == _EVERY_DAY:
        return "*"
    if days == _WEEKDAYS:
        return "mon-fri"
    return ",".join(_CRON_DAYS[d] for d in sorted(days))


def parse_when(text: str) -> str:
    """``平日 18:00`` → ``0 18 * * mon-fri`` (Japan time); :class:`WhenError` otherwise."""
    phrase = text.strip()
    normal = _normal(phrase)
    m = re.match(r"(.*?)\s*(\d{1,2}(?::\d{2}|時(?:\d{1,2}分|半)?))$", normal)
    if not phrase or m is None or not m.group(1):
        raise _refuse(phrase or "（空）")
    hour, minute = _time(m.group(2), phrase)
    day, dow = _day_field(m.group(1).replace(" ", ""), phrase)
    return f"{minute} {hour} {day} * {dow}"


# -- cron back to words -----------------------------------------------------------------


def _weekday_set(field: str) -> frozenset[int] | None:
    """A day-of-week field (names or crontab numbers, 0/7 Sunday) → weekdays 0=Monday."""
    if field == "*":
        return _EVERY_DAY
    days: set[int] = set()
    for token in field.lower().split(","):
        lo, _, hi = token.partition("-")
        first, last = _weekday_index(lo), _weekday_index(hi or lo)
        if first is None or last is None:
            return None
        if hi and (lo.isdigit() and hi.isdigit()) and int(hi) == 7:
            last = 6  # "1-7": Monday to Sunday
        if first > last:
            return None
        days.update(range(first, last + 1))
    return frozenset(days)


def _weekday_index(token: str) -> int | None:
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return (int(token) + 6) % 7  # crontab: 0 and 7 Sunday, 1 Monday
    return None


def _days_in_words(days: frozenset[int]) -> str:
    if days == _EVERY_DAY:
        return "毎日"
    if days == _WEEKDAYS:
        return "平日"
    if days == _WEEKEND:
        return "土日"
    if len(days) == 1:
        return f"毎週{_DAYS[next(iter(days))]}曜"
    return "・".join(_DAYS[d] for d in sorted(days))


def describe(cron: str) -> str:
    """A cron line in words for the lists (``平日 18:00``); the cron text itself when words
    cannot say it exactly (seconds, steps, several hours, a month…)."""
    fields = cron.split()
    if len(fields) != 5:
        return cron
    minute, hour, day, month, dow = fields
    if not (minute.isdigit() and hour.isdigit() and month == "*"):
        return cron
    h, m = int(hour), int(minute)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return cron
    at = f"{h}:{m:02d}"
    if day == "*":
        days = _weekday_set(dow)
        return f"{_days_in_words(days)} {at}" if days else cron
    if dow != "*":
        return cron
    if day == "last":
        return f"毎月末日 {at}"
    if day.isdigit() and 1 <= int(day) <= 31:
        return f"毎月{int(day)}日 {at}"
    return cron
