"""The desktop mock client for the desktop driver's tests, and the shipped templates made from it.

:class:`MockClient` starts ``python -m mock_core_ui.desktop`` as a subprocess (a real Tk
client on the test's Xvfb display) and reads the geometry file it publishes — only to
*make* templates and to check pixels in tests, never to drive the bot, which sees pixels
only.

:func:`regenerate` makes every image of ``selectors/images/kaigo_desktop/`` from the
client at 100 %: it walks the client through its screens, takes one screenshot per state
and crops the boxes the geometry file gives (a widget's box, or the ink of the label left
of an entry), so no template is ever drawn by hand::

    .venv/bin/python tests/desktop_client.py    # rewrite the shipped PNGs (100/125/150 %)
    .venv/bin/python tests/desktop_client.py 1  # only the 100 % templates and references

The crops go through the capture tool's own cropping (:mod:`bots.tooling.capture`), the
same code IT staff use on their vendor's client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "selectors" / "images" / "kaigo_desktop"
Box = tuple[int, int, int, int]


def poll(what: str, check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """The first truthy value of ``check`` (polled, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"待ちきれませんでした: {what}")
        time.sleep(0.02)


@dataclass
class MockClient:
    """One running desktop client (its store, its geometry file)."""

    process: subprocess.Popen[str]
    store: Path
    geometry: Path
    scale: float
    layout: str

    @classmethod
    def start(
        cls, workdir: Path, scale: float = 1.0, layout: str = "v1", tag: str = ""
    ) -> MockClient:
        tag = tag or f"{layout}_{int(scale * 100)}"
        store, geometry = workdir / f"{tag}.db", workdir / f"{tag}.json"
        geometry.unlink(missing_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_core_ui.desktop", "--store", str(store)]
            + ["--scale", str(scale), "--layout", layout, "--geometry-file", str(geometry)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "READY login"
        client = cls(process, store, geometry, scale, layout)
        client.wait("login")
        return client

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def state(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.geometry.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def seq(self) -> int:
        s = self.state()
        return 0 if s is None else int(s["seq"])

    def wait(self, screen: str, popup: str | None = None, after: int = -1) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            s = self.state()
            if s is None or s["seq"] <= after or s["screen"] != screen:
                return None
            kind = s["popup"]["kind"] if s["popup"] else None
            return s if kind == popup else None

        return dict(poll(f"{screen} {popup or ''}", ready))

    def box(self, name: str, popup: bool = False) -> Box:
        s = self.state()
        assert s is not None
        x, y, w, h = (s["popup"]["widgets"] if popup else s["widgets"])[name]
        return (x, y, w, h)

    def click(self, name: str, popup: bool = False) -> None:
        import pyautogui

        x, y, w, h = self.box(name, popup)
        pyautogui.click(x + w // 2, y + h // 2)

    def type(self, name: str, text: str) -> None:
        import pyautogui
        import pyperclip

        self.click(name)
        pyautogui.hotkey("ctrl", "a")
        pyperclip.copy(text)
        poll("クリップボード", lambda: pyperclip.paste() == text)
        pyautogui.hotkey("ctrl", "v")

    def step(self, action: Callable[[], None], screen: str, popup: str | None = None) -> None:
        """Do ``action`` and wait for the client to publish ``screen`` (and ``popup``)."""
        before = self.seq()
        action()
        self.wait(screen, popup, before)

    def press(self, key: str) -> Callable[[], None]:
        import pyautogui

        return lambda: pyautogui.press(key)

    def log_in(self, user: str = "rpa01", password: str = "renkei-demo") -> None:
        self.type("user", user)
        self.type("password", password)
        self.step(self.press("enter"), "menu")


def ink_box(image: Any, area: Box, margin: int = 3) -> Box:
    """The box of what is drawn (text) inside ``area`` of a screenshot, with a margin."""
    import numpy as np

    x, y, w, h = area
    gray = np.asarray(image.convert("L").crop((x, y, x + w, y + h))).astype(int)
    ink = np.abs(gray - int(np.median(gray))) > 60
    ys, xs = np.nonzero(ink)
    assert len(xs), f"no ink in {area}"
    left, top = max(int(xs.min()) - margin, 0), max(int(ys.min()) - margin, 0)
    right, bottom = min(int(xs.max()) + margin + 1, w), min(int(ys.max()) + margin + 1, h)
    return (x + left, y + top, right - left, bottom - top)


def left_of(s: dict[str, Any], name: str, start: int) -> Box:
    """The strip left of widget ``name`` from x = ``start`` (its label is there)."""
    x, y, _w, h = s["widgets"][name]
    return (start, y, x - start - 2, h)


def right_of(s: dict[str, Any], name: str, width: int) -> Box:
    x, y, w, h = s["widgets"][name]
    return (x + w + 2, y, width, h)


def heading(s: dict[str, Any], name: str = "results", width: int = 600) -> Box:
    """The header row of a list (its column titles): the list's anchor."""
    x, y, _w, _h = s["widgets"][name]
    return (x + 2, y + 2, width, 28)


def text_of(image: Any, box: list[int] | Box) -> Box:
    """A button's template: its caption, with the top and bottom border but not the
    sides. A border is one pixel at every scale while the caption grows, so the whole
    button matches at 125 % worse (measured: 0.849 against 0.85); the caption alone is
    not unique (検索 is also the bold 検索条件 frame title: 0.937 at 150 %)."""
    x, y, w, h = box
    ink = ink_box(image, (x + 5, y + 5, w - 10, h - 10), margin=2)
    return (ink[0] - 4, y, ink[2] + 8, h)


def unit_of(image: Any, field: list[int]) -> Box:
    """A date part's anchor: the field's right border and the unit after it (年, 月, 日).

    The unit alone is not unique (生年月日, 申請日, the header's 昭和12年03月03日) and the
    row's label is too far: fields sized in characters do not move exactly with the
    scale (measured: 月, 249 pixels right of 申請日, 12 pixels off at 125 %)."""
    x, y, w, h = field
    unit = ink_box(image, (x + w + 1, y, 26, h), margin=2)
    left = x + w - 6
    return (left, y, unit[0] + unit[2] - left, h)


def _shot(display: str) -> Any:
    from PIL import ImageGrab

    return ImageGrab.grab(xdisplay=display).convert("RGB")


def _crops(image: Any, boxes: dict[str, Box], out: Path) -> None:
    from bots.drivers.desktop.geometry import Region
    from bots.tooling.capture import crop_boxes

    crop_boxes(image, {k: Region(*v) for k, v in boxes.items()}, out)


def _window(s: dict[str, Any], popup: bool = False) -> Box:
    x, y, w, h = s["popup"]["window"] if popup else s["window"]
    return (x, y, w, h)


def regenerate(out: Path, workdir: Path, display: str, scale: float = 1.0) -> list[str]:
    """Make every shipped template and reference image into ``out``; their names.

    At another ``scale`` only the reference images are made (``<name>_125.png``): the
    templates are the 100 % ones at every scale, but a screen's reference is the window as
    the installation shows it (docs/desktop.md: why).
    """
    from mock_core_ui.desktop import residents

    person = residents.demo(1)[0]
    c = MockClient.start(workdir, scale=scale, tag=f"templates_{int(scale * 100)}")
    made: dict[str, Box] = {}
    try:
        shots: list[tuple[Any, dict[str, Box]]] = []

        def take(boxes: Callable[[dict[str, Any], Any], dict[str, Box]]) -> None:
            """Crop once the screen is drawn: the same pixels twice, every label inked."""
            last: list[Any] = []

            def drawn() -> tuple[Any, dict[str, Box]] | None:
                s, image = c.state(), _shot(display)
                same = bool(last) and last[0].tobytes() == image.tobytes()
                last[:] = [image]
                try:
                    return (image, boxes(s, image)) if s is not None and same else None
                except AssertionError:
                    return None

            image, found = poll("描画", drawn)
            if scale != 1.0:  # the reference only: the window (or pop-up) itself
                s = c.state()
                assert s is not None
                windows = (tuple(s["window"]), tuple((s["popup"] or {}).get("window", ())))
                suffix = f"_{int(scale * 100)}"
                found = {k + suffix: b for k, b in found.items() if tuple(b) in windows}
            shots.append((image, found))
            made.update(found)

        take(_login_boxes)
        c.log_in()
        take(_menu_boxes)
        for proc, short in (
            ("kaigo_hihokenshashou", "hihokenshashou"),
            ("kaigo_futan_wariai", "wariai"),
        ):
            c.step(lambda p=proc: c.click(f"menu_{p}"), "search")
            take(lambda s, im, n=short: _search_boxes(s, im, n))
            c.type("search_hno", person.hihokensha_no)
            c.step(c.press("enter"), "search")
            c.step(lambda: c.click("choose"), "entry")
            take(lambda s, im, n=short: _entry_boxes(s, im, n))
            c.step(lambda: c.click("register"), "entry", "error")
            take(lambda s, im: _popup_boxes(s, im, "error"))
            c.step(c.press("enter"), "entry")
            _fill_minimal(c, short)
            c.step(lambda: c.click("register"), "entry", "confirm")
            take(lambda s, im: _popup_boxes(s, im, "confirm"))
            c.step(lambda: c.click("yes", popup=True), "result")
            take(lambda s, im, n=short: _result_boxes(s, im, n))
            c.step(lambda: c.click("back"), "menu")
            c.step(lambda p=proc: c.click(f"menu_{p}_inquiry"), "inquiry")
            take(lambda s, im, n=short: _inquiry_boxes(s, im, n))
            c.step(lambda: c.click("back"), "menu")
    finally:
        c.stop()
    out.mkdir(parents=True, exist_ok=True)
    for image, boxes in shots:
        _crops(image, boxes, out)
    return sorted(made)


def _login_boxes(s: dict[str, Any], image: Any) -> dict[str, Box]:
    box = s["widgets"]["box"]
    return {
        "login": _window(s),
        "login_user": ink_box(image, left_of(s, "user", box[0] + 4)),
        "login_password": ink_box(image, left_of(s, "password", box[0] + 4)),
        "login_button": text_of(image, s["widgets"]["login"]),
    }


def _menu_boxes(s: dict[str, Any], image: Any) -> dict[str, Box]:
    """The rows' titles 被保険者証再交付申請 / 負担割合証再交付申請 share their second half
    (measured: the whole titles match each other at 0.89): only the first five characters,
    where they differ, are the anchors."""

    def head(box: Box) -> Box:
        return (box[0], box[1], 5 * 15 + 6, box[3])

    return {
        "menu": _window(s),
        "menu_hihokenshashou": head(ink_box(image, left_of(s, "menu_kaigo_hihokenshashou", 24))),
        "menu_wariai": head(ink_box(image, left_of(s, "menu_kaigo_futan_wariai", 24))),
    }


def _search_boxes(s: dict[str, Any], image: Any, short: str) -> dict[str, Box]:
    """The fields' labels are also the list's column titles, so the hints right of the
    fields are their anchors — their first 4 characters: a long line of 13-pixel text is
    not its 100 % picture enlarged at 125 % (measured: the whole birth hint 0.80)."""
    w = s["widgets"]

    def head(box: Box) -> Box:
        return (box[0], box[1], min(box[2], 4 * 13 + 6), box[3])

    return {
        f"search_{short}": _window(s),
        "search_kana_hint": head(ink_box(image, right_of(s, "search_kana", 200))),
        "search_birth_hint": head(ink_box(image, right_of(s, "search_birth", 300))),
        "search_hno_hint": head(ink_box(image, right_of(s, "search_hno", 200))),
        "search_button": text_of(image, w["search"]),
        "choose_button": text_of(image, w["choose"]),
        "back_button": text_of(image, w["back"]),
        "search_heading": heading(s),
    }


def _entry_boxes(s: dict[str, Any], image: Any, short: str) -> dict[str, Box]:
    w = s["widgets"]
    boxes: dict[str, Box] = {
        f"entry_{short}": _window(s),
        "entry_hno": ink_box(image, left_of(s, "subject_hno", w["subject_hno"][0] - 110)),
        "entry_name": ink_box(image, left_of(s, "subject_name", sum(w["subject_hno"][::2]))),
        "entry_birth": ink_box(image, left_of(s, "subject_birth", sum(w["subject_name"][::2]))),
        "register_button": text_of(image, w["register"]),
    }
    for part in ("year", "month", "day"):
        boxes[f"entry_date_{part}"] = unit_of(image, w[f"shinsei_date_{part}"])
    for key in w:
        if key.startswith("label_"):
            boxes[f"entry_{key[6:]}"] = tuple(w[key])  # type: ignore[assignment]
        elif key.startswith(("koufu_", "shinseisha_")) and key[-1].isdigit():
            boxes[f"entry_{key}"] = tuple(w[key])  # type: ignore[assignment]
    return boxes


def _popup_boxes(s: dict[str, Any], image: Any, kind: str) -> dict[str, Box]:
    p = s["popup"]["widgets"]
    if kind == "error":
        return {"error": _window(s, popup=True), "error_ok": text_of(image, p["ok"])}
    return {"confirm": _window(s, popup=True), "confirm_yes": text_of(image, p["yes"])}


def _result_boxes(s: dict[str, Any], image: Any, short: str) -> dict[str, Box]:
    w = s["widgets"]
    x, y, _, h = w["receipt_no"]
    return {
        f"result_{short}": _window(s),
        "result_done": tuple(w["message"]),  # type: ignore[dict-item]
        "result_receipt": ink_box(image, (x - 140, y, 138, h)),
    }


def _inquiry_boxes(s: dict[str, Any], image: Any, short: str) -> dict[str, Box]:
    w = s["widgets"]
    return {
        f"inquiry_{short}": _window(s),
        "inquiry_hno": ink_box(image, left_of(s, "inquiry_hno", 30)),
        "inquiry_button": text_of(image, w["inquire"]),
        "inquiry_heading": heading(s),
    }


def _fill_minimal(c: MockClient, short: str) -> None:
    """Enough of the entry for 登録 to ask 登録しますか？ (the confirm pop-up's picture)."""
    import pyautogui

    c.type("shinsei_date_year", "8")
    c.type("shinsei_date_month", "11")
    c.type("shinsei_date_day", "20")
    if short == "wariai":
        c.type("nendo", "2026")
    c.click("riyuu")
    poll("一覧", lambda: (s := c.state()) and s["focus"] == "riyuu.list")
    pyautogui.press("1")
    pyautogui.press("enter")
    poll("選択", lambda: (s := c.state()) and s["focus"] == "riyuu")
    c.click("koufu_1")
    if short == "wariai":
        c.click("shinseisha_1")


def main() -> int:
    """Rewrite ``selectors/images/kaigo_desktop/`` from the mock client at 100 %."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from xdisplay import xvfb

    with tempfile.TemporaryDirectory() as tmp, xvfb(Path(tmp)) as display:
        import pyautogui

        pyautogui.PAUSE, pyautogui.FAILSAFE = 0.01, False
        scales = [float(a) for a in sys.argv[1:]] or [1.0, 1.25, 1.5]
        names = [n for scale in scales for n in regenerate(IMAGES, Path(tmp), display, scale)]
    print(f"{len(names)} images in {IMAGES}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
