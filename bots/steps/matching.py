"""How 本人確認 compares what the core system shows with what the application says.

Only an exact match passes (ends trimmed: screens pad cells). A value that matches only
once a known difference is ignored never passes silently: the step names the kind of
difference and both forms, and the application goes to a person — unless the recipe lists
that kind under ``allow`` for the item, documented in the recipe. The kinds, registered by
name:

* ``spacing`` — spaces of either width and invisible characters (``三浦　由美子`` /
  ``三浦由美子`` / ``三浦\u200b由美子``);
* ``width`` — full- and half-width forms, NFKC (``ﾐｳﾗ`` / ``ミウラ``, ``１`` / ``1``);
* ``itaiji`` — 異体字・旧字体 of the same kanji (``髙``/``高``, ``﨑``/``崎``, ``邊``/``辺``,
  ``齋``/``斎``), from the ja-itaiji tables. Two people may differ only in such a character;
  that is why it is never allowed by default.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable

from ja_itaiji import Itaiji

KINDS: dict[str, str] = {
    "spacing": "空白・見えない文字の違い",
    "width": "全角・半角の違い",
    "itaiji": "異体字・旧字体の違い",
}


def _no_spacing(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def _width(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_FOLDS: dict[str, Callable[[str], str]] = {"spacing": _no_spacing, "width": _width}


def _same_but_itaiji(a: str, b: str) -> bool:
    return len(a) == len(b) and all(
        x == y or Itaiji.is_family(x, y) or Itaiji.is_family(y, x)
        for x, y in zip(a, b, strict=True)
    )


def _equal_under(kinds: tuple[str, ...], shown: str, expected: str) -> bool:
    for kind in kinds:
        if kind in _FOLDS:
            shown, expected = _FOLDS[kind](shown), _FOLDS[kind](expected)
    if "itaiji" in kinds:
        return _same_but_itaiji(shown, expected)
    return shown == expected


def differences(shown: str, expected: str) -> tuple[str, ...] | None:
    """The fewest kinds of difference that make the two equal; ``()`` for an exact match,
    None when they differ even with every known kind ignored."""
    shown, expected = (shown or "").strip(), (expected or "").strip()
    if shown == expected:
        return ()
    names = tuple(KINDS)
    for size in range(1, len(names) + 1):
        for kinds in itertools.combinations(names, size):
            if _equal_under(kinds, shown, expected):
                return kinds
    return None


def describe(kinds: tuple[str, ...]) -> str:
    return "・".join(KINDS[k] for k in kinds)
