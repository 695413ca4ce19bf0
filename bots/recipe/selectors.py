"""The selector repository: logical element names → ordered locator strategies.

One YAML file per core-system screen set (``selectors/kosodate.yaml``). Recipes name
elements as ``screen.element``; only this file knows how to find them, so a vendor update
that moves a field is fixed in one place. Each element has an ordered list of strategies:
when the first fails and a later one matches, the driver reports *drift* so IT can update
the file before the fallback stops working too.

Format::

    system: kosodate
    title: 子育て支援システム
    login: {screen: login, user: user_id, password: password, submit: submit}
    screens:
      nintei_entry:
        url: /jidou/nintei/new
        marker: "body[data-screen=nintei_entry]"     # how to know we are on this screen
        elements:
          my_number: {css: "#my_number", label: 個人番号, sensitive: true}
          register:
            - css: "#register"
            - {role: button, name: 登録}
          child_name: "#child_name_{index}"           # parameters filled per repeated row

A string is a CSS selector; a mapping lists strategies in order (``css``, ``label``,
``role`` + ``name``, ``text``, ``placeholder``, ``xpath``; for legacy table layouts
without ids or labels: ``cell`` — the form control in the cell right of the cell with
this text, ``cell_text`` — that cell itself, ``column`` — inside a row, the cell under
the header with this text) with the flags ``sensitive``
(masked in screenshots, never logged) and ``within`` (a column inside each row of another
element); a list gives one strategy per item.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bots.errors import RecipeError, SourcePos
from bots.recipe.yamlpos import LocDict, LocList, load_located, pos_of

STRATEGY_KINDS = (
    "css",
    "label",
    "role",
    "text",
    "placeholder",
    "xpath",
    "cell",
    "cell_text",
    "column",
)
_FLAGS = ("sensitive", "within", "name", "exact", "latest", "navigates")


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
        return replace(
            self,
            value=self.value.format_map(params),
            name=self.name.format_map(params) if self.name else None,
        )


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
    login: LoginSpec
    busy: Element | None = None  # a spinner: wait until it is gone before looking
    interrupts: tuple[Interrupt, ...] = ()
    frames: tuple[str, ...] = ()  # frame names used by any screen
    single_page: bool = False  # a JavaScript app: clicks never load a new document

    def screen(self, name: str) -> Screen:
        try:
            return self.screens[name]
        except KeyError:
            raise KeyError(_unknown("screen", name, self.screens)) from None

    def element(self, qualified: str) -> Element:
        """Look up ``screen.element``; KeyError with a did-you-mean on a miss."""
        screen_name, _, name = qualified.partition(".")
        screen = self.screen(screen_name)
        try:
            return screen.elements[name]
        except KeyError:
            raise KeyError(
                _unknown(f"element of screen '{screen_name}'", name, screen.elements)
            ) from None

    def sensitive_elements(self, screen: str) -> list[Element]:
        return [e for e in self.screens[screen].elements.values() if e.sensitive]


def _unknown(what: str, name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{name}'{hint}"


def _params(strategies: tuple[Strategy, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for s in strategies:
        for text in (s.value, s.name or ""):
            for _, fname, _, _ in string.Formatter().parse(text):
                if fname and fname not in names:
                    names.append(fname)
    return tuple(names)


def _strategy_from_mapping(node: LocDict, where: SourcePos) -> list[Strategy]:
    out = []
    for key, value in node.items():
        if key in _FLAGS:
            continue
        if key not in STRATEGY_KINDS:
            close = difflib.get_close_matches(key, STRATEGY_KINDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RecipeError(f"unknown locator strategy '{key}'{hint}", node.pos_of(key))
        if not isinstance(value, str) or not value:
            raise RecipeError(f"'{key}' needs a text value", node.pos_of(key))
        if key in ("cell", "cell_text", "column") and '"' in value:
            raise RecipeError(f"'{key}' text cannot contain a double quote", node.pos_of(key))
        name = node.get("name") if key == "role" else None
        out.append(Strategy(key, str(value), str(name) if name else None, bool(node.get("exact"))))
    if not out:
        raise RecipeError("element has no locator strategy", where)
    return out


def _parse_element(screen: str, name: str, node: Any, where: SourcePos) -> Element:
    sensitive, within, latest, navigates = False, None, False, False
    strategies: list[Strategy] = []
    if isinstance(node, str):
        strategies = [Strategy("css", str(node))]
    elif isinstance(node, LocList):
        for item in node:
            if isinstance(item, str):
                strategies.append(Strategy("css", str(item)))
            elif isinstance(item, LocDict):
                strategies += _strategy_from_mapping(item, item.pos)
                sensitive = sensitive or bool(item.get("sensitive"))
            else:
                raise RecipeError("a strategy is a CSS string or a mapping", pos_of(node, where))
    elif isinstance(node, LocDict):
        strategies = _strategy_from_mapping(node, node.pos)
        sensitive = bool(node.get("sensitive"))
        within = str(node["within"]) if node.get("within") else None
        latest = bool(node.get("latest"))
        navigates = bool(node.get("navigates"))
    else:
        raise RecipeError("an element is a CSS string, a mapping or a list", where)
    strats = tuple(strategies)
    return Element(
        screen,
        name,
        strats,
        sensitive,
        within,
        latest,
        navigates,
        pos_of(node, where),
        _params(strats),
    )


def load_selectors(path: Path, display_name: str | None = None) -> SelectorSet:
    """Load and validate one selector file; every problem is a located RecipeError."""
    doc = load_located(path, display_name)
    if not isinstance(doc, LocDict):
        raise RecipeError("a selector file is a mapping", pos_of(doc))
    for key in ("system", "screens", "login"):
        if key not in doc:
            raise RecipeError(f"missing '{key}'", doc.pos)
    screens: dict[str, Screen] = {}
    screens_node = doc["screens"]
    if not isinstance(screens_node, LocDict):
        raise RecipeError("'screens' is a mapping of screen names", doc.pos_of("screens"))
    for sname, snode in screens_node.items():
        where = screens_node.pos_of(sname)
        if not isinstance(snode, LocDict):
            raise RecipeError(f"screen '{sname}' is a mapping", where)
        unknown = set(snode) - {"url", "marker", "elements", "title", "frame", "window"}
        if unknown:
            key = sorted(unknown)[0]
            raise RecipeError(f"unknown screen key '{key}'", snode.pos_of(key))
        elements = {
            ename: _parse_element(sname, ename, enode, snode["elements"].pos_of(ename))
            for ename, enode in (snode.get("elements") or LocDict()).items()
        }
        marker = (
            _parse_element(sname, "marker", snode["marker"], snode.pos_of("marker"))
            if "marker" in snode
            else None
        )
        url = str(snode["url"]) if snode.get("url") else None
        frame = str(snode["frame"]) if snode.get("frame") else None
        window = str(snode["window"]) if snode.get("window") else None
        screens[sname] = Screen(sname, url, marker, elements, frame, window)
    for screen in screens.values():
        for el in screen.elements.values():
            if el.within and el.within not in screen.elements:
                raise RecipeError(f"'within: {el.within}' names no element of this screen", el.pos)
    login_node = doc["login"]
    if not isinstance(login_node, LocDict):
        raise RecipeError("'login' is a mapping", doc.pos_of("login"))
    login = LoginSpec(
        **{k: str(login_node.get(k, "")) for k in ("screen", "user", "password", "submit")}
    )
    if login.screen not in screens:
        raise RecipeError(_unknown("screen", login.screen, screens), login_node.pos)
    for part in (login.user, login.password, login.submit):
        if part not in screens[login.screen].elements:
            raise RecipeError(
                _unknown("login element", part, screens[login.screen].elements), login_node.pos
            )
    unknown_top = set(doc) - {
        "system",
        "title",
        "login",
        "screens",
        "busy",
        "interrupts",
        "single_page",
    }
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise RecipeError(f"unknown key '{key}'", doc.pos_of(key))
    busy = _parse_element("*", "busy", doc["busy"], doc.pos_of("busy")) if "busy" in doc else None
    interrupts = []
    for iname, inode in (doc.get("interrupts") or LocDict()).items():
        where = doc["interrupts"].pos_of(iname)
        if not isinstance(inode, LocDict) or set(inode) != {"detect", "close"}:
            raise RecipeError(f"interrupt '{iname}' needs exactly 'detect' and 'close'", where)
        interrupts.append(
            Interrupt(
                str(iname),
                _parse_element("*", f"{iname}.detect", inode["detect"], inode.pos_of("detect")),
                _parse_element("*", f"{iname}.close", inode["close"], inode.pos_of("close")),
            )
        )
    frames = tuple(sorted({s.frame for s in screens.values() if s.frame}))
    return SelectorSet(
        str(doc["system"]),
        str(doc.get("title", doc["system"])),
        path,
        screens,
        login,
        busy,
        tuple(interrupts),
        frames,
        bool(doc.get("single_page", False)),
    )
