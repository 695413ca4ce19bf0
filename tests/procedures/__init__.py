"""What a tester expects of each procedure whose mock screens are data (issue #14).

One module per procedure, written from the procedure's paper form and the mock's manual
(docs/mock-core-forms.md), never from the recipe:

- ``PROCEDURE``: its id;
- ``expected(data) -> dict``: the record the mock must hold for an application's data,
  in the mock's own terms (codes as codes, dates ISO, rows as lists);
- ``MALFORMED``: at least two ``(change, reason)`` pairs — ``change(data)`` spoils a good
  application the way real ones go wrong, ``reason`` is exactly what the clerk reads.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
