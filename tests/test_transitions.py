"""The one table of status transitions: every pair of statuses is allowed or refused, on a
real SQLite file, and every writer (run, review, import, seed) goes through it."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bots.clock import utcnow
from bots.contracts import Outcome, OutcomeKind, Status
from bots.demo.seed import seed
from bots.errors import LeaseLost
from bots.intake.importer import import_file
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.queue.sql import SqlWorkQueue
from bots.queue.transitions import (
    ALLOWED,
    INITIAL,
    ForbiddenTransition,
    UnknownApplication,
    allowed,
    create,
    sources,
    transition,
)
from bots.recipe.model import load_all
from bots.review import ReviewError, ReviewQueue

REPO = Path(__file__).resolve().parent.parent
PROCEDURE = "jidou_teate_nintei"
BASE = datetime(2026, 11, 20, 9, 0)
PAIRS = list(itertools.product([None, *Status], Status))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One real SQLite file for the table's cases (each case its own application id)."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('transitions') / 'renkei.db'}")
    yield db
    db.dispose()


def _row(app_id: str, status: Status) -> ApplicationRow:
    return ApplicationRow(
        id=app_id,
        procedure=PROCEDURE,
        received_at=BASE,
        status=status.value,
        atena_no="000123",
        data={"applicant": {"kana": "ヤマダ　タロウ"}},
        attempts=0,
        needs_verification=False,
    )


def _status(db: Database, app_id: str) -> str | None:
    with db.session() as s:
        found = s.get(ApplicationRow, app_id)
        return None if found is None else found.status


def _insert(db: Database, app_id: str, status: Status) -> None:
    """A row in any status, as the management system may hold it (not through the table)."""
    with db.session() as s:
        s.add(_row(app_id, status))


def test_the_table_names_every_status() -> None:
    assert set(ALLOWED) == set(Status)
    assert all(targets <= set(Status) for targets in ALLOWED.values())
    assert {Status.RECEIVED, Status.IDENTIFIED, Status.RESOLVED, Status.NEEDS_REVIEW} == INITIAL
    assert Status.FAILED not in {t for targets in ALLOWED.values() for t in targets}
    assert sources(Status.CLAIMED) == {Status.RESOLVED, Status.CLAIMED, Status.KEYING}
    assert sources(Status.KEYED) == {
        Status.CLAIMED,
        Status.KEYING,
        Status.NEEDS_REVIEW,
        Status.FAILED,
    }


@pytest.mark.parametrize(
    ("frm", "to"), PAIRS, ids=[f"{f.value if f else 'new'}->{t.value}" for f, t in PAIRS]
)
def test_every_pair_is_allowed_or_refused(
    database: Database, frm: Status | None, to: Status
) -> None:
    app_id = f"T-{frm.value if frm else 'new'}-{to.value}"
    if frm is None:  # creating the row
        if allowed(None, to):
            with database.session() as s:
                create(s, _row(app_id, to))
            assert _status(database, app_id) == to.value
        else:
            refused = pytest.raises(ForbiddenTransition, match=f"（新規） から {to.label} へは")
            with refused, database.session() as s:
                create(s, _row(app_id, to))
            assert _status(database, app_id) is None
        return
    _insert(database, app_id, frm)
    if allowed(frm, to):
        with database.transaction() as conn:
            transition(conn, app_id, to, reason="表のとおり")
        assert _status(database, app_id) == to.value
    else:
        message = f"申請 {app_id}: {frm.label} から {to.label} へは変更できません"
        with pytest.raises(ForbiddenTransition) as refused, database.transaction() as conn:
            transition(conn, app_id, to, reason="変えてはいけない")
        assert str(refused.value) == message
        assert _status(database, app_id) == frm.value


def test_the_message_a_person_reads(database: Database) -> None:
    _insert(database, "T-msg", Status.KEYED)

    with pytest.raises(ForbiddenTransition) as refused, database.transaction() as conn:
        transition(conn, "T-msg", Status.RESOLVED)

    assert "連携済 から 連携待ち へは変更できません" in str(refused.value)


def test_the_guard_is_on_the_status_just_read(database: Database) -> None:
    """needs_review → resolved is allowed, but not once a clerk rejected it meanwhile."""
    _insert(database, "T-race", Status.NEEDS_REVIEW)
    with database.session() as s:  # another clerk, faster
        transition(s, "T-race", Status.REJECTED, expected_from=[Status.NEEDS_REVIEW])

    refused = pytest.raises(ForbiddenTransition, match="対象外 から 連携待ち")
    with refused, database.session() as s:
        transition(s, "T-race", Status.RESOLVED, expected_from=[Status.NEEDS_REVIEW])

    assert _status(database, "T-race") == Status.REJECTED.value
    unknown = pytest.raises(UnknownApplication, match="申請 nope はありません")
    with unknown, database.session() as s:
        transition(s, "nope", Status.RESOLVED)


# --- the writers go through it -------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'renkei.db'}")
    yield database
    database.dispose()


def test_the_queue_writes_no_outcome_onto_a_row_it_does_not_hold(db: Database) -> None:
    """A review done by hand while the runner's claim expired: the runner's late outcome
    is refused (the row is not claimed/keying any more), nothing overwritten."""
    queue = SqlWorkQueue(db, "run-1")
    create_row(db, "A")
    taken = queue.claim("runner-1", procedure=None, lease=timedelta(minutes=5))
    assert taken is not None
    with db.session() as s:  # the row changed under the runner (by hand, outside renkei)
        s.execute(update(ApplicationRow).values(status=Status.REJECTED.value))

    with pytest.raises(LeaseLost):
        queue.release(taken, Outcome(OutcomeKind.RETRY, reason="HTTP 503"))
    with pytest.raises(LeaseLost):
        queue.mark_keying(taken)

    assert _status(db, "A") == Status.REJECTED.value
    assert queue.reap(utcnow() + timedelta(hours=1)) == 0  # not held: nothing to reap


def create_row(db: Database, app_id: str, status: Status = Status.RESOLVED) -> None:
    with db.session() as s:
        create(s, _row(app_id, status))


def test_review_retry_of_a_keyed_application_is_refused(db: Database, tmp_path: Path) -> None:
    recipes = load_all(REPO / "recipes", REPO / "selectors", REPO)
    review = ReviewQueue(db, tmp_path / "audit", tmp_path / "runs", recipes)
    create_row(db, "K")
    with db.session() as s:
        transition(s, "K", Status.CLAIMED)
        transition(s, "K", Status.KEYED, receipt_no="JT00000001")

    for act in (
        lambda: review.retry("K", "もう一度"),
        lambda: review.reject("K", "取下げ"),
        lambda: review.done("K", "JT00000002", "手入力"),
    ):
        with pytest.raises(ReviewError, match="連携済"):
            act()

    assert _status(db, "K") == Status.KEYED.value
    assert not (tmp_path / "audit" / "review.jsonl").exists()  # nothing recorded as done


def test_import_replace_of_a_keyed_application_is_refused(db: Database, tmp_path: Path) -> None:
    recipes = load_all(REPO / "recipes", REPO / "selectors", REPO)
    seed(db, 1, None, problems=False)
    with db.session() as s:
        app = s.get(ApplicationRow, "JT-2026-000001")
        assert app is not None
        data, atena_no = app.data, app.atena_no
        transition(s, app.id, Status.CLAIMED)
        transition(s, app.id, Status.KEYED, receipt_no="JT00000001")
    path = tmp_path / "fix.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "procedure", "atena_no", "data"])
        writer.writerow(["JT-2026-000001", PROCEDURE, atena_no, json.dumps(data)])

    report = import_file(db, path, recipes, replace=True, by="yamada", audit_dir=tmp_path)

    assert report.loaded == [] and report.replaced == []
    assert "連携済" in report.rejected[0][1]
    assert _status(db, "JT-2026-000001") == Status.KEYED.value


def test_seed_and_import_create_through_the_table(db: Database) -> None:
    with pytest.raises(ForbiddenTransition, match="（新規） から 連携済"), db.session() as s:
        create(s, _row("N", Status.KEYED))
    assert seed(db, 2, None, problems=False).created == 2
    assert _status(db, "JT-2026-000001") == Status.RESOLVED.value
