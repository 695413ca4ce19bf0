"""The office calendar and the core systems' online hours, always decided in Japan time.

A scheduled run does not start on a day the municipal office is closed: weekends, 祝日
(:mod:`jpholiday`), 年末年始 (12/29–1/3) and the extra closed days staff keep in the
``closed_days`` table (``renkei calendar closed add``). Each core subsystem (``kosodate``,
``boshi``, ``kaigo`` — a recipe's ``system``) may accept online work only during a window,
e.g. 08:30–21:00 (``online_windows``, ``renkei calendar window set``); no window means
always open. Every decision converts the moment to JST first: a host running in UTC must
not take a Monday 08:00 JST run for a Sunday one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jpholiday
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bots.contracts import AuditEvent
from bots.queue.db import Database
from bots.queue.schema import ClosedDayRow, OnlineWindowRow

JST = ZoneInfo("Asia/Tokyo")
_WEEKDAYS = "月火水木金土日"
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~〜]\s*(\d{1,2}):(\d{2})\s*$")


class CalendarError(ValueError):
    """An operator's mistake with the calendar (unknown system, bad hours): one Japanese line."""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def audit_change(
    s: Session, audit_dir: Path | None, by: str | None, step: str, detail: str, **extra: Any
) -> None:
    """A line of the staff actions' audit log (``review.jsonl``) with the person, written in
    the caller's transaction ``s`` so that it is anchored with the change it records.

    Schedules and calendars decide when the bot types into the core system, so changing
    them is audited like a review action. ``audit_dir`` None writes nothing: only for
    tests and set-up code that call the store directly; the CLI and the console always
    pass the installation's audit dir.
    """
    if audit_dir is None:
        return
    from bots.audit.anchors import session_anchor
    from bots.review import record

    who = by or "不明"
    event = AuditEvent(step=step, outcome="ok", detail=detail, extra={"by": who, **extra})
    record(audit_dir, who, event, anchor=session_anchor(s))


def jst(at: datetime) -> datetime:
    """``at`` in Japan time; a naive value is taken as UTC, as the tables store it."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(JST)


def fixed_closed_reason(day: date) -> str | None:
    """Why ``day`` is closed by national rule (年末年始, 祝日, weekend), or None."""
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return f"{day.isoformat()} は年末年始の閉庁日です"
    holiday = jpholiday.is_holiday_name(day)
    if holiday:
        return f"{day.isoformat()} は祝日（{holiday}）の閉庁日です"
    if day.weekday() >= 5:
        return f"{day.isoformat()} は{_WEEKDAYS[day.weekday()]}曜日の閉庁日です"
    return None


def closed_day_reason(db: Database, day: date) -> str | None:
    """None on an open day, else why the office is closed, e.g. '… は年末年始の閉庁日です'.

    ``day`` is a date in Japan time: pass ``jst(moment).date()``, never a host-local date.
    """
    return closed_days_checker(db)(day)


def closed_days_checker(db: Database) -> Callable[[date], str | None]:
    """:func:`closed_day_reason` with the extra closed days read once: for looking at many
    days in a row (the next run of every schedule) without a query per day."""
    with db.session() as s:
        extra = {row.day: row.note for row in s.scalars(select(ClosedDayRow)).all()}

    def reason(day: date) -> str | None:
        fixed = fixed_closed_reason(day)
        if fixed or day not in extra:
            return fixed
        note = f"（{extra[day]}）" if extra[day] else ""
        return f"{day.isoformat()} は閉庁日{note}です"

    return reason


def closed_reason_at(db: Database, at: datetime) -> str | None:
    """:func:`closed_day_reason` for the JST date of the moment ``at``."""
    return closed_day_reason(db, jst(at).date())


# -- extra closed days ------------------------------------------------------------------


def parse_day(text: str) -> date:
    """'2026-12-28' → the date; :class:`CalendarError` naming the value otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise CalendarError(f"日付 '{text}' は 2026-12-28 の形で指定してください") from exc


@dataclass(frozen=True)
class ClosedDay:
    day: date
    note: str | None
    added_by: str | None


def add_closed_day(
    db: Database,
    day: date,
    note: str | None = None,
    by: str | None = None,
    *,
    audit_dir: Path | None = None,
) -> None:
    """Record (or re-note) an extra closed day of the municipality (audited as
    ``closed_day_add``)."""
    note = (note or "").strip() or None
    with db.session() as s:
        row = s.get(ClosedDayRow, day)
        if row is None:
            s.add(ClosedDayRow(day=day, note=note, added_by=by, added_at=_utcnow()))
        else:
            row.note, row.added_by, row.added_at = note, by, _utcnow()
        s.flush()
        detail = f"{day.isoformat()} を閉庁日に追加" + (f"（{note}）" if note else "")
        audit_change(s, audit_dir, by, "closed_day_add", detail, day=day.isoformat(), note=note)


def remove_closed_day(
    db: Database, day: date, by: str | None = None, *, audit_dir: Path | None = None
) -> bool:
    """False when ``day`` was not an extra closed day (nothing is audited then)."""
    with db.session() as s:
        result = s.execute(delete(ClosedDayRow).where(ClosedDayRow.day == day))
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        detail = f"{day.isoformat()} を閉庁日から削除"
        audit_change(s, audit_dir, by, "closed_day_remove", detail, day=day.isoformat())
        return True


def list_closed_days(db: Database) -> list[ClosedDay]:
    with db.session() as s:
        rows = s.scalars(select(ClosedDayRow).order_by(ClosedDayRow.day)).all()
        return [ClosedDay(r.day, r.note, r.added_by) for r in rows]


# -- online windows ---------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineWindow:
    system: str
    opens: time
    closes: time

    def label(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"

    def end_after(self, at: datetime) -> datetime | None:
        """When the window containing the JST moment ``at`` closes; None if it is closed."""
        day = at.date()
        if self.opens < self.closes:
            candidates = [(day, day)]
        else:  # overnight, e.g. 22:00–06:00
            candidates = [(day - timedelta(days=1), day), (day, day + timedelta(days=1))]
        for open_day, close_day in candidates:
            start = datetime.combine(open_day, self.opens, JST)
            end = datetime.combine(close_day, self.closes, JST)
            if start <= at < end:
                return end
        return None


def fixed_closed_days(year: int) -> list[tuple[date, str]]:
    """The closed days of ``year`` by national rule, weekends aside: 祝日 (jpholiday) and
    年末年始 (1/1–1/3 and 12/29–12/31), in date order — what the calendar page lists."""
    holidays: dict[date, str] = dict(jpholiday.year_holidays(year))
    days = {day: f"祝日（{name}）" for day, name in holidays.items()}
    year_end = [date(year, 1, d) for d in (1, 2, 3)] + [date(year, 12, d) for d in (29, 30, 31)]
    for day in year_end:
        name = holidays.get(day)
        days[day] = "年末年始" + (f"・祝日（{name}）" if name else "")
    return sorted(days.items())


def parse_window(text: str) -> tuple[time, time]:
    """'08:30-21:00' → (08:30, 21:00); else :class:`CalendarError` (a ValueError) with a
    Japanese reason."""
    m = _WINDOW.match(text)
    if not m:
        raise CalendarError(f"稼働時間 '{text}' は 08:30-21:00 の形で指定してください")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise CalendarError(f"稼働時間 '{text}' の時刻が正しくありません") from exc
    if opens == closes:
        raise CalendarError(f"稼働時間 '{text}' の開始と終了が同じです")
    return opens, closes


def set_window(
    db: Database,
    system: str,
    opens: time,
    closes: time,
    by: str | None = None,
    *,
    systems: Collection[str] | None = None,
    audit_dir: Path | None = None,
) -> None:
    """Set ``system``'s online window (audited as ``window_set``); with ``systems`` (the
    recipes' subsystems) an unknown one is refused with :class:`CalendarError`."""
    if systems is not None and system not in systems:
        known = "、".join(sorted(systems))
        raise CalendarError(f"基幹システム '{system}' はありません（{known}）")
    if opens == closes:
        raise CalendarError(f"稼働時間の開始と終了が同じです（{opens:%H:%M}）")
    with db.session() as s:
        row = s.get(OnlineWindowRow, system)
        if row is None:
            s.add(OnlineWindowRow(system=system, opens=opens, closes=closes, updated_at=_utcnow()))
            row = s.get(OnlineWindowRow, system)
        assert row is not None
        row.opens, row.closes, row.updated_by, row.updated_at = opens, closes, by, _utcnow()
        s.flush()
        label = OnlineWindow(system, opens, closes).label()
        detail = f"基幹システム {system} の稼働時間を {label} に設定"
        audit_change(s, audit_dir, by, "window_set", detail, system=system, window=label)


def clear_window(
    db: Database, system: str, by: str | None = None, *, audit_dir: Path | None = None
) -> bool:
    """False when ``system`` had no window (nothing is audited then)."""
    with db.session() as s:
        result = s.execute(delete(OnlineWindowRow).where(OnlineWindowRow.system == system))
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        detail = f"基幹システム {system} の稼働時間の設定を削除（常時稼働）"
        audit_change(s, audit_dir, by, "window_clear", detail, system=system)
        return True


def get_window(db: Database, system: str) -> OnlineWindow | None:
    with db.session() as s:
        row = s.get(OnlineWindowRow, system)
        return OnlineWindow(row.system, row.opens, row.closes) if row else None


def list_windows(db: Database) -> list[OnlineWindow]:
    with db.session() as s:
        rows = s.scalars(select(OnlineWindowRow).order_by(OnlineWindowRow.system)).all()
        return [OnlineWindow(r.system, r.opens, r.closes) for r in rows]


def window_reason(
    db: Database, system: str, at: datetime, margin: timedelta = timedelta(0)
) -> str | None:
    """None when ``system``'s online window is open at ``at`` (aware) and stays open until
    ``at + margin``; else a Japanese reason naming the system and its window, e.g.
    '基幹システム kosodate の稼働時間（08:30–21:00）外です'.

    A system without a window is always open. ``margin`` lets a caller refuse to start work
    that would still be running when the core system goes offline.
    """
    window = get_window(db, system)
    if window is None:
        return None
    moment = jst(at)
    end = window.end_after(moment)
    base = f"基幹システム {system} の稼働時間（{window.label()}）"
    if end is None:
        return f"{base}外です"
    if moment + margin > end:
        minutes = int(margin.total_seconds() // 60)
        return f"{base}の終了まで {minutes} 分ないため開始しません（現在 {moment:%H:%M} JST）"
    return None
