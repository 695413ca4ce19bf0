"""The kill test: runners killed with SIGKILL at random moments, restarted each time.

    python -m bots.proving.chaos 300 [--kills 10] [--runners 2]

The mock core system runs with faults on (5 % HTTP 500 on register, session expiry,
お知らせ modals). Runner processes (``renkei run``) are killed again and again: at random
moments, and — every other kill — right after the register click (the moment their audit
log shows the register step, before the outcome is written back). Then, with every runner
stopped, the bot finishes the queue, and the core system's records are compared with the
management database: every application is keyed exactly once, or in the exception queue
with a reason; none lost, none twice.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from time import monotonic

from bots.clock import utcnow
from bots.contracts import Status
from bots.demo.mockserver import mock_core
from bots.demo.seed import seed
from bots.engine.runner import runner_name
from bots.proving.tally import Tally, tally
from bots.queue.db import Database
from bots.queue.sql import SqlWorkQueue

LEASE_S = 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Runner:
    proc: subprocess.Popen[bytes]

    @property
    def name(self) -> str:
        return runner_name(self.proc.pid)  # as the runner itself writes it in the audit log


class Chaos:
    def __init__(self, workdir: Path, core_url: str, db_url: str, rng: random.Random) -> None:
        self.workdir, self.core_url, self.db_url, self.rng = workdir, core_url, db_url, rng
        self.out_root = workdir / "runs"
        self.env = {
            **os.environ,
            "RENKEI_DB": db_url,
            "RENKEI_CORE_URL": core_url,
            "RENKEI_OUT": str(self.out_root),
            "RENKEI_AUDIT_DIR": str(workdir / "audit"),
            "RENKEI_LEASE_S": str(LEASE_S),
            "RENKEI_RETRY_LATER_S": "1",
            "RENKEI_TRANSIENT_TRIES": "4",
        }
        self.log = (workdir / "runners.log").open("ab")
        self.audit_offsets: dict[Path, int] = {}

    def start(self) -> Runner:
        cmd = [sys.executable, "-m", "bots.cli", "run", "--parallel"]
        return Runner(
            subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        )

    def _registered(self, runner: Runner) -> bool:
        """Whether the runner's audit log shows a register click since we last looked."""
        for path in self.out_root.glob("*/audit.jsonl"):
            offset = self.audit_offsets.get(path, 0)
            with path.open("rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self.audit_offsets[path] = offset + len(complete)
            for line in complete.splitlines():
                entry = json.loads(line)
                if (
                    entry.get("step") == "register"
                    and entry.get("outcome") != "pressed"  # the answer: after the click
                    and entry.get("runner") == runner.name
                ):
                    return True
        return False

    def wait_and_kill(self, runner: Runner, after_register: bool, limit_s: float) -> str:
        """Kill at the register click, or at a random moment; '' if it ended by itself."""
        start = monotonic()
        # at a random moment; or at the first register click after a random warm-up
        moment = start + self.rng.uniform(1.0, limit_s)
        # a register click comes within a few applications, however slow the machine
        deadline = moment + max(90.0, 4 * limit_s) if after_register else moment
        while monotonic() < deadline:
            try:
                runner.proc.wait(timeout=0.05)  # also the poll interval
                return ""  # finished by itself
            except subprocess.TimeoutExpired:
                pass
            if after_register and self._registered(runner) and monotonic() >= moment:
                break
        runner.proc.send_signal(signal.SIGKILL)
        runner.proc.wait()
        return "after register" if after_register and monotonic() < deadline else "random"


def run_chaos(n: int, kills: int, runners: int, workdir: Path, seed_value: int = 2026) -> Tally:
    rng = random.Random(seed_value)
    url = f"http://127.0.0.1:{_free_port()}"
    db_url = f"sqlite:///{workdir / 'renkei.db'}"
    faults = [
        "--register-500-rate",
        "0.05",
        "--session-expiry-after",
        "60",
        "--notice-rate",
        "0.1",
        "--fault-seed",
        str(seed_value),
    ]
    with mock_core(url, workdir / "core.db", reuse=False, extra_args=faults):
        db = Database(db_url)
        planted = set(seed(db, n, url, problems=True).problems)
        chaos = Chaos(workdir, url, db_url, rng)
        done: list[str] = []
        # Spread the kills over the run: about 2 s an application per runner (measured
        # 1.7 s, bench/), at least 5 s so that a runner gets past its start-up sometimes.
        spacing = max(5.0, 2.0 * n / (kills * runners))
        pool = [chaos.start() for _ in range(runners)]
        while len(done) < kills:
            victim = pool.pop(rng.randrange(len(pool)))
            how = chaos.wait_and_kill(victim, after_register=len(done) % 2 == 0, limit_s=spacing)
            if how:
                done.append(how)
            pool.append(chaos.start())
            if not SqlWorkQueue(db).counts()[Status.RESOLVED] and not how:
                break  # the queue ran dry before enough kills: fewer applications than kills
        for runner in pool:
            runner.proc.send_signal(signal.SIGKILL)
            runner.proc.wait()
        # Every runner is dead, so no lease can belong to a live one: end them now rather
        # than wait LEASE_S; each application is still looked up before any typing.
        queue = SqlWorkQueue(db)
        for _ in range(6):
            queue.reap(utcnow() + timedelta(seconds=LEASE_S))
            _release_retries(db)
            counts = queue.counts()
            if not (counts[Status.RESOLVED] or counts[Status.CLAIMED] or counts[Status.KEYING]):
                break
            chaos.start().proc.wait()
        result = tally(db, url, planted)
        result.kills, result.register_kills = len(done), done.count("after register")
        result.notes.insert(
            0,
            f"kills               {len(done)} "
            f"({done.count('after register')} right after the register click)",
        )
        return result


def _release_retries(db: Database) -> None:
    from sqlalchemy import update

    from bots.queue.schema import ApplicationRow

    with db.session() as s:
        s.execute(
            update(ApplicationRow)
            .where(ApplicationRow.status == Status.RESOLVED.value)
            .values(retry_at=None)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=300, help="applications (default 300)")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, help="keep everything here (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="renkei-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = monotonic()
    result = run_chaos(args.n, args.kills, args.runners, workdir, args.seed)
    for line in result.lines():
        sys.stdout.write(line + "\n")
    sys.stdout.write(f"time                {monotonic() - started:.0f} s, files in {workdir}\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
