"""Reference documentation and example import files, generated from what the code knows.

Hand-written reference drifts the day someone registers a rule or adds an item to a form,
and IT staff writing recipes (or the system exporting applications to import) then trust
a page that is wrong. So the pages are *generated* from the rule and transform registries
and the recipes' application schemas, and ``tests/test_docs.py`` fails when a committed
page or example differs from what is generated now:

* ``docs/recipe-application.md`` — :func:`schema_reference` (:mod:`bots.docs.reference`):
  the item attributes, types and character sets, every rule and transform, the 本人確認
  differences, the ``unknown_items`` policy and the 外字 list;
* ``docs/recipe-reference.md`` — :func:`recipe_reference`
  (:mod:`bots.docs.recipe_reference`): the recipe and selector file keys, every step with
  the keys it accepts, the conditions of ``if``, transforms, rules and placeholders;
* ``docs/import.md`` — ``renkei import`` and, per procedure, :func:`import_layout`
  (:mod:`bots.docs.layout`): columns, JSON paths, labels, constraints, rules, an example;
* ``examples/`` — one valid import file per procedure (:mod:`bots.docs.examples`).

Regenerate with ``.venv/bin/python -m bots.docs``.
"""

from bots.docs.examples import write_examples
from bots.docs.generate import main, write_docs
from bots.docs.layout import import_layout
from bots.docs.recipe_reference import recipe_reference
from bots.docs.reference import schema_reference

__all__ = [
    "import_layout",
    "main",
    "recipe_reference",
    "schema_reference",
    "write_docs",
    "write_examples",
]
