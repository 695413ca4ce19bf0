"""A procedure's screens as data: one YAML file per procedure in ``forms/specs/``.

A vendor builds the screens of one subsystem from the same parts (a header with the
person, item tables, a list of rows, 登録, a result with the 受付番号, an inquiry). The
mock does the same: :class:`FormSpec` names a procedure's items in screen order and the
subsystem's templates draw them, so each of the 26 procedures is a page of data a reader
can compare with the procedure's paper form, not a page of HTML.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

SPECS = Path(__file__).with_name("specs")

Kind = Literal["text", "digits", "number", "wareki", "select", "radio", "check", "textarea"]


class When(BaseModel):
    """Required only when another item of the same screen (or row) has one of these values."""

    model_config = ConfigDict(extra="forbid")

    item: str
    values: list[str] = Field(alias="in")


class Item(BaseModel):
    """One input of the entry screen: how it is drawn, and the vendor's own checks."""

    model_config = ConfigDict(extra="forbid")

    name: str
    label: str
    kind: Kind = "text"
    required: bool = True
    required_when: When | None = None  # required when another item has one of the values
    choices: dict[str, str] = {}  # code → text, in screen order (select, radio)
    max_length: int | None = None
    length: int | None = None  # digits: exactly this many
    min: int | None = None  # number
    max: int | None = None
    not_future: bool = False  # wareki: not after today
    hint: str | None = None  # the grey text beside the input

    @model_validator(mode="after")
    def _coherent(self) -> Item:
        if self.kind in ("select", "radio") and not self.choices:
            raise ValueError(f"{self.name}: a {self.kind} needs choices")
        return self


class Rows(BaseModel):
    """A fixed list of numbered rows (児童1…, 第1希望…); empty rows are not stored."""

    model_config = ConfigDict(extra="forbid")

    name: str
    label: str  # the row's heading: 児童, 第{n}希望
    noun: str  # what a row is, in messages: 児童, 希望施設
    count: int
    min: int = 1
    items: list[Item]

    def heading(self, n: int) -> str:
        return self.label.format(n=n) if "{n}" in self.label else f"{self.label}{n}"


class Section(BaseModel):
    """A titled block of the entry screen (a fieldset, or a ■ heading on older screens)."""

    model_config = ConfigDict(extra="forbid")

    legend: str
    items: list[Item] = []
    rows: Rows | None = None


class FormSpec(BaseModel):
    """Everything the mock needs to serve one procedure's entry, result and inquiry."""

    model_config = ConfigDict(extra="forbid")

    procedure: str
    subsystem: Literal["kosodate", "kaigo"]
    screen_id: str  # the vendor's screen id, printed on the screen (e.g. JTG0310)
    title: str  # the entry screen's title
    menu: str  # the menu entry
    menu_group: str  # the menu's heading (児童手当, 保育, 認定, 給付 …)
    receipt_prefix: str  # two capitals: the 受付番号 is the prefix and 8 digits
    sections: list[Section]
    result_screen_id: str = ""  # default: the entry's id with its last digit one up
    inquiry_screen_id: str = ""  # default: the entry's id ending in 9

    @model_validator(mode="after")
    def _unique(self) -> FormSpec:
        names = [i.name for s in self.sections for i in s.items]
        names += [r.name for s in self.sections if s.rows for r in [s.rows]]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"{self.procedure}: items named twice: {sorted(dupes)}")
        return self

    def model_post_init(self, _context: object) -> None:
        stem, last = self.screen_id[:-1], self.screen_id[-1]
        if not self.result_screen_id:
            self.result_screen_id = f"{stem}{(int(last) + 1) % 10}" if last.isdigit() else stem
        if not self.inquiry_screen_id:
            self.inquiry_screen_id = f"{stem}9"

    @property
    def keys(self) -> list[str]:
        """Every standard key the entry screen posts, in screen order (rows row by row)."""
        keys: list[str] = []
        for section in self.sections:
            for item in section.items:
                keys += keys_of(item)
            if section.rows is not None:
                for n in range(1, section.rows.count + 1):
                    for item in section.rows.items:
                        keys += keys_of(item, f"{section.rows.name}_", f"_{n}")
        return keys

    @property
    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    @property
    def rows(self) -> list[Rows]:
        return [s.rows for s in self.sections if s.rows is not None]


WAREKI_PARTS = ("era", "year", "month", "day")


def keys_of(item: Item, prefix: str = "", suffix: str = "") -> list[str]:
    """The standard keys one item posts under (four for a 和暦 date)."""
    base = f"{prefix}{item.name}{suffix}"
    if item.kind == "wareki":
        return [f"{base}_{part}" for part in WAREKI_PARTS]
    return [base]


def load(path: Path) -> FormSpec:
    try:
        return FormSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"forms/specs/{path.name}: {exc}") from exc


@functools.cache
def all_specs() -> dict[str, FormSpec]:
    """Every procedure's spec by procedure id (read once per process)."""
    specs = [load(p) for p in sorted(SPECS.glob("*.yaml"))]
    return {s.procedure: s for s in specs}


def specs_of(subsystem: str) -> list[FormSpec]:
    return [s for s in all_specs().values() if s.subsystem == subsystem]
