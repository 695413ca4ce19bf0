"""Application values in selector templates are escaped for the selector's language.

A hospital called ``St. Luke's`` must be found like any other: in real Chromium, a page
holds elements whose text, value, label, accessible name and table cells contain an
apostrophe, a double quote, both, and a backslash; every strategy kind finds each of them
through a template bound to that value, exactly as the runtime binds an element of a row.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bots.drivers.locating import strategy_locator
from bots.recipe.selectors import load_selectors
from bots.screens import SelectorSet
from bots.selector_text import css_string, fill, xpath_literal

VALUES = [
    "St. Luke's",
    'The "Central" Clinic',
    "Dr. O'Brien's \"Best\" Clinic",
    "C:\\clinic\\東",
]

SELECTORS = """\
system: escaping
login: none
screens:
  page:
    url: /page
    elements:
      css_double: {css: 'input[value="{v}"]'}
      css_single: {css: "input[value='{v}']"}
      css_bare: {css: "li[data-name={v}]"}
      xpath_single: {xpath: "//li[normalize-space(.)='{v}']"}
      xpath_double: {xpath: '//li[normalize-space(.)="{v}"]'}
      xpath_inside: {xpath: "//p[normalize-space(.)='病院: {v}']"}
      text: {text: "{v}", exact: true}
      label: {label: "{v}", exact: true}
      role: {role: button, name: "{v}", exact: true}
      placeholder: {placeholder: "{v}", exact: true}
      cell: {cell: "{v}"}
      cell_text: {cell_text: "{v}"}
      rows: "table#grid tbody tr"
      column: {column: "{v}", within: rows}
"""


def section(element: str) -> str:
    """The page for one strategy kind: one element per value, with an id naming the value's
    index (one kind per page, so that e.g. ``text`` cannot also match the ``label``)."""
    vs = [html.escape(v, quote=True) for v in VALUES]
    each = {
        "css": '<input id="in{i}" value="{v}">',
        "css_bare": '<li id="li{i}" data-name="{v}">{i}</li>',
        "xpath": '<li id="li{i}">{v}</li>',
        "xpath_inside": '<p id="p{i}">病院: {v}</p>',
        "text": '<span id="tx{i}">{v}</span>',
        "label": '<label for="lb{i}">{v}</label><input id="lb{i}">',
        "role": '<button id="bt{i}">{v}</button>',
        "placeholder": '<input id="ph{i}" placeholder="{v}">',
        "cell": '<tr><td>{v}</td><td id="cell{i}"><input id="ctl{i}"></td></tr>',
    }
    if element == "column":
        headers = "".join(f"<th>{v}</th>" for v in vs)
        cells = "".join(f'<td id="col{i}">{i}</td>' for i in range(len(vs)))
        head, body = f"<thead><tr>{headers}</tr></thead>", f"<tbody><tr>{cells}</tr></tbody>"
        return f"<table id='grid'>{head}{body}</table>"
    kind = {"css_double": "css", "css_single": "css", "cell_text": "cell"}.get(element, element)
    kind = "xpath" if kind.startswith("xpath_") and kind != "xpath_inside" else kind
    body = "".join(each[kind].format(i=i, v=v) for i, v in enumerate(vs))
    return f"<table>{body}</table>" if kind == "cell" else f"<div>{body}</div>"


@pytest.fixture(scope="module")
def selectors(tmp_path_factory: pytest.TempPathFactory) -> SelectorSet:
    path: Path = tmp_path_factory.mktemp("sel") / "escaping.yaml"
    path.write_text(SELECTORS, encoding="utf-8")
    return load_selectors(path)


@pytest.fixture(scope="module")
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


#: element → what the id of its one match starts with
EXPECTED = {
    "css_double": "in",
    "css_single": "in",
    "css_bare": "li",
    "xpath_single": "li",
    "xpath_double": "li",
    "xpath_inside": "p",
    "text": "tx",
    "label": "lb",
    "role": "bt",
    "placeholder": "ph",
    "cell": "ctl",
    "cell_text": "cell",
    "column": "col",
}


@pytest.mark.parametrize(
    "index", range(len(VALUES)), ids=["apostrophe", "quotes", "both", "backslash"]
)
@pytest.mark.parametrize("element", list(EXPECTED))
def test_every_strategy_finds_a_value_with_quotes(
    page: Any, selectors: SelectorSet, element: str, index: int
) -> None:
    page.set_content(section(element))
    bound = selectors.element(f"page.{element}").bind({"v": VALUES[index]})
    scope = page.locator("table#grid tbody tr") if element == "column" else page

    found = strategy_locator(scope, bound.strategies[0])

    assert found.count() == 1, bound.strategies[0].describe()
    assert found.get_attribute("id") == f"{EXPECTED[element]}{index}"


def test_the_row_index_of_a_template_stays_a_number(page: Any) -> None:
    page.set_content(section("cell") + section("css"))
    xpath = fill("xpath", "//table//tr[{index}]/td[1]", {"index": 2})
    css = fill("css", "#in{index}", {"index": 1})

    assert xpath == "//table//tr[2]/td[1]"
    assert page.locator(f"xpath={xpath}").inner_text() == VALUES[1]
    assert page.locator(css).get_attribute("value") == VALUES[1]


def test_xpath_literals_take_the_quote_the_text_lacks() -> None:
    assert xpath_literal("東京") == "'東京'"
    assert xpath_literal("St. Luke's") == '"St. Luke\'s"'
    assert xpath_literal("a'b\"c") == "concat('a', \"'\", 'b\"c')"


def test_css_strings_escape_backslashes_and_both_quotes() -> None:
    assert css_string("a\\b'c\"d") == "a\\\\b\\'c\\\"d"


def test_a_template_without_placeholders_is_left_as_written() -> None:
    written = '//li[.="plain"]'

    assert fill("xpath", written, {"v": "x"}) == written
