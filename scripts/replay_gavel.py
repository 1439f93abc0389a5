"""Replay Gavel's continuous-single experiment (OSDI 2020, Figure 8) with orbitgrid.

    .venv/bin/python scripts/replay_gavel.py ../shared/data/traces/gavel --rates 0.8,2.8,3.6,4.4,4.8
    .venv/bin/python scripts/replay_gavel.py DATA_DIR --rates 3.2 --policies fifo --jobs 5367 --window 0:5367

DATA_DIR holds Gavel's `simulation_throughputs.json`. For each rate, seed and policy the
script writes a continuous-single trace (`scripts/gavel_trace.py`: single-GPU jobs,
Poisson arrivals, Gavel's run-time distribution and 26 job types) and a scenario in a
temporary folder: one site with 36 V100, 36 P100 and 36 K80 (Gavel's `-c 36:36:36`), no
mixed gangs, a power cap that never binds, each job's speed on each GPU type its
measured isolated throughput there (`workload.trace.throughputs`), drained to the end.
It runs `orbitgrid.engine.simulate` (what `orbitgrid run` calls, without writing a run
folder) and prints one table: the mean job completion time of the jobs in the window
(Gavel's sweeps measure jobs 4000 to 4999: `-s 4000 -e 5000`), the mean over every job,
and the wall time of `simulate`, beside Gavel's own figure where one is recorded.

Policies (`--policies`, comma-separated):

* `fifo`: orbitgrid's FIFO (each job to the fastest free GPU type for it).
* `las`: orbitgrid's Tiresias LAS (discretised 2D-LAS; preemptive, event-driven).
* `gavel_agnostic`: Gavel's own LAS baseline, `max_min_fairness` (Gavel's
  `MaxMinFairnessPolicy`): max-min fair time shares in 6-minute rounds with every job's
  throughput taken as 1 on every GPU type, i.e. heterogeneity ignored: orbitgrid's `gavel`
  policy with the LP's throughput input replaced by ones (registered here). That LP has
  many optima; Gavel's interior-point solver (cvxpy/ECOS) returns the symmetric one, the
  equal split (a third of each job's time on each type), and so does this policy; and
  Gavel serves the GPU types in a random order each round for such policies, as here.
* `gavel_agnostic_vertex`: orbitgrid's `gavel` with `gavel_heterogeneity_aware: false`,
  the same LP as orbitgrid runs it (HiGHS returns a vertex optimum: most jobs whole on one
  type; types served fastest first), to show what those two choices of Gavel's
  implementation do to its baseline.
* `gavel`: Gavel's heterogeneity-aware LAS, `max_min_fairness_perf`: orbitgrid's `gavel`
  policy, `gavel_objective: max_min_fairness`, `gavel_round_s: 360`.

Gavel's published figure: the sweep's plotting notebook
(`scheduler/notebooks/figures/evaluation/continuous_jobs.ipynb`, as committed) prints the
mean JCT of seed 0 at each input rate for `max_min_fairness` (LAS) and
`max_min_fairness_perf` (Gavel); the figure itself (mean of seeds 0-2) is only a plot.
Gavel's random stream is not numpy's, so the traces differ: compare levels and trends.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gavel_trace  # noqa: E402  (scripts/gavel_trace.py)

from orbitgrid.policies.gavel import GavelPolicy, equal_share  # noqa: E402
from orbitgrid.policies.registry import register_policy  # noqa: E402

THROUGHPUTS = "simulation_throughputs.json"
CLUSTER = {"V100": 36, "P100": 36, "K80": 36}  # Gavel's -c 36:36:36
POLICIES = ("fifo", "las", "gavel_agnostic", "gavel_agnostic_vertex", "gavel")

# Gavel's mean JCT (hours), seed 0, jobs 4000-5000, cluster 36:36:36, 360 s rounds, by input
# rate (jobs/h): stdout of the CDF cell of scheduler/notebooks/figures/evaluation/
# continuous_jobs.ipynb in stanford-futuredata/gavel. Keys: the orbitgrid policy it matches.
PUBLISHED_SOURCE = "gavel continuous_jobs.ipynb (seed 0)"
PUBLISHED = {
    2.8: {"gavel_agnostic": 23.59, "gavel": 16.04},
    3.2: {"gavel_agnostic": 23.59, "gavel": 16.08},
    3.6: {"gavel_agnostic": 23.57, "gavel": 16.38},
    4.0: {"gavel_agnostic": 23.49, "gavel": 16.82},
    4.4: {"gavel_agnostic": 23.81, "gavel": 17.48},
    4.8: {"gavel_agnostic": 35.79, "gavel": 18.97},
}

SCENARIO = """\
name: gavel-continuous-single
description: Gavel's continuous-single trace at {rate} jobs/h (seed {seed}) on 36 V100, 36 P100, 36 K80.
simulation: {{duration_h: {horizon_h}, tick_s: 3600, seed: {seed}, drain: true, drain_limit_h: {drain_h}}}
accelerators:
  P100:
    full_name: NVIDIA Tesla P100 SXM2 16 GB
    vendor: NVIDIA
    release_date: "2016-04-05"
    bf16_tflops:
      value: 21.2
      source: "NVIDIA Tesla P100 (SXM2/NVLink) specification as announced at GTC 2016: 21.2 TFLOPS FP16, 10.6 FP32, 5.3 FP64 (reported by HotHardware, https://hothardware.com/news/nvidia-unveils-beastly-tesla-p100-15-billion-transistor-16nm-finfet-gpu)"
      date: "2016-04"
      confidence: medium
      note: "Pascal has no BF16; FP16 peak as the relative speed, like the catalogue's V100. Jobs here take their speeds from Gavel's measured throughputs instead."
    memory_gb: {{value: 16, source: "NVIDIA Tesla P100 SXM2: 16 GB CoWoS HBM2 (same report)", date: "2016-04", confidence: high}}
    tdp_w: {{value: 300, source: "NVIDIA Tesla P100 SXM2: 300 W (same report family: xtreview, GP100 announcement)", date: "2016-04", confidence: medium}}
  K80:
    full_name: NVIDIA Tesla K80, one GK210 GPU (half a board)
    vendor: NVIDIA
    release_date: "2014-11-17"
    bf16_tflops:
      value: 4.37
      source: "NVIDIA Tesla K80 board: 8.74 TFLOPS FP32 with GPU Boost over two GK210 GPUs (AnandTech, 'NVIDIA Launches Tesla K80, GK210 GPU', https://www.anandtech.com/show/8729/nvidia-launches-tesla-k80-gk210-gpu); per GPU, half"
      date: "2014-11"
      confidence: medium
      note: "Kepler has no FP16 or BF16 rate above FP32; a Gavel 'k80' worker is one GK210. Jobs here take their speeds from Gavel's measured throughputs instead."
    memory_gb: {{value: 12, source: "Tesla K80: 2 x 12 GB GDDR5 (AnandTech, same article)", date: "2014-11", confidence: high}}
    tdp_w: {{value: 150, source: "Tesla K80 board TDP 300 W (AnandTech, same article), halved per GPU", date: "2014-11", confidence: medium}}
sites:
  - name: gavel-cluster
    location: {{lat_deg: 37.43, lon_deg: -122.17}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: v100, gpu: V100, count: {v100}}}
      - {{name: p100, gpu: P100, count: {p100}}}
      - {{name: k80, gpu: K80, count: {k80}}}
workload:
  reference_gpu: V100
  trace:
    format: gavel
    file: jobs.trace
    throughputs: "{throughputs}"
    gpu_types: {{v100: V100, p100: P100, k80: K80}}
policy:
  name: {policy_name}
  allow_mixed_gangs: false
{policy_extra}"""


@register_policy("gavel_agnostic")
class GavelAgnosticPolicy(GavelPolicy):
    """Gavel's LAS baseline as Gavel's simulator runs it (`scheduler/scheduler.py`):

    * the allocation: the agnostic LP above, as Gavel's cvxpy/ECOS (an interior-point
      method) solves it. Among the LP's optima that method returns the centre of the
      optimal set; when the equal split X_equal (each job the same share of every type it
      may use, rows scaled to 1) is optimal, which it is for equal-weight single-GPU jobs,
      that centre is X_equal by symmetry: a third of each job's time on each type.
      Otherwise the LP's answer stands.
    * the round: Gavel serves the types in a random order each round for policies that
      ignore throughputs (`_schedule_jobs_on_workers`: `_worker_type_shuffler.shuffle`
      unless the policy's name has 'Perf' or 'Packing'); the fixed fastest-first order is
      for the heterogeneity-aware ones. So here too, from a fixed seed."""

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.aware = False  # the LP input: 1 per GPU on every type (gavel_heterogeneity_aware: false)
        self._shuffler = np.random.default_rng(0)

    def _solve(self, view, active, usable, type_cap, key) -> None:
        super()._solve(view, active, usable, type_cap, key)
        alloc = self.last
        if alloc is None or not active.size or not math.isfinite(alloc.value):
            return
        T = self.throughput(view, active, usable)
        T = np.where(view.jobs.gpus[active][:, None] <= type_cap[None, :], T, 0.0)
        even = equal_share(T, view.jobs.gpus[active].astype(np.float64), type_cap)
        # the LP's objective: each job's time share over its equal-split share (all 1 for X_equal)
        if alloc.value <= 1.0 + 1e-6 and np.all((even > 0) == (T > 0)):
            self.x = even

    def _round(self, view, running):
        self._shuffler.shuffle(self.type_order)
        return super()._round(view, running)


@dataclass(frozen=True)
class Case:
    data_dir: str
    rate: float
    policy: str
    seed: int
    jobs: int
    window: tuple[int, int]
    round_s: float


def scenario_text(case: Case, horizon_h: float) -> str:
    name = case.policy
    if case.policy.startswith("gavel"):
        extra = f"  gavel_objective: max_min_fairness\n  gavel_round_s: {case.round_s}\n"
        if case.policy == "gavel_agnostic_vertex":  # the built-in option, as it is
            name, extra = "gavel", extra + "  gavel_heterogeneity_aware: false\n"
    else:
        extra = ""
    return SCENARIO.format(rate=case.rate, seed=case.seed, horizon_h=horizon_h, drain_h=100_000,
                           v100=CLUSTER["V100"], p100=CLUSTER["P100"], k80=CLUSTER["K80"],
                           throughputs=str(Path(case.data_dir).resolve() / THROUGHPUTS),
                           policy_name=name, policy_extra=extra)


def run_case(case: Case) -> dict:
    """Generate the trace, run it; the window's and the whole trace's mean JCT, wall time."""
    from orbitgrid.engine import simulate
    from orbitgrid.scenario import load_scenario

    throughput = gavel_trace.reference_throughputs(Path(case.data_dir) / THROUGHPUTS)
    trace = gavel_trace.generate(case.rate, case.jobs, case.seed, throughput)
    last_h = float(trace.arrival_s[-1]) / 3600.0
    with tempfile.TemporaryDirectory() as tmp:
        gavel_trace.write_trace(Path(tmp) / "jobs.trace", trace)
        path = Path(tmp) / "scenario.yaml"
        path.write_text(scenario_text(case, horizon_h=math.floor(last_h) + 1), encoding="utf-8")
        loaded = load_scenario(path)
        t0, c0 = time.perf_counter(), time.process_time()
        result = simulate(loaded)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    jobs = result.tables["jobs"]
    jct = jobs.column("jct_h").to_numpy(zero_copy_only=False).astype(float)  # NaN: not completed
    end = jobs.column("end_h").to_numpy(zero_copy_only=False).astype(float)
    a, b = case.window
    w = slice(a, min(b, jct.size))
    win = jct[w]
    return {
        "case": case, "wall_s": wall, "cpu_s": cpu, "jobs": int(jct.size), "events": result.summary["events"],
        "window_jobs": int(win.size), "window_done": int(np.isfinite(win).sum()),
        "window_jct_h": float(np.nanmean(win)) if np.isfinite(win).any() else math.nan,
        "all_jct_h": float(np.nanmean(jct)) if np.isfinite(jct).any() else math.nan,
        "all_done": int(np.isfinite(jct).sum()),
        # steady state: the window's jobs all ended while jobs were still arriving
        "steady": bool(np.isfinite(win).all() and np.nanmax(end[w]) <= last_h),
        "long_share": float(trace.long.mean()),
    }


def _steady(rows: list[dict]) -> str:
    """yes: every window job ended while jobs still arrived; late: some ended after the last
    arrival (with less competition than in steady state; no matter for FIFO); else how many
    window jobs never ended."""
    open_ = sum(x["window_jobs"] - x["window_done"] for x in rows)
    if open_:
        return f"{open_} open"
    return "yes" if all(x["steady"] for x in rows) else "late"


def _parse_window(text: str) -> tuple[int, int]:
    a, _, b = text.partition(":")
    lo, hi = int(a), int(b)
    if not 0 <= lo < hi:
        raise argparse.ArgumentTypeError(f"window must be A:B with 0 <= A < B, got {text!r}")
    return lo, hi


def _list(text: str, kind=float) -> list:
    return [kind(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", help=f"folder holding Gavel's {THROUGHPUTS}")
    ap.add_argument("--rates", type=_list, default=[2.8, 3.2, 3.6, 4.0, 4.4, 4.8],
                    help="input job rates, jobs per hour, comma-separated (default: the recorded ones)")
    ap.add_argument("--window", type=_parse_window, default=(4000, 5000),
                    help="jobs A..B-1 (arrival order) whose mean JCT is reported (default 4000:5000, Gavel's)")
    ap.add_argument("--jobs", type=int, help="jobs per trace (default: twice the window's end, so that arrivals "
                                             "go on while the window's jobs run, as in Gavel's simulator)")
    ap.add_argument("--policies", type=lambda s: _list(s, str), default=["fifo", "las", "gavel_agnostic", "gavel"],
                    help=f"comma-separated, of {', '.join(POLICIES)} (default: fifo,las,gavel_agnostic,gavel)")
    ap.add_argument("--seeds", type=lambda s: _list(s, int), default=[0], help="comma-separated (default 0)")
    ap.add_argument("--round-s", type=float, default=360.0, help="gavel rounds, s (default %(default)s, Gavel's)")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                    help="runs in parallel (default: one per core; use 1 for clean timings)")
    a = ap.parse_args(argv)
    bad = [p for p in a.policies if p not in POLICIES]
    if bad:
        ap.error(f"unknown policy {bad[0]!r}: one of {', '.join(POLICIES)}")
    if not (Path(a.data_dir) / THROUGHPUTS).is_file():
        ap.error(f"{Path(a.data_dir) / THROUGHPUTS} not found")
    jobs = a.jobs or 2 * a.window[1]
    cases = [Case(a.data_dir, r, p, s, jobs, a.window, a.round_s) for r in a.rates for p in a.policies for s in a.seeds]

    from rich.console import Console
    from rich.table import Table

    import orbitgrid

    console = Console(width=None if sys.stdout.isatty() else 130)
    console.print(f"orbitgrid {orbitgrid.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
                  f"{os.cpu_count()} cores, {min(a.processes, len(cases))} run(s) at a time; {len(cases)} runs of "
                  f"{jobs:,} jobs, window {a.window[0]}..{a.window[1] - 1}")
    t0 = time.perf_counter()
    if a.processes > 1 and len(cases) > 1:
        with mp.get_context("spawn").Pool(min(a.processes, len(cases))) as pool:
            results = pool.map(run_case, cases, chunksize=1)
    else:
        results = [run_case(c) for c in cases]
    total = time.perf_counter() - t0

    table = Table(title="Gavel continuous-single on 36 V100 + 36 P100 + 36 K80: mean JCT (h)")
    for col in ("rate/h", "policy", "seeds", "jobs", "JCT window", "JCT all", "steady", "wall s", "cpu s", "Gavel",
                "gap"):
        table.add_column(col, justify="left" if col == "policy" else "right")
    for r in a.rates:
        for p in a.policies:
            rows = [x for x in results if x["case"].rate == r and x["case"].policy == p]
            win = np.array([x["window_jct_h"] for x in rows])
            whole = np.array([x["all_jct_h"] for x in rows])
            # Gavel's figure only where the run measures what it measured: its window and rounds
            comparable = a.window == (4000, 5000) and a.round_s == 360.0
            pub = PUBLISHED.get(round(r, 6), {}).get(p) if comparable else None
            mean_win = float(np.mean(win))
            spread = f" ±{np.std(win, ddof=1):.2f}" if len(rows) > 1 else ""
            table.add_row(
                f"{r:g}", p, ",".join(str(x["case"].seed) for x in rows), f"{rows[0]['jobs']:,}",
                f"{mean_win:.2f}{spread}", f"{np.mean(whole):.2f}",
                _steady(rows),
                f"{np.mean([x['wall_s'] for x in rows]):.2f}",
                f"{np.mean([x['cpu_s'] for x in rows]):.2f}",
                f"{pub:.2f}" if pub is not None else "",
                f"{(mean_win - pub) / pub:+.1%}" if pub is not None else "",
            )
    console.print(table)
    console.print(f"Gavel: {PUBLISHED_SOURCE}; its LAS is max_min_fairness (here gavel_agnostic), Gavel is "
                  "max_min_fairness_perf (here gavel). wall s, cpu s: simulate() alone (elapsed; this process's "
                  f"CPU time), mean over seeds; all runs took {total:.1f} s. steady: every window job ended before "
                  "the last arrival (late: not all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
