"""児童手当 氏名・住所等変更届: a 受給者 of the 児童手当 demo reports a changed 氏名, 住所,
口座 or another item (the 住民記録 already shows the new 氏名 and 住所)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import jaconv

PROCEDURE = "jidou_teate_henkou"
PREFIX = "JH"
PEOPLE = "kosodate"
RECEIVED = "notification_date"

FULL_SPACE = "\u3000"
KINDS = ("氏名", "住所", "口座", "その他")
OLD_FAMILY = ("田中", "高橋", "渡辺", "小林", "加藤", "吉田", "松本", "井上")
OLD_TOWNS = ("吾妻1丁目8番3号", "竹園2丁目4番11号", "並木3丁目2番7号", "春日4丁目13番1号")
BANKS = ("0130", "0131", "9900", "0005", "0009")
EMPLOYERS = ("株式会社つくば精機", "筑波研究支援センター", "有限会社学園商事", "常陽運輸株式会社")


def _holder(kana: str) -> str:
    """The 口座名義 as the bank writes it: half-width katakana, one half-width space."""
    return str(jaconv.z2h(kana, kana=True, ascii=True, digit=False)).replace(FULL_SPACE, " ")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """One change per 届出; the first four people cover every kind."""
    kind = KINDS[i % 4] if i < 4 else rng.choices(KINDS, weights=(2, 4, 3, 1))[0]
    notified = date(2026, rng.randint(2, 11), rng.randint(1, 20))
    data: dict[str, Any] = {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "notification_date": notified.isoformat(),
        "kind": kind,
        "change_date": (notified - timedelta(days=rng.randint(0, 14))).isoformat(),
        "remarks": "",
    }
    if kind == "氏名":
        given = person["name"].split(FULL_SPACE)[-1]
        old = rng.choice([f for f in OLD_FAMILY if not person["name"].startswith(f)])
        data |= {"before": f"{old}{FULL_SPACE}{given}", "after": person["name"]}
    elif kind == "住所":
        data |= {"before": f"茨城県つくば市{rng.choice(OLD_TOWNS)}", "after": person["address"]}
    elif kind == "その他":
        old, new = rng.sample(EMPLOYERS, 2)
        data |= {"changed_item": "勤務先", "before": old, "after": new}
    else:
        data["bank"] = {
            "bank_code": rng.choice(BANKS),
            "branch_code": f"{rng.randint(1, 999):03d}",
            "account_type": "普通" if rng.random() < 0.9 else "当座",
            "account_no": f"{rng.randint(0, 9_999_999):07d}",
            "holder_kana": _holder(person["kana"]),
        }
    return data
