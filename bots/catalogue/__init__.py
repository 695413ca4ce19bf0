"""The 26 procedures of 子育て and 介護 the national plan names: the catalogue renkei ships.

``renkei procedures`` and the console's レシピ・画面 page list every one of them, with a
recipe or 「レシピなし」, so a municipality sees at a glance how much of the plan its
installation covers; the recipes of issue #14 fill the catalogue in, one ``procedure:`` id
each.

Why a typed Python table and not a data file: the list is the national plan's, not a
municipality's setting (IT changes recipes and selector files, never this list), so it
belongs to the code. As a table, mypy checks every field (分野 and サブシステム are
``Literal``), nothing can fail to load or be left out of the package at run time, and the
ids are importable. Order is the plan's order (15 子育て, then 11 介護); ids are ASCII
snake_case like the recipe files' names, and the three shipped recipes keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Field = Literal["子育て", "介護"]
Subsystem = Literal["kosodate", "boshi", "kaigo"]

#: The 分野 in the plan's order.
FIELDS: tuple[Field, ...] = ("子育て", "介護")


@dataclass(frozen=True)
class CatalogueProcedure:
    """One procedure of the plan: its id (the recipe's ``procedure:``), names and place."""

    id: str
    name: str  # the official name, as the national plan writes it
    short: str  # the name staff use
    field: Field  # 分野
    subsystem: Subsystem  # the core system's subsystem its recipe keys into (issue #14)


def _kosodate(
    id: str, name: str, short: str, subsystem: Subsystem = "kosodate"
) -> CatalogueProcedure:
    return CatalogueProcedure(id, name, short, "子育て", subsystem)


def _kaigo(id: str, name: str, short: str) -> CatalogueProcedure:
    return CatalogueProcedure(id, name, short, "介護", "kaigo")


#: The 26, in the national plan's order.
CATALOGUE: tuple[CatalogueProcedure, ...] = (
    _kosodate("jidou_teate_nintei", "児童手当等の受給資格及び児童手当の額についての認定請求", "児童手当 認定請求"),
    _kosodate("jidou_teate_gakukaitei", "児童手当等の額の改定の請求及び届出", "児童手当 額改定"),
    _kosodate("jidou_teate_henkou", "氏名変更／住所変更等の届出", "児童手当 氏名・住所変更"),
    _kosodate("jidou_teate_shoumetsu", "受給事由消滅の届出", "児童手当 受給事由消滅"),
    _kosodate("jidou_teate_mishiharai", "未支払の児童手当等の請求", "児童手当 未支払請求"),
    _kosodate("jidou_teate_kifu", "児童手当等に係る寄附の申出", "児童手当 寄附"),
    _kosodate("jidou_teate_kifu_henkou", "児童手当に係る寄附変更等の申出", "児童手当 寄附変更"),
    _kosodate("jidou_teate_kyuushoku", "受給資格者の申出による学校給食費等の徴収等の申出", "学校給食費等の徴収"),
    _kosodate("jidou_teate_kyuushoku_henkou", "受給資格者の申出による学校給食費等の徴収等の変更等の申出", "学校給食費等の徴収 変更"),
    _kosodate("jidou_teate_genkyou", "児童手当等の現況届", "児童手当 現況届"),
    _kosodate("hoiku_shikyuu_nintei", "支給認定の申請", "保育 支給認定"),
    _kosodate("hoiku_moushikomi", "保育施設等の利用申込", "保育 利用申込"),
    _kosodate("hoiku_genkyou", "保育施設等の現況届", "保育 現況届"),
    _kosodate("jidou_fuyou_genkyou", "児童扶養手当の現況届の事前送信", "児童扶養手当 現況届"),
    _kosodate("boshi_ninshin", "妊娠の届出", "妊娠の届出", subsystem="boshi"),
    _kaigo("kaigo_nintei", "要介護・要支援認定の申請", "要介護認定"),
    _kaigo("kaigo_koushin", "要介護・要支援更新認定の申請", "要介護認定 更新"),
    _kaigo("kaigo_kubun_henkou", "要介護・要支援状態区分変更認定の申請", "要介護認定 区分変更"),
    _kaigo("kaigo_keikaku_irai", "居宅(介護予防)サービス計画作成(変更)依頼の届出", "ケアプラン作成依頼"),
    _kaigo("kaigo_futan_wariai", "介護保険負担割合証の再交付申請", "負担割合証 再交付"),
    _kaigo("kaigo_hihokenshashou", "被保険者証の再交付申請", "被保険者証 再交付"),
    _kaigo("kaigo_kougaku", "高額介護(予防)サービス費の支給申請", "高額介護サービス費"),
    _kaigo("kaigo_futan_gendo", "介護保険負担限度額認定申請", "負担限度額認定"),
    _kaigo("kaigo_fukushi_yougu", "居宅介護(介護予防)福祉用具購入費の支給申請", "福祉用具購入費"),
    _kaigo("kaigo_jutaku_kaishuu", "居宅介護(介護予防)住宅改修費の支給申請", "住宅改修費"),
    _kaigo("kaigo_tenkyo_nintei", "住所移転後の要介護・要支援認定申請", "住所移転後の認定"),
)  # fmt: skip

#: The catalogue by id.
BY_ID: dict[str, CatalogueProcedure] = {p.id: p for p in CATALOGUE}


def in_field(field: Field) -> list[CatalogueProcedure]:
    """The procedures of one 分野, in the plan's order."""
    return [p for p in CATALOGUE if p.field == field]
