"""Application values put into selector text, escaped for the selector's own language.

A selector file may find an element by a template such as
``//tr[td[normalize-space(.)='{doctor_hospital}']]``. The value comes from an application,
and pasted in as text an apostrophe (``St. Luke's``) would end the quoted string early: the
selector becomes invalid, or worse, means something else. So a value is put in as what it
is in that language, never as raw text:

* **CSS** — inside a quoted string it becomes string content (``\\``, both quotes and line
  breaks escaped: tinycss2's serializer, the rules of CSS Syntax); outside quotes it is part
  of an identifier (``#child_name_{index}``, ``[value={code}]``), every character that cannot
  stand in one escaped.
* **XPath** 1.0 has no escapes at all: a quoted literal that holds a value is rebuilt as an
  XPath literal — in the other kind of quotes, or as ``concat()`` of pieces when the text
  holds both kinds. Outside quotes a text value becomes such a literal too.
* **label, role name, text, placeholder** take the value as it is: Playwright's
  ``get_by_*`` quote their argument themselves. ``cell``/``cell_text``/``column`` are bound
  as plain text too; :mod:`bots.drivers.locating` turns the text into an XPath literal.

Whole numbers (row indexes) go in as they are everywhere. A template without placeholders
is left exactly as written.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from typing import Any

from tinycss2.serializer import serialize_identifier, serialize_name, serialize_string_value

_FORMATTER = string.Formatter()
_QUOTES = "'\""

#: The strategy kinds whose text is a CSS selector or an XPath expression.
ESCAPED_KINDS = ("css", "xpath")


def css_string(text: str) -> str:
    """``text`` as the content of a CSS string in either kind of quotes."""
    return str(serialize_string_value(text)).replace("'", "\\'")


def xpath_literal(text: str) -> str:
    """``text`` as an XPath 1.0 string literal: ``'…'``, ``"…"`` or ``concat(…)``."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"


def placeholders(template: str) -> list[str]:
    """The ``{names}`` a template needs, in order; ValueError for a malformed template."""
    names: list[str] = []
    for _, field, _, _ in _FORMATTER.parse(template):
        if field is not None:
            if not field.isidentifier():
                raise ValueError(f"'{{{field}}}' is not a name of a value, like '{{index}}'")
            if field not in names:
                names.append(field)
    return names


def template_problem(kind: str, template: str) -> str | None:
    """Why ``template`` cannot be filled safely, or None: the loader's check, so that a bad
    template is refused before any run rather than while keying."""
    try:
        names = placeholders(template)
    except ValueError as exc:
        return f"bad placeholder in '{kind}': {exc}"
    if not names or kind not in ESCAPED_KINDS:
        return None
    literal = "".join(piece for piece, _, _, _ in _FORMATTER.parse(template))
    scan = _css_quote_after if kind == "css" else _xpath_quote_after
    if scan(literal, None) is not None:
        return f"'{kind}' has a quote that is never closed"
    return None


def fill(kind: str, template: str, params: Mapping[str, Any]) -> str:
    """``template`` with its placeholders filled from ``params``, escaped for ``kind``."""
    if "{" not in template and "}" not in template:
        return template
    if kind == "css":
        return fill_css(template, params)
    if kind == "xpath":
        return fill_xpath(template, params)
    return template.format_map(params)


def _values(template: str, params: Mapping[str, Any]) -> Iterator[tuple[str, Any, str | None]]:
    """(literal text, value, value as formatted) for each piece; value None after the end."""
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        if field is None:
            yield literal, None, None
            continue
        obj, _ = _FORMATTER.get_field(field, (), params)
        obj = _FORMATTER.convert_field(obj, conversion)
        yield literal, obj, _FORMATTER.format_field(obj, spec or "")


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _css_quote_after(text: str, quote: str | None) -> str | None:
    """The open quote after ``text`` read from state ``quote`` (backslash escapes honoured)."""
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quote is not None:
            if ch == quote:
                quote = None
        elif ch in _QUOTES:
            quote = ch
    return quote


def _xpath_quote_after(text: str, quote: str | None) -> str | None:
    for ch in text:
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in _QUOTES:
            quote = ch
    return quote


def _ends_in_name(text: str) -> bool:
    """Whether ``text`` ends inside an identifier (a value then continues it)."""
    if not text:
        return False
    last = text[-1]
    return last.isascii() and (last.isalnum() or last in "-_") or ord(last) > 0x7F


def fill_css(template: str, params: Mapping[str, Any]) -> str:
    out: list[str] = []
    quote: str | None = None
    for literal, value, text in _values(template, params):
        out.append(literal)
        quote = _css_quote_after(literal, quote)
        if text is None:
            continue
        if _is_number(value):
            out.append(text)
        elif quote is not None:
            out.append(css_string(text))
        elif _ends_in_name("".join(out)):
            out.append(str(serialize_name(text)))
        elif text:
            out.append(str(serialize_identifier(text)))
    return "".join(out)


def fill_xpath(template: str, params: Mapping[str, Any]) -> str:
    out: list[str] = []
    quote: str | None = None
    content: list[str] = []  # the text of the quoted literal being read
    for literal, value, text in _values(template, params):
        for ch in literal:
            if quote is None and ch in _QUOTES:
                quote, content = ch, []
            elif quote is None:
                out.append(ch)
            elif ch == quote:
                out.append(xpath_literal("".join(content)))
                quote = None
            else:
                content.append(ch)
        if text is None:
            continue
        if quote is not None:
            content.append(text)
        elif _is_number(value):
            out.append(text)
        else:
            out.append(xpath_literal(text))
    if quote is not None:
        raise ValueError(f"unclosed quote in {template!r}")  # the loader refuses these
    return "".join(out)
