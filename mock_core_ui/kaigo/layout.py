"""Code tables and the screen layouts (normal, ``v2``, ``v3``) of the 介護保険 screens.

A layout says which item texts the screens show, which ``name`` each input carries and in
which order the search result columns come. Views and templates read everything from
here, so a vendor update is one new :class:`Layout`:

* ``None`` (normal): inputs ``f01``… in screen order.
* ``v2``: a cosmetic update. A 受付窓口 row is inserted at the top of the entry table, every
  entry input moves one number up (``f02``…), the search and inquiry inputs are renumbered,
  and the search result columns come in another order. The item texts stay.
* ``v3``: a breaking update. Same as normal, but 被保険者番号 is now written 被保番号 and the
  医療保険 保険者番号 is now 保険者No.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..wareki import ERA_NAMES

# 元号 select: the vendor's era codes (明治=1 … 令和=5).
ERA_CODES: tuple[tuple[str, str], ...] = tuple(
    (str(i), name) for i, name in enumerate(ERA_NAMES, start=1)
)
ERA_BY_CODE: dict[str, str] = dict(ERA_CODES)
DEFAULT_ERA_CODE = ERA_CODES[-1][0]  # 令和

# 申請区分 radio.
KUBUN: tuple[tuple[str, str], ...] = (("1", "新規"), ("2", "更新"), ("3", "区分変更"))
KUBUN_NAMES: dict[str, str] = dict(KUBUN)
KUBUN_NEEDS_PREVIOUS = frozenset({"2", "3"})

# 前回の要介護度: the 要介護状態区分コード of the 介護保険 interfaces.
CARE_LEVELS: tuple[tuple[str, str], ...] = (
    ("12", "要支援1"),
    ("13", "要支援2"),
    ("21", "要介護1"),
    ("22", "要介護2"),
    ("23", "要介護3"),
    ("24", "要介護4"),
    ("25", "要介護5"),
)
CARE_LEVEL_NAMES: dict[str, str] = dict(CARE_LEVELS)

# 本人の居所.
RESIDENCES: tuple[tuple[str, str], ...] = (("1", "自宅"), ("2", "施設"), ("3", "入院中"))
RESIDENCE_NAMES: dict[str, str] = dict(RESIDENCES)
RESIDENCE_AT_HOME = "1"

# 受付窓口 (v2 only).
MADOGUCHI: tuple[tuple[str, str], ...] = (
    ("01", "本庁 介護保険課"),
    ("02", "谷田部窓口センター"),
    ("03", "筑波窓口センター"),
    ("04", "郵送受付"),
    ("05", "電子申請"),
)
MADOGUCHI_NAMES: dict[str, str] = dict(MADOGUCHI)

# Logical fields of the entry form, in screen order (受付窓口 only exists in v2).
ENTRY_FIELDS: tuple[str, ...] = (
    "kubun",
    "era",
    "year",
    "month",
    "day",
    "prev_level",
    "doc_code",
    "doc_hospital",
    "doc_name",
    "insurer_no",
    "insurer_symbol",
    "residence",
    "facility",
    "remarks",
)
HIDDEN_INSURED = "f00"  # hidden 被保険者番号 of the entry form, in every layout

SEARCH_COLUMNS: tuple[str, ...] = ("hno", "name", "kana", "birth", "address", "select")
SEARCH_COLUMNS_V2: tuple[str, ...] = ("select", "name", "kana", "birth", "hno", "address")


def _numbered(fields: tuple[str, ...], start: int) -> dict[str, str]:
    return {key: f"f{n:02d}" for n, key in enumerate(fields, start=start)}


@dataclass(frozen=True)
class Layout:
    """Everything that differs between the vendor's releases of the screens."""

    variant: str | None
    version: str  # shown in the footer of every screen
    hno_text: str  # item text of 被保険者番号
    insurer_text: str  # item text of the 医療保険 保険者番号
    madoguchi: bool  # the 受付窓口 row at the top of the entry table
    entry: dict[str, str]  # logical field → input name
    search: dict[str, str]
    inquiry: dict[str, str]
    search_columns: tuple[str, ...]

    def column_text(self, key: str) -> str:
        """Header text of a search result column."""
        texts = {
            "hno": self.hno_text,
            "name": "氏名",
            "kana": "カナ氏名",
            "birth": "生年月日",
            "address": "住所",
            "select": "選択",
        }
        return texts[key]


NORMAL = Layout(
    variant=None,
    version="Ver.2.05",
    hno_text="被保険者番号",
    insurer_text="保険者番号",
    madoguchi=False,
    entry=_numbered(ENTRY_FIELDS, 1),
    search={"hno": "f01"},
    inquiry={"hno": "f01", "remarks": "f02"},
    search_columns=SEARCH_COLUMNS,
)

V2 = Layout(
    variant="v2",
    version="Ver.2.10",
    hno_text="被保険者番号",
    insurer_text="保険者番号",
    madoguchi=True,
    entry=_numbered(("madoguchi", *ENTRY_FIELDS), 1),
    search={"hno": "f02"},
    inquiry={"hno": "f02", "remarks": "f03"},
    search_columns=SEARCH_COLUMNS_V2,
)

V3 = Layout(
    variant="v3",
    version="Ver.3.00",
    hno_text="被保番号",
    insurer_text="保険者No.",
    madoguchi=False,
    entry=NORMAL.entry,
    search=NORMAL.search,
    inquiry=NORMAL.inquiry,
    search_columns=SEARCH_COLUMNS,
)

LAYOUTS: dict[str | None, Layout] = {None: NORMAL, "v2": V2, "v3": V3}


def layout_for(variant: str | None) -> Layout:
    """The layout of a variant name; unknown names fall back to the normal layout."""
    return LAYOUTS.get(variant, NORMAL)
