"""Template capture for a desktop client: one screenshot, named boxes cropped into PNGs.

A desktop selector file finds elements by image templates and checks each screen against
its reference image (docs/desktop.md). IT staff make both from their vendor's client as
it is shown at 100 % display scale, with ``renkei selectors capture``: the client's window
is found by its title (or the whole screen is taken), and each named box — given on the
command line (``--box label_riyuu=51,181,79,20``) or in a YAML file — is cropped and
written as ``<name>.png``; ``--reference NAME`` writes the whole window as the screen's
reference. Boxes are pixels of the window (its top-left is 0,0), as an image viewer shows
them in the saved reference.

The pixels come straight from the X server (Pillow's ``ImageGrab``, as the driver sees
them), so a template matches the live screen exactly at 100 %; the driver's multi-scale
matching takes it to 125 % and 150 %. Crops are written whole or not at all (a temporary
file, then renamed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.screen import capture, window_region

_NAME = re.compile(r"^[a-z0-9_]+$")
_BOX = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$")


class CaptureError(ValueError):
    """A box or a name the tool cannot use; the message says which, in Japanese."""


def parse_box(text: str) -> tuple[str, Region]:
    """``name=x,y,w,h`` (window pixels) → the name and its region."""
    name, sep, box = text.partition("=")
    if not sep:
        raise CaptureError(f"『{text}』は 名前=x,y,幅,高さ の形で指定してください")
    return _checked(name.strip(), _region(box, name))


def _region(box: Any, name: str) -> Region:
    if isinstance(box, list | tuple) and len(box) == 4 and all(isinstance(v, int) for v in box):
        return Region(*box)
    found = _BOX.match(str(box))
    if not found:
        raise CaptureError(f"『{name}』の範囲『{box}』は x,y,幅,高さ（整数 4 つ）ではありません")
    return Region(*(int(v) for v in found.groups()))


def _checked(name: str, region: Region) -> tuple[str, Region]:
    if not _NAME.match(name):
        raise CaptureError(f"画像名『{name}』は半角小文字・数字・_ だけにしてください")
    if region.w <= 0 or region.h <= 0:
        raise CaptureError(f"『{name}』の幅と高さは 1 以上にしてください")
    return name, region


def read_boxes(path: Path) -> dict[str, Region]:
    """Boxes from a YAML file: a mapping ``name: [x, y, w, h]`` or a list of
    ``{name: …, box: [x, y, w, h]}``."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs: list[tuple[str, Any]]
    if isinstance(doc, Mapping):
        pairs = [(str(k), v) for k, v in doc.items()]
    elif isinstance(doc, list):
        pairs = [(str(item.get("name")), item.get("box")) for item in doc if isinstance(item, dict)]
    else:
        raise CaptureError(f"{path}: 名前と範囲の一覧（YAML）ではありません")
    return dict(_checked(name, _region(box, name)) for name, box in pairs)


def crop_boxes(image: Image.Image, boxes: Mapping[str, Region], out: Path) -> list[Path]:
    """Write each box of ``image`` (its own pixels) to ``out/<name>.png``; the paths."""
    frame = Region(0, 0, image.width, image.height)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, box in boxes.items():
        inside = box.intersection(frame)
        if inside != box:
            raise CaptureError(
                f"『{name}』の範囲 {box} が画像（{image.width}×{image.height}）の外に出ています"
            )
        written.append(_save(image.crop(box.bbox), out / f"{name}.png"))
    return written


def _save(image: Image.Image, path: Path) -> Path:
    """Written in grayscale: matching and the drift check compare gray levels, and a gray
    PNG is a third of the size (the templates live in the repository)."""
    partial = path.with_name(f".{path.name}.partial")
    image.convert("L").save(partial, format="PNG", optimize=True)
    os.replace(partial, path)
    return path


def capture_window(
    out: Path,
    boxes: Mapping[str, Region],
    *,
    title: str | None = None,
    reference: str | None = None,
    display: str | None = None,
) -> list[Path]:
    """One screenshot of the window titled ``title`` (the whole screen when None), its
    boxes cropped into ``out``; with ``reference``, the whole window as ``<reference>.png``."""
    window = window_region(title, display) if title else None
    shot = capture(window, display).image
    written = crop_boxes(shot, boxes, out)
    if reference is not None:
        name, _ = _checked(reference, Region(0, 0, shot.width, shot.height))
        written.append(_save(shot, out / f"{name}.png"))
    return written
