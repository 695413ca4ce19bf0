"""The benchmark itself runs: three ways keyed for real, latency runs, JSON and chart.

Tiny sizes, so no figure here means anything; what is checked is that `make bench` works
end to end and that every way really keyed what it claims (receipts in the core system).
Performance is judged by the benchmark's own output, never by timed assertions here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_keys_three_ways_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--n", "3",
            "--rounds", "1",
            "--latency-ms", "50",
            "--per-session", "2",
            "--sessions", "1,2",
            "--out", str(out),
            "--work", str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (json_path,) = out.glob("bench-*.json")
    assert json_path.with_suffix(".png").stat().st_size > 10_000
    result = json.loads(json_path.read_text(encoding="utf-8"))
    ways = result["zero_latency"]["ways"]
    assert {k: ways[k]["applications"] for k in "abc"} == {"a": 3, "b": 3, "c": 3}
    assert all(ways[k]["per_app_median_s"] > 0 for k in "abc")
    assert len(result["zero_latency"]["ratio_ab_per_round"]) == 1
    assert set(result["latency"]["runs"]) == {"1", "2"}
    assert result["latency"]["runs"]["2"]["applications"] == 4
    assert set(result["targets"]) == {"ratio_ab", "apps_per_hour_a", "speedup_4", "peak_pss_mb_a"}
    assert "(a) median" in done.stdout and "results:" in done.stdout
