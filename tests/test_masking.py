"""Tests of bots.masking: no personal or account number in clear text, never an exception."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from bots.masking import (
    ACCOUNT_NO_MASK,
    MY_NUMBER_MASK,
    UNMASKABLE,
    mask_account_no,
    mask_my_number,
    mask_values,
    scrub_text,
)


def test_mask_my_number() -> None:
    assert mask_my_number("123456789018") == "************"
    assert mask_my_number("1234") == "************"  # fixed length: nothing leaks
    assert mask_my_number(123456789018) == "************"
    assert mask_my_number(None) == ""
    assert mask_my_number("") == ""


def test_mask_account_no() -> None:
    assert mask_account_no("1234567") == "*******"
    assert mask_account_no(1234567) == "*******"
    assert mask_account_no("123") == "*******"
    assert mask_account_no(None) == ""


@pytest.mark.parametrize(
    "number",
    [
        "123456789018",
        "１２３４５６７８９０１８",
        "1234-5678-9018",
        "1234 5678 9018",
        "1234\u30005678\u30009018",
        "１２３４－５６７８－９０１８",
        "123456789019",  # a wrong check digit is still a personal number
    ],
)
def test_scrub_personal_numbers(number: str) -> None:
    text = f"個人番号 {number} を確認しました"
    assert scrub_text(text) == f"個人番号 {MY_NUMBER_MASK} を確認しました"
    assert scrub_text(f"{number}") == MY_NUMBER_MASK
    assert scrub_text(f"x={number}.") == f"x={MY_NUMBER_MASK}."


@pytest.mark.parametrize(
    "text",
    [
        "1234567890123",  # 13 digits: not a personal number
        "12345678901",  # 11 digits
        "宛名番号 0000100001",
        "受付番号 JT00000012",
        "〒305-0031 茨城県つくば市吾妻1丁目",
        "2026-11-20 10:15:00",
        "電話 029-861-1234",
    ],
)
def test_scrub_leaves_other_numbers(text: str) -> None:
    assert scrub_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("口座番号 1234567", "口座番号 *******"),
        ("口座番号：１２３４５６７", "口座番号：*******"),
        ("口座番号（7桁）: 0123456", "口座番号（7桁）: *******"),
        ("口座 0130-123-1234567", "口座 0130-123-*******"),
        ("{'account_no': '1234567'}", "{'account_no': '*******'}"),
        ('{"Account_No": "7654321"}', '{"Account_No": "*******"}'),
        ("account number 1234567", "account number *******"),
        ("口座番号 123456 は6桁です", "口座番号 ******* は6桁です"),
    ],
)
def test_scrub_account_numbers(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_scrub_does_not_mask_unlabelled_seven_digits() -> None:
    assert scrub_text("整理番号 1234567") == "整理番号 1234567"
    assert scrub_text("口座番号は7桁です（6桁）") == "口座番号は7桁です（6桁）"


def test_scrub_dict_repr() -> None:
    data = {"my_number": "123456789018", "bank": {"account_no": "1234567", "bank_code": "0130"}}
    text = scrub_text(repr(data))
    assert "123456789018" not in text
    assert "1234567" not in text
    assert "0130" in text


@pytest.mark.parametrize("odd", [None, 123456789018, 1.5, b"123456789018", object(), ["x"]])
def test_scrub_never_raises(odd: object) -> None:
    assert isinstance(scrub_text(odd), str)
    assert "123456789018" not in scrub_text(odd)


def test_scrub_survives_broken_str() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert scrub_text(Broken()) == "<Broken>"


def _application() -> dict[str, Any]:
    return {
        "applicant": {"name": "山田\u3000太郎", "my_number": "123456789018", "phone": "090"},
        "children": [{"name": "山田\u3000花子", "birth_date": "2019-05-01"}],
        "bank": {"bank_code": "0130", "account_no": "0123456", "account_type": "普通"},
        "remarks": "前回の個人番号 1234-5678-9018 は誤り",
        "spouse": None,
    }


def test_mask_values_masks_keys_and_copies() -> None:
    original = _application()
    masked = mask_values(original, {"my_number", "account_no"})
    assert masked["applicant"]["my_number"] == MY_NUMBER_MASK
    assert masked["bank"]["account_no"] == ACCOUNT_NO_MASK
    assert masked["bank"]["bank_code"] == "0130"
    assert masked["applicant"]["name"] == "山田\u3000太郎"
    assert masked["children"][0]["birth_date"] == "2019-05-01"
    assert masked["remarks"] == f"前回の個人番号 {MY_NUMBER_MASK} は誤り"
    assert masked["spouse"] is None
    # a deep copy: the original is untouched
    assert original == _application()
    assert masked["children"] is not original["children"]


def test_mask_values_default_keys_case_insensitive() -> None:
    masked = mask_values({"My_Number": "123456789018", "口座番号": "1234567", "x": 1})
    assert masked == {"My_Number": MY_NUMBER_MASK, "口座番号": ACCOUNT_NO_MASK, "x": 1}


def test_mask_values_keeps_none_and_masks_other_keys() -> None:
    masked = mask_values({"my_number": None, "phone": "090-1234-5678"}, {"my_number", "phone"})
    assert masked == {"my_number": None, "phone": "****"}


def test_mask_values_sensitive_container() -> None:
    masked = mask_values({"bank": {"account_no": "1234567", "code": "0130"}}, {"bank"})
    assert masked == {"bank": {"account_no": "****", "code": "****"}}


def test_mask_values_without_scrub() -> None:
    masked = mask_values({"remarks": "123456789018"}, {"my_number"}, scrub=False)
    assert masked == {"remarks": "123456789018"}


def test_mask_values_odd_input() -> None:
    assert mask_values(None) is None
    assert mask_values(42) == 42
    assert mask_values("個人番号 123456789018") == f"個人番号 {MY_NUMBER_MASK}"
    assert mask_values([{"my_number": 123456789018}]) == [{"my_number": MY_NUMBER_MASK}]
    assert mask_values({"n": 123456789018}) == {"n": MY_NUMBER_MASK}
    assert mask_values(({"account_no": "1"},)) == ({"account_no": ACCOUNT_NO_MASK},)
    assert mask_values({"d": date(2026, 1, 1)}) == {"d": date(2026, 1, 1)}
    assert mask_values({1: "x", None: "y"}) == {1: "x", None: "y"}


def test_mask_values_cycle() -> None:
    data: dict[str, Any] = {"my_number": "123456789018"}
    data["self"] = data
    masked = mask_values(data)
    assert masked["my_number"] == MY_NUMBER_MASK
    assert masked["self"] == "<循環参照>"


def test_mask_values_dataclass() -> None:
    @dataclasses.dataclass
    class Applicant:
        name: str
        my_number: str

    masked = mask_values({"a": Applicant("山田", "123456789018")})
    assert masked == {"a": {"name": "山田", "my_number": MY_NUMBER_MASK}}


def test_mask_values_never_raises_on_bad_keys() -> None:
    masked = mask_values({"my_number": "1"}, None)  # type: ignore[arg-type]
    assert masked == {"my_number": MY_NUMBER_MASK}


def test_mask_values_never_raises_on_broken_model() -> None:
    class Model:
        def model_dump(self) -> dict[str, str]:
            raise RuntimeError("broken")

    assert mask_values({"m": Model()}) == UNMASKABLE
