"""``renkei recipe check|try|docs`` and ``renkei selectors probe``: IT's tools for recipes.

The work is in :mod:`bots.tooling` (the console can call the same functions); this module
only reads the command line and prints, Japanese first.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bots.config import Settings
from bots.errors import RecipeError

if TYPE_CHECKING:
    from bots.tooling.dryrun import TryReport
    from bots.tooling.probe import ProbeReport


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _broken(message: str) -> click.ClickException:
    from bots.cli.main import RecipeBroken  # main registers this module: import late

    return RecipeBroken(message)


@click.group()
def recipe() -> None:
    """レシピとセレクタ / Recipes and selectors."""


CHECK_HELP = """レシピとセレクタのファイルを確認し、誤りをすべて表示（誤りがあれば終了コード 4）
/ Validate recipe and selector files; list every mistake (exit 4).

FILE…: 確認するファイル（レシピ、またはセレクタのファイル）。省略するとすべてのレシピと
セレクタのファイル / the files to check (a recipe or a selector file); none: every
recipe and selector file of the installation.

誤りは 1 行に 1 つ、ファイル:行:列: 内容 の形で標準エラーに表示します。
/ Each mistake is one line on stderr: file:line:column: message.
"""


@recipe.command("check", help=CHECK_HELP)
@click.argument("file", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def recipe_check(ctx: click.Context, file: tuple[Path, ...]) -> None:
    from bots.tooling.check import check_all, check_files

    settings, files = _settings(ctx), file
    try:
        result = check_files(settings, list(files)) if files else check_all(settings)
    except RecipeError as exc:  # the 外字 list, shared by every recipe
        raise _broken(str(exc)) from exc
    for f in result.files:
        if not f.problems:
            click.echo(f"ok  {f.summary}" if not files else f"ok  {f.shown}  {f.summary}")
    for problem in result.problems():
        click.echo(f"NG  {problem}", err=True)
    broken = result.broken
    if broken:
        what = "ファイル" if files else "レシピ"
        raise _broken(
            f"読み込めない{what}が {len(broken)} 件あります（誤り {len(result.problems())} 件）"
        )


TRY_HELP = """申請 1 件の試行: ログインし、すべての画面に入力して画面記録を撮り、
登録の直前で止める（基幹システムにも管理データベースにも何も残さない）
/ A dry run of one application: log in, fill every screen, take the
screenshots and stop before 登録, changing nothing.

PROCEDURE: 手続（レシピ名）/ the procedure (recipe name).

申請は取得（処理権の取得）せずに読むだけで、状態・試行回数・受付番号は変わりません。
画面記録と記録（try.jsonl、値はマスク）は RENKEI_OUT の tries/ に保存します。
/ The application is read, not claimed: its status, attempts and receipt stay as
they are. Screenshots and a masked log (try.jsonl) go under tries/ in RENKEI_OUT.

\b
終了コード / Exit codes:
  0  登録の直前まで進み、停止した / reached 登録 and stopped
  1  進めなかった: 申請データの不備、本人確認の不一致、登録済み、
     一時的なエラー / could not go on: data problems, identity
     mismatch, already keyed, a transient error
  3  画面が想定と異なる、またはログインできない
     a screen changed, or log-in was refused
  4  レシピファイルの不備 / the recipe file is broken
"""


@recipe.command("try", help=TRY_HELP)
@click.argument("procedure")
@click.option(
    "--application",
    "app_id",
    required=True,
    help="試行する申請の申請ID / Id of the application to try.",
)
@click.pass_context
def recipe_try(ctx: click.Context, procedure: str, app_id: str) -> None:
    from bots.tooling.dryrun import TryRefused, dry_run

    settings = _settings(ctx)
    found = _recipe(settings, procedure)
    try:
        report = dry_run(settings, found, app_id)
    except TryRefused as exc:
        raise click.ClickException(str(exc)) from exc
    print_try(report)
    if report.stopped_before_register:
        return
    sys.exit(3 if report.problem_kind == "screen" else 1)


def _recipe(settings: Settings, procedure: str):  # type: ignore[no-untyped-def]
    """The procedure's recipe, or the exit its absence means (4 broken, 1 unknown)."""
    from bots.service import load_recipes_each

    try:
        recipes, errors = load_recipes_each(settings)
    except RecipeError as exc:
        raise _broken(str(exc)) from exc
    for path, error in errors.items():
        if path.stem == procedure:
            raise _broken(f"レシピを読み込めません: {error}")
    if procedure not in recipes:
        raise click.ClickException(
            f"手続 '{procedure}' のレシピがありません（{', '.join(sorted(recipes))}）"
        )
    return recipes[procedure]


@recipe.command("docs")
@click.pass_context
def recipe_docs(ctx: click.Context) -> None:
    """docs/recipe-application.md・docs/recipe-reference.md・docs/import.md を作り直す
    / Regenerate docs/recipe-application.md, docs/recipe-reference.md and docs/import.md
    from the registries.
    """
    from bots.docs import write_docs
    from bots.service import load_recipes

    settings = _settings(ctx)
    try:
        recipes = load_recipes(settings)
    except RecipeError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in write_docs(recipes, settings.root / "docs"):
        click.echo(f"wrote {path}")


@click.group()
def selectors() -> None:
    """セレクタファイルの確認 / Checks of the selector files."""


PROBE_HELP = """基幹システムの画面を開き、セレクタファイルの要素ごとに、どの探索方法で
見つかったか（見つからないか）を表示（ベンダーの更新の後に）
/ Open the core system's screens and report, for every element, which
strategy found it, or none — the check to run after a vendor update.

SUBSYSTEM: サブシステム（セレクタファイルの名前、例 kosodate）
/ the subsystem (selector file name, e.g. kosodate).

URL のある画面をログイン後に開きます。URL のない画面（検索結果から開く入力画面など）は
--application の申請の試行（登録の直前で停止、何も変更しない）の途中で確認します。
/ Screens with a URL are opened after logging in; the others (an entry form
opened from a search result) are probed on the way of a dry run of the
--application (stops before 登録, changes nothing).

\b
終了コード / Exit codes:
  0  すべて見つかった（ドリフトがあっても）/ all found (drift included)
  3  見つからない要素、または開けない画面がある
     an element matches nothing, or a screen could not be opened
  4  セレクタファイルの不備 / the selector file is broken
"""


@selectors.command("probe", help=PROBE_HELP)
@click.argument("subsystem")
@click.option(
    "--application",
    "app_id",
    help="URL のない画面を試行で確認する申請の申請ID / "
    "Id of an application whose dry run reaches the screens without a URL.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON で出力（プログラム用）/ Machine-readable output."
)
@click.pass_context
def selectors_probe(ctx: click.Context, subsystem: str, app_id: str | None, as_json: bool) -> None:
    from bots.tooling.dryrun import TryRefused
    from bots.tooling.probe import exit_status, probe

    settings = _settings(ctx)
    chosen, recipes, walk = _probe_inputs(settings, subsystem, app_id)
    try:
        report = probe(settings, chosen, recipes, walk=walk)
    except TryRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False, default=str, indent=2))
    else:
        print_probe(report)
    sys.exit(exit_status(report))


def _probe_inputs(settings: Settings, subsystem: str, app_id: str | None):  # type: ignore[no-untyped-def]
    """The selector file, the recipes that use it, and the dry run to walk (if any)."""
    from bots.recipe.selectors import load_selectors
    from bots.service import load_recipes_each
    from bots.tooling.dryrun import application_procedure

    path = settings.selectors_dir / f"{subsystem}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in settings.selectors_dir.glob("*.yaml")))
        raise click.ClickException(f"セレクタファイル {path} がありません（{known}）")
    try:
        chosen = load_selectors(path, f"selectors/{path.name}")
        recipes, _ = load_recipes_each(settings)
    except RecipeError as exc:
        raise _broken(str(exc)) from exc
    mine = [r for r in recipes.values() if r.system == subsystem]
    if app_id is None:
        return chosen, mine, None
    from bots.queue.db import Database

    procedure = application_procedure(Database(settings.db_url), app_id)
    walking = next((r for r in mine if r.procedure == procedure), None)
    if walking is None:
        raise click.ClickException(
            f"申請 {app_id} の手続 {procedure} は {subsystem} のレシピではありません"
        )
    return chosen, mine, (walking, app_id)


# -- what people read ---------------------------------------------------------------------


def print_try(report: TryReport) -> None:
    """The dry run: where it stopped, the screens, the values (masked), the evidence."""
    head = f"試行 {report.application_id}（{report.procedure}）"
    if report.stopped_before_register:
        click.echo(
            f"{head}: 登録の直前で停止しました。基幹システム・管理データベースは変更していません"
        )
    else:
        click.echo(f"{head}: 登録の前に終了しました: {report.problem}", err=True)
    if report.screens:
        click.echo("画面: " + " → ".join(report.screens))
    if report.keyed:
        click.echo("入力した値（個人番号・口座番号などはマスク）:")
        for k in report.keyed:
            click.echo(f"  {k.label}（{k.element}）: {k.value}")
    click.echo(f"画面記録: {report.folder}")
    for shot in report.screenshots:
        click.echo(f"  {shot.path.name}")
    click.echo(f"記録: {report.folder / 'try.jsonl'}")


#: How each result reads: Japanese, then the word programs and logs use.
STATUS_WORDS = {
    "ok": "一致 ok",
    "drift": "ドリフト drift",
    "missing": "見つからない missing",
    "absent": "表示なし absent",
    "not_probed": "未確認 not probed",
}


def print_probe(report: ProbeReport) -> None:
    """Every element by screen, then the problems and the counts."""
    screens: dict[str, list[str]] = {}
    for e in report.elements.values():
        screen, _, name = e.element.partition(".")
        if e.status in ("ok", "drift"):
            text = f"{e.index}番目 {e.strategy}"
            if e.status == "drift":
                text += f" で一致（1番目 {e.first} は不一致）"
        else:
            text = e.note + ("（" + "; ".join(e.tried) + "）" if e.tried else "")
        screens.setdefault(screen, []).append(f"  {STATUS_WORDS[e.status]}  {name}  {text}")
    for screen, lines in screens.items():
        shown = "表示" if screen in report.screens else "未到達"
        click.echo(f"画面 {screen}（{shown}）")
        for line in lines:
            click.echo(line)
    for problem in report.problems:
        click.echo(f"NG  {problem}", err=True)
    if report.walk is not None:
        walk = report.walk
        end = "登録の直前で停止" if walk.stopped_before_register else f"終了: {walk.problem}"
        click.echo(f"試行 {walk.application_id}: {end}（画面記録 {walk.folder}）")
    counts = "、".join(f"{STATUS_WORDS[s].split()[0]} {len(report.of(s))}" for s in STATUS_WORDS)
    click.echo(f"{report.system}: {counts}")
