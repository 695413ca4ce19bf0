"""Tests of bots.masking: no personal or account number in clear text, never an exception."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from bots.masking import (
    ACCOUNT_NO_MASK,
    MY_NUMBER_MASK,
    RECORD,
    UNMASKABLE,
    VALUE_MASK,
    SensitiveRecord,
    mask_account_no,
    mask_my_number,
    mask_values,
    protect_data,
    protect_keys,
    protect_values,
    scrub_text,
)


@pytest.fixture(autouse=True)
def nothing_recorded() -> Iterator[None]:
    """Each test starts from the built-in rule alone: values other tests of this process
    recorded (a 7-digit account number, a run's data) must not decide what these see."""
    with RECORD.isolated():
        yield


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


# --- the process-wide record (protect_keys / protect_values / protect_data) ---------------
# Values here are made up for these tests only: recording them in the process-wide record
# masks them for the rest of the test session, which no other test can notice.


def test_a_protected_value_is_masked_in_any_text_and_width() -> None:
    protect_values(["tk-Secret7", "ｶﾜｻｷ ﾖｼｵ"])
    assert scrub_text("login failed: password 'tk-Secret7'") == "login failed: password '****'"
    assert scrub_text("ｔｋ－Ｓｅｃｒｅｔ７ を入力") == "**** を入力"  # full-width form
    assert scrub_text("氏名 カワサキ　ヨシオ") == "氏名 ****"  # full-width kana and space
    assert scrub_text("氏名 ｶﾜｻｷ ﾖｼｵ。") == "氏名 ****。"


def test_a_protected_number_is_masked_without_a_label_but_not_inside_a_longer_number() -> None:
    protect_values(["5820193"])
    assert (
        scrub_text("Timeout: expected value '5820193' in #acc")
        == "Timeout: expected value '****' in #acc"
    )
    assert scrub_text("５８２０１９３") == VALUE_MASK
    assert scrub_text("receipt 95820193 and 58201934") == "receipt 95820193 and 58201934"
    assert scrub_text("a5820193b") == f"a{VALUE_MASK}b"


def test_short_values_are_not_recorded_and_masked_by_key_only() -> None:
    protect_values(["山田", "123", "", None, True, 12])  # type: ignore[list-item]
    assert scrub_text("山田 123 12") == "山田 123 12"
    assert "山田" not in RECORD.values() and "123" not in RECORD.values()


def test_protect_data_records_what_stands_under_sensitive_keys() -> None:
    protect_keys(["secret_word"])
    protect_data(
        {
            "applicant": {"name": "平野　光", "secret_word": "hirano-kotoba"},
            "bank": {"account_no": 4092871},  # an integer, as a spreadsheet gives it
            "children": [{"secret_word": "child-kotoba"}],
            "remarks": "not-recorded-remark",
        }
    )
    assert scrub_text("hirano-kotoba / child-kotoba / 4092871") == "**** / **** / ****"
    assert scrub_text("not-recorded-remark 平野　光") == "not-recorded-remark 平野　光"
    # the keys recorded by a recipe are masked by mask_values without being passed
    assert mask_values({"x": {"secret_word": "anything"}}) == {"x": {"secret_word": "****"}}
    assert mask_values({"n": 4092871, "m": 4092872}) == {"n": VALUE_MASK, "m": 4092872}


def test_mask_values_adds_the_given_keys_to_the_recorded_ones() -> None:
    masked = mask_values({"my_number": "123456789018", "phone": "090-1234-5678"}, {"phone"})
    assert masked == {"my_number": MY_NUMBER_MASK, "phone": VALUE_MASK}


def test_the_record_is_bounded_and_keeps_what_is_kept() -> None:
    record = SensitiveRecord(capacity=2)
    record.add_values(["cred-never-forgotten"], keep=True)
    record.add_values(["first-value", "second-value"])
    record.add_values(["first-value"])  # met again: now the most recent
    record.add_values(["third-value"])  # the least recently met goes
    assert record.values() == ["cred-never-forgotten", "first-value", "third-value"]
    text = "cred-never-forgotten first-value second-value third-value"
    assert record.scrub(text) == "**** **** second-value ****"


def test_the_longest_recorded_value_wins() -> None:
    record = SensitiveRecord()
    record.add_values(["abcd", "abcdefgh"])
    assert record.scrub("xabcdefghx abcdx") == "x****x ****x"


def test_renkei_errors_are_masked_when_made_and_when_shown() -> None:
    from bots.errors import CoreRejected, ScreenChanged

    protect_values(["err-Value-77"])
    error = CoreRejected("登録できません: err-Value-77", core_message="値 err-Value-77 は不正")
    assert error.reason == "登録できません: ****"
    assert error.core_message == "値 **** は不正"
    assert "err-Value-77" not in str(error) + repr(error)
    changed = ScreenChanged("claim", "account_no", "locator.fill('later-Value-88'): timeout")
    protect_values(["later-Value-88"])  # recorded after the error was made
    assert "later-Value-88" not in str(changed)


def test_the_operational_log_masks_messages_and_tracebacks() -> None:
    import io

    from loguru import logger

    from bots.cli.output import scrubbed_sink

    protect_values(["log-Secret-55"])
    stream = io.StringIO()
    sink = logger.add(scrubbed_sink(stream), level="DEBUG", diagnose=False)
    try:
        try:
            raise RuntimeError("fill('log-Secret-55') failed")
        except RuntimeError:
            logger.exception("処理中のエラー: {}", "log-Secret-55")
    finally:
        logger.remove(sink)
    text = stream.getvalue()
    assert "RuntimeError: fill('****') failed" in text  # the traceback's last line
    assert "処理中のエラー: ****" in text
    assert "log-Secret-55" not in text


def test_cli_errors_and_uncaught_tracebacks_are_masked(tmp_path: Any) -> None:
    import subprocess
    import sys

    from click.testing import CliRunner

    from bots.cli.main import cli

    protect_values(["cli-Secret-99"])
    env = {"RENKEI_DB": f"sqlite:///{tmp_path / 'm.db'}", "RENKEI_AUDIT_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        cli, ["review", "edit", "X", "--set", "cli-Secret-99", "--note", "n"], env=env
    )
    assert result.exit_code == 2
    assert "cli-Secret-99" not in result.output and "（****）" in result.output
    # an uncaught exception in a renkei process: its traceback is printed masked
    code = (
        "import sys; from bots.cli.output import mask_tracebacks; "
        "from bots.masking import protect_values; mask_tracebacks(); "
        "protect_values(['proc-Secret-42']); raise ValueError('proc-Secret-42')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "ValueError: ****" in done.stderr and "proc-Secret-42" not in done.stderr
