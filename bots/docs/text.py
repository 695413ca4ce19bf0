"""Small text helpers shared by the generated pages and the example files."""

from __future__ import annotations

import json
from typing import Any

#: The command that regenerates docs/ and examples/; printed in every generated page.
REGENERATE = ".venv/bin/python -m bots.docs"


def cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def value_text(value: Any) -> str:
    """A value as an example cell shows it: booleans as JSON (``true``), nothing as ""."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, bool) else str(value)
