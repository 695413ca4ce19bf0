"""Rectangles on the screen, in pixels: where a template matched, a field, a masked box.

One small value type for every module of the desktop driver, so a region found by matching
can be clicked, captured, masked or reported (``x,y,w,h``, the form the drift message uses)
without conversions. Coordinates are screen pixels unless a docstring says otherwise
(drift regions are in the reference image's pixels, at 100 %).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Region:
    """An axis-aligned box: top-left ``x``, ``y`` and size ``w`` × ``h`` (pixels)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def center(self) -> tuple[int, int]:
        """The point to click: the middle of the box."""
        return (self.x + self.w // 2, self.y + self.h // 2)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)``, as Pillow's ``crop`` and ``ImageGrab`` take it."""
        return (self.x, self.y, self.right, self.bottom)

    @property
    def area(self) -> int:
        return max(self.w, 0) * max(self.h, 0)

    def moved(self, dx: int, dy: int) -> Region:
        return Region(self.x + dx, self.y + dy, self.w, self.h)

    def relative_to(self, origin: Region) -> Region:
        """This box in the coordinates of ``origin`` (e.g. a window's own pixels)."""
        return self.moved(-origin.x, -origin.y)

    def inset(self, pixels: int) -> Region:
        """The box shrunk by ``pixels`` on every side (never below 1 × 1)."""
        w, h = max(self.w - 2 * pixels, 1), max(self.h - 2 * pixels, 1)
        return Region(self.x + pixels, self.y + pixels, w, h)

    def scaled(self, factor: float) -> Region:
        """Every coordinate multiplied by ``factor`` (100 %-pixels → pixels at a scale)."""
        return Region(
            round(self.x * factor),
            round(self.y * factor),
            max(round(self.w * factor), 1),
            max(round(self.h * factor), 1),
        )

    def intersection(self, other: Region) -> Region | None:
        left, top = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= left or bottom <= top:
            return None
        return Region(left, top, right - left, bottom - top)

    def union(self, other: Region) -> Region:
        left, top = min(self.x, other.x), min(self.y, other.y)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return Region(left, top, right - left, bottom - top)

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.right and self.y <= y < self.bottom

    def near(self, other: Region, gap: int) -> bool:
        """Overlapping, or closer than ``gap`` pixels (used to merge drift regions)."""
        return self.inset(-gap).intersection(other) is not None

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"


def merge_near(regions: Iterable[Region], gap: int = 0) -> list[Region]:
    """Boxes that overlap or lie within ``gap`` of each other, merged until none do.

    A changed label gives a cluster of small difference blobs (one per stroke); IT wants
    one box per change, so clusters become their bounding box.
    """
    merged = list(regions)
    changed = True
    while changed:
        changed = False
        out: list[Region] = []
        for box in merged:
            for i, kept in enumerate(out):
                if kept.near(box, gap):
                    out[i] = kept.union(box)
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return sorted(merged, key=lambda r: (r.y, r.x))
