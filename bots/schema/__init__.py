"""Application schemas: every item of a procedure's online form, checked before any typing.

:mod:`~bots.schema.model` is the YAML's shape, :mod:`~bots.schema.loading` resolves it
(with file:line errors), :mod:`~bots.schema.validate` checks one application, and
:mod:`~bots.schema.rules` / :mod:`~bots.schema.law` are the cross-item rules by name.
"""

from bots.schema.loading import Schema, find_item, load_gaiji, load_schema, today_jst, walk_items
from bots.schema.model import ApplicationSpec, ItemSpec
from bots.schema.rules import RULES, Rule
from bots.schema.validate import CheckedApplication, Normalisation, Problem

__all__ = [
    "RULES",
    "ApplicationSpec",
    "CheckedApplication",
    "ItemSpec",
    "Normalisation",
    "Problem",
    "Rule",
    "Schema",
    "find_item",
    "load_gaiji",
    "load_schema",
    "today_jst",
    "walk_items",
]
