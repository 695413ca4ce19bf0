"""Opening the management database: one URL, SQLite by default, PostgreSQL for many machines.

* ``sqlite:///path/renkei.db`` — the embedded file, for one machine (several runner
  processes on it queue for the write lock).
* ``postgresql://user:password@host:5432/renkei`` — for several machines. The plain form
  (and ``postgres://``) is rewritten to ``postgresql+psycopg://``: renkei ships the
  psycopg 3 driver, not psycopg2, which SQLAlchemy would otherwise pick. An explicit
  ``postgresql+<driver>://`` is left alone.

The applications' form data is sealed at rest (:mod:`bots.queue.sealing`): each Database
attaches the sealer of its key folder to its engine. A SQLite file is its service
account's only: created 0600 (its -wal and -shm take the file's mode), an existing wider
one tightened (logged), and ``secure_delete`` on, so a value overwritten or purged does
not stay readable in the file's free pages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bots.config import default_data_dir
from bots.errors import RenkeiError
from bots.queue.schema import Base
from bots.queue.sealing import Sealer, attach, has_sealed_rows, key_path, tighten

#: How staff name the setting in messages (the environment variable, or the option).
SETTING = "RENKEI_DB または --db"

#: The SQLite messages staff meet, in their words.
_SQLITE_REASONS = {
    "unable to open database file": "ファイルを開けません（フォルダへのアクセス権を確認してください）",
    "attempt to write a readonly database": "読み取り専用のため書き込めません",
    "file is not a database": "SQLite のデータベースファイルではありません",
}


READ_ONLY = "ファイルに書き込めません（読み取り専用）"


class DatabaseUnusable(RenkeiError):
    """The management database cannot be opened or written: which setting, which path, why."""

    def __init__(self, shown: str, why: str) -> None:
        self.shown, self.why = shown, why
        super().__init__(f"管理データベースを使えません（{SETTING} の設定）: {shown}: {why}")


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
    """WAL lets readers work while one runner writes; busy_timeout makes writers queue;
    secure_delete zeroes what a write or a delete frees (a purged value must not stay)."""
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")
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


def _shown(url: str) -> str:
    """The URL as a message may show it: the password hidden, a SQLite file as its path."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _check_sqlite_path(path: Path, shown: str) -> None:
    """Refuse, before SQLite creates anything, a file renkei could not use.

    Only the default ``var/`` folder is created (:func:`default_data_dir`): the folder of
    a path someone set must exist — a typo in ``RENKEI_DB`` must not quietly start an empty
    database elsewhere. A read-only file or folder would let SQLite open the database and
    fail at the first write, deep inside a run.
    """
    folder = path.parent
    if not folder.is_dir():
        if folder.resolve() != default_data_dir().resolve() or folder.exists():
            raise DatabaseUnusable(shown, f"フォルダ {folder} がありません")
        folder.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise DatabaseUnusable(shown, "ファイルではなくフォルダです")
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseUnusable(shown, READ_ONLY)
    if not path.exists() and not os.access(folder, os.W_OK):
        raise DatabaseUnusable(shown, f"フォルダ {folder} にファイルを作成できません")
    _private_file(path)


def _private_file(path: Path) -> None:
    """The database file created empty with mode 0600 (SQLite takes an empty file as a new
    database, and gives its -wal and -shm the file's mode); an existing file, -wal or -shm
    that others may read is tightened. Only a new name is opened (O_EXCL): no descriptor
    of a file SQLite may already hold is ever closed here (see :func:`_probe_sqlite_write`).
    """
    if path.name in ("", ":memory:"):
        return
    # exists already, or cannot be made here (/proc…): SQLite's own error names it
    with suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        # another account's file, a read-only mount: SQLite's own error says more
        with suppress(OSError):
            tighten(file, 0o600)


def _probe_sqlite_write(conn: Connection) -> None:
    """Prove the file takes a write, and change nothing: rewrite its own user_version in a
    transaction that is rolled back. Permission bits do not stop root, but a read-only
    mount or an immutable file (``chattr +i``) does, and SQLite then opens it read-only.

    Never test writability by opening the file ourselves: closing any descriptor of a
    SQLite file drops every POSIX lock this process holds on it, and another connection
    of this process would then write unprotected — that corrupts the database.
    """
    version = conn.exec_driver_sql("PRAGMA user_version").scalar()
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
    finally:
        conn.exec_driver_sql("ROLLBACK")


def _why(exc: DBAPIError) -> str:
    """The driver's reason, first line only (no SQL, no traceback)."""
    lines = str(exc.orig).strip().splitlines()
    first = lines[0] if lines else type(exc.orig).__name__
    return _SQLITE_REASONS.get(first, first)


class Database:
    """The management database: an engine, a session factory, the tables created once.

    :attr:`url` is the SQLAlchemy URL actually used (see :func:`engine_url`); another
    process can open the same database with it. :attr:`sealer` seals and opens the
    applications' form data with the key file of ``key_dir`` (default: the installation's
    key folder, ``RENKEI_KEY_DIR``), read when first needed.
    """

    def __init__(self, url: str, key_dir: Path | None = None) -> None:
        self.url = engine_url(url)
        self.sealer = Sealer(key_path(key_dir))
        shown = _shown(self.url)
        try:
            if self.url.startswith("sqlite:///"):
                _check_sqlite_path(Path(self.url.removeprefix("sqlite:///")), shown)
                self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise DatabaseUnusable(shown, f"URL として読めません: {exc}") from None
        attach(self.engine, self.sealer)
        try:
            self._create_tables()
            if not self.sealer.path.exists():
                with self.engine.connect() as conn:  # a lost key must not be replaced
                    self.sealer.may_create = not has_sealed_rows(conn)
            if self.dialect == "sqlite":
                with self.engine.connect() as conn:
                    _probe_sqlite_write(conn)
        except DBAPIError as exc:
            self.engine.dispose()
            read_only = "readonly" in str(exc.orig)
            raise DatabaseUnusable(shown, READ_ONLY if read_only else _why(exc)) from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    def _create_tables(self) -> None:
        """Create missing tables; safe when several processes start on a new database.

        PostgreSQL serialises the creators with an advisory lock. SQLite has none: a
        process that lost the race sees ``table … already exists`` (or, upgrading an older
        database, ``duplicate column name``) and looks again, when the winner's tables and
        columns are committed and nothing is left to create.
        """
        for last in (False, True):
            try:
                with self.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK}
                        )
                    Base.metadata.create_all(conn)
                    _add_new_columns(conn)
                return
            except OperationalError as exc:
                lost_race = "already exists" in str(exc) or "duplicate column" in str(exc)
                if last or not lost_race:
                    raise

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

    def compact(self, *, vacuum: bool) -> bool:
        """SQLite: empty the -wal into the file (and with ``vacuum`` rewrite the file without
        its free pages first), so the values a seal or a purge replaced leave the disk files
        too. Whether it ran: PostgreSQL keeps old row versions until its own VACUUM (see
        docs/data-at-rest.md). Best effort on the checkpoint: a reader still open keeps
        the frames it reads, and the next checkpoint takes them."""
        if self.dialect != "sqlite":
            return False
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if vacuum:
                conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    def dispose(self) -> None:
        self.engine.dispose()
