"""``renkei procedure disable|enable|check|list`` and ``renkei procedures``.

IT switches a procedure off while its screens or recipe are being fixed, and on again;
checks every recipe now (recorded, as the console's 今すぐ確認 does); and lists the state of
every procedure. Everything goes through :mod:`bots.procedures`, the same functions the
console calls; every change is audited with the person (``--by``, default the login name).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TypeVar

import click

from bots.config import Settings, ja_time
from bots.queue.db import Database

T = TypeVar("T")


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _who(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        raise click.UsageError("操作した人を --by で指定してください") from None


def _operator(action: Callable[[], T]) -> T:
    """A switch refused (no note, unknown, already so) becomes one Japanese line."""
    from bots.procedures import ProcedureError

    try:
        return action()
    except ProcedureError as exc:
        raise click.ClickException(str(exc)) from exc


NOTE_HELP = "理由（記録されます。必須）/ Why (recorded; required)."
BY_HELP = "操作した人（省略時はログイン名）/ Who (default: the login name)."


@click.group("procedure")
def procedure() -> None:
    """手続の有効・無効とレシピの確認 / Switch procedures on and off, check recipes.

    A procedure switched off is left alone by every run of all procedures, and a run of
    it alone is refused, naming who switched it off, when and why.
    """


def _switch(ctx: click.Context, name: str, note: str, who: str | None, on: bool) -> None:
    from bots.procedures import disable, enable, known_procedures

    settings = _settings(ctx)
    db = Database(settings.db_url)
    by = _who(who)
    change = enable if on else disable
    known = known_procedures(settings, db)
    switch = _operator(lambda: change(db, settings.audit_dir, name, note, by, known=known))
    what = "再開しました" if on else "停止しました（すべての手続の実行でも扱いません）"
    click.echo(f"手続 {name} を{what}: {switch.text()}")


@procedure.command("disable")
@click.argument("name")
@click.option("--note", required=True, help=NOTE_HELP)
@click.option("--by", "who", help=BY_HELP)
@click.pass_context
def procedure_disable(ctx: click.Context, name: str, note: str, who: str | None) -> None:
    """手続を停止する（実行しない）/ Switch a procedure off: runs leave it alone.

    NAME: 手続（レシピ名）/ procedure (recipe name).
    """
    _switch(ctx, name, note, who, on=False)


@procedure.command("enable")
@click.argument("name")
@click.option("--note", required=True, help=NOTE_HELP)
@click.option("--by", "who", help=BY_HELP)
@click.pass_context
def procedure_enable(ctx: click.Context, name: str, note: str, who: str | None) -> None:
    """停止した手続を再開する / Switch a procedure on again.

    NAME: 手続（レシピ名）/ procedure (recipe name).
    """
    _switch(ctx, name, note, who, on=True)


@procedure.command("check")
@click.option("--by", "who", help=BY_HELP)
@click.pass_context
def procedure_check(ctx: click.Context, who: str | None) -> None:
    """すべてのレシピを今すぐ確認して記録する（不備があれば終了コード 4）/ Check every
    recipe now and record the result (exit 4 when one does not load)."""
    from bots.cli.main import RecipeBroken
    from bots.procedures import check

    settings = _settings(ctx)
    checks = check(settings, Database(settings.db_url), settings.audit_dir, _who(who))
    click.echo(f"レシピを確認しました（{ja_time(checks[0].checked_at) if checks else '—'}）")
    for c in checks:
        if c.ok:
            click.echo(f"  正常 OK  {c.procedure}: {c.message}")
        else:
            click.echo(f"  不備 NG  {c.procedure}: {c.message}", err=True)
    bad = sum(not c.ok for c in checks)
    if bad:
        raise RecipeBroken(f"読み込めないレシピが {bad} 件あります")


def _state_lines(settings: Settings, db: Database) -> list[str]:
    """The state of every procedure, then the stopped subsystems and the drift, as lines."""
    from bots.procedures import health

    found = health(settings, db)
    lines = ["手続の状態（時刻は日本時間）"]
    for p in found.procedures:
        system = f"（サブシステム {p.system}）" if p.system else ""
        lines.append(f"{p.procedure}  {p.title or '（名称不明）'}{system}")
        lines.append(f"  レシピ: {'正常' if p.error is None else '不備 ' + p.error}")
        state = "実行する" if p.enabled else "停止中"
        lines.append(f"  状態: {state}" + (f"  {p.switch.text()}" if p.switch else ""))
        c = p.last_check
        checked = (
            f"{ja_time(c.checked_at)} {'正常' if c.ok else '不備'}（{c.by}）" if c else "未確認"
        )
        lines.append(f"  最終確認: {checked}")
        r = p.last_run
        ran = f"{ja_time(r.started_at)}  {r.counts_text()}  run {r.run_id}" if r else "なし"
        lines.append(f"  最終実行: {ran}")
        if p.stop is not None:
            lines.append(f"  サブシステム停止: {p.stop.system}: {p.stop.why}")
    lines.append("停止中のサブシステム: " + ("なし" if not found.stops else ""))
    for stop in found.stops.values():
        lines.append(f"  {stop.system}: {stop.why}（{ja_time(stop.at)}、run {stop.run_id}）")
    lines.append("セレクタのずれ（新しい順）: " + ("なし" if not found.drift else ""))
    for d in found.drift:
        lines.append(
            f"  {ja_time(d.at)}  {d.system} {d.element}: {d.first_strategy} → {d.strategy}"
            f"  run {d.run_id}"
        )
    return lines


@procedure.command("list")
@click.pass_context
def procedure_list(ctx: click.Context) -> None:
    """手続ごとの状態を表示（renkei procedures と同じ）/ The state of every procedure."""
    settings = _settings(ctx)
    for line in _state_lines(settings, Database(settings.db_url)):
        click.echo(line)


@click.command("procedures")
@click.pass_context
def procedures(ctx: click.Context) -> None:
    """手続ごとの状態: レシピ・有効/停止・確認・実行・停止したサブシステム・ずれ / The state
    of every procedure: recipe, on/off, last check, last run, stops, drift."""
    ctx.invoke(procedure_list)
