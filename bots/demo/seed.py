"""``renkei demo seed N``: realistic resolved applications, and their residents in the mock.

The residents must exist in the core system before anything can be keyed (in real life
they are in 住民記録 already); the mock accepts them through its testing endpoint, which
only exists when it runs with ``--testing``. Seeding is idempotent: household *i* is
always the same person, and applications already present are left alone, so running the
demo twice keys nothing new.

With ``problems`` (the demo's default) one household in five carries a realistic problem
that a person must resolve, so the demo shows the exception queue too.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bots import transforms
from bots.contracts import Status
from bots.demo.fake import make_dataset
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.queue.transitions import create

PROCEDURE = "jidou_teate_nintei"

#: What goes wrong in every fifth household when ``problems`` is on, in turn.
PROBLEMS = ("bad_date", "wrong_resident", "unknown_bank", "gaiji")


@dataclass(frozen=True)
class SeedReport:
    created: int
    existing: int
    residents: int
    problems: dict[str, str]  # application id → problem kind


def application_id(index: int) -> str:
    return f"JT-2026-{index + 1:06d}"


def _with_problem(kind: str, data: dict[str, Any], atena_no: str, next_atena: str) -> str:
    """Spoil one application the way real ones go wrong; returns the 宛名番号 to file it under."""
    if kind == "bad_date":
        data["children"][0]["birth_date"] = "2019-02-30"
    elif kind == "wrong_resident":
        return next_atena  # staff linked the application to the neighbouring resident
    elif kind == "unknown_bank":
        data["bank"]["bank_code"] = "1234"  # four digits, but no such bank: the core rejects it
    elif kind == "gaiji":
        family, _, given = data["children"][0]["name"].partition("\u3000")
        data["children"][0]["name"] = "髙" + family[1:] + "\u3000" + given
    return atena_no


def post_residents(core_url: str, residents: list[dict[str, Any]]) -> None:
    _post(core_url, "/_testing/residents", residents)


def _post(core_url: str, path: str, items: list[dict[str, Any]]) -> None:
    residents = items
    request = urllib.request.Request(
        core_url.rstrip("/") + path,
        data=json.dumps(residents, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except urllib.error.URLError as exc:
        raise RuntimeError(
            f"模擬基幹システム（{core_url}）に住民を登録できません: {exc}. "
            "--testing 付きで起動していますか？"
        ) from exc


def _resolved(
    app_id: str, procedure: str, received: datetime, atena_no: str, data: dict[str, Any]
) -> ApplicationRow:
    """An application as staff leave it for the bot: identified, reviewed, 連携待ち."""
    return ApplicationRow(
        id=app_id,
        procedure=procedure,
        received_at=received,
        status=Status.RESOLVED.value,
        atena_no=atena_no,
        data=data,
        attempts=0,
        needs_verification=False,
    )


def seed_boshi(db: Database, n: int) -> int:
    """妊娠の届出 for the women among the first ``n`` demo residents; returns how many new."""
    from bots.demo.procedures import boshi_application

    created = 0
    with db.session() as s:
        for i, (resident, _) in enumerate(make_dataset(n)):
            if resident["gender"] != "女":
                continue
            app_id = f"BH-2026-{i + 1:06d}"
            if s.get(ApplicationRow, app_id) is not None:
                continue
            data = boshi_application(resident, i)
            received = datetime.combine(date.fromisoformat(data["notification_date"]), time(10, 0))
            create(s, _resolved(app_id, "boshi_ninshin", received, resident["atena_no"], data))
            created += 1
    return created


def seed_kaigo(db: Database, n: int, core_url: str | None) -> int:
    """``n`` 要介護認定申請 with their insured persons in the mock; returns how many new."""
    from bots.demo.procedures import kaigo_dataset

    people = kaigo_dataset(n)
    created = 0
    with db.session() as s:
        for i, (insured, data) in enumerate(people):
            app_id = f"KG-2026-{i + 1:06d}"
            if s.get(ApplicationRow, app_id) is not None:
                continue
            received = datetime.combine(date.fromisoformat(data["application_date"]), time(11, 0))
            create(s, _resolved(app_id, "kaigo_nintei", received, insured["atena_no"], data))
            created += 1
    if core_url:
        _post(core_url, "/kaigo/_testing/insured", [insured for insured, _ in people])
    return created


def seed_yobou(db: Database, n: int) -> int:
    """``n`` 予防接種の記録 (健康管理システム has no residents to load); returns how many new."""
    from bots.demo.procedures import yobou_dataset

    created = 0
    with db.session() as s:
        for i, data in enumerate(yobou_dataset(n)):
            app_id = f"YB-2026-{i + 1:06d}"
            if s.get(ApplicationRow, app_id) is not None:
                continue
            shot = date.fromisoformat(data["vaccinated_on"])
            received = datetime.combine(shot, time(15, 0))
            atena_no = data["person"]["jumin_cd"]
            create(s, _resolved(app_id, "yobou_sesshu", received, atena_no, data))
            created += 1
    return created


def seed(
    db: Database, n: int, core_url: str | None, *, problems: bool = True, seed_value: int = 2026
) -> SeedReport:
    households = make_dataset(n + 1, seed=seed_value)  # one extra: the neighbour of the last
    created = existing = 0
    spoiled: dict[str, str] = {}
    with db.session() as s:
        for i, (resident, data) in enumerate(households[:n]):
            app_id = application_id(i)
            atena_no = resident["atena_no"]
            if problems and i % 5 == 4:
                kind = PROBLEMS[(i // 5) % len(PROBLEMS)]
                atena_no = _with_problem(kind, data, atena_no, households[i + 1][0]["atena_no"])
                spoiled[app_id] = kind
            if s.get(ApplicationRow, app_id) is not None:
                existing += 1
                continue
            # the form's date may come with full-width digits: read it as the recipe does
            claimed = date.fromisoformat(transforms.apply(["iso_date"], data["claim_date"]))
            received = datetime.combine(claimed, time(9, 0))
            create(s, _resolved(app_id, PROCEDURE, received, atena_no, data))
            created += 1
    residents = [resident for resident, _ in households]
    if core_url:
        post_residents(core_url, residents)
    return SeedReport(created, existing, len(residents) if core_url else 0, spoiled)


@dataclass(frozen=True)
class DemoSeed:
    """What ``seed_all`` created: the 児童手当 report, and new applications per procedure."""

    jidou: SeedReport
    created: dict[str, int]  # procedure id → new applications (児童手当 excluded)


def seed_all(
    db: Database, n: int, core_url: str | None, *, problems: bool = True, each: int = 3
) -> DemoSeed:
    """The whole demo: ``n`` 児童手当 認定請求 (one in five with a problem), a quarter as many
    要介護認定 and 予防接種, the 妊娠届 of the women among them, and ``each`` applications
    of every other procedure; their people are put into the mock first. ``each`` 0: the
    児童手当 applications only."""
    from bots.demo import applications

    report = seed(db, n, core_url, problems=problems)
    if each == 0:
        return DemoSeed(report, {})
    created = {
        "kaigo_nintei": seed_kaigo(db, max(1, n // 4, each), core_url),
        "boshi_ninshin": seed_boshi(db, n),
        "yobou_sesshu": seed_yobou(db, max(1, n // 4)),
    }
    if core_url:
        post_residents(core_url, [p for p, _ in applications.people("kosodate", each)])
    created |= applications.seed_applications(db, each)
    return DemoSeed(report, created)
