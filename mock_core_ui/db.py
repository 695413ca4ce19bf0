"""Database schema and engine of the mock core system (its own SQLite file).

The server runs under waitress with several threads, so the engine is shared between
threads (``check_same_thread=False``), every connection waits on locks instead of failing
(busy timeout), and writing transactions start with ``BEGIN IMMEDIATE`` so two clerks
registering at once queue up instead of dead-locking on a lock upgrade.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from werkzeug.security import generate_password_hash

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 15
RECEIPT_COUNTER = "receipt"

# (user id, password, display name): the demo clerks named in the screen contract.
SEED_USERS: tuple[tuple[str, str, str], ...] = (
    ("rpa01", "renkei-demo", "連携 太郎"),
    ("clerk01", "clerk-demo", "窓口 花子"),
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("display_name", String(60), nullable=False),
    Column("password_hash", String(255), nullable=False),
)

residents = Table(
    "residents",
    metadata,
    Column("atena_no", String(20), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("kana", String(120), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("gender", String(10), nullable=False, default=""),
    Column("postal_code", String(10), nullable=False, default=""),
    Column("address", String(200), nullable=False, default=""),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("receipt_no", String(10), nullable=False, unique=True),
    Column("atena_no", String(20), nullable=False, index=True),
    Column("claimant_name", String(60), nullable=False),
    Column("claimant_kana", String(120), nullable=False),
    Column("claimant_birth_date", Date, nullable=False),
    Column("my_number", String(12), nullable=False),
    Column("claim_date", Date, nullable=False),
    Column("spouse_name", String(60)),
    Column("spouse_kana", String(120)),
    Column("spouse_birth_date", Date),
    Column("bank_code", String(4), nullable=False),
    Column("branch_code", String(3), nullable=False),
    Column("account_type", String(4), nullable=False),
    Column("account_no", String(7), nullable=False),
    Column("account_holder", String(60), nullable=False),
    Column("remarks", Text, nullable=False, default=""),
    Column("registered_at", DateTime, nullable=False),
    Column("registered_by", String(32), nullable=False),
)

children = Table(
    "children",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("claim_id", Integer, ForeignKey("claims.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("name", String(60), nullable=False),
    Column("kana", String(120), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("relation", String(10), nullable=False),
    Column("cohabitation", String(10), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)


def _install_sqlite_hooks(engine: Engine) -> None:
    """Take transaction control away from pysqlite so BEGIN IMMEDIATE can be asked for.

    pysqlite's own implicit BEGIN is always DEFERRED; the SQLAlchemy-documented recipe is
    to switch it off and emit BEGIN ourselves. A connection opts into IMMEDIATE with the
    execution option ``sqlite_begin="IMMEDIATE"`` (see ``Store.write``).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def open_engine(db_path: str | Path) -> Engine:
    """Open (creating if needed) the SQLite file with its tables, counter and clerk accounts."""
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
    )
    _install_sqlite_hooks(engine)
    metadata.create_all(engine)
    _seed(engine)
    return engine


def _seed(engine: Engine) -> None:
    """Insert the receipt counter and the demo clerks if they are missing (idempotent)."""
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        if (
            conn.execute(select(counters.c.value).where(counters.c.name == RECEIPT_COUNTER)).first()
            is None
        ):
            conn.execute(insert(counters).values(name=RECEIPT_COUNTER, value=0))
        existing = set(conn.execute(select(users.c.user_id)).scalars())
        for user_id, password, display_name in SEED_USERS:
            if user_id in existing:
                continue
            conn.execute(
                insert(users).values(
                    user_id=user_id,
                    display_name=display_name,
                    password_hash=generate_password_hash(password),
                )
            )
            log.info("seeded clerk account %s", user_id)
