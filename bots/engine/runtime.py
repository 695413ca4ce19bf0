"""The runtime one application's steps see: scope, driver, evidence and audit hooks.

Besides the audit lines, it keeps what the report shows per application: the values it
typed or chose (:attr:`AppRuntime.keyed`, masked exactly as the audit line is) under the
names staff use (:func:`keyed_labels`), and it stamps every screenshot with where it
comes from (:func:`bots.engine.evidence.stamp_png`) before hashing it.
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bots.config import ja_time
from bots.contracts import AuditEvent, AuditSink, Driver
from bots.engine.evidence import PngText, inside, stamp_png
from bots.masking import VALUE_MASK
from bots.recipe.model import FieldSpec, Recipe
from bots.results import Evidence, KeyedValue, sha256_file, shot_caption, try_caption
from bots.screens import Element, Screen, SelectorSet
from bots.steps.flow import ForEach
from bots.steps.registry import Step
from bots.steps.screen import Fill, Select

#: Labels of the values the engine provides (:data:`bots.recipe.model.BUILTIN_NAMES`).
BUILTIN_LABELS = {
    "application_id": "申請ID",
    "atena_no": "宛名番号",
    "procedure": "手続",
    "received_at": "受付日時",
}

#: The part of a 和暦 date a field's transform types (the screens take them apart), so the
#: report can show 請求年月日 as one date: 令和8年11月17日.
DATE_PARTS = {
    "wareki_era": "era",
    "wareki_year": "year",
    "wareki_month": "month",
    "wareki_day": "day",
}


@dataclass(frozen=True)
class ItemLabel:
    """What staff call an element's value: its label, its repeated group, its date part."""

    label: str
    group: str | None = None  # 児童: shown with the row number, 児童2 氏名
    part: str = ""  # a DATE_PARTS value, or ""


#: element (``screen.name``) → its label
ItemLabels = dict[str, ItemLabel]


def _spec_label(spec: FieldSpec | None, group: str | None = None) -> ItemLabel | None:
    if spec is None or not spec.label:
        return None
    part = next((DATE_PARTS[t] for t in spec.transforms if t in DATE_PARTS), "")
    return ItemLabel(spec.label, group, part)


def _label_of(recipe: Recipe, source: str, aliases: Mapping[str, str]) -> ItemLabel | None:
    """The recipe's label of a template that is exactly one ``{name}`` / ``{alias.name}``."""
    if not (source.startswith("{") and source.endswith("}")) or source.count("{") != 1:
        return None
    name = source[1:-1]
    alias, _, item = name.partition(".")
    if item and alias in aliases:
        group = recipe.groups[aliases[alias]]
        return _spec_label(group.fields.get(item), group.label)
    if name in BUILTIN_LABELS:
        return ItemLabel(BUILTIN_LABELS[name])
    return _spec_label(recipe.fields.get(name))


def _element_label(element: Element) -> str:
    """The element's own label (its ``label`` locator, the text beside it on screen)."""
    return next((s.value for s in element.strategies if s.kind == "label"), element.name)


def keyed_labels(recipe: Recipe) -> ItemLabels:
    """What staff call each element the recipe types into or chooses in: the label of the
    recipe field its value comes from (請求者氏名; 児童 + 氏名 in a repeated group), else
    the element's own label on screen, else its name. Computed once per recipe, so the
    runtime only looks it up."""
    labels: ItemLabels = {}

    def walk(steps: list[Step], aliases: Mapping[str, str]) -> None:
        for step in steps:
            if isinstance(step, Fill | Select):
                for element, template in step.pairs:
                    label = _label_of(recipe, template.source, aliases)
                    labels.setdefault(
                        element.qualified, label or ItemLabel(_element_label(element))
                    )
            inner = {**aliases, step.alias: step.group} if isinstance(step, ForEach) else aliases
            walk(step.children(), inner)

    walk(recipe.steps, {})
    walk(recipe.already_keyed, {})
    return labels


class StoppedBeforeRegister(Exception):  # noqa: N818  a stop, not an error
    """A dry run reached 登録 and stopped before pressing it (``renkei recipe try``).

    Not a :class:`~bots.errors.RenkeiError`: it is the expected end of a dry run, which
    only the dry run catches; the engine never runs with ``dry_run`` and never sees it.
    """

    def __init__(self, screen: str) -> None:
        self.screen = screen
        super().__init__(f"登録の直前で停止しました（画面 {screen}）")


class AppRuntime:
    """Implements :class:`bots.engine.executors.Runtime` for one application of one run."""

    def __init__(
        self,
        *,
        driver: Driver,
        selectors: SelectorSet,
        values: dict[str, Any],
        sensitive_values: set[str],
        audit: AuditSink,
        application_id: str,
        evidence_dir: Path,
        on_register: Callable[[], None],
        evidence: list[Evidence] | None = None,
        attempt_label: str = "",
        run_id: str = "",
        labels: ItemLabels | None = None,
        dry_run: bool = False,
    ) -> None:
        self.driver = driver
        self.selectors = selectors
        self._scope: ChainMap[str, Any] = ChainMap({}, values)
        self._sensitive_values = {v for v in sensitive_values if v}
        # elements a sensitive value was typed into, masked in every later screenshot even
        # when the selector file forgot `sensitive: true` (masking follows the data)
        self._typed_sensitive: dict[str, Element] = {}
        self.audit = audit
        self.application_id = application_id
        self.evidence_dir = evidence_dir  # this try's own folder: nothing is overwritten
        # shared by the tries of one claim, so the report shows every try's screenshots
        self.evidence: list[Evidence] = [] if evidence is None else evidence
        self.attempt_label = attempt_label
        self.run_id = run_id
        self._labels: ItemLabels = labels or {}
        # what this try typed and chose, masked as in the audit line: the report's values
        self.keyed: list[KeyedValue] = []
        self._shots = 0  # numbered per try, in the try's folder
        self.existing_receipt: str | None = None
        self.registered = False
        self._on_register = on_register
        self.dry_run = dry_run  # `renkei recipe try`: stop where 登録 would be pressed
        self._current_screen: str | None = None
        self._last = time.perf_counter()

    @property
    def scope(self) -> Mapping[str, Any]:
        return self._scope

    def bind(self, element: Element) -> Element:
        return element.bind(dict(self._scope)) if element.params else element

    @contextmanager
    def nested(self, values: Mapping[str, Any]) -> Iterator[None]:
        self._scope = self._scope.new_child(dict(values))
        try:
            yield
        finally:
            self._scope = self._scope.parents

    def set_value(self, name: str, value: Any) -> None:
        self._scope.maps[-1][name] = value

    def _mask(self, element: Element | None, value: Any) -> Any:
        if value is None:
            return None
        if (element is not None and element.sensitive) or str(value) in self._sensitive_values:
            return VALUE_MASK
        return value

    def record(
        self,
        step: Step,
        *,
        element: Element | None = None,
        value: Any = None,
        detail: str | None = None,
        outcome: str = "ok",
        screenshot: Path | None = None,
    ) -> None:
        now = time.perf_counter()
        if element is not None:
            self._current_screen = element.screen
        masked = self._mask(element, value)
        if element is not None and isinstance(step, Fill | Select):
            self._keep(element, masked)
            if masked == VALUE_MASK and not element.sensitive:
                self._typed_sensitive[element.qualified] = element
        self.audit.emit(
            AuditEvent(
                step=step.name if isinstance(step, Step) else str(step),
                outcome=outcome,
                application=self.application_id,
                element=element.qualified if element else None,
                value=masked,
                duration_ms=(now - self._last) * 1000,
                screenshot=screenshot,
                detail=detail,
                extra={"line": str(step.pos) if isinstance(step, Step) and step.pos else None},
            )
        )
        self._last = now

    def _keep(self, element: Element, masked: Any) -> None:
        """Keep a typed value for the report, under its label (児童2 氏名 in row 2)."""
        item = self._labels.get(element.qualified) or ItemLabel(_element_label(element))
        label = item.label
        if item.group is not None:
            label = f"{item.group}{self._scope.get('index', '')} {label}"
        shown = "" if masked is None else str(masked)
        self.keyed.append(KeyedValue(label, element.qualified, shown, item.part))

    def _stamp(self, path: Path, label: str, screen: Screen | None) -> None:
        """Where the screenshot comes from, in its own PNG text chunks (read by any viewer
        or by Pillow's ``Image.open(p).text``): a copy taken out of the run folder still
        names its run, application, screen, try and time."""
        screen_name = screen.name if screen is not None else (self._current_screen or "")
        entries = [
            PngText("renkei:run", "実行ID", self.run_id),
            PngText("renkei:application", "申請ID", self.application_id),
            PngText("renkei:caption", "画面記録", shot_caption(label)),
            PngText("renkei:label", "ラベル", label),
            PngText("renkei:screen", "画面", screen_name),
            PngText("renkei:try", "試行", try_caption(self.attempt_label)),
            PngText("renkei:time", "撮影日時（日本時間）", ja_time(datetime.now(UTC))),
        ]
        stamp_png(path, entries)

    def screenshot(self, label: str, screen: Screen | None) -> Path:
        self._shots += 1
        path = inside(self.evidence_dir, f"{self._shots:02d}_{label}.png")
        masked = [
            e
            for s in self.selectors.screens.values()
            for e in s.elements.values()
            if e.sensitive and not e.params
        ]
        if screen is not None:
            masked = [e for e in screen.elements.values() if e.sensitive and not e.params]
        masked += [
            e for e in self._typed_sensitive.values() if screen is None or e.screen == screen.name
        ]
        self.driver.screenshot(path, masked)
        self._stamp(path, label, screen)  # before hashing: the chain covers the metadata
        digest = sha256_file(path)
        self.evidence.append(Evidence(label, path, digest, self.attempt_label))
        extra = {"sha256": digest}  # hashed once, here: the trail records it in the chain
        if self.attempt_label:
            extra["attempt"] = self.attempt_label
        self.audit.emit(
            AuditEvent(
                step="screenshot",
                outcome="ok",
                application=self.application_id,
                screenshot=path,
                detail=label,
                extra=extra,
            )
        )
        return path

    def before_register(self) -> None:
        """Called by the register step before it presses 登録. A dry run stops here
        (:class:`StoppedBeforeRegister`): nothing is pressed, no later step runs, and the
        engine's hook (the queue's ``keying`` mark) is never called."""
        if self.dry_run:
            raise StoppedBeforeRegister(self._current_screen or "")
        self._on_register()
        self.registered = True

    def existing_found(self, receipt_no: str) -> None:
        self.existing_receipt = receipt_no
