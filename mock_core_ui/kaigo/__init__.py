"""介護保険 subsystem: a legacy vendor's screens (frameset, tables, Shift_JIS).

Screen contract: ``docs/mock-core-kaigo.md``. The blueprint ``bp`` (url prefix ``/kaigo``)
creates its own tables on the app's SQLite engine when it is registered.
"""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
