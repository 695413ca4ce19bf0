"""Western-calendar dates in the shapes core screens take: ``20250401``, ``2025/04/01``.

Application dates are stored as ISO ``YYYY-MM-DD`` and checked as dates by the schema
(``type: date``: a real day, ``not_future``, ``not_before``). A core screen often wants
another spelling of the same day — 西暦8桁 in one field, slashes in another — and the
recipe must not give up the date checks (declaring the item as text with a pattern) just
to get the spelling right. These transforms take whatever ``iso_date`` accepts (a date,
an ISO string with full-width digits, 和暦 text) and only change how the day is written,
zero-padded, as the fixed-width fields of core systems require.
"""

from __future__ import annotations

from bots.transforms.registry import register
from bots.transforms.wareki import to_date


@register("date_digits")
def date_digits(value: object) -> str:
    """The date as 8 digits ``YYYYMMDD`` (2025-04-01 → ``20250401``), for 西暦8桁 fields."""
    return to_date(value).strftime("%Y%m%d")


@register("date_slash")
def date_slash(value: object) -> str:
    """The date as ``YYYY/MM/DD`` (2025-04-01 → ``2025/04/01``), zero-padded."""
    return to_date(value).strftime("%Y/%m/%d")
