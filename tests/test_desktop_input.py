"""The desktop driver's hands on a real X display: typing, reading back, OCR.

The same Tk form as :mod:`test_desktop_vision` (its own process, its state file says what
each entry holds), at 100/125/150 %. The fields are found through their labels with
templates and offsets measured on the 100 % window, clicked with pyautogui, filled through
the clipboard (xclip), read back by copying, and the 受付番号 read by Tesseract.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from loguru import logger
from test_desktop_vision import (
    ENTRIES,
    HEADING,
    SCALES,
    Forms,
    form,
    reference_of,
    target_of,
)

from bots.drivers.desktop import clipboard
from bots.drivers.desktop.drift import check_layout
from bots.drivers.desktop.errors import FieldNotUpdated
from bots.drivers.desktop.geometry import Region
from bots.drivers.desktop.hands import Hands
from bots.drivers.desktop.locator import locate
from bots.drivers.desktop.matching import Finder
from bots.drivers.desktop.ocr import read_code
from bots.drivers.desktop.screen import Capture, capture, window_region

#: 受付番号 shown in the code windows: the form's own, and others like it (fixed seed)
_rng = random.Random(15)
CODES = ["KW00000123"] + [
    _rng.choice(["KW", "KH", "KK", "KB"]) + f"{_rng.randrange(10**8):08d}" for _ in range(5)
]
WINDOWS = [
    form("form1.0", 10, 10, 1.0),
    form("form1.25", 300, 10, 1.25),
    form("form1.5", 660, 10, 1.5),
    *(
        form(
            f"codes{scale}",
            x,
            300,
            scale,
            heading="受付番号一覧",
            rows=[
                {"name": f"c{i}", "label": "受付番号", "kind": "value", "text": code}
                for i, code in enumerate(CODES)
            ],
        )
        for scale, x in zip(SCALES, (10, 300, 700), strict=True)
    ),
]
#: What the clerk had on the clipboard before the bot started: it must still be there.
CLERKS_CLIPBOARD = "窓口メモ: 午後に折り返し電話"


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory, x_display: str) -> Iterator[Forms]:
    workdir = tmp_path_factory.mktemp("input")
    with Forms.running(workdir / "forms", WINDOWS) as running:
        yield running


@pytest.fixture(scope="module")
def before(forms: Forms) -> Capture:
    """The screen before anything is typed: templates, offsets and reference come from it."""
    return capture()


@pytest.fixture
def hands(forms: Forms) -> Iterator[Hands]:
    clipboard.write(CLERKS_CLIPBOARD)
    yield Hands(timeout=3.0)
    assert clipboard.read() == CLERKS_CLIPBOARD


def field(forms: Forms, before: Capture, name: str, title: str, finder: Finder) -> Region:
    """Where entry ``name`` of window ``title`` is, found as the driver finds it."""
    target = target_of(forms, before, name)
    located = locate(finder, capture(window_region(title)), target, screen=HEADING, key=title)
    return located.region


def test_the_anchor_and_offset_click_into_the_entry_and_the_value_lands_there(
    forms: Forms, before: Capture, hands: Hands
) -> None:
    finder = Finder()
    for scale in SCALES:
        title = f"form{scale}"
        hands.type_into(field(forms, before, "shimei", title, finder), "山田 太郎", name="氏名")
        assert forms.value(title, "shimei") == "山田 太郎"
        assert forms.value(title, "kana") == ""  # and nowhere else


def test_japanese_goes_in_exactly_and_the_clipboard_and_logs_keep_no_value(
    forms: Forms, before: Capture, hands: Hands
) -> None:
    values = {"shimei": "髙橋　ゆう子～", "kana": "タカハシ　ユウコ", "kojin": "123456789018"}
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    try:
        finder = Finder()
        for scale in SCALES:
            title = f"form{scale}"
            for name, value in values.items():
                hands.type_into(field(forms, before, name, title, finder), value, name=name)
                assert forms.value(title, name) == value
                assert clipboard.read() == CLERKS_CLIPBOARD
    finally:
        logger.remove(sink)
    assert lines and not [line for line in lines if any(v in line for v in values.values())]


def test_a_value_read_back_by_copy_is_what_the_entry_holds(
    forms: Forms, before: Capture, hands: Hands
) -> None:
    finder = Finder()
    for scale in SCALES:
        title = f"form{scale}"
        box = field(forms, before, "kana", title, finder)
        hands.type_into(box, "サイトウ　ハナ", name="フリガナ")
        assert (
            hands.read_by_copy(box, name="フリガナ")
            == forms.value(title, "kana")
            == "サイトウ　ハナ"
        )
        hands.type_into(box, "", name="フリガナ")
        assert hands.read_by_copy(box, name="フリガナ") == forms.value(title, "kana") == ""


def test_ascii_can_be_typed_key_by_key_and_other_text_is_refused(
    forms: Forms, before: Capture, hands: Hands
) -> None:
    box = field(forms, before, "kana", "form1.25", Finder())
    hands.type_into(box, "KW-0012 ab", name="フリガナ", via="keys")
    assert forms.value("form1.25", "kana") == "KW-0012 ab"
    with pytest.raises(ValueError, match="フリガナ"):
        hands.type_into(box, "ヤマダ", name="フリガナ", via="keys")


def test_typing_into_something_that_is_not_an_entry_fails_loudly(
    forms: Forms, before: Capture, hands: Hands
) -> None:
    label = forms.box("form1.0", "uketsuke")  # the 受付番号 value: a label, not editable
    with pytest.raises(FieldNotUpdated, match="受付番号"):
        Hands(timeout=0.5).type_into(label, "123", name="受付番号")
    assert forms.value("form1.0", "shimei") != "123"


def test_the_receipt_number_is_read_by_ocr_at_every_scale(forms: Forms, before: Capture) -> None:
    target = target_of(forms, before, "uketsuke")
    finder = Finder()
    for scale in SCALES:
        title = f"form{scale}"
        shot = capture(window_region(title))
        box = locate(finder, shot, target, screen=HEADING, key=title).region
        read = read_code(shot.crop(box), name="受付番号", shape="AA99999999")
        assert read.text == "KW00000123", (scale, read)
        print(f"OCR at {scale}: {read.text} (confidence {read.confidence})")


def test_ocr_accuracy_over_receipt_numbers_at_three_scales(forms: Forms) -> None:
    shot = capture()
    crops = [
        (code, shot.crop(forms.box(f"codes{scale}", f"c{i}")))
        for scale in SCALES
        for i, code in enumerate(CODES)
    ]

    def exact(shape: str | None) -> int:
        with ThreadPoolExecutor(2) as pool:
            reads = list(pool.map(lambda c: read_code(c[1], name="受付番号", shape=shape), crops))
        misses = [
            (code, r.text, r.confidence)
            for r, (code, _) in zip(reads, crops, strict=True)
            if r.text != code
        ]
        print(f"OCR shape {shape}: {len(crops) - len(misses)}/{len(crops)} exact; misses {misses}")
        return len(crops) - len(misses)

    with_shape, without = exact("AA99999999"), exact(None)
    assert with_shape >= without and with_shape >= len(crops) - 1


def test_typed_values_are_not_drift(forms: Forms, before: Capture, hands: Hands) -> None:
    reference = reference_of(forms, before)
    finder = Finder()
    for scale in SCALES:
        title = f"form{scale}"
        for name in ENTRIES:
            hands.type_into(field(forms, before, name, title, finder), "値あり 12345", name=name)
        report = check_layout(reference, capture(), finder, within=window_region(title), key=title)
        assert report.regions == []
