"""``renkei outbox`` (what is still to be written back) and ``renkei outbox deliver``.

The outbox holds every outcome (連携済 / 要確認 / 対象外) of an application that came from a
source of ``sources.yaml``, until the source has it (:mod:`bots.sources.outbox`). The list
shows each outcome not yet delivered with why (the source's error, masked, its URL
without password), its tries and when it is tried next, in Japan time. ``deliver`` sends
now what is pending — also what is backing off after an error, since a person asking
usually just fixed the source (``--wait-backoff`` leaves those to their time). Registered
on the main group by :mod:`bots.cli.main`.
"""

from __future__ import annotations

import json
import sys

import click

from bots.clock import utcnow
from bots.config import Settings, ja_time

#: ``renkei outbox deliver``'s exit code when some outcome could not be delivered (it stays
#: pending and is tried again): the same as a paused run (docs/operations.md).
NOT_ALL_DELIVERED = 5

SOURCE_HELP = "このソースだけ（sources.yaml の名前）/ Only this source (its name in sources.yaml)."


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group(invoke_without_command=True)
@click.option("--source", help=SOURCE_HELP)
@click.option("--json", "as_json", is_flag=True, help="JSON で出力 / Print JSON.")
@click.pass_context
def outbox(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """申請管理システムへ未送信の結果（書き戻し待ち・再送待ち）を一覧表示します。
    / List the outcomes not yet written back to their source, with why.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bots.queue.db import Database
    from bots.sources.outbox import pending

    db = Database(_settings(ctx).db_url)
    try:
        entries = pending(db, source)
    finally:
        db.dispose()
    now = utcnow()
    if as_json:
        rows = [
            {
                "outbox": e.id,
                "application": e.application_id,
                "source": e.source,
                "status": e.status.label,
                "outcome_at": ja_time(e.outcome_at),
                "state": e.state(now),
                "attempts": e.attempts,
                "next_try_at": ja_time(e.next_try_at) if e.next_try_at else None,
                "last_error": e.last_error,
                "batch": e.batch,
            }
            for e in entries
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo("未送信の結果はありません")
        return
    click.echo(f"未送信の結果 {len(entries)} 件（時刻は日本時間）")
    for e in entries:
        next_try = f"、次回 {ja_time(e.next_try_at)}" if e.next_try_at and e.last_error else ""
        click.echo(
            f"#{e.id} 申請 {e.application_id}（ソース『{e.source}』）: {e.status.label}"
            f"（{ja_time(e.outcome_at)}） {e.state(now)}、試行 {e.attempts} 回{next_try}"
        )
        if e.last_error:
            click.echo(f"    理由: {e.last_error}")


@outbox.command()
@click.option("--source", help=SOURCE_HELP)
@click.option(
    "--wait-backoff",
    is_flag=True,
    help="エラー後の再送待ちの結果は、その時刻まで送らない / "
    "Leave outcomes backing off after an error until their time.",
)
@click.pass_context
def deliver(ctx: click.Context, source: str | None, wait_backoff: bool) -> None:
    """未送信の結果を今すぐ申請管理システムへ書き戻します。
    / Write the pending outcomes back to their sources now.

    \b
    終了コード / Exit codes:
      0  すべて送信（送るものがなかったときも）/ all delivered, or nothing to do
      5  送れなかった結果がある（保留のまま、後で再送）/ some are still pending
    """
    from bots.queue.db import Database
    from bots.sources.outbox import deliver_outbox

    settings = _settings(ctx)
    db = Database(settings.db_url)
    try:
        report = deliver_outbox(settings, db=db, force=not wait_backoff, only=source)
    finally:
        db.dispose()
    if not report.sources:
        click.echo("送信する結果はありません")
        return
    for d in report.sources:
        if d.not_configured:
            click.echo(d.not_configured)
            continue
        line = f"ソース『{d.source}』: {d.delivered} 件を書き戻しました"
        if d.failed or d.held:
            line += f"、{d.failed + d.held} 件は保留（後で再送）"
        click.echo(line)
        for path in d.files:
            click.echo(f"    結果ファイル: {path}")
        for error in d.errors:
            click.echo(f"    エラー: {error}", err=True)
    if any(d.failed or d.held or d.not_configured for d in report.sources):
        sys.exit(NOT_ALL_DELIVERED)
