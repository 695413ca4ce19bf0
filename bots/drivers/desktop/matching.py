"""Finding a template on the screen at any display scale, and never guessing.

Templates are captured once, at 100 % display scale. A client shown at 125 % or 150 %
(Windows' DPI scaling, a bigger font setting) draws the same label larger, so the template
is compared at every scale of :data:`SCALES` (grayscale ``cv2.matchTemplate`` with
``TM_CCOEFF_NORMED``, which does not care about brightness or contrast) and the best scale
wins. A window does not change scale between two looks, so the scale found for a window
(``key``) is tried first next time, and the others only when that fails: after the first
find, a look costs one match instead of fifteen.

Three rules users of image-based RPA tools ask for, because their tools do otherwise:

* a threshold per template (:attr:`Template.threshold`), and the best score *always*
  reported, found or not — a silent 0.71 that passes is how wrong fields get typed into;
* two places above the threshold where one was expected is :class:`TemplateAmbiguous`
  with both positions and scores (after non-maximum suppression, so one label is one
  place), never "the first one";
* not found is :class:`TemplateNotFound` with the best score, its scale and its place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from loguru import logger
from PIL import Image

from bots.drivers.desktop.errors import TemplateAmbiguous, TemplateNotFound
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.screen import Capture

#: The default similarity a template needs (TM_CCOEFF_NORMED, 1.0 = identical pixels).
DEFAULT_THRESHOLD = 0.85
#: Display scales searched: 90 % to 160 % in 5 % steps (100/125/150 % and between).
SCALES: tuple[float, ...] = tuple(round(0.90 + 0.05 * i, 2) for i in range(15))
#: At most this many places are reported in an ambiguity error.
MAX_REPORTED = 5
#: Gaussian blur (kernel pixels, odd; 0 = none) of screen and template before comparing.
#: Text drawn at 20 px is not the 16 px template enlarged — hinting and antialiasing put
#: stroke edges a pixel apart. Measured on IPAGothic labels at 125 % / 150 %: true matches
#: 0.84–0.94 without blur, 0.93–0.98 with 3 px; other labels (runner-up) at most 0.73.
SMOOTH = 3
#: Areas of at least this many pixels are first scanned at half size, over every scale;
#: the :data:`COARSE_KEEP` best scales are then matched at full size. Templates with a
#: side under 2 × :data:`COARSE_MIN_SIDE` pixels are too small to halve.
COARSE_AREA = 400_000
COARSE_KEEP = 3
COARSE_MIN_SIDE = 8


def to_gray(image: Image.Image | np.ndarray) -> np.ndarray:
    """An 8-bit grayscale array of a Pillow image or an RGB / gray array."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("L"))
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return image


@dataclass(frozen=True)
class Template:
    """An image to look for, captured at 100 %, with its own threshold."""

    name: str
    image: np.ndarray = field(repr=False)
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def load(
        cls, path: Path, *, name: str | None = None, threshold: float = DEFAULT_THRESHOLD
    ) -> Template:
        """A template from a PNG file (``selectors/images/…``); named by its stem."""
        with Image.open(path) as image:
            gray = to_gray(image)
        return cls(name or path.stem, gray, threshold)

    @classmethod
    def of(
        cls, name: str, image: Image.Image | np.ndarray, threshold: float = DEFAULT_THRESHOLD
    ) -> Template:
        return cls(name, to_gray(image), threshold)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` at 100 %."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))

    def at(self, scale: float) -> np.ndarray:
        """The template drawn at ``scale`` (area averaging down, bicubic up)."""
        if scale == 1.0:
            return self.image
        w, h = self.size
        size = (max(round(w * scale), 1), max(round(h * scale), 1))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        return cv2.resize(self.image, size, interpolation=interpolation)


@dataclass(frozen=True)
class Match:
    """Where a template was found: ``region`` in screen pixels, its score and scale.

    ``runner_up`` is the best score elsewhere (outside this place): close to ``score``
    means the template is not distinctive enough, whatever the threshold says.
    """

    template: str
    region: Region
    score: float
    scale: float
    runner_up: float = 0.0


@dataclass
class _Scan:
    scale: float
    result: np.ndarray
    score: float
    at: tuple[int, int]


class Finder:
    """Template matching over a scale range, remembering each window's scale.

    One finder serves one bot process; ``key`` names a window (its title), so two clients
    at different scales each keep theirs.
    """

    def __init__(self, scales: tuple[float, ...] = SCALES, smooth: int = SMOOTH) -> None:
        self.scales = scales
        self.smooth = smooth
        self.known_scale: dict[str, float] = {}
        self._drawn: dict[tuple[int, float], tuple[np.ndarray, np.ndarray]] = {}

    def drawn(self, template: Template, scale: float) -> np.ndarray:
        """The template at ``scale``, smoothed like the screen (kept: drawn once per scale).

        Kept by the identity of the template's pixels, and with them: the cache holds the
        array, so its ``id`` cannot be reused by another template's array while cached
        (which once made a new template match as the old one).
        """
        key = (id(template.image), scale)
        hit = self._drawn.get(key)
        if hit is None or hit[0] is not template.image:
            if len(self._drawn) > 2000:  # a long-running bot with many templates: start over
                self._drawn.clear()
            hit = (template.image, self._smoothed(template.at(scale)))
            self._drawn[key] = hit
        return hit[1]

    def _smoothed(self, gray: np.ndarray) -> np.ndarray:
        if not self.smooth:
            return gray
        return cv2.GaussianBlur(gray, (self.smooth, self.smooth), 0)

    def find(
        self,
        shot: Capture,
        template: Template,
        *,
        screen: str,
        within: Region | None = None,
        key: str | None = None,
    ) -> Match:
        """The one place ``template`` shows in ``shot`` (within ``within``, screen pixels).

        Raises :class:`TemplateNotFound` (with the best score) or
        :class:`TemplateAmbiguous` (with every place above the threshold).
        """
        started = time.perf_counter()
        area = shot.origin if within is None else shot.origin.intersection(within)
        if area is None:
            raise TemplateNotFound(
                screen, template.name, template.threshold, None, within or shot.origin
            )
        gray = self._smoothed(_cut(shot, area))
        scan = self._scan(gray, template, key or screen)
        if scan is None:
            raise TemplateNotFound(screen, template.name, template.threshold, None, area)
        shape = self.drawn(template, scan.scale).shape
        places = _peaks(scan.result, template.threshold, shape)
        elapsed = (time.perf_counter() - started) * 1000
        matches = [_match(template, scan, shape, area, at, score) for at, score in places]
        if not matches:
            best = _match(template, scan, shape, area, scan.at, scan.score)
            logger.info(
                "desktop.find {} not found: best {:.3f} < {:.2f} scale {:.2f} at {} ({:.0f} ms)",
                template.name,
                scan.score,
                template.threshold,
                scan.scale,
                best.region,
                elapsed,
            )
            raise TemplateNotFound(screen, template.name, template.threshold, best, area)
        if len(matches) > 1:
            logger.info("desktop.find {} ambiguous: {}", template.name, matches[:MAX_REPORTED])
            raise TemplateAmbiguous(
                screen, template.name, template.threshold, matches[:MAX_REPORTED]
            )
        self.known_scale[key or screen] = scan.scale
        found = _match(
            template, scan, shape, area, places[0][0], places[0][1], _runner_up(scan, shape)
        )
        logger.debug(
            "desktop.find {} score {:.3f} (runner-up {:.3f}, threshold {:.2f}) scale {:.2f} at {} ({:.0f} ms)",
            template.name,
            found.score,
            found.runner_up,
            template.threshold,
            found.scale,
            found.region,
            elapsed,
        )
        return found

    def _scan(self, gray: np.ndarray, template: Template, key: str) -> _Scan | None:
        """The best scale: the window's known one if it still matches, else all of them."""
        known = self.known_scale.get(key)
        if known is not None:
            first = self._at_scale(gray, template, known)
            if first is not None and first.score >= template.threshold:
                return first
        best: _Scan | None = None
        for scale in self._candidates(gray, template):
            scan = self._at_scale(gray, template, scale)
            if scan is not None and (best is None or scan.score > best.score):
                best = scan
        return best

    def _candidates(self, gray: np.ndarray, template: Template) -> tuple[float, ...]:
        """The scales worth matching at full size: all, or on a large area the best few
        of a scan at half size (4× cheaper per scale; measured on a 1600×1000 screen:
        1.2 s → 0.4 s for the first find)."""
        if gray.size < COARSE_AREA or min(template.size) < 2 * COARSE_MIN_SIDE:
            return self.scales
        small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        scores: list[tuple[float, float]] = []
        for scale in self.scales:
            scan = self._at_scale(small, template, round(scale / 2, 4))
            if scan is not None:
                scores.append((scan.score, scale))
        ranked = sorted(scores, reverse=True)[:COARSE_KEEP]
        return tuple(scale for _, scale in ranked) or self.scales

    def _at_scale(self, gray: np.ndarray, template: Template, scale: float) -> _Scan | None:
        drawn = self.drawn(template, scale)
        if drawn.shape[0] > gray.shape[0] or drawn.shape[1] > gray.shape[1]:
            return None
        result = cv2.matchTemplate(gray, drawn, cv2.TM_CCOEFF_NORMED)
        # a flat template or flat screen part gives NaN/inf: no similarity at all
        result = np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0)
        _, score, _, at = cv2.minMaxLoc(result)
        return _Scan(scale, result, float(score), (int(at[0]), int(at[1])))


def _cut(shot: Capture, area: Region) -> np.ndarray:
    box = area.relative_to(shot.origin)
    return shot.gray[box.y : box.bottom, box.x : box.right]


def _peaks(
    result: np.ndarray, threshold: float, shape: tuple[int, ...]
) -> list[tuple[tuple[int, int], float]]:
    """Places scoring at least ``threshold``, one per object (non-maximum suppression).

    Around each peak, every position closer than half the template's size is the same
    object seen one pixel off, so it is cleared before looking for the next peak.
    """
    work = result.copy()
    h, w = shape[0], shape[1]
    found: list[tuple[tuple[int, int], float]] = []
    while len(found) < MAX_REPORTED:
        _, score, _, (x, y) = cv2.minMaxLoc(work)
        if score < threshold:
            break
        found.append(((int(x), int(y)), float(score)))
        _clear(work, int(x), int(y), w, h)
    return found


def _clear(work: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    top, left = max(y - h // 2, 0), max(x - w // 2, 0)
    work[top : y + h // 2 + 1, left : x + w // 2 + 1] = -1.0


def _runner_up(scan: _Scan, shape: tuple[int, ...]) -> float:
    work = scan.result.copy()
    h, w = shape[0], shape[1]
    _clear(work, scan.at[0], scan.at[1], w, h)
    return float(max(work.max(), 0.0)) if work.size else 0.0


def _match(
    template: Template,
    scan: _Scan,
    shape: tuple[int, ...],
    area: Region,
    at: tuple[int, int],
    score: float,
    runner_up: float = 0.0,
) -> Match:
    h, w = shape[0], shape[1]
    region = Region(area.x + at[0], area.y + at[1], int(w), int(h))
    return Match(template.name, region, round(score, 4), scan.scale, round(runner_up, 4))
