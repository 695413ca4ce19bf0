"""Evidence screenshots of a window, with the sensitive regions black before anything is saved.

An auditor wants to see what the bot saw; nobody may see a personal number in a screenshot.
The capture stays in memory, the boxes of every sensitive field are filled black on it, and
only then is it encoded and written (to a temporary name beside the target, then renamed,
so a half-written file never stands under the final name). The unmasked pixels never touch
the disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from loguru import logger
from PIL import Image, ImageDraw

from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.screen import capture


def blacken(image: Image.Image, origin: Region, sensitive: Sequence[Region]) -> Image.Image:
    """A copy of ``image`` (whose top-left is ``origin``) with each box filled black.

    Boxes are screen pixels; the parts outside the image are ignored.
    """
    masked = image.copy()
    draw = ImageDraw.Draw(masked)
    frame = Region(0, 0, image.width, image.height)
    for box in sensitive:
        inside = box.relative_to(origin).intersection(frame)
        if inside is not None:
            draw.rectangle((inside.x, inside.y, inside.right - 1, inside.bottom - 1), fill="black")
    return masked


def masked_screenshot(
    path: Path, window: Region, sensitive: Sequence[Region], display: str | None = None
) -> Path:
    """Capture ``window``, black out ``sensitive`` (screen pixels), write a PNG at ``path``."""
    shot = capture(window, display)
    masked = blacken(shot.image, shot.origin, sensitive)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    masked.save(partial, format="PNG")
    os.replace(partial, path)
    logger.info(
        "desktop.evidence {} ({}x{}, {} region(s) masked)",
        path,
        masked.width,
        masked.height,
        len(sensitive),
    )
    return path
