"""The proofs of "never twice, never lost", at a size CI can afford.

The same code runs at full size from scripts/chaos (300 applications, 10 kills) and
scripts/many-runners (1,000 applications, 4 runners on PostgreSQL); see README.
"""

from __future__ import annotations

from pathlib import Path

from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)

from bots.proving.chaos import run_chaos
from bots.proving.many import run_many


def test_runners_killed_at_random_and_after_register_lose_nothing_and_key_nothing_twice(
    tmp_path: Path,
) -> None:
    result = run_chaos(n=24, kills=4, runners=2, workdir=tmp_path)

    assert result.ok, "\n".join(result.lines())
    assert result.keyed + result.needs_review == 24
    assert result.kills == 4 and result.register_kills >= 1, result.notes[0]


def test_two_runners_on_sqlite_share_the_queue(tmp_path: Path) -> None:
    result, _ = run_many(n=12, runners=2, workdir=tmp_path)

    assert result.ok and result.keyed == 12, "\n".join(result.lines())
    assert "exit codes [0, 0]" in " ".join(result.notes)


def test_four_runners_on_postgresql_share_the_queue(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    url = postgres_server.create_database("many_runners")

    result, _ = run_many(n=20, runners=4, workdir=tmp_path, db_url=url)

    assert result.ok and result.keyed == 20, "\n".join(result.lines())
    assert "exit codes [0, 0, 0, 0]" in " ".join(result.notes)


def test_licence_cap_keeps_to_one_core_session_across_runners(tmp_path: Path) -> None:
    result, _ = run_many(n=6, runners=3, workdir=tmp_path, session_limit=1)

    assert result.ok and result.keyed == 6, "\n".join(result.lines())
    from bots.queue.db import Database
    from bots.queue.schema import AttemptRow

    db = Database(f"sqlite:///{tmp_path / 'renkei.db'}")
    with db.session() as s:
        spans = sorted((a.started_at, a.ended_at) for a in s.query(AttemptRow).all())
    for (_, ended), (started, _) in zip(spans, spans[1:], strict=False):
        assert ended <= started  # one session at a time: attempts never overlap
