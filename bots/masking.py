"""Masking personal numbers (個人番号) and account numbers for logs, reports and audit.

A personal number or an account number must never appear in clear text in a log, a
report or an audit record (DOMAIN.md). Masking happens twice: callers mask the values
they know are sensitive (:func:`mask_values` by key), and sinks scrub whatever text they
write (:func:`scrub_text`), because an exception message or a ``repr`` can carry a value
nobody meant to log.

Everything here is total: odd input (None, ints, nested objects, cycles) is masked or
passed through, never an exception — a failing mask would lose the log line it protects,
or the audit record with it.

What :func:`scrub_text` recognises, and what not (keep this list honest):

* 個人番号: a run of exactly 12 digits — half- or full-width — that is not part of a longer
  run of digits, written either without separators or grouped 4-4-4 with one space,
  full-width space or hyphen between groups (``123456789018``, ``1234 5678 9018``,
  ``１２３４－５６７８－９０１８``). All such runs are masked whether or not the check digit
  matches: a mistyped personal number is still personal data. So a 12-digit timestamp
  like ``202611201234`` is masked too (over-masking is the safe side). Other groupings
  (``123-456-789-018``) are *not* recognised.
* 口座番号: a run of 6 to 8 digits (half- or full-width, not part of a longer run) within
  20 characters after a label — ``口座番号``, ``口座``, ``account``/``account_no``/
  ``account number``, ``acct`` (case-insensitive) — on the same line. 6 and 8 digits are
  included because an invalid account number is still an account number. A bare 7-digit
  run without a label is *not* masked: it would hit postal codes and receipt numbers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from typing import Any

MY_NUMBER_MASK = "*" * 12
ACCOUNT_NO_MASK = "*" * 7
#: What replaces a sensitive value that is neither a personal nor an account number.
VALUE_MASK = "****"
#: What :func:`mask_values` returns when it cannot copy the data at all.
UNMASKABLE = "<マスク処理できない値>"

#: Keys whose values :func:`mask_values` masks by default (case-insensitive).
DEFAULT_SENSITIVE_KEYS: frozenset[str] = frozenset(
    {"my_number", "mynumber", "個人番号", "account_no", "account_number", "口座番号"}
)

_D = "[0-9\uff10-\uff19]"  # a half- or full-width digit
_NOT_DIGIT_BEFORE = "(?<![0-9\uff10-\uff19])"
_NOT_DIGIT_AFTER = "(?![0-9\uff10-\uff19])"
_SEP = "[ \u3000\\-\u2010\u2212\uff0d]"  # space, ideographic space, hyphens, minus

MY_NUMBER_PATTERN = re.compile(
    f"{_NOT_DIGIT_BEFORE}{_D}{{4}}{_SEP}?{_D}{{4}}{_SEP}?{_D}{{4}}{_NOT_DIGIT_AFTER}"
)
ACCOUNT_NO_PATTERN = re.compile(
    r"(?P<label>口座番号|口座|account[ _\-]?(?:no|number|num)?|acct)"
    r"(?P<gap>[^\n]{0,20}?)"
    f"(?P<number>{_NOT_DIGIT_BEFORE}{_D}{{6,8}}{_NOT_DIGIT_AFTER})",
    re.IGNORECASE,
)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def mask_my_number(value: object) -> str:
    """``************`` for any personal number; ``""`` when there is none.

    The mask has a fixed length whatever the input, so not even a malformed number's
    length leaks.
    """
    return "" if _is_empty(value) else MY_NUMBER_MASK


def mask_account_no(value: object) -> str:
    """``*******`` for any account number; ``""`` when there is none."""
    return "" if _is_empty(value) else ACCOUNT_NO_MASK


def scrub_text(text: object) -> str:
    """``text`` with personal numbers and labelled account numbers masked (see module doc).

    Non-strings are converted with ``str``; ``None`` gives ``""``.
    """
    if text is None:
        return ""
    try:
        string = text if isinstance(text, str) else str(text)
    except Exception:  # a broken __str__ must not break logging
        return f"<{type(text).__name__}>"
    string = MY_NUMBER_PATTERN.sub(MY_NUMBER_MASK, string)
    return ACCOUNT_NO_PATTERN.sub(
        lambda m: m.group("label") + m.group("gap") + ACCOUNT_NO_MASK, string
    )


def _mask_for_key(key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        # A sensitive key over a container: mask every leaf in it.
        return _walk(value, None, True, set())
    if "account" in key or "口座" in key:
        return mask_account_no(value)
    if "number" in key or "番号" in key:
        return mask_my_number(value)
    return VALUE_MASK


def _scrub_leaf(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) == 12:
        return MY_NUMBER_MASK
    return value


def _walk(value: Any, keys: frozenset[str] | None, scrub: bool, seen: set[int]) -> Any:
    """Copy ``value``; ``keys is None`` means everything below is sensitive."""
    if isinstance(value, str | int | float | bool) or value is None:
        if keys is None and value is not None:
            return VALUE_MASK
        return _scrub_leaf(value) if scrub else value
    if id(value) in seen:
        return "<循環参照>"
    seen = seen | {id(value)}
    if isinstance(value, Mapping):
        result: dict[Any, Any] = {}
        for k, v in value.items():
            name = str(k).lower() if keys is not None else ""
            if keys is not None and name in keys:
                result[k] = _mask_for_key(name, v)
            else:
                result[k] = _walk(v, keys, scrub, seen)
        return result
    if isinstance(value, list | tuple | set | frozenset):
        items = [_walk(v, keys, scrub, seen) for v in value]
        if isinstance(value, list):
            return items
        if isinstance(value, tuple):
            return tuple(items)
        try:
            return type(value)(items)
        except TypeError:  # unhashable masks of a set: a list still shows the shape
            return items
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # pydantic models
        return _walk(model_dump(), keys, scrub, seen)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _walk(dataclasses.asdict(value), keys, scrub, seen)
    if keys is None:
        return VALUE_MASK
    # dates, decimals, enums…: immutable enough to return; their text is scrubbed if odd.
    return value if not scrub or scrub_text(value) == str(value) else scrub_text(value)


def mask_values(
    data: Any,
    sensitive_keys: Collection[str] = DEFAULT_SENSITIVE_KEYS,
    *,
    scrub: bool = True,
) -> Any:
    """A deep copy of ``data`` (dicts, lists, tuples, models) with sensitive values masked.

    Values under a key in ``sensitive_keys`` (compared case-insensitively) are masked:
    keys naming an account (``account``, ``口座``) become ``*******``, other number keys
    (``my_number``, ``個人番号``) ``************``, anything else ``****``; ``None`` stays
    ``None`` so a report still shows that the item was empty. With ``scrub`` (default),
    every other string is passed through :func:`scrub_text` as well, so a personal number
    typed into 備考 does not slip through. Never raises.
    """
    try:
        keys = frozenset(str(k).lower() for k in sensitive_keys)
    except Exception:  # not a collection of keys: the defaults are safer than nothing
        keys = DEFAULT_SENSITIVE_KEYS
    try:
        return _walk(data, keys, scrub, set())
    except Exception:  # e.g. a model whose dump raises: say so, never leak it
        return UNMASKABLE
