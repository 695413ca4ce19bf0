"""Eyes: where a desktop element of a selector file is on the screen now, and what it says.

The selector file describes an element by an image template and, for a field, the box
beside it (:class:`~bots.screens.Look`, 100 %-pixels). :class:`Eyes` loads templates
once, finds them inside the window of the element's screen with the multi-scale
:class:`~bots.drivers.desktop.matching.Finder` (polling until the deadline: the client
draws when it draws), places the box at the scale found, cuts a list into rows and
columns, and reads text by OCR the way the element says (a code of a shape, Japanese, or
ASCII text). Scores and scales go to the operational log; values never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loguru import logger
from PIL import Image

from bots.drivers.desktop import ocr
from bots.drivers.desktop.errors import TemplateNotFound, WindowNotFound
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.hands import ink, inside
from bots.drivers.desktop.matching import Finder, Match, Template
from bots.drivers.desktop.screen import Capture, capture
from bots.drivers.desktop.waiting import poll
from bots.drivers.desktop.windows import titled, windows
from bots.errors import RecipeError, SelectorNotFound
from bots.screens import Element, Look, Screen, SelectorSet

#: A row of a list is taken as filled when this many pixels of it are ink.
ROW_INK = 30


@dataclass(frozen=True)
class Seen:
    """An element found: its box on screen, the match that placed it, and the scale its
    offsets were multiplied by (the window's, else the match's)."""

    region: Region
    match: Match
    scale: float


class Eyes:
    """Finding and reading the elements of one selector file on one display."""

    def __init__(self, selectors: SelectorSet, finder: Finder, timeout: float) -> None:
        self.selectors = selectors
        self.finder = finder
        self.timeout = timeout
        self.folder = selectors.path.parent.resolve()
        self._templates: dict[tuple[str, float], Template] = {}
        self._sizes: dict[Path, tuple[int, int]] = {}

    # -- windows ---------------------------------------------------------------------------

    def scale_of(self, screen: Screen, window: Region) -> float | None:
        """The window's display scale from its size against the reference's (None for a
        window of another shape): what offsets are multiplied by. A label's own best
        match scale is coarser (5 % steps, and text is not drawn exactly to scale):
        measured, 申請日 matched at 1.20 in a 125 % window put the 月 field, 249 pixels
        right of it, 12 pixels off — onto the label 年."""
        assert screen.view is not None
        path = screen.view.reference
        if path not in self._sizes:
            with Image.open(path) as image:
                self._sizes[path] = image.size
        width, height = self._sizes[path]
        sx, sy = window.w / width, window.h / height
        if abs(sx - sy) > 0.01 or not 0.5 < sx < 3.0:
            return None
        return round(sx, 4)

    def window_of(self, screen: Screen) -> Region:
        """The window the screen is shown in (its pop-up's, or the main window)."""
        assert screen.view is not None
        region = titled(screen.view.title)
        if region is None:
            raise WindowNotFound(screen.view.title)
        return region

    # -- templates ------------------------------------------------------------------------

    def template(self, element: Element) -> Template:
        """The element's image (bound: no placeholders left), loaded once."""
        look = element.look or Look()
        name = element.strategies[0].value
        key = (name, look.threshold)
        if key not in self._templates:
            path = (self.folder / name).resolve()
            if not path.is_relative_to(self.folder) or not path.is_file():
                raise RecipeError(f"画像ファイル『{name}』がありません（{element.qualified}）")
            self._templates[key] = Template.load(path, name=name, threshold=look.threshold)
        return self._templates[key]

    # -- finding ----------------------------------------------------------------------------

    def find(self, element: Element, *, wait: bool = True) -> Seen:
        """Where ``element`` is now; waits up to the time-out (``wait``) for it to show.

        An ambiguous template raises at once; not found raises the last
        :class:`TemplateNotFound` (with the best score) when the deadline passes.
        """
        screen = self.selectors.screen(element.screen)
        template = self.template(element)
        last: list[TemplateNotFound] = []

        def look() -> Seen | None:
            try:
                window = self.window_of(screen)
                scale = self.scale_of(screen, window)
                if scale is not None:  # tried first: one match instead of fifteen
                    self.finder.known_scale.setdefault(screen.view.title, scale)  # type: ignore[union-attr]
                within = _area(element.look, window, scale)
                match = self.finder.find(
                    capture(window),
                    template,
                    screen=element.screen,
                    within=within,
                    key=screen.view.title,  # type: ignore[union-attr]
                )
            except TemplateNotFound as exc:
                last[:] = [exc]
                return None
            except WindowNotFound:
                return None
            return Seen(place(element.look, match, scale), match, scale or match.scale)

        seen = poll(look, self.timeout if wait else 0.0)
        if seen is None:
            if last:
                raise last[0].of(element.name)
            title = screen.view.title if screen.view else element.screen
            if any(w.title.startswith(self.selectors.title) for w in windows()):
                # the client is up and shows another screen: the element is not there
                tried = f"画像『{template.name}』: 画面のウィンドウ『{title}』が開いていません"
                raise SelectorNotFound(element.screen, element.name, [tried])
            raise WindowNotFound(title)
        logger.debug(
            "desktop.element {} score {:.3f} scale {:.2f} at {}",
            element.qualified,
            seen.match.score,
            seen.match.scale,
            seen.region,
        )
        return seen

    # -- lists ----------------------------------------------------------------------------

    def rows(self, rows: Element) -> tuple[list[Region], float]:
        """The filled rows of a list element (top to bottom), and the scale it was found at."""
        seen = self.find(rows)
        look = rows.look or Look()
        height = round((look.rows or seen.region.h) * seen.scale)
        shot = capture(seen.region)
        out = []
        for top in range(seen.region.y, seen.region.bottom - height + 1, height):
            band = Region(seen.region.x, top, seen.region.w, height)
            # the middle of the row: the list's side borders are ink in every row
            y0, margin = top - seen.region.y, round(8 * seen.scale)
            if ink(shot.gray[y0 : y0 + height, margin:-margin]) < ROW_INK:
                break
            out.append(band)
        return out, seen.scale

    @staticmethod
    def cell(row: Region, column: Element, scale: float) -> Region:
        look = column.look or Look()
        x, w = look.column or (0, row.w)
        return Region(row.x + round(x * scale), row.y, round(w * scale), row.h)

    # -- reading ----------------------------------------------------------------------------

    def ocr(self, element: Element, region: Region, scale: float) -> str:
        """The text of ``region`` by OCR, as the element says (``part`` of it, its kind)."""
        look = element.look or Look()
        if look.part is not None:
            x, y, w, h = look.part
            region = Region(
                region.x + round(x * scale),
                region.y + round(y * scale),
                round(w * scale),
                round(h * scale),
            )
        else:
            region = inside(region) if look.rows is None and look.column is None else region
        image = capture(region).image
        return read_image(image, element, look)


def read_image(image: Image.Image, element: Element, look: Look) -> str:
    """OCR of one line: a code of the element's shape, Japanese, or ASCII text."""
    name, sensitive = element.qualified, element.sensitive
    if look.ocr == "code":
        return ocr.read_code(image, name=name, shape=look.shape, sensitive=sensitive).text
    if look.ocr == "text":
        return ocr.read_text(image, name=name, sensitive=sensitive).text
    return ocr.read_japanese(image, name=name, sensitive=sensitive).text


def _area(look: Look | None, window: Region, scale: float | None) -> Region | None:
    """The part of the window an element's image is looked for in (screen pixels)."""
    if look is None or look.area is None:
        return None
    x, y, w, h = (round(v * (scale or 1.0)) for v in look.area)
    return Region(window.x + x, window.y + y, w, h).intersection(window)


def place(look: Look | None, match: Match, scale: float | None = None) -> Region:
    """The element's box from where its image matched: the image itself, or the box at
    ``offset`` with ``size`` (100 %-pixels times ``scale``, else the scale found)."""
    if look is None or look.offset is None or look.size is None:
        return match.region
    s = scale or match.scale
    (dx, dy), (w, h) = look.offset, look.size
    return Region(
        match.region.x + round(dx * s),
        match.region.y + round(dy * s),
        max(round(w * s), 1),
        max(round(h * s), 1),
    )


def load_capture(path: Path) -> Capture:
    """A saved screenshot as a capture at (0, 0) (tests, the capture tool)."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    return Capture(rgb, Region(0, 0, rgb.width, rgb.height))
