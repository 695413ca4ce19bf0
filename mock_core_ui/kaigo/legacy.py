"""Shift_JIS plumbing of the legacy 介護保険 screens.

The vendor's pages are served in Shift_JIS, so a browser posts its forms (and builds the
query strings of its GET forms) in Shift_JIS too. Werkzeug 3 always decodes form data as
UTF-8, so this module reads the raw bytes itself and decodes them as ``cp932`` (the
Windows flavour of Shift_JIS that browsers really send). It also renders pages back into
``cp932`` and quotes strings for the inline JavaScript the screens are full of.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

ENCODING = "cp932"
CONTENT_TYPE = "text/html; charset=Shift_JIS"

# A browser sends a character its Shift_JIS encoder cannot represent as "&#NNNN;".
_NCR_RE = re.compile(r"&#([0-9]{1,7});")
# Lead bytes of cp932 that are not JIS X 0208: NEC row 13 (①, ㈱ …), NEC-selected IBM
# extensions, and the user-defined (外字) and IBM extension areas.
_NON_JIS_LEAD_BYTES = frozenset({0x87, 0xED, 0xEE, *range(0xF0, 0xFD)})


def parse_sjis_pairs(raw: bytes) -> dict[str, str]:
    """Decode ``application/x-www-form-urlencoded`` bytes sent in Shift_JIS.

    The first value of a repeated key wins. Bytes that are not cp932 become U+FFFD, which
    the JIS check then reports as an unusable character.
    """
    result: dict[str, str] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        name = unquote_to_bytes(key.replace(b"+", b" ")).decode(ENCODING, "replace")
        text = unquote_to_bytes(value.replace(b"+", b" ")).decode(ENCODING, "replace")
        result.setdefault(name, text)
    return result


def keep_raw_body() -> None:
    """Cache the raw request body before anything parses ``request.form`` as UTF-8.

    Registered as the blueprint's URL value preprocessor, which Flask runs before every
    ``before_request`` hook (the log-in/CSRF guard reads ``request.form``). Once cached,
    Werkzeug parses the form from the cached copy, so both readings see the same bytes.
    """
    if request.method == "POST":
        request.get_data(cache=True)


def sjis_form() -> dict[str, str]:
    """The posted form fields, decoded from Shift_JIS."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return {}
    return parse_sjis_pairs(request.get_data(cache=True))


def sjis_args() -> dict[str, str]:
    """The query-string fields (GET forms), decoded from Shift_JIS."""
    return parse_sjis_pairs(request.query_string)


def _sjis_encodable(ch: str) -> bool:
    try:
        ch.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def decode_browser_refs(text: str) -> str:
    """Turn each "&#NNNN;" in a posted text back into the character it stands for.

    A browser sends a character its Shift_JIS encoder cannot hold that way (Chromium does
    it for 〜 U+301C and for 𠮷); reading them back lets the JIS check name the character
    (or accept 〜). The price, as in many real systems: "&#12354;" typed literally becomes あ.
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1))
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group(0)
        return chr(code)

    return _NCR_RE.sub(replace, text)


def non_jis_chars(value: str) -> list[str]:
    """Characters outside JIS X 0208 / JIS X 0201, each once, in order of appearance.

    A character passes when Python's ``shift_jis`` codec (JIS X 0208 + 0201) takes it, or
    when ``cp932`` takes it outside the vendor extension areas: that accepts both forms of
    the wave dash (〜 U+301C and ～ U+FF5E) a browser may send, and refuses 髙, ①, ㈱ and 外字.
    Line breaks and tabs are allowed; other control characters are not.
    """
    bad: list[str] = []
    for ch in value:
        if ch in "\n\t":
            continue
        ok = ch.isprintable() or ch == "\u3000"
        if ok:
            try:
                ch.encode("shift_jis")
            except UnicodeEncodeError:
                try:
                    encoded = ch.encode(ENCODING)
                except UnicodeEncodeError:
                    ok = False
                else:
                    ok = not (len(encoded) == 2 and encoded[0] in _NON_JIS_LEAD_BYTES)
        if not ok and ch not in bad:
            bad.append(ch)
    return bad


_JS_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': "\\x22",
    "\n": "\\n",
    "\r": "\\r",
    "<": "\\x3c",
    ">": "\\x3e",
    "&": "\\x26",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def js_quote(value: str) -> Markup:
    """A single-quoted JavaScript string literal, safe inside <script> and in on* attributes.

    Characters the page's Shift_JIS cannot carry are written as ``\\uXXXX`` escapes (UTF-16
    units), so an alert can still name a character the screen refuses.
    """
    out: list[str] = []
    for ch in value:
        if ch in _JS_ESCAPES:
            out.append(_JS_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        elif _sjis_encodable(ch):
            out.append(ch)
        else:
            units = ch.encode("utf-16-be")
            out.extend(
                f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
            )
    return Markup("'" + "".join(out) + "'")


def render_sjis(template: str, status: int = 200, **context: Any) -> Response:
    """Render a template and send it in Shift_JIS (cp932).

    Characters cp932 cannot hold (e.g. a name loaded through the testing API) become
    numeric character references, which browsers show correctly.
    """
    text = render_template(template, **context)
    body = text.encode(ENCODING, errors="xmlcharrefreplace")
    return Response(body, status=status, content_type=CONTENT_TYPE)
