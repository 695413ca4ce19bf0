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
* What the process was told is sensitive (:func:`protect_values`, :func:`protect_data`):
  each such value, wherever it stands in the text, in the form it was given and in its
  half- and full-width forms (``jaconv``; digits, ASCII and katakana), becomes ``****``.
  A value of digits only is masked where it is not part of a longer run of digits (the
  same rule as above: ``1234567`` is not masked inside ``91234567``). Values shorter than
  :data:`MIN_VALUE_LENGTH` characters are *not* recorded: masking every ``山田`` or
  ``2026`` in every line would garble the log; they are masked by key only. A mixed form
  (some digits full-width, some half-width) is not recognised.

One rule, held here for the whole process: recipes declare their sensitive keys when they
are loaded (:func:`protect_keys`), the engine, the import and the review record each
application's sensitive values as they meet them (:func:`protect_data`), the CLI records
the core system's password (:func:`protect_values` with ``keep``). :func:`scrub_text` and
:func:`mask_values` use that record by default, so no call site decides for itself. The
record of values is bounded (:data:`RECENT_VALUES`, the values of the last few hundred
applications, least recently met forgotten first, credentials never): text is scrubbed
when it is made, while its application's values are still known.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import jaconv
from ahocorasick_rs import AhoCorasick, MatchKind

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


#: Values shorter than this are not recorded (masked by key only, see the module doc).
MIN_VALUE_LENGTH = 4
#: How many values :func:`protect_values` keeps (besides the kept ones): a few hundred
#: applications' worth, so the matcher stays small and each scrub stays fast.
RECENT_VALUES = 600
_DIGITS = frozenset("0123456789\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")


def _forms(value: str) -> set[str]:
    """``value`` as given and in its half- and full-width forms (digits, ASCII, katakana)."""
    forms = {
        value,
        jaconv.z2h(value, kana=True, ascii=True, digit=True),
        jaconv.h2z(value, kana=True, ascii=True, digit=True),
    }
    return {f for f in forms if len(f) >= MIN_VALUE_LENGTH}


class _Matcher:
    """One Aho-Corasick automaton over every recorded form, longest match first."""

    def __init__(self, forms: Iterable[str]) -> None:
        self.patterns = sorted(set(forms), key=len, reverse=True)
        self.digits_only = [all(c in _DIGITS for c in p) for p in self.patterns]
        self.automaton = AhoCorasick(self.patterns, matchkind=MatchKind.LeftmostLongest)

    def _inside_number(self, text: str, start: int, end: int) -> bool:
        return (start > 0 and text[start - 1] in _DIGITS) or (
            end < len(text) and text[end] in _DIGITS
        )

    def sub(self, text: str) -> str:
        parts: list[str] = []
        done = 0
        for index, start, end in self.automaton.find_matches_as_indexes(text):
            if self.digits_only[index] and self._inside_number(text, start, end):
                continue
            parts += (text[done:start], VALUE_MASK)
            done = end
        return "".join(parts) + text[done:] if parts else text


class SensitiveRecord:
    """What this process knows to be sensitive: keys, and values met (bounded, see doc).

    Thread-safe: runners and the scheduler's threads record and scrub at once. The matcher
    is rebuilt only when the set of values changes, lazily at the next scrub.
    """

    def __init__(self, capacity: int = RECENT_VALUES) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._keys: frozenset[str] = DEFAULT_SENSITIVE_KEYS
        self._kept: dict[str, None] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._matcher: _Matcher | None = None
        self._stale = False

    @property
    def keys(self) -> frozenset[str]:
        return self._keys

    def add_keys(self, keys: Iterable[str]) -> None:
        new = frozenset(str(k).lower() for k in keys if str(k).strip())
        with self._lock:
            self._keys = self._keys | new

    def add_values(self, values: Iterable[object], *, keep: bool = False) -> None:
        texts = [_text_of(v) for v in values]
        with self._lock:
            for text in texts:
                if text is None:
                    continue
                if keep:
                    self._stale |= text not in self._kept
                    self._kept[text] = None
                elif text in self._recent:
                    self._recent.move_to_end(text)  # met again: forgotten last
                else:
                    self._recent[text] = None
                    self._stale = True
            while len(self._recent) > self.capacity:
                self._recent.popitem(last=False)

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Within the block, only the built-in keys and no values (for tests of the
        detectors alone); what was recorded before is back afterwards."""
        with self._lock:
            saved = (self._keys, dict(self._kept), OrderedDict(self._recent))
            self._keys, self._kept, self._recent = DEFAULT_SENSITIVE_KEYS, {}, OrderedDict()
            self._stale = True
        try:
            yield
        finally:
            with self._lock:
                self._keys, self._kept, self._recent = saved
                self._stale = True

    def values(self) -> list[str]:
        """The recorded values (kept first), for tests and diagnostics — never to print."""
        with self._lock:
            return [*self._kept, *self._recent]

    def _current(self) -> _Matcher | None:
        if self._stale:
            with self._lock:
                if self._stale:
                    forms: set[str] = set()
                    for value in (*self._kept, *self._recent):
                        forms |= _forms(value)
                    self._matcher = _Matcher(forms) if forms else None
                    self._stale = False
        return self._matcher

    def scrub(self, text: str) -> str:
        matcher = self._current()
        return matcher.sub(text) if matcher is not None else text


def _text_of(value: object) -> str | None:
    """The value as it would be printed, or None when it is not worth recording."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if len(text) >= MIN_VALUE_LENGTH else None


#: The process-wide record behind :func:`scrub_text` and :func:`mask_values`.
RECORD = SensitiveRecord()


def protect_keys(keys: Iterable[str]) -> None:
    """Mask the values under these keys (case-insensitive) wherever data is masked."""
    RECORD.add_keys(keys)


def protect_values(values: Iterable[object], *, keep: bool = False) -> None:
    """Mask these values (strings and integers) in every text scrubbed from now on.

    Recorded with their half- and full-width forms; shorter than :data:`MIN_VALUE_LENGTH`
    characters: ignored (masked by key only). ``keep``: never forgotten (credentials);
    otherwise the least recently met are forgotten beyond :data:`RECENT_VALUES`.
    """
    RECORD.add_values(values, keep=keep)


def protect_data(data: Any, keys: Collection[str] | None = None) -> None:
    """Record every value under a sensitive key of ``data`` (the recorded keys and ``keys``).

    An application's form data as stored or imported: its 個人番号, 口座番号 and whatever
    its recipe marks sensitive become masked in every text made afterwards — an exception
    message, a core system's answer, a note. Never raises.
    """
    wanted = RECORD.keys | frozenset(str(k).lower() for k in keys or ())
    found: list[object] = []
    with contextlib.suppress(Exception):  # total, as all here: what was found is recorded
        _collect(data, wanted, False, found, set())
    RECORD.add_values(found)


def _collect(
    value: Any, keys: frozenset[str], below: bool, out: list[object], seen: set[int]
) -> None:
    """Leaves of ``value`` under a sensitive key (``below``: everything here is)."""
    if isinstance(value, str | int):
        if below:
            out.append(value)
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Mapping):
        for k, v in value.items():
            _collect(v, keys, below or str(k).lower() in keys, out, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _collect(v, keys, below, out, seen)


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
    """``text`` with personal numbers, labelled account numbers and every recorded
    sensitive value masked (see module doc).

    Non-strings are converted with ``str``; ``None`` gives ``""``.
    """
    if text is None:
        return ""
    try:
        string = text if isinstance(text, str) else str(text)
    except Exception:  # a broken __str__ must not break logging
        return f"<{type(text).__name__}>"
    string = MY_NUMBER_PATTERN.sub(MY_NUMBER_MASK, string)
    string = ACCOUNT_NO_PATTERN.sub(
        lambda m: m.group("label") + m.group("gap") + ACCOUNT_NO_MASK, string
    )
    return RECORD.scrub(string)


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
    if isinstance(value, int) and not isinstance(value, bool):
        if len(str(abs(value))) == 12:
            return MY_NUMBER_MASK
        if RECORD.scrub(str(value)) != str(value):  # a recorded account number as a number
            return VALUE_MASK
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
    sensitive_keys: Collection[str] | None = None,
    *,
    scrub: bool = True,
) -> Any:
    """A deep copy of ``data`` (dicts, lists, tuples, models) with sensitive values masked.

    Values under a recorded key (:func:`protect_keys`: the built-in ones and every loaded
    recipe's) or a key in ``sensitive_keys`` (added to them, never instead; compared
    case-insensitively) are masked:
    keys naming an account (``account``, ``口座``) become ``*******``, other number keys
    (``my_number``, ``個人番号``) ``************``, anything else ``****``; ``None`` stays
    ``None`` so a report still shows that the item was empty. With ``scrub`` (default),
    every other string is passed through :func:`scrub_text` as well, so a personal number
    typed into 備考 does not slip through. Never raises.
    """
    try:
        keys = RECORD.keys | frozenset(str(k).lower() for k in sensitive_keys or ())
    except Exception:  # not a collection of keys: the recorded ones are safer than nothing
        keys = RECORD.keys
    try:
        return _walk(data, keys, scrub, set())
    except Exception:  # e.g. a model whose dump raises: say so, never leak it
        return UNMASKABLE
