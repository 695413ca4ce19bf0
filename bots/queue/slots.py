"""Licence slots: at most N logged-in sessions on a core system, across every runner.

Why
    A core system (基幹システム) is licensed, and often enforced, per concurrent session:
    the vendor contract allows the bot's clerk account N simultaneous logins (同時接続
    ライセンス), and a login beyond that is refused, logs out another clerk, or locks the
    account. Each renkei runner holds one logged-in session per core system while it
    works, and with PostgreSQL the runners sit on several machines, so nothing local to a
    machine can keep the count. The management database they already share can.

How it maps to licences
    ``core_sessions`` has one row per licence: ``(system, slot)`` with ``slot`` 1…N, and
    the ``holder`` that uses it until ``acquired_until``. A runner takes a slot before it
    logs in (:meth:`SessionSlots.acquire`; ``None`` means every licence is in use, so
    wait and try again, never log in), pushes the lease on while it works
    (:meth:`SessionSlots.extend`, e.g. before each application) and gives the slot back
    after it logged out (:meth:`SessionSlots.release`). The rows are created on first
    use; N is the ``limit`` every caller passes, from configuration.

A holder that dies releases nothing: its slot stays taken until the lease ends, then it
is free again. Choose the lease no shorter than the core system's own idle time-out: the
dead runner's session still occupies a licence on the core side until that time-out ends
it. A holder asks again with the same name and gets the slot it holds (lease renewed): one
holder, one session per system. Lowering N leaves slots above it to their holders until
they release them, and hands them out no more.

Taking a slot is the claim of :mod:`bots.queue.sql` again: the first free slot is selected
``FOR UPDATE SKIP LOCKED`` (PostgreSQL: a slot another runner is taking is skipped, not
waited for), then taken with an UPDATE that only matches while it is still free. On SQLite
the clause is dropped and the conditional UPDATE alone decides, writers being serialised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bots.clock import utcnow
from bots.contracts import LicenceSlots
from bots.errors import LeaseLost
from bots.queue.db import Database
from bots.queue.schema import CoreSessionRow
from bots.queue.sql import _rowcount


class SessionSlots(LicenceSlots):
    """:class:`~bots.contracts.LicenceSlots` of the core systems, shared through the
    management database."""

    def __init__(self, db: Database, tries: int = 20) -> None:
        self.db = db
        self.tries = tries  # lost races before giving up on this call (PostgreSQL: rare)
        self._ready: set[tuple[str, int]] = set()

    def _ensure(self, system: str, limit: int) -> None:
        """Create the rows of slots 1…limit that do not exist yet (concurrently safe)."""
        if (system, limit) in self._ready:
            return
        with self.db.transaction() as conn:
            have = set(
                conn.scalars(
                    select(CoreSessionRow.slot).where(
                        CoreSessionRow.system == system, CoreSessionRow.slot <= limit
                    )
                )
            )
            missing = [{"system": system, "slot": n} for n in range(1, limit + 1) if n not in have]
            if missing:
                insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
                conn.execute(insert(CoreSessionRow).values(missing).on_conflict_do_nothing())
        self._ready.add((system, limit))

    @staticmethod
    def _available(system: str, holder: str, limit: int, now: datetime) -> Any:
        """Slots this holder may take: its own, or a free one (never held, or expired)."""
        free = and_(
            CoreSessionRow.slot <= limit,
            or_(CoreSessionRow.holder.is_(None), CoreSessionRow.acquired_until <= now),
        )
        return and_(CoreSessionRow.system == system, or_(CoreSessionRow.holder == holder, free))

    def acquire(self, system: str, holder: str, lease: timedelta, limit: int) -> int | None:
        """Take a slot of ``system`` for ``holder`` until now + ``lease``: its number, or None.

        None when all ``limit`` slots are held by others (or, on PostgreSQL, being taken
        or given back at this very moment): do not open a session, try again later.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self._ensure(system, limit)
        for _ in range(self.tries):
            now = utcnow()
            available = self._available(system, holder, limit, now)
            with self.db.transaction() as conn:
                slot = conn.execute(
                    select(CoreSessionRow.slot)
                    .where(available)
                    .order_by(
                        case((CoreSessionRow.holder == holder, 0), else_=1), CoreSessionRow.slot
                    )
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if slot is None:
                    return None
                taken = _rowcount(
                    conn.execute(
                        update(CoreSessionRow)
                        .where(available, CoreSessionRow.slot == slot)
                        .values(holder=holder, acquired_until=now + lease)
                    )
                )
            if taken == 1:
                return int(slot)
        return None

    def extend(self, system: str, slot: int, holder: str, lease: timedelta) -> datetime:
        """Push the lease to now + ``lease``; raises LeaseLost if the slot is not ours."""
        until = utcnow() + lease
        with self.db.transaction() as conn:
            n = _rowcount(
                conn.execute(
                    update(CoreSessionRow)
                    .where(
                        CoreSessionRow.system == system,
                        CoreSessionRow.slot == slot,
                        CoreSessionRow.holder == holder,
                    )
                    .values(acquired_until=until)
                )
            )
        if n != 1:
            raise LeaseLost(f"slot {slot} of {system} is no longer held by {holder}")
        return until

    def release(self, system: str, slot: int, holder: str) -> bool:
        """Give the slot back; False (and no change) if it was not this holder's."""
        with self.db.transaction() as conn:
            n = _rowcount(
                conn.execute(
                    update(CoreSessionRow)
                    .where(
                        CoreSessionRow.system == system,
                        CoreSessionRow.slot == slot,
                        CoreSessionRow.holder == holder,
                    )
                    .values(holder=None, acquired_until=None)
                )
            )
        return n == 1

    def holders(self, system: str, now: datetime | None = None) -> dict[int, str]:
        """Slots in use now (lease not ended), slot number → holder."""
        now = now or utcnow()
        with self.db.transaction() as conn:
            rows = conn.execute(
                select(CoreSessionRow.slot, CoreSessionRow.holder)
                .where(
                    CoreSessionRow.system == system,
                    CoreSessionRow.holder.is_not(None),
                    CoreSessionRow.acquired_until > now,
                )
                .order_by(CoreSessionRow.slot)
            )
            return {int(slot): str(holder) for slot, holder in rows}
