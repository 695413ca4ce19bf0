"""``renkei``: run the bot, look at the queue, seed and import, manage schedules."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click
from loguru import logger

from bots.config import Settings
from bots.contracts import Status
from bots.errors import RecipeError, RenkeiError
from bots.masking import protect_values, scrub_text

#: Help texts several commands share.
PROCEDURE_HELP = "この手続だけ（レシピ名）/ Only this procedure (recipe name)."
WHO_HELP = "操作した人（既定はログイン名）/ Who (default: the login name)."
BY_HELP = "取り込む人（既定はログイン名）/ Who imports (default: the login name)."


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


class RecipeBroken(click.ClickException):
    """A recipe the command needs does not load (exit code 4, as ``renkei run`` documents)."""

    exit_code = 4


class HelpContext(click.Context):
    """A context whose help pages are wrapped by terminal columns: the help is Japanese
    first with the English beside it, and click alone would let it run past 80 columns."""

    def make_formatter(self) -> click.HelpFormatter:
        from bots.cli.output import HelpFormatter  # only when a help page is shown

        return HelpFormatter(width=self.terminal_width, max_width=self.max_content_width)


class RenkeiGroup(click.Group):
    """Every command's operator errors as one line: a management database that cannot be
    opened or written names its setting (``RENKEI_DB`` / ``--db``), a status change the
    transition table refuses names both statuses — never a traceback. Every such line is
    scrubbed (:func:`bots.masking.scrub_text`): click's own messages repeat what was typed
    (``--set bank.account_no=…``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RenkeiError as exc:  # renkei's own errors carry a message for the operator
            raise click.ClickException(str(exc)) from exc
        except click.ClickException as exc:
            # click types it Final; it is only the text show() prints: print it masked
            exc.message = scrub_text(exc.message)  # type: ignore[misc]
            raise
        except Exception as exc:
            # SQLAlchemy wraps an error raised while a value is bound (StatementError):
            # a data key that cannot seal (bots.queue.sealing) is renkei's own error
            orig = getattr(exc, "orig", None)
            if isinstance(orig, RenkeiError):
                raise click.ClickException(str(orig)) from exc
            raise

    context_class = HelpContext


def _protect_credentials(settings: Settings) -> None:
    """The core system's password and the database's never show, in any form (kept)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    secrets: list[str] = [settings.core_password]
    with contextlib.suppress(ArgumentError):  # malformed: the command opening it says so
        secrets.append(make_url(settings.db_url).password or "")
    protect_values(secrets, keep=True)


@click.group(cls=RenkeiGroup)
@click.option(
    "--db",
    envvar="RENKEI_DB",
    help="管理データベースの URL（環境変数 RENKEI_DB）/ "
    "Management database URL (sqlite:///… or postgresql://…).",
)
@click.option(
    "--core-url",
    envvar="RENKEI_CORE_URL",
    help="基幹システムの URL（環境変数 RENKEI_CORE_URL）/ Base URL of the core system.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="すべての手順をログに出力（標準エラー）/ Log every step to stderr.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, core_url: str | None, verbose: bool) -> None:
    """renkei（連携）: 審査済の申請を基幹システムに入力します（方式2）。
    / Keys resolved applications into the core system (方式2).

    各コマンドの説明は `renkei コマンド --help` で表示します。
    / Each command's help: `renkei COMMAND --help`.
    """
    from bots.cli.data import private_files
    from bots.cli.output import log_format, mask_tracebacks, scrubbed_sink

    private_files()  # what any command creates is the service account's only
    mask_tracebacks()
    logger.remove()
    logger.add(
        scrubbed_sink(sys.stderr),
        format=log_format,
        level="DEBUG" if verbose else "WARNING",
        filter=lambda r: "audit" not in r["extra"],
        diagnose=False,  # a traceback must not show variables' values
    )
    try:
        settings = Settings(db_url=db or "")
    except ValueError as exc:  # a setting out of its range: say which, no traceback
        raise click.ClickException(scrub_text(str(exc))) from exc
    if core_url:
        settings.core_url = core_url
    _protect_credentials(settings)
    ctx.obj = settings


RUN_HELP = """連携待ちの申請を 1 件ずつ基幹システムに入力し、結果を表示します。
/ Key every resolved application once, then print the summary.

\b
終了コード（docs/operations.md。複数あるときは 3〜7 のうち最小のもの）
Exit codes (docs/operations.md; with several, the smallest of 3–7):
  0  正常（連携する申請がなかったときも）
     all fine, also when there was nothing to do
  1  実行を開始できない: 管理データベースが使えない、未知の手続、
     範囲外の設定（その設定を 1 行で表示）
     the run could not start: management database unusable, unknown
     procedure, a setting out of range (one line naming it)
  2  コマンドラインの誤り（未知のオプションなど）
     wrong command line (unknown option)
  3  基幹システムのサブシステムを停止: 画面が変わった、ログインを拒否された
     a subsystem was stopped: its screen changed or log-in was refused
  4  レシピファイルの不備: その手続は実行せず（他の手続は実行）
     a recipe file is broken: its procedure was not run (the others were)
  5  休止: 基幹システムに接続できない、503 保守中、ライセンスがすべて使用中。
     申請は次回の実行まで連携待ちのまま
     paused: core system unreachable, 503 maintenance, licences all in use;
     the applications wait for the next run
  6  別の実行が手続の実行ロックを持っている: その手続は別の実行に任せた
     another run holds a procedure's run lock: that procedure was left to it
  7  サブシステムの稼働時間外（または RENKEI_WINDOW_MARGIN_S 以内に終了）:
     申請は連携待ちのまま、そのサブシステムには何も入力していない
     a subsystem is outside its online window (or closes within
     RENKEI_WINDOW_MARGIN_S): its applications wait, nothing was keyed there
"""


@cli.command(help=RUN_HELP)
@click.option("--procedure", "-p", help=PROCEDURE_HELP)
@click.option(
    "--limit", type=int, help="この件数を処理したら終了 / Stop after this many applications."
)
@click.option(
    "--verify-all",
    is_flag=True,
    help="入力の前に、すべての申請を基幹システムで照会（管理データベースをバックアップから戻した後に）/ "
    "Look every application up in the core system before typing "
    "(after restoring the management database from a backup).",
)
@click.option(
    "--parallel",
    is_flag=True,
    help="実行中の実行に追加の実行者として加わる（複数台での処理。実行ロックなし、"
    "申請の貸出で実行者どうしは重ならない）/ "
    "Join a run already going as an extra runner, for scaling on several machines "
    "(no run lock; the queue's leases keep runners apart).",
)
@click.pass_context
def run(
    ctx: click.Context, procedure: str | None, limit: int | None, verify_all: bool, parallel: bool
) -> None:
    from bots.cli.output import print_summary, progress
    from bots.queue.db import Database
    from bots.queue.sql import SqlWorkQueue
    from bots.service import exit_code, run_once

    settings = _settings(ctx)
    if verify_all:
        settings.verify = "always"
    db = Database(settings.db_url)
    waiting = SqlWorkQueue(db).counts(procedure)[Status.RESOLVED]
    try:
        with progress(waiting) as on_item:
            result = run_once(
                settings, procedure, limit=limit, on_item=on_item, db=db, exclusive=not parallel
            )
    except RecipeError as exc:
        raise RecipeBroken(f"レシピを読み込めないため実行しません: {exc}") from exc
    except (RenkeiError, KeyError) as exc:
        raise click.ClickException(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from exc
    print_summary(result)
    sys.exit(exit_code(result))


@cli.command()
@click.option("--procedure", "-p", help=PROCEDURE_HELP)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON で出力（プログラム用）/ Machine-readable output."
)
@click.pass_context
def status(ctx: click.Context, procedure: str | None, as_json: bool) -> None:
    """状態ごとの申請の件数と、最終実行（日本時間）/ Applications per status, and the last run (JST)."""
    from bots.queue.db import Database
    from bots.queue.sql import SqlWorkQueue

    db = Database(_settings(ctx).db_url)
    counts = SqlWorkQueue(db).counts(procedure)
    if as_json:
        click.echo(json.dumps({s.value: n for s, n in counts.items()}, ensure_ascii=False))
        return
    for s, n in counts.items():
        click.echo(f"{s.label}（{s.value}）\t{n}")
    click.echo(_last_run(db, procedure))


def _last_run(db: Any, procedure: str | None) -> str:
    """The latest run (of ``procedure``, or of any scope) as one line, in JST."""
    from sqlalchemy import select

    from bots.config import ja_time, jst
    from bots.queue.schema import RunRow

    query = select(RunRow).order_by(RunRow.started_at.desc()).limit(1)
    if procedure:
        query = query.where(RunRow.procedure == procedure)
    with db.session() as s:
        row = s.execute(query).scalars().first()
        if row is None:
            return "最終実行\tまだ実行していません"
        keyed = (row.summary or {}).get("keyed", 0)
        ended = f"〜{jst(row.ended_at):%H:%M:%S}（日本時間）" if row.ended_at else "（実行中）"
        return f"最終実行\t{ja_time(row.started_at)}{ended}  run {row.id}（{row.runner}、連携済 {keyed} 件）"


@cli.group()
def demo() -> None:
    """デモ用のデータと実行 / Demo data and a demo run."""


@demo.command("seed")
@click.argument("n", type=click.IntRange(1, 100_000))
@click.option(
    "--problems/--no-problems",
    default=True,
    show_default=True,
    help="5 件に 1 件を、人の確認が必要な申請にする / Make every fifth application one a person must look at.",
)
@click.option(
    "--no-core",
    is_flag=True,
    help="住民を模擬基幹システムに登録しない / Do not register the residents in the mock core system.",
)
@click.option(
    "--each",
    type=click.IntRange(0, 1000),
    default=3,
    show_default=True,
    help="ほかの各手続の申請の件数（0: 児童手当だけ）/ How many applications of every other procedure (0: 児童手当 only).",
)
@click.pass_context
def demo_seed(ctx: click.Context, n: int, problems: bool, no_core: bool, each: int) -> None:
    """連携待ちの申請を作成: 児童手当 認定請求 N 件と、26 手続のほかの手続（作成済みは作り直さない）
    / Create resolved demo applications of every procedure: N 児童手当 認定請求, the others
    --each (idempotent).

    N: 児童手当 認定請求の件数（1〜100000）/ how many 児童手当 applications.
    """
    from bots.demo.seed import seed_all
    from bots.queue.db import Database

    settings = _settings(ctx)
    try:
        made = seed_all(
            Database(settings.db_url),
            n,
            None if no_core else settings.core_url,
            problems=problems,
            each=each,
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    report = made.jidou
    click.echo(
        f"申請 {report.created} 件を作成（既存 {report.existing} 件）、住民 {report.residents} 件を基幹システムへ登録"
    )
    for app_id, kind in report.problems.items():
        click.echo(f"  {app_id}: デモ用の不備 {kind}")
    _echo_created(made.created)


def _echo_created(created: dict[str, int]) -> None:
    """One line per procedure, by its catalogue name."""
    from bots.catalogue import BY_ID

    for procedure, count in created.items():
        known = BY_ID.get(procedure)
        name = known.short if known else procedure
        click.echo(f"  {name}（{procedure}）: {count} 件を作成")


@demo.command("run")
@click.option(
    "-n",
    "count",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="作成する児童手当の申請の件数 / How many 児童手当 applications to create.",
)
@click.pass_context
def demo_run(ctx: click.Context, count: int) -> None:
    """デモ一式: 模擬基幹システムを起動し、申請を作成、1 回実行して結果を表示
    / The whole demo: start the mock core system, seed, run the bot once, print the summary.
    """
    from bots.cli.output import print_summary, progress
    from bots.demo.mockserver import MockStartError, mock_core
    from bots.demo.seed import seed_all
    from bots.queue.db import Database
    from bots.queue.sql import SqlWorkQueue
    from bots.service import run_once

    settings = _settings(ctx)
    db = Database(settings.db_url)
    core_db = settings.root / "var" / "core.db"
    try:
        with mock_core(settings.core_url, core_db):
            click.echo(f"模擬基幹システム {settings.core_url} （DB {core_db}）")
            made = seed_all(db, count, settings.core_url, each=2)
            report = made.jidou
            others = sum(made.created.values())
            click.echo(
                f"申請を作成: 児童手当 {report.created} 件（既存 {report.existing} 件）、"
                f"ほかの {len(made.created)} 手続で {others} 件"
            )
            waiting = SqlWorkQueue(db).counts()[Status.RESOLVED]
            with progress(waiting) as on_item:
                result = run_once(settings, on_item=on_item, db=db)
    except (MockStartError, RuntimeError, RenkeiError) as exc:
        raise click.ClickException(str(exc)) from exc
    print_summary(result)
    click.echo(f"  management DB: {settings.db_url}")


@demo.command("console")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8780, show_default=True,
    help="ポート番号 / Port of the console.",
)  # fmt: skip
@click.pass_context
def demo_console(ctx: click.Context, port: int) -> None:
    """デモのコンソール: 模擬基幹システムとスケジューラも起動し、デモ用アカウントを用意
    / The demo's web console, with the mock core system and the scheduler beside it.

    Demo accounts (password renkei-demo-console): demo-staff（業務担当）, demo-it（情報政策）,
    demo-audit（監査）, demo-admin（管理者）. Stop with Ctrl+C.
    """
    from bots.console.server import serve
    from bots.demo.console import (
        DEMO_ACCOUNTS,
        DEMO_PASSWORD,
        ensure_demo_accounts,
        scheduler_beside,
    )
    from bots.demo.mockserver import MockStartError, mock_core
    from bots.queue.db import Database

    settings = _settings(ctx)
    ensure_demo_accounts(Database(settings.db_url), settings)
    click.echo("デモ用アカウント（パスワード " + DEMO_PASSWORD + "）: " + "、".join(
        f"{name}（{shown}）" for name, (_, shown) in DEMO_ACCOUNTS.items()
    ))  # fmt: skip
    try:
        core_db = settings.root / "var" / "core.db"
        with mock_core(settings.core_url, core_db, reuse=True), scheduler_beside(settings):
            serve(settings, "127.0.0.1", port)
    except (MockStartError, RuntimeError, RenkeiError) as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("import")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="要確認・対象外の既存の申請の行を、その訂正として取り込む（監査記録に残る）/ "
    "Take rows of existing applications in 要確認/対象外 as their corrections (audited).",
)
@click.option(
    "--report",
    "show_report",
    is_flag=True,
    help="記録した、受け付けなかった行の一覧 / List the refused rows recorded.",
)
@click.option("--by", "who", help=BY_HELP)
@click.option(
    "--layout",
    "layout",
    metavar="PROCEDURE",
    help="手続の列とデータの形を表示（all: すべての手続）/ "
    "Print the columns and data layout of a procedure (all: every procedure).",
)
@click.pass_context
def import_cmd(
    ctx: click.Context,
    file: Path | None,
    replace: bool,
    show_report: bool,
    who: str | None,
    layout: str | None,
) -> None:
    """申請を CSV（UTF-8 または Shift_JIS）・Excel・JSON から取り込む
    / Load applications from CSV (UTF-8 or Shift_JIS), Excel or JSON.

    FILE: 取り込むファイル / the file to load.

    \b
    列: id、procedure（手続）、atena_no（宛名番号、半角数字）、
    received_at（受付日時、ISO 形式、省略可）、status（received / identified /
    resolved、既定は resolved）、申請の項目は JSON の `data` 列 1 つか、
    ドット区切りの列（applicant.kana、children.1.name — 一覧の位置は 1 から）。
    JSON ファイルは {id, procedure, atena_no, received_at, data} の配列。
    Columns: id, procedure, atena_no (半角数字), received_at (ISO, optional),
    status (received / identified / resolved, default resolved), and the form's
    items either as one `data` column of JSON or as flat dotted columns
    (applicant.kana, children.1.name — list positions from 1). JSON files are an
    array of {id, procedure, atena_no, received_at, data}.

    \b
    手続ごとの項目: `renkei import --layout PROCEDURE`（または docs/import.md）、
    手続ごとの正しい例のファイル: examples/
    Each procedure's items: `renkei import --layout PROCEDURE`
    (or docs/import.md); a valid example file per procedure: examples/.

    すべての行を手続の申請スキーマで確認します。受け付けなかった行は行番号とともに表示・記録し
    （--report）、データに不備のある行は理由を付けて要確認として保存、未知の項目は表示して保存します。

    Every row is checked with its procedure's application schema: refused rows are
    listed with their row number and recorded (--report); rows whose data has
    problems are kept as 要確認 with the reason; unknown items are reported and kept.
    """
    from bots.intake.importer import ImportFileError, import_file
    from bots.queue.db import Database
    from bots.service import load_recipes

    settings = _settings(ctx)
    if layout:
        _print_layout(settings, layout)
        return
    db = Database(settings.db_url)
    if show_report:
        if file is not None:
            raise click.UsageError("--report はファイルと一緒には指定できません")
        _print_rejections(db)
        return
    if file is None:
        raise click.UsageError("取り込むファイルを指定してください（一覧は --report）")
    try:
        report = import_file(
            db,
            file,
            load_recipes(settings),
            replace=replace,
            by=who or None,
            audit_dir=settings.audit_dir,
        )
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"取り込み {len(report.loaded)} 件、不備 {len(report.rejected)} 行")
    if report.needs_review:
        click.echo(f"  うち要確認 {len(report.needs_review)} 件（申請データに不備）")
    if report.replaced:
        click.echo(f"  うち訂正 {len(report.replaced)} 件（--replace、連携待ちに戻しました）")
    for row, reason in report.rejected:
        click.echo(f"  {file}:{row}行目: {reason}")
    for row, reason in report.needs_review:
        click.echo(f"  {file}:{row}行目: 要確認として保存: {reason}")
    for row, message in report.warnings:
        click.echo(f"  {file}:{row}行目: {message}")
    if report.rejected:
        sys.exit(2)


def _print_rejections(db: Any) -> None:
    from bots.intake.importer import list_rejections

    rejections = list_rejections(db)
    if not rejections:
        click.echo("取り込みで受け付けなかった行はありません")
    for r in rejections:
        app = f"  申請ID {r.application_id}" if r.application_id else ""
        click.echo(f"{r.imported_at_jst}  {r.file}:{r.row}行目{app}  {r.reason}  （{r.by}）")


def _print_layout(settings: Settings, procedure: str) -> None:
    from bots.docs import import_layout
    from bots.service import load_recipes

    recipes = load_recipes(settings)
    if procedure != "all" and procedure not in recipes:
        raise click.ClickException(
            f"手続 '{procedure}' のレシピがありません（{', '.join(sorted(recipes))}）"
        )
    chosen = recipes.values() if procedure == "all" else [recipes[procedure]]
    for recipe in chosen:
        click.echo(import_layout(recipe))


@cli.group()
def review() -> None:
    """要確認の申請（人の対応が必要な申請）/ The exception queue: applications a person must act on."""


def _review_queue(ctx: click.Context):  # type: ignore[no-untyped-def]
    from bots.queue.db import Database
    from bots.review import ReviewQueue
    from bots.service import load_recipes

    settings = _settings(ctx)
    try:
        recipes = load_recipes(settings)
    except RecipeError as exc:
        raise click.ClickException(str(exc)) from exc
    return ReviewQueue(Database(settings.db_url), settings.audit_dir, settings.out_root, recipes)


@review.command("list")
@click.option("--procedure", "-p", help=PROCEDURE_HELP)
@click.pass_context
def review_list(ctx: click.Context, procedure: str | None) -> None:
    """要確認の申請を古い順に理由とともに、続いて取り込みで受け付けなかった行
    / Applications waiting for a person, oldest first, with the reason; then refused rows.
    """
    queue = _review_queue(ctx)
    items = queue.list(procedure)
    if not items:
        click.echo("要確認の申請はありません")
    for item in items:
        core = f"（基幹システム: {item.core_message}）" if item.core_message else ""
        click.echo(f"{item.id}\t{item.status.label}\t{item.procedure}\t{item.reason or ''}{core}")
    shown = 10
    count, latest = queue.import_rejections(limit=shown)
    if count:
        click.echo(f"取り込みで受け付けなかった行（{count} 件）: renkei import --report で詳細")
        for r in latest:
            click.echo(f"  {r.imported_at_jst}  {r.file}:{r.row}行目  {r.reason}")
        if count > shown:
            click.echo(f"  …ほか {count - shown} 件")


@review.command("show")
@click.argument("app_id")
@click.pass_context
def review_show(ctx: click.Context, app_id: str) -> None:
    """申請の内容（個人番号・口座番号はマスク）、理由、試行、画面記録
    / The application's data (numbers masked), reason, attempts and screenshots.

    APP_ID: 申請ID / application id.
    """
    from bots.config import ja_time
    from bots.review import ReviewError

    try:
        detail = _review_queue(ctx).show(app_id)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from exc
    item = detail.item
    click.echo(
        f"申請 {item.id}（{item.procedure}）  状態: {item.status.label}  宛名番号: {item.atena_no}"
    )
    # 受付日時 is the management system's own (Japan) time, stored as it gave it.
    r = item.received_at
    click.echo(f"受付日時: {r.year}年{r.month}月{r.day}日 {r:%H:%M}  試行: {item.attempts} 回")
    click.echo(f"理由: {item.reason or '—'}")
    if item.core_message:
        click.echo(f"基幹システムのメッセージ: {item.core_message}")
    if item.purged_at is not None:
        click.echo(f"申請内容: 保存期間の経過後に消去済み（{ja_time(item.purged_at)}）")
    else:
        click.echo("申請内容（個人番号・口座番号はマスク）:")
        click.echo(json.dumps(detail.data, ensure_ascii=False, indent=2))
    click.echo("試行の履歴:")  # times in JST, as everywhere
    for h in detail.history:  # stored in UTC, shown in JST
        click.echo(
            f"  {ja_time(h['started_at'])}  {h['runner']}  {h['outcome'] or '（処理中）'}  {h['reason'] or ''}"
        )
    click.echo("画面記録:")
    for shot in detail.screenshots:
        click.echo(f"  {shot}")


def _act(ctx: click.Context, action: str, app_id: str, **kwargs: Any) -> Any:
    from bots.review import ReviewError

    queue = _review_queue(ctx)
    try:
        return getattr(queue, action)(app_id, **kwargs)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from exc


@review.command("retry")
@click.argument("app_id")
@click.option(
    "--note",
    required=True,
    help="今なら入力できる理由（記録される）/ Why it can be keyed now (recorded).",
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def review_retry(ctx: click.Context, app_id: str, note: str, who: str | None) -> None:
    """連携待ちに戻す（データか基幹システムを直した後に）
    / Send it back to the bot (after the data or the core system was fixed).

    APP_ID: 申請ID / application id.
    """
    _act(ctx, "retry", app_id, note=note, who=who or "")
    click.echo(f"{app_id}: 連携待ちに戻しました")


@review.command("done")
@click.argument("app_id")
@click.option(
    "--receipt",
    default=None,
    help="手入力したときに基幹システムが付けた受付番号（受付番号のない基幹システム receipt: none では省略）"
    " / 受付番号 the core system gave when keyed by hand (leave out where it gives none).",
)
@click.option(
    "--note",
    required=True,
    help="手入力についてのメモ（記録される）/ A note on the manual keying (recorded).",
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def review_done(
    ctx: click.Context, app_id: str, receipt: str | None, note: str, who: str | None
) -> None:
    """人が手入力したことを記録（連携済）/ Record that a person keyed it by hand.

    APP_ID: 申請ID / application id.
    """
    _act(ctx, "done", app_id, receipt_no=receipt, note=note, who=who or "")
    shown = f"受付番号 {receipt}" if receipt else "受付番号なし"
    click.echo(f"{app_id}: 連携済（手入力、{shown}）")


@review.command("reject")
@click.argument("app_id")
@click.option(
    "--note", required=True, help="対象外にする理由（記録される）/ Why not to be keyed (recorded)."
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def review_reject(ctx: click.Context, app_id: str, note: str, who: str | None) -> None:
    """対象外にする: 入力しない（取下げ、重複など）
    / Take it out of the queue: not to be keyed (withdrawn, duplicate…).

    APP_ID: 申請ID / application id.
    """
    _act(ctx, "reject", app_id, note=note, who=who or "")
    click.echo(f"{app_id}: 対象外にしました")


@review.command("edit")
@click.argument("app_id")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="項目を設定（一覧の位置は 1 から）。複数指定できる"
    " / Set an item (children.1.birth_date=2019-02-28; positions from 1). Repeatable.",
)
@click.option(
    "--unset",
    "unsets",
    multiple=True,
    metavar="PATH",
    help="項目を削除。複数指定できる / Remove an item. Repeatable.",
)
@click.option(
    "--file",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="訂正後のデータ全体（JSON。マスクのままの値は保存済みの値を使う）/ "
    "The whole corrected data as JSON (masked values left as shown keep the stored ones).",
)
@click.option(
    "--note",
    required=True,
    help="何をなぜ訂正したか（記録される）/ What was corrected and why (recorded).",
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def review_edit(
    ctx: click.Context,
    app_id: str,
    sets: tuple[str, ...],
    unsets: tuple[str, ...],
    data_file: Path | None,
    note: str,
    who: str | None,
) -> None:
    """データを訂正: ボットの確認を通れば連携待ちに戻す
    / Correct the data; back to the bot only if it passes the bot's checks.

    APP_ID: 申請ID / application id.
    """
    from bots.review import DataEdit

    changes: dict[str, str] = {}
    for item in sets:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise click.BadParameter(
                f"項目=値 の形で指定してください（{item}）", param_hint="--set"
            )
        changes[path.strip()] = value
    replace = None
    if data_file is not None:
        try:
            replace = json.loads(data_file.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise click.ClickException(f"{data_file}: UTF-8 の JSON として読めません") from exc
    if not (changes or unsets or data_file):
        raise click.UsageError("--set・--unset・--file のどれかで訂正内容を指定してください")
    edit = DataEdit(replace=replace, set=changes, unset=list(unsets))
    changed = _act(ctx, "edit", app_id, changes=edit, note=note, who=who or "")
    click.echo(f"{app_id}: 訂正して連携待ちに戻しました（{len(changed)} 項目）")
    for c in changed:
        click.echo(f"  {c['label'] or c['item']}: {c['before']} → {c['after']}")


@review.command("undo")
@click.argument("app_id")
@click.option(
    "--note",
    required=True,
    help="手入力の完了が誤りだった理由（記録される）/ Why the manual completion was wrong (recorded).",
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def review_undo(ctx: click.Context, app_id: str, note: str, who: str | None) -> None:
    """誤った `review done`（手入力の連携済だけ）を取り消し、要確認に戻す
    / Take back a mistaken `review done` (only a manual one): back to 要確認.

    APP_ID: 申請ID / application id.
    """
    _act(ctx, "undo", app_id, note=note, who=who or "")
    click.echo(f"{app_id}: 手入力の連携済を取り消し、要確認に戻しました")


def _short_help(text: str) -> str:
    """A command's line in its group's list: its help's first paragraph, whole — click
    would cut it by characters, which leaves half the English after the Japanese."""
    import inspect
    import unicodedata

    def wide(char: str) -> bool:
        return unicodedata.east_asian_width(char) in "WF"

    lines = [line.strip() for line in inspect.cleandoc(text).partition("\n\n")[0].splitlines()]
    shown = ""
    for line in (line for line in lines if line and line != "\b"):
        shown += line if shown and wide(shown[-1]) and wide(line[0]) else f" {line}"
    return shown.strip()


def _help_everywhere(command: click.Command) -> None:
    """Give every command under ``command`` the column-aware help pages: each command
    makes its own context, so the commands other modules define get it here."""
    command.context_class = HelpContext
    if command.short_help is None and command.help:
        command.short_help = _short_help(command.help)
    for sub in getattr(command, "commands", {}).values():
        _help_everywhere(sub)


def _register_command_groups() -> None:
    """Command groups that live in their own modules (one module per idea)."""
    import bots.cli.capture  # noqa: F401  (adds `selectors capture` to the group)
    from bots.cli.audit import audit
    from bots.cli.console import console
    from bots.cli.data import data
    from bots.cli.outbox import outbox
    from bots.cli.procedures import procedure, procedures
    from bots.cli.recipes import recipe, selectors
    from bots.cli.record import record_cmd
    from bots.cli.schedule import calendar, schedule, scheduler
    from bots.cli.sources import sources, sync_cmd

    cli.add_command(audit)
    cli.add_command(console)
    cli.add_command(data)
    cli.add_command(outbox)
    cli.add_command(procedure)
    cli.add_command(procedures)
    cli.add_command(recipe)
    cli.add_command(record_cmd)
    cli.add_command(selectors)
    cli.add_command(schedule)
    cli.add_command(calendar)
    cli.add_command(scheduler)
    cli.add_command(sources)
    cli.add_command(sync_cmd)
    _help_everywhere(cli)


_register_command_groups()
