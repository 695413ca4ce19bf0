"""児童手当 額改定請求・届: a 受給者 of the 児童手当 demo has a 児童 more (出生) or fewer."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

PROCEDURE = "jidou_teate_gakukaitei"
PREFIX = "JK"
PEOPLE = "kosodate"
RECEIVED = "claim_date"

FULL_SPACE = "\u3000"
BABY_NAMES = ("陽翔", "蓮", "湊", "結菜", "凛", "葵", "陽葵", "大和", "紬", "樹")
DECREASE = ("児童を監護しなくなった", "児童の施設入所")
NEWBORN_SINCE = date(2026, 1, 1)
LAST_DAY = date(2026, 11, 24)


def _day(rng: random.Random, earliest: date) -> date:
    """A day of 2026 from March (or ``earliest``) until before the 25th of November."""
    first = max(date(2026, 3, 1), min(earliest, LAST_DAY))
    return first + timedelta(days=rng.randint(0, min(240, (LAST_DAY - first).days)))


def _child(child: dict[str, Any]) -> dict[str, str]:
    """A 児童 of the household as the form shows it (the seed's typing undone)."""
    return {
        "name": child["name"].replace(" ", FULL_SPACE),
        "birth_date": unicodedata.normalize("NFKC", child["birth_date"]),
    }


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A birth (増額) in most households; a 児童 leaving a larger one (減額) otherwise."""
    children = [_child(c) | {"custody": "監護・同居"} for c in household["children"][:5]]
    latest = max(date.fromisoformat(c["birth_date"]) for c in children)
    if latest >= NEWBORN_SINCE:  # the household's youngest is this year's birth
        baby = next(c for c in children if date.fromisoformat(c["birth_date"]) == latest)
        claim = latest + timedelta(days=rng.randint(1, 14))
        kind, reason, reason_date = "額改定請求（増額）", "出生", latest
        changed = [{"name": baby["name"], "birth_date": baby["birth_date"], "relation": "子"}]
    elif len(children) >= 2 and rng.random() < 0.4:
        claim = _day(rng, latest + timedelta(days=15))
        gone = children.pop(rng.randrange(len(children)))
        reason_date = claim - timedelta(days=rng.randint(0, 14))
        kind, reason = "額改定届（減額）", rng.choice(DECREASE)
        changed = [{"name": gone["name"], "birth_date": gone["birth_date"], "relation": "子"}]
    else:  # a birth at least 300 days after the youngest
        claim = _day(rng, latest + timedelta(days=314))
        family = person["name"].split(FULL_SPACE)[0]
        baby = {"name": f"{family}{FULL_SPACE}{rng.choice(BABY_NAMES)}"}
        reason_date = claim - timedelta(days=rng.randint(1, 14))
        baby["birth_date"] = reason_date.isoformat()
        kind, reason = "額改定請求（増額）", "出生"
        changed = [baby | {"relation": "子"}]
        children.append(baby | {"custody": "監護・同居"})
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "claim_date": claim.isoformat(),
        "kind": kind,
        "reason": reason,
        "reason_date": reason_date.isoformat(),
        "changed_children": changed,
        "children": children,
        "remarks": "",
    }
