"""Layout variants of the 子育て (kosodate) screens: a vendor update, switched on by faults.

- ``v1`` (or none): the screens of docs/mock-core-contract.md.
- ``v2``: the vendor renamed element ids (and the posted field names) but kept every
  label, heading and ``data-screen``: a bot with label fallbacks still works (and should
  report the drift).
- ``v3``: a breaking update: the ids of v2, plus 金融機関コード is labelled 金融機関番号
  and 口座番号 moves before 支店コード, labelled 口座No.

The server reads the renamed fields back under their standard names, so a clerk using the
new screen can register; names of another layout are ignored, as the new program would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .faults import layout_variant

SUBSYSTEM = "kosodate"

# Standard id → label, for the fields a variant may change.
LABELS: dict[str, str] = {
    "my_number": "個人番号",
    "bank_code": "金融機関コード",
    "branch_code": "支店コード",
    "account_type": "預金種別",
    "account_no": "口座番号",
    "account_holder": "口座名義（カナ）",
    "remarks": "備考",
    "inq_remarks": "備考（部分一致）",
}

V2_IDS: dict[str, str] = {
    "my_number": "kojin_no",
    "bank_code": "kikan_cd",
    "branch_code": "shiten_cd",
    "account_type": "yokin_shubetsu",
    "account_no": "koza_no",
    "account_holder": "koza_meigi",
    "remarks": "biko",
    "inq_remarks": "inq_biko",
}
V3_LABELS: dict[str, str] = {"bank_code": "金融機関番号", "account_no": "口座No."}


@dataclass(frozen=True)
class KosodateLayout:
    """What a layout changes: ids (= field names), labels, the order of the account row."""

    name: str
    version: str  # shown in the footer, as vendors do
    ids: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    account_no_before_branch: bool = False

    def id(self, standard: str) -> str:
        """The element id and field name of a standard field in this layout."""
        return self.ids.get(standard, standard)

    def label(self, standard: str) -> str:
        """The label text of a standard field in this layout."""
        return self.labels.get(standard, LABELS[standard])

    def to_standard(self, data: Mapping[str, str]) -> dict[str, str]:
        """Posted/query fields under their standard names (this layout's names only)."""
        back = {new: old for old, new in self.ids.items()}
        result: dict[str, str] = {}
        for key in data:
            value = data.get(key)
            if value is None:
                continue
            if key in back:
                result[back[key]] = value
            elif key not in self.ids:  # an old name no longer on this screen is ignored
                result[key] = value
        return result


LAYOUTS: dict[str, KosodateLayout] = {
    "v1": KosodateLayout("v1", "Ver.3.2.1"),
    "v2": KosodateLayout("v2", "Ver.3.3.0", ids=V2_IDS),
    "v3": KosodateLayout(
        "v3", "Ver.4.0.0", ids=V2_IDS, labels=V3_LABELS, account_no_before_branch=True
    ),
}


def kosodate_layout() -> KosodateLayout:
    """The layout to render now (unknown variant names fall back to the standard one)."""
    return LAYOUTS.get(layout_variant(SUBSYSTEM) or "v1", LAYOUTS["v1"])
