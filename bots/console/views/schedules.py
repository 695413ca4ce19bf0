"""スケジュール and カレンダー: when the bot runs, and the days and hours it must not.

The pages call the same service functions as ``renkei schedule …`` and ``renkei calendar
…`` (:mod:`bots.scheduling.store`, :mod:`bots.scheduling.calendar`), with the signed-in
person as ``by`` and the installation's audit dir, so every change is a line of the staff
actions' audit log. Staff write when in words (``平日 18:00``, :mod:`bots.scheduling.words`);
the store keeps cron. Nothing here runs a procedure: the scheduler service
(``renkei scheduler``) fires the schedules, a run-now request included.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bots.config import ja_date
from bots.console.web import action, done, failed, installation, who
from bots.scheduling import calendar as cal
from bots.scheduling import store
from bots.scheduling.words import EXAMPLES, describe, parse_when

bp = Blueprint("schedules", __name__, url_prefix="/schedules")

_WEEKDAYS = "月火水木金土日"
#: What the service layer refuses with a reason for the person (shown as a message).
_REFUSALS = (store.ScheduleError, cal.CalendarError)


def day_label(day: date) -> str:
    """``2026年12月7日（月）``: the date with its weekday, as a calendar shows it."""
    return f"{ja_date(day)}（{_WEEKDAYS[day.weekday()]}）"


def moment_label(at: datetime | None) -> str:
    """``2026年12月7日（月）18:00`` in JST; "—" when there is none."""
    if at is None:
        return "—"
    local = cal.jst(at)
    return f"{day_label(local.date())} {local:%H:%M}"


def _row(s: store.Schedule) -> dict[str, Any]:
    """A schedule as its table row shows it (times in JST, outcomes in words)."""
    last = None
    if s.last_fire is not None:
        f = s.last_fire
        last = {
            "at": moment_label(f.slot),
            "run_now": f.kind == store.RUN_NOW,
            "label": store.FIRE_LABELS.get(f.outcome, f.outcome),
            "outcome": f.outcome,
            "reason": f.reason,
            "run_id": f.run_id,
        }
    return {
        "id": s.id,
        "procedure": s.procedure,
        "words": describe(s.cron),
        "cron": s.cron,
        "next": moment_label(s.next_run) if s.next_run else None,
        "skipped": s.skipped_first,
        "paused": s.paused,
        "pending": s.run_now_pending,
        "on_closed_days": s.on_closed_days,
        "last": last,
    }


def _schedules_page(form: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    inst = installation()
    recipes, _ = inst.recipes()
    overdue = store.overdue_since(inst.db)
    return (
        render_template(
            "schedules/index.html",
            title="スケジュール",
            schedules=[_row(s) for s in store.list_schedules(inst.db)],
            procedures=sorted((p, r.title) for p, r in recipes.items()),
            titles=inst.titles(),
            examples=EXAMPLES,
            overdue=moment_label(overdue) if overdue else None,
            form=form or {},
        ),
        status,
    )


@bp.route("/")
def index() -> tuple[str, int]:
    return _schedules_page()


@bp.post("/add")
@action("schedule")
def add() -> Response | tuple[str, int]:
    """Add a schedule written in words; a phrase or id refused shows the page again with
    what was typed, so nothing is lost."""
    inst = installation()
    form: dict[str, Any] = {
        "procedure": request.form.get("procedure", ""),
        "when": request.form.get("when", "").strip(),
        "schedule_id": request.form.get("schedule_id", "").strip(),
        "on_closed_days": request.form.get("on_closed_days") == "1",
    }
    recipes, _ = inst.recipes()
    try:
        sched = store.add_schedule(
            inst.db,
            form["procedure"] or None,
            parse_when(form["when"]),
            schedule_id=form["schedule_id"] or None,
            on_closed_days=form["on_closed_days"],
            procedures=recipes if form["procedure"] else None,
            by=who(),
            audit_dir=inst.audit_dir,
        )
    except _REFUSALS as exc:
        failed(str(exc))
        return _schedules_page(form, 400)
    nxt = moment_label(sched.next_run) if sched.next_run else "なし"
    done(f"スケジュール {sched.id}（{describe(sched.cron)}）を追加しました。次回 {nxt}")
    if sched.next_run is None and sched.skipped_first:
        failed(
            f"この時刻はすべて閉庁日に当たるため実行されません（{sched.skipped_first}）。"
            "閉庁日にも実行するには「閉庁日にも実行する」を選んでください"
        )
    return redirect(url_for("schedules.index"))


def _on_schedule(change: Any, message: str) -> Response:
    """Apply one change to the schedule named by the form, with the person; back to the list."""
    inst = installation()
    schedule_id = request.form.get("schedule_id", "")
    try:
        change(inst.db, schedule_id, by=who(), audit_dir=inst.audit_dir)
    except _REFUSALS as exc:
        failed(str(exc))
    else:
        done(message.format(id=schedule_id))
    return redirect(url_for("schedules.index"))


@bp.post("/pause")
@action("schedule")
def pause() -> Response:
    return _on_schedule(store.pause_schedule, "スケジュール {id} を一時停止しました")


@bp.post("/resume")
@action("schedule")
def resume() -> Response:
    return _on_schedule(
        store.resume_schedule,
        "スケジュール {id} を再開しました（一時停止中の分はさかのぼって実行しません）",
    )


@bp.post("/remove")
@action("schedule")
def remove() -> Response:
    return _on_schedule(store.remove_schedule, "スケジュール {id} を削除しました")


@bp.post("/run-now")
@action("schedule")
def run_now() -> Response:
    return _on_schedule(
        store.request_run_now,
        "スケジュール {id} の実行を依頼しました。"
        "スケジューラ（renkei scheduler）が数秒以内に実行します",
    )


# -- the calendar -----------------------------------------------------------------------


def _systems() -> list[str]:
    """The core subsystems the recipes type into, and any that still has a window."""
    inst = installation()
    recipes, _ = inst.recipes()
    names = {r.system for r in recipes.values()}
    return sorted(names | {w.system for w in cal.list_windows(inst.db)})


@bp.route("/calendar")
def calendar() -> str:
    inst = installation()
    this_year = datetime.now(cal.JST).year
    years = [
        (year, [(day_label(d), why) for d, why in cal.fixed_closed_days(year)])
        for year in (this_year, this_year + 1)
    ]
    windows = {w.system: w for w in cal.list_windows(inst.db)}
    return render_template(
        "schedules/calendar.html",
        title="カレンダー",
        extra=[(d, day_label(d.day)) for d in cal.list_closed_days(inst.db)],
        years=years,
        systems=[(s, windows.get(s)) for s in _systems()],
    )


def _closed_note() -> str | None:
    """The note typed with a closed day (庁舎点検…), or None."""
    return (request.form.get("note") or "").strip() or None


@bp.post("/calendar/closed/add")
@action("calendar")
def closed_add() -> Response:
    inst = installation()
    text = request.form.get("day", "")
    try:
        day = cal.parse_day(text)
        cal.add_closed_day(inst.db, day, _closed_note(), who(), audit_dir=inst.audit_dir)
    except _REFUSALS as exc:
        failed(str(exc))
    else:
        fixed = cal.fixed_closed_reason(day)
        done(f"{day_label(day)} を閉庁日に追加しました" + (f"（{fixed}）" if fixed else ""))
    return redirect(url_for("schedules.calendar"))


@bp.post("/calendar/closed/remove")
@action("calendar")
def closed_remove() -> Response:
    inst = installation()
    try:
        day = cal.parse_day(request.form.get("day", ""))
    except _REFUSALS as exc:
        failed(str(exc))
        return redirect(url_for("schedules.calendar"))
    if cal.remove_closed_day(inst.db, day, who(), audit_dir=inst.audit_dir):
        done(f"{day_label(day)} を閉庁日から削除しました")
    else:
        failed(f"{day_label(day)} は独自の閉庁日に登録されていません")
    return redirect(url_for("schedules.calendar"))


def _hours(name: str, label: str) -> time:
    text = (request.form.get(name) or "").strip()
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        shown = text or "（空）"
        raise cal.CalendarError(f"{label}「{shown}」は 08:30 の形で入力してください") from exc


@bp.post("/calendar/window/set")
@action("calendar")
def window_set() -> Response:
    inst = installation()
    system = request.form.get("system", "")
    recipes, _ = inst.recipes()
    try:
        opens, closes = _hours("opens", "開始時刻"), _hours("closes", "終了時刻")
        cal.set_window(
            inst.db,
            system,
            opens.replace(second=0),
            closes.replace(second=0),
            who(),
            systems={r.system for r in recipes.values()},
            audit_dir=inst.audit_dir,
        )
    except _REFUSALS as exc:
        failed(str(exc))
    else:
        label = cal.OnlineWindow(system, opens, closes).label()
        done(f"基幹システム {system} の稼働時間を {label} にしました")
    return redirect(url_for("schedules.calendar"))


@bp.post("/calendar/window/clear")
@action("calendar")
def window_clear() -> Response:
    inst = installation()
    system = request.form.get("system", "")
    if cal.clear_window(inst.db, system, who(), audit_dir=inst.audit_dir):
        done(f"基幹システム {system} の稼働時間の設定を削除しました（常時稼働）")
    else:
        failed(f"基幹システム {system} に稼働時間の設定はありません")
    return redirect(url_for("schedules.calendar"))
