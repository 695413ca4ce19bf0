"""児童手当 受給事由消滅届: a 受給者 of the 児童手当 demo stops receiving it (転出, 公務員,
死亡 reported by the family, no longer looking after the 児童)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "jidou_teate_shoumetsu"
PREFIX = "JS"
PEOPLE = "kosodate"
RECEIVED = "notification_date"

FULL_SPACE = "\u3000"
REASONS = ("市外転出", "公務員になった", "受給者の死亡", "児童を監護しなくなった")
DESTINATIONS = (
    ("300-0043", "茨城県土浦市中央2丁目5番8号"),
    ("310-0011", "茨城県水戸市三の丸1丁目3番2号"),
    ("302-0024", "茨城県取手市新町4丁目12番1号"),
    ("101-0051", "東京都千代田区神田神保町2丁目20番"),
    ("270-0034", "千葉県松戸市新松戸3丁目7番5号　ハイツ新松戸203号室"),
)
EMPLOYERS = ("茨城県教育委員会", "茨城県警察本部", "国土交通省国土地理院", "文部科学省")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """The first four people cover the four common 事由; the rest mostly move away."""
    reason = REASONS[i % 4] if i < 4 else rng.choices(REASONS, weights=(6, 2, 1, 2))[0]
    notified = date(2026, rng.randint(2, 10), rng.randint(1, 28))
    if reason == "市外転出":  # 転出予定日: the 届出 comes before the move, or soon after
        end = notified + timedelta(days=rng.randint(-7, 14))
    else:
        end = notified - timedelta(days=rng.randint(0, 14))
    data: dict[str, Any] = {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "notification_date": notified.isoformat(),
        "reason": reason,
        "end_date": end.isoformat(),
        "remarks": "",
    }
    if reason == "市外転出":
        postal, address = rng.choice(DESTINATIONS)
        data["destination"] = {"postal_code": postal, "address": address}
    elif reason == "公務員になった":
        data["employer"] = rng.choice(EMPLOYERS)
    elif reason == "受給者の死亡":
        spouse = household.get("spouse")
        if spouse is not None:
            notifier = {"name": spouse["name"].replace(" ", FULL_SPACE), "relation": "配偶者"}
        else:
            family = person["name"].split(FULL_SPACE)[0]
            notifier = {"name": f"{family}{FULL_SPACE}正雄", "relation": "父母"}
        data["notifier"] = notifier
    return data
