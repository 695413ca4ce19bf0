"""The registry of named transforms that recipes refer to.

Recipes are YAML written by IT staff, and they name transforms as strings
(``transform: [katakana_zenkaku]``). A misspelt name must be caught when the recipe is
loaded, before any resident's record is touched, so lookups go through :func:`get`, whose
error suggests the nearest registered names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

Transform = Callable[[Any], Any]
F = TypeVar("F", bound=Transform)

#: Every registered transform by name. Filled by the modules of :mod:`bots.transforms`.
TRANSFORMS: dict[str, Transform] = {}


class UnknownTransform(KeyError):
    """A transform name that is not registered; the message carries a suggestion.

    ``KeyError.__str__`` would print the message quoted like a dict key; this one prints
    the sentence as written so it reads well in a recipe error.
    """

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        message = f"unknown transform {name!r}（変換名が登録されていません）"
        if suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


def register(name: str) -> Callable[[F], F]:
    """Register a one-argument transform under ``name``.

    Registering the same name twice is a programming error (two modules would silently
    compete for it), so it raises.
    """

    def decorator(func: F) -> F:
        if name in TRANSFORMS and TRANSFORMS[name] is not func:
            raise ValueError(f"transform {name!r} is already registered")
        TRANSFORMS[name] = func
        return func

    return decorator


def get(name: str) -> Transform:
    """Return the transform registered as ``name``; :class:`UnknownTransform` if none."""
    try:
        return TRANSFORMS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), TRANSFORMS.keys(), n=3, cutoff=0.6)
        raise UnknownTransform(str(name), close) from None


def check_names(names: Iterable[str]) -> None:
    """Raise :class:`UnknownTransform` for the first unknown name (for recipe loading)."""
    for name in names:
        get(name)


def apply(names: Sequence[str | Transform], value: Any) -> Any:
    """Apply the named transforms left to right.

    All names are resolved before the first one runs, so a bad name never leaves a value
    half transformed. An entry may also be a transform itself: a recipe's code list
    lookup (``{code: sex}``), which the recipe loader has bound to the recipe's own list.
    """
    funcs = [get(name) if isinstance(name, str) else name for name in names]
    for func in funcs:
        value = func(value)
    return value
