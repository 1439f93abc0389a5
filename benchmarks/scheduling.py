"""Scheduling benchmark: the full Philly trace replayed on a 220,000-GPU mixed site.

The site has the reported Colossus mix (150,000 H100, 50,000 H200, 20,000 GB200; 300 MW,
PUE 1.2). The trace is the Philly-derived job list of Sia/Pollux (82,247 jobs over 109
days), read with `workload.trace` (durations taken as measured on the reference H100).
The run lasts until every job has ended (drain). Each policy runs in a fresh process;
only `simulate` is timed (no run folder is written). Prints a table.

    .venv/bin/python benchmarks/scheduling.py PHILLY_CSV                     # fifo, backfill, sjf, las, gavel
    .venv/bin/python benchmarks/scheduling.py PHILLY_CSV --policies fifo,backfill --limit 20000

With `--gavel GAVEL_DIR` (the folder holding Gavel's `simulation_throughputs.json`) it
runs Gavel's own benchmark case instead: the continuous-single trace (scripts/gavel_trace.py)
at 3.2 jobs/h, 5,367 jobs, seed 0, on 36 V100 + 36 P100 + 36 K80, drained, as
scripts/replay_gavel.py builds it. Gavel's simulator takes about 5 minutes for FIFO on
that many jobs on a 2-core machine (the target: at least 20x faster).

    .venv/bin/python benchmarks/scheduling.py --gavel ../shared/data/traces/gavel  # fifo, las, gavel
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import tempfile
import time
from pathlib import Path

from _machine import cpu_model, peak_rss_bytes, run_in_fresh_process  # benchmarks/_machine.py (run as a script)

SCENARIO = """
name: philly-on-colossus
simulation: {{duration_h: {horizon_h}, tick_s: 300, drain: true, drain_limit_h: 8760}}
sites:
  - name: memphis
    location: {{lat_deg: 35.06, lon_deg: -90.03}}
    power_cap_mw: 300
    pue: 1.2
    pools:
      - {{name: h100, gpu: H100, count: 150000}}
      - {{name: h200, gpu: H200, count: 50000}}
      - {{name: gb200, gpu: GB200, count: 20000}}
workload:
  reference_gpu: H100
  trace: {{format: philly, file: "{trace}"{limit}}}
policy: {{name: {policy}}}
"""


def _child(trace: str, policy: str, limit: int | None, conn) -> None:
    from orbitgrid.engine import simulate
    from orbitgrid.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "philly.yaml"
        path.write_text(SCENARIO.format(trace=trace, policy=policy, horizon_h=2700,
                                        limit=f", limit: {limit}" if limit else ""), encoding="utf-8")
        loaded = load_scenario(path)
        t0 = time.perf_counter()
        r = simulate(loaded)
        wall = time.perf_counter() - t0
    s = r.summary
    conn.send({"wall_s": wall, "peak_mb": peak_rss_bytes() / 2**20, "jobs": s["jobs_submitted"],
               "completed": s["jobs_completed"], "events": s["events"], "mean_jct_h": s["mean_jct_h"],
               "mean_wait_h": s["mean_wait_h"], "preemptions": s["preemptions"]})


GAVEL_RATE_PER_H, GAVEL_JOBS, GAVEL_SEED = 3.2, 5_367, 0


def _gavel_child(data_dir: str, policy: str, conn) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import replay_gavel  # scripts/replay_gavel.py: the trace, the scenario, the run

    r = replay_gavel.run_case(replay_gavel.Case(data_dir, GAVEL_RATE_PER_H, policy, GAVEL_SEED, GAVEL_JOBS,
                                                (0, GAVEL_JOBS), 360.0))
    conn.send({"wall_s": r["wall_s"], "peak_mb": peak_rss_bytes() / 2**20, "jobs": r["jobs"],
               "completed": r["all_done"], "events": r["events"], "mean_jct_h": r["all_jct_h"]})


def gavel_main(data_dir: str, policies: list[str]) -> None:
    print(f"Gavel continuous-single, {GAVEL_RATE_PER_H} jobs/h, {GAVEL_JOBS:,} jobs (seed {GAVEL_SEED}), "
          "on 36 V100 + 36 P100 + 36 K80, drained; simulate() only")
    print(f"{'policy':>10} {'jobs':>8} {'completed':>9} {'events':>9} {'wall s':>8} {'peak MB':>8} {'mean JCT h':>10}")
    for policy in policies:
        r = run_in_fresh_process(_gavel_child, str(Path(data_dir).resolve()), policy)
        print(f"{policy:>10} {r['jobs']:>8,} {r['completed']:>9,} {r['events']:>9,} {r['wall_s']:>8.2f} "
              f"{r['peak_mb']:>8.0f} {r['mean_jct_h']:>10.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace", nargs="?", help="philly.csv (Sia's philly_derived copy, or Pollux's traces/philly.csv)")
    ap.add_argument("--policies", help="comma-separated (default fifo,backfill,sjf,las,gavel; with --gavel fifo,las,gavel)")
    ap.add_argument("--limit", type=int, help="only the first N jobs")
    ap.add_argument("--gavel", metavar="GAVEL_DIR", help="instead: Gavel's continuous-single case (see above)")
    a = ap.parse_args(argv)
    if not a.trace and not a.gavel:
        ap.error("give the Philly trace, or --gavel GAVEL_DIR")
    import numpy

    import orbitgrid

    print(f"orbitgrid {orbitgrid.__version__}, numpy {numpy.__version__}, Python {platform.python_version()}, "
          f"{cpu_model()}, {mp.cpu_count()} cores")
    if a.gavel:
        gavel_main(a.gavel, [p.strip() for p in (a.policies or "fifo,las,gavel").split(",") if p.strip()])
        return 0
    print("Philly trace on 150,000 H100 + 50,000 H200 + 20,000 GB200, drained; simulate() only")
    print(f"{'policy':>10} {'jobs':>8} {'completed':>9} {'events':>9} {'wall s':>8} {'peak MB':>8} "
          f"{'mean JCT h':>10} {'mean wait h':>11} {'preempt':>8}")
    for policy in [p.strip() for p in (a.policies or "fifo,backfill,sjf,las,gavel").split(",") if p.strip()]:
        r = run_in_fresh_process(_child, str(Path(a.trace).resolve()), policy, a.limit)
        print(f"{policy:>10} {r['jobs']:>8,} {r['completed']:>9,} {r['events']:>9,} {r['wall_s']:>8.2f} "
              f"{r['peak_mb']:>8.0f} {r['mean_jct_h']:>10.3f} {r['mean_wait_h']:>11.4f} {r['preemptions']:>8,}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
