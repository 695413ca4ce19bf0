"""Writing outcomes to a source: an UPDATE through ``write_back``, or an outcome file.

Two targets, declared in ``sources.yaml`` (:mod:`bots.sources.config`):

* **SQL** (:class:`SqlWriter`): one UPDATE per outcome, ``UPDATE 表 SET 列 = :値 … WHERE
  key = :申請ID``, on the table as SQLAlchemy reflects it (Japanese names quoted by
  SQLAlchemy, every value a bound parameter). The UPDATE carries ``AND (列 IS DISTINCT FROM
  :値 OR …)``: writing an outcome the row already holds matches nothing, so a delivery done
  again after a crash changes nothing — not even an ``updated_at`` trigger fires. Only when
  it matched nothing is the row looked for, to tell "already so" from "no such row".
* **File** (:func:`write_outcome_file`): one CSV (UTF-8 with BOM, or CP932) or Excel file
  per delivery batch, ``renkei-outcomes-<batch>.<ext>`` where the batch id begins with the
  JST time it was made; written under a hidden temporary name, flushed to disk and renamed,
  so the importing system never sees half a file, and the same batch always gives the
  same name and rows (written again after a crash: the same file).

Values, as the source expects them: ``status`` is renkei's label (連携済 / 要確認 / 対象外)
or what ``statuses`` maps it to; ``reason`` is masked (:func:`bots.masking.scrub_text`);
``outcome_at`` (stored naive UTC) goes to a ``timestamp with time zone`` column as UTC, to a
**naive** date-time column as **naive JST** (a 申請管理システム of a Japanese municipality
keeps local time), to a date column as the JST date, to a text column or a file as
``2026-12-03 17:45:12`` (JST). A value longer than a text column is cut with "…"; a digit
string for an integer column is given as a number.

A source that cannot be reached is tried a few times at once (tenacity, about a second in
all), then :class:`SourceDown` is raised: the caller keeps the outcomes pending with their
error. Messages show the URL with the password hidden.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    or_,
    select,
    update,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, SQLAlchemyError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from bots.config import JST
from bots.contracts import Status
from bots.errors import RenkeiError
from bots.masking import scrub_text
from bots.queue.db import engine_url
from bots.sources.config import FileWriteBack, SqlSource, SqlWriteBack
from bots.sources.credentials import shown_url, source_url

#: Seconds to wait for a source's server to answer (a down source must not hold a run).
CONNECT_TIMEOUT_S = 5
#: Quick tries of one write before the outcome is left pending (tenacity).
QUICK_TRIES = 3
#: What a character CP932 cannot hold becomes in a CP932 outcome file (the 下駄記号).
CP932_REPLACEMENT = "〓"


class SourceDown(RenkeiError):
    """The source cannot be reached now: the outcomes stay pending and are tried later."""


class OutcomeRefused(RenkeiError):
    """The source answered but did not take this outcome (no such row, a refused value,
    a table or column ``sources.yaml`` names that is not there)."""


@dataclass(frozen=True)
class PendingOutcome:
    """One outbox row as it is delivered (``outcome_at`` naive UTC, ``reason`` as stored)."""

    outbox_id: int
    application_id: str
    status: str  # renkei's stored status value (keyed, needs_review, rejected)
    receipt_no: str | None
    reason: str | None
    outcome_at: datetime
    batch: str | None = None


def status_text(status: str, statuses: dict[str, str]) -> str:
    """renkei's status as the source writes it: its label, or what ``statuses`` maps it to."""
    label = Status(status).label
    return statuses.get(label, label)


def jst_text(moment: datetime) -> str:
    """``2026-12-03 17:45:12``: a stored (naive UTC) time in Japan time, as text."""
    return f"{moment.replace(tzinfo=UTC).astimezone(JST):%Y-%m-%d %H:%M:%S}"


def field_value(outcome: PendingOutcome, field: str, statuses: dict[str, str]) -> Any:
    """An outcome field (:data:`bots.sources.config.OUTCOME_FIELDS`) before column typing."""
    if field == "id":
        return outcome.application_id
    if field == "status":
        return status_text(outcome.status, statuses)
    if field == "receipt_no":
        return outcome.receipt_no
    if field == "reason":
        return scrub_text(outcome.reason) if outcome.reason else None
    if field == "outcome_at":
        return outcome.outcome_at
    raise ValueError(f"unknown outcome field {field!r}")


# --- SQL ---------------------------------------------------------------------------------


def _python_type(column: Any) -> type | None:
    try:
        kind: type = column.type.python_type
    except NotImplementedError:  # a type SQLAlchemy reflected without a Python equivalent
        return None
    return kind


def column_value(column: Any, value: Any) -> Any:
    """``value`` as ``column`` of the source holds it (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, datetime):  # outcome_at, naive UTC
        if isinstance(column.type, DateTime):
            return value.replace(tzinfo=UTC) if column.type.timezone else naive_jst(value)
        if isinstance(column.type, Date):
            return jst_day(value)
        value = jst_text(value)
    kind = _python_type(column)
    if kind is int and isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, str) and isinstance(column.type, String) and column.type.length:
        limit = int(column.type.length)
        if len(value) > limit:
            return value[: limit - 1] + "…"
    return value


def _first_line(exc: BaseException) -> str:
    origin = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(origin).splitlines() if line.strip()]
    return scrub_text(lines[0] if lines else type(origin).__name__)


def _transient(exc: BaseException) -> bool:
    """A connection that failed or broke (refused, reset, server restarting): worth a retry."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def quick_retries(tries: int = QUICK_TRIES) -> Retrying:
    """A few tries about a fifth of a second apart, then the last error is raised."""
    return Retrying(
        stop=stop_after_attempt(tries),
        wait=wait_exponential(multiplier=0.1, max=0.5),
        retry=retry_if_exception(_transient),
        reraise=True,
    )


def _engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    args: dict[str, Any] = {}
    if backend == "postgresql":
        args = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}
    elif backend == "sqlite":
        args = {"connect_args": {"timeout": CONNECT_TIMEOUT_S}}
    return create_engine(url, pool_pre_ping=True, **args)


class SqlWriter:
    """The UPDATEs of one source's outcomes; use as a context manager (one engine)."""

    def __init__(self, name: str, source: SqlSource, back: SqlWriteBack) -> None:
        self.name, self.back = name, back
        self.url = source_url(
            name, engine_url(source.url), source.password_env, source.password_file
        )
        self.shown = shown_url(self.url)
        self._table: Table | None = None
        self._engine: Engine | None = None

    def __enter__(self) -> SqlWriter:
        self._engine = _engine(self.url)
        return self

    def __exit__(self, *_: object) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        assert self._engine is not None, "use SqlWriter as a context manager"
        with self._engine.begin() as conn:
            yield conn

    def _reflect(self, conn: Connection) -> Table:
        """The table, reflected once; every column ``write_back`` names must be in it."""
        if self._table is not None:
            return self._table
        schema, _, bare = self.back.table.rpartition(".")
        try:
            table = Table(bare, MetaData(), autoload_with=conn, schema=schema or None)
        except NoSuchTableError:
            raise OutcomeRefused(
                f"ソース『{self.name}』（{self.shown}）にテーブル『{self.back.table}』がありません"
                "（sources.yaml の write_back.table）"
            ) from None
        missing = [c for c in [self.back.key, *self.back.set] if c not in table.c]
        if missing:
            raise OutcomeRefused(
                f"ソース『{self.name}』のテーブル『{self.back.table}』に列『{missing[0]}』が"
                f"ありません（sources.yaml の write_back、列: {'、'.join(table.c.keys())}）"
            )
        self._table = table
        return table

    def _update_one(self, outcome: PendingOutcome) -> bool:
        """One transaction: the UPDATE, and (matched nothing) whether the row is there."""
        with self._transaction() as conn:
            table = self._reflect(conn)
            key = table.c[self.back.key]
            key_value = column_value(key, outcome.application_id)
            values = {
                column: column_value(
                    table.c[column], field_value(outcome, field, self.back.statuses)
                )
                for column, field in self.back.set.items()
            }
            changed = or_(*(table.c[c].is_distinct_from(v) for c, v in values.items()))
            result = conn.execute(update(table).where(key == key_value, changed).values(values))
            if int(getattr(result, "rowcount", 0) or 0) > 0:
                return True
            there = conn.execute(select(key).where(key == key_value)).first()
        if there is None:
            raise OutcomeRefused(
                f"ソース『{self.name}』のテーブル『{self.back.table}』に"
                f"『{self.back.key}』= {outcome.application_id} の行がありません"
            )
        return False  # it already holds this outcome: nothing to change

    def write(self, outcome: PendingOutcome) -> bool:
        """Write one outcome (True: the row changed; False: it held it already).

        Raises :class:`SourceDown` after the quick retries, :class:`OutcomeRefused` when the
        source does not take it.
        """
        try:
            return quick_retries()(self._update_one, outcome)
        except OutcomeRefused:
            raise
        except SQLAlchemyError as exc:
            if _transient(exc):
                raise SourceDown(
                    f"ソース『{self.name}』（{self.shown}）に接続できません: {_first_line(exc)}"
                    f"（{QUICK_TRIES}回試行。結果は保留し、後で再送します）"
                ) from None
            raise OutcomeRefused(
                f"ソース『{self.name}』（{self.shown}）のテーブル『{self.back.table}』への"
                f"書き戻しが拒否されました（申請 {outcome.application_id}）: {_first_line(exc)}"
            ) from None


# --- files -------------------------------------------------------------------------------

#: The file name's extension per ``format``.
EXTENSIONS = {"csv": "csv", "cp932": "csv", "xlsx": "xlsx"}


def outcome_file_name(batch: str, back: FileWriteBack) -> str:
    """``renkei-outcomes-<batch>.csv|xlsx``; the batch id begins with its JST time."""
    return f"renkei-outcomes-{batch}.{EXTENSIONS[back.format]}"


def outcome_frame(outcomes: Sequence[PendingOutcome], back: FileWriteBack) -> pd.DataFrame:
    """The file's rows in outbox order, its columns as ``write_back.columns`` lists them."""
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {}
        for column, field in back.columns.items():
            value = field_value(outcome, field, back.statuses)
            row[column] = jst_text(value) if isinstance(value, datetime) else value
        rows.append(row)
    return pd.DataFrame(rows, columns=list(back.columns), dtype=object)


def _cp932(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return "".join(ch if _encodes(ch) else CP932_REPLACEMENT for ch in value)


def _encodes(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _writer(back: FileWriteBack) -> Callable[[pd.DataFrame, Path], None]:
    if back.format == "xlsx":
        return lambda frame, path: frame.to_excel(path, index=False, engine="openpyxl")
    if back.format == "cp932":
        return lambda frame, path: frame.map(_cp932).to_csv(path, index=False, encoding="cp932")
    return lambda frame, path: frame.to_csv(path, index=False, encoding="utf-8-sig")


def write_outcome_file(
    name: str, back: FileWriteBack, batch: str, outcomes: Sequence[PendingOutcome]
) -> Path:
    """The batch's outcome file in ``back.folder`` (temporary name, fsync, rename).

    The folder must exist: a mistyped folder must not quietly fill another one. Raises
    :class:`SourceDown` when the file cannot be written (kept pending, tried later).
    """
    final = back.folder / outcome_file_name(batch, back)
    temporary = back.folder / f".{final.stem}.tmp{final.suffix}"
    if not back.folder.is_dir():
        raise SourceDown(
            f"ソース『{name}』の結果ファイルの出力先フォルダ {back.folder} がありません"
            "（sources.yaml の write_back.folder）。結果は保留し、後で再送します"
        )
    try:
        _writer(back)(outcome_frame(outcomes, back), temporary)
        with temporary.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temporary, final)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SourceDown(
            f"ソース『{name}』の結果ファイル {final} を書けません: {exc.strerror or exc}。"
            "結果は保留し、後で再送します"
        ) from None
    return final


def naive_jst(moment: datetime) -> datetime:
    """A stored (naive UTC) time as naive JST: what a naive date-time column receives."""
    return moment.replace(tzinfo=UTC).astimezone(JST).replace(tzinfo=None)


def jst_day(moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(JST).date()
