"""``renkei selectors capture``: templates and reference images from a desktop client.

Added to the ``selectors`` group (:mod:`bots.cli.recipes`) when this module is imported
(:func:`bots.cli.main._register_command_groups`). The work is :mod:`bots.tooling.capture`.
"""

from __future__ import annotations

from pathlib import Path

import click

from bots.cli.recipes import selectors

CAPTURE_HELP = """デスクトップのクライアントの画面を撮影し、名前付きの範囲を PNG に切り出す
（画像テンプレートと基準画像を作る。表示倍率 100 % で）
/ Take one screenshot of the desktop client and crop named boxes into PNGs
(image templates and reference images; at 100 % display scale).

OUT: PNG を書くフォルダ（例 selectors/images/kaigo_desktop）/ the folder for the PNGs.

範囲はウィンドウの左上を 0,0 とするピクセル（--box 名前=x,y,幅,高さ、または --boxes の
YAML）。--reference 名前 でウィンドウ全体を基準画像として保存します（docs/desktop.md）。
/ Boxes are window pixels (top-left 0,0): --box name=x,y,w,h or a YAML file
--boxes; --reference NAME saves the whole window as the screen's reference.
"""


@selectors.command("capture", help=CAPTURE_HELP)
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--window", "title", help="ウィンドウのタイトル（完全一致）/ Window title (exact).")
@click.option("--box", "boxes", multiple=True, help="名前=x,y,幅,高さ / name=x,y,w,h")
@click.option(
    "--boxes",
    "boxes_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="範囲の一覧（YAML）/ A YAML list of boxes.",
)
@click.option(
    "--reference", help="ウィンドウ全体を保存する名前 / Save the whole window as NAME.png."
)
def selectors_capture(
    out: Path,
    title: str | None,
    boxes: tuple[str, ...],
    boxes_file: Path | None,
    reference: str | None,
) -> None:
    from bots.tooling.capture import CaptureError, capture_window, parse_box, read_boxes

    try:
        wanted = read_boxes(boxes_file) if boxes_file else {}
        wanted.update(dict(parse_box(b) for b in boxes))
        if not wanted and reference is None:
            raise CaptureError("--box、--boxes、--reference のいずれかを指定してください")
        written = capture_window(out, wanted, title=title, reference=reference)
    except (CaptureError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {path}")
