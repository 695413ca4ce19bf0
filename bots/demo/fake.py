"""Realistic, deterministic demo data: residents of つくば市 and their 児童手当 認定請求.

Every household is a resident (as the core system's 住民記録 knows them) and the
application that resident sent through マイナポータル, in the shape the management system
stores the form. The data is meant to exercise the bot honestly:

* about one household in five arrives "as typed" — kana in hiragana or half-width
  katakana, half-width spaces, full-width digits, a personal number in groups — so the
  transforms have work to do; every such value still becomes the canonical one after the
  transforms (``katakana_zenkaku``, ``zenkaku_space``, ``my_number``, ``postal_code``,
  ``bank_code``…), so a correct bot keys every household;
* some birth dates fall on era boundaries (1989-01-07/08, 2019-04-30/05-01);
* names come from Faker's ja_JP name/kana pairs, which are all JIS X 0208 (checked by the
  tests); children share the applicant's family name.

Determinism: all randomness comes from the Faker instance's own ``random.Random``, so the
same seed gives the same data (with the same Faker version). The town list is a small
illustrative sample of つくば市's 町名 and postal codes, not an authoritative table.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import jaconv
from faker import Faker

from bots.transforms.mynumber import with_check_digit

REFERENCE_DATE = date(2026, 11, 20)
ATENA_BASE = 100001  # the first household's 宛名番号 is 0000100001
ATENA_WIDTH = 10

#: (町名, 郵便番号, highest 丁目) — a sample of つくば市.
TSUKUBA_TOWNS: tuple[tuple[str, str, int], ...] = (
    ("吾妻", "305-0031", 4),
    ("竹園", "305-0032", 3),
    ("東新井", "305-0033", 1),
    ("小野崎", "305-0034", 1),
    ("松代", "305-0035", 5),
    ("天久保", "305-0005", 4),
    ("並木", "305-0044", 4),
    ("梅園", "305-0045", 2),
    ("千現", "305-0047", 2),
    ("二の宮", "305-0051", 4),
    ("春日", "305-0821", 4),
    ("研究学園", "305-0817", 7),
)

#: 金融機関コード → weight: the local banks and ゆうちょ are the common choices.
BANK_WEIGHTS: dict[str, int] = {
    "0001": 8,
    "0005": 10,
    "0009": 8,
    "0010": 4,
    "0017": 2,
    "0130": 30,
    "0131": 18,
    "9900": 20,
}

ERA_EDGE_ADULT = (date(1989, 1, 7), date(1989, 1, 8))
ERA_EDGE_CHILD = (date(2019, 4, 30), date(2019, 5, 1))

#: Share of households whose form arrives with unnormalised input.
MESSY_SHARE = 0.2
MESS_KINDS = (
    "kana_hiragana",
    "kana_hankaku",
    "kana_half_space",
    "name_half_space",
    "digits_zenkaku",
    "dates_zenkaku",
    "my_number_grouped",
    "postal_no_hyphen",
)

FULL_SPACE = "\u3000"


def _rng(source: Faker | random.Random) -> random.Random:
    return source if isinstance(source, random.Random) else source.random


def make_my_number(source: Faker | random.Random) -> str:
    """A random personal number with a valid check digit (never a leading zero).

    Demo numbers are random, so one may by chance be a real person's number; they are
    treated as sensitive like any other (masked in logs) — which is the point of a demo.
    """
    rng = _rng(source)
    return with_check_digit(str(rng.randint(10**10, 10**11 - 1)))


#: Short alias: ``MY_NUMBER(fake)``.
MY_NUMBER = make_my_number


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 2月29日 becomes 2月28日 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _person(fake: Faker, family: tuple[str, str], gender: str) -> tuple[str, str]:
    """(name, kana) with one full-width space between family and given name."""
    given = fake.first_name_male_pair() if gender == "男" else fake.first_name_female_pair()
    return f"{family[0]}{FULL_SPACE}{given[0]}", f"{family[1]}{FULL_SPACE}{given[1]}"


def _address(rng: random.Random, fake: Faker) -> tuple[str, str]:
    town, postal, chome_max = rng.choice(TSUKUBA_TOWNS)
    address = (
        f"茨城県つくば市{town}{rng.randint(1, chome_max)}丁目"
        f"{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    )
    if rng.random() < 0.35:
        room = f"{rng.randint(1, 5)}{rng.randint(1, 12):02d}"
        address += f"{FULL_SPACE}{fake.building_name()}{room}号室"
    return postal, address


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"029-8{rng.randint(10, 99)}-{rng.randint(0, 9999):04d}"
    prefix = rng.choice(("090", "080", "070"))
    return f"{prefix}-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"


def _child_births(
    rng: random.Random, count: int, first: date, last: date, forced: date | None
) -> list[date]:
    """Up to ``count`` birth dates in [first, last], at least 300 days apart."""
    births = [forced] if forced is not None else []
    for _ in range(50):
        if len(births) >= count:
            break
        candidate = _random_day(rng, first, last)
        if all(abs((candidate - other).days) >= 300 for other in births):
            births.append(candidate)
    if not births:  # window too narrow for spacing: one child on the last day
        births.append(last)
    return sorted(births)


def _zenkaku_digits(text: str) -> str:
    return str(jaconv.h2z(text, kana=False, ascii=True, digit=True))


def _mess_kana(text: str, kinds: set[str]) -> str:
    if "kana_hiragana" in kinds:
        text = str(jaconv.kata2hira(text))
    if "kana_hankaku" in kinds:
        text = str(jaconv.z2h(text, kana=True, ascii=True, digit=False))
    if "kana_half_space" in kinds:
        text = text.replace(FULL_SPACE, " ")
    return text


def _mess(application: dict[str, Any], kinds: set[str]) -> None:
    """Turn canonical form values into what a resident might have typed, in place."""
    people: list[dict[str, Any]] = [application["applicant"], *application["children"]]
    if application["spouse"] is not None:
        people.append(application["spouse"])
    for person in people:
        person["kana"] = _mess_kana(person["kana"], kinds)
        if "name_half_space" in kinds:
            person["name"] = person["name"].replace(FULL_SPACE, " ")
        if "dates_zenkaku" in kinds:
            person["birth_date"] = _zenkaku_digits(person["birth_date"])
    applicant = application["applicant"]
    bank = application["bank"]
    bank["holder_kana"] = applicant["kana"]
    if "dates_zenkaku" in kinds:
        application["claim_date"] = _zenkaku_digits(application["claim_date"])
    if "my_number_grouped" in kinds:
        number = applicant["my_number"]
        applicant["my_number"] = f"{number[:4]} {number[4:8]} {number[8:]}"
    if "postal_no_hyphen" in kinds:
        applicant["postal_code"] = applicant["postal_code"].replace("-", "")
    if "digits_zenkaku" in kinds:
        for key in ("my_number", "postal_code", "phone"):
            applicant[key] = _zenkaku_digits(applicant[key])
        for key in ("bank_code", "branch_code", "account_no"):
            bank[key] = _zenkaku_digits(bank[key])


def make_household(
    fake: Faker,
    index: int,
    *,
    reference_date: date = REFERENCE_DATE,
    taken_my_numbers: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One resident and the application they sent, both as plain JSON-able dicts.

    ``index`` (0-based) fixes the 宛名番号 (``0000100001`` for 0) and which households get
    an era-boundary birth date (index 3, 11, 19… an adult on 1989-01-07/08; index 6, 14,
    22… a child on 2019-04-30/05-01, when that child is 0–15 at the claim date).
    ``taken_my_numbers`` keeps personal numbers distinct across a data set.
    """
    rng = fake.random
    claim_date = reference_date - timedelta(days=rng.randint(0, 29))

    # The applicant.
    gender = "男" if rng.random() < 0.55 else "女"
    family = fake.last_name_pair()
    name, kana = _person(fake, (family[0], family[1]), gender)
    birth = _random_day(rng, add_years(claim_date, -50), add_years(claim_date, -25))
    if index % 8 == 3:
        edge = ERA_EDGE_ADULT[(index // 8) % 2]
        if add_years(claim_date, -60) <= edge <= add_years(claim_date, -20):
            birth = edge
    child_edge: date | None = None
    if index % 8 == 6:
        edge = ERA_EDGE_CHILD[(index // 8) % 2]
        if add_years(claim_date, -16) < edge <= claim_date - timedelta(days=14):
            child_edge = edge
            if add_years(birth, 18) > edge:  # make the parent old enough
                birth = _random_day(rng, add_years(edge, -38), add_years(edge, -22))

    # The spouse (same family name), in three households of four.
    spouse: dict[str, Any] | None = None
    spouse_birth: date | None = None
    if rng.random() < 0.75:
        spouse_gender = "女" if gender == "男" else "男"
        spouse_name, spouse_kana = _person(fake, (family[0], family[1]), spouse_gender)
        spouse_birth = birth + timedelta(days=rng.randint(-4 * 365, 4 * 365))
        if child_edge is not None:  # both parents 18 or older at the edge birth
            spouse_birth = min(spouse_birth, add_years(child_edge, -20))
        spouse_birth = min(spouse_birth, add_years(claim_date, -22))
        spouse = {"name": spouse_name, "kana": spouse_kana, "birth_date": spouse_birth.isoformat()}

    # Children: 0–15 at the claim date, born when the applicant was 18 or older.
    youngest_parent = birth if spouse_birth is None else max(birth, spouse_birth)
    first = max(add_years(youngest_parent, 18), add_years(claim_date, -16) + timedelta(days=1))
    last = claim_date - timedelta(days=14)
    count = rng.choices((1, 2, 3), weights=(45, 40, 15))[0]
    children = []
    used_given = {name} if spouse is None else {name, spouse["name"]}
    for child_birth in _child_births(rng, count, first, last, child_edge):
        for _ in range(10):
            child_name, child_kana = _person(fake, (family[0], family[1]), rng.choice("男女"))
            if child_name not in used_given:
                break
        used_given.add(child_name)
        children.append(
            {
                "name": child_name,
                "kana": child_kana,
                "birth_date": child_birth.isoformat(),
                "relation": "子",
                "cohabiting": True,
            }
        )

    postal, address = _address(rng, fake)
    my_number = make_my_number(rng)
    while taken_my_numbers is not None and my_number in taken_my_numbers:
        my_number = make_my_number(rng)
    if taken_my_numbers is not None:
        taken_my_numbers.add(my_number)

    resident = {
        "atena_no": f"{ATENA_BASE + index:0{ATENA_WIDTH}d}",
        "name": name,
        "kana": kana,
        "birth_date": birth.isoformat(),
        "gender": gender,
        "postal_code": postal,
        "address": address,
    }
    bank_code = rng.choices(list(BANK_WEIGHTS), weights=list(BANK_WEIGHTS.values()))[0]
    application: dict[str, Any] = {
        "applicant": {
            "name": name,
            "kana": kana,
            "birth_date": birth.isoformat(),
            "my_number": my_number,
            "postal_code": postal,
            "address": address,
            "phone": _phone(rng),
        },
        "claim_date": claim_date.isoformat(),
        "spouse": spouse,
        "children": children,
        "bank": {
            "bank_code": bank_code,
            "branch_code": f"{rng.randint(1, 999):03d}",
            "account_type": "普通" if rng.random() < 0.92 else "当座",
            "account_no": f"{rng.randint(0, 9_999_999):07d}",
            "holder_kana": kana,
        },
        "remarks": "",
    }
    if rng.random() < MESSY_SHARE:
        kinds = set(rng.sample(MESS_KINDS, rng.randint(1, 3)))
        if {"kana_hiragana", "kana_hankaku"} <= kinds:
            kinds.discard(rng.choice(("kana_hiragana", "kana_hankaku")))
        _mess(application, kinds)
    return resident, application


def make_dataset(
    n: int, seed: int = 2026, reference_date: date = REFERENCE_DATE
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``n`` households with distinct 宛名番号 (from ``0000100001``) and personal numbers.

    The same ``n``, ``seed`` and ``reference_date`` always give the same data, and a larger
    ``n`` extends a smaller one (household i does not depend on n).
    """
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    taken: set[str] = set()
    return [
        make_household(fake, i, reference_date=reference_date, taken_my_numbers=taken)
        for i in range(n)
    ]
