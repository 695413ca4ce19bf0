"""The shapes of a recipe file (pydantic) and the loaded :class:`Recipe`.

:mod:`bots.recipe.model` loads a file into these; they are also what the generated reference
(:mod:`bots.docs.recipe_reference`) documents, key by key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)

from bots.schema import ApplicationSpec, Schema
from bots.screens import SelectorSet
from bots.steps import Step
from bots.transforms.choices import CodeList

#: The municipality's 外字 list, beside the recipes (one character or more per line).
GAIJI_FILE = "gaiji.txt"

#: Values the engine provides for every application, besides the recipe's own fields.
BUILTIN_NAMES = {"application_id", "atena_no", "procedure", "received_at"}

#: What ``already_keyed:`` / ``receipt:`` say for a core system without an inquiry screen /
#: without a 受付番号. Only this word: an empty key (``receipt:``) is an error, not "none".
NONE = "none"
#: What a recipe that ``extends`` another (the same procedure on another core-system
#: client, e.g. its desktop version) gives itself: its screens and the steps on them. The
#: procedure, title, receipt, application items and rules are the base recipe's; ``codes``
#: and ``fields`` may add names of its own (never change the base's).
EXTENDS_OWN = ("selectors", "already_keyed", "steps")
EXTENDS_ADDS = ("codes", "fields")

#: What each of the two keys takes, for the loader's message when it is missing or wrong.
REQUIRED_HINTS = {
    "already_keyed": "steps ending in 'find_existing' that look the application up on the "
    "inquiry screen, or 'already_keyed: none' for a core system without one (an application "
    "that may have been registered then goes to 要確認)",
    "receipt": "the 受付番号's {pattern, example}, or 'receipt: none' for a core system that "
    "gives no receipt number",
}


class CodeRef(BaseModel):
    """A code list lookup among a field's transforms: ``{code: sex}`` turns a code into its
    label (``"2"`` → 女性), ``{code_of: sex}`` a label into its code (女性 → ``"2"``).

    The loader binds it to the recipe's own list (:meth:`bind`); it is then called like a
    registered transform.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str | None = None
    code_of: str | None = None
    _lookup: Callable[[object], str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_list(self) -> CodeRef:
        if (self.code is None) == (self.code_of is None):
            raise ValueError("give exactly one of 'code' or 'code_of'")
        return self

    @property
    def key(self) -> str:
        return "code" if self.code is not None else "code_of"

    @property
    def list_name(self) -> str:
        return str(self.code if self.code is not None else self.code_of)

    def bind(self, codes: CodeList) -> None:
        self._lookup = codes.label if self.code is not None else codes.code

    def __call__(self, value: object) -> str:
        if self._lookup is None:  # a programming error: only the loader makes these
            raise RuntimeError(f"code list '{self.list_name}' was not bound")
        return self._lookup(value)


def _transform_kind(value: Any) -> str:
    """A mapping among the transforms is a code list lookup; anything else a name."""
    return "code_list" if isinstance(value, dict) else "transform_name"


TransformRef = Annotated[
    Annotated[str, Tag("transform_name")] | Annotated[CodeRef, Tag("code_list")],
    Discriminator(_transform_kind),
]
#: pydantic's names of union branches: not part of the path an author wrote.
_BRANCH_TAGS = ("field", "group", "transform_name", "code_list", "none", "given")


class FieldSpec(BaseModel):
    """One value for the screen, computed from the application's data."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | None = Field(default=None, alias="from")
    value: str | None = None  # a template over built-ins, e.g. "[renkei:{application_id}]"
    transforms: list[TransformRef] = []
    label: str | None = None
    required: bool = True
    when: str | None = None  # computed only when this data path is present
    max_length: int | None = None
    sensitive: bool = False  # masked in the audit log

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        if (self.source is None) == (self.value is None):
            raise ValueError("give exactly one of 'from' or 'value'")
        return self


class GroupSpec(BaseModel):
    """A repeated group of the form (児童): a list in the data, rows on the screen."""

    model_config = ConfigDict(extra="forbid")

    each: str
    label: str
    min_items: int = 0
    max_items: int | None = None
    fields: dict[str, FieldSpec]


def _field_kind(value: Any) -> str:
    """A mapping with ``each`` is a repeated group; anything else a single field."""
    return "group" if isinstance(value, dict) and "each" in value else "field"


FieldOrGroup = Annotated[
    Annotated[FieldSpec, Tag("field")] | Annotated[GroupSpec, Tag("group")],
    Discriminator(_field_kind),
]


class ReceiptSpec(BaseModel):
    """The core system's 受付番号 of this procedure: what a clerk keying by hand must give."""

    model_config = ConfigDict(extra="forbid")

    pattern: str
    example: str | None = None


def _none_or_given(value: Any) -> str:
    """A string is the word ``none`` (or a mistake pydantic names); anything else is given."""
    return "none" if isinstance(value, str) else "given"


ReceiptOrNone = Annotated[
    Annotated[ReceiptSpec, Tag("given")] | Annotated[Literal["none"], Tag("none")],
    Discriminator(_none_or_given),
]
StepsOrNone = Annotated[
    Annotated[list[Any], Tag("given")] | Annotated[Literal["none"], Tag("none")],
    Discriminator(_none_or_given),
]


class RecipeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    selectors: str
    receipt: ReceiptOrNone = Field(
        description="the shape of the core system's 受付番号 (`pattern`, `example`), or "
        "`none` for a system that gives none (keyed applications are 連携済 without one, "
        "and 手入力済 asks for none)."
    )
    codes: dict[str, dict[str, str]] = {}
    application: ApplicationSpec
    fields: dict[str, FieldOrGroup]
    already_keyed: StepsOrNone = Field(
        description="steps that look for the application in the core system before keying "
        "(an attempt may have pressed 登録 already), ending in `find_existing`; or `none` "
        "for a system without an inquiry screen: an application that may have been "
        "registered is then never keyed again automatically but goes to 要確認."
    )
    steps: list[Any]


@dataclass(frozen=True)
class Recipe:
    """A loaded, validated recipe, ready to run."""

    procedure: str
    title: str
    path: Path
    selectors: SelectorSet
    fields: dict[str, FieldSpec]
    groups: dict[str, GroupSpec]
    already_keyed: list[Step]
    steps: list[Step]
    schema: Schema
    receipt: ReceiptSpec | None = None  # None: ``receipt: none``, the system gives none
    inquiry: bool = True  # False: ``already_keyed: none``, no inquiry screen to look it up

    @property
    def system(self) -> str:
        return self.selectors.system

    @property
    def gives_receipt(self) -> bool:
        """Whether the core system gives a 受付番号 (the recipe does not say ``none``)."""
        return self.receipt is not None

    @property
    def sensitive_fields(self) -> set[str]:
        names = {n for n, f in self.fields.items() if f.sensitive}
        for group in self.groups.values():
            names |= {n for n, f in group.fields.items() if f.sensitive}
        return names

    @property
    def sensitive_keys(self) -> set[str]:
        """Keys of the application data whose values are masked wherever data is shown."""
        return self.schema.sensitive_keys()

    def receipt_problem(self, receipt_no: str) -> str | None:
        """Why ``receipt_no`` is not a 受付番号 of this procedure, or None when it is."""
        if self.receipt is None or re.fullmatch(self.receipt.pattern, receipt_no):
            return None
        example = f"（例: {self.receipt.example}）" if self.receipt.example else ""
        return f"受付番号「{receipt_no}」は{self.title}の受付番号の形式ではありません{example}"
