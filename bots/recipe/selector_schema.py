"""The shape of a selector file, checked by pydantic, with errors mapped to file:line:column.

The file is validated part by part — the top level, each screen, each element, the log-in,
each interrupt — so that one broken screen does not hide the mistakes of the next one: the
loader (:mod:`bots.recipe.selectors`) collects every problem of a file and reports them
together. Each ``validate_*`` call returns the validated model, or None and the problems.

pydantic's error locations are followed through the located YAML
(:mod:`bots.recipe.yamlpos`) to the key that is wrong; an unknown key gets a did-you-mean
from the keys that level allows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bots.errors import RecipeError, SourcePos
from bots.recipe.yamlpos import LocDict, LocList, pos_of
from bots.screens import DEFAULT_KIND, KINDS, did_you_mean, unknown

STRATEGY_KINDS = (
    "css",
    "label",
    "role",
    "text",
    "placeholder",
    "xpath",
    "cell",
    "cell_text",
    "column",
)
#: Keys of one strategy mapping that qualify its strategies (``name``, ``exact``) and flags
#: of the whole element.
STRATEGY_OPTIONS = ("name", "exact")
ELEMENT_FLAGS = ("sensitive", "within", "latest", "navigates")
#: The strategies ``exact`` changes (Playwright's text matching).
TEXT_MATCHING = ("label", "role", "text", "placeholder")

Text = Annotated[str, Field(min_length=1)]

# Union tags appear in pydantic's error locations; written so no YAML key can look alike.
_CSS, _LIST, _MAPPING = "<css>", "<list>", "<mapping>"


class StrategyMapping(BaseModel):
    """One mapping of an element: strategies in the order written, and flags."""

    model_config = ConfigDict(extra="forbid")

    css: Text | None = None
    label: Text | None = None
    role: Text | None = None
    text: Text | None = None
    placeholder: Text | None = None
    xpath: Text | None = None
    cell: Text | None = None
    cell_text: Text | None = None
    column: Text | None = None
    name: Text | None = None
    exact: bool = False
    sensitive: bool = False
    within: Text | None = None
    latest: bool = False
    navigates: bool = False

    @model_validator(mode="after")
    def _meaningful(self) -> StrategyMapping:
        """Options that would mean nothing are refused rather than silently ignored."""
        kinds = [k for k in STRATEGY_KINDS if getattr(self, k) is not None]
        if not kinds:
            raise PydanticCustomError("no_strategy", "element has no locator strategy")
        if self.name is not None and self.role is None:
            raise PydanticCustomError(
                "name_without_role",
                "'name' is the accessible name of a 'role' strategy: add 'role' or remove 'name'",
                {"key": "name"},
            )
        if self.exact and not any(k in TEXT_MATCHING for k in kinds):
            raise PydanticCustomError(
                "exact_without_text",
                "'exact' applies only to label, role, text and placeholder strategies",
                {"key": "exact"},
            )
        return self


def _item_shape(value: Any) -> str | None:
    if isinstance(value, str):
        return _CSS
    return _MAPPING if isinstance(value, dict) else None


def _element_shape(value: Any) -> str | None:
    return _LIST if isinstance(value, list) else _item_shape(value)


StrategyItem = Annotated[
    Annotated[Text, Tag(_CSS)] | Annotated[StrategyMapping, Tag(_MAPPING)],
    Discriminator(
        _item_shape,
        custom_error_type="strategy_shape",
        custom_error_message="a strategy is a CSS string or a mapping",
    ),
]

ElementSpec = Annotated[
    Annotated[Text, Tag(_CSS)]
    | Annotated[list[StrategyItem], Tag(_LIST), Field(min_length=1)]
    | Annotated[StrategyMapping, Tag(_MAPPING)],
    Discriminator(
        _element_shape,
        custom_error_type="element_shape",
        custom_error_message="an element is a CSS string, a mapping or a list",
    ),
]

ELEMENT: TypeAdapter[Any] = TypeAdapter(ElementSpec)

_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)


class ScreenModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Text | None = None
    title: str | None = None
    marker: Any = None  # an element: validated on its own
    elements: dict[str, Any] | None = None  # each validated on its own
    frame: Text | None = None
    window: Text | None = None

    @field_validator("url")
    @classmethod
    def _path(cls, url: str | None) -> str | None:
        """A URL without ``/`` would be joined relative to whatever page is open."""
        if url is not None and not url.startswith("/") and not _ABSOLUTE.match(url):
            raise ValueError(
                f"url '{url}' must start with '/' (a path under the core system's address,"
                f" e.g. '/{url}') or be a full http(s) URL"
            )
        return url


class LoginModel(BaseModel):
    """Which screen is the log-in and which of its elements are the user, password, submit."""

    model_config = ConfigDict(extra="forbid")

    screen: Text
    user: Text
    password: Text
    submit: Text


class InterruptModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detect: Any  # elements: validated on their own
    close: Any


def _known_kind(kind: str | None) -> str | None:
    """A kind no driver is written for is a typo until proven otherwise (``web``/``desktop``)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(
            f"unknown kind '{kind}'{did_you_mean(kind, KINDS)}: a selector file is for"
            f" {' or '.join(KINDS)} screens"
        )
    return kind


Box = tuple[int, int, int, int]
Pair = tuple[int, int]


class DesktopElementModel(BaseModel):
    """An element of a ``kind: desktop`` file: an image template, or a box placed from it
    (``offset``/``size`` in 100 %-pixels), or a column of a list (``within`` + ``column``)."""

    model_config = ConfigDict(extra="forbid")

    image: Text | None = None
    offset: Pair | None = None
    size: Pair | None = None
    threshold: float = Field(0.85, gt=0.5, le=1.0)
    sensitive: bool = False
    read: Literal["copy", "ocr"] | None = None
    ocr: Literal["code", "japanese", "text"] = "japanese"
    shape: Annotated[str, Field(pattern=r"^[A9]+$")] | None = None
    part: Box | None = None
    rows: int | None = Field(None, gt=0)
    column: Pair | None = None
    within: Text | None = None
    area: Box | None = None

    @model_validator(mode="after")
    def _meaningful(self) -> DesktopElementModel:
        if self.column is not None:
            if self.within is None:
                raise PydanticCustomError(
                    "column_without_within", "a 'column' is inside a list: add 'within'"
                )
            return self
        if self.image is None:
            raise PydanticCustomError(
                "no_image", "a desktop element needs 'image' (or 'column' inside a list)"
            )
        if (self.offset is None) != (self.size is None):
            raise PydanticCustomError(
                "offset_and_size", "'offset' and 'size' go together (the box beside the image)"
            )
        return self


class DesktopScreenModel(BaseModel):
    """A screen of a ``kind: desktop`` file: its window title and reference image."""

    model_config = ConfigDict(extra="forbid")

    title: Text
    reference: Text
    # the reference as shown at other display scales, by percent: {"125": …_125.png}
    scaled: dict[Annotated[str, Field(pattern=r"^[0-9]{2,3}$")], Text] = {}
    anchor: Box
    values: list[Box] = []
    back: Text | None = None
    popup: bool = False
    elements: dict[str, Any] | None = None  # each validated on its own


class PopupModel(BaseModel):
    """``confirm: {screen, message, button}`` (the button that answers yes) and
    ``alert: {screen, message, button}`` (the button that closes it)."""

    model_config = ConfigDict(extra="forbid")

    screen: Text
    message: Text
    button: Text


class SelectorFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: Text
    title: str | None = None
    kind: str = DEFAULT_KIND
    login: Any  # validated on its own
    screens: dict[str, Any]
    busy: Any = None
    interrupts: dict[str, Any] | None = None
    single_page: bool = False
    # kind: desktop only — the home screen (menu) and the confirm / error pop-ups
    home: Text | None = None
    confirm: PopupModel | None = None
    alert: PopupModel | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str | None) -> str | None:
        return _known_kind(kind)


class ExtendingFileModel(BaseModel):
    """A procedure's own screens on top of its subsystem's file (``extends: kosodate``):
    the log-in, interrupts, busy marker and the shared screens come from there."""

    model_config = ConfigDict(extra="forbid")

    extends: Text
    system: Text | None = None  # if written, it must be the base file's
    kind: str | None = None  # if written, it must be the base file's too
    title: str | None = None
    screens: dict[str, Any]

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str | None) -> str | None:
        return _known_kind(kind)


def keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def validate(
    model: type[BaseModel] | TypeAdapter[Any],
    node: Any,
    where: SourcePos | None,
    what: str,
    path: str = "",
) -> tuple[Any, list[RecipeError]]:
    """Validate ``node`` against ``model``: (the result, []) or (None, every problem).

    ``what`` names the level in unknown-key messages ("screen key", "login key", "key");
    ``path`` is the YAML path of ``node``, shown before pydantic's own wording.
    """
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(node), []
        return model.model_validate(node), []
    except ValidationError as exc:
        allowed = keys_of(model) if not isinstance(model, TypeAdapter) else []
        return None, [_problem(e, node, where, what, allowed, path) for e in exc.errors()]


def _follow(
    node: Any, where: SourcePos | None, loc: Sequence[int | str]
) -> tuple[Any, Any, SourcePos | None, list[str]]:
    """Walk ``loc`` through the YAML: (parent, node, position, YAML path as written).

    Union tags and missing keys are not in the YAML: they leave the walk where it is.
    """
    parent: Any = None
    best, path = pos_of(node, where), []
    for part in loc:
        if isinstance(node, LocDict) and isinstance(part, str) and part in node:
            parent, best = node, node.pos_of(part)
            node = node[part]
            path.append(part)
        elif isinstance(node, LocList) and isinstance(part, int) and part < len(node):
            parent, node = node, node[part]
            best = pos_of(node, best)
            path.append(str(part))
    return parent, node, best, path


def _problem(
    error: ErrorDetails,
    node: Any,
    where: SourcePos | None,
    what: str,
    allowed: list[str],
    path: str,
) -> RecipeError:
    loc = error["loc"]
    kind = error["type"]
    inside_element = _MAPPING in loc or _LIST in loc or not allowed
    if kind in ("missing", "extra_forbidden"):
        key = str(loc[-1])
        _, container, pos, _ = _follow(node, where, loc[:-1])
        if kind == "missing":
            return RecipeError(f"missing '{key}'", pos_of(container, pos))
        at = container.pos_of(key) if isinstance(container, LocDict) else pos
        if inside_element:
            return RecipeError(_unknown_element_key(key), at)
        return RecipeError(unknown(what, key, allowed), at)
    _, target, pos, yaml_path = _follow(node, where, loc)
    ctx = error.get("ctx") or {}
    if "key" in ctx and isinstance(target, LocDict):
        pos = target.pos_of(str(ctx["key"]))
    # pydantic names its own classes ("or instance of InterruptModel"): not for IT staff.
    message = error["msg"].removeprefix("Value error, ").split(" or instance of ")[0]
    shown = [p for p in (*path.split("."), *yaml_path) if p]
    if kind == "too_short" and inside_element:
        message = "element has no locator strategy"
    elif kind == "string_too_short":
        message = f"'{shown[-1]}' needs a text value" if shown else "needs a text value"
    elif kind not in _OWN_MESSAGES:
        message = f"{'.'.join(shown)}: {message}" if shown else message
    return RecipeError(message, pos)


#: Error types whose message is ours and says what is wrong without the YAML path.
_OWN_MESSAGES = (
    "value_error",
    "no_strategy",
    "name_without_role",
    "exact_without_text",
    "element_shape",
    "strategy_shape",
    "column_without_within",
    "no_image",
    "offset_and_size",
)


def _unknown_element_key(key: str) -> str:
    """An element's unknown key is most likely a mistyped strategy, else a mistyped flag."""
    close = difflib.get_close_matches(key, (*STRATEGY_KINDS, *STRATEGY_OPTIONS), n=1)
    if close or not difflib.get_close_matches(key, ELEMENT_FLAGS, n=1):
        return unknown("locator strategy", key, (*STRATEGY_KINDS, *STRATEGY_OPTIONS))
    return unknown("flag", key, ELEMENT_FLAGS)
