"""Checking one application against its procedure's schema: every item, then the rules.

The result is a :class:`CheckedApplication`: the data as checked (normalised by the
transforms the schema names, nothing else), every problem at once (a clerk fixes the
application in one go), every normalisation that changed a value (the engine writes them
to the audit log, original and new value masked where sensitive), and the items the
schema does not declare (kept with the application; the recipe decides whether they send
it to review). Checking never raises for bad data and never touches the core system.

Item checks, in order: empty/required; the ``normalize`` transforms; the type (text, date,
integer, boolean, object, list); then, for text, no control or invisible characters, no
markup, the character set (JIS X 0208 and the municipality's 外字), length, pattern and
choices; for dates a real calendar day on or after 明治, ``min``/``max``, not in the future
(Japan time), ``not_before``/``not_after`` another date item; for integers ``min``/``max``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bots import transforms
from bots.masking import VALUE_MASK, scrub_text
from bots.schema.model import ItemSpec
from bots.schema.rules import Rule
from bots.transforms import InvalidValue
from bots.transforms.jis import non_jis_x0208
from bots.transforms.text import show_chars
from bots.transforms.wareki import ERAS

MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|&#?[A-Za-z0-9]+;")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = {"true", "1", "はい", "yes"}
_FALSE = {"false", "0", "いいえ", "no"}
UNKNOWN_LABEL = "申請項目"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the application, for the clerk: ``児童1 生年月日: …``."""

    path: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


@dataclass(frozen=True)
class Normalisation:
    """A value a named transform changed; ``original``/``value`` masked when sensitive."""

    path: str
    label: str
    transforms: tuple[str, ...]
    original: Any
    value: Any


@dataclass
class CheckedApplication:
    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    normalised: list[Normalisation] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _all_empty(value: Any) -> bool:
    return isinstance(value, Mapping) and all(_empty(v) for v in value.values())


def _bad_chars(text: str, multiline: bool) -> list[str]:
    allowed = {"\n", "\r"} if multiline else set()
    return [
        ch
        for ch in text
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn")
    ]


class Checker:
    """One check of one application (the walk keeps what the rules read afterwards)."""

    def __init__(self, items: dict[str, ItemSpec], gaiji: frozenset[str], today: date) -> None:
        self.items = items
        self.gaiji = gaiji
        self.today = today
        self.result = CheckedApplication({})
        self._values: dict[str, Any] = {}
        self._labels: dict[str, str] = {}
        self._specs: dict[str, ItemSpec] = {}
        self._sensitive: set[str] = set()
        self._invalid: set[str] = set()
        self._entries: dict[str, list[str]] = {}
        self._dates: list[tuple[str, ItemSpec]] = []
        self._in_rules = False
        self._given: set[str] = set()  # paths the form gave a value, valid or not

    # -- Facts, for the rules ---------------------------------------------------------

    def value(self, path: str) -> Any:
        if any(path == bad or path.startswith(bad + ".") for bad in self._invalid):
            return None
        return self._values.get(path)

    def date(self, path: str) -> date | None:
        value = self.value(path)
        return date.fromisoformat(value) if isinstance(value, str) else None

    def label(self, path: str) -> str:
        if path in self._labels:
            return self._labels[path]
        return label_of(self.items, path)

    def present(self, path: str) -> bool:
        return path in self._given

    def entries(self, path: str) -> list[str]:
        return list(self._entries.get(path, []))

    def shown(self, path: str) -> str:
        value = self._values.get(path)
        if path in self._sensitive:
            return VALUE_MASK
        return "" if value is None else str(value)

    def problem(self, path: str, message: str) -> None:
        label = self.label(path) if path else ""
        self.result.problems.append(Problem(path, label, scrub_text(message)))
        if path and not self._in_rules:  # a rule's finding does not hide the item from others
            self._invalid.add(path)

    # -- the walk ---------------------------------------------------------------------

    def run(self, data: Mapping[str, Any], rules: list[Rule]) -> CheckedApplication:
        self.result.data = self._object(self.items, data, "", "", sensitive=False)
        for path, spec in self._dates:
            self._relations(path, spec)
        self._in_rules = True
        for rule in rules:
            rule.check(self)
        return self.result

    def _object(
        self,
        items: dict[str, ItemSpec],
        data: Mapping[str, Any],
        path: str,
        label: str,
        *,
        sensitive: bool,
        entry: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, spec in items.items():
            sub = f"{path}.{key}" if path else key
            own = _own_label(key, spec)
            sub_label = f"{label} {own}" if entry else f"{label}{own}"
            out[key] = self._item(spec, data.get(key), sub, sub_label, sensitive or spec.sensitive)
        for key, value in data.items():
            if key not in items:
                out[key] = value  # kept as received
                if not _empty(value):
                    self.result.unknown.append(f"{path}.{key}" if path else str(key))
        return out

    def _item(self, spec: ItemSpec, raw: Any, path: str, label: str, sensitive: bool) -> Any:
        self._labels[path], self._specs[path] = label, spec
        if sensitive:
            self._sensitive.add(path)
        if spec.type == "list" and (raw is None or raw == []):
            if not spec.required:
                return []
            raw = []
        elif _empty(raw) or (
            spec.type == "object" and not spec.required and _all_empty(raw)
        ):  # an optional part the form sent with every field blank is absent
            if spec.type == "object" and spec.required and spec.items is not None:
                return self._object(spec.items, {}, path, label, sensitive=sensitive)
            if spec.required:
                self.problem(path, "入力されていません")
            return None
        self._given.add(path)
        value = raw
        if spec.normalize:
            try:
                value = transforms.apply(spec.normalize, raw)
            except InvalidValue as exc:
                self.problem(path, str(exc))
                return None
            if str(value) != str(raw):  # 12 → "12" is no change anyone needs to see
                masked = (VALUE_MASK, VALUE_MASK) if sensitive else (raw, value)
                self.result.normalised.append(
                    Normalisation(path, label, tuple(spec.normalize), *masked)
                )
        checked = self._typed(spec, value, path, label, sensitive)
        if path not in self._invalid:
            self._values[path] = checked
        return checked

    def _typed(self, spec: ItemSpec, value: Any, path: str, label: str, sensitive: bool) -> Any:
        match spec.type:
            case "object":
                if not isinstance(value, Mapping):
                    self.problem(path, "形式が正しくありません")
                    return value
                assert spec.items is not None
                return self._object(spec.items, value, path, label, sensitive=sensitive)
            case "list":
                return self._list(spec, value, path, label, sensitive)
            case "date":
                return self._date(spec, value, path)
            case "integer":
                return self._integer(spec, value, path, sensitive)
            case "boolean":
                return self._boolean(value, path, sensitive)
            case _:
                return self._text(spec, value, path, sensitive)

    def _list(self, spec: ItemSpec, value: Any, path: str, label: str, sensitive: bool) -> Any:
        if not isinstance(value, list):
            self.problem(path, "一覧の形式ではありません")
            return value
        if len(value) < spec.min_items:
            self.problem(path, f"{spec.min_items}件以上必要です（{len(value)}件）")
        if spec.max_items is not None and len(value) > spec.max_items:
            self.problem(path, f"{spec.max_items}件までです（{len(value)}件）")
        assert spec.each is not None
        each, out = spec.each, []
        self._entries[path] = []
        for index, entry in enumerate(value):
            entry_path, entry_label = f"{path}.{index}", f"{label}{index + 1}"
            self._entries[path].append(entry_path)
            if each.type == "object" and not isinstance(entry, Mapping):
                self._labels[entry_path] = entry_label
                self.problem(entry_path, "形式が正しくありません")
                out.append(entry)
                continue
            if each.type == "object" and each.items is not None:
                self._labels[entry_path] = entry_label
                checked = self._object(
                    each.items,
                    entry,
                    entry_path,
                    entry_label,
                    sensitive=sensitive or each.sensitive,
                    entry=True,
                )
                self._values[entry_path] = checked
                out.append(checked)
            else:
                out.append(self._item(each, entry, entry_path, entry_label, sensitive))
        return out

    def _text(self, spec: ItemSpec, value: Any, path: str, sensitive: bool) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(path, f"文字として扱えない値です（{type(value).__name__}）")
            return value
        text = str(value)
        shown = VALUE_MASK if sensitive else text
        bad = _bad_chars(text, spec.multiline)
        if bad:
            self.problem(
                path,
                f"使用できない文字（制御文字・見えない文字）が含まれています（{show_chars(bad)}）",
            )
        elif MARKUP.search(text):
            self.problem(path, f"HTMLなどのタグや文字参照は入力できません（{shown}）")
        elif spec.charset == "jis_x0208" and (
            outside := [
                ch for ch in non_jis_x0208(text) if ch not in self.gaiji and ch not in "\r\n"
            ]
        ):
            self.problem(
                path,
                f"使用できない文字が含まれています（{show_chars(outside)}）。"
                "JIS第1・第2水準にない文字のため、外字での登録か表記の確認が必要です",
            )
        elif spec.charset == "ascii" and not text.isascii():
            bad_ascii = [ch for ch in text if not ch.isascii()]
            self.problem(path, f"半角の英数字・記号で入力してください（{show_chars(bad_ascii)}）")
        elif spec.max_length is not None and len(text) > spec.max_length:
            self.problem(path, f"{spec.max_length}文字以内で入力してください（{len(text)}文字）")
        elif spec.min_length is not None and len(text) < spec.min_length:
            self.problem(path, f"{spec.min_length}文字以上で入力してください（{len(text)}文字）")
        elif spec.pattern is not None and not re.fullmatch(spec.pattern, text):
            example = f"。例: {spec.example}" if spec.example is not None and not sensitive else ""
            self.problem(path, f"形式が正しくありません（{shown}）{example}")
        elif spec.choices is not None and text not in spec.choices:
            one = len(spec.choices) == 1  # 更新 only: not 「更新のいずれかです」
            allowed = (
                f"「{spec.choices[0]}」に限ります"
                if one
                else f"{'・'.join(spec.choices)}のいずれかです"
            )
            self.problem(path, f"{allowed}（{shown}）")
        return text

    def _date(self, spec: ItemSpec, value: Any, path: str) -> Any:
        if isinstance(value, datetime):
            value = value.date().isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        text = str(value).strip()
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(text):
            self.problem(
                path, f"日付の形式が正しくありません（{value}）。YYYY-MM-DD で指定してください"
            )
            return value
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.problem(path, f"{text} は存在しない日付です")
            return value
        if day < ERAS[0].start:
            self.problem(path, f"{text} は明治より前の日付のため和暦にできません")
        elif spec.min is not None and day < date.fromisoformat(str(spec.min)):
            self.problem(path, f"{spec.min}以降の日付にしてください（{text}）")
        elif spec.max is not None and day > date.fromisoformat(str(spec.max)):
            self.problem(path, f"{spec.max}以前の日付にしてください（{text}）")
        elif spec.not_future and day > self.today:
            self.problem(path, f"未来の日付です（{text}。今日は{self.today.isoformat()}）")
        elif spec.not_before or spec.not_after:
            self._dates.append((path, spec))
        return text

    def _relations(self, path: str, spec: ItemSpec) -> None:
        day = self.date(path)
        if day is None:
            return
        for other, before in ((spec.not_before, True), (spec.not_after, False)):
            if not other:
                continue
            limit = self.date(other)
            if limit is None:
                continue
            if (before and day < limit) or (not before and day > limit):
                word = "より前" if before else "より後"
                self.problem(
                    path,
                    f"{self.label(other)}（{limit.isoformat()}）{word}の日付です（{day.isoformat()}）",
                )

    def _integer(self, spec: ItemSpec, value: Any, path: str, sensitive: bool) -> Any:
        shown = VALUE_MASK if sensitive else value
        if isinstance(value, bool) or not (
            isinstance(value, int)
            or (isinstance(value, str) and value.strip().isascii() and value.strip().isdigit())
        ):
            self.problem(path, f"半角の整数で入力してください（{shown}）")
            return value
        number = int(value)
        low, high = spec.min, spec.max
        if (low is not None and number < int(low)) or (high is not None and number > int(high)):
            bounds = f"{low if low is not None else ''}〜{high if high is not None else ''}"
            self.problem(path, f"{bounds}の範囲で入力してください（{shown}）")
        return number

    def _boolean(self, value: Any, path: str, sensitive: bool) -> Any:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.problem(
            path,
            f"はい・いいえ（true・false）で指定してください（{VALUE_MASK if sensitive else value}）",
        )
        return value


def _own_label(key: str, spec: ItemSpec) -> str:
    """An item's label; an object without one adds nothing to its items' labels."""
    if spec.label is not None:
        return spec.label
    return "" if spec.type == "object" else key


def label_of(items: dict[str, ItemSpec], path: str) -> str:
    """The label of an item by its path, entry numbers 1-based (``children.0.name`` →
    ``児童1 氏名``); for paths no application has visited."""
    label, entry, specs = "", False, items
    spec: ItemSpec | None = None
    for part in path.split("."):
        if part.isdigit() and spec is not None and spec.type == "list":
            label, entry = f"{label}{int(part) + 1}", True
            spec = spec.each
            specs = spec.items if spec is not None and spec.items else {}
            continue
        spec = specs.get(part)
        if spec is None:
            return label or path
        own = _own_label(part, spec)
        label = f"{label} {own}" if entry else f"{label}{own}"
        entry = False
        if spec.items:
            specs = spec.items
    return label
