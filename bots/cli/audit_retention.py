"""``renkei audit prune``: removing old evidence, leaving a signed record of what went.

Added to the ``audit`` group by :mod:`bots.cli.audit`. The work is in
:mod:`bots.audit.prune`; this module asks, lists and confirms.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from bots.config import Settings

if TYPE_CHECKING:  # imported when run, as the rest of ``renkei audit`` does: a quick start
    from bots.audit.keys import InstallationKey
    from bots.audit.prune import Plan
    from bots.queue.db import Database


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_root().obj
    return settings


@click.command("prune")
@click.option(
    "--before",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="この日（日本時間、YYYY-MM-DD）より前に終了した実行の証跡を削除 / "
    "Remove the evidence of runs that ended before this date (JST), YYYY-MM-DD.",
)
@click.option(
    "--note",
    default="",
    help="理由（保存期間の規程）: 削除の記録に残る / Why (the retention rule): kept in the removal record.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="削除するものを表示するだけで、何も変えない / List what would be removed; change nothing.",
)
@click.option("--yes", is_flag=True, help="確認せずに削除 / Do not ask for confirmation.")
@click.pass_context
def prune(ctx: click.Context, before: datetime, note: str, dry_run: bool, yes: bool) -> None:
    """日付より古い実行フォルダを削除: それぞれ先に検証し、署名付きで記録
    / Remove run folders older than a date, each verified first and recorded, signed.

    検証できない実行は削除せず（問題を表示して残す）、終了コード 1。
    / Exit 1 when a run was refused (its evidence does not verify: kept, with the findings).
    """
    from bots.audit import prune as retention
    from bots.audit.keys import load_key
    from bots.queue.db import Database

    day = before.date()
    settings = _settings(ctx)
    retention.check_date(day, settings.retention_min_days)
    if not dry_run and not note.strip():
        raise click.ClickException("理由（--note）を入力してください: 削除の記録に必要です")
    db, key = Database(settings.db_url), load_key()
    try:
        plan = retention.plan(db, settings.out_root, day, key)
        _show(plan)
        if dry_run:
            click.echo("試行のため、何も削除していません")
        elif plan.prunable or plan.leftovers:
            _carry_out(db, settings, plan, note, key, yes)
    finally:
        db.dispose()
    sys.exit(1 if plan.refused else 0)


def _carry_out(
    db: Database, settings: Settings, plan: Plan, note: str, key: InstallationKey, yes: bool
) -> None:
    """Ask, then record (committed) and only then remove the folders."""
    from bots.audit import prune as retention

    total = len(plan.prunable) + len(plan.leftovers)
    question = f"{total} 件の実行フォルダを削除します。元には戻せません。よろしいですか？"
    if not yes and not click.confirm(question, default=False):
        click.echo("中止しました（何も削除していません）")
        sys.exit(1)
    rows = retention.record(db, settings.audit_dir, plan.prunable, plan.before, note, key)
    retention.delete([c.folder for c in plan.prunable] + plan.leftovers)
    if rows:
        numbers = f"{rows[0].number}" if len(rows) == 1 else f"{rows[0].number}〜{rows[-1].number}"
        click.echo(
            f"{len(rows)} 件の実行フォルダを削除しました（削除記録 番号 {numbers}、"
            f"{settings.audit_dir / 'retention.jsonl'} に記録）"
        )
    if plan.leftovers:
        click.echo(f"途中で止まっていた削除 {len(plan.leftovers)} 件を完了しました")


def _show(plan: Plan) -> None:
    """What would go and what stays, as the operator and the auditor read it."""
    from bots.config import ja_date, ja_time

    since = f"{ja_date(plan.before)}より前に終了した実行"
    if not plan.prunable:
        click.echo(f"削除の対象はありません（{since}で、削除できるものはありません）")
    else:
        click.echo(f"削除の対象: {since} {len(plan.prunable)} 件")
    for c in plan.prunable:
        killed = "（終了の記録なし: 強制終了された実行）" if c.killed else ""
        click.echo(
            f"  {c.run_id}  終了 {ja_time(c.ended_at)}{killed}  監査記録 {len(c.hashes)} 行  "
            f"画面写真 {c.screenshots} 枚  ファイル {c.files} 個  {c.bytes:,} バイト"
        )
    if len(plan.prunable) > 1:
        shots = sum(c.screenshots for c in plan.prunable)
        size = sum(c.bytes for c in plan.prunable)
        click.echo(f"  合計 {len(plan.prunable)} 件、画面写真 {shots} 枚、{size:,} バイト")
    if plan.refused:
        click.echo("削除しない実行（検証で問題が見つかりました。問題のある証跡は削除できません）:")
        for c in plan.refused:
            for finding in c.findings:
                click.echo(f"  {c.run_id}: {finding}")
    for run in plan.running:
        click.echo(f"実行中のため対象外: {run}")
    for folder in plan.leftovers:
        click.echo(f"削除記録があり、フォルダが残っている実行（前回の削除の続き）: {folder}")
