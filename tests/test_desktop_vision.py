"""The desktop driver's eyes on a real X display: finding, waiting, drift, OCR, evidence.

A tiny "vendor" form (Tk, IPAGothic) is drawn at display scales 1.0, 1.25 and 1.5 — font
pixel sizes and paddings scaled, as Windows' DPI scaling does — in its own process, which
writes where its widgets are and what its entries hold to a state file. Templates are
cut from the 1.0 window only, and must work on the other two.

Run as a script (``python tests/test_desktop_vision.py spec.json``) this module *is* that
form application; :class:`Forms` starts it and reads its state.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bots.drivers.desktop.drift import Reference, check_layout
from bots.drivers.desktop.errors import (
    LayoutDrift,
    ScreenNotShown,
    TemplateAmbiguous,
    TemplateNotFound,
    WindowNotFound,
)
from bots.drivers.desktop.evidence import masked_screenshot
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.locator import Target, locate
from bots.drivers.desktop.matching import Finder, Template
from bots.drivers.desktop.screen import Capture, capture, window_region
from bots.drivers.desktop.waiting import poll, wait_for_screen
from bots.errors import ScreenChanged, SelectorNotFound, TransientError

SCALES = (1.0, 1.25, 1.5)
#: the window templates, offsets and references are cut from: 100 %
BASE = "form1.0"
HEADING = "被保険者証再交付申請"
ROWS: list[dict[str, str]] = [
    {"name": "shimei", "label": "氏名", "kind": "entry"},
    {"name": "kana", "label": "フリガナ", "kind": "entry"},
    {"name": "kojin", "label": "個人番号", "kind": "entry"},
    {"name": "uketsuke", "label": "受付番号", "kind": "value", "text": "KW00000123"},
]


# --- the test side: starting the form and reading its state -----------------------------


@dataclass
class Forms:
    """A running form process: ``state(title)`` is what its window shows, read from disk."""

    process: subprocess.Popen[bytes]
    state_path: Path

    @classmethod
    def start(cls, workdir: Path, windows: list[dict[str, Any]]) -> Forms:
        """Start the form app with these windows (not waiting for them)."""
        workdir.mkdir(parents=True, exist_ok=True)
        spec = workdir / "spec.json"
        state = workdir / "state.json"
        spec.write_text(json.dumps({"state": str(state), "windows": windows}), encoding="utf-8")
        return cls(subprocess.Popen([sys.executable, __file__, str(spec)]), state)

    @classmethod
    @contextmanager
    def running(cls, workdir: Path, windows: list[dict[str, Any]]) -> Iterator[Forms]:
        """Start the form app with these windows; wait (polling) until they are drawn."""
        forms = cls.start(workdir, windows)
        try:
            titles = [w["title"] for w in windows]
            if poll(lambda: True if forms._shown(titles) else None, timeout=20) is None:
                raise RuntimeError("フォームが表示されませんでした")
            yield forms
        finally:
            forms.stop()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def _shown(self, titles: list[str]) -> bool:
        """Every window drawn, as the form says, and on the X server where it says."""
        if not self.state_path.exists():
            return False
        try:
            return all(window_region(t) == Region(*self.state(t)["window"]) for t in titles)
        except WindowNotFound:
            return False

    def state(self, title: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
        return data[title]

    def box(self, title: str, widget: str) -> Region:
        """Where a widget of a window is, in screen pixels (the form's own report)."""
        return Region(*self.state(title)["widgets"][widget])

    def value(self, title: str, name: str) -> str:
        return str(self.state(title)["values"][name])


def form(title: str, x: int, y: int, scale: float, **extra: Any) -> dict[str, Any]:
    """One window of the form app: its title, place, display scale and variations."""
    return {"title": title, "x": x, "y": y, "scale": scale, **extra}


def template_of(forms: Forms, shot: Capture, widget: str, title: str = BASE) -> Template:
    """A template cut from the 100 % window, as IT would cut it from a screenshot."""
    return Template.of(widget, shot.crop(forms.box(title, widget)))


def target_of(forms: Forms, shot: Capture, name: str, title: str = BASE) -> Target:
    """The entry ``name`` located by its label, offset and size measured at 100 %."""
    label, field = forms.box(title, f"{name}.label"), forms.box(title, name)
    return Target(
        name,
        template_of(forms, shot, f"{name}.label", title),
        offset=(field.x - label.x, field.y - label.y),
        size=(field.w, field.h),
        sensitive=name == "kojin",
    )


def reference_of(forms: Forms, shot: Capture, title: str = BASE) -> Reference:
    """The 100 % window as the screen's reference: anchored on its heading, the entries'
    insides (3 px in from their borders) and the 受付番号 value declared as value regions."""
    window = window_region(title)
    inside = [forms.box(title, n).relative_to(window).inset(3) for n in ENTRIES]
    value = forms.box(title, "uketsuke").relative_to(window)
    heading = forms.box(title, "heading").relative_to(window)
    return Reference.of(HEADING, shot.crop(window), heading, [*inside, value])


# --- the tests -------------------------------------------------------------------------

ENTRIES = ("shimei", "kana", "kojin")
LABELS = ("heading", "shimei.label", "kana.label", "kojin.label", "uketsuke.label")
#: every scale the finder must handle, 90–160 %; 1.0/1.25/1.5 are the ones users name
ALL_SCALES = (1.0, 1.1, 1.25, 1.4, 1.5)
WINDOWS = [
    form("form1.0", 10, 10, 1.0),
    form("form1.25", 300, 10, 1.25),
    form("form1.5", 660, 10, 1.5, values={"kojin": "123456789018"}),
    form("form1.1", 1090, 10, 1.1),
    form("form1.4", 10, 300, 1.4),
    form("moved1.25", 410, 300, 1.25, shift={"shimei": 40}),
    form("relabel1.5", 820, 300, 1.5, relabel={"kana": "カナ氏名"}),
    form("nudged1.4", 420, 620, 1.4, shift={"kojin": 10}),
    form(
        "twins1.0",
        1250,
        300,
        1.0,
        heading="認定結果照会",
        rows=[{"name": f"n{i}", "label": "氏名", "kind": "entry"} for i in (1, 2)],
    ),
]


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory, x_display: str) -> Iterator[Forms]:
    """One X display and one form process (every window) for the whole module."""
    workdir = tmp_path_factory.mktemp("vision")
    with Forms.running(workdir / "forms", WINDOWS) as running:
        yield running


@pytest.fixture(scope="module")
def shot(forms: Forms) -> Capture:
    """The whole screen, once: every window is static in this module."""
    return capture()


def test_labels_cut_at_100_percent_are_found_at_every_scale(forms: Forms, shot: Capture) -> None:
    finder = Finder()
    scores: dict[float, list[float]] = {}
    for widget in LABELS:
        template = template_of(forms, shot, widget)
        for scale in ALL_SCALES:
            title = f"form{scale}"
            found = finder.find(
                shot, template, screen=HEADING, within=window_region(title), key=title
            )
            truth = forms.box(title, widget)
            # Tk's box has 1-px paddings that do not scale: the label is where Tk drew it
            assert abs(found.region.x - truth.x) <= 3 and abs(found.region.y - truth.y) <= 3
            assert found.scale == pytest.approx(scale, abs=0.05)
            assert found.score >= template.threshold > found.runner_up
            scores.setdefault(scale, []).append(found.score)
    for scale, values in scores.items():
        print(f"scale {scale}: scores {min(values):.3f}–{max(values):.3f}")


def test_the_anchor_and_offset_place_the_entry_at_every_scale(forms: Forms, shot: Capture) -> None:
    finder = Finder()
    for name in ENTRIES:
        target = target_of(forms, shot, name)
        for scale in ALL_SCALES:
            title = f"form{scale}"
            located = locate(
                finder, shot, target, screen=HEADING, within=window_region(title), key=title
            )
            entry = forms.box(title, name)
            assert entry.contains(*located.region.center), (name, scale, located.region, entry)
            assert entry.intersection(located.region).area >= 0.8 * entry.area  # type: ignore[union-attr]


def test_a_label_found_twice_is_an_error_naming_both_places(forms: Forms, shot: Capture) -> None:
    template = template_of(forms, shot, "shimei.label")
    with pytest.raises(TemplateAmbiguous) as caught:
        Finder().find(shot, template, screen="認定結果照会", within=window_region("twins1.0"))
    places = sorted(m.region for m in caught.value.matches)
    truth = sorted(forms.box("twins1.0", f"n{i}.label") for i in (1, 2))
    assert len(places) == 2
    for place, label in zip(places, truth, strict=True):
        assert abs(place.x - label.x) <= 1 and abs(place.y - label.y) <= 1
        assert str(place) in str(caught.value)
    assert "2 か所" in str(caught.value) and isinstance(caught.value, ScreenChanged)


def test_a_missing_label_is_not_found_with_the_best_score(forms: Forms, shot: Capture) -> None:
    template = template_of(forms, shot, "kana.label")
    with pytest.raises(TemplateNotFound) as caught:
        Finder().find(shot, template, screen="認定結果照会", within=window_region("twins1.0"))
    best = caught.value.best
    assert best is not None and 0 < best.score < template.threshold
    assert f"{best.score:.3f}" in str(caught.value) and "kana.label" in str(caught.value)
    assert isinstance(caught.value, SelectorNotFound)


def test_finding_on_the_whole_screen_is_fast_once_the_scale_is_known(
    forms: Forms, shot: Capture
) -> None:
    """A template unique on the 1600×1000 screen (the twins window's heading)."""
    template = template_of(forms, shot, "heading", "twins1.0")
    finder = Finder()
    started = time.perf_counter()
    first = finder.find(shot, template, screen="認定結果照会")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(5):
        again = finder.find(shot, template, screen="認定結果照会")
    warm = (time.perf_counter() - started) / 5
    assert first.region == again.region == forms.box("twins1.0", "heading")
    print(
        f"find on 1600×1000: {cold * 1000:.0f} ms scanning 15 scales, {warm * 1000:.0f} ms at the known scale"
    )
    assert warm < cold


def test_waiting_for_a_screen_follows_a_window_that_opens(
    forms: Forms, shot: Capture, tmp_path: Path
) -> None:
    marker = template_of(forms, shot, "heading", "twins1.0")
    later = Forms.start(tmp_path, [form("later", 10, 620, 1.25, heading="認定結果照会")])
    try:
        found = wait_for_screen(
            Finder(),
            marker,
            screen="認定結果照会",
            within=lambda: window_region("later"),
            timeout=20,
        )
        assert window_region("later").contains(*found.region.center)
        assert found.scale == 1.25
    finally:
        later.stop()


def test_waiting_for_a_screen_that_never_shows_names_it_and_the_best_score(
    forms: Forms, shot: Capture
) -> None:
    marker = template_of(forms, shot, "heading", "twins1.0")
    started = time.perf_counter()
    with pytest.raises(ScreenNotShown) as caught:
        wait_for_screen(
            Finder(), marker, screen="認定結果照会", within=window_region(BASE), timeout=0.5
        )
    assert 0.5 <= time.perf_counter() - started < 3
    assert "認定結果照会" in str(caught.value) and 0 < caught.value.best_score < marker.threshold
    assert isinstance(caught.value, TransientError)


def test_the_same_screen_at_every_scale_shows_no_drift(forms: Forms, shot: Capture) -> None:
    reference = reference_of(forms, shot)
    finder = Finder()
    for scale in ALL_SCALES:
        title = f"form{scale}"
        report = check_layout(reference, shot, finder, within=window_region(title), key=title)
        assert report.regions == [] and report.scale == pytest.approx(scale, abs=0.08)
        print(
            f"drift at {scale}: none ({report.aligned_tiles} tiles aligned, {report.elapsed_ms:.0f} ms)"
        )


@pytest.mark.parametrize(
    ("title", "entry", "moved_by"), [("moved1.25", "shimei", 40), ("nudged1.4", "kojin", 10)]
)
def test_a_moved_entry_is_drift_reported_where_it_moved(
    forms: Forms, shot: Capture, title: str, entry: str, moved_by: int
) -> None:
    reference = reference_of(forms, shot)
    with pytest.raises(LayoutDrift) as caught:
        check_layout(reference, shot, Finder(), within=window_region(title))
    window = window_region(BASE)
    # the entry's row, from where it was to ``moved_by`` px (at 100 %) further right
    was = forms.box(BASE, entry).relative_to(window)
    row = Region(was.x - 12, was.y - 12, was.w + moved_by + 24, was.h + 24)
    assert caught.value.regions and all(row.intersection(r) for r in caught.value.regions)
    assert f"画面『{HEADING}』のレイアウトが基準画像と異なります" in str(caught.value)
    assert str(caught.value.regions[0]) in str(caught.value)


def test_a_changed_label_is_drift_reported_at_the_label(forms: Forms, shot: Capture) -> None:
    reference = reference_of(forms, shot)
    with pytest.raises(LayoutDrift) as caught:
        check_layout(reference, shot, Finder(), within=window_region("relabel1.5"))
    label = forms.box(BASE, "kana.label").relative_to(window_region(BASE))
    assert caught.value.regions
    assert all(label.inset(-12).intersection(r) for r in caught.value.regions)


def test_an_evidence_screenshot_is_black_in_the_sensitive_box_only(
    forms: Forms, tmp_path: Path
) -> None:
    window = window_region("form1.5")
    secret = forms.box("form1.5", "kojin")
    live = capture(window)
    path = masked_screenshot(tmp_path / "evidence" / "after.png", window, [secret])
    with Image.open(path) as saved:
        pixels = np.asarray(saved.convert("RGB"))
    box = secret.relative_to(window)
    assert (pixels[box.y : box.bottom, box.x : box.right] == 0).all()
    before = np.asarray(live.image)
    assert (before[box.y : box.bottom, box.x : box.right] != 0).any()  # the number was there
    outside = np.ones(pixels.shape[:2], dtype=bool)
    outside[box.y : box.bottom, box.x : box.right] = False
    assert (pixels[outside] == before[outside]).all() and (pixels[outside] != 0).any()
    assert sorted(p.name for p in path.parent.iterdir()) == ["after.png"]


# --- the form application (runs in its own process) ---------------------------------------


def _run_forms(spec_path: Path) -> None:
    """Draw every window of the spec, then keep the state file current until killed."""
    import tkinter as tk

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    state_path = Path(spec["state"])
    root = tk.Tk()
    root.withdraw()
    windows: dict[str, dict[str, Any]] = {}

    def write_state() -> None:
        state: dict[str, Any] = {}
        for title, w in windows.items():
            top = w["top"]
            widgets = {
                name: [wd.winfo_rootx(), wd.winfo_rooty(), wd.winfo_width(), wd.winfo_height()]
                for name, wd in w["widgets"].items()
            }
            box = [top.winfo_rootx(), top.winfo_rooty(), top.winfo_width(), top.winfo_height()]
            values = {name: var.get() for name, var in w["vars"].items()}
            state[title] = {"window": box, "widgets": widgets, "values": values}
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        tmp.replace(state_path)

    for window in spec["windows"]:
        windows[window["title"]] = _draw_window(tk, root, window, write_state)

    def when_shown() -> None:  # the state file appears once every window is on screen
        if all(w["top"].winfo_viewable() for w in windows.values()):
            write_state()
        else:
            root.after(20, when_shown)

    root.after(0, when_shown)
    root.mainloop()


def _draw_window(tk: Any, root: Any, window: dict[str, Any], changed: Any) -> dict[str, Any]:
    s = float(window["scale"])
    px = lambda n: round(n * s)  # noqa: E731 - a unit, read as such
    font = ("IPAGothic", -px(16))
    top = tk.Toplevel(root, background="#f0f0f0")
    top.title(window["title"])
    top.geometry(f"+{window['x']}+{window['y']}")
    frame = tk.Frame(top, background="#f0f0f0", padx=px(16), pady=px(12))
    frame.pack()
    widgets: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    heading = tk.Label(
        frame, text=window.get("heading", HEADING), font=("IPAGothic", -px(20)), bg="#f0f0f0"
    )
    heading.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, px(12)))
    widgets["heading"] = heading
    shift = window.get("shift", {})
    relabel = window.get("relabel", {})
    for i, row in enumerate(window.get("rows", ROWS), start=1):
        name = row["name"]
        label = tk.Label(frame, text=relabel.get(name, row["label"]), font=font, bg="#f0f0f0")
        label.grid(row=i, column=0, sticky="w", padx=(0, px(12)), pady=px(4))
        widgets[f"{name}.label"] = label
        pad = (px(shift.get(name, 0)), 0)
        if row["kind"] == "entry":
            var = tk.StringVar(top, value=window.get("values", {}).get(name, ""))
            var.trace_add("write", lambda *_: changed())
            entry = tk.Entry(frame, textvariable=var, font=font, width=20, relief="solid", bd=1)
            entry.bind("<Control-a>", lambda e: (e.widget.select_range(0, "end"), "break")[1])
            entry.grid(row=i, column=1, sticky="w", padx=pad, pady=px(4))
            variables[name] = var
            widgets[name] = entry
        else:
            value = tk.Label(frame, text=row["text"], font=font, bg="#ffffff", padx=px(4))
            value.grid(row=i, column=1, sticky="w", padx=pad, pady=px(4))
            widgets[name] = value
    return {"top": top, "widgets": widgets, "vars": variables}


if __name__ == "__main__":
    _run_forms(Path(sys.argv[1]))
    sys.exit(0)
