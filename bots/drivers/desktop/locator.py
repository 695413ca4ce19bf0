"""Fields found through an anchor: "the entry right of the label 氏名".

An entry field has no text of its own to match (it is empty, or shows a value that
changes), but its label is fixed. A :class:`Target` is that label's template (the anchor)
and where the field stands from it, measured once at 100 % in pixels: ``offset`` from the
anchor's top-left to the field's top-left, and the field's ``size``. At another display
scale both are multiplied by the scale the anchor was found at, so the same numbers serve
100, 125 and 150 %.
"""

from __future__ import annotations

from dataclasses import dataclass

from loguru import logger

from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.matching import Finder, Match, Template
from bots.drivers.desktop.screen import Capture


@dataclass(frozen=True)
class Target:
    """A field located by an anchor template; ``sensitive`` fields are masked everywhere."""

    name: str
    anchor: Template
    offset: tuple[int, int]
    size: tuple[int, int]
    sensitive: bool = False

    def place(self, anchor: Match) -> Region:
        """The field's box on screen, given where (and at which scale) the anchor is."""
        scale = anchor.scale
        dx, dy = self.offset
        w, h = self.size
        return Region(
            anchor.region.x + round(dx * scale),
            anchor.region.y + round(dy * scale),
            max(round(w * scale), 1),
            max(round(h * scale), 1),
        )


@dataclass(frozen=True)
class Located:
    """A target found: its box on screen, and the anchor match that placed it."""

    target: Target
    region: Region
    anchor: Match


def locate(
    finder: Finder,
    shot: Capture,
    target: Target,
    *,
    screen: str,
    within: Region | None = None,
    key: str | None = None,
) -> Located:
    """Find ``target``'s anchor in ``shot`` and place the field from it.

    The anchor's errors (not found, ambiguous) propagate as they are: they name the
    anchor's template, which is what IT has to look at.
    """
    anchor = finder.find(shot, target.anchor, screen=screen, within=within, key=key)
    region = target.place(anchor)
    logger.debug(
        "desktop.locate {} via {} (score {:.3f}, scale {:.2f}) at {}",
        target.name,
        anchor.template,
        anchor.score,
        anchor.scale,
        region,
    )
    return Located(target, region, anchor)
