"""The character set of the core system: JIS X 0208 (level 1 and 2 kanji) plus JIS X 0201.

A name with a character outside the set (``髙`` はしご高, ``𠮷`` つちよし, ``①``) cannot be
keyed as is: the core system rejects it, or worse, stores a substitute. A person must
decide — register a 外字, or use the standard form the resident agrees to — so the bot
reports the characters instead of guessing.

The test is Python's ``shift_jis`` codec, strictly: it encodes exactly JIS X 0201 and
JIS X 0208, which is what the core system checks. Note that ``cp932`` (Windows Shift_JIS)
is wider — NEC and IBM extensions such as ``髙``, ``①``, and the full-width ``－`` ``～``
(U+FF0D, U+FF5E) — and must not be used for this check.
"""

from __future__ import annotations

from collections.abc import Callable

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, show_chars


def non_jis_x0208(text: str) -> list[str]:
    """The characters of ``text`` that are not in JIS X 0201/0208, in order of appearance."""
    bad = []
    for ch in text:
        try:
            ch.encode("shift_jis", errors="strict")
        except UnicodeEncodeError:
            bad.append(ch)
    return bad


def check_jis_x0208(text: str) -> None:
    """Raise :class:`InvalidValue` naming every character outside JIS X 0208."""
    bad = non_jis_x0208(text)
    if bad:
        raise InvalidValue(
            f"使用できない文字が含まれています（{show_chars(bad)}）。"
            "JIS第1・第2水準にない文字のため、外字での登録か表記の確認が必要です"
        )


@register("jis_x0208")
def jis_x0208(value: object) -> str:
    """Return the value unchanged if every character can be keyed; else InvalidValue."""
    text = as_text(value)
    check_jis_x0208(text)
    return text


def max_length(limit: int) -> Callable[[object], str]:
    """A validator for "at most ``limit`` characters" (not registered: it takes an argument).

    Characters are counted as code points, as the core system counts them: ``𠮷`` is one
    character, a half-width ``ﾀﾞ`` is two.
    """

    def check(value: object) -> str:
        text = as_text(value)
        if len(text) > limit:
            raise InvalidValue(f"{limit}文字以内にしてください（{len(text)}文字）")
        return text

    check.__name__ = f"max_length_{limit}"
    check.__doc__ = f"At most {limit} characters."
    return check
