"""Reading a source database: the rows of a ``table`` (with ``where``) or of a ``query``.

Any SQLAlchemy URL (PostgreSQL, SQLite; others by their driver), the password from
``password_env`` / ``password_file`` (:mod:`bots.sources.credentials`). A table is
reflected (its columns as the database has them: Japanese names are quoted by SQLAlchemy,
never written into SQL by hand; ``schema.table`` names another schema) and filtered by
``where`` as bound equality conditions, ordered by the id column so row numbers are
stable between syncs. A ``query`` runs as written through ``text()`` in a transaction
that is never committed, read-only where the database knows such a thing (PostgreSQL
``SET TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``): a mistaken UPDATE in
``sources.yaml`` cannot change the 申請管理システム.

A source that cannot be reached (refused, time-out, the server restarting) raises
:class:`SourceUnavailable`: transient, the next sync tries again, nothing is taken. A
source that answers but does not fit the mapping (no such table or column, a query that
fails) raises :class:`SourceBroken`: IT must fix ``sources.yaml``. Both messages show the
URL with the password hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, MetaData, Table, create_engine, event, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, SQLAlchemyError

from bots.errors import RenkeiError
from bots.masking import scrub_text
from bots.queue.db import engine_url
from bots.sources.config import SqlSource
from bots.sources.credentials import shown_url, source_url

#: Seconds to wait for a source's server to answer a connection (a down source must not
#: hold a sync, or the scheduler, for long).
CONNECT_TIMEOUT_S = 10


class SourceUnavailable(RenkeiError):
    """The source cannot be reached now: retried at the next sync, nothing taken."""


class SourceBroken(RenkeiError):
    """The source answers but does not fit ``sources.yaml`` (table, column, query)."""


@dataclass
class SqlRows:
    """What one read gave: the place the rows came from, and (row number, row) pairs."""

    place: str  # the table's name, or "query"
    rows: list[tuple[int, dict[str, Any]]]


def _first_line(exc: BaseException) -> str:
    origin = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(origin).splitlines() if line.strip()]
    return scrub_text(lines[0] if lines else type(origin).__name__)


def _engine_args(url: URL) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend == "postgresql":
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}
    if backend == "sqlite":
        return {"connect_args": {"timeout": CONNECT_TIMEOUT_S}}
    return {}


@contextmanager
def connected(name: str, config: SqlSource) -> Iterator[Connection]:
    """A connection to the source, or :class:`SourceUnavailable` (URL shown, password
    hidden). Credentials are read here: a missing one raises
    :class:`~bots.sources.credentials.CredentialsUnusable`."""
    url = source_url(name, engine_url(config.url), config.password_env, config.password_file)
    shown = shown_url(url)
    engine = create_engine(url, **_engine_args(url))
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_read_only)
    try:
        try:
            conn = engine.connect()
        except (OperationalError, DBAPIError) as exc:
            raise SourceUnavailable(
                f"ソース『{name}』（{shown}）に接続できません: {_first_line(exc)}。"
                "何も取り込んでいません（次の同期で再試行します）"
            ) from None
        with conn:
            yield conn
    finally:
        engine.dispose()


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    """A SQLite source is read through a connection that cannot write."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def read_rows(name: str, config: SqlSource) -> SqlRows:
    """Every row the source's table (with ``where``) or query gives now."""
    with connected(name, config) as conn:
        shown = shown_url(conn.engine.url)
        try:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            if config.query is not None:
                result = conn.execute(text(config.query))
                place = "query"
            else:
                assert config.table is not None  # the config allows exactly one
                table = _reflect(conn, config.table)
                result = conn.execute(_select(name, table, config))
                place = config.table
            rows = [(n, dict(r._mapping)) for n, r in enumerate(result, start=1)]
        except NoSuchTableError:
            raise SourceBroken(
                f"ソース『{name}』（{shown}）にテーブル『{config.table}』がありません"
                "（sources.yaml の table）"
            ) from None
        except OperationalError as exc:
            if conn.invalidated or getattr(exc, "connection_invalidated", False):
                raise SourceUnavailable(
                    f"ソース『{name}』（{shown}）との接続が切れました: {_first_line(exc)}。"
                    "何も取り込んでいません（次の同期で再試行します）"
                ) from None
            raise SourceBroken(_failed(name, shown, config, exc)) from None
        except SQLAlchemyError as exc:
            raise SourceBroken(_failed(name, shown, config, exc)) from None
        finally:
            with suppress(SQLAlchemyError):  # never committed: the source stays as it was
                conn.rollback()
    return SqlRows(place, rows)


def _failed(name: str, shown: str, config: SqlSource, exc: BaseException) -> str:
    what = "query" if config.query is not None else f"テーブル『{config.table}』の読み取り"
    return f"ソース『{name}』（{shown}）の {what} が失敗しました: {_first_line(exc)}"


def _reflect(conn: Connection, table_name: str) -> Table:
    schema, _, bare = table_name.rpartition(".")
    return Table(bare, MetaData(), autoload_with=conn, schema=schema or None)


def _select(name: str, table: Table, config: SqlSource) -> Any:
    """``SELECT * FROM table WHERE col = :value … ORDER BY id`` (bound values only)."""
    missing = [c for c in [*config.where, config.columns.id] if c not in table.c]
    if missing:
        raise SourceBroken(
            f"ソース『{name}』のテーブル『{table.name}』に列『{missing[0]}』がありません"
            f"（列: {'、'.join(table.c.keys())}）"
        )
    query = select(table).where(*(table.c[c] == v for c, v in config.where.items()))
    return query.order_by(table.c[config.columns.id])


def check_connection(name: str, config: SqlSource) -> str:
    """Connect and look (``renkei sources check --connect``): the table's or query's row
    count now, as a line for IT; raises like :func:`read_rows`."""
    rows = read_rows(name, config)
    return f"{len(rows.rows)} 行（{rows.place}）"
