"""A source's row → the application renkei stores, through the mapping of ``sources.yaml``.

The 申請管理システム's columns are its vendor's (``申請番号``, ``手続コード``…): ``columns``
says which holds renkei's id, procedure, 宛名番号, received time and (optionally) the
row's version; ``procedures`` maps the vendor's procedure codes to recipes and says where
the form's items are — ``data``: a JSON column holding the whole form in the schema's
shape (a JSON object, or JSON text), and ``items``: item paths of the schema (1-based list
positions, as ``renkei import``: ``children.1.name``) from a column, or from a place inside
a JSON column (``{column: 申請内容, path: 申請者.氏名}``). ``items`` add to ``data`` and win
over it.

Times: the received time is kept as Japan time. A naive time from the source (a
``timestamp without time zone``, ``2026-11-20 09:00`` in a file) is taken as Japan time as
written — what a municipality's system holds; a time with a zone is converted to Japan
time. The version (a number or an updated-at time) is kept as text (ISO for a time), only
ever compared for equality.

A row that cannot be mapped is refused (:class:`RowRefused`) with a Japanese reason naming
the column: an unknown procedure code, a missing column, JSON that does not parse. A path
inside a JSON column that is absent is simply an item not given (the form's schema then
says whether it was needed): vendors leave out empty items.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bots.contracts import Status
from bots.engine.evidence import is_plain_id, printable_id
from bots.intake.importer import is_blank, nest, parse_received
from bots.masking import protect_data
from bots.queue.schema import ApplicationRow
from bots.recipe.model import Recipe
from bots.sources.config import FolderSource, ItemSource, ProcedureMapping, SqlSource

#: renkei's fields as the reasons name them.
LABELS = {
    "id": "申請ID",
    "procedure": "手続",
    "atena_no": "宛名番号",
    "received_at": "受付日時",
    "version": "版",
}


class RowRefused(ValueError):
    """The row cannot become an application; the message says which column and why."""


def _value(row: Mapping[str, Any], column: str, field: str) -> Any:
    if column not in row:
        raise RowRefused(
            f"列『{column}』がありません（sources.yaml の columns.{field}: {LABELS[field]}）"
        )
    return row[column]


def _required(row: Mapping[str, Any], column: str, field: str) -> Any:
    value = _value(row, column, field)
    if is_blank(value):
        raise RowRefused(f"列『{column}』（{LABELS[field]}）が空です")
    return value


def version_text(value: Any) -> str | None:
    """A version as stored (``source_version``): text; a time in ISO form; None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()[:64]


def _plain(value: Any) -> Any:
    """A column's value as a form item: text as ``renkei import`` would read it; JSON kept
    (a blank cell — NULL, an empty Excel cell — is no item)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _json(row: Mapping[str, Any], column: str) -> Any:
    """A JSON column's value: a document (PostgreSQL json/jsonb) or JSON text."""
    if column not in row:
        raise RowRefused(f"列『{column}』がありません（sources.yaml の procedures の JSON 列）")
    value = row[column]
    if isinstance(value, dict | list) or is_blank(value):
        return None if is_blank(value) else value
    try:
        return json.loads(str(value))
    except json.JSONDecodeError as exc:
        raise RowRefused(
            f"列『{column}』が JSON として読めません（{exc.msg}、{exc.pos + 1}文字目）"
        ) from None


def _inside(document: Any, column: str, path: str) -> Any:
    """The value at ``path`` (dotted, 1-based list positions) inside a JSON column."""
    node = document
    for part in path.split("."):
        if node is None:
            return None
        if isinstance(node, list) and part.isdigit():
            index = int(part) - 1
            node = node[index] if 0 <= index < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            raise RowRefused(f"列『{column}』の {path} をたどれません（{part} の手前が値です）")
    return node


def _merge(base: Any, over: Any) -> Any:
    """``over`` laid onto ``base``: objects key by key, lists position by position."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base.get(key), value)
        return merged
    if isinstance(base, list) and isinstance(over, list):
        merged_list = []
        for i in range(max(len(base), len(over))):
            b = base[i] if i < len(base) else None
            o = over[i] if i < len(over) else None
            merged_list.append(b if o is None else _merge(b, o))
        return merged_list
    return over


def form_data(row: Mapping[str, Any], mapping: ProcedureMapping) -> dict[str, Any]:
    """The form of one row: its ``data`` column, then its ``items`` laid over it."""
    data: dict[str, Any] = {}
    if mapping.data is not None:
        document = _json(row, mapping.data)
        if document is None:
            raise RowRefused(f"列『{mapping.data}』（申請内容）が空です")
        if not isinstance(document, dict):
            raise RowRefused(f"列『{mapping.data}』が JSON のオブジェクトではありません")
        data = copy.deepcopy(document)
    flat: dict[str, Any] = {}
    for path, where in mapping.items.items():
        if isinstance(where, ItemSource):
            flat[path] = _inside(_json(row, where.column), where.column, where.path)
        else:
            if where not in row:
                raise RowRefused(f"列『{where}』がありません（sources.yaml の items.{path}）")
            flat[path] = _plain(row[where])
    try:
        items = nest(flat)
    except ValueError as exc:
        raise RowRefused(f"sources.yaml の items: {exc}") from None
    merged = _merge(data, items)
    assert isinstance(merged, dict)
    return merged


def map_row(
    source: str,
    config: SqlSource | FolderSource,
    row: Mapping[str, Any],
    recipes: Mapping[str, Recipe],
) -> ApplicationRow:
    """The application (連携待ち, ``source`` and ``source_version`` set) a row stands for,
    or :class:`RowRefused`. Its data is not checked here: the storing stage checks it with
    the procedure's schema, exactly as ``renkei import`` does."""
    protect_data(dict(row))  # its sensitive values masked in every reason from here on
    cols = config.columns
    app_id = str(_required(row, cols.id, "id")).strip()
    if len(app_id) > 64 or not is_plain_id(app_id):
        raise RowRefused(
            f"列『{cols.id}』の申請ID '{printable_id(app_id)[:64]}' は使えません"
            "（半角英数字と - _ . のみ、先頭は . 以外、64文字まで）"
        )
    code = str(_required(row, cols.procedure, "procedure")).strip()
    mapping = config.procedures.get(code)
    if mapping is None:
        known = "、".join(sorted(config.procedures))
        raise RowRefused(
            f"列『{cols.procedure}』の手続コード '{code}' は sources.yaml の procedures に"
            f"ありません（{known}）"
        )
    if mapping.recipe not in recipes:
        raise RowRefused(f"手続コード '{code}' のレシピ {mapping.recipe} がありません")
    atena_no = str(_required(row, cols.atena_no, "atena_no")).strip()
    if not atena_no.isascii() or not atena_no.isdigit():
        raise RowRefused(f"列『{cols.atena_no}』の宛名番号 '{atena_no}' は半角数字ではありません")
    received = _received(_required(row, cols.received_at, "received_at"), cols.received_at)
    version = None if cols.version is None else version_text(_value(row, cols.version, "version"))
    data = form_data(row, mapping)
    if not data:
        raise RowRefused("申請内容がありません（sources.yaml の data / items の列がすべて空です）")
    return ApplicationRow(
        id=app_id,
        procedure=mapping.recipe,
        received_at=received,
        status=Status.RESOLVED.value,
        atena_no=atena_no,
        data=data,
        attempts=0,
        needs_verification=False,
        source=source,
        source_version=version,
    )


def _received(value: Any, column: str) -> datetime:
    try:
        return parse_received(getattr(value, "to_pydatetime", lambda: value)(), f"列『{column}』の")
    except ValueError as exc:
        raise RowRefused(str(exc)) from None
