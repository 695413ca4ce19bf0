"""The step registry and what parsing a step needs: its parse context.

A step class declares its ``name``; :func:`register` makes it known. At load time
:func:`parse_steps` turns YAML step nodes into step objects, checking element names against
the selector file and ``{placeholders}`` against the recipe's fields. A step object is data:
what it does at run time is its executor (:mod:`bots.engine.executors`), given the
engine's runtime — so loading, checking and documenting a recipe never import the code
that drives a screen.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bots.errors import Problems, RecipeError, Reported, SourcePos
from bots.recipe.template import Template
from bots.recipe.yamlpos import LocDict, LocList, pos_of
from bots.screens import Element, Screen, SelectorSet


@dataclass
class ParseContext:
    """What the loader knows while parsing steps: the selectors and the names in scope."""

    selectors: SelectorSet
    names: set[str]  # fields, built-ins and loop variables visible here
    groups: dict[str, set[str]] = field(default_factory=dict)  # group → its field names
    params: set[str] = field(default_factory=set)  # element parameters available (index)
    # Checking a recipe whose 'fields' could not be read (reported already): any name goes.
    any_name: bool = False

    def element(self, value: Any, where: SourcePos | None) -> Element:
        try:
            element = self.selectors.element(str(value))
        except KeyError as exc:
            if self.selectors.is_broken(str(value)):
                raise Reported() from None
            raise RecipeError(str(exc.args[0]), pos_of(value, where)) from None
        missing = set(element.params) - self.params - self.names
        if missing:
            raise RecipeError(
                f"element '{value}' needs {', '.join(sorted(missing))}: use it inside for_each"
                " or define the value among the fields",
                pos_of(value, where),
            )
        return element

    def screen(self, value: Any, where: SourcePos | None) -> Screen:
        try:
            return self.selectors.screen(str(value))
        except KeyError as exc:
            if self.selectors.is_broken(str(value)):
                raise Reported() from None
            raise RecipeError(str(exc.args[0]), pos_of(value, where)) from None

    def template(self, value: Any, where: SourcePos | None) -> Template:
        if not isinstance(value, str | int):
            raise RecipeError("expected a text value", pos_of(value, where))
        tpl = Template(str(value))
        for name in tpl.names:
            self._check_path(name, f"{{{name}}}", pos_of(value, where))
        return tpl

    def path(self, value: Any, where: SourcePos | None) -> str:
        """A value in scope by name, ``child.name`` inside ``for_each`` (conditions)."""
        if not isinstance(value, str) or not value:
            raise RecipeError("expected the name of a value", pos_of(value, where))
        self._check_path(str(value), str(value), pos_of(value, where))
        return str(value)

    def _check_path(self, name: str, shown: str, where: SourcePos | None) -> None:
        root, _, rest = name.partition(".")
        if self.any_name:
            return
        if root not in self.names:
            close = difflib.get_close_matches(root, sorted(self.names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RecipeError(f"unknown value '{shown}'{hint}", where)
        if rest and root in self.groups and rest not in self.groups[root]:
            raise RecipeError(f"'{root}' has no field '{rest}'", where)

    def name(self, value: Any, where: SourcePos | None) -> str:
        if str(value) not in self.names and not self.any_name:
            close = difflib.get_close_matches(str(value), sorted(self.names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RecipeError(f"unknown value '{value}'{hint}", pos_of(value, where))
        return str(value)

    def child(self, **extra_groups: set[str]) -> ParseContext:
        """A nested scope (inside ``for_each``) with loop variables and ``index``."""
        return ParseContext(
            self.selectors,
            self.names | set(extra_groups) | {"index"},
            {**self.groups, **extra_groups},
            self.params | {"index"},
            self.any_name,
        )


class Step(ABC):
    """One instruction of a recipe, as parsed. Subclasses set ``name`` and ``parse``; how
    they run is registered apart (:func:`bots.engine.executors.executes`)."""

    name: ClassVar[str]
    pos: SourcePos | None = None

    @classmethod
    @abstractmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        """Validate the YAML of this step (``arg`` is the value under the step's name)."""

    def children(self) -> list[Step]:
        return []

    def __repr__(self) -> str:
        return f"<{self.name} at {self.pos}>"


STEPS: dict[str, type[Step]] = {}


def register(cls: type[Step]) -> type[Step]:
    """Class decorator: make a step known under its ``name``."""
    if cls.name in STEPS:
        raise ValueError(f"step '{cls.name}' registered twice")
    STEPS[cls.name] = cls
    return cls


def parse_steps(node: Any, ctx: ParseContext, where: SourcePos | None) -> list[Step]:
    """Parse a YAML list of steps; each item is a mapping whose first key is the step.

    Every step is checked even after a broken one, so one pass reports them all (a
    broken step is left out of the list; the loader does not run a recipe with problems).
    """
    if not isinstance(node, LocList):
        raise RecipeError(
            "steps are a list: each step on its own line, starting with '- '",
            pos_of(node, where),
        )
    steps: list[Step] = []
    problems = Problems()
    for item in node:
        with problems.collect():
            steps.append(_parse_step(item, ctx, where))
    problems.raise_any()
    return steps


def _parse_step(item: Any, ctx: ParseContext, where: SourcePos | None) -> Step:
    if isinstance(item, str):
        if item not in STEPS and item.split()[0] in STEPS:  # "- click menu.search"
            name = item.split()[0]
            raise RecipeError(
                f"a step is '- {name}: argument' (missing ':' after '{name}')",
                pos_of(item, where),
            )
        item_map = LocDict({str(item): None})
        item_map.pos, item_map.key_pos = item.pos, {str(item): item.pos}  # type: ignore[attr-defined]
        item = item_map
    if not isinstance(item, LocDict) or not item:
        raise RecipeError("a step is a mapping like '- click: menu.search'", pos_of(item, where))
    step_name = next(iter(item))
    cls = STEPS.get(step_name)
    if cls is None:
        close = difflib.get_close_matches(step_name, sorted(STEPS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise RecipeError(f"unknown step '{step_name}'{hint}", item.pos_of(step_name))
    try:
        step = cls.parse(item[step_name], item, ctx)
    except RecipeError as exc:
        if item[step_name] is None and len(item) > 1 and exc.problems:
            # "- fill:" with its mapping written beside it instead of under it
            second = list(item)[1]
            raise RecipeError(
                f"'{step_name}' has no argument and '{second}' stands beside it: indent "
                f"the argument under '{step_name}:' (two more spaces)",
                item.pos_of(second),
            ) from exc
        raise
    step.pos = item.pos_of(step_name)
    return step


def check_keys(node: LocDict, allowed: set[str]) -> None:
    """Extra keys beside a step's name are a typo until proven otherwise."""
    for key in node:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RecipeError(f"unknown key '{key}'{hint}", node.pos_of(key))
