"""``renkei procedure disable|enable|check|list`` and ``renkei procedures``.

IT switches a procedure off while its screens or recipe are being fixed, and on again;
checks every recipe now (recorded, as the console's 今すぐ確認 does); and lists the
national plan's 26 procedures by 分野 with the state of each (「レシピなし」 on one line), then
the recipes outside the 26 under その他. Everything goes through :mod:`bots.procedures`, the same functions the
console calls; every change is audited with the person (``--by``, default the login name).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bots.catalogue import CATALOGUE
from bots.config import Settings, ja_time, jst
from bots.queue.db import Database

if TYPE_CHECKING:
    from bots.procedures import Listed

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


def _recipe_text(p: Listed) -> str:
    """あり（正常）/ あり（エラー: first problem）, with the subsystem it keys into."""
    state = p.state
    if p.recipe == "ok" and state is not None:
        moved = f"（カタログでは {p.entry.subsystem}）" if p.moved and p.entry else ""
        return f"あり（正常）  サブシステム: {state.system}{moved}"
    problem = p.first_problem or ""
    more = "  すべての不備: renkei recipe check" if problem.endswith("…") else ""
    return f"あり（エラー: {problem}）{more}"


#: The width of the id column: 「レシピなし」 and the names line up under each other.
ID_WIDTH = max(len(e.id) for e in CATALOGUE)


def _name(p: Listed, state: str = "") -> str:
    """``id  [state]  短い名称 — 正式名称`` (the official name once when staff use it as is)."""
    title = "" if p.title == p.procedure else p.title
    official = f" — {p.entry.name}" if p.entry and p.entry.name != p.title else ""
    return f"  {p.procedure:<{ID_WIDTH}}  {state}{title}{official}".rstrip()


def _procedure_lines(p: Listed) -> list[str]:
    """One line for a procedure without a recipe; its recipe, switch, check and run else."""
    state = p.state
    if p.recipe == "none" or state is None:
        switched = f"  状態: 停止中  {state.switch.text()}" if state and state.switch else ""
        return [_name(p, "レシピなし  ") + (switched if state and not state.enabled else "")]
    lines = [_name(p), f"    レシピ: {_recipe_text(p)}"]
    on = "実行する" if state.enabled else "停止中"
    lines.append(f"    状態: {on}" + (f"  {state.switch.text()}" if state.switch else ""))
    c = state.last_check
    checked = f"{ja_time(c.checked_at)} {'正常' if c.ok else '不備'}（{c.by}）" if c else "未確認"
    lines.append(f"    最終確認: {checked}")
    r = state.last_run
    ran = f"{ja_time(r.started_at)}  {r.counts_text()}  run {r.run_id}" if r else "なし"
    lines.append(f"    最終実行: {ran}")
    if state.stop is not None:
        lines.append(f"    サブシステム停止: {state.stop.system}: {state.stop.why}")
    return lines


def _state_lines(settings: Settings, db: Database) -> list[str]:
    """The 26 by 分野 (and the recipes outside them), then the stopped subsystems and the
    drift, as lines: one line for a procedure without a recipe, so the list stays short."""
    from bots.procedures import OTHER, catalogued

    found = catalogued(settings, db)
    lines = ["手続の状態（時刻は日本時間）", found.count_text()]
    for group in found.groups:
        lines.append("")
        if group.field == OTHER:
            lines.append(f"■ {OTHER}（26 手続の外のレシピ {len(group.procedures)} 件）")
        else:
            n = len(group.procedures)
            lines.append(f"■ {group.field}（{n} 手続、レシピあり {group.with_recipe}）")
        for p in group.procedures:
            lines.extend(_procedure_lines(p))
    health = found.health
    lines.append("")
    lines.append("停止中のサブシステム: " + ("なし" if not health.stops else ""))
    for stop in health.stops.values():
        lines.append(f"  {stop.system}: {stop.why}（{ja_time(stop.at)}、run {stop.run_id}）")
    lines.append("セレクタのずれ（新しい順）: " + ("なし" if not health.drift else ""))
    for d in health.drift:
        lines.append(
            f"  {ja_time(d.at)}  {d.system} {d.element}: {d.first_strategy} → {d.strategy}"
            f"  run {d.run_id}"
        )
    return lines


def _time(moment: datetime | None) -> str | None:
    return jst(moment).isoformat() if moment is not None else None


def _listed_json(p: Listed) -> dict[str, Any]:
    """One procedure for scripts: the catalogue's fields, the recipe and the records."""
    s = p.state
    entry = p.entry
    switch = s.switch if s else None
    check = s.last_check if s else None
    run = s.last_run if s else None
    return {
        "procedure": p.procedure,
        "title": p.title,
        "name": entry.name if entry else None,
        "short": entry.short if entry else None,
        "field": entry.field if entry else None,
        "subsystem": entry.subsystem if entry else None,
        "recipe": p.recipe,
        "recipe_system": s.system if s else None,
        "error": s.error if s and p.recipe == "error" else None,
        "enabled": s.enabled if s else True,
        "switch": None if switch is None else {
            "enabled": switch.enabled, "note": switch.note, "by": switch.changed_by,
            "at": _time(switch.changed_at),
        },
        "last_check": None if check is None else {
            "at": _time(check.checked_at), "ok": check.ok, "message": check.message,
            "by": check.by,
        },
        "last_run": None if run is None else {
            "run_id": run.run_id, "started_at": _time(run.started_at),
            "ended_at": _time(run.ended_at), "counts": run.counts,
        },
        "stop": None if s is None or s.stop is None else {"system": s.stop.system, "why": s.stop.why},
    }  # fmt: skip


def _state_json(settings: Settings, db: Database) -> dict[str, Any]:
    """The same as the lines, for scripts (times ISO 8601 in Japan time)."""
    from bots.procedures import catalogued

    found = catalogued(settings, db)
    planned = found.planned
    return {
        "summary": found.count_text(),
        "catalogue": len(planned),
        "with_recipe": sum(p.recipe != "none" for p in planned),
        "groups": [
            {"field": g.field, "procedures": [_listed_json(p) for p in g.procedures]}
            for g in found.groups
        ],
        "stops": [
            {"system": x.system, "why": x.why, "run_id": x.run_id, "at": _time(x.at)}
            for x in found.health.stops.values()
        ],
        "drift": [
            {
                "system": d.system,
                "element": d.element,
                "first_strategy": d.first_strategy,
                "strategy": d.strategy,
                "run_id": d.run_id,
                "at": _time(d.at),
            }
            for d in found.health.drift
        ],  # fmt: skip
    }


JSON_HELP = "JSON で出力（スクリプト向け、時刻は日本時間）/ Print JSON (for scripts; times JST)."


@procedure.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def procedure_list(ctx: click.Context, as_json: bool) -> None:
    """手続ごとの状態を表示（renkei procedures と同じ）/ The state of every procedure."""
    settings = _settings(ctx)
    db = Database(settings.db_url)
    if as_json:
        click.echo(json.dumps(_state_json(settings, db), ensure_ascii=False, indent=2))
        return
    for line in _state_lines(settings, db):
        click.echo(line)


@click.command("procedures")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def procedures(ctx: click.Context, as_json: bool) -> None:
    """国の 26 手続（子育て・介護）ごとの状態: レシピ・有効/停止・確認・実行、停止した
    サブシステム・ずれ / The national plan's 26 procedures by field, each with its state
    (recipe, on/off, last check, last run), then other recipes, stops and drift."""
    ctx.invoke(procedure_list, as_json=as_json)
