"""``{name}`` placeholders in recipe values: a lookup, never an expression.

Recipes are data. A value like ``"{child.kana}"`` is resolved by walking mapping keys in
the current scope; there is no attribute access, indexing or arithmetic, so a recipe can
never run code. Names are checked at load time against the fields the recipe defines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")


@dataclass(frozen=True)
class Template:
    """A text with ``{dotted.name}`` placeholders."""

    source: str

    @property
    def names(self) -> list[str]:
        return _PLACEHOLDER.findall(self.source)

    @property
    def roots(self) -> set[str]:
        return {n.split(".", 1)[0] for n in self.names}

    def render(self, scope: Mapping[str, Any]) -> str:
        """Substitute every placeholder; a missing or empty value renders as ''."""

        def sub(match: re.Match[str]) -> str:
            value = lookup(scope, match.group(1))
            return "" if value is None else str(value)

        return _PLACEHOLDER.sub(sub, self.source)

    def render_value(self, scope: Mapping[str, Any]) -> Any:
        """A template that is exactly one placeholder yields the value itself (a list…)."""
        names = self.names
        if len(names) == 1 and self.source == "{" + names[0] + "}":
            return lookup(scope, names[0])
        return self.render(scope)


def lookup(scope: Mapping[str, Any], dotted: str) -> Any:
    """Walk ``a.b.c`` through nested mappings; None when any part is missing."""
    value: Any = scope
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
