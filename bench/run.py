"""The keying benchmark: renkei against the simplest alternatives, measured in one run.

    make bench                    # or: .venv/bin/python bench/run.py [--n 200] [--rounds 4]

Zero latency — the same 児童手当 認定請求 keyed three ways, round by round:
  (a) the bot as users run it: ``renkei run`` (queue, recipe, identity checks, screenshots,
      masking, audit log, write-back — all evidence on);
  (b) ``bench/minimal_playwright.py``: a hand-written Playwright script, keying only;
  (c) ``bench/direct_http.py``: the same form posts without a browser (the server's floor).
Each round keys ``n / rounds`` applications with each; (a) and (b) alternate which goes
first, and the ratio (a)/(b) of their median per-application times is taken round by round,
so a slower or busier moment of the machine weighs on both sides of every pair.

300 ms latency — the mock answers every request 300 ms late and 1, 2 and 4 runner
*processes* (each ``renkei run`` with its own Chromium and session, the queue's leases
keeping them apart) key together; the speed-up is the steady-state throughput (from the
moment every runner has finished its first application until the first one runs dry)
against one runner. Processes, not contexts in one process, because that is how renkei
scales in production (several runners on one queue, licences capped across all of them)
and because a sync Playwright process works one page at a time.

Per-application time is the time between consecutive completions in one process (the
first application, which includes start-up and log-in, is left out); peak memory is the
summed PSS of the process and its children (Chromium and Playwright's driver included). Results: ``bench/results/bench-<time>.json``
and a PNG chart beside it; the targets of issue 5 are checked and printed, not asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from time import monotonic
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bots.config import Settings  # noqa: E402
from bots.contracts import Application  # noqa: E402
from bots.demo.mockserver import mock_core  # noqa: E402
from bots.demo.seed import seed  # noqa: E402
from bots.engine.values import compute_values  # noqa: E402
from bots.queue.db import Database  # noqa: E402
from bots.queue.schema import ApplicationRow  # noqa: E402
from bots.service import load_recipes  # noqa: E402

PROCEDURE = "jidou_teate_nintei"
RENKEI = str(Path(sys.executable).with_name("renkei"))
_RUN_NUMBERS = itertools.count(1)
TARGETS = {"ratio_ab": 1.25, "apps_per_hour_a": 10_000, "speedup_4": 3.5, "peak_pss_mb_a": 600}


@dataclass
class Measured:
    """One process run: completion times (s, from its first start), wall time, peak PSS."""

    way: str
    done: list[float]
    wall_s: float
    peak_pss_mb: float
    started_at: float = 0.0  # epoch seconds when the first application started
    ids: list[str] = field(default_factory=list)  # the applications, for (a)

    @property
    def per_app(self) -> list[float]:
        return [b - a for a, b in zip(self.done, self.done[1:], strict=False)]


@dataclass
class Way:
    way: str
    per_app_median_s: float
    apps_per_hour: float
    peak_pss_mb: float
    applications: int
    per_app_s: list[float] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_measured(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak memory in MB of it and its children).

    Memory is the summed PSS (proportional set size): a page shared by Chromium's processes
    is divided among them, so the sum is what the runner really occupies. Summed RSS would
    count Chromium's shared code once per process and overstate it two- or threefold.
    """
    start = monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not stop.wait(0.25):
            try:
                procs = [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for p in procs:
                try:
                    total += p.memory_full_info().pss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            peak = max(peak, total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{output.decode()[-3000:]}")
    return monotonic() - start, peak / 2**20


class Bench:
    def __init__(self, work: Path, settings: Settings) -> None:
        self.work = work
        self.settings = settings
        self.recipe = load_recipes(settings)[PROCEDURE]

    def env(self, db_url: str) -> dict[str, str]:
        env = dict(os.environ)
        env |= {
            "RENKEI_DB": db_url,
            "RENKEI_CORE_URL": self.settings.core_url,
            "RENKEI_AUDIT_DIR": str(self.work / "audit"),
            "RENKEI_KEY_DIR": str(self.work / "keys"),  # the checkout's var/ stays untouched
            "RENKEI_CHROMIUM": self.settings.chromium,
        }
        return env

    # -- (a) the bot ----------------------------------------------------------------

    def bot(self, db_url: str, limit: int | None, *, parallel: bool = False) -> Measured:
        """One ``renkei run`` process; ``parallel`` for the extra runners of one queue (without
        it the run lock of the procedure lets only the first of them work)."""
        runs = self.work / f"runs-{next(_RUN_NUMBERS):02d}"  # one per process: its run alone
        cmd = [RENKEI, "run", "-p", PROCEDURE] + (["--limit", str(limit)] if limit else [])
        cmd += ["--parallel"] if parallel else []
        wall, mem = run_measured(cmd, self.env(db_url) | {"RENKEI_OUT": str(runs)})
        (run_dir,) = runs.iterdir()
        return bot_times(run_dir / "audit.jsonl", wall, mem)

    # -- (b) and (c) ----------------------------------------------------------------

    def spec(self, db: Database, ids: list[str], tag: str) -> Path:
        apps = []
        with db.session() as s:
            for app_id in ids:
                row = s.get(ApplicationRow, app_id)
                assert row is not None
                app = Application(
                    id=row.id,
                    procedure=row.procedure,
                    atena_no=row.atena_no,
                    data=row.data,
                    received_at=row.received_at,
                )
                values = compute_values(self.recipe, app)
                values["remarks"] = f"電子申請 {app_id} [{tag}:{app_id}]"
                apps.append({"id": app_id, "atena_no": row.atena_no, "values": values})
        path = self.work / f"spec-{tag}-{ids[0]}.json"
        path.write_text(
            json.dumps(
                {
                    "core_url": self.settings.core_url,
                    "user": self.settings.core_user,
                    "password": self.settings.core_password,
                    "chromium": self.settings.chromium,
                    "apps": apps,
                },
                ensure_ascii=False,
                default=str,
            ),
            encoding="utf-8",
        )
        return path

    def script(self, name: str, spec: Path) -> Measured:
        out = spec.with_suffix(".out.json")
        cmd = [sys.executable, str(ROOT / "bench" / name), str(spec), str(out)]
        wall, mem = run_measured(cmd, os.environ.copy())
        result = json.loads(out.read_text(encoding="utf-8"))
        return Measured(name, result["done"], wall, mem)


def bot_times(audit: Path, wall: float, mem: float) -> Measured:
    """Completion times of the run's applications, from its audit log's outcome events."""
    times, outcomes, ids = [], [], []
    for line in audit.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["step"] == "outcome":
            times.append(datetime.fromisoformat(event["time"]).timestamp())
            outcomes.append(event["outcome"])
            ids.append(event["application"])
    bad = [o for o in outcomes if o != "keyed"]
    if bad:
        raise SystemExit(f"the bot did not key everything: {bad} (see {audit.parent})")
    start = times[0] if times else 0.0
    return Measured("bot", [t - start for t in times], wall, mem, started_at=start, ids=ids)


def summarise(way: str, runs: list[Measured]) -> Way:
    per_app = [x for m in runs for x in m.per_app]
    median = statistics.median(per_app)
    return Way(
        way,
        round(median, 4),
        round(3600 / statistics.mean(per_app)),
        round(max(m.peak_pss_mb for m in runs), 1),
        sum(len(m.done) for m in runs),
        [round(x, 4) for x in per_app],
    )


def zero_latency(bench: Bench, db: Database, n: int, rounds: int) -> dict[str, Any]:
    """Rounds of (a), (b), (c); the ratio (a)/(b) is taken within each round."""
    seed(db, n, bench.settings.core_url, problems=False)
    # In the queue's claim order, so that round r's chunk is exactly what (a) claims in
    # round r: (a) and (b) key the same applications (children, spouse) in each pair.
    with db.session() as s:
        rows = s.query(ApplicationRow).filter_by(procedure=PROCEDURE)
        ids = [r.id for r in rows.order_by(ApplicationRow.received_at, ApplicationRow.id)][:n]
    per_round = n // rounds
    got: dict[str, list[Measured]] = {"a": [], "b": [], "c": []}
    ratios = []
    for r in range(rounds):
        chunk = ids[r * per_round : (r + 1) * per_round]
        b_spec, c_spec = bench.spec(db, chunk, "bench-b"), bench.spec(db, chunk, "bench-c")
        if r % 2 == 0:
            a = bench.bot(bench.settings.db_url, per_round)
            b = bench.script("minimal_playwright.py", b_spec)
        else:
            b = bench.script("minimal_playwright.py", b_spec)
            a = bench.bot(bench.settings.db_url, per_round)
        c = bench.script("direct_http.py", c_spec)
        if sorted(a.ids) != sorted(chunk):
            raise SystemExit(f"round {r + 1}: (a) keyed other applications than (b): {a.ids}")
        ratio = statistics.median(a.per_app) / statistics.median(b.per_app)
        ratios.append(round(ratio, 3))
        got["a"].append(a)
        got["b"].append(b)
        got["c"].append(c)
        print(  # noqa: T201
            f"round {r + 1}/{rounds}: median (a) {statistics.median(a.per_app):.3f} s, "
            f"(b) {statistics.median(b.per_app):.3f} s, (c) {statistics.median(c.per_app):.3f} s"
            f" → (a)/(b) {ratio:.2f}",
            flush=True,
        )
    ways = {k: summarise(k, v) for k, v in got.items()}
    return {
        "ways": {k: asdict(w) for k, w in ways.items()},
        "ratio_ab_per_round": ratios,
        "ratio_ab": statistics.median(ratios),
    }


def with_latency(
    bench: Bench, work: Path, latency_ms: int, per_session: int, sessions: Sequence[int]
) -> dict[str, Any]:
    """1, 2, 4 runner processes on one queue, the mock 300 ms late on every request."""
    out: dict[str, Any] = {"latency_ms": latency_ms, "per_session": per_session, "runs": {}}
    base = None
    for k in sessions:
        db_url = f"sqlite:///{work / f'latency-{k}.db'}"
        db = Database(db_url)
        seed(db, k * per_session, bench.settings.core_url, problems=False)
        db.dispose()
        with ThreadPoolExecutor(k) as pool:  # k runner processes at once
            results = list(pool.map(partial(bench.bot, db_url, parallel=True), [None] * k))
        throughput = steady_throughput(results)
        base = base or throughput or 1.0
        out["runs"][str(k)] = {
            "apps_per_hour": round(throughput),
            "speedup": round(throughput / base, 2),
            "applications": sum(len(m.done) for m in results),
            "per_app_median_s": round(statistics.median(x for m in results for x in m.per_app), 3),
            "peak_pss_mb_per_runner": [round(m.peak_pss_mb, 1) for m in results],
        }
        print(  # noqa: T201
            f"{latency_ms} ms latency, {k} session(s): {throughput:.0f} apps/h, "
            f"×{throughput / base:.2f}",
            flush=True,
        )
    return out


def steady_throughput(runs: list[Measured]) -> float:
    """Applications per hour while every runner is busy (after all first completions, before
    the first runner finds the queue empty)."""
    stamps = [[m.started_at + t for t in m.done] for m in runs]
    t0 = max(s[0] for s in stamps)
    t1 = min(s[-1] for s in stamps)
    if t1 <= t0:  # too few applications for every runner to be busy at once
        sys.stderr.write("warning: runners did not overlap; give each more (--per-session)\n")
        t0, t1 = min(s[0] for s in stamps), max(s[-1] for s in stamps)
    count = sum(1 for s in stamps for t in s if t0 < t <= t1)
    return count * 3600 / (t1 - t0) if t1 > t0 else 0.0


def chart(result: dict[str, Any], path: Path) -> None:
    """Two panels: per-application time of (a), (b), (c); speed-up with sessions at latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ways = result["zero_latency"]["ways"]
    labels = {"a": "(a) renkei", "b": "(b) Playwright script", "c": "(c) HTTP posts"}
    left.boxplot(
        [ways[k]["per_app_s"] for k in ("a", "b", "c")],
        tick_labels=[labels[k] for k in ("a", "b", "c")],
        showfliers=False,
    )
    left.set_ylabel("seconds per application")
    left.set_title(f"zero latency: (a)/(b) = {result['zero_latency']['ratio_ab']:.2f}")
    runs = result["latency"]["runs"]
    ks = [int(k) for k in runs]
    right.plot(ks, [runs[str(k)]["speedup"] for k in ks], marker="o", label="measured")
    right.plot(ks, ks, linestyle="--", color="grey", label="linear")
    right.set_xticks(ks)
    right.set_xlabel("runner processes (sessions)")
    right.set_ylabel("speed-up against one")
    right.set_title(f"{result['latency']['latency_ms']} ms latency per request")
    right.legend()
    fig.suptitle(f"renkei keying benchmark {result['started']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def check_targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    zero = result["zero_latency"]
    runs = result["latency"]["runs"]
    measured = {
        "ratio_ab": zero["ratio_ab"],
        "apps_per_hour_a": zero["ways"]["a"]["apps_per_hour"],
        "speedup_4": runs.get("4", {}).get("speedup"),
        "peak_pss_mb_a": zero["ways"]["a"]["peak_pss_mb"],
    }
    out = {}
    for key, target in TARGETS.items():
        value = measured[key]
        upper = key in ("ratio_ab", "peak_pss_mb_a")
        met = value is not None and (value <= target if upper else value >= target)
        out[key] = {"target": target, "measured": value, "met": met}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="applications per way at zero latency")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--per-session", type=int, default=30, help="applications per runner")
    parser.add_argument("--sessions", default="1,2,4")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--work", type=Path, help="scratch directory (default: a new temp dir)")
    args = parser.parse_args(argv)
    started = datetime.now().astimezone()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    work = args.work or Path(tempfile.mkdtemp(prefix="renkei-bench-"))  # screenshots, DBs
    # one key folder for the seeding done here and the runs started from here: the form
    # data is sealed with the folder's data key, and the checkout's var/ stays untouched
    os.environ["RENKEI_KEY_DIR"] = str(work / "keys")
    work.mkdir(parents=True, exist_ok=True)
    sessions = [int(k) for k in args.sessions.split(",")]
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30),
        },
        "n": args.n,
        "rounds": args.rounds,
    }
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(root=ROOT, db_url=f"sqlite:///{work / 'zero.db'}", core_url=url)
    with mock_core(url, work / "core-zero.db", reuse=False):
        db = Database(settings.db_url)
        result["zero_latency"] = zero_latency(Bench(work, settings), db, args.n, args.rounds)
        db.dispose()
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(root=ROOT, db_url=settings.db_url, core_url=url)
    with mock_core(
        url,
        work / "core-latency.db",
        reuse=False,
        extra_args=["--latency-ms", str(args.latency_ms)],
    ):
        result["latency"] = with_latency(
            Bench(work, settings), work, args.latency_ms, args.per_session, sessions
        )
    result["targets"] = check_targets(result)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / f"bench-{stamp}.json"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    chart(result, json_path.with_suffix(".png"))
    ways = result["zero_latency"]["ways"]
    for key in ("a", "b", "c"):
        w = ways[key]
        print(  # noqa: T201
            f"({key}) median {w['per_app_median_s']:.3f} s/app, {w['apps_per_hour']} apps/h, "
            f"peak PSS {w['peak_pss_mb']:.0f} MB ({w['applications']} applications)"
        )
    for key, t in result["targets"].items():
        print(f"{key}: {t['measured']} (target {t['target']}) {'met' if t['met'] else 'NOT met'}")  # noqa: T201
    print(f"results: {json_path} and {json_path.with_suffix('.png')} (runs, evidence: {work})")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
