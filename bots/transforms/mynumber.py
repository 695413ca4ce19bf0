"""個人番号 (My Number): 12 digits, the last a check digit.

Check digit (番号法施行令 第8条): with P(n) the n-th digit counted from the right of the
first 11 digits and Q(n) = n + 1 for n ≤ 6, n − 5 for n ≥ 7,
r = Σ P(n)·Q(n) mod 11, and the check digit is 0 if r ≤ 1, else 11 − r.

The number is the most sensitive value the bot handles: no message of this module
repeats it, so errors can be logged as they are.
"""

from __future__ import annotations

import re

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, half_digits, remove_separators

_ELEVEN = re.compile(r"[0-9]{11}")
_TWELVE = re.compile(r"[0-9]{12}")


def check_digit(first11: str) -> int:
    """The check digit of the first 11 digits (half-width) of a personal number."""
    if not isinstance(first11, str) or not _ELEVEN.fullmatch(first11):
        raise InvalidValue("個人番号の検査用数字の計算には11桁の数字が必要です")
    total = 0
    for n, ch in enumerate(reversed(first11), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(ch) * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def with_check_digit(first11: str) -> str:
    """The full 12-digit number for 11 digits (for test and demo data)."""
    return first11 + str(check_digit(first11))


def is_valid_my_number(value: object) -> bool:
    """True for exactly 12 half-width digits with a matching check digit; never raises.

    Strict on purpose: this is the check of a value about to be keyed. Normalise form
    input with the ``my_number`` transform first.
    """
    if not isinstance(value, str) or not _TWELVE.fullmatch(value):
        return False
    return check_digit(value[:11]) == int(value[11])


@register("my_number")
def my_number(value: object) -> str:
    """12 half-width digits from the form's value (full-width digits, spaces, hyphens ok)."""
    text = remove_separators(half_digits(as_text(value)))
    if not text:
        raise InvalidValue("個人番号が入力されていません")
    if not text.isascii() or not text.isdigit():
        raise InvalidValue("個人番号は12桁の数字です（数字以外の文字があります）")
    if len(text) != 12:
        raise InvalidValue(f"個人番号は12桁の数字です（{len(text)}桁）")
    if not is_valid_my_number(text):
        raise InvalidValue("個人番号の検査用数字が一致しません")
    return text
