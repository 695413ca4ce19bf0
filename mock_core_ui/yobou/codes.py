"""Code lists of the 健康管理システム（予防接種）: what the selects and radios post.

The vendor keys everything by its own codes (the option and radio *values*); the labels
are what a clerk reads. Records keep the codes, as the vendor's database does. The lists
are documented for IT in ``docs/mock-core-yobou.md`` — keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vaccine:
    """One ワクチン種別: its code, screen label and the last 接種回数 it can have."""

    code: str
    label: str
    max_dose: int


VACCINES: tuple[Vaccine, ...] = (
    Vaccine("01", "ヒブ", 4),
    Vaccine("02", "小児用肺炎球菌", 4),
    Vaccine("03", "Ｂ型肝炎", 3),
    Vaccine("04", "ロタウイルス", 3),
    Vaccine("05", "四種混合", 4),
    Vaccine("06", "五種混合", 4),
    Vaccine("07", "ＢＣＧ", 1),
    Vaccine("08", "麻しん風しん混合（ＭＲ）", 2),
    Vaccine("09", "水痘", 2),
    Vaccine("10", "日本脳炎", 4),
    Vaccine("11", "二種混合（ＤＴ）", 1),
    Vaccine("12", "ＨＰＶ（ヒトパピローマウイルス）", 3),
)
VACCINE_BY_CODE: dict[str, Vaccine] = {v.code: v for v in VACCINES}
ROTA = "04"
HPV = "12"

#: 接種区分 (select).
CATEGORIES: dict[str, str] = {"1": "定期", "2": "任意", "3": "定期（キャッチアップ）"}
CATCH_UP = "3"

#: 接種回数 (radio group).
DOSES: dict[str, str] = {"1": "1回目", "2": "2回目", "3": "3回目", "4": "4回目"}

#: 接種部位 (radio group); 経口 is for ロタウイルス only.
SITES: dict[str, str] = {
    "1": "左上腕",
    "2": "右上腕",
    "3": "左大腿",
    "4": "右大腿",
    "9": "経口",
}
ORAL = "9"

#: 性別 (select).
SEXES: dict[str, str] = {"1": "男", "2": "女"}

#: 生年月日の元号 (select): the national 元号 codes; this product offers only these three.
ERAS: dict[str, str] = {"3": "昭和", "4": "平成", "5": "令和"}
MAX_ERA_YEAR = 64  # 昭和64年: the longest era offered


def year_label(year: int) -> str:
    """The 年 select shows the first year of an era as 元 (its value stays ``1``)."""
    return "元" if year == 1 else str(year)
