"""The management database and the work queue on top of it (SQLAlchemy: SQLite or PostgreSQL)."""

from bots.queue.db import Database
from bots.queue.sql import SqlWorkQueue

__all__ = ["Database", "SqlWorkQueue"]
