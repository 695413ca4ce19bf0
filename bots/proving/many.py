"""Many runners at once on one queue: never claimed twice at once, never keyed twice.

    python -m bots.proving.many 1000 --runners 4 --db postgresql://…
    python -m bots.proving.many 200 --runners 2            # embedded SQLite

Starts the mock core system, seeds N 児童手当 applications, starts R ``renkei run``
processes together and waits for them. Then checks the attempts table (no two attempts on
one application overlap in time), and compares the core system with the management
database (none lost, none twice).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from time import monotonic

from sqlalchemy import select, text

from bots.demo.mockserver import mock_core
from bots.demo.seed import seed
from bots.proving.chaos import _free_port
from bots.proving.tally import Tally, tally
from bots.queue.db import Database
from bots.queue.schema import AttemptRow


def overlapping(db: Database) -> list[str]:
    """Applications two runners held at the same time (by their attempts' intervals)."""
    with db.session() as s:
        attempts = list(
            s.execute(
                select(AttemptRow).order_by(AttemptRow.application_id, AttemptRow.started_at)
            ).scalars()
        )
    bad: list[str] = []
    for before, after in zip(attempts, attempts[1:], strict=False):
        if before.application_id != after.application_id:
            continue
        if before.ended_at is None or before.ended_at > after.started_at:
            bad.append(before.application_id)
    return bad


def run_many(
    n: int, runners: int, workdir: Path, db_url: str | None = None, session_limit: int | None = None
) -> tuple[Tally, float]:
    url = f"http://127.0.0.1:{_free_port()}"
    db_url = db_url or f"sqlite:///{workdir / 'renkei.db'}"
    with mock_core(url, workdir / "core.db", reuse=False):
        db = Database(db_url)
        seed(db, n, url, problems=False)
        env = {
            **os.environ,
            "RENKEI_DB": db_url,
            "RENKEI_CORE_URL": url,
            "RENKEI_OUT": str(workdir / "runs"),
            "RENKEI_AUDIT_DIR": str(workdir / "audit"),
        }
        if session_limit:
            env["RENKEI_CORE_SESSIONS"] = str(session_limit)
        log = (workdir / "runners.log").open("ab")
        started = monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bots.cli", "run", "--parallel"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(runners)
        ]
        codes = [p.wait() for p in procs]
        elapsed = monotonic() - started
        result = tally(db, url, planted=set())  # no problems seeded: none may need review
        result.notes.append(f"runners             {runners}, exit codes {codes}")
        twice_at_once = overlapping(db)
        if twice_at_once:
            result.wrong += [f"held twice at once: {a}" for a in twice_at_once]
        with db.session() as s:
            per_runner = s.execute(
                text("select runner, count(*) from attempts group by runner order by runner")
            ).all()
        result.notes.append("attempts per runner " + ", ".join(f"{r}: {c}" for r, c in per_runner))
        db.dispose()
        return result, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--runners", type=int, default=4)
    parser.add_argument("--db", help="management database URL (default: SQLite in the work dir)")
    parser.add_argument("--sessions", type=int, help="licence cap on simultaneous core sessions")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="renkei-many-"))
    workdir.mkdir(parents=True, exist_ok=True)
    result, elapsed = run_many(args.n, args.runners, workdir, args.db, args.sessions)
    for line in result.lines():
        sys.stdout.write(line + "\n")
    sys.stdout.write(
        f"time                {elapsed:.0f} s ({args.n / elapsed * 3600:.0f} applications/hour)\n"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
