"""The runtime one application's steps see: scope, driver, evidence and audit hooks."""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bots.audit.trail import sha256_file
from bots.contracts import AuditEvent, AuditSink, Driver
from bots.engine.evidence import inside
from bots.engine.results import Evidence
from bots.masking import VALUE_MASK
from bots.recipe.selectors import Element, Screen, SelectorSet
from bots.steps.registry import Step


class AppRuntime:
    """Implements :class:`bots.steps.Runtime` for one application of one run."""

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
    ) -> None:
        self.driver = driver
        self.selectors = selectors
        self._scope: ChainMap[str, Any] = ChainMap({}, values)
        self._sensitive_values = {v for v in sensitive_values if v}
        self.audit = audit
        self.application_id = application_id
        self.evidence_dir = evidence_dir  # this try's own folder: nothing is overwritten
        # shared by the tries of one claim, so the report shows every try's screenshots
        self.evidence: list[Evidence] = [] if evidence is None else evidence
        self.attempt_label = attempt_label
        self._shots = 0  # numbered per try, in the try's folder
        self.existing_receipt: str | None = None
        self.registered = False
        self._on_register = on_register
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
        self.audit.emit(
            AuditEvent(
                step=step.name if isinstance(step, Step) else str(step),
                outcome=outcome,
                application=self.application_id,
                element=element.qualified if element else None,
                value=self._mask(element, value),
                duration_ms=(now - self._last) * 1000,
                screenshot=screenshot,
                detail=detail,
                extra={"line": str(step.pos) if isinstance(step, Step) and step.pos else None},
            )
        )
        self._last = now

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
        self.driver.screenshot(path, masked)
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
        self._on_register()
        self.registered = True

    def existing_found(self, receipt_no: str) -> None:
        self.existing_receipt = receipt_no
