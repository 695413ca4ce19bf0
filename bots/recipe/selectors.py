"""The selector repository: logical element names → ordered locator strategies.

One YAML file per core-system screen set (``selectors/kosodate.yaml``). Recipes name
elements as ``screen.element``; only this file knows how to find them, so a vendor update
that moves a field is fixed in one place. Each element has an ordered list of strategies:
when the first fails and a later one matches, the driver reports *drift* so IT can update
the file before the fallback stops working too.

Format::

    system: kosodate
    title: 子育て支援システム
    kind: web                                        # or desktop; web when left out
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
the header with this text); a list gives one strategy per item (a CSS string or such a
mapping). ``name`` belongs to the ``role`` of its mapping and ``exact`` to the text-matching
strategies of its mapping (label, role, text, placeholder); either is refused where it would
mean nothing.

Flags belong to the element, not to one strategy: ``sensitive`` (masked in screenshots,
never logged), ``within: rows`` (a column inside each row of another element of the same
screen), ``latest`` (several may show, like toasts: the newest counts), ``navigates`` (a
button whose script loads a new page). In the list form a flag may be written in any item
and holds for the whole element; ``within`` given twice must name the same element.
``within`` and ``navigates`` mean nothing for a ``marker``, ``busy`` or an interrupt and
are refused there.

A screen ``url`` is a path under the core system's address (``/jidou/nintei``) or a full
http(s) URL. ``login: none`` says the system has no log-in screen (an intranet terminal);
leaving ``login`` out is refused, so a forgotten log-in is not mistaken for none.

Values of an application put into a template (``{doctor_hospital}``) are escaped for the
selector's language: see :mod:`bots.selector_text`.

A ``kind: desktop`` file (a thick client, found on pixels; docs/desktop.md) has screens
with a window ``title``, a ``reference`` image (and ``scaled`` ones), an ``anchor`` box,
``values`` boxes and a ``back`` element, and elements of image templates (``image``,
``offset``, ``size``, ``threshold``, ``area``, ``read``/``ocr``/``shape``/``part``, lists
with ``rows`` and columns ``within`` + ``column``), validated by
:class:`~bots.recipe.selector_schema.DesktopElementModel`; its top level names the
``home`` screen and the ``confirm`` and ``alert`` pop-ups. Images must exist beside it.

The model it loads into (:class:`~bots.screens.SelectorSet` and its screens and elements)
lives in :mod:`bots.screens`, shared with the contracts and the drivers; ``kind`` (``web``,
``desktop``) says which driver works the screens. A file that ``extends`` another is of
the other's kind.

Loading validates the file's shape with pydantic (:mod:`bots.recipe.selector_schema`), then
the names it refers to (``within``, the log-in's screen and elements), and reports every
problem of the file at once, each as ``file:line:column: message``
(:class:`~bots.errors.RecipeErrors`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.errors import RecipeError, RecipeErrors, SourcePos
from bots.recipe import selector_schema as schema
from bots.recipe.selector_schema import STRATEGY_KINDS
from bots.recipe.yamlpos import LocDict, pos_of, read_located
from bots.screens import (
    DEFAULT_KIND,
    Desktop,
    Element,
    Interrupt,
    LoginSpec,
    Look,
    Screen,
    SelectorSet,
    Strategy,
    View,
    did_you_mean,
    unknown,
)
from bots.selector_text import placeholders, template_problem

#: ``login: none`` — a core system without a log-in screen.
NO_LOGIN = "none"


def _params(strategies: tuple[Strategy, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for s in strategies:
        for text in (s.value, s.name or ""):
            names += [n for n in placeholders(text) if n not in names]
    return tuple(names)


@dataclass
class _Flags:
    """The flags of one element, gathered from every item of its list form."""

    sensitive: bool = False
    latest: bool = False
    navigates: bool = False
    within: list[tuple[str, SourcePos | None]] = field(default_factory=list)


class _Loader:
    """One pass over a selector file that keeps every problem it meets (see module doc)."""

    def __init__(self) -> None:
        self.problems: list[RecipeError] = []

    def problem(self, message: str, pos: SourcePos | None) -> None:
        self.problems.append(RecipeError(message, pos))

    def validate(self, model: Any, node: Any, where: SourcePos | None, what: str, path: str) -> Any:
        result, found = schema.validate(model, node, where, what, path)
        self.problems += found
        return result

    def strategies(self, node: Any, item: Any, flags: _Flags) -> list[Strategy]:
        """The strategies of one validated item, in the order the file writes them."""
        if isinstance(item, str):
            self.template("css", item, pos_of(node))
            return [Strategy("css", item)]
        out = []
        for key in node:  # the YAML's order is the order of trying
            if key in STRATEGY_KINDS:
                value = getattr(item, key)
                self.template(key, value, node.pos_of(key))
                name = item.name if key == "role" else None
                if name:
                    self.template("name", name, node.pos_of("name"))
                out.append(Strategy(key, value, name, item.exact))
        flags.sensitive |= item.sensitive
        flags.latest |= item.latest
        flags.navigates |= item.navigates
        if item.within:
            flags.within.append((item.within, node.pos_of("within")))
        return out

    def template(self, kind: str, text: str, pos: SourcePos | None) -> None:
        problem = template_problem(kind, text)
        if problem:
            self.problem(problem, pos)

    def element(
        self,
        screen: str,
        name: str,
        node: Any,
        where: SourcePos | None,
        path: str,
        siblings: Collection[str] | None = None,
    ) -> Element | None:
        """One element; ``siblings`` are the names ``within`` may use (None: not a
        screen's element — a marker, busy or interrupt — where it means nothing)."""
        spec = self.validate(schema.ELEMENT, node, where, "element key", path)
        if spec is None:
            return None
        pairs = list(zip(node, spec, strict=True)) if isinstance(spec, list) else [(node, spec)]
        flags = _Flags()
        strategies: list[Strategy] = []
        for item_node, item in pairs:
            strategies += self.strategies(item_node, item, flags)
            if siblings is None and not isinstance(item, str):
                for flag in ("within", "navigates"):
                    if getattr(item, flag):
                        self.problem(
                            f"'{flag}' means nothing for '{name}': only an element of a"
                            " screen's 'elements' can have it",
                            item_node.pos_of(flag),
                        )
        within = self.within(name, flags.within, siblings) if siblings is not None else None
        strats = tuple(strategies)
        try:
            params = _params(strats)
        except ValueError:
            params = ()  # a malformed template: reported by template() already
        return Element(
            screen,
            name,
            strats,
            flags.sensitive,
            within,
            flags.latest,
            flags.navigates,
            pos_of(node, where),
            params,
        )

    def within(
        self, name: str, given: list[tuple[str, SourcePos | None]], siblings: Collection[str]
    ) -> str | None:
        if not given:
            return None
        rows, pos = given[0]
        for other, other_pos in given[1:]:
            if other != rows:
                self.problem(
                    f"'within' is given twice with different elements ('{rows}', '{other}')",
                    other_pos,
                )
        if rows == name:
            self.problem(f"'within: {rows}' names the element itself", pos)
        elif rows not in siblings:
            hint = did_you_mean(rows, [s for s in siblings if s != name])
            self.problem(f"'within: {rows}' names no element of this screen{hint}", pos)
        return rows

    def screen(self, sname: str, snode: Any, where: SourcePos | None) -> Screen | None:
        path = f"screens.{sname}"
        spec = self.validate(schema.ScreenModel, snode, where, "screen key", path)
        if not isinstance(snode, LocDict):
            return None
        elements_node = snode.get("elements")
        elements: dict[str, Element] = {}
        if isinstance(elements_node, LocDict):
            for ename, enode in elements_node.items():
                el = self.element(
                    sname,
                    ename,
                    enode,
                    elements_node.pos_of(ename),
                    f"{path}.elements.{ename}",
                    siblings=list(elements_node),
                )
                if el is not None:
                    elements[ename] = el
        marker = None
        if snode.get("marker") is not None:
            marker = self.element(
                sname, "marker", snode["marker"], snode.pos_of("marker"), f"{path}.marker"
            )
        if spec is None:
            return None
        return Screen(sname, spec.url, marker, elements, spec.frame, spec.window)

    def desktop_element(
        self,
        screen: str,
        name: str,
        node: Any,
        where: SourcePos | None,
        path: str,
        siblings: Collection[str],
        folder: Path,
    ) -> Element | None:
        """One element of a ``kind: desktop`` file: an image (and a box beside it), or a
        column of a list; its image must exist beside the file (unless it has parameters)."""
        spec = self.validate(schema.DesktopElementModel, node, where, "desktop element key", path)
        if spec is None:
            return None
        if spec.image is not None:
            at = node.pos_of("image") if isinstance(node, LocDict) else where
            self.template("image", spec.image, at)
            self.image_file(spec.image, folder, at)
            strategies: tuple[Strategy, ...] = (Strategy("image", spec.image),)
        else:
            assert spec.column is not None
            strategies = (Strategy("column", f"{spec.column[0]},{spec.column[1]}"),)
        within = None
        if spec.within is not None:
            within = self.within(name, [(spec.within, node.pos_of("within"))], siblings)
        look = Look(
            spec.offset,
            spec.size,
            spec.threshold,
            spec.read,
            spec.ocr,
            spec.shape,
            spec.part,
            spec.rows,
            spec.column,
            spec.area,
        )
        try:
            params = _params(strategies)
        except ValueError:
            params = ()
        return Element(
            screen,
            name,
            strategies,
            spec.sensitive,
            within,
            pos=pos_of(node, where),
            params=params,
            look=look,
        )

    def image_file(self, name: str, folder: Path, at: SourcePos | None) -> None:
        if "{" in name:
            return  # filled per application (``radio_{code}.png``): checked when used
        if not (folder / name).is_file():
            self.problem(f"no image file '{name}' (beside the selector file: {folder})", at)

    def desktop_screen(
        self, sname: str, snode: Any, where: SourcePos | None, folder: Path
    ) -> Screen | None:
        """A screen of a ``kind: desktop`` file: window title, reference image, elements."""
        path = f"screens.{sname}"
        spec = self.validate(schema.DesktopScreenModel, snode, where, "screen key", path)
        if not isinstance(snode, LocDict):
            return None
        elements_node = snode.get("elements")
        elements: dict[str, Element] = {}
        if isinstance(elements_node, LocDict):
            for ename, enode in elements_node.items():
                el = self.desktop_element(
                    sname,
                    ename,
                    enode,
                    elements_node.pos_of(ename),
                    f"{path}.elements.{ename}",
                    list(elements_node),
                    folder,
                )
                if el is not None:
                    elements[ename] = el
        if spec is None:
            return None
        self.image_file(spec.reference, folder, snode.pos_of("reference"))
        for other in spec.scaled.values():
            self.image_file(other, folder, snode.pos_of("scaled"))
        if spec.back is not None and spec.back not in elements:
            self.problem(unknown("element", spec.back, elements), snode.pos_of("back"))
        view = View(
            spec.title,
            folder / spec.reference,
            spec.anchor,
            tuple(spec.values),
            spec.back,
            tuple((int(pct) / 100, folder / name) for pct, name in sorted(spec.scaled.items())),
        )
        window = spec.title if spec.popup else None
        return Screen(sname, None, None, elements, None, window, view)

    def desktop(self, doc: LocDict, top: Any, screens: dict[str, Screen]) -> Desktop | None:
        """The home screen and the pop-ups of a ``kind: desktop`` file, checked by name."""
        if top is None:
            return None
        if top.home is None or top.confirm is None or top.alert is None:
            for key in ("home", "confirm", "alert"):
                if getattr(top, key) is None:
                    self.problem(f"a desktop selector file needs '{key}'", doc.pos)
            return None
        if top.home not in screens:
            self.problem(unknown("screen", top.home, screens), doc.pos_of("home"))
        pops = []
        for key in ("confirm", "alert"):
            pop = getattr(top, key)
            at = doc.pos_of(key)
            names = [pop.screen, pop.message, pop.button]
            if pop.screen not in screens:
                self.problem(unknown("screen", pop.screen, screens), at)
            else:
                for element in names[1:]:
                    if element not in screens[pop.screen].elements:
                        self.problem(unknown("element", element, screens[pop.screen].elements), at)
            pops.append((names[0], names[1], names[2]))
        return Desktop(top.home, pops[0], pops[1])

    def login(self, doc: LocDict) -> LoginSpec | None:
        """The log-in, checked against the screens and elements the file names."""
        if "login" not in doc or doc["login"] == NO_LOGIN:
            return None  # a missing 'login' is reported by the top level's validation
        node = doc["login"]
        if not isinstance(node, LocDict):
            self.problem(
                "'login' is a mapping {screen, user, password, submit},"
                f" or '{NO_LOGIN}' for a system without a log-in screen",
                doc.pos_of("login"),
            )
            return None
        spec = self.validate(schema.LoginModel, node, doc.pos_of("login"), "login key", "login")
        if spec is None:
            return None
        screens = _mapping(doc.get("screens"))
        if spec.screen not in screens:
            self.problem(unknown("screen", spec.screen, screens), node.pos_of("screen"))
            return None
        names = list(_mapping(_mapping(screens[spec.screen]).get("elements")))
        for key in ("user", "password", "submit"):
            value = getattr(spec, key)
            if value not in names:
                self.problem(unknown("login element", value, names), node.pos_of(key))
        return LoginSpec(spec.screen, spec.user, spec.password, spec.submit)

    def interrupts(self, node: Any) -> list[Interrupt]:
        out = []
        for iname, inode in _mapping(node).items():
            where, path = node.pos_of(iname), f"interrupts.{iname}"
            spec = self.validate(schema.InterruptModel, inode, where, "interrupt key", path)
            if spec is None:
                continue
            detect = self.element(
                "*", f"{iname}.detect", inode["detect"], inode.pos_of("detect"), f"{path}.detect"
            )
            close = self.element(
                "*", f"{iname}.close", inode["close"], inode.pos_of("close"), f"{path}.close"
            )
            if detect is not None and close is not None:
                out.append(Interrupt(str(iname), detect, close))
        return out


def _mapping(node: Any) -> dict[str, Any]:
    """``node`` if it is a mapping, else an empty one (its shape is reported elsewhere)."""
    return node if isinstance(node, dict) else {}


def _order(problem: RecipeError) -> tuple[int, int]:
    return (problem.pos.line, problem.pos.column) if problem.pos else (0, 0)


def load_selectors(path: Path, display_name: str | None = None) -> SelectorSet:
    """Load and validate one selector file; every problem in one located error.

    Raises :class:`~bots.errors.RecipeError` — :class:`~bots.errors.RecipeErrors` when the
    file has several problems, in the order they stand in the file.
    """
    selectors, problems = read_selectors(path, display_name)
    if problems:
        raise RecipeErrors.of(problems)
    return selectors


def unreadable_selectors(path: Path) -> SelectorSet:
    """A stand-in for a selector file that could not be read, so a recipe's steps are still
    checked for everything but the elements they name."""
    return SelectorSet(path.stem, path.stem, path, {}, None, unreadable=True)


def read_selectors(
    path: Path, display_name: str | None = None, _seen: tuple[Path, ...] = ()
) -> tuple[SelectorSet, list[RecipeError]]:
    """The screens and elements that load, and every problem of the rest (in file order).

    A file that cannot be read or parsed at all raises. The set's ``broken`` names what
    did not load, so a recipe checked against it reports each mistake once.
    """
    doc, problems = read_located(path, display_name)
    if not isinstance(doc, LocDict):
        raise RecipeError("a selector file is a mapping", pos_of(doc))
    if "extends" in doc:
        return _read_extending(path, doc, problems, display_name, _seen)
    loader = _Loader()
    loader.problems += problems
    top = loader.validate(schema.SelectorFileModel, doc, doc.pos, "key", "")
    kind = top.kind if top is not None else DEFAULT_KIND
    screens = _screens(loader, doc, kind, path.parent)
    login = loader.login(doc)
    desktop = loader.desktop(doc, top, screens) if kind == "desktop" else None
    busy = None
    if doc.get("busy") is not None:
        busy = loader.element("*", "busy", doc["busy"], doc.pos_of("busy"), "busy")
    interrupts = loader.interrupts(doc.get("interrupts"))
    system = top.system if top is not None else str(doc.get("system") or path.stem)
    selectors = SelectorSet(
        system,
        (top.title if top is not None else None) or system,
        path,
        screens,
        login,
        busy,
        tuple(interrupts),
        tuple(sorted({s.frame for s in screens.values() if s.frame})),
        bool(top.single_page) if top is not None else False,
        kind,
        desktop,
        broken=frozenset(_written(_mapping(doc.get("screens"))) - _loaded(screens)),
    )
    return selectors, sorted(loader.problems, key=_order)


def _screens(loader: _Loader, doc: LocDict, kind: str, folder: Path) -> dict[str, Screen]:
    screens: dict[str, Screen] = {}
    screens_node = doc.get("screens")
    if isinstance(screens_node, LocDict):
        for sname, snode in screens_node.items():
            where = screens_node.pos_of(sname)
            if kind == "desktop":
                screen = loader.desktop_screen(sname, snode, where, folder)
            else:
                screen = loader.screen(sname, snode, where)
            if screen is not None:
                screens[sname] = screen
    return screens


def _read_extending(
    path: Path,
    doc: LocDict,
    problems: list[RecipeError],
    display_name: str | None,
    seen: tuple[Path, ...],
) -> tuple[SelectorSet, list[RecipeError]]:
    """A procedure's file on top of its subsystem's: the base's log-in, interrupts and
    screens, and this file's screens beside them (a screen may not be written twice)."""
    loader = _Loader()
    loader.problems += problems
    top = loader.validate(schema.ExtendingFileModel, doc, doc.pos, "key", "")
    name = str(doc["extends"])
    base_path = path.with_name(f"{name}.yaml")
    where = doc.pos_of("extends")
    if not base_path.is_file() or base_path in (*seen, path):
        why = "it extends itself" if base_path.is_file() else "there is no such file"
        loader.problem(f"extends: cannot use selectors/{name}.yaml ({why})", where)
        base = unreadable_selectors(base_path)
    else:
        shown = str(Path(display_name).with_name(base_path.name)) if display_name else None
        base, base_problems = read_selectors(base_path, shown, (*seen, path))
        if base_problems:
            loader.problem(f"extends: selectors/{name}.yaml has problems of its own", where)
    if top is not None and top.system not in (None, base.system):
        loader.problem(
            f"system '{top.system}' differs from '{base.system}' of the file it extends",
            doc.pos_of("system"),
        )
    if top is not None and top.kind not in (None, base.kind) and not base.unreadable:
        loader.problem(
            f"kind '{top.kind}' differs from '{base.kind}' of the file it extends"
            " (a procedure's screens are of its subsystem's kind)",
            doc.pos_of("kind"),
        )
    own = _screens(loader, doc, base.kind, path.parent)
    screens_node = _mapping(doc.get("screens"))
    for sname in own.keys() & base.screens.keys():
        loader.problem(
            f"screen '{sname}' is already in selectors/{name}.yaml; give it another name",
            doc["screens"].pos_of(sname),
        )
    screens = {**base.screens, **own}
    selectors = SelectorSet(
        base.system,
        (top.title if top is not None else None) or base.title,
        path,
        screens,
        base.login,
        base.busy,
        base.interrupts,
        tuple(sorted({s.frame for s in screens.values() if s.frame})),
        base.single_page,
        base.kind,
        base.desktop,
        broken=base.broken | (frozenset(_written(screens_node)) - _loaded(own)),
        unreadable=base.unreadable,
    )
    return selectors, sorted(loader.problems, key=_order)


def _written(screens_node: dict[str, Any]) -> set[str]:
    """``screen`` and ``screen.element`` for every name the file writes."""
    names = set()
    for sname, snode in screens_node.items():
        names.add(str(sname))
        for ename in _mapping(_mapping(snode).get("elements")):
            names.add(f"{sname}.{ename}")
    return names


def _loaded(screens: dict[str, Screen]) -> set[str]:
    return {*screens, *(f"{s}.{e}" for s, screen in screens.items() for e in screen.elements)}
