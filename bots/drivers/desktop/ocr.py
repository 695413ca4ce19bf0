"""Reading text off the screen (Tesseract through pytesseract), where copying is not allowed.

Some clients show a value as a picture of text (a 受付番号 on a result screen, a terminal
emulator's screen): then OCR is the only way to read it back. OCR is a guess, so the
result carries Tesseract's confidence and the caller must check the text (a 受付番号's
pattern, the value it typed) — never trust it.

Measured, and why the defaults: Tesseract's ``jpn`` model read ``KH00000123`` drawn at
16 px as ``KH99900123``. Codes and digits are therefore read with ``eng``, a character
whitelist and one text line (``--psm 7``), after the crop is enlarged (to
:data:`TARGET_HEIGHT` pixels, bicubic) with a white margin, and with the code's shape
(letters here, digits there) putting look-alikes right (:func:`read_code`). Japanese text
uses ``jpn`` the same way, without a whitelist.

The text of a sensitive field is never logged (``sensitive=True``: its length only), and
whatever is logged is scrubbed by :func:`bots.masking.scrub_text`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract
from loguru import logger
from PIL import Image

from bots.masking import scrub_text

#: The characters of codes such as 受付番号 ``KW00000123``: upper-case ASCII and digits.
CODE_CHARACTERS = string.ascii_uppercase + string.digits
#: Height (pixels) a one-line crop is enlarged to before reading (40–96 read alike).
TARGET_HEIGHT = 48
#: White margin (pixels) around the binarised crop.
MARGIN = 16


@dataclass(frozen=True)
class OcrResult:
    """What Tesseract read, and its mean word confidence (0–100; -1 when nothing was read)."""

    text: str
    confidence: float


def prepare(image: Image.Image | np.ndarray, *, binarise: bool = False) -> np.ndarray:
    """A crop made easy to read: gray, enlarged, dark text on light, with a white margin.

    Not binarised by default: measured on 90 receipt numbers at 100/125/150 %, Otsu
    binarisation after enlarging cost 1–5 exact reads (at 40, 48 and 96 px), the gray
    crop read 90/90 at each size — the antialiased edges carry shape that a hard
    threshold throws away, and Tesseract binarises on its own anyway.
    """
    gray = np.asarray(image.convert("L")) if isinstance(image, Image.Image) else image
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    factor = max(TARGET_HEIGHT / max(gray.shape[0], 1), 1.0)
    big = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    if binarise:
        _, big = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    background = float(np.median(big))
    ink = big[np.abs(big.astype(np.int16) - background) > 40]
    if ink.size and float(ink.mean()) > background:  # light text (on a highlight, a
        big = 255 - big  # dark field): make the text dark, as Tesseract reads it
    return cv2.copyMakeBorder(big, MARGIN, MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=255)


#: Letters and digits Tesseract confuses in IPAGothic (``O``/``0`` above all), by what the
#: position must be: a digit position reads ``O`` as ``0``, a letter position ``0`` as ``O``.
_AS_DIGIT = str.maketrans("ODQIL|ZSBGA", "00011125864")
_AS_LETTER = str.maketrans("0125863", "OIZSBGE")


def read_code(
    image: Image.Image | np.ndarray,
    *,
    name: str,
    characters: str = CODE_CHARACTERS,
    shape: str | None = None,
    sensitive: bool = False,
) -> OcrResult:
    """One line of a code (letters and digits only), e.g. a 受付番号; spaces dropped.

    ``shape`` is the code's form, ``A`` for a letter and ``9`` for a digit (``AA99999999``
    for ``KW00000123``): when the text read has that length, each position's look-alike is
    put right (measured on 18 receipt numbers at 100/125/150 %: 15 exact without, 18 with —
    every miss was ``O`` read for ``0`` after ``KH``; 90/90 with it on 90 numbers). A text
    of another length is returned as read: the caller's check rejects it.
    """
    config = f"--psm 7 -c tessedit_char_whitelist={characters}"
    read = _read(prepare(image), "eng", config)
    text = "".join(read.text.split())
    if shape is not None and not _fits(text, shape):
        # light text on a highlight (a focused drop-down list: white on blue-grey) is
        # low in contrast once inverted; binarised it reads (measured: 「5」 '' → 5)
        read = _read(prepare(image, binarise=True), "eng", config)
        text = "".join(read.text.split())
    if shape is not None and len(text) == len(shape):
        text = "".join(_as_shape(c, want) for c, want in zip(text, shape, strict=True))
    result = OcrResult(text, read.confidence)
    _log(name, result, sensitive)
    return result


def _fits(text: str, shape: str) -> bool:
    """Whether ``text`` has the code's form once look-alikes are put right."""
    if len(text) != len(shape):
        return False
    fixed = [_as_shape(c, want) for c, want in zip(text, shape, strict=True)]
    return all(c.isdigit() if want == "9" else True for c, want in zip(fixed, shape, strict=True))


def _as_shape(char: str, want: str) -> str:
    if want == "9":
        return char.translate(_AS_DIGIT)
    if want == "A":
        return char.translate(_AS_LETTER)
    return char


def read_japanese(
    image: Image.Image | np.ndarray, *, name: str, sensitive: bool = False
) -> OcrResult:
    """One line of Japanese text (``jpn``); spaces between characters dropped."""
    result = _read(prepare(image), "jpn", "--psm 7")
    result = OcrResult("".join(result.text.split()), result.confidence)
    _log(name, result, sensitive)
    return result


def _read(prepared: np.ndarray, lang: str, config: str) -> OcrResult:
    data = pytesseract.image_to_data(
        Image.fromarray(prepared), lang=lang, config=config, output_type=pytesseract.Output.DICT
    )
    words = [(w, float(c)) for w, c in zip(data["text"], data["conf"], strict=True) if w.strip()]
    if not words:
        return OcrResult("", -1.0)
    confidence = sum(c for _, c in words) / len(words)
    return OcrResult(" ".join(w for w, _ in words), round(confidence, 1))


def _log(name: str, result: OcrResult, sensitive: bool) -> None:
    shown = f"<{len(result.text)} 文字>" if sensitive else scrub_text(result.text)
    logger.debug("desktop.ocr {}: {} (confidence {:.1f})", name, shown, result.confidence)


def read_text(image: Image.Image | np.ndarray, *, name: str, sensitive: bool = False) -> OcrResult:
    """One line of ASCII text (``eng``, no whitelist), words kept apart by one space."""
    result = _read(prepare(image), "eng", "--psm 7")
    _log(name, result, sensitive)
    return result


def read_lines(image: Image.Image | np.ndarray, *, name: str) -> list[str]:
    """The lines of a Japanese message (an error pop-up), spaces between characters
    dropped: ``--psm 6`` (a block of text) instead of one line."""
    text = pytesseract.image_to_string(
        Image.fromarray(prepare(image)), lang="jpn", config="--psm 6"
    )
    lines = ["".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    logger.debug("desktop.ocr {}: {} line(s)", name, len(lines))
    return lines
