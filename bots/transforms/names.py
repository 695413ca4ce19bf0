"""Personal names as the core system keeps them.

A name may hold kanji, kana, the long-vowel mark, 々, ・, Latin letters (foreign
residents) and one full-width space between family and given name — and nothing that
looks like markup, SQL or an invisible control character. Such text in a form is a paste
accident or an attack; keyed into a resident's record it would outlive both, so it goes to
a person instead.
"""

from __future__ import annotations

import string
import unicodedata

from bots.transforms.errors import InvalidValue
from bots.transforms.jis import check_jis_x0208
from bots.transforms.registry import register
from bots.transforms.text import show_chars, zenkaku_space

#: ASCII symbols and digits never part of a name (letters are: foreign residents).
_FORBIDDEN = set(string.punctuation + string.digits)


@register("person_name")
def person_name(value: object) -> str:
    """One full-width space between parts; no symbols, digits or controls; JIS X 0208."""
    text = zenkaku_space(value)
    bad = [ch for ch in text if ch in _FORBIDDEN or unicodedata.category(ch) in ("Cc", "Cf")]
    if bad:
        raise InvalidValue(
            f"使用できない文字（記号・数字・制御文字）が含まれています（{show_chars(bad)}）"
        )
    check_jis_x0208(text)
    return text
