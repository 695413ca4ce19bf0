"""Tests of bots.demo.fake: deterministic, realistic, and valid after the transforms."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from faker.providers.person.ja_JP import Provider as PersonProvider

from bots.demo.fake import (
    MY_NUMBER,
    REFERENCE_DATE,
    add_years,
    make_dataset,
    make_household,
    make_my_number,
)
from bots.transforms import InvalidValue, apply, check_jis_x0208, is_valid_my_number, max_length

BANK_MASTER = {"0001", "0005", "0009", "0010", "0017", "0130", "0131", "9900"}
FULL_SPACE = "\u3000"

Household = tuple[dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="module")
def dataset() -> list[Household]:
    return make_dataset(200)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def test_deterministic() -> None:
    assert make_dataset(20) == make_dataset(20)
    assert make_dataset(20, seed=7) != make_dataset(20)
    assert make_dataset(30)[:10] == make_dataset(10)


def test_shape(dataset: list[Household]) -> None:
    for resident, application in dataset:
        assert set(resident) == {
            "atena_no", "name", "kana", "birth_date", "gender", "postal_code", "address"
        }  # fmt: skip
        assert set(application) == {
            "applicant", "claim_date", "spouse", "children", "bank", "remarks"
        }  # fmt: skip
        assert set(application["applicant"]) == {
            "name", "kana", "birth_date", "my_number", "postal_code", "address", "phone"
        }  # fmt: skip
        assert set(application["bank"]) == {
            "bank_code", "branch_code", "account_type", "account_no", "holder_kana"
        }  # fmt: skip
        spouse = application["spouse"]
        assert spouse is None or set(spouse) == {"name", "kana", "birth_date"}
        assert 1 <= len(application["children"]) <= 3
        for child in application["children"]:
            assert set(child) == {"name", "kana", "birth_date", "relation", "cohabiting"}
            assert apply(["relation"], child["relation"]) == "子"
            assert apply(["cohabitation"], child["cohabiting"]) == "同居"
        assert application["remarks"] == ""
        assert resident["gender"] in {"男", "女"}


def test_atena_numbers(dataset: list[Household]) -> None:
    numbers = [resident["atena_no"] for resident, _ in dataset]
    assert numbers[0] == "0000100001"
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 10 and n.isdigit() for n in numbers)


def test_resident_is_canonical(dataset: list[Household]) -> None:
    for resident, _ in dataset:
        family, given = resident["name"].split(FULL_SPACE)
        assert family and given
        assert apply(["katakana_zenkaku"], resident["kana"]) == resident["kana"]
        assert FULL_SPACE in resident["kana"]
        assert apply(["postal_code"], resident["postal_code"]) == resident["postal_code"]
        assert resident["address"].startswith("茨城県つくば市")
        check_jis_x0208(resident["name"])
        check_jis_x0208(resident["address"])
        assert apply(["iso_date"], resident["birth_date"]) == resident["birth_date"]


def _person_ok(person: dict[str, Any]) -> tuple[str, str, str]:
    """The keyed (name, kana, birth ISO) of a person, validated as the core system would."""
    name = apply(["zenkaku_space", "jis_x0208"], person["name"])
    max_length(30)(name)
    kana = apply(["katakana_zenkaku"], person["kana"])
    max_length(30)(kana)
    birth = apply(["iso_date"], person["birth_date"])
    for part in ("wareki_era", "wareki_year", "wareki_month", "wareki_day"):
        apply([part], birth)
    return name, kana, birth


def test_every_household_is_valid_after_transforms(dataset: list[Household]) -> None:
    for resident, application in dataset:
        applicant = application["applicant"]
        name, kana, birth = _person_ok(applicant)
        assert (name, kana, birth) == (resident["name"], resident["kana"], resident["birth_date"])
        my_number = apply(["my_number"], applicant["my_number"])
        assert is_valid_my_number(my_number)
        assert apply(["postal_code"], applicant["postal_code"]) == resident["postal_code"]
        assert applicant["address"] == resident["address"]

        claim = date.fromisoformat(apply(["iso_date"], application["claim_date"]))
        assert REFERENCE_DATE - timedelta(days=30) < claim <= REFERENCE_DATE
        apply(["wareki_era"], claim)

        family = resident["name"].split(FULL_SPACE)[0]
        family_kana = resident["kana"].split(FULL_SPACE)[0]
        parents = [date.fromisoformat(birth)]
        if application["spouse"] is not None:
            s_name, s_kana, s_birth = _person_ok(application["spouse"])
            assert s_name.split(FULL_SPACE)[0] == family
            assert s_kana.split(FULL_SPACE)[0] == family_kana
            parents.append(date.fromisoformat(s_birth))
        for child in application["children"]:
            c_name, c_kana, c_birth = _person_ok(child)
            assert c_name.split(FULL_SPACE)[0] == family
            assert c_kana.split(FULL_SPACE)[0] == family_kana
            child_birth = date.fromisoformat(c_birth)
            assert 0 <= _age(child_birth, claim) <= 15
            assert child_birth <= claim
            for parent in parents:
                assert _age(parent, child_birth) >= 18
        names = [c["name"] for c in application["children"]]
        assert len(set(names)) == len(names)

        bank = application["bank"]
        assert apply(["bank_code"], bank["bank_code"]) in BANK_MASTER
        apply(["branch_code"], bank["branch_code"])
        apply(["account_no"], bank["account_no"])
        assert apply(["account_type"], bank["account_type"]) in {"普通", "当座"}
        holder = apply(["katakana_hankaku"], bank["holder_kana"])
        max_length(30)(holder)
        assert apply(["katakana_zenkaku"], holder) == resident["kana"]


def _is_messy(resident: dict[str, Any], application: dict[str, Any]) -> bool:
    applicant = application["applicant"]
    return (
        applicant["kana"] != resident["kana"]
        or applicant["name"] != resident["name"]
        or applicant["postal_code"] != resident["postal_code"]
        or not is_valid_my_number(applicant["my_number"])
        or not application["claim_date"].isascii()
        or not application["bank"]["account_no"].isascii()
    )


def test_some_households_need_the_transforms(dataset: list[Household]) -> None:
    messy = sum(_is_messy(r, a) for r, a in dataset)
    assert 0.1 * len(dataset) <= messy <= 0.35 * len(dataset)
    kanas = [a["applicant"]["kana"] for _, a in dataset]
    assert any("\u3041" <= ch <= "\u3096" for kana in kanas for ch in kana)  # hiragana
    assert any(" " in kana for kana in kanas)  # half-width space
    numbers = [a["applicant"]["my_number"] for _, a in dataset]
    assert any(not n.isascii() for n in numbers)  # full-width digits


def test_raw_messy_values_fail_strict_checks(dataset: list[Household]) -> None:
    """The messy values really differ: keyed as is, the core system would reject them."""
    raw = [a["applicant"]["my_number"] for _, a in dataset]
    assert any(not is_valid_my_number(n) for n in raw)
    assert all(is_valid_my_number(apply(["my_number"], n)) for n in raw)


def test_era_edge_birth_dates(dataset: list[Household]) -> None:
    births = {r["birth_date"] for r, _ in dataset}
    assert {"1989-01-07", "1989-01-08"} <= births
    child_births = {apply(["iso_date"], c["birth_date"]) for _, a in dataset for c in a["children"]}
    assert {"2019-04-30", "2019-05-01"} <= child_births


def test_my_numbers_distinct_and_valid(dataset: list[Household]) -> None:
    numbers = [apply(["my_number"], a["applicant"]["my_number"]) for _, a in dataset]
    assert len(set(numbers)) == len(numbers)
    assert all(is_valid_my_number(n) for n in numbers)


def test_make_my_number() -> None:
    rng = random.Random(1)
    for _ in range(500):
        number = make_my_number(rng)
        assert is_valid_my_number(number)
    assert MY_NUMBER is make_my_number


def test_make_household_other_reference_date() -> None:
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(5)
    later = date(2040, 4, 1)
    for index in range(16):
        resident, application = make_household(fake, index, reference_date=later)
        claim = date.fromisoformat(apply(["iso_date"], application["claim_date"]))
        assert later - timedelta(days=30) < claim <= later
        for child in application["children"]:
            birth = date.fromisoformat(apply(["iso_date"], child["birth_date"]))
            assert 0 <= _age(birth, claim) <= 15


def test_faker_names_are_jis_x0208() -> None:
    pairs = [
        *PersonProvider.last_name_pairs,
        *PersonProvider.first_name_male_pairs,
        *PersonProvider.first_name_female_pairs,
    ]
    assert pairs
    for pair in pairs:
        check_jis_x0208(pair[0])
        assert apply(["katakana_zenkaku"], pair[1]) == pair[1]


def test_add_years_leap_day() -> None:
    assert add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)


def test_invalid_value_is_value_error() -> None:
    assert issubclass(InvalidValue, ValueError)
