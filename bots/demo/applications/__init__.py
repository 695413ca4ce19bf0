"""Demo applications of the procedures whose mock screens are data (issue #14).

One module per procedure, each a small contract:

- ``PROCEDURE``: the recipe's ``procedure:`` id;
- ``PREFIX``: the application ids' prefix (``JG`` → ``JG-2026-000001``);
- ``PEOPLE``: whose application it is — ``"kosodate"`` (the 児童手当 demo's households,
  already residents of the 子育て subsystem) or ``"kaigo"`` (the 介護 demo's insured);
- ``application(person, household, i, rng) -> dict``: the online form's data as the
  management system stores it, for person ``i`` (``household`` is that person's 児童手当
  application for 子育て, their 認定申請 for 介護: children, doctor, address…);
- ``RECEIVED``: the item of that data holding the date the application came in.

``seed_applications`` files them as 連携待ち (resolved), idempotently, like every seed.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from datetime import date, datetime, time
from types import ModuleType
from typing import Any

from bots.contracts import Status
from bots.demo.fake import make_dataset
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.queue.transitions import create


def modules() -> list[ModuleType]:
    """Every procedure module of this package, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def people(kind: str, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The first ``n`` demo people of a kind with their household's data (see above)."""
    if kind == "kosodate":
        return make_dataset(n + 1)[:n]  # the 児童手当 seed's households, same residents
    from bots.demo.procedures import kaigo_dataset

    return kaigo_dataset(n)


def application_id(module: ModuleType, i: int) -> str:
    return f"{module.PREFIX}-2026-{i + 1:06d}"


def seed_applications(db: Database, n: int, only: str | None = None) -> dict[str, int]:
    """``n`` applications of every procedure (or of ``only``); new ones per procedure.

    The people must already be in the mock (the 児童手当 and 介護 seeds post them).
    """
    created: dict[str, int] = {}
    for module in modules():
        if only is not None and only != module.PROCEDURE:
            continue
        created[module.PROCEDURE] = _seed_one(db, module, n)
    return created


def demo_data(
    module: ModuleType, person: dict[str, Any], household: dict[str, Any], i: int
) -> dict[str, Any]:
    """Person ``i``'s application of a procedure: the same every time."""
    return dict(module.application(person, household, i, random.Random(f"{module.PROCEDURE}-{i}")))


def _seed_one(db: Database, module: ModuleType, n: int) -> int:
    count = 0
    with db.session() as s:
        for i, (person, household) in enumerate(people(module.PEOPLE, n)):
            app_id = application_id(module, i)
            if s.get(ApplicationRow, app_id) is not None:
                continue
            data = demo_data(module, person, household, i)
            day = date.fromisoformat(str(data[module.RECEIVED]))
            row = ApplicationRow(
                id=app_id,
                procedure=module.PROCEDURE,
                received_at=datetime.combine(day, time(10, 30)),
                status=Status.RESOLVED.value,
                atena_no=person["atena_no"],
                data=data,
                attempts=0,
                needs_verification=False,
            )
            create(s, row)
            count += 1
    return count
