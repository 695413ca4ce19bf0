"""郵便番号: ``NNN-NNNN``."""

from __future__ import annotations

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, half_digits, remove_separators


@register("postal_code")
def postal_code(value: object) -> str:
    """``NNN-NNNN`` from 7 digits, with or without a hyphen, full-width or with ``〒``."""
    raw = as_text(value)
    shown = half_digits(raw).strip().removeprefix("〒").strip()
    text = remove_separators(shown)
    hyphen = len(shown) != len(text)  # a separator stands where 3 digits end, or nowhere
    if (
        len(text) != 7
        or not text.isascii()
        or not text.isdigit()
        or (hyphen and len(shown) != 8)
        or (hyphen and shown[3].isdigit())
    ):
        raise InvalidValue(f"郵便番号は7桁の数字です（{raw.strip()}）")
    return f"{text[:3]}-{text[3:]}"
