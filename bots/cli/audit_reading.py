"""``renkei audit trail`` and ``renkei audit export``: what auditors read and take away.

Added to the ``audit`` group by :mod:`bots.cli.audit`. The gathering is in
:mod:`bots.audit.history`, the file writing in :mod:`bots.audit.export`; this module only
prints. Exit codes: 0 shown (and, for the trail, verified); 1 unknown application or
宛名番号, a bad period, or a problem the verification found.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bots.audit.history import ApplicationTrail, AttemptRecord, Event, Sources


def _sources(ctx: click.Context) -> Sources:
    """The records of the installation, with the recipes that load (titles, sensitive
    items): a broken recipe file must not keep an auditor from reading the trail."""
    from bots.audit.history import Sources
    from bots.config import Settings
    from bots.errors import RecipeError
    from bots.queue.db import Database
    from bots.service import load_recipes_each

    settings: Settings = ctx.find_root().obj
    try:
        recipes, _broken = load_recipes_each(settings)
    except RecipeError:  # the shared 外字 list itself is broken: ids without titles
        recipes = {}
    return Sources(Database(settings.db_url), settings.out_root, settings.audit_dir, recipes)


def _named(procedure: str, title: str) -> str:
    return f"{title}（{procedure}）" if title else procedure


# --- trail ------------------------------------------------------------------------------


def _value(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _event_line(e: Event) -> str:
    from bots.config import ja_time

    where = f"実行 {e.source}" if e.source not in ("操作記録", "取り込み") else e.source
    parts = [ja_time(e.at), where, e.what]
    if e.outcome:
        parts.append(f"［{e.outcome}］")
    if e.who and e.step in ("hand", "import_rejected", "run_start", "claim"):
        parts.append(f"{'操作者' if e.step == 'hand' else '実行者'}: {e.who}")
    if e.element:
        parts.append(e.element)
    if _value(e.value):
        parts.append(f"値: {_value(e.value)}")
    if e.detail and e.detail != e.element:
        parts.append(f"「{e.detail}」" if e.step == "hand" else e.detail)
    if e.receipt_no:
        parts.append(f"受付番号 {e.receipt_no}")
    if e.shot is not None:
        parts.append(f"画面写真 {e.shot.path.name}（{e.shot.state}）")
    lines = ["  ".join(parts)]
    lines += [f"        訂正: {c}" for c in e.changes]
    return "\n".join(lines)


def _attempt_line(a: AttemptRecord) -> str:
    from bots.config import ja_time

    ended = "〜（終了の記録なし）"
    if a.ended_at is not None:
        same_day = a.ended_at.date() == a.started_at.date()
        ended = f"〜{a.ended_at:%H:%M:%S}" if same_day else f"〜{ja_time(a.ended_at)}"
    receipt = f"  受付番号 {a.receipt_no}" if a.receipt_no else ""
    reason = f"  {a.reason}" if a.reason else ""
    return (
        f"  試行 {a.attempt_id}  {ja_time(a.started_at)}{ended}  実行 {a.run_id}（{a.runner}）"
        f"  {a.outcome}{receipt}  画面写真 {a.screenshots} 枚{reason}"
    )


def _print_trail(t: ApplicationTrail) -> None:
    from bots.config import ja_time

    click.echo(f"申請 {t.id}  {_named(t.procedure, t.title)}")
    if t.received_at is not None:  # the management system's own (Japan) time, as stored
        r = t.received_at
        click.echo(f"受付日時: {r.year}年{r.month}月{r.day}日 {r:%H:%M}")
    click.echo(f"宛名番号: {t.atena_no or '—'}  現在の状態: {t.status}")
    keyed = f"（{ja_time(t.keyed_at)} 連携）" if t.keyed_at else ""
    click.echo(f"受付番号: {t.receipt_no or '—'}{keyed}")
    click.echo(f"ボットの試行 {len(t.attempts)} 回（実行 {len(t.runs)} 件）:")
    for a in t.attempts:
        click.echo(_attempt_line(a))
    click.echo("記録（時刻順、日本時間）:")
    for e in t.events:
        click.echo(f"  {_event_line(e)}")
    click.echo(f"画面写真 {len(t.shots)} 枚:")
    for shot in t.shots:
        click.echo(f"  {shot.path}  {shot.state}（SHA-256 {shot.sha256[:16]}…）")
    click.echo("検証:")
    for finding in t.findings:
        click.echo(f"  {finding}")
    for note in t.notes:
        click.echo(f"  注記: {note}")
    click.echo(f"  {t.verdict}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _trail_json(t: ApplicationTrail) -> dict[str, Any]:
    document: dict[str, Any] = _jsonable(asdict(t))
    for shot in document["shots"]:
        shot["intact"] = shot["state"] == "一致"
    return document


@click.command("trail")
@click.argument("app_id", required=False)
@click.option(
    "--atena", "atena_no", help="この宛名番号のすべての申請 / Every application of this 宛名番号."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON で出力（プログラム用）/ For machines: the trail as JSON.",
)
@click.pass_context
def trail(ctx: click.Context, app_id: str | None, atena_no: str | None, as_json: bool) -> None:
    """1 件の申請（または宛名番号のすべての申請）の記録を、検証して表示
    / The trail of one application (or of every one of a 宛名番号), verified.

    APP_ID: 申請ID（--atena と一方だけ）/ application id (or --atena).
    """
    from bots.audit.history import UnknownApplication, applications_of_atena, trail_of
    from bots.audit.keys import load_key

    if (app_id is None) == (atena_no is None):
        raise click.UsageError("申請ID か --atena 宛名番号 のどちらか一つを指定してください")
    sources = _sources(ctx)
    try:
        ids = applications_of_atena(sources, atena_no) if atena_no else [str(app_id)]
        key = load_key()
        trails = [trail_of(sources, i, key) for i in ids]
    except UnknownApplication as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        sources.db.dispose()
    if as_json:
        documents = [_trail_json(t) for t in trails]
        shown = documents if atena_no else documents[0]
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        for number, t in enumerate(trails):
            if number:
                click.echo("")
            _print_trail(t)
    sys.exit(0 if all(t.verified for t in trails) else 1)


# --- export -----------------------------------------------------------------------------


@click.command("export")
@click.option(
    "--from",
    "start",
    required=True,
    metavar="DATE",
    help="最初の日（日本時間）、例 2026-12-01 / First day (JST), e.g. 2026-12-01.",
)
@click.option(
    "--to",
    "end",
    required=True,
    metavar="DATE",
    help="最後の日（日本時間、この日を含む）/ Last day (JST), included.",
)
@click.option(
    "--procedure", "-p", help="この手続だけ（レシピ名）/ Only this procedure (recipe name)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default="csv",
    show_default=True,
    help="ファイルの形式（CSV または Excel）/ File format (CSV or Excel).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="書き出すファイル（省略時は期間から名前を付ける）/ File to write (default: named after the period).",
)
@click.pass_context
def export(
    ctx: click.Context, start: str, end: str, procedure: str | None, fmt: str, out: Path | None
) -> None:
    """期間中のボットの試行と手作業を 1 行ずつ、マスクして書き出す（CSV・Excel）
    / Every attempt and hand action of a period, one row each, masked (CSV or Excel).
    """
    from bots.audit import export as exporting
    from bots.audit.browse import known_procedures
    from bots.audit.history import export_rows

    try:
        first, last = exporting.period(start, end)
    except exporting.ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    sources = _sources(ctx)
    try:
        if procedure and procedure not in known_procedures(sources):
            known = "、".join(sorted(sources.recipes))
            raise click.ClickException(f"手続 '{procedure}' はありません（{known}）")
        table = exporting.frame(export_rows(sources, first, last, procedure))
        path = exporting.write(table, out or exporting.default_name(first, last, fmt), fmt)
    except exporting.ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        sources.db.dispose()
    counts = table["種別"].value_counts()
    click.echo(
        f"{path} に書き出しました（{_day(first)}〜{_day(last)}、"
        f"ボットの試行 {counts.get(exporting.KIND_ATTEMPT, 0)} 行、"
        f"手作業 {counts.get(exporting.KIND_ACTION, 0)} 行）"
    )


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
