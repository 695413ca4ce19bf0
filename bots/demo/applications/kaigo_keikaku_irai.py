"""居宅サービス計画作成依頼の届出: the 介護 demo's insured name the office making their plan."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_keikaku_irai"
PREFIX = "KP"
PEOPLE = "kaigo"
RECEIVED = "notification_date"

#: 居宅介護支援事業所 (居宅サービス計画) and 地域包括支援センター (介護予防サービス計画):
#: 事業所番号, 名称, 所在地, 電話番号
KYOTAKU = (
    (
        "0870100123",
        "つくば市社会福祉協議会居宅介護支援事業所",
        "茨城県つくば市筑穂1丁目10番地4",
        "029-879-5500",
    ),
    ("0870100456", "ケアプランセンターさくら", "茨城県つくば市竹園2丁目7番地1", "029-851-2231"),
    ("0870100789", "居宅介護支援事業所あおば", "茨城県つくば市研究学園5丁目12番地", "029-869-0712"),
)
HOUKATSU = (
    (
        "0800100011",
        "つくば市地域包括支援センター",
        "茨城県つくば市研究学園1丁目1番地1",
        "029-883-1111",
    ),
    ("0800100029", "谷田部地域包括支援センター", "茨城県つくば市谷田部1999番地", "029-836-1110"),
)
MANAGERS = ("田中\u3000智子", "渡辺\u3000直樹", "伊藤\u3000由美", "中村\u3000修", "小川\u3000沙織")
CHANGE_REASONS = (
    "担当介護支援専門員の退職のため",
    "施設から自宅に戻り、自宅近くの事業所に変更するため",
    "本人・家族の希望による",
)
TO_KAIGO = "要支援から要介護に変わったため（地域包括支援センターから居宅介護支援事業所へ）"
LEVELS_SHIEN = ("要支援1", "要支援2")
LEVELS_KAIGO = ("要介護1", "要介護2", "要介護3", "要介護4", "要介護5")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A 新規 while the first certification is pending, or a 変更 of a certified person."""
    notified = date(2026, 11, 20) - timedelta(days=rng.randint(0, 200))
    previous = household.get("previous_level")
    kubun = "新規" if previous is None and rng.random() < 0.5 else "変更"
    if kubun == "新規":
        level = rng.choice(("認定申請中",) * 2 + LEVELS_KAIGO + LEVELS_SHIEN)
    else:
        level = previous or rng.choice(LEVELS_SHIEN + LEVELS_KAIGO)
    if level in LEVELS_SHIEN or (level == "認定申請中" and rng.random() < 0.3):
        plan, office = "介護予防サービス計画", rng.choice(HOUKATSU)
    else:
        plan, office = "居宅サービス計画", rng.choice(KYOTAKU)
    changed = notified + timedelta(days=rng.randint(1, 30)) if kubun == "変更" else None
    if changed is not None and changed > date(2026, 11, 24):
        changed = date(2026, 11, 24)
    return {
        "insured": household["insured"],
        "notification_date": notified.isoformat(),
        "kubun": kubun,
        "plan_type": plan,
        "care_level": level,
        "office": {"number": office[0], "name": office[1], "address": office[2], "tel": office[3]},
        "care_manager": rng.choice(MANAGERS),
        "change_date": changed.isoformat() if changed else None,
        "change_reason": _reason(level, rng) if kubun == "変更" else None,
        "remarks": "",
    }


def _reason(level: str, rng: random.Random) -> str:
    return rng.choice(CHANGE_REASONS + ((TO_KAIGO,) if level in LEVELS_KAIGO else ()))
