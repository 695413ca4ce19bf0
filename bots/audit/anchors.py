"""Anchors: signed records of each audit chain's head in the management database.

The run folder can be edited by whoever can reach it, so its own summary cannot prove
the log complete. :class:`DbAnchors` writes, as the run goes, a row per anchor into
``audit_anchors`` (see :class:`bots.queue.schema.AuditAnchorRow`), signed with the
installation's key: a log cut short, rewritten with recomputed hashes, or deleted with its
folder no longer matches its anchors, and a deleted anchor leaves a gap in their numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import DateTime, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bots.audit.keys import InstallationKey, load_key
from bots.queue.db import Database
from bots.queue.schema import AuditAnchorRow, AuditPruneRow

#: ``anchor(chain, head, lines, final)``: what :class:`bots.audit.trail.AuditTrail` calls.
AnchorSink = Callable[[str, str, int, bool], None]


def anchor_message(
    number: int, chain: str, seq: int, head: str, lines: int, at: datetime, final: bool
) -> bytes:
    """The bytes an anchor's signature covers: every column but the signature."""
    return json.dumps(
        {
            "number": number,
            "chain": chain,
            "seq": seq,
            "head": head,
            "lines": lines,
            "at": at.replace(microsecond=0).isoformat(),
            "final": bool(final),
        },
        sort_keys=True,
        ensure_ascii=False,
    ).encode("utf-8")


def row_message(row: AuditAnchorRow) -> bytes:
    return anchor_message(row.number, row.chain, row.seq, row.head, row.lines, row.at, row.final)


class DbAnchors:
    """The anchor sink of a management database, signing with the installation's key;
    each anchor in its own transaction."""

    def __init__(self, db: Database, key: InstallationKey | None = None, tries: int = 20) -> None:
        self.db = db
        self.key = key or load_key()
        self.tries = tries

    def __call__(self, chain: str, head: str, lines: int, final: bool) -> None:
        """Insert the next anchor; the installation-wide number is max + 1, retried when
        another runner took that number first (no sequence: a rollback leaves no gap)."""
        for attempt in range(self.tries):
            try:
                with self.db.session() as s:
                    insert_anchor(s, self.key, chain, head, lines, final)
                return
            except IntegrityError:
                if attempt == self.tries - 1:
                    raise


def session_anchor(s: Session, key: InstallationKey | None = None) -> AnchorSink:
    """A sink writing into the caller's transaction ``s``: the anchor commits (or not)
    with the change it records (``renkei review``: the status change and its audit line).
    On PostgreSQL a savepoint lets a number taken meanwhile by another writer be retried."""
    signer = key or load_key()

    def anchor(chain: str, head: str, lines: int, final: bool) -> None:
        if s.get_bind().dialect.name != "postgresql":  # SQLite: the transaction holds the lock
            insert_anchor(s, signer, chain, head, lines, final)
            return
        for attempt in range(20):
            try:
                with s.begin_nested():
                    insert_anchor(s, signer, chain, head, lines, final)
                return
            except IntegrityError:
                if attempt == 19:
                    raise

    return anchor


def insert_anchor(
    s: Session, key: InstallationKey, chain: str, head: str, lines: int, final: bool
) -> None:
    """Add the next anchor of ``chain`` (numbered after every anchor of the installation).

    Write first (INSERT … SELECT max + 1 … RETURNING), sign after: on SQLite the insert takes
    the write lock before anything is read, so two runners queue (busy timeout) instead of
    failing on a stale snapshot; on PostgreSQL a number taken meanwhile is a unique
    violation, retried by the caller.
    """
    t = AuditAnchorRow.metadata.tables[AuditAnchorRow.__tablename__]
    at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    next_number = select(func.coalesce(func.max(t.c.number), 0) + 1).scalar_subquery()
    next_seq = (
        select(func.coalesce(func.max(t.c.seq), 0) + 1).where(t.c.chain == chain).scalar_subquery()
    )
    values = select(
        next_number,
        literal(chain),
        next_seq,
        literal(head),
        literal(lines),
        literal(at, DateTime()),
        literal(final),
        literal(key.key_id),
        literal(""),
    )
    columns = ["number", "chain", "seq", "head", "lines", "at", "final", "key_id", "signature"]
    number, seq = s.execute(
        insert(t).from_select(columns, values).returning(t.c.number, t.c.seq)
    ).one()
    message = anchor_message(int(number), chain, int(seq), head, lines, at, final)
    s.execute(update(t).where(t.c.number == number).values(signature=key.sign(message)))


def load_anchors(db: Database, chains: set[str] | None = None) -> list[AuditAnchorRow]:
    """Every anchor (or those of ``chains``), in installation order."""
    with db.session() as s:
        q = select(AuditAnchorRow).order_by(AuditAnchorRow.number)
        if chains is not None:
            q = q.where(AuditAnchorRow.chain.in_(sorted(chains)))
        return list(s.execute(q).scalars())


# --- removal records (``renkei audit prune``) ------------------------------------------------

#: The audit chain of retention: one line per run whose evidence was removed.
RETENTION = "retention"


def prune_message(row: AuditPruneRow) -> bytes:
    """The bytes a removal record's signature covers: every column but the signature,
    the line hashes included (they are what the run's anchors and checkpoints meet)."""
    return json.dumps(
        {
            "number": row.number,
            "run_id": row.run_id,
            "lines": row.lines,
            "head": row.head,
            "hashes": list(row.hashes),
            "ended_at": row.ended_at.replace(microsecond=0).isoformat(),
            "screenshots": row.screenshots,
            "files": row.files,
            "bytes": row.bytes,
            "before": row.before.isoformat(),
            "note": row.note,
            "by": row.by,
            "host": row.host,
            "at": row.at.replace(microsecond=0).isoformat(),
            "key_id": row.key_id,
        },
        sort_keys=True,
        ensure_ascii=False,
    ).encode("utf-8")


def load_prunes(db: Database) -> dict[str, AuditPruneRow]:
    """Every removal record, by run id."""
    with db.session() as s:
        return {r.run_id: r for r in s.execute(select(AuditPruneRow)).scalars()}
