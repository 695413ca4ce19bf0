"""児童手当 現況届: the 受給者 of the 児童手当 demo send this year's 現況届."""

from __future__ import annotations

import random
from typing import Any

PROCEDURE = "jidou_teate_genkyou"
PREFIX = "JG"
PEOPLE = "kosodate"
RECEIVED = "todoke_date"

NENKIN = ("国民年金", "厚生年金", "共済組合")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """This year's 現況届 of the household's 請求者, with the children it claimed for."""
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "todoke_date": f"2026-06-{rng.randint(1, 28):02d}",
        "nendo": 2026,
        "nenkin": rng.choices(NENKIN, weights=(3, 6, 1))[0],
        "income": rng.randrange(1_200_000, 9_000_000, 1000),
        "residence": "市内",
        "children": [
            {
                "name": child["name"],
                "birth_date": child["birth_date"],
                "custody": "監護・同居" if child["cohabiting"] else "監護・別居",
            }
            for child in household["children"][:5]
        ],
        "remarks": "",
    }
