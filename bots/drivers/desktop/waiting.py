"""Waiting for a condition (a screen, a field's value) with a deadline, never a fixed time.

A thick client answers when it answers: a fixed sleep is too long on a quiet day and too
short during the nightly batch. Every wait of the desktop driver polls a condition at a
short interval until it holds or the deadline passes (tenacity does the polling).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from loguru import logger
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from bots.drivers.desktop.errors import ScreenNotShown, TemplateNotFound, WindowNotFound
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.matching import Finder, Match, Template
from bots.drivers.desktop.screen import capture

T = TypeVar("T")

#: How often a condition is checked: short against the client's reaction time (~50 ms).
POLL_INTERVAL = 0.05


def poll(
    check: Callable[[], T | None], timeout: float, interval: float = POLL_INTERVAL
) -> T | None:
    """``check()``'s first answer that is not None, or None when the deadline passes.

    ``check`` runs at least once, even with ``timeout`` 0.
    """
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_result(lambda result: result is None),
        retry_error_callback=lambda state: None,
        reraise=True,
    )
    return retrying(check)


def wait_for_screen(
    finder: Finder,
    template: Template,
    *,
    screen: str,
    within: Region | Callable[[], Region],
    timeout: float,
    display: str | None = None,
    key: str | None = None,
) -> Match:
    """Poll captures until ``template`` (the screen's marker) shows; the match.

    ``within`` may be a function (e.g. ``lambda: window_region(title)``) so a window that
    opens, moves or resizes during the wait is followed. An ambiguous marker is raised at
    once (waiting does not make it unique); on time-out :class:`ScreenNotShown` names the
    screen and the best score seen over the whole wait.
    """
    best = 0.0
    started = time.perf_counter()

    def look() -> Match | None:
        nonlocal best
        try:
            area = within() if callable(within) else within
            shot = capture(area, display)
            return finder.find(shot, template, screen=screen, key=key)
        except TemplateNotFound as exc:
            best = max(best, exc.best.score if exc.best else 0.0)
        except WindowNotFound:
            pass
        return None

    found = poll(look, timeout)
    if found is None:
        logger.info("desktop.wait {} not shown in {:.1f} s (best {:.3f})", screen, timeout, best)
        raise ScreenNotShown(screen, template.name, timeout, best)
    logger.debug(
        "desktop.wait {} shown after {:.0f} ms (score {:.3f})",
        screen,
        (time.perf_counter() - started) * 1000,
        found.score,
    )
    return found
