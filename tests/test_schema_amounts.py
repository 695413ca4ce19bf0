"""The rules between amounts and dates (``bots/schema/amounts.py``) and the 負担限度額 asset
limit, checked through an ``application:`` block as a recipe writes it — no browser.

The procedures' own tests key them (tests/procedures); here each boundary is pinned:
equal passes, one yen or one day over is reported with the numbers the clerk compares.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bots.recipe.yamlpos import load_located
from bots.schema.loading import Schema, load_schema
from bots.schema.model import ApplicationSpec

TODAY = date(2026, 12, 1)
BLOCK = """
items:
  insured:
    type: object
    label: 被保険者
    items:
      birth_date: {type: date, label: 生年月日}
  application_date: {type: date, label: 申請日}
  moved_in: {type: date, label: 転入日}
  stage: {label: 段階, choices: [第1段階, 第2段階, 第3段階①, 第3段階②]}
  savings: {type: integer, label: 預貯金等の合計}
  spouse:
    type: object
    label: 配偶者
    required: false
    items:
      savings: {type: integer, label: 預貯金等の合計}
  purchases:
    type: list
    label: 購入品目
    each:
      type: object
      items:
        price: {type: integer, label: 購入金額}
  total: {type: integer, label: 購入金額の合計}
  paid: {type: integer, label: 支払額}
  claimed: {type: integer, label: 支給申請額}
rules:
  - {rule: sum_equals, total: total, entries: purchases, amount: price}
  - {rule: not_more_than, item: claimed, than: paid}
  - {rule: within_days, item: application_date, after: moved_in, days: 14}
  - {rule: kaigo_asset_limit, stage: stage, savings: savings, spouse_savings: spouse.savings,
     birth: insured.birth_date, at: application_date}
"""

GOOD: dict[str, Any] = {
    "insured": {"birth_date": "1950-04-01"},
    "application_date": "2026-11-14",
    "moved_in": "2026-10-31",
    "stage": "第2段階",
    "savings": 6_500_000,
    "spouse": None,
    "purchases": [{"price": 12_000}, {"price": 30_500}],
    "total": 42_500,
    "paid": 42_500,
    "claimed": 42_500,
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    path: Path = tmp_path_factory.mktemp("amounts") / "application.yaml"
    path.write_text(BLOCK, encoding="utf-8")
    node = load_located(path)
    return load_schema(node, ApplicationSpec.model_validate(node), frozenset())


def problems(schema: Schema, **changes: Any) -> list[str]:
    data = {**GOOD, **changes}
    return [str(p) for p in schema.check(data, today=TODAY).problems]


def test_the_limits_themselves_pass(schema: Schema) -> None:
    assert problems(schema) == []
    assert problems(schema, spouse={"savings": 10_000_000}) == []  # 650万 + 1000万 = 1650万


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"total": 42_600},
            "購入金額の合計: 購入品目ごとの金額の合計（42,500円）と一致しません（42,600円）",
        ),
        ({"claimed": 42_501}, "支給申請額: 支払額（42,500円）を超えています（42,501円）"),
        (
            {"application_date": "2026-11-15"},
            "申請日: 転入日（2026-10-31）から14日を過ぎています（2026-11-15、15日後）",
        ),
        (
            {"application_date": "2026-10-30"},
            "申請日: 転入日（2026-10-31）より前の日付です（2026-10-30）",
        ),
        (
            {"savings": 6_500_001},
            "預貯金等の合計: 第2段階の預貯金等の上限（単身 650万円）を超えています"
            "（6,500,001円）。負担限度額認定の対象ではありません",
        ),
        (
            {"spouse": {"savings": 10_000_001}},
            "預貯金等の合計: 第2段階の預貯金等の上限（配偶者と合わせて 1,650万円）を超えています"
            "（本人 6,500,000円 ＋ 配偶者 10,000,001円 ＝ 16,500,001円）。"
            "負担限度額認定の対象ではありません",
        ),
        (
            # 第2号被保険者 (64歳): 1,000万円 whatever the 段階
            {"insured": {"birth_date": "1962-11-16"}, "savings": 10_000_001},
            "預貯金等の合計: 第2号被保険者の預貯金等の上限（単身 1,000万円）を超えています"
            "（10,000,001円）。負担限度額認定の対象ではありません",
        ),
    ],
)
def test_one_over_is_reported_with_the_numbers(
    schema: Schema, changes: dict[str, Any], message: str
) -> None:
    assert problems(schema, **changes) == [message]


def test_a_second_insured_under_the_limit_passes(schema: Schema) -> None:
    assert problems(schema, insured={"birth_date": "1962-11-16"}, savings=10_000_000) == []


def test_an_invalid_amount_is_reported_once(schema: Schema) -> None:
    found = problems(schema, purchases=[{"price": "千円"}, {"price": 30_500}])
    assert len(found) == 1 and found[0].startswith("購入品目1 購入金額:"), found


def test_a_group_given_when_it_must_not_be_is_named_not_printed(tmp_path: Path) -> None:
    path = tmp_path / "application.yaml"
    path.write_text(
        BLOCK.replace(
            "rules:\n",
            "rules:\n  - {rule: forbidden_if, item: spouse, when: stage, equals: [第1段階]}\n",
        ),
        encoding="utf-8",
    )
    node = load_located(path)
    schema = load_schema(node, ApplicationSpec.model_validate(node), frozenset())
    found = problems(schema, stage="第1段階", spouse={"savings": 100})
    assert found == ["配偶者: 段階が「第1段階」のときは入力できません"]
