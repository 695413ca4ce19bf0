"""Named, pure transforms from a form value to what a core screen accepts.

Recipes (YAML) refer to transforms by name::

    - field: child_era_1
      value: "{children[0].birth_date}"
      transform: [wareki_era]

so every transform is registered under a name in :data:`TRANSFORMS`, and :func:`get`
fails with a did-you-mean suggestion for a misspelt name — at recipe load time, before
any record is touched. A transform takes one value and returns the value to key, or
raises :class:`InvalidValue` with a message the clerk can act on; it never returns a
value it is not sure of.

Registered names:

* text: ``strip``, ``digits``, ``zenkaku_space``
* 和暦: ``iso_date``, ``wareki_era``, ``wareki_year``, ``wareki_month``, ``wareki_day``,
  ``wareki_text``
* 西暦: ``date_digits`` (``20250401``), ``date_slash`` (``2025/04/01``)
* カナ: ``katakana_zenkaku``, ``katakana_hankaku``, ``kana_compare_key``
* characters: ``jis_x0208``
* numbers: ``my_number``, ``bank_code``, ``branch_code``, ``account_no``,
  ``account_type``, ``postal_code``
* select options: ``cohabitation`` (true/false → 同居/別居), ``relation`` (子/孫/その他)
"""

from __future__ import annotations

# Importing the modules registers their transforms.
from bots.transforms import (
    bank,
    choices,
    dates,
    jis,
    kana,
    mynumber,
    names,
    postal,
    text,
    wareki,
)
from bots.transforms.errors import InvalidValue
from bots.transforms.jis import check_jis_x0208, max_length
from bots.transforms.mynumber import check_digit, is_valid_my_number
from bots.transforms.registry import (
    TRANSFORMS,
    Transform,
    UnknownTransform,
    apply,
    check_names,
    get,
    register,
)
from bots.transforms.wareki import ERAS, Wareki, from_wareki, parse_wareki_text, to_wareki

__all__ = [
    "ERAS",
    "TRANSFORMS",
    "InvalidValue",
    "Transform",
    "UnknownTransform",
    "Wareki",
    "apply",
    "bank",
    "check_digit",
    "check_jis_x0208",
    "check_names",
    "choices",
    "dates",
    "from_wareki",
    "get",
    "is_valid_my_number",
    "jis",
    "kana",
    "max_length",
    "mynumber",
    "names",
    "parse_wareki_text",
    "postal",
    "register",
    "text",
    "to_wareki",
    "wareki",
]
