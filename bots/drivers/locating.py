"""Turning one locator strategy into a Playwright locator, in any scope.

Kept apart from the driver because it is pure translation: a ``Strategy`` from the
selector file and a scope (page, frame, pop-up page or table row) give a ``Locator``.
The legacy strategies are XPath, because the only thing a table layout without ids or
labels offers is the text of the neighbouring cell or of the column header. That text
(perhaps an application's value, ``St. Luke's``) goes into the expression as an XPath
literal, never pasted between quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import Frame, Locator, Page

from bots.screens import Strategy
from bots.selector_text import xpath_literal

Scope = Page | Frame | Locator

_CELL = "*[self::td or self::th]"
_CONTROL = (
    "*[self::input[not(@type='hidden' or @type='button' or @type='submit' or @type='reset'"
    " or @type='image')] or self::select or self::textarea]"
)


def cell_xpath(text: str) -> str:
    """The cell to the right of the cell whose whole text is ``text``."""
    return f"//{_CELL}[normalize-space(.)={xpath_literal(text)}]/following-sibling::{_CELL}[1]"


def column_xpath(header: str) -> str:
    """Relative to a row: the cell under the header ``header`` of the row's own table.

    The predicate on the header's existence matters: without it, a renamed header would
    make ``count(...)+1`` equal 1 and silently select the first column.
    """
    header_cell = f"ancestor::table[1]//tr[1]/{_CELL}[normalize-space(.)={xpath_literal(header)}]"
    return f"./{_CELL}[{header_cell}][count({header_cell}/preceding-sibling::{_CELL})+1]"


def dom_query(s: Strategy) -> tuple[str, str] | None:
    """The strategy as a query a page script can run itself — ``("css", selector)`` or
    ``("xpath", expression)`` — or None for Playwright's own engines (label, role, text,
    placeholder), which a page script cannot reproduce faithfully."""
    match s.kind:
        case "css":
            return ("css", s.value)
        case "xpath":
            return ("xpath", s.value)
        case "cell":
            return ("xpath", f"{cell_xpath(s.value)}//{_CONTROL}")
        case "cell_text":
            return ("xpath", cell_xpath(s.value))
        case "column":
            return ("xpath", column_xpath(s.value))
    return None


def strategy_locator(scope: Scope, s: Strategy) -> Locator:
    query = dom_query(s)
    if query is not None:
        kind, value = query
        return scope.locator(value if kind == "css" else f"xpath={value}")
    match s.kind:
        case "label":
            return scope.get_by_label(s.value, exact=s.exact)
        case "role":
            return scope.get_by_role(s.value, name=s.name, exact=s.exact)  # type: ignore[arg-type]
        case "text":
            return scope.get_by_text(s.value, exact=s.exact)
        case "placeholder":
            return scope.get_by_placeholder(s.value, exact=s.exact)
    raise ValueError(f"unknown strategy {s.kind}")  # the loader prevents this


def any_of(locators: Sequence[Locator]) -> Locator:
    """One locator matching what any of ``locators`` matches: one round trip for all."""
    combined = locators[0]
    for other in locators[1:]:
        combined = combined.or_(other)
    return combined
