"""``renkei schedule …``, ``renkei calendar …`` and ``renkei scheduler``.

The schedules and calendars are rows of the management database, changed through
:mod:`bots.scheduling.store` and :mod:`bots.scheduling.calendar` (the same functions a
web console will call); ``renkei scheduler`` is the service that fires them. No command
here other than ``scheduler`` ever runs a procedure, and ``list`` commands change nothing.
Registered on the main group by :mod:`bots.cli.main`; kept apart because the scheduler
service and its commands are one idea.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import click
from loguru import logger

from bots.config import Settings
from bots.queue.db import Database

T = TypeVar("T")
_WEEKDAYS = "月火水木金土日"


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _db(ctx: click.Context) -> Database:
    return Database(_settings(ctx).db_url)


def _who() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return None


def _jst(at: datetime) -> str:
    """A moment as people read it: 2026-12-07（月）08:00:00 JST."""
    from bots.scheduling.calendar import jst

    local = jst(at)
    return f"{local:%Y-%m-%d}（{_WEEKDAYS[local.weekday()]}）{local:%H:%M:%S} JST"


def _operator(action: Callable[[], T]) -> T:
    """Run a store function; an operator's mistake becomes one Japanese line, no traceback."""
    from bots.scheduling.calendar import CalendarError
    from bots.scheduling.store import ScheduleError

    try:
        return action()
    except (ScheduleError, CalendarError) as exc:
        raise click.ClickException(str(exc)) from exc


def _audit_dir(ctx: click.Context) -> Path:
    """Where every change is recorded with the person (the staff actions' audit log)."""
    return _settings(ctx).audit_dir


# -- schedule ---------------------------------------------------------------------------


@click.group()
def schedule() -> None:
    """スケジュール実行の管理（管理データベースに保存）/ Scheduled runs, stored in the database.

    The schedules are fired only by the service `renkei scheduler`; these commands change
    or read the rows, they never run a procedure themselves.
    """


@schedule.command("add")
@click.option("--procedure", "-p", help="実行する手続（省略時は全手続）/ Procedure (default: all).")
@click.option(
    "--when",
    help='実行日時を言葉で（例 "平日 18:00" "毎月1日 9:00"）/ When, in words '
    "(平日 = Monday–Friday; closed days are skipped unless --on-closed-days).",
)
@click.option(
    "--cron",
    help="日本時間の cron 式（--when の代わりに）/ Crontab line in Japan time, instead of "
    '--when, e.g. "0 18 * * 1-5" (a 6th leading field is seconds: "*/10 * * * * *").',
)
@click.option(
    "--id", "schedule_id", help="スケジュール ID / Schedule id (default run:<procedure>)."
)
@click.option(
    "--on-closed-days",
    is_flag=True,
    help="閉庁日（土日・祝日・年末年始・独自の閉庁日）も実行 / Also run on closed days.",
)
@click.pass_context
def schedule_add(
    ctx: click.Context,
    procedure: str | None,
    when: str | None,
    cron: str | None,
    schedule_id: str | None,
    on_closed_days: bool,
) -> None:
    """スケジュールを追加 / Add a schedule (it fires from its next slot on)."""
    from bots.scheduling.store import add_schedule
    from bots.scheduling.words import accepted_forms, describe, parse_when
    from bots.service import load_recipes

    if (when is None) == (cron is None):
        raise click.UsageError(
            f"--when か --cron のどちらか一方を指定してください（--when の例: {accepted_forms()}）"
        )
    line = cron if cron is not None else _operator(lambda: parse_when(when or ""))
    settings = _settings(ctx)
    procedures = load_recipes(settings) if procedure else None
    sched = _operator(
        lambda: add_schedule(
            _db(ctx),
            procedure,
            line,
            schedule_id=schedule_id,
            on_closed_days=on_closed_days,
            procedures=procedures,
            by=_who(),
            audit_dir=settings.audit_dir,
        )
    )
    nxt = _jst(sched.next_run) if sched.next_run else "なし"
    shown = sched.cron if cron is not None else f"{describe(sched.cron)}（{sched.cron}）"
    click.echo(f"{sched.id}: {shown} を追加しました  次回 {nxt}")
    if sched.next_run is None and sched.skipped_first:
        click.echo(
            f"注意: この時刻はすべて閉庁日に当たるため実行されません（{sched.skipped_first}）。"
            "閉庁日にも実行するには --on-closed-days を付けてください",
            err=True,
        )


@schedule.command("list")
@click.pass_context
def schedule_list(ctx: click.Context) -> None:
    """スケジュールの一覧（次回・前回の実行）/ List schedules; reads only, changes nothing."""
    from bots.scheduling.store import FIRE_LABELS, list_schedules

    schedules = list_schedules(_db(ctx))
    if not schedules:
        click.echo("スケジュールはありません")
    for s in schedules:
        days = "閉庁日も実行" if s.on_closed_days else "閉庁日は休み"
        state = "一時停止中" if s.paused else f"次回 {_jst(s.next_run) if s.next_run else 'なし'}"
        pending = "  今すぐ実行を依頼済み" if s.run_now_pending else ""
        skipped = f"\tその前は休み: {s.skipped_first}" if s.skipped_first else ""
        click.echo(
            f"{s.id}\t{_when(s.cron)}\t手続 {s.procedure or '全手続'}\t{state}\t{days}{pending}{skipped}"
        )
        if s.last_fire is not None:
            f = s.last_fire
            kind = "（今すぐ実行）" if f.kind == "run-now" else ""
            run = f"  実行ID {f.run_id}" if f.run_id else ""
            reason = f"  {f.reason}" if f.reason else ""
            label = FIRE_LABELS.get(f.outcome, f.outcome)
            click.echo(f"\t前回 {_jst(f.slot)}{kind} {label}{reason}{run}")


def _when(cron: str) -> str:
    """``平日 18:00（0 18 * * mon-fri）``: the words staff use, the cron IT reads."""
    from bots.scheduling.words import describe

    words = describe(cron)
    return cron if words == cron else f"{words}（{cron}）"


@schedule.command("pause")
@click.argument("schedule_id")
@click.pass_context
def schedule_pause(ctx: click.Context, schedule_id: str) -> None:
    """一時停止 / Pause: no slot fires until resumed.

    SCHEDULE_ID: スケジュール ID（renkei schedule list）/ schedule id.
    """
    from bots.scheduling.store import pause_schedule

    _operator(lambda: pause_schedule(_db(ctx), schedule_id, by=_who(), audit_dir=_audit_dir(ctx)))
    click.echo(f"{schedule_id} を一時停止しました")


@schedule.command("resume")
@click.argument("schedule_id")
@click.pass_context
def schedule_resume(ctx: click.Context, schedule_id: str) -> None:
    """再開 / Resume from now on (slots passed while paused are not made up).

    SCHEDULE_ID: スケジュール ID（renkei schedule list）/ schedule id.
    """
    from bots.scheduling.store import get_schedule, resume_schedule

    db = _db(ctx)
    _operator(lambda: resume_schedule(db, schedule_id, by=_who(), audit_dir=_audit_dir(ctx)))
    sched = get_schedule(db, schedule_id)
    nxt = _jst(sched.next_run) if sched.next_run else "なし"
    click.echo(f"{schedule_id} を再開しました  次回 {nxt}")


@schedule.command("remove")
@click.argument("schedule_id")
@click.pass_context
def schedule_remove(ctx: click.Context, schedule_id: str) -> None:
    """削除 / Remove (the record of its past runs stays).

    SCHEDULE_ID: スケジュール ID（renkei schedule list）/ schedule id.
    """
    from bots.scheduling.store import remove_schedule

    _operator(lambda: remove_schedule(_db(ctx), schedule_id, by=_who(), audit_dir=_audit_dir(ctx)))
    click.echo(f"{schedule_id} を削除しました")


@schedule.command("run-now")
@click.argument("schedule_id")
@click.pass_context
def schedule_run_now(ctx: click.Context, schedule_id: str) -> None:
    """今すぐ 1 回実行を依頼 / Ask the scheduler service to run it once now.

    SCHEDULE_ID: スケジュール ID（renkei schedule list）/ schedule id.
    """
    from bots.scheduling.store import request_run_now

    at = _operator(
        lambda: request_run_now(_db(ctx), schedule_id, by=_who(), audit_dir=_audit_dir(ctx))
    )
    click.echo(
        f"{schedule_id} の実行を依頼しました（{_jst(at)}）。"
        "スケジューラ（renkei scheduler）が数秒以内に実行します"
    )


# -- calendar ---------------------------------------------------------------------------


@click.group()
def calendar() -> None:
    """閉庁日と基幹システムの稼働時間 / Closed days and the core systems' online windows.

    Weekends, 祝日 and 年末年始 (12/29–1/3) are closed days without being listed; add the
    municipality's own with `calendar closed add`. All dates and times are Japan time.
    """


@calendar.group("closed")
def closed() -> None:
    """独自の閉庁日 / The municipality's extra closed days."""


def _day(text: str) -> date:
    from bots.scheduling.calendar import parse_day

    return _operator(lambda: parse_day(text))


@closed.command("add")
@click.argument("day")
@click.option("--note", help="理由 / Why, e.g. 庁舎点検.")
@click.pass_context
def closed_add(ctx: click.Context, day: str, note: str | None) -> None:
    """閉庁日を追加 / Add a closed day (YYYY-MM-DD).

    DAY: 日付（例 2026-12-28）/ the day, e.g. 2026-12-28.
    """
    from bots.scheduling.calendar import add_closed_day, fixed_closed_reason

    the_day = _day(day)
    add_closed_day(_db(ctx), the_day, note, _who(), audit_dir=_audit_dir(ctx))
    already = fixed_closed_reason(the_day)
    click.echo(
        f"{the_day.isoformat()} を閉庁日に追加しました" + (f"（{already}）" if already else "")
    )


@closed.command("remove")
@click.argument("day")
@click.pass_context
def closed_remove(ctx: click.Context, day: str) -> None:
    """閉庁日を削除 / Remove an extra closed day.

    DAY: 日付（例 2026-12-28）/ the day, e.g. 2026-12-28.
    """
    from bots.scheduling.calendar import remove_closed_day

    the_day = _day(day)
    if not remove_closed_day(_db(ctx), the_day, _who(), audit_dir=_audit_dir(ctx)):
        raise click.ClickException(f"{the_day.isoformat()} は独自の閉庁日に登録されていません")
    click.echo(f"{the_day.isoformat()} を閉庁日から削除しました")


@closed.command("list")
@click.pass_context
def closed_list(ctx: click.Context) -> None:
    """独自の閉庁日の一覧 / List the extra closed days."""
    from bots.scheduling.calendar import list_closed_days

    days = list_closed_days(_db(ctx))
    if not days:
        click.echo("独自の閉庁日はありません（土日・祝日・年末年始は登録なしで閉庁日です）")
    for d in days:
        click.echo(f"{d.day.isoformat()}（{_WEEKDAYS[d.day.weekday()]}）\t{d.note or ''}")


@calendar.group("window")
def window() -> None:
    """基幹システムの稼働時間（日本時間）/ Online windows of the core subsystems (JST)."""


@window.command("set")
@click.argument("system")
@click.argument("hours")
@click.pass_context
def window_set(ctx: click.Context, system: str, hours: str) -> None:
    """稼働時間を設定 / Set a window, e.g. `window set kosodate 08:30-21:00`.

    SYSTEM: サブシステム（kosodate・kaigo・boshi など）/ core subsystem.
    HOURS: 開始-終了（日本時間、例 08:30-21:00）/ opens-closes in JST.
    """
    from bots.scheduling.calendar import OnlineWindow, parse_window, set_window
    from bots.service import load_recipes

    systems = {r.system for r in load_recipes(_settings(ctx)).values()}
    opens, closes = _operator(lambda: parse_window(hours))
    _operator(
        lambda: set_window(
            _db(ctx), system, opens, closes, _who(), systems=systems, audit_dir=_audit_dir(ctx)
        )
    )
    label = OnlineWindow(system, opens, closes).label()
    click.echo(f"基幹システム {system} の稼働時間を {label} にしました")


@window.command("list")
@click.pass_context
def window_list(ctx: click.Context) -> None:
    """稼働時間の一覧 / List the windows (a system without one is always open)."""
    from bots.scheduling.calendar import list_windows

    windows = list_windows(_db(ctx))
    if not windows:
        click.echo("稼働時間の設定はありません（どの基幹システムも常時稼働として扱います）")
    for w in windows:
        click.echo(f"{w.system}\t{w.label()}")


@window.command("clear")
@click.argument("system")
@click.pass_context
def window_clear(ctx: click.Context, system: str) -> None:
    """稼働時間の設定を削除（常時稼働）/ Clear a window: always open.

    SYSTEM: サブシステム（kosodate・kaigo・boshi など）/ core subsystem.
    """
    from bots.scheduling.calendar import clear_window

    if not clear_window(_db(ctx), system, _who(), audit_dir=_audit_dir(ctx)):
        raise click.ClickException(f"基幹システム {system} に稼働時間の設定はありません")
    click.echo(f"基幹システム {system} の稼働時間の設定を削除しました（常時稼働）")


# -- the service ------------------------------------------------------------------------


@click.command("scheduler")
@click.option(
    "--poll",
    type=click.FloatRange(0.2, 60),
    default=2.0,
    show_default=True,
    help="スケジュールを読み直す間隔（秒）/ Seconds between looks at the schedule rows.",
)
@click.pass_context
def scheduler(ctx: click.Context, poll: float) -> None:
    """スケジューラサービス（常駐）/ The scheduler service: fires the schedules.

    Runs until SIGTERM or Ctrl-C, letting a run in progress finish. Run one per machine
    (under systemd); several on one database never fire a slot twice.
    """
    from bots.scheduling.service import serve

    parent = ctx.parent.params if ctx.parent else {}
    from bots.cli.output import log_format, scrubbed_sink

    logger.remove()
    logger.add(
        scrubbed_sink(sys.stderr),  # message and traceback masked (bots.masking)
        format=log_format,
        level="DEBUG" if parent.get("verbose") else "INFO",
        filter=lambda r: "audit" not in r["extra"],
        diagnose=False,  # a traceback in the journal must not show variables' values
    )
    serve(_settings(ctx), poll=timedelta(seconds=poll))
