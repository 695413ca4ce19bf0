"""Visual drift check: is this still the screen the templates and offsets were made for?

A vendor update that moves a field by 30 pixels does not break template matching of the
labels, and the offset then points at the wrong field: the bot would type a name into the
birth date. So before typing, each screen is compared with its reference image (captured at
100 % when the selectors were made), and any difference outside the declared value regions
(the entry fields whose content changes) stops the run, naming the screen and the region.

How, and why so (numbers measured on a Tk form in IPAGothic at 100–150 %):

1. *Align coarsely.* The reference's anchor (a distinctive part, e.g. the heading) is found
   with the multi-scale :class:`~bots.drivers.desktop.matching.Finder`; the live pixels
   around the predicted place are resized to the reference's scale.
2. *Align finely, and not uniformly.* DPI scaling is not a zoom: 1-pixel borders and some
   paddings stay 1 pixel, so at 150 % a window is 6 % shorter than 1.5 × its 100 % height.
   Tiles of the reference with content are found in the live image near their place, and an
   affine model (``cv2.estimateAffine2D``, RANSAC) is fitted to those pairs: a moved field
   is an outlier and does not bend the model. The live image is warped onto the reference.
3. *Compare tile by tile (12 px), each allowing ±4 px.* A tile with content must correlate
   (``TM_CCOEFF_NORMED``) at least :data:`TILE_MATCH` with the live pixels near it (measured
   at ±2 px: the same label redrawn at another size ≥ 0.83, another label ≤ 0.46, a moved
   field's border ~0). A flat tile (background) must stay flat (RMS ≤ :data:`FLAT_RMS`
   gray levels). Correlation
   rather than a pixel difference, because a 1-pixel border shrunk from 150 % is a fainter
   line, not a missing one. ±4 px because font sizes are whole pixels: at 110 % and 140 %
   a 20-character entry ends 4–5 px (at 100 %) short of where a uniform zoom puts it, which
   no affine model absorbs. So a field moved by less than ~5 px is not reported; 10 px is.
   Pixels of the declared value regions are masked out of each tile (what is typed there
   never counts), and a tile that is mostly value region is not compared: a 3-pixel strip
   of border does not correlate reliably.
4. Differing tiles next to each other are merged and reported in reference pixels.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from loguru import logger
from PIL import Image

from bots.drivers.desktop.errors import LayoutDrift
from bots.drivers.desktop.geometry import Region, merge_near
from bots.drivers.desktop.matching import Finder, Match, Template, to_gray
from bots.drivers.desktop.screen import Capture

#: Tile size (reference pixels) of the comparison, and how far (±) each tile may shift.
TILE = 12
SHIFT = 4
#: A tile with content passes when it correlates at least this much with the live pixels.
TILE_MATCH = 0.7
#: A flat tile (gray std below :data:`FLAT_STD`) passes when the live one differs by at most
#: this RMS (gray levels).
FLAT_STD = 6.0
FLAT_RMS = 10.0
#: Alignment: tiles of this size with content are searched ± :data:`SEARCH` pixels.
ALIGN_TILE = 16
SEARCH = 10
#: Smoothing (kernel pixels) of both images before aligning and comparing.
SMOOTH = 3
#: Differing tiles closer than this (pixels) are one region.
MERGE_GAP = 1


@dataclass(frozen=True)
class Reference:
    """A screen's reference image at 100 %, its anchor and its value regions (its pixels)."""

    screen: str
    image: np.ndarray = field(repr=False)
    anchor: Region
    ignore: tuple[Region, ...] = ()

    @classmethod
    def of(
        cls,
        screen: str,
        image: Image.Image | np.ndarray,
        anchor: Region,
        ignore: Sequence[Region] = (),
    ) -> Reference:
        return cls(screen, to_gray(image), anchor, tuple(ignore))

    @classmethod
    def load(
        cls, path: Path, screen: str, anchor: Region, ignore: Sequence[Region] = ()
    ) -> Reference:
        with Image.open(path) as image:
            return cls.of(screen, image, anchor, ignore)

    @property
    def size(self) -> tuple[int, int]:
        return (int(self.image.shape[1]), int(self.image.shape[0]))

    def anchor_template(self) -> Template:
        a = self.anchor
        return Template(f"{self.screen}/基準", self.image[a.y : a.bottom, a.x : a.right], 0.8)


@dataclass(frozen=True)
class DriftReport:
    """What the check found: differing ``regions`` (reference pixels), and the alignment:
    the scale found, where the reference lies on screen, how many tiles fitted the model."""

    screen: str
    regions: list[Region]
    scale: float
    placed: Region
    aligned_tiles: int
    elapsed_ms: float

    @property
    def drifted(self) -> bool:
        return bool(self.regions)


def compare(
    reference: Reference,
    shot: Capture,
    finder: Finder,
    *,
    within: Region | None = None,
    key: str | None = None,
    anchor_at: Match | None = None,
) -> DriftReport:
    """Align ``reference`` on ``shot`` and list where they differ (see the module doc).

    ``anchor_at`` is where the anchor is when the caller knows it better than matching can
    (a window whose top-left and size give the scale exactly: the desktop driver).
    """
    started = time.perf_counter()
    anchor = anchor_at or finder.find(
        shot, reference.anchor_template(), screen=reference.screen, within=within, key=key
    )
    a, s0 = reference.anchor, anchor.scale
    width, height = reference.size
    m = SEARCH + SHIFT
    placed = Region(
        round(anchor.region.x - (a.x + m) * s0),
        round(anchor.region.y - (a.y + m) * s0),
        round((width + 2 * m) * s0),
        round((height + 2 * m) * s0),
    )
    live = _smooth(_to_reference(shot, placed, (width + 2 * m, height + 2 * m), within))
    ref = _smooth(reference.image)
    model, inliers = _fit(ref, live, m)
    aligned = cv2.warpAffine(
        live,
        model,
        (width, height),
        flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    regions = differences(reference, ref, aligned)
    scale = s0 * float(np.sqrt(abs(np.linalg.det(model[:, :2]))))
    report = DriftReport(
        reference.screen,
        regions,
        round(scale, 4),
        placed,
        inliers,
        (time.perf_counter() - started) * 1000,
    )
    logger.info(
        "desktop.drift {}: {} region(s) {} scale {:.3f} ({} tiles aligned, {:.0f} ms)",
        reference.screen,
        len(regions),
        [str(r) for r in regions],
        scale,
        inliers,
        report.elapsed_ms,
    )
    return report


def check_layout(
    reference: Reference,
    shot: Capture,
    finder: Finder,
    *,
    within: Region | None = None,
    key: str | None = None,
    anchor_at: Match | None = None,
) -> DriftReport:
    """:func:`compare`, raising :class:`LayoutDrift` when any region differs."""
    report = compare(reference, shot, finder, within=within, key=key, anchor_at=anchor_at)
    if report.drifted:
        raise LayoutDrift(reference.screen, report.regions, report.scale)
    return report


def _smooth(gray: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(gray, (SMOOTH, SMOOTH), 0)


def _fit(ref: np.ndarray, live: np.ndarray, margin: int) -> tuple[np.ndarray, int]:
    """An affine map from reference pixels to ``live`` pixels, and how many tiles fit it.

    Without enough tiles with content (a nearly empty screen) the coarse placement stands:
    reference pixel (x, y) is live pixel (x + margin, y + margin).
    """
    height, width = ref.shape
    t, d = ALIGN_TILE, SEARCH
    src: list[tuple[float, float]] = []
    dst: list[tuple[float, float]] = []
    for y in range(0, height - t + 1, t):
        for x in range(0, width - t + 1, t):
            tile = ref[y : y + t, x : x + t]
            if tile.std() < 2 * FLAT_STD:
                continue
            near = live[y + margin - d : y + margin + t + d, x + margin - d : x + margin + t + d]
            result = cv2.matchTemplate(near, tile, cv2.TM_CCOEFF_NORMED)
            _, score, _, (dx, dy) = cv2.minMaxLoc(result)
            if score >= 0.8 and _distinct(result, dx, dy, score):
                src.append((x + t / 2, y + t / 2))
                dst.append((x + margin - d + dx + t / 2, y + margin - d + dy + t / 2))
    coarse = np.array([[1.0, 0.0, margin], [0.0, 1.0, margin]])
    if len(src) < 6:
        return coarse, len(src)
    model, inliers = cv2.estimateAffine2D(
        np.array(src, dtype=np.float32),
        np.array(dst, dtype=np.float32),
        method=cv2.RANSAC,
        ransacReprojThreshold=1.5,
    )
    if model is None:
        return coarse, 0
    return model, int(inliers.sum())


def _distinct(result: np.ndarray, x: int, y: int, score: float) -> bool:
    """Whether a tile's best place is clearly its only one: a tile of a straight line (an
    entry's border) fits anywhere along the line, and such a pair would let the model slide
    along it (measured: a 16-px stretch at 150 %), so it does not vote."""
    others = result.copy()
    others[max(y - 2, 0) : y + 3, max(x - 2, 0) : x + 3] = -1.0
    return float(others.max()) < score - 0.1


def _to_reference(
    shot: Capture, placed: Region, size: tuple[int, int], bounds: Region | None
) -> np.ndarray:
    """The live pixels under ``placed``, resized to ``size`` (the reference's scale).

    Only pixels inside ``bounds`` (the window searched, and the capture) are taken; the
    rest of ``placed`` repeats the nearest edge pixel. The desktop around a window (another
    window, the black root) is not the screen being checked, and a model off by a pixel
    must not read it as a change; a window cut short still differs where content is missing.
    """
    frame = shot.origin if bounds is None else shot.origin.intersection(bounds)
    inside = None if frame is None else frame.intersection(placed)
    if inside is None:
        return np.zeros((size[1], size[0]), dtype=np.uint8)
    src = inside.relative_to(shot.origin)
    part = shot.gray[src.y : src.bottom, src.x : src.right]
    canvas = cv2.copyMakeBorder(
        part,
        inside.y - placed.y,
        placed.bottom - inside.bottom,
        inside.x - placed.x,
        placed.right - inside.right,
        cv2.BORDER_REPLICATE,
    )
    return cv2.resize(canvas, size, interpolation=cv2.INTER_AREA)


def differences(reference: Reference, ref: np.ndarray, aligned: np.ndarray) -> list[Region]:
    """Boxes (reference pixels) where ``aligned`` differs from ``ref`` (both smoothed).

    Pixels in the declared value regions are left out of every tile (a mask), so what is
    typed there never counts; a tile that is mostly value region is not compared.
    """
    keep = np.ones(ref.shape, dtype=np.uint8)
    for box in reference.ignore:
        keep[box.y : box.bottom, box.x : box.right] = 0
    padded = cv2.copyMakeBorder(aligned, SHIFT, SHIFT, SHIFT, SHIFT, cv2.BORDER_REPLICATE)
    height, width = ref.shape
    bad: list[Region] = []
    for y in range(0, height - 3, TILE):
        for x in range(0, width - 3, TILE):
            box = Region(x, y, min(TILE, width - x), min(TILE, height - y))
            mask = keep[y : box.bottom, x : box.right]
            if mask.sum() < mask.size / 2:
                continue
            near = padded[y : y + box.h + 2 * SHIFT, x : x + box.w + 2 * SHIFT]
            if not _tile_passes(ref[y : box.bottom, x : box.right], mask, near):
                bad.append(box)
    return merge_near(bad, MERGE_GAP)


def _tile_passes(tile: np.ndarray, mask: np.ndarray, near: np.ndarray) -> bool:
    """Whether some shift of ``tile`` (its ``mask`` pixels) matches the live ``near`` it."""
    if tile[mask > 0].std() < FLAT_STD:
        result = cv2.matchTemplate(
            near.astype(np.float32),
            tile.astype(np.float32),
            cv2.TM_SQDIFF,
            mask=mask.astype(np.float32),
        )
        return float(np.sqrt(max(float(result.min()), 0.0) / mask.sum())) <= FLAT_RMS
    result = cv2.matchTemplate(near, tile, cv2.TM_CCOEFF_NORMED, mask=mask)
    return float(np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0).max()) >= TILE_MATCH
