"""住所移転後の要介護・要支援認定申請: some of the 介護 demo's insured moved in from another
municipality with their former 保険者's 受給資格証明書, within 14 days of moving in."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_tenkyo_nintei"
PREFIX = "KT"
PEOPLE = "kaigo"
RECEIVED = "application_date"

#: Former 保険者 (名称, 保険者番号 6桁) and a street of theirs.
INSURERS = (
    ("水戸市", "082016", "茨城県水戸市三の丸1丁目5番38号"),
    ("土浦市", "082032", "茨城県土浦市大和町9番1号"),
    ("柏市", "122176", "千葉県柏市柏5丁目10番1号"),
    ("世田谷区", "131128", "東京都世田谷区世田谷4丁目21番27号"),
    ("さいたま市", "111007", "埼玉県さいたま市浦和区常盤6丁目4番4号"),
)
LEVELS = ("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    moved_in = date(2026, 11, 5) + timedelta(days=rng.randint(0, 5))
    applied = moved_in + timedelta(days=rng.randint(0, 14))
    certificate = moved_in - timedelta(days=rng.randint(1, 10))  # issued at the 転出
    valid_from = certificate - timedelta(days=rng.randint(30, 300))
    care_level = rng.choice(LEVELS)
    years = 1 if care_level.startswith("要支援") else rng.choice((1, 2, 3))
    start = valid_from.replace(day=min(valid_from.day, 28))
    valid_until = start.replace(year=start.year + years) - timedelta(days=1)
    name, number, street = rng.choice(INSURERS)
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "moved_in": moved_in.isoformat(),
        "previous_address": street,
        "previous_insurer": {"name": name, "number": number},
        "previous_hihokensha_no": f"{rng.randint(1, 99999):010d}" if rng.random() < 0.7 else None,
        "certificate_date": certificate.isoformat(),
        "care_level": care_level,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "remarks": "",
    }
