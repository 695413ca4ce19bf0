"""Cross-item rules, registered by name like steps and transforms.

A rule is a pydantic model: its fields are the parameters a recipe gives it, so an unknown
parameter or a wrong type is a load-time error with file:line, and the parameters that
name items (``paths``, ``entry_paths``) are checked against the schema when the recipe
loads. At run time a rule reads the *checked* values through :class:`Facts` — an item that
already failed its own checks reads as missing, so one mistake is reported once — and
reports what is wrong with :meth:`Facts.problem`, naming the item the clerk must fix.

The generic rules live here; the ones a procedure's law sets live in
:mod:`bots.schema.law`. Reference: ``docs/recipe-application.md`` (generated from the
registry by ``python -m bots.docs``, also ``renkei recipe docs``).
"""

from __future__ import annotations

import difflib
from abc import abstractmethod
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict


class Facts(Protocol):
    """What a rule sees of one application, after every item was checked."""

    today: date

    def value(self, path: str) -> Any:
        """The checked value at ``path`` (``children.0.birth_date``); None if missing or invalid."""

    def date(self, path: str) -> date | None:
        """A checked date item as a ``date``; None if missing or invalid."""

    def label(self, path: str) -> str:
        """What the form calls the item (``児童1 生年月日``)."""

    def present(self, path: str) -> bool:
        """Whether the form gave the item a value at all (valid or not)."""

    def entries(self, path: str) -> list[str]:
        """The paths of the entries of a list item (``children.0``, ``children.1`` …)."""

    def shown(self, path: str) -> str:
        """The value for a message, masked when the item is sensitive."""

    def problem(self, path: str, message: str) -> None:
        """Report what is wrong; the item's label is put in front."""


class Rule(BaseModel):
    """A rule of the procedure. Subclasses set ``name`` and implement :meth:`check`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str]
    #: parameters that name an item of the schema (a path, or a list of paths)
    paths: ClassVar[tuple[str, ...]] = ()
    #: parameters that name an item inside the objects or list entries other parameters
    #: name: {param: (those params, …)}
    entry_paths: ClassVar[dict[str, tuple[str, ...]]] = {}

    @abstractmethod
    def check(self, facts: Facts) -> None: ...


RULES: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule known under its ``name``."""
    if cls.name in RULES:
        raise ValueError(f"rule '{cls.name}' registered twice")
    RULES[cls.name] = cls
    return cls


def rule_class(name: str) -> type[Rule]:
    """The rule registered as ``name``; KeyError with a did-you-mean message if none."""
    try:
        return RULES[name]
    except KeyError:
        close = difflib.get_close_matches(name, sorted(RULES), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise KeyError(f"unknown rule '{name}'{hint}") from None


def as_paths(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# --- dates and ages, as the law counts them -----------------------------------------------


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 2月29日 becomes 2月28日 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, on: date) -> int:
    """Age in full years on ``on``, as 年齢計算ニ関スル法律 counts it.

    One reaches an age at the end of the day before the birthday, so on that day the new
    age already holds: someone born on 4月2日 is 65 on 4月1日 (介護保険 第1号 from that day).
    """
    day = on + timedelta(days=1)
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_between(earlier: date, later: date) -> int:
    """Full years from ``earlier`` to ``later`` (calendar, not the legal eve)."""
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def iter_dates(facts: Facts, paths: list[str]) -> Iterator[tuple[str, date]]:
    for path in paths:
        day = facts.date(path)
        if day is not None:
            yield path, day


# --- generic rules --------------------------------------------------------------------------


def _matches(value: Any, equals: list[Any] | None) -> bool:
    """``when`` holds: present (and true), or equal to one of ``equals``."""
    if equals is None:
        return value not in (None, "", False, [])
    return any(value == e or str(value) == str(e) for e in equals)


def _when_text(facts: Facts, when: str, equals: list[Any] | None) -> str:
    label = facts.label(when)
    if equals is None:
        return f"{label}があるとき"
    shown = "・".join("はい" if e is True else "いいえ" if e is False else str(e) for e in equals)
    return f"{label}が「{shown}」のとき"


@register
class RequiredIf(Rule):
    """``{rule: required_if, item: X, when: Y, equals: [..]}`` — X is needed when Y is one
    of the values (or, without ``equals``, whenever Y is present and not false)."""

    name = "required_if"
    paths = ("item", "when")
    item: str
    when: str
    equals: list[Any] | None = None

    def check(self, facts: Facts) -> None:
        if _matches(facts.value(self.when), self.equals) and not facts.present(self.item):
            facts.problem(self.item, f"{_when_text(facts, self.when, self.equals)}は入力が必要です")


@register
class ForbiddenIf(Rule):
    """``{rule: forbidden_if, item: X, when: Y, equals: [..]}`` — X must be empty when Y is
    one of the values: a value there contradicts the rest of the form."""

    name = "forbidden_if"
    paths = ("item", "when")
    item: str
    when: str
    equals: list[Any] | None = None

    def check(self, facts: Facts) -> None:
        value = facts.value(self.item)
        if _matches(facts.value(self.when), self.equals) and value not in (None, "", False, {}, []):
            # a group (転出先, 口座) is named, not printed: its items are what the form shows
            given = "" if isinstance(value, dict | list) else f"（{facts.shown(self.item)}）"
            facts.problem(
                self.item, f"{_when_text(facts, self.when, self.equals)}は入力できません{given}"
            )


def _value_text(facts: Facts, path: str) -> str:
    """``ワクチン種別が「ＢＣＧ」のとき``: the condition as it held, with the value the form
    gave (masked when sensitive) rather than the whole list the rule names."""
    return f"{facts.label(path)}が「{facts.shown(path)}」のとき"


def _listed(values: list[Any]) -> str:
    return "・".join("はい" if v is True else "いいえ" if v is False else str(v) for v in values)


@register
class AllowedIf(Rule):
    """``{rule: allowed_if, item: X, when: Y, equals: [..], allowed: [..]}`` — when Y is one
    of ``equals``, X must be one of ``allowed`` (ロタウイルス → 接種部位は経口).

    Why one rule and not two (``must_be_if`` / ``only_for``): "a value only for some cases"
    is the same rule read the other way round. 「経口はロタウイルスのみ」 is "when 接種部位
    is 経口, ワクチン種別 must be ロタウイルス": ``{item: vaccine, when: site, equals: [経口],
    allowed: [ロタウイルス]}``. The problem is then reported on X, the item the rule names
    first; the message names both items and both values, so the clerk sees the pair that
    contradicts. Values compare as text (``1`` and ``"1"`` are the same code); an X or Y
    missing or already invalid is left to its own check.
    """

    name = "allowed_if"
    paths = ("item", "when")
    item: str
    when: str
    equals: list[Any] | None = None
    allowed: list[Any]

    def check(self, facts: Facts) -> None:
        value, when = facts.value(self.item), facts.value(self.when)
        if value in (None, "") or not _matches(when, self.equals):
            return
        if _matches(value, self.allowed):
            return
        said = (
            _value_text(facts, self.when)
            if self.equals is not None
            else _when_text(facts, self.when, None)
        )
        facts.problem(
            self.item, f"{said}は「{_listed(self.allowed)}」に限ります（{facts.shown(self.item)}）"
        )


@register
class AtMostIf(Rule):
    """``{rule: at_most_if, item: X, when: Y, equals: [..], max: N}`` — when Y is one of
    ``equals``, the number X is at most N (ＢＣＧ: 接種回数は1回目まで).

    A limit that depends on another item's value; one rule per limit (the vaccines with the
    same maximum share a line). An X that is not a number is reported as such.
    """

    name = "at_most_if"
    paths = ("item", "when")
    item: str
    when: str
    equals: list[Any] | None = None
    max: int

    def check(self, facts: Facts) -> None:
        value = facts.value(self.item)
        if value in (None, "") or not _matches(facts.value(self.when), self.equals):
            return
        try:
            number = float(str(value))
        except ValueError:
            facts.problem(self.item, f"数値ではありません（{facts.shown(self.item)}）")
            return
        if number > self.max:
            said = (
                _value_text(facts, self.when)
                if self.equals is not None
                else _when_text(facts, self.when, None)
            )
            facts.problem(self.item, f"{said}は{self.max}までです（{facts.shown(self.item)}）")


@register
class AgeBetween(Rule):
    """``{rule: age_between, birth: X, at: Y, min: 12, max: 60}`` — the age on date Y of
    whoever was born on X (legal counting) lies between min and max, both included."""

    name = "age_between"
    paths = ("birth", "at")
    birth: str
    at: str
    min: int | None = None
    max: int | None = None

    def check(self, facts: Facts) -> None:
        birth, on = facts.date(self.birth), facts.date(self.at)
        if birth is None or on is None:
            return
        age = age_on(birth, on)
        if (self.min is not None and age < self.min) or (self.max is not None and age > self.max):
            bounds = f"{self.min if self.min is not None else ''}〜{self.max if self.max is not None else ''}歳"
            facts.problem(
                self.birth,
                f"{facts.label(self.at)}（{on.isoformat()}）時点で{age}歳です。"
                f"この手続で想定する年齢（{bounds}）ではありません",
            )


@register
class DistinctEntries(Rule):
    """``{rule: distinct_entries, items: children, keys: [kana, birth_date]}`` — no person
    (or thing) is listed twice: two entries equal in every key item are a double entry."""

    name = "distinct_entries"
    paths = ("items",)
    entry_paths = {"keys": ("items",)}
    items: str
    keys: list[str]

    def check(self, facts: Facts) -> None:
        seen: dict[tuple[str, ...], str] = {}
        for entry in facts.entries(self.items):
            values = [facts.value(f"{entry}.{k}") for k in self.keys]
            if any(v in (None, "") for v in values):
                continue
            key = tuple("".join(str(v).split()) for v in values)
            if key in seen:
                facts.problem(entry, f"{facts.label(seen[key])}と同じ内容です（二重の記載）")
            else:
                seen[key] = entry
