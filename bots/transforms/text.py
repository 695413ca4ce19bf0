"""Plain text helpers shared by the transforms, and the simplest registered ones.

Online forms deliver what people type: full-width digits from a Japanese IME, stray
spaces, hyphens of half a dozen kinds. Core screens take half-width digits in numeric
fields. These helpers do the normalising that every other transform needs, in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import jaconv

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register

#: Characters people use as a hyphen between digit groups (ASCII, Unicode dashes and
#: minus signs, full-width hyphen-minus, and the katakana prolonged sound marks an IME
#: produces when the user types "-" in kana mode).
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\uff70\u30fc"

_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"\s+")


def as_text(value: object) -> str:
    """Return ``value`` as a string, or raise :class:`InvalidValue` when it is not text.

    Integers are accepted because JSON forms sometimes carry numbers as numbers; booleans
    are not (``True`` is an int in Python, but never a meaningful field value here).
    """
    if value is None:
        raise InvalidValue("値が入力されていません")
    if isinstance(value, bool):
        raise InvalidValue(f"文字として扱えない値です（{value}）")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise InvalidValue(f"文字として扱えない値です（{type(value).__name__}）")


def half_digits(text: str) -> str:
    """Full-width digits (０-９) to half-width; everything else unchanged."""
    return str(jaconv.z2h(text, kana=False, ascii=False, digit=True))


def half_ascii(text: str) -> str:
    """Full-width digits, Latin letters, symbols and the ideographic space to half-width."""
    return str(jaconv.z2h(text, kana=False, ascii=True, digit=True))


def remove_separators(text: str) -> str:
    """Drop spaces (half and full width) and hyphen-like characters."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in DASHES)


def show_chars(chars: Iterable[str]) -> str:
    """The distinct characters of ``chars`` in order, for a message (``髙、𠮷``).

    Invisible characters (controls, unusual spaces) are shown as ``U+XXXX`` so the clerk
    can see that something is there.
    """
    seen: list[str] = []
    for ch in chars:
        if ch not in seen:
            seen.append(ch)
    shown = []
    for ch in seen:
        if ch == " ":
            shown.append("半角スペース")
        elif not ch.isprintable() or unicodedata.category(ch).startswith("Z"):
            shown.append(f"U+{ord(ch):04X}")
        else:
            shown.append(ch)
    return "、".join(shown)


def require_digits(text: str, what: str | None = None) -> str:
    """Normalise full-width digits and require that only half-width digits remain.

    ``what`` names the item in the message when the caller knows it (支店コード); without
    it the message is about the value only (the caller puts the item's label in front).
    """
    text = half_digits(text.strip())
    if not text:
        raise InvalidValue(f"{what}が入力されていません" if what else "値が入力されていません")
    if not _DIGITS.fullmatch(text):
        bad = show_chars(ch for ch in text if not "0" <= ch <= "9")
        raise InvalidValue(
            f"{what}に数字以外の文字があります（{bad}）"
            if what
            else f"数字以外の文字があります（{bad}）"
        )
    return text


@register("strip")
def strip(value: object) -> str:
    """Remove leading and trailing spaces, including the full-width space."""
    return as_text(value).strip()


@register("digits")
def digits(value: object) -> str:
    """Full-width digits to half-width; only digits may remain (hyphens are not removed).

    Numeric fields of the core screens take half-width digits only. Hyphens are kept out
    of this transform on purpose: whether ``12-34`` means ``1234`` depends on the field, so
    the field's own transform (``my_number``, ``postal_code``) decides that.
    """
    return require_digits(as_text(value))


@register("half_width")
def half_width(value: object) -> str:
    """Full-width digits, Latin letters and symbols to half-width, ends stripped.

    For items the core screen takes in half-width (電話番号 ０２９－８５１ → 029-851); kana
    are left alone (they have their own transforms).
    """
    return half_ascii(as_text(value)).replace("\u30fc", "-").replace("\uff70", "-").strip()


@register("zenkaku_space")
def zenkaku_space(value: object) -> str:
    """Collapse any run of spaces into one full-width space and strip the ends.

    Names on core screens separate family and given name with one full-width space; forms
    deliver half-width spaces, double spaces or tabs.
    """
    return _SPACES.sub("\u3000", as_text(value).strip())
