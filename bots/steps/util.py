"""Helpers shared by the built-in steps."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bots.errors import RecipeError
from bots.recipe.yamlpos import LocDict


def as_mapping(arg: Any, node: LocDict, step: str) -> LocDict:
    """The value under a step's name, which must be a non-empty mapping."""
    if not isinstance(arg, LocDict) or not arg:
        raise RecipeError(f"'{step}' takes a mapping", node.pos_of(step))
    return arg


def compare_key(text: str) -> str:
    """Normalise screen text and data for identity comparison.

    NFKC folds half-width kana and full-width digits; spaces of either width are dropped,
    because core systems differ in how they separate family and given names.
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
