"""``examples/``: one valid import file per procedure, from :func:`all_examples`.

The applications are written once, as a JSON import file holds them; a CSV example is
the same applications flattened into the dotted columns the importer reads back, so the
file is what a clerk's export must look like and doubles as a template.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bots.docs.text import value_text
from bots.schema.model import ItemSpec

if TYPE_CHECKING:
    from bots.recipe.model import Recipe

FIXED_COLUMNS = ("id", "procedure", "atena_no", "received_at", "status")
_FULL = "\u3000"

#: One valid example file per procedure: (file name, applications as a JSON file holds them).
EXAMPLES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "jidou_teate_nintei": (
        "jidou_teate_nintei.csv",
        [
            {
                "id": "EX-JT-0001",
                "procedure": "jidou_teate_nintei",
                "atena_no": "0000100001",
                "received_at": "2026-11-20T09:12:00",
                "status": "resolved",
                "data": {
                    "applicant": {
                        "name": f"山田{_FULL}太郎",
                        "kana": f"ヤマダ{_FULL}タロウ",
                        "birth_date": "1988-05-14",
                        "my_number": "123456789018",
                        "postal_code": "305-0031",
                        "address": "茨城県つくば市吾妻1丁目2番3号",
                        "phone": "029-851-1234",
                    },
                    "claim_date": "2026-11-20",
                    "spouse": {
                        "name": f"山田{_FULL}花子",
                        "kana": f"ヤマダ{_FULL}ハナコ",
                        "birth_date": "1990-08-02",
                    },
                    "children": [
                        {
                            "name": f"山田{_FULL}一郎",
                            "kana": f"ヤマダ{_FULL}イチロウ",
                            "birth_date": "2018-04-10",
                            "relation": "子",
                            "cohabiting": True,
                        },
                        {
                            "name": f"山田{_FULL}さくら",
                            "kana": f"ヤマダ{_FULL}サクラ",
                            "birth_date": "2021-09-03",
                            "relation": "子",
                            "cohabiting": True,
                        },
                    ],
                    "bank": {
                        "bank_code": "0130",
                        "branch_code": "012",
                        "account_type": "普通",
                        "account_no": "1234567",
                        "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ",
                    },
                },
            },
            {
                # as typed in the form: hiragana, no hyphen, 和暦, half-width space
                "id": "EX-JT-0002",
                "procedure": "jidou_teate_nintei",
                "atena_no": "0000100002",
                "received_at": "2026-11-20T10:40:00",
                "status": "resolved",
                "data": {
                    "applicant": {
                        "name": "佐藤 美咲",
                        "kana": "さとう みさき",
                        "birth_date": "1992-11-03",
                        "my_number": "2345 6789 0121",
                        "postal_code": "3050032",
                        "address": "茨城県つくば市竹園2丁目11番4号",
                        "phone": "090-2345-6789",
                    },
                    "claim_date": "令和8年11月18日",
                    "children": [
                        {
                            "name": f"佐藤{_FULL}陽斗",
                            "kana": "さとう はると",
                            "birth_date": "2023-06-15",
                            "relation": "子",
                            "cohabiting": True,
                        }
                    ],
                    "bank": {
                        "bank_code": "9900",
                        "branch_code": "018",
                        "account_type": "普通",
                        "account_no": "2345678",
                        "holder_kana": "サトウ ミサキ",
                    },
                    "remarks": "転入のため、前住所地での受給を11月分で終了しています。",
                },
            },
            {
                "id": "EX-JT-0003",
                "procedure": "jidou_teate_nintei",
                "atena_no": "0000100003",
                "received_at": "2026-11-21T08:55:00",
                "status": "resolved",
                "data": {
                    "applicant": {
                        "name": f"鈴木{_FULL}健太",
                        "kana": f"スズキ{_FULL}ケンタ",
                        "birth_date": "1979-07-21",
                        "my_number": "345678901234",
                        "postal_code": "305-0817",
                        "address": f"茨城県つくば市研究学園5丁目12番1号{_FULL}グランシティ研究学園305号室",
                        "phone": "080-4567-8901",
                    },
                    "claim_date": "2026-11-21",
                    "spouse": {
                        "name": f"鈴木{_FULL}裕子",
                        "kana": f"スズキ{_FULL}ユウコ",
                        "birth_date": "1981-01-30",
                    },
                    "children": [
                        {
                            "name": f"鈴木{_FULL}大輝",
                            "kana": f"スズキ{_FULL}ダイキ",
                            "birth_date": "2008-09-12",
                            "relation": "子",
                            "cohabiting": False,
                        },
                        {
                            "name": f"鈴木{_FULL}結衣",
                            "kana": f"スズキ{_FULL}ユイ",
                            "birth_date": "2012-05-05",
                            "relation": "子",
                            "cohabiting": True,
                        },
                        {
                            "name": f"鈴木{_FULL}蓮",
                            "kana": f"スズキ{_FULL}レン",
                            "birth_date": "2016-12-24",
                            "relation": "子",
                            "cohabiting": True,
                        },
                    ],
                    "bank": {
                        "bank_code": "0005",
                        "branch_code": "101",
                        "account_type": "普通",
                        "account_no": "3456789",
                        "holder_kana": "ｽｽﾞｷ ｹﾝﾀ",
                    },
                    "remarks": "長男は県外の高校に在学中（寮）のため別居。",
                },
            },
        ],
    ),
    "kaigo_nintei": (
        "kaigo_nintei.csv",
        [
            {
                "id": "EX-KG-0001",
                "procedure": "kaigo_nintei",
                "atena_no": "0000500001",
                "received_at": "2026-11-10T13:05:00",
                "status": "resolved",
                "data": {
                    "insured": {
                        "hihokensha_no": "1000000001",
                        "name": f"佐藤{_FULL}花子",
                        "kana": f"サトウ{_FULL}ハナコ",
                        "birth_date": "1948-03-02",
                        "address": "茨城県つくば市吾妻1丁目2番地",
                    },
                    "application_date": "2026-11-10",
                    "kubun": "新規",
                    "doctor": {"hospital": "つくば中央病院", "name": "佐藤 健一"},
                    "residence": "自宅",
                },
            },
            {
                "id": "EX-KG-0002",
                "procedure": "kaigo_nintei",
                "atena_no": "0000500002",
                "received_at": "2026-11-16T09:30:00",
                "status": "resolved",
                "data": {
                    "insured": {
                        "hihokensha_no": "1000000002",
                        "name": f"高橋{_FULL}正男",
                        "kana": f"タカハシ{_FULL}マサオ",
                        "birth_date": "1941-10-15",
                        "address": "茨城県つくば市吾妻3丁目8番地",
                    },
                    "application_date": "2026-11-16",
                    "kubun": "更新",
                    "previous_level": "要介護2",
                    "previous_valid_until": "2026-12-31",
                    "doctor": {"hospital": "吾妻内科クリニック", "name": "鈴木 恵子"},
                    "residence": "施設",
                    "facility_name": "特別養護老人ホーム つくばの里",
                },
            },
            {
                # 第2号被保険者 (58歳): a 特定疾病 and the health insurance are needed
                "id": "EX-KG-0003",
                "procedure": "kaigo_nintei",
                "atena_no": "0000500003",
                "received_at": "2026-11-18T15:20:00",
                "status": "resolved",
                "data": {
                    "insured": {
                        "hihokensha_no": "1000000003",
                        "name": f"渡辺{_FULL}誠",
                        "kana": f"ワタナベ{_FULL}マコト",
                        "birth_date": "1968-04-20",
                        "address": "茨城県つくば市吾妻2丁目15番地",
                    },
                    "application_date": "2026-11-18",
                    "kubun": "新規",
                    "specified_disease": "脳血管疾患",
                    "doctor": {"hospital": "研究学園記念病院", "name": "田中 裕子"},
                    "medical_insurance": {"insurer_no": "06123456", "symbol": "1234-56"},
                    "residence": "入院中",
                    "facility_name": "研究学園記念病院",
                    "remarks": "退院後は自宅で生活する予定。",
                },
            },
        ],
    ),
    "boshi_ninshin": (
        "boshi_ninshin.json",
        [
            {
                "id": "EX-BH-0001",
                "procedure": "boshi_ninshin",
                "atena_no": "0000300001",
                "received_at": "2026-11-12T11:00:00",
                "data": {
                    "applicant": {
                        "name": f"山田{_FULL}花子",
                        "kana": f"ヤマダ{_FULL}ハナコ",
                        "birth_date": "1994-07-21",
                        "address": "茨城県つくば市竹園1丁目5番2号",
                    },
                    "notification_date": "2026-11-12",
                    "weeks": 12,
                    "due_date": "2027-05-25",
                    "multiple": False,
                    "clinic": "筑波大学附属病院",
                    "occupation": "会社員",
                },
            },
            {
                "id": "EX-BH-0002",
                "procedure": "boshi_ninshin",
                "atena_no": "0000300002",
                "received_at": "2026-11-05T16:45:00",
                "data": {
                    "applicant": {
                        "name": f"田中{_FULL}美咲",
                        "kana": f"タナカ{_FULL}ミサキ",
                        "birth_date": "1990-03-08",
                        "address": "茨城県つくば市天久保3丁目7番1号",
                        "my_number": "456789012346",
                    },
                    "notification_date": "2026-11-05",
                    "weeks": 10,
                    "due_date": "2027-06-01",
                    "multiple": True,
                    "fetus_count": 2,
                    "clinic": "つくば中央レディースクリニック",
                    "occupation": "自営業",
                },
            },
            {
                "id": "EX-BH-0003",
                "procedure": "boshi_ninshin",
                "atena_no": "0000300003",
                "received_at": "2026-11-24T10:10:00",
                "data": {
                    "applicant": {
                        "name": f"小林{_FULL}あゆみ",
                        "kana": f"コバヤシ{_FULL}アユミ",
                        "birth_date": "2001-12-19",
                        "address": "茨城県つくば市並木2丁目3番4号",
                    },
                    "notification_date": "2026-11-24",
                    "weeks": 9,
                    "due_date": "2027-07-01",
                    "multiple": False,
                    "clinic": "土浦協同病院",
                    "occupation": "パート・アルバイト",
                    "remarks": "里帰り出産の予定（水戸市）。",
                },
            },
        ],
    ),
    "yobou_sesshu": (
        "yobou_sesshu.json",
        [
            {
                "id": "EX-YB-0001",
                "procedure": "yobou_sesshu",
                "atena_no": "0000012345",
                "received_at": "2026-11-20T15:00:00",
                "data": {
                    "person": {
                        "jumin_cd": "0000012345",
                        "name": f"山田{_FULL}花子",
                        "kana": f"ヤマダ{_FULL}ハナコ",
                        "sex": "女",
                        "birth_date": "2025-06-15",
                    },
                    "vaccine": "四種混合",
                    "category": "定期",
                    "dose": 1,
                    "site": "左上腕",
                    "vaccinated_on": "2025-09-01",
                    "lot_no": "AB1234-5",
                    "clinic_code": "0812345678",
                    "doctor": f"佐藤{_FULL}健一",
                },
            },
            {
                "id": "EX-YB-0002",
                "procedure": "yobou_sesshu",
                "atena_no": "0000012346",
                "received_at": "2026-11-21T10:30:00",
                "data": {
                    "person": {
                        "jumin_cd": "0000012346",
                        "name": f"鈴木{_FULL}大翔",
                        "kana": f"スズキ{_FULL}ヒロト",
                        "sex": "男",
                        "birth_date": "2025-03-02",
                    },
                    "vaccine": "小児用肺炎球菌",
                    "category": "定期",
                    "dose": 2,
                    "site": "右上腕",
                    "vaccinated_on": "2025-06-10",
                    "lot_no": "PN0456",
                    "clinic_code": "0812345678",
                    "doctor": f"佐藤{_FULL}健一",
                },
            },
        ],
    ),
}


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"children": [{"name": x}]}`` → ``{"children.1.name": x}`` (the importer's inverse)."""
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= flatten(value, f"{name}.")
        elif isinstance(value, list):
            for i, entry in enumerate(value, start=1):
                if isinstance(entry, Mapping):
                    out |= flatten(entry, f"{name}.{i}.")
                else:
                    out[f"{name}.{i}"] = value_text(entry)
        elif value is not None:
            out[name] = value_text(value)
    return out


def _columns(items: dict[str, ItemSpec], rows: list[dict[str, str]], prefix: str = "") -> list[str]:
    """Every column of the schema outside lists, and the list entries the rows use, in
    schema order: the file doubles as a template a clerk can fill in."""
    used = {column for row in rows for column in row}
    out: list[str] = []
    for key, spec in items.items():
        name = f"{prefix}{key}"
        if spec.items is not None:
            out += _columns(spec.items, rows, f"{name}.")
        elif spec.each is not None:
            n = 1
            while any(c == f"{name}.{n}" or c.startswith(f"{name}.{n}.") for c in used):
                each = spec.each.items
                out += _columns(each, rows, f"{name}.{n}.") if each else [f"{name}.{n}"]
                n += 1
        else:
            out.append(name)
    return out


def all_examples() -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """:data:`EXAMPLES`, and for every procedure of ``bots.demo.applications`` its first two
    demo applications as a JSON import file (the demo data is deterministic)."""
    from bots.demo import applications

    out = dict(EXAMPLES)
    for module in applications.modules():
        if module.PROCEDURE in out:
            continue
        apps = []
        for i, (person, household) in enumerate(applications.people(module.PEOPLE, 2)):
            data = applications.demo_data(module, person, household, i)
            apps.append(
                {
                    "id": f"EX-{module.PREFIX}-{i + 1:04d}",
                    "procedure": module.PROCEDURE,
                    "atena_no": person["atena_no"],
                    "received_at": f"{data[module.RECEIVED]}T10:30:00",
                    "status": "resolved",
                    "data": data,
                }
            )
        out[module.PROCEDURE] = (f"{module.PROCEDURE}.json", apps)
    return out


def example_file(procedure: str, items: dict[str, ItemSpec]) -> tuple[str, str]:
    """The name and text of a procedure's example import file (CSV or JSON)."""
    name, apps = all_examples()[procedure]
    if name.endswith(".json"):
        return name, json.dumps(apps, ensure_ascii=False, indent=2) + "\n"
    rows = [
        {k: str(v) for k, v in app.items() if k != "data"} | flatten(app["data"]) for app in apps
    ]
    fixed = [c for c in FIXED_COLUMNS if any(c in row for row in rows)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [*fixed, *_columns(items, rows)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return name, buffer.getvalue()


def write_examples(recipes: Iterable[Recipe], examples_dir: Path) -> list[Path]:
    """``examples/<procedure>.csv|json`` for every recipe that has example applications."""
    examples_dir.mkdir(parents=True, exist_ok=True)
    written = []
    known = all_examples()
    for recipe in sorted(recipes, key=lambda r: r.procedure):
        if recipe.procedure not in known:
            continue
        name, text = example_file(recipe.procedure, recipe.schema.items)
        path = examples_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
