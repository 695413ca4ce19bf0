"""児童手当 未支払請求: in a household of the 児童手当 demo the other parent (or a parent of
the resident), who received the allowance, has died; the resident claims the unpaid part."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

import jaconv

PROCEDURE = "jidou_teate_mishiharai"
PREFIX = "JM"
PEOPLE = "kosodate"
RECEIVED = "claim_date"

FULL_SPACE = "\u3000"
PARENT_NAMES = (("正雄", "マサオ"), ("文子", "フミコ"), ("和夫", "カズオ"), ("節子", "セツコ"))
BANKS = ("0130", "0131", "9900", "0005", "0001")
LAST_DAY = date(2026, 11, 24)


def _name(text: str) -> str:
    return text.replace(" ", FULL_SPACE)


def _kana(text: str) -> str:
    """The seed's kana as the form's フリガナ (full-width katakana, full-width space)."""
    full = str(jaconv.h2z(text, kana=True, ascii=False, digit=False))
    return str(jaconv.hira2kata(full)).replace(" ", FULL_SPACE)


def _date(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """The spouse died (or, without one, the resident's parent who looked after the 児童)."""
    latest = max(date.fromisoformat(_date(c["birth_date"])) for c in household["children"])
    died = date(2026, rng.randint(1, 9), rng.randint(1, 28))
    if died < latest:  # the 児童 were all born when the 受給者 died
        died = latest + timedelta(days=rng.randint(1, 10))
    claimed = died + timedelta(days=rng.randint(1, min(60, (LAST_DAY - died).days)))
    spouse = household.get("spouse")
    if spouse is not None:
        relation = "配偶者"
        deceased = {
            "name": _name(spouse["name"]),
            "kana": _kana(spouse["kana"]),
            "birth_date": _date(spouse["birth_date"]),
        }
    else:
        relation = "子"
        given, given_kana = rng.choice(PARENT_NAMES)
        birth = date.fromisoformat(person["birth_date"]) - timedelta(days=rng.randint(9500, 12000))
        deceased = {
            "name": f"{person['name'].split(FULL_SPACE)[0]}{FULL_SPACE}{given}",
            "kana": f"{person['kana'].split(FULL_SPACE)[0]}{FULL_SPACE}{given_kana}",
            "birth_date": birth.isoformat(),
        }
    holder = str(jaconv.z2h(person["kana"], kana=True, ascii=True, digit=False))
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "claim_date": claimed.isoformat(),
        "relation": relation,
        "deceased": deceased,
        "death_date": died.isoformat(),
        "children": [
            {
                "name": _name(c["name"]),
                "kana": _kana(c["kana"]),
                "birth_date": _date(c["birth_date"]),
            }
            for c in household["children"][:5]
        ],
        "bank": {
            "bank_code": rng.choice(BANKS),
            "branch_code": f"{rng.randint(1, 999):03d}",
            "account_type": "普通" if rng.random() < 0.9 else "当座",
            "account_no": f"{rng.randint(0, 9_999_999):07d}",
            "holder_kana": holder.replace(FULL_SPACE, " "),
        },
        "remarks": "",
    }
