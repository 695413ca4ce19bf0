"""The management database and the work queue on top of it (SQLAlchemy: SQLite or PostgreSQL)."""

from bots.errors import LeaseLost
from bots.queue.db import Database, engine_url
from bots.queue.slots import SessionSlots
from bots.queue.sql import RunLock, SqlWorkQueue

__all__ = ["Database", "LeaseLost", "RunLock", "SessionSlots", "SqlWorkQueue", "engine_url"]
