"""The application schema of a procedure: every item its online form carries, as data.

A recipe's ``application:`` block declares the items of the form (keyed or not) and the
cross-item rules of the procedure's law. Nothing here runs code from the YAML: item
types, normalising transforms and rules are looked up by name in registries, so a typo is
a load-time error with file:line (:mod:`bots.schema.loading`).

::

    application:
      unknown_items: review          # an item the form carries but this schema does not
      items:
        applicant:
          type: object
          label: 請求者               # prefixes its items' labels: 請求者フリガナ
          items:
            kana: {label: フリガナ, normalize: [katakana_zenkaku], max_length: 30}
            birth_date: {type: date, label: 生年月日, normalize: [iso_date], not_future: true}
        children:
          type: list
          label: 児童                 # 児童1 氏名, 児童2 氏名 …
          min_items: 1
          each: {type: object, items: {...}}
      rules:
        - {rule: child_age_limit, children: children, birth: birth_date, on: claim_date}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ItemType = Literal["text", "date", "integer", "boolean", "object", "list"]
Charset = Literal["jis_x0208", "ascii", "any"]


class ItemSpec(BaseModel):
    """One item of the form. Text by default; required unless said otherwise."""

    model_config = ConfigDict(extra="forbid")

    type: ItemType = "text"
    label: str | None = None
    description: str | None = None  # for the import layout docs
    example: Any = None  # a valid value, for the docs and for pattern errors
    required: bool = True
    sensitive: bool = False  # masked in every message, log and report
    normalize: list[str] = []  # transforms by name, applied before the checks; audited
    # text
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = None  # a regular expression the whole value must match
    charset: Charset = "jis_x0208"  # JIS X 0208 plus the municipality's 外字
    multiline: bool = False  # line breaks allowed (備考)
    choices: list[str] | None = None
    # date and integer
    min: str | int | None = None  # an ISO date for dates
    max: str | int | None = None
    not_future: bool = False  # a date after today (JST) is impossible
    not_before: str | None = None  # the path of another date item
    not_after: str | None = None
    # object and list
    items: dict[str, ItemSpec] | None = None
    each: ItemSpec | None = None
    min_items: int = Field(default=0, ge=0)
    max_items: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> ItemSpec:
        text_only = ("min_length", "max_length", "pattern", "choices")
        if self.type == "object" and self.items is None:
            raise ValueError("an object needs 'items'")
        if self.type != "object" and self.items is not None:
            raise ValueError("only an object has 'items' (type: object)")
        if self.type == "list" and self.each is None:
            raise ValueError("a list needs 'each': the shape of one entry")
        if self.type != "list" and self.each is not None:
            raise ValueError("only a list has 'each' (type: list)")
        if self.type != "text":
            for key in text_only:
                if getattr(self, key) is not None:
                    raise ValueError(f"'{key}' applies to text items only")
        if self.type != "date":
            for key in ("not_future", "not_before", "not_after"):
                if getattr(self, key):
                    raise ValueError(f"'{key}' applies to date items only")
        if self.type not in ("date", "integer") and (self.min is not None or self.max is not None):
            raise ValueError("'min' and 'max' apply to date and integer items only")
        return self


class ApplicationSpec(BaseModel):
    """The ``application:`` block of a recipe."""

    model_config = ConfigDict(extra="forbid")

    unknown_items: Literal["review", "keep"] = "review"
    items: dict[str, ItemSpec]
    rules: list[dict[str, Any]] = []
