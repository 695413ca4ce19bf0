"""Tests of bots.transforms: the values must be exactly what the core screens accept."""

from __future__ import annotations

from datetime import date

import pytest

from bots import transforms
from bots.transforms import (
    ERAS,
    TRANSFORMS,
    InvalidValue,
    UnknownTransform,
    Wareki,
    apply,
    check_digit,
    check_jis_x0208,
    from_wareki,
    get,
    is_valid_my_number,
    max_length,
    parse_wareki_text,
    to_wareki,
)
from bots.transforms.mynumber import with_check_digit


def t(name: str, value: object) -> object:
    return apply([name], value)


# --- registry ---------------------------------------------------------------------------


def test_registered_names() -> None:
    expected = {
        "strip",
        "digits",
        "zenkaku_space",
        "iso_date",
        "wareki_era",
        "wareki_year",
        "wareki_month",
        "wareki_day",
        "wareki_text",
        "date_digits",
        "date_slash",
        "katakana_zenkaku",
        "katakana_hankaku",
        "kana_compare_key",
        "jis_x0208",
        "my_number",
        "bank_code",
        "branch_code",
        "account_no",
        "account_type",
        "postal_code",
        "cohabitation",
        "relation",
    }
    assert expected <= set(TRANSFORMS)


def test_unknown_transform_suggests() -> None:
    with pytest.raises(KeyError) as info:
        get("wareki_yaer")
    assert isinstance(info.value, UnknownTransform)
    assert "did you mean 'wareki_year'" in str(info.value)
    assert info.value.suggestions[0] == "wareki_year"


def test_unknown_transform_without_suggestion() -> None:
    with pytest.raises(UnknownTransform) as info:
        get("completely_different")
    assert "did you mean" not in str(info.value)


def test_apply_resolves_all_names_first() -> None:
    calls: list[object] = []

    @transforms.register("_test_spy")
    def spy(value: object) -> object:
        calls.append(value)
        return value

    try:
        with pytest.raises(UnknownTransform):
            apply(["_test_spy", "katakana_zenkakku"], "x")
        assert calls == []
        assert apply(["strip", "_test_spy"], " a ") == "a"
    finally:
        del TRANSFORMS["_test_spy"]


def test_register_twice_is_an_error() -> None:
    with pytest.raises(ValueError):
        transforms.register("strip")(lambda v: v)


def test_apply_chains() -> None:
    assert apply(["strip", "katakana_zenkaku"], "  やまだ ﾀﾛｳ ") == "ヤマダ\u3000タロウ"
    assert apply([], "x") == "x"


# --- 和暦 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "text"),
    [
        ("1868-01-25", "明治元年1月25日"),
        ("1912-07-29", "明治45年7月29日"),
        ("1912-07-30", "大正元年7月30日"),
        ("1926-12-24", "大正15年12月24日"),
        ("1926-12-25", "昭和元年12月25日"),
        ("1985-04-01", "昭和60年4月1日"),
        ("1989-01-07", "昭和64年1月7日"),
        ("1989-01-08", "平成元年1月8日"),
        ("2019-04-30", "平成31年4月30日"),
        ("2019-05-01", "令和元年5月1日"),
        ("2026-11-20", "令和8年11月20日"),
    ],
)
def test_wareki_edges(iso: str, text: str) -> None:
    assert to_wareki(iso).text == text
    assert t("wareki_text", iso) == text
    assert to_wareki(date.fromisoformat(iso)).text == text
    assert parse_wareki_text(text).to_date() == date.fromisoformat(iso)
    w = to_wareki(iso)
    assert from_wareki(w.era, w.year, w.month, w.day) == date.fromisoformat(iso)


def test_wareki_parts() -> None:
    assert t("wareki_era", "2019-05-01") == "令和"
    assert t("wareki_year", "2019-05-01") == "1"
    assert t("wareki_month", "2019-05-01") == "5"
    assert t("wareki_day", "2019-05-01") == "1"
    assert t("wareki_year", "1985-04-01") == "60"
    assert t("wareki_month", date(1989, 1, 8)) == "1"
    assert to_wareki("1989-01-08") == Wareki("平成", 1, 1, 8)
    assert to_wareki("1989-01-08").year_text == "元"


def test_wareki_accepts_full_width_iso_and_wareki_text() -> None:
    assert t("wareki_text", "２０１９－０５－０１") == "令和元年5月1日"
    assert t("wareki_year", "令和元年5月1日") == "1"
    assert t("iso_date", "平成31年4月30日") == "2019-04-30"
    assert t("iso_date", "１９８９-０１-０８") == "1989-01-08"


def test_western_dates_in_the_shapes_core_screens_take() -> None:
    # 西暦8桁 and slashes, zero-padded, from whatever iso_date accepts
    assert t("date_digits", "2025-04-01") == "20250401"
    assert t("date_digits", date(2019, 5, 1)) == "20190501"
    assert t("date_digits", "２０２５－０４－０１") == "20250401"
    assert t("date_digits", "令和元年5月1日") == "20190501"
    assert t("date_slash", "2025-04-01") == "2025/04/01"


@pytest.mark.parametrize("value", ["20250401", "2025/04/01", "2025-02-30", ""])
def test_western_dates_refuse_what_is_not_an_iso_date(value: str) -> None:
    # an 8-digit date is what these produce, never what they guess from
    with pytest.raises(InvalidValue):
        t("date_digits", value)


def test_wareki_rejects_before_meiji() -> None:
    with pytest.raises(InvalidValue, match="明治より前"):
        to_wareki("1868-01-24")
    with pytest.raises(InvalidValue):
        t("wareki_era", "1800-01-01")


@pytest.mark.parametrize(
    "value", ["2019-02-30", "2019/05/01", "20190501", "", "昨日", "2019-13-01", None, True]
)
def test_wareki_rejects_bad_input(value: object) -> None:
    with pytest.raises(InvalidValue):
        t("wareki_text", value)


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "hint"),
    [
        ("平成", 31, 5, 1, "平成は31年4月30日まで"),
        ("令和", 1, 4, 30, "令和は元年5月1日から"),
        ("昭和", 65, 1, 1, "昭和は64年1月7日まで"),
        ("昭和", 64, 1, 8, "昭和は64年1月7日まで"),
        ("平成", 2, 2, 30, ""),
        ("令和", 0, 5, 1, ""),
        ("明治", 1, 1, 24, "明治は元年1月25日から"),
        ("大正", 15, 12, 25, "大正は15年12月24日まで"),
    ],
)
def test_from_wareki_rejects(era: str, year: int, month: int, day: int, hint: str) -> None:
    with pytest.raises(InvalidValue) as info:
        from_wareki(era, year, month, day)
    assert "存在しない日付です" in str(info.value)
    assert hint in str(info.value)


def test_from_wareki_message_is_clerk_readable() -> None:
    with pytest.raises(InvalidValue) as info:
        from_wareki("平成", 31, 5, 1)
    assert str(info.value) == "平成31年5月1日 は存在しない日付です（平成は31年4月30日まで）"


def test_from_wareki_accepts_strings_and_gannen() -> None:
    assert from_wareki("令和", "元", "5", "1") == date(2019, 5, 1)
    assert from_wareki("平成", "３１", "４", "３０") == date(2019, 4, 30)
    with pytest.raises(InvalidValue, match="元号"):
        from_wareki("慶応", 3, 1, 1)
    with pytest.raises(InvalidValue):
        from_wareki("令和", "x", 1, 1)


def test_parse_wareki_text() -> None:
    assert parse_wareki_text("令和元年5月1日") == Wareki("令和", 1, 5, 1)
    assert parse_wareki_text("昭和６０年４月１日") == Wareki("昭和", 60, 4, 1)
    assert parse_wareki_text("令和1年5月1日") == Wareki("令和", 1, 5, 1)
    with pytest.raises(InvalidValue):
        parse_wareki_text("平成31年5月1日")
    with pytest.raises(InvalidValue):
        parse_wareki_text("R1.5.1")


def test_eras_are_ordered() -> None:
    starts = [era.start for era in ERAS]
    assert starts == sorted(starts)
    assert [era.name for era in ERAS] == ["明治", "大正", "昭和", "平成", "令和"]


# --- カナ --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ヤマダ　タロウ", "ヤマダ\u3000タロウ"),
        ("やまだ たろう", "ヤマダ\u3000タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u3000タロウ"),
        ("ﾀﾞ", "ダ"),
        ("ﾊﾟｰｸ", "パーク"),
        ("  さとう　  ゆうこ ", "サトウ\u3000ユウコ"),
        ("ゔぃおら", "ヴィオラ"),
        ("キョウスケ", "キョウスケ"),
        ("カ\u3099", "ガ"),  # decomposed voiced mark
    ],
)
def test_katakana_zenkaku(given: str, expected: str) -> None:
    assert t("katakana_zenkaku", given) == expected
    assert t("katakana_zenkaku", expected) == expected  # idempotent


@pytest.mark.parametrize("bad", ["山田　太郎", "ジョン・スミス", "ヤマダ1", "YAMADA", "ヷ"])
def test_katakana_zenkaku_rejects(bad: str) -> None:
    with pytest.raises(InvalidValue, match="全角カタカナに変換できない文字があります"):
        t("katakana_zenkaku", bad)


def test_katakana_zenkaku_names_the_characters() -> None:
    with pytest.raises(InvalidValue) as info:
        t("katakana_zenkaku", "山田　タロウ")
    assert str(info.value) == "全角カタカナに変換できない文字があります（山、田）"


@pytest.mark.parametrize("empty", ["", "   ", "\u3000", None])
def test_katakana_rejects_empty(empty: object) -> None:
    with pytest.raises(InvalidValue):
        t("katakana_zenkaku", empty)
    with pytest.raises(InvalidValue):
        t("katakana_hankaku", empty)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ﾔﾏﾀﾞ  ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("パーク", "ﾊﾟｰｸ"),
        ("カ）ツクバ（ド．－", "ｶ)ﾂｸﾊﾞ(ﾄﾞ.-"),
        ("キョウスケ", "ｷｮｳｽｹ"),
    ],
)
def test_katakana_hankaku(given: str, expected: str) -> None:
    assert t("katakana_hankaku", given) == expected
    assert t("katakana_hankaku", expected) == expected


@pytest.mark.parametrize("bad", ["山田", "ヶ", "ヤマダ・タロウ", "ﾔﾏﾀﾞ1"])
def test_katakana_hankaku_rejects(bad: str) -> None:
    with pytest.raises(InvalidValue, match="半角カタカナに変換できない文字があります"):
        t("katakana_hankaku", bad)


def test_kana_round_trip() -> None:
    for kana in ["ヤマダ\u3000タロウ", "ジョウ\u3000ヴィクトル", "サトウ\u3000ユウコ"]:
        assert t("katakana_zenkaku", t("katakana_hankaku", kana)) == kana


def test_kana_compare_key() -> None:
    key = t("kana_compare_key", "ヤマダ　タロウ")
    assert key == "ヤマダタロウ"
    assert t("kana_compare_key", "やまだ たろう") == key
    assert t("kana_compare_key", "ﾔﾏﾀﾞ ﾀﾛｳ") == key
    # small kana and voiced marks are kept: they can mean a different person.
    assert t("kana_compare_key", "キヨウ") != t("kana_compare_key", "キョウ")
    assert t("kana_compare_key", "ハシ") != t("kana_compare_key", "バシ")


# --- text ------------------------------------------------------------------------------


def test_digits() -> None:
    assert t("digits", "０１２３") == "0123"
    assert t("digits", " 42 ") == "42"
    assert t("digits", 42) == "42"
    for bad in ["12-34", "12 34", "", "1a", "①"]:
        with pytest.raises(InvalidValue):
            t("digits", bad)


def test_strip_and_zenkaku_space() -> None:
    assert t("strip", "\u3000山田 ") == "山田"
    assert t("zenkaku_space", " 山田  太郎 ") == "山田\u3000太郎"
    assert t("zenkaku_space", "山田\u3000太郎") == "山田\u3000太郎"


def test_non_text_is_rejected() -> None:
    for bad in [None, True, 1.5, [], {}]:
        with pytest.raises(InvalidValue):
            t("strip", bad)


# --- JIS X 0208 --------------------------------------------------------------------------


@pytest.mark.parametrize("ok", ["高橋", "吉田", "渡邊", "齋藤", "ヤマダ　タロウ", "ﾔﾏﾀﾞ", "abc-123"])
def test_jis_accepts(ok: str) -> None:
    check_jis_x0208(ok)
    assert t("jis_x0208", ok) == ok


@pytest.mark.parametrize(
    ("bad", "shown"),
    [("髙橋", "髙"), ("𠮷田", "𠮷"), ("髙𠮷", "髙、𠮷"), ("①", "①"), ("﨑", "﨑")],
)
def test_jis_rejects(bad: str, shown: str) -> None:
    with pytest.raises(InvalidValue) as info:
        t("jis_x0208", bad)
    assert f"（{shown}）" in str(info.value)


def test_max_length() -> None:
    check = max_length(3)
    assert check("𠮷田太") == "𠮷田太"
    with pytest.raises(InvalidValue, match="3文字以内"):
        check("ﾀﾞﾛｳ")


# --- 個人番号 ---------------------------------------------------------------------------


def test_check_digit_example() -> None:
    assert check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")


def test_check_digit_by_hand() -> None:
    # 00000000001: P(1)=1, Q(1)=2 → r=2 → 11-2 = 9
    assert check_digit("00000000001") == 9
    # 10000000000: P(11)=1, Q(11)=6 → r=6 → 5
    assert check_digit("10000000000") == 5
    # 00000000000: r=0 → 0; 00000100000: P(6)=1, Q(6)=7 → 4
    assert check_digit("00000000000") == 0
    assert check_digit("00000100000") == 4
    # 01000000000: P(10)=1, Q(10)=5 → r=5 → 6; 00000000050: P(2)=5,Q=3 → 15%11=4 → 7
    assert check_digit("01000000000") == 6
    assert check_digit("00000000050") == 7
    # r = 1 gives 0: 00000020000 → P(5)=2, Q(5)=6 → 12 % 11 = 1 → 0
    assert check_digit("00000020000") == 0


def test_with_check_digit_is_valid() -> None:
    for first11 in ["98765432109", "11111111111", "20261120000"]:
        assert is_valid_my_number(with_check_digit(first11))


def test_check_digit_rejects_bad_input() -> None:
    for bad in ["1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１"]:
        with pytest.raises(InvalidValue):
            check_digit(bad)


def test_is_valid_my_number_is_strict_and_total() -> None:
    assert not is_valid_my_number("123456789019")
    assert not is_valid_my_number("1234 5678 9018")
    assert not is_valid_my_number("１２３４５６７８９０１８")
    assert not is_valid_my_number(123456789018)
    assert not is_valid_my_number(None)


@pytest.mark.parametrize(
    "given", ["123456789018", "１２３４５６７８９０１８", "1234 5678 9018", "1234-5678-9018"]
)
def test_my_number_transform(given: str) -> None:
    assert t("my_number", given) == "123456789018"


def test_my_number_transform_rejects_without_leaking() -> None:
    with pytest.raises(InvalidValue) as info:
        t("my_number", "123456789019")
    assert str(info.value) == "個人番号の検査用数字が一致しません"
    assert "123456789019" not in str(info.value)
    with pytest.raises(InvalidValue, match="個人番号は12桁の数字です"):
        t("my_number", "12345678901")
    with pytest.raises(InvalidValue, match="個人番号は12桁の数字です"):
        t("my_number", "12345678901x")
    with pytest.raises(InvalidValue):
        t("my_number", "")


# --- 口座・郵便番号 -----------------------------------------------------------------------


def test_bank_fields() -> None:
    assert t("bank_code", "0130") == "0130"
    assert t("bank_code", "０１３０") == "0130"
    assert t("branch_code", "018") == "018"
    assert t("account_no", "0123456") == "0123456"
    assert t("account_no", "１２３４５６７") == "1234567"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("account_no", "123456", "口座番号は7桁です（6桁）"),
        ("account_no", "12345678", "口座番号は7桁です（8桁）"),
        ("account_no", 123456, "口座番号は7桁です（6桁）"),
        ("bank_code", "130", "金融機関コードは4桁です（3桁）"),
        ("branch_code", "0018", "支店コードは3桁です（4桁）"),
        ("branch_code", "01a", "支店コードに数字以外の文字があります（a）"),
        ("account_no", "", "口座番号が入力されていません"),
    ],
)
def test_bank_fields_reject(name: str, value: object, message: str) -> None:
    with pytest.raises(InvalidValue) as info:
        t(name, value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("普通", "普通"),
        ("当座", "当座"),
        ("普通預金", "普通"),
        ("1", "普通"),
        (1, "普通"),
        ("２", "当座"),
        ("Ordinary", "普通"),
        ("checking", "当座"),
    ],
)
def test_account_type(given: object, expected: str) -> None:
    assert t("account_type", given) == expected


@pytest.mark.parametrize("bad", ["貯蓄", "4", "", "savings"])
def test_account_type_rejects(bad: str) -> None:
    with pytest.raises(InvalidValue, match="預金種別は普通または当座です"):
        t("account_type", bad)


@pytest.mark.parametrize(
    "given", ["305-0031", "3050031", "３０５－００３１", "〒305-0031", "305ー0031", " 305-0031 "]
)
def test_postal_code(given: str) -> None:
    assert t("postal_code", given) == "305-0031"


@pytest.mark.parametrize("bad", ["305-003", "30500311", "305-00a1", "", "3O5-0031"])
def test_postal_code_rejects(bad: str) -> None:
    with pytest.raises(InvalidValue, match="郵便番号は7桁の数字です"):
        t("postal_code", bad)


# --- select options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (True, "同居"),
        (False, "別居"),
        ("同居", "同居"),
        ("別居", "別居"),
        ("true", "同居"),
        (0, "別居"),
    ],
)
def test_cohabitation(given: object, expected: str) -> None:
    assert t("cohabitation", given) == expected


@pytest.mark.parametrize("bad", [None, "", "maybe", 2])
def test_cohabitation_rejects(bad: object) -> None:
    with pytest.raises(InvalidValue):
        t("cohabitation", bad)


def test_relation() -> None:
    assert t("relation", " 子 ") == "子"
    assert t("relation", "その他") == "その他"
    with pytest.raises(InvalidValue, match="続柄は子・孫・その他のいずれかです（長男）"):
        t("relation", "長男")


def test_transforms_never_return_none() -> None:
    """Every transform answers a plain string or raises InvalidValue, also for junk."""
    junk: list[object] = [None, "", " ", "？", 0, -1, 3.5, b"x", object()]
    for name, func in TRANSFORMS.items():
        for value in junk:
            try:
                result = func(value)
            except InvalidValue:
                continue
            assert isinstance(result, str), (name, value)
