"""口座: 金融機関コード 4 digits, 支店コード 3 digits, 預金種別, 口座番号 7 digits.

No zero padding: a 6-digit account number is not silently made into 7 digits. Banks do
pad short account numbers with leading zeros, but a form value one digit short is as
likely a dropped digit as an unpadded number, and a payment to the wrong account is
expensive to undo. A person checks it.

Whether a bank code exists is the core system's bank master's business, not checked here.
"""

from __future__ import annotations

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, half_ascii, require_digits


def _fixed_digits(value: object, width: int, what: str) -> str:
    text = require_digits(as_text(value), what)
    if len(text) != width:
        raise InvalidValue(f"{what}は{width}桁です（{len(text)}桁）")
    return text


@register("bank_code")
def bank_code(value: object) -> str:
    """金融機関コード: exactly 4 digits (full-width digits normalised)."""
    return _fixed_digits(value, 4, "金融機関コード")


@register("branch_code")
def branch_code(value: object) -> str:
    """支店コード: exactly 3 digits."""
    return _fixed_digits(value, 3, "支店コード")


@register("account_no")
def account_no(value: object) -> str:
    """口座番号: exactly 7 digits; a shorter number is reported, not zero-padded."""
    return _fixed_digits(value, 7, "口座番号")


ACCOUNT_TYPES: dict[str, str] = {
    "普通": "普通",
    "普通預金": "普通",
    "1": "普通",
    "ordinary": "普通",
    "当座": "当座",
    "当座預金": "当座",
    "2": "当座",
    "checking": "当座",
    "current": "当座",
}


@register("account_type")
def account_type(value: object) -> str:
    """預金種別 as the core select shows it: ``普通`` or ``当座``.

    Also accepts the 全銀 codes 1/2 and the English words forms use.
    """
    text = half_ascii(as_text(value)).strip()
    try:
        return ACCOUNT_TYPES[text.lower()]
    except KeyError:
        raise InvalidValue(f"預金種別は普通または当座です（{text}）") from None
