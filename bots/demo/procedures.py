"""Demo applications of the procedures beyond 児童手当, built on the same residents.

Household *i* of :func:`bots.demo.fake.make_dataset` is always the same person, so each
procedure's demo application for a resident is deterministic too.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from bots.demo.fake import REFERENCE_DATE

CLINICS = (
    "つくば中央レディースクリニック",
    "筑波大学附属病院",
    "土浦協同病院",
    "つくばセントラル病院",
)
OCCUPATIONS = ("会社員", "自営業", "パート・アルバイト", "学生", "無職", "その他")


def boshi_application(
    resident: dict[str, Any], index: int, reference_date: date = REFERENCE_DATE
) -> dict[str, Any]:
    """妊娠の届出 as sent from the online form (dates ISO, 多胎 as a flag)."""
    rng = random.Random(f"boshi-{index}")
    notified = reference_date - timedelta(days=rng.randint(0, 20))
    weeks = rng.randint(8, 20)
    due = notified + timedelta(days=(40 - weeks) * 7)
    multiple = rng.random() < 0.15
    return {
        "applicant": {k: resident[k] for k in ("name", "kana", "birth_date", "address")},
        "notification_date": notified.isoformat(),
        "weeks": weeks,
        "due_date": due.isoformat(),
        "multiple": multiple,
        "fetus_count": 2 if multiple else None,
        "clinic": rng.choice(CLINICS),
        "occupation": rng.choice(OCCUPATIONS),
        "remarks": "",
    }


#: Doctors as residents write them on the form (the core system's 主治医 master has them).
DOCTORS = (
    ("つくば中央病院", "佐藤 健一"),
    ("吾妻内科クリニック", "鈴木 恵子"),
    ("竹園整形外科医院", "高橋 誠"),
    ("研究学園記念病院", "田中 裕子"),
    ("並木診療所", "渡辺 美和"),
)
FACILITIES = ("特別養護老人ホーム つくばの里", "介護老人保健施設 さくら苑")


def kaigo_dataset(
    n: int, seed: int = 2026, reference_date: date = REFERENCE_DATE
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``n`` insured persons (65+, 介護保険 第1号被保険者) and their 認定申請 applications."""
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed + 65)
    rng = random.Random(seed + 65)
    out = []
    for i in range(n):
        family = fake.last_name_pair()
        given = fake.first_name_female_pair() if rng.random() < 0.6 else fake.first_name_male_pair()
        birth = date(rng.randint(1935, 1958), rng.randint(1, 12), rng.randint(1, 28))
        insured = {
            "hihokensha_no": f"{1000000001 + i:010d}",
            "atena_no": f"{500001 + i:010d}",
            "name": f"{family[0]}\u3000{given[0]}",
            "kana": f"{family[1]}\u3000{given[1]}",
            "birth_date": birth.isoformat(),
            "address": f"茨城県つくば市吾妻{rng.randint(1, 4)}丁目{rng.randint(1, 20)}番地",
        }
        kubun = rng.choices(("新規", "更新", "区分変更"), weights=(6, 3, 1))[0]
        residence = rng.choices(("自宅", "施設", "入院中"), weights=(8, 2, 1))[0]
        hospital, doctor = rng.choice(DOCTORS)
        applied = reference_date - timedelta(days=rng.randint(0, 20))
        # 更新 is applied for within 60 days before the current certification ends (its
        # own generator, so the other values stay what they always were)
        until = applied + timedelta(days=random.Random(f"kaigo-until-{i}").randint(1, 59))
        data = {
            "insured": {
                k: insured[k] for k in ("hihokensha_no", "name", "kana", "birth_date", "address")
            },
            "application_date": applied.isoformat(),
            "kubun": kubun,
            "previous_level": None
            if kubun == "新規"
            else rng.choice(("要支援1", "要支援2", "要介護1", "要介護2", "要介護3")),
            "previous_valid_until": until.isoformat() if kubun == "更新" else None,
            "doctor": {"hospital": hospital, "name": doctor},
            "medical_insurance": None,
            "residence": residence,
            "facility_name": None
            if residence == "自宅"
            else (rng.choice(FACILITIES) if residence == "施設" else hospital),
            "remarks": "",
        }
        out.append((insured, data))
    return out


#: 予防接種: (ワクチン種別 as the form names it, the highest 接種回数, 経口).
VACCINES = (
    ("ヒブ", 4, False),
    ("小児用肺炎球菌", 4, False),
    ("Ｂ型肝炎", 3, False),
    ("ロタウイルス", 3, True),
    ("四種混合", 4, False),
    ("五種混合", 4, False),
    ("ＢＣＧ", 1, False),
    ("麻しん風しん混合（ＭＲ）", 2, False),
    ("水痘", 2, False),
    ("日本脳炎", 4, False),
)
SITES = ("左上腕", "右上腕", "左大腿", "右大腿")


def yobou_dataset(
    n: int, seed: int = 2026, reference_date: date = REFERENCE_DATE
) -> list[dict[str, Any]]:
    """``n`` 予防接種の記録 as a clinic reports them: one child and one shot each.

    The first is born in 令和元年 (the year select shows 「元」) and the third is an
    HPV shot of a girl born in 平成, so a small demo already covers the screen's quirks;
    every record keeps to the product's rules (回数の上限, ロタウイルスは経口).
    """
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed + 7)
    rng = random.Random(seed + 7)
    out = []
    for i in range(n):
        girl = i == 2 or rng.random() < 0.5
        family = fake.last_name_pair()
        given = fake.first_name_female_pair() if girl else fake.first_name_male_pair()
        if i == 2:
            birth = date(2011, rng.randint(1, 12), rng.randint(1, 28))
            vaccine, dose, site, category = "ＨＰＶ（ヒトパピローマウイルス）", 1, "左上腕", "定期"
        else:
            birth = (
                date(2019, 6, 15)
                if i == 0
                else date(rng.randint(2020, 2025), rng.randint(1, 12), rng.randint(1, 28))
            )
            vaccine, limit, oral = rng.choice(VACCINES)
            dose = rng.randint(1, limit)
            site = "経口" if oral else rng.choice(SITES)
            category = rng.choices(("定期", "任意"), weights=(9, 1))[0]
        shot = min(reference_date, birth + timedelta(days=60 + 30 * dose + rng.randint(0, 200)))
        if i == 2:  # HPV: 小学校6年〜高校1年相当
            shot = reference_date - timedelta(days=rng.randint(0, 60))
        out.append(
            {
                "person": {
                    "jumin_cd": f"{3000001 + i:010d}",
                    "name": f"{family[0]}\u3000{given[0]}",
                    "kana": f"{family[1]}\u3000{given[1]}",
                    "sex": "女" if girl else "男",
                    "birth_date": birth.isoformat(),
                },
                "vaccine": vaccine,
                "category": category,
                "dose": dose,
                "site": site,
                "vaccinated_on": shot.isoformat(),
                "lot_no": f"{rng.choice('ABCDEFGH')}{rng.choice('KLMNXY')}{rng.randint(100, 999)}-{rng.randint(1, 9)}",
                "clinic_code": f"08{rng.randint(10000000, 99999999)}",
                "doctor": rng.choice(("佐藤　健一", "鈴木　恵子", None)),
                "remarks": "",
            }
        )
    return out
