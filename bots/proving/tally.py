"""Comparing the core system with the management database: none lost, none twice."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from bots.contracts import Status
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow

_TAG = re.compile(r"\[renkei:([^\]]+)\]")


@dataclass
class Tally:
    """Per-application verdicts; ``ok`` only when nothing is lost and nothing is twice."""

    applications: int = 0
    keyed: int = 0
    needs_review: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)  # still waiting or held: nobody finished it
    twice: list[str] = field(default_factory=list)  # more than one record in the core system
    # a receipt that differs, or a record for an application not keyed
    wrong: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)  # to review though nothing was wrong
    notes: list[str] = field(default_factory=list)
    kills: int = 0  # kill test only: runners SIGKILLed, and of those right after 登録
    register_kills: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.twice or self.wrong or self.spurious)

    def lines(self) -> list[str]:
        return [
            f"applications        {self.applications}",
            f"keyed exactly once  {self.keyed}",
            f"needs review        {self.needs_review}",
            f"failed (gave up)    {self.failed}",
            f"lost                {len(self.lost)} {self.lost[:5]}",
            f"keyed twice         {len(self.twice)} {self.twice[:5]}",
            f"wrong record        {len(self.wrong)} {self.wrong[:5]}",
            f"review, no problem  {len(self.spurious)} {self.spurious[:5]}",
            *self.notes,
            "RESULT: " + ("OK — none lost, none twice" if self.ok else "FAILED"),
        ]


def core_receipts(core_url: str) -> dict[str, list[str]]:
    """Application id → receipt numbers of every 子育て record carrying its tag."""
    with urllib.request.urlopen(core_url.rstrip("/") + "/_testing/records", timeout=30) as r:
        records = json.loads(r.read())
    found: dict[str, list[str]] = {}
    for record in records:
        match = _TAG.search(record.get("remarks") or "")
        if match:
            found.setdefault(match.group(1), []).append(record["receipt_no"])
    return found


def tally(db: Database, core_url: str, planted: set[str] | None = None) -> Tally:
    """Compare; with ``planted`` (the applications seeded with a problem), any other
    application sent to review counts against the result: the bot misread something."""
    receipts = core_receipts(core_url)
    result = Tally()
    with db.session() as s:
        rows = list(s.execute(select(ApplicationRow)).scalars())
    result.applications = len(rows)
    statuses = Counter(r.status for r in rows)
    for row in rows:
        in_core = receipts.get(row.id, [])
        if len(in_core) > 1:
            result.twice.append(row.id)
        if row.status == Status.KEYED.value:
            result.keyed += 1
            if in_core != [row.receipt_no]:
                result.wrong.append(row.id)
        elif row.status in (Status.NEEDS_REVIEW.value, Status.FAILED.value):
            result.needs_review += row.status == Status.NEEDS_REVIEW.value
            result.failed += row.status == Status.FAILED.value
            if in_core and "二重登録" not in (row.reason or ""):
                result.wrong.append(row.id)
            if (
                planted is not None
                and row.status == Status.NEEDS_REVIEW.value
                and row.id not in planted
            ):
                result.spurious.append(row.id)
        else:
            result.lost.append(row.id)
    result.notes.append(f"statuses            {dict(statuses)}")
    return result
