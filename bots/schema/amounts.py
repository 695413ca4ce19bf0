"""Generic rules between amounts and between dates, registered by name.

Forms of 介護 and 子育て carry receipts and totals (福祉用具購入費: the items bought and their
sum; 住宅改修費: the cost and the amount claimed) and deadlines (転居後の認定申請は14日以内).
A clerk checks that the total is the sum, that no one claims more than they paid, and that a
date lies within its period; these rules say so once for every recipe.
"""

from __future__ import annotations

from typing import Any

from bots.schema.rules import Facts, Rule, register


def _number(facts: Facts, path: str) -> int | None:
    """An integer item's checked value; None when missing or invalid (its own check said so)."""
    value: Any = facts.value(path)
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _yen(amount: int) -> str:
    return f"{amount:,}円"


@register
class SumEquals(Rule):
    """``{rule: sum_equals, total: total_amount, entries: items, amount: price}`` — the
    total the form states is the sum of the entries' amounts (福祉用具: 購入金額の合計).

    A total that differs is a typing mistake on one side; the clerk must look at the
    receipt rather than the bot picking one. Entries whose amount is missing or invalid are
    left to their own check (the sum is not compared then).
    """

    name = "sum_equals"
    paths = ("total", "entries")
    entry_paths = {"amount": ("entries",)}
    total: str
    entries: str
    amount: str

    def check(self, facts: Facts) -> None:
        total = _number(facts, self.total)
        amounts = [_number(facts, f"{e}.{self.amount}") for e in facts.entries(self.entries)]
        if total is None or not amounts or any(a is None for a in amounts):
            return
        computed = sum(a for a in amounts if a is not None)
        if computed != total:
            facts.problem(
                self.total,
                f"{facts.label(self.entries)}ごとの金額の合計（{_yen(computed)}）と一致しません"
                f"（{_yen(total)}）",
            )


@register
class NotMoreThan(Rule):
    """``{rule: not_more_than, item: claimed, than: paid}`` — the number X is at most the
    number Y (支給申請額 ≤ 支払った費用: no one is paid back more than they paid)."""

    name = "not_more_than"
    paths = ("item", "than")
    item: str
    than: str

    def check(self, facts: Facts) -> None:
        value, limit = _number(facts, self.item), _number(facts, self.than)
        if value is None or limit is None or value <= limit:
            return
        facts.problem(
            self.item,
            f"{facts.label(self.than)}（{_yen(limit)}）を超えています（{_yen(value)}）",
        )


@register
class WithinDays(Rule):
    """``{rule: within_days, item: application_date, after: moved_in, days: 14}`` — the date
    X lies on or after the date Y and at most ``days`` days later (転入後14日以内の申請).

    A date before Y is reported too: it is the wrong order, not an early application.
    """

    name = "within_days"
    paths = ("item", "after")
    item: str
    after: str
    days: int

    def check(self, facts: Facts) -> None:
        day, start = facts.date(self.item), facts.date(self.after)
        if day is None or start is None:
            return
        if day < start:
            facts.problem(
                self.item,
                f"{facts.label(self.after)}（{start.isoformat()}）より前の日付です（{day.isoformat()}）",
            )
        elif (day - start).days > self.days:
            facts.problem(
                self.item,
                f"{facts.label(self.after)}（{start.isoformat()}）から{self.days}日を過ぎています"
                f"（{day.isoformat()}、{(day - start).days}日後）",
            )
