"""Opening the management database: one URL, SQLite by default, PostgreSQL for many machines.

* ``sqlite:///path/renkei.db`` — the embedded file, for one machine (several runner
  processes on it queue for the write lock).
* ``postgresql://user:password@host:5432/renkei`` — for several machines. The plain form
  (and ``postgres://``) is rewritten to ``postgresql+psycopg://``: renkei ships the
  psycopg 3 driver, not psycopg2, which SQLAlchemy would otherwise pick. An explicit
  ``postgresql+<driver>://`` is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bots.queue.schema import Base

#: Key of the PostgreSQL advisory lock held while the tables are created, so runners
#: starting together on an empty database do not race each other's ``CREATE TABLE``.
_SCHEMA_LOCK = 0x72656E6B  # "renk"


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a management-database URL as a user writes it.

    ``postgresql://…`` and ``postgres://…`` name the psycopg 3 driver; every other URL
    (``sqlite:///…``, ``postgresql+psycopg://…``) is returned unchanged.
    """
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while one runner writes; busy_timeout makes writers queue."""
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _add_new_columns(conn: Connection) -> None:
    """Add nullable columns a newer renkei declares to tables an older one created.

    ``create_all`` creates missing tables only; a management database that already holds
    applications must keep working after an upgrade (e.g. ``applications.keyed_by``).
    Only nullable columns without a server default are added: nothing to back-fill.
    """
    inspector = inspect(conn)
    existing_tables = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable or column.primary_key:
                continue
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))


class Database:
    """The management database: an engine, a session factory, the tables created once.

    :attr:`url` is the SQLAlchemy URL actually used (see :func:`engine_url`); another
    process can open the same database with it.
    """

    def __init__(self, url: str) -> None:
        self.url = engine_url(url)
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        self._create_tables()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    def _create_tables(self) -> None:
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            Base.metadata.create_all(conn)
            _add_new_columns(conn)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction on a plain connection (no ORM unit of work): the queue's hot path."""
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
