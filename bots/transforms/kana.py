"""カナ: full-width katakana for フリガナ, half-width katakana for 口座名義.

The online form delivers kana as the resident typed it: hiragana, half-width katakana
(``ﾀﾞ`` is two characters, base + voiced mark), half-width or double spaces. The core
screen takes full-width katakana, ``ー`` and the full-width space only for フリガナ, and
half-width katakana for the account holder (banking convention, 全銀 format). The
conversions themselves are jaconv's; this module adds the validation, so a value that
still contains something else (a kanji, a Latin letter, ``・``) is reported instead of
being typed and rejected by the core system.

Small kana (``ァ``, ``ッ``) are kept as they are: turning them into large kana is a banking
convention for some transfer files, not a rule of these screens, and it would change a
name.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, show_chars

_SPACES = re.compile(r"\s+")
_ZENKAKU_KATAKANA = re.compile(r"[ァ-ヶー\u3000]")
_HANKAKU_KATAKANA = re.compile(r"[ｦ-ﾟ ().\-]")


def _to_full_katakana(text: str) -> str:
    """Hiragana and half-width katakana to full-width katakana; nothing else touched.

    NFC first: kana pasted from some systems arrives decomposed (``カ`` + U+3099).
    """
    text = unicodedata.normalize("NFC", text)
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    return str(jaconv.hira2kata(text))


@register("katakana_zenkaku")
def katakana_zenkaku(value: object) -> str:
    """フリガナ as the core screen takes it: ``やまだ ﾀﾛｳ`` → ``ヤマダ　タロウ``.

    Spaces of any kind collapse into one full-width space; the ends are stripped. Only
    ``ァ``-``ヶ``, ``ー`` and the full-width space may remain.
    """
    text = _SPACES.sub("\u3000", _to_full_katakana(as_text(value)).strip())
    if not text:
        raise InvalidValue("カナが入力されていません")
    bad = [ch for ch in text if not _ZENKAKU_KATAKANA.fullmatch(ch)]
    if bad:
        raise InvalidValue(f"全角カタカナに変換できない文字があります（{show_chars(bad)}）")
    return text


@register("katakana_hankaku")
def katakana_hankaku(value: object) -> str:
    """口座名義 as banks write it: ``ヤマダ　タロウ`` → ``ﾔﾏﾀﾞ ﾀﾛｳ``.

    Any kana (hiragana, full- or half-width katakana) becomes half-width katakana; spaces
    collapse into one half-width space; full-width ``（）－．`` become ``()-.``. Only
    ``ｦ``-``ﾟ``, the space and ``()-.`` may remain (``ヶ`` and ``・`` have no half-width form
    and are reported).
    """
    text = _to_full_katakana(as_text(value))
    text = str(jaconv.z2h(text, kana=True, ascii=True, digit=False))
    text = _SPACES.sub(" ", text).strip()
    if not text:
        raise InvalidValue("カナが入力されていません")
    bad = [ch for ch in text if not _HANKAKU_KATAKANA.fullmatch(ch)]
    if bad:
        raise InvalidValue(f"半角カタカナに変換できない文字があります（{show_chars(bad)}）")
    return text


@register("kana_compare_key")
def kana_compare_key(value: object) -> str:
    """A key for "is this the same kana name": full-width katakana, no spaces at all.

    Used to compare the form's フリガナ with the resident's on the core screen, where the
    only differences that do not matter are script (hiragana/katakana), width and spacing.
    Everything else — small vs large kana, voiced marks, ー — is kept, because it can be a
    different person. Does not validate: a key of a non-kana text is still a fair key.
    """
    return "".join(ch for ch in _to_full_katakana(as_text(value)) if not ch.isspace())
