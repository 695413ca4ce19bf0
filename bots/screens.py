"""The screen model every part shares: screens, their elements and how to find them.

A selector file (loaded and validated by :mod:`bots.recipe.selectors`) becomes a
:class:`SelectorSet`: the screens of one core-system subsystem, each with its logical
:class:`Element` objects and their ordered :class:`Strategy` list. The contracts, the
recipe, the steps and every driver speak in these terms, so this module depends on none of
them: a driver of another kind (``desktop``: pixels and keys instead of a DOM) gets the same
model, and the engine never learns how a driver finds anything.

``kind`` names the driver technology a selector file is written for (:data:`KINDS`); the
run picks the driver host registered for it (:mod:`bots.drivers.registry`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bots.errors import SourcePos
from bots.selector_text import fill

#: The kinds of core-system screens a selector file may be written for: ``web`` (a
#: browser application, found in the DOM) and ``desktop`` (a thick client, found on pixels).
KINDS = ("web", "desktop")
#: A selector file that names no kind is a web one (every file written before issue 15).
DEFAULT_KIND = "web"


def did_you_mean(name: str, known: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown(what: str, name: str, known: Any) -> str:
    return f"unknown {what} '{name}'{did_you_mean(name, known)}"


@dataclass(frozen=True)
class Strategy:
    """One way of finding an element; ``describe()`` is what the call log shows."""

    kind: str
    value: str
    name: str | None = None  # accessible name, for role
    exact: bool = False

    def describe(self) -> str:
        if self.kind == "role" and self.name:
            return f"role={self.value}[name={self.name!r}]"
        return f"{self.kind}={self.value!r}"

    def bind(self, params: dict[str, Any]) -> Strategy:
        """Fill placeholders with values escaped for this kind (see selector_text)."""
        return replace(
            self,
            value=fill(self.kind, self.value, params),
            name=fill("name", self.name, params) if self.name else None,
        )


@dataclass(frozen=True)
class Look:
    """How a desktop element is found and read on pixels (``kind: desktop`` files only).

    The element's strategy is ``image`` (a template PNG, relative to the selector file).
    Without ``offset`` the element *is* the image (a button); with it, the element is the
    box ``size`` at ``offset`` from the image's top-left ("the field right of the label"),
    both in pixels at 100 % display scale. ``read`` says how its text is read back: by
    ``copy`` (select all, copy) or by ``ocr`` (``ocr``: ``code`` — letters and digits in
    the form ``shape`` —, ``japanese`` or ``text``); ``part`` is the box inside the element
    that shows the text to read (a code list shows 「5 令和」: its code). A list is an
    element with ``rows`` (the height of one row); its columns are elements ``within`` it
    with ``column: [x, width]`` inside the row.
    """

    offset: tuple[int, int] | None = None
    size: tuple[int, int] | None = None
    threshold: float = 0.85
    read: str | None = None  # copy | ocr
    ocr: str = "japanese"  # code | japanese | text
    shape: str | None = None
    part: tuple[int, int, int, int] | None = None
    rows: int | None = None
    column: tuple[int, int] | None = None
    #: where in the window (100 %-pixels) the image is looked for: a caption such as 登録
    #: also shows inside other things (a name field's text), so a button is looked for
    #: where the vendor puts its buttons
    area: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Element:
    """A logical element: ``screen.name`` and how to find it."""

    screen: str
    name: str
    strategies: tuple[Strategy, ...]
    sensitive: bool = False
    within: str | None = None  # row element this one is a column of
    latest: bool = False  # several may show (toasts): the newest, last in the page, counts
    navigates: bool = False  # a button whose script loads a new page (legacy 検索 buttons)
    pos: SourcePos | None = None
    params: tuple[str, ...] = ()
    look: Look | None = None  # a desktop element's pixels (``kind: desktop``)

    @property
    def qualified(self) -> str:
        return f"{self.screen}.{self.name}"

    def bind(self, params: dict[str, Any]) -> Element:
        """Fill ``{index}``-style parameters; the result has none left."""
        if not self.params:
            return self
        missing = [p for p in self.params if p not in params]
        if missing:
            raise KeyError(f"{self.qualified} needs parameter(s) {', '.join(missing)}")
        return replace(self, strategies=tuple(s.bind(params) for s in self.strategies), params=())


@dataclass(frozen=True)
class Screen:
    """A screen of the core system.

    ``frame`` names the frame the screen is shown in (legacy framesets); ``window`` names
    the pop-up window it opens in (lookups), so the driver knows where to look.
    """

    name: str
    url: str | None
    marker: Element | None
    elements: dict[str, Element] = field(default_factory=dict)
    frame: str | None = None
    window: str | None = None
    view: View | None = None  # a desktop screen's window and reference (``kind: desktop``)


@dataclass(frozen=True)
class View:
    """How a desktop screen looks: the window's ``title``, its ``reference`` image (the
    whole window at 100 %, as shipped) with the ``anchor`` box that places it, the
    ``values`` boxes whose content changes (ignored by the drift check), and ``back``, the
    element that leads towards the home screen. Boxes are 100 %-pixels ``x, y, w, h``.
    """

    title: str
    reference: Path
    anchor: tuple[int, int, int, int]
    values: tuple[tuple[int, int, int, int], ...] = ()
    back: str | None = None
    #: the reference as the window shows at other display scales (``{1.25: …_125.png}``):
    #: text does not grow exactly with the scale, so a form at 125 % is not its 100 %
    #: picture enlarged; the anchor and values boxes stay in 100 %-pixels
    scaled: tuple[tuple[float, Path], ...] = ()


@dataclass(frozen=True)
class Desktop:
    """What a desktop selector file says beyond its screens: the home screen (the menu
    every application starts from), the confirm pop-up (its screen, message element and
    the button that answers yes) and the error pop-up (screen, message, the button that
    closes it)."""

    home: str
    confirm: tuple[str, str, str]
    alert: tuple[str, str, str]


@dataclass(frozen=True)
class Interrupt:
    """Something that pops up over any screen and must be closed first (お知らせ)."""

    name: str
    detect: Element
    close: Element


@dataclass(frozen=True)
class LoginSpec:
    screen: str
    user: str
    password: str
    submit: str


@dataclass(frozen=True)
class SelectorSet:
    """All screens of one core-system subsystem."""

    system: str
    title: str
    path: Path
    screens: dict[str, Screen]
    login: LoginSpec | None  # None: ``login: none``, a system without a log-in screen
    busy: Element | None = None  # a spinner: wait until it is gone before looking
    interrupts: tuple[Interrupt, ...] = ()
    frames: tuple[str, ...] = ()  # frame names used by any screen
    single_page: bool = False  # a JavaScript app: clicks never load a new document
    kind: str = DEFAULT_KIND  # the driver technology (KINDS): which host opens its driver
    desktop: Desktop | None = None  # a desktop file's home screen and pop-ups
    # Checking only (``recipe check``): names written in the file that did not load, and
    # whether the file could not be read at all; a step naming one adds no new problem.
    broken: frozenset[str] = frozenset()
    unreadable: bool = False

    def is_broken(self, qualified: str) -> bool:
        """Whether ``screen`` or ``screen.element`` is already reported as broken."""
        screen_name = qualified.partition(".")[0]
        return self.unreadable or qualified in self.broken or screen_name in self.broken

    def screen(self, name: str) -> Screen:
        try:
            return self.screens[name]
        except KeyError:
            raise KeyError(unknown("screen", name, self.screens)) from None

    def element(self, qualified: str) -> Element:
        """Look up ``screen.element``; KeyError with a did-you-mean on a miss."""
        screen_name, _, name = qualified.partition(".")
        screen = self.screen(screen_name)
        try:
            return screen.elements[name]
        except KeyError:
            raise KeyError(
                unknown(f"element of screen '{screen_name}'", name, screen.elements)
            ) from None

    def sensitive_elements(self, screen: str) -> list[Element]:
        return [e for e in self.screens[screen].elements.values() if e.sensitive]
