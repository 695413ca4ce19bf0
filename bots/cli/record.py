"""``renkei record SUBSYSTEM SCREEN``: record a screen's elements as selector entries.

The work is in :mod:`bots.tooling.record`; this module reads the command line, finds the
screen's address, and prints the entries (or writes them to ``--out``), Japanese first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from bots.config import Settings, ja_time

RECORD_HELP = """画面の操作を記録し、セレクタの項目にする（情報政策担当が確認して貼り付ける）
/ Record what you click on a screen as selector entries, for IT to review and paste.

\b
SUBSYSTEM: セレクタファイルの名前（kosodate など、selectors/SUBSYSTEM.yaml）
           / the selector file (selectors/SUBSYSTEM.yaml).
SCREEN:    画面の名前（ファイルにある画面なら、その url を開く）
           / the screen's name (a screen of the file opens at its url).

基幹システムの画面を Chromium で開き（ログイン画面のあるシステムではログインしてから）、
Playwright の記録ウィンドウを表示します。使う項目をクリック・入力し、ブラウザを閉じると、
触れた要素ごとに id・ラベル・ロール・テキストの探し方を YAML で表示します。
入力した値は出力しません。画面（ディスプレイ）が必要です。

Opens the core system's screen in Chromium (logged in first where the system has a
log-in screen) with Playwright's recorder. Click and type through the items, then
close the browser: every element touched is printed as YAML with its strategies
(id, label, role, text). Typed values are never printed. Needs a display.
"""


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.command("record", help=RECORD_HELP)
@click.argument("subsystem")
@click.argument("screen")
@click.option(
    "--url",
    "url",
    metavar="PATH",
    help="開く URL（基幹システムのアドレスの下のパス。既定は画面の url）/ "
    "The path to open under the core system's address (default: the screen's url).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML を書き出すファイル（既定は標準出力）/ Write the YAML to this file (default: stdout).",
)
@click.pass_context
def record_cmd(
    ctx: click.Context, subsystem: str, screen: str, url: str | None, out: Path | None
) -> None:
    from bots.errors import RecipeError
    from bots.recipe.selectors import load_selectors
    from bots.tooling.record import record, require_display, selector_entries

    settings = _settings(ctx)
    path = settings.selectors_dir / f"{subsystem}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in settings.selectors_dir.glob("*.yaml")))
        raise click.ClickException(f"セレクタファイル {path} がありません（{known}）")
    try:
        selectors = load_selectors(path, f"selectors/{path.name}")
    except RecipeError as exc:
        from bots.cli.main import RecipeBroken  # main registers this module: import late

        raise RecipeBroken(f"セレクタファイルに誤りがあります:\n{exc}") from exc
    known_screen = selectors.screens.get(screen)
    opened = url or (known_screen.url if known_screen else None)
    if not opened:
        with_url = ", ".join(n for n, s in selectors.screens.items() if s.url)
        why = "には url がありません" if known_screen else f"は {path.name} にありません"
        raise click.UsageError(
            f"画面 {screen} {why}: --url で開くパスを指定してください"
            f"（url のある画面: {with_url or 'なし'}）"
        )
    require_display()
    click.echo(
        f"{subsystem}: {opened} を開きます。使う項目をクリック・入力し、"
        "終わったら記録している画面のウィンドウを閉じてください",
        err=True,
    )
    recording = record(settings, selectors, opened)
    shown_url = known_screen.url if known_screen else opened
    text, conversion = selector_entries(recording, subsystem, screen, shown_url, ja_time(_now()))
    for line, code in conversion.unknown:
        click.echo(f"変換できなかった操作（記録の {line} 行目、手で確認）: {code}", err=True)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{len(conversion.entries)} 要素を {out} に書き出しました", err=True)
    else:
        click.echo(text, nl=False)


def _now() -> datetime:
    return datetime.now(UTC)
