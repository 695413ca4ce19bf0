"""Personal names as the core system keeps them.

A name may hold kanji, kana, the long-vowel mark, 々, ・, Latin letters (foreign
residents) and one full-width space between family and given name — and nothing that
looks like markup, SQL or an invisible control character (the character set itself is
checked by the application schema, which knows the municipality's 外字). Such text in a form is a paste
accident or an attack; keyed into a resident's record it would outlive both, so it goes to
a person instead.
"""

from __future__ import annotations

import string
import unicodedata

import jaconv

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import show_chars, zenkaku_space

#: ASCII symbols and digits never part of a name (letters are: foreign residents).
_FORBIDDEN = set(string.punctuation + string.digits)


#: Marks that are part of names although not letters: 中黒 (foreign names), 〇 (〇〇子).
_NAME_MARKS = {"・", "〇", "\u3000"}


def _name_char(ch: str) -> bool:
    """Letters of any script (kanji, kana, ー, 々, Latin), one space, a few marks; never
    digits, symbols, punctuation (half- or full-width) or controls."""
    if ch in _FORBIDDEN:
        return False
    return ch in _NAME_MARKS or unicodedata.category(ch).startswith(("L", "M"))


@register("person_name")
def person_name(value: object) -> str:
    """One full-width space between parts, kana full-width; no symbols, digits or controls.

    The character set (JIS X 0208 and the municipality's 外字) is the application schema's
    own check (``charset``), which knows the 外字 list; use ``jis_x0208`` after this
    transform where there is no schema.
    """
    # half-width katakana (JIS X 0201) are full-width in a resident's record: ﾐｳﾗ → ミウラ
    text = str(jaconv.h2z(zenkaku_space(value), kana=True, ascii=False, digit=False))
    bad = [ch for ch in text if not _name_char(ch)]
    if bad:
        raise InvalidValue(
            f"使用できない文字（記号・数字・制御文字）が含まれています（{show_chars(bad)}）"
        )
    return text
