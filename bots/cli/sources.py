"""``renkei sources check`` and ``renkei sync``: the sources of ``sources.yaml`` (docs/sources.md)."""

from __future__ import annotations

import sys

import click

from bots.config import Settings
from bots.errors import RecipeError
from bots.sources.sync import PartReport, SyncReport

SYNC_HELP = """取り込み元（sources.yaml）から審査済の申請を取り込み、結果を表示します。
/ Take resolved applications from the sources of sources.yaml, then print what came of them.

\b
終了コード / Exit codes:
  0  正常（取り込む申請がなかったときも）/ all fine, also when nothing was new
  1  同期できないソースがある: sources.yaml の誤り、パスワードがない、
     テーブル・フォルダがない、レシピを読み込めない
     a source could not be synced: sources.yaml wrong, password missing,
     table or folder missing, a recipe it maps to does not load
  2  受け付けなかった行・ファイルがある（理由を表示、renkei import --report）
     rows or files were refused (listed; renkei import --report)
  5  ソースに接続できない（次回の同期で再試行。何も取り込んでいません）
     a source is unreachable (retried at the next sync; nothing was taken)
"""


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_root().obj
    return settings


@click.group("sources")
def sources() -> None:
    """取り込み元（sources.yaml）の確認 / The sources of applications (sources.yaml)."""


@sources.command("check")
@click.option(
    "--connect",
    is_flag=True,
    help="各ソースに接続して読んでみる / Also connect to each source and read it once.",
)
@click.pass_context
def check_cmd(ctx: click.Context, connect: bool) -> None:
    """sources.yaml の各ソースを確認（既定では接続しません）
    / Check every source of sources.yaml (without connecting unless --connect).

    設定の誤りは sources.yaml:行:列 で、パスワードの有無、レシピ、フォルダを表示します。
    / Mistakes are shown as sources.yaml:line:column; then credentials, recipes, folders.
    """
    from bots.sources.service import check_sources

    settings = _settings(ctx)
    try:
        results = check_sources(settings, connect=connect)
    except RecipeError as exc:
        raise click.ClickException(f"sources.yaml に誤りがあります:\n{exc}") from exc
    if not results:
        click.echo(f"ソースは定義されていません（{settings.sources_file}）")
        return
    bad = False
    for result in results:
        mark = "NG" if result.problems else "OK"
        click.echo(f"{mark}  {result.source}（{result.kind}）")
        for line in result.lines:
            click.echo(f"    {line}")
        for problem in result.problems:
            click.echo(f"    ✗ {problem}")
        bad = bad or bool(result.problems)
    if bad:
        sys.exit(1)


@click.command("sync", help=SYNC_HELP)
@click.option("--source", "name", help="このソースだけ / Only this source.")
@click.option(
    "--by", "who", help="取り込む人（既定はログイン名）/ Who syncs (default: the login name)."
)
@click.pass_context
def sync_cmd(ctx: click.Context, name: str | None, who: str | None) -> None:
    from bots.sources.service import sync_sources

    settings = _settings(ctx)
    try:
        reports = sync_sources(settings, name, by=who or None)
    except RecipeError as exc:
        raise click.ClickException(f"sources.yaml に誤りがあります:\n{exc}") from exc
    if not reports:
        click.echo(f"ソースは定義されていません（{settings.sources_file}）")
    for report in reports:
        _print_report(report)
    sys.exit(exit_code(reports))


def exit_code(reports: list[SyncReport]) -> int:
    """See SYNC_HELP: 1 before 2 before 5 (the one to act on first)."""
    if any(r.error and not r.transient for r in reports):
        return 1
    if any(
        r.refused or any(p.moved_to and p.moved_to.startswith("rejected/") for p in r.parts)
        for r in reports
    ):
        return 2
    return 5 if any(r.error for r in reports) else 0


def _print_report(report: SyncReport) -> None:
    if report.error:
        click.echo(f"ソース『{report.source}』: 同期できません: {report.error}")
        return
    corrections = len(report.corrections)
    click.echo(
        f"ソース『{report.source}』: 取り込み {len(report.taken)} 件"
        f"（うち要確認 {report.needs_review} 件）、訂正 {corrections} 件、"
        f"受け付けなかった行 {report.refused} 行、取り込まなかった行 {report.skipped} 件"
    )
    for part in report.parts:
        _print_part(part)
    for line in report.waiting:
        click.echo(f"  次回に回しました: {line}")


def _print_part(part: PartReport) -> None:
    r = part.report
    if part.moved_to:
        note = f"（{part.note}）" if part.note else ""
        click.echo(f"  {part.place} → {part.moved_to}{note}")
    elif part.note:
        click.echo(f"  {part.place}: {part.note}")
    for row, reason in r.rejected:
        click.echo(f"  {part.place}:{row}行目: {reason}")
    for row, reason in r.needs_review:
        click.echo(f"  {part.place}:{row}行目: 要確認として保存: {reason}")
    for row, message in r.warnings:
        click.echo(f"  {part.place}:{row}行目: {message}")
    for row, reason in r.skipped:
        click.echo(f"  {part.place}:{row}行目: 取り込みません: {reason}")
    if r.unchanged:
        click.echo(f"  {part.place}: 取り込み済みで変更のない行 {r.unchanged} 件")
