"""The mock's data-built screens (``mock_core_ui/forms``): the specs hang together, the
vendor's checks say everything at once in screen order, and the manual is current.

Keying them through a browser is ``tests/test_e2e_procedures.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from mock_core_ui.forms import check
from mock_core_ui.forms.manual import PAGE, manual
from mock_core_ui.forms.spec import all_specs, load

TODAY = dt.date(2026, 12, 1)


def test_the_committed_manual_is_what_the_specs_generate() -> None:
    assert PAGE.read_text(encoding="utf-8") == manual(), (
        "docs/mock-core-forms.md is stale: run python -m mock_core_ui.forms.manual"
    )


def test_screen_ids_prefixes_and_menu_entries_are_unique() -> None:
    specs = list(all_specs().values())
    ids = Counter(i for s in specs for i in (s.screen_id, s.result_screen_id, s.inquiry_screen_id))
    assert [i for i, n in ids.items() if n > 1] == []
    assert len({s.receipt_prefix for s in specs}) == len(specs)
    menus = Counter((s.subsystem, s.menu) for s in specs)
    assert [m for m, n in menus.items() if n > 1] == []


@pytest.mark.parametrize("procedure", sorted(all_specs()))
def test_every_spec_ends_with_the_remarks_the_duplicate_check_reads(procedure: str) -> None:
    spec = all_specs()[procedure]
    remarks = spec.items[-1]
    assert (remarks.name, remarks.kind, remarks.required) == ("remarks", "textarea", False)


def test_an_empty_post_gets_every_message_in_screen_order_and_no_record() -> None:
    record, errors = check.validate(all_specs()["jidou_teate_genkyou"], {}, TODAY)
    assert record is None
    assert errors == [
        "届出年月日を入力してください。",
        "対象年度を入力してください。",
        "加入年金を選択してください。",
        "前年の所得額を入力してください。",
        "請求者の居住を選択してください。",
        "児童を1件以上入力してください。",
    ]


GOOD = {
    "todoke_date_era": "令和",
    "todoke_date_year": "8",
    "todoke_date_month": "6",
    "todoke_date_day": "1",
    "nendo": "2026",
    "nenkin": "2",
    "shotoku": "3200000",
    "kyojuu": "1",
    "children_name_1": "山田　花子",
    "children_birth_1_era": "平成",
    "children_birth_1_year": "30",
    "children_birth_1_month": "4",
    "children_birth_1_day": "2",
    "children_kango_1": "1",
}


def test_a_good_post_is_stored_in_the_vendors_terms() -> None:
    record, errors = check.validate(all_specs()["jidou_teate_genkyou"], GOOD, TODAY)
    assert errors == []
    assert record == {
        "todoke_date": dt.date(2026, 6, 1),
        "nendo": "2026",
        "nenkin": "2",
        "shotoku": 3_200_000,
        "kyojuu": "1",
        "children": [{"name": "山田　花子", "birth": dt.date(2018, 4, 2), "kango": "1"}],
        "remarks": None,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nendo": "26"}, "対象年度は半角数字4桁で入力してください。"),
        ({"shotoku": "１００"}, "前年の所得額は半角数字で入力してください。"),
        ({"shotoku": "100000000"}, "前年の所得額は0から99,999,999までの数値で入力してください。"),
        ({"nenkin": "9"}, "加入年金の選択が正しくありません。"),
        ({"todoke_date_year": "9"}, "届出年月日に未来の日付は入力できません。"),
        ({"todoke_date_month": "13"}, "届出年月日が正しくありません。"),
        ({"children_kango_1": ""}, "児童1の監護を選択してください。"),
        ({"remarks": "あ" * 201}, "備考は200文字以内で入力してください。"),
    ],
)
def test_each_vendor_check_names_the_item(changes: dict[str, str], message: str) -> None:
    record, errors = check.validate(all_specs()["jidou_teate_genkyou"], {**GOOD, **changes}, TODAY)
    assert (record, errors) == (None, [message])


def test_an_item_required_only_with_a_value_of_another() -> None:
    spec = all_specs()["kaigo_hihokenshashou"]
    post = {
        "shinsei_date_era": "令和",
        "shinsei_date_year": "8",
        "shinsei_date_month": "11",
        "shinsei_date_day": "20",
        "riyuu": "1",
        "koufu": "2",
    }
    assert check.validate(spec, post, TODAY)[1] == []
    assert check.validate(spec, {**post, "riyuu": "4"}, TODAY) == (
        None,
        ["その他の理由を入力してください。"],
    )


def test_a_broken_spec_is_named_when_it_is_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("procedure: x\nsubsystem: kosodate\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)forms/specs/broken.yaml: .*screen_id"):
        load(broken)
