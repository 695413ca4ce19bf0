"""Reading many elements of a screen in one browser round trip.

Every Playwright call is a round trip from Python to Playwright's driver to the page, and
on a 2-core machine each costs about as much as typing a field. 本人確認 reads three
items twice per application and the typed values are read back after every fill step, so
reading them one by one cost more than a quarter of the bot's time over a plain script.

Here the elements whose strategy the page itself can evaluate (CSS, XPath and the legacy
strategies built on XPath) are read by one script. The script answers ``None`` for an
element it cannot settle alone — no match, several matches, a selector only Playwright
understands (``:has-text``, shadow DOM) — and the caller then takes the careful way,
element by element, which waits and raises the precise error. A batch read never decides
that an element is missing; it only saves round trips when everything is as expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Locator, Page

#: A query the page can run itself: see :func:`bots.drivers.locating.dom_query`.
Query = tuple[str, str]

#: What an element shows: its value for form controls, else its rendered text.
SHOWN_JS = "e => ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName) ? e.value : e.innerText"

#: Shared by the scripts below: the nodes a query finds under ``root`` (null if invalid),
#: and :data:`SHOWN_JS`.
_HELPERS = (
    """
const find = (root, [kind, q]) => {
  try {
    if (kind === 'css') return Array.from(root.querySelectorAll(q));
    // Like Playwright's XPath engine: inside an element, '//' means below it, and only
    // elements count (not text or attribute nodes).
    if (root.nodeType !== Node.DOCUMENT_NODE && q.startsWith('/')) q = '.' + q;
    const doc = root.ownerDocument || root;
    const r = doc.evaluate(q, root, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    const out = [];
    for (let i = 0; i < r.snapshotLength; i++) {
      const node = r.snapshotItem(i);
      if (node.nodeType === Node.ELEMENT_NODE) out.push(node);
    }
    return out;
  } catch (e) {
    return null;
  }
};
"""
    + f"const shown = {SHOWN_JS};\n"
)

#: For each query: what its one match shows, or null when it does not match exactly once.
_SINGLES_JS = (
    "queries => {"
    + _HELPERS
    + """
  return queries.map(q => {
    const found = find(document, q);
    return found && found.length === 1 ? shown(found[0]) : null;
  });
}"""
)

#: The rows of the first row query that finds any, each as the first match of every column
#: query (trimmed text, '' when absent); null when no query finds rows or one is invalid.
_ROWS_JS = (
    "([rowQueries, columns]) => {"
    + _HELPERS
    + """
  for (const rq of rowQueries) {
    const rows = find(document, rq);
    if (rows === null) return null;
    if (!rows.length) continue;
    const out = [];
    for (const row of rows) {
      const values = {};
      for (const [key, cq] of columns) {
        const cells = find(row, cq);
        if (cells === null) return null;
        values[key] = cells.length ? cells[0].innerText.trim() : '';
      }
      out.push(values);
    }
    return out;
  }
  return null;
}"""
)


def read_singles(scope: Page | Frame, queries: Sequence[Query]) -> list[str | None]:
    """What each query's single match shows; None where the careful way must decide."""
    if not queries:
        return []
    try:
        found: list[Any] = scope.evaluate(_SINGLES_JS, [list(q) for q in queries])
    except PlaywrightError:
        return [None] * len(queries)  # between documents: the careful way waits
    return [None if v is None else str(v) for v in found]


def read_table(
    scope: Page | Frame, rows: Sequence[Query], columns: Sequence[tuple[str, Query]]
) -> list[dict[str, str]] | None:
    """Rows as dicts of column texts, or None where the careful way must decide (no rows
    found — which may mean the wrong screen —, an invalid query, a page in transition)."""
    try:
        found = scope.evaluate(
            _ROWS_JS, [[list(q) for q in rows], [[k, list(q)] for k, q in columns]]
        )
    except PlaywrightError:
        return None
    if found is None:
        return None
    return [{str(k): str(v) for k, v in row.items()} for row in found]


def single_text(loc: Locator) -> str | None:
    """What the locator's only match shows, in one round trip (``evaluate`` takes three);
    None when it does not match exactly once right now."""
    try:
        text: Any = loc.evaluate_all(
            "els => {" + _HELPERS + " return els.length === 1 ? shown(els[0]) : null; }"
        )
    except PlaywrightError:
        return None
    return None if text is None else str(text)
