"""Engine benchmark: wall time, events per second and peak memory of `simulate` for 10^4 to
10^6 jobs on 10^3 to 2x10^5 GPUs, under FIFO and EASY backfill.

Every case runs in a fresh process (multiprocessing, spawn), so one case's memory does
not count against the next; only the call to `simulate` is timed, and nothing is written
to disk. The fleet is one site with two equal pools (H100 and GB200) and a power cap that
never binds; jobs arrive at a rate that offers about 85% of the fleet's throughput.

    python benchmarks/engine.py                  # the full table (18 cases)
    python benchmarks/engine.py --quick          # only the 10^4- and 10^5-job rows
    python benchmarks/engine.py --cases 1e6x2e5:backfill,1e5x1e3
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from _machine import cpu_model, peak_rss_bytes  # benchmarks/_machine.py (run as a script)

JOB_COUNTS = (10_000, 100_000, 1_000_000)
GPU_COUNTS = (1_000, 10_000, 200_000)
POLICIES = ("fifo", "backfill")
QUICK_JOB_COUNTS = (10_000, 100_000)

OFFERED_LOAD = 0.85  # of the fleet's throughput, in reference-GPU-hours per hour
PUE = 1.2
CAP_MARGIN = 2.0  # power cap = this times the fleet's full-load facility power: never binds
MAX_GANG = 1024
RUNTIME = {"median_h": 1.0, "sigma": 1.5, "max_h": 72.0}
PARETO_ALPHA = 1.0
SEED = 1
GANG_SAMPLES = 10**6  # samples of the generator's own gang-size function, for E[GPUs per job]


def tick_for(jobs: int) -> float:
    """Physics tick: 300 s, 900 s for the 10^6-job cases (their horizons are long)."""
    return 900.0 if jobs >= 1_000_000 else 300.0


@dataclass(frozen=True)
class Case:
    jobs: int
    gpus: int
    policy: str


@dataclass
class Row:
    case: Case
    tick_s: float
    horizon_h: float
    rate_per_h: float
    status: str = "ok"  # ok | timeout | error
    submitted: int | None = None
    events: int | None = None
    wall_s: float | None = None
    peak_increase_mb: float | None = None
    peak_rss_mb: float | None = None
    utilization: float | None = None
    invariants: str = "-"
    extra: dict = field(default_factory=dict)


# --- the workload, and the scenario for one case ----------------------------------------
def max_gang(gpus: int) -> int:
    return min(MAX_GANG, gpus // 4)


def mean_gang_size(gpus: int) -> float:
    """E[GPUs per job], from the generator's own gang-size function (fixed seed)."""
    import numpy as np

    from orbitgrid.scenario import GpuCountDistribution
    from orbitgrid.workload.generator import gang_sizes

    dist = GpuCountDistribution(min=1, max=max_gang(gpus), pareto_alpha=PARETO_ALPHA, power_of_two=True)
    return float(gang_sizes(np.random.default_rng(12345), GANG_SAMPLES, dist).mean())


def mean_runtime_h() -> float:
    """E[runtime] of the clipped log-normal, exactly: E[clip(X, a, b)] for X ~ LogNormal(mu, s)."""
    from orbitgrid.scenario import DurationDistribution

    d = DurationDistribution(**RUNTIME)
    mu, s, a, b = math.log(d.median_h), d.sigma, d.min_h, d.max_h
    if s == 0:
        return min(max(d.median_h, a), b)

    def phi(z: float) -> float:
        return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))

    below = a * phi((math.log(a) - mu) / s)
    above = b * (1.0 - phi((math.log(b) - mu) / s))
    inside = math.exp(mu + s * s / 2) * (phi((math.log(b) - mu - s * s) / s) - phi((math.log(a) - mu - s * s) / s))
    return below + above + inside


def fleet() -> dict:
    """Per-GPU speed (relative to H100) and full-load server power of the two pool types."""
    from orbitgrid.catalog.accelerators import load_accelerators

    table = load_accelerators()
    ref = table["H100"].bf16_tflops.value
    return {
        name: {"speed": table[name].bf16_tflops.value / ref, "busy_w": float(table[name].busy_power_w)}
        for name in ("H100", "GB200")
    }


def scenario_dict(
    case: Case, e_gpus: float, e_runtime_h: float, gpu_info: dict, mixed_gangs: bool = True
) -> tuple[dict, float, float]:
    """The scenario as a plain dict, the arrival rate, and the horizon (expected last arrival)."""
    half = case.gpus // 2
    capacity_ref_per_h = sum(half * g["speed"] for g in gpu_info.values())
    rate = OFFERED_LOAD * capacity_ref_per_h / (e_gpus * e_runtime_h)
    horizon_h = case.jobs / rate
    full_load_mw = sum(half * g["busy_w"] for g in gpu_info.values()) * PUE / 1e6
    data = {
        "name": f"bench-{case.jobs}-jobs-{case.gpus}-gpus-{case.policy}",
        "simulation": {"duration_h": horizon_h, "tick_s": tick_for(case.jobs), "seed": SEED},
        "sites": [
            {
                "name": "bench-site",
                "location": {"lat_deg": 35.0, "lon_deg": -90.0},
                "power_cap_mw": CAP_MARGIN * full_load_mw,
                "pue": PUE,
                "pools": [
                    {"name": "h100", "gpu": "H100", "count": half},
                    {"name": "gb200", "gpu": "GB200", "count": case.gpus - half},
                ],
            }
        ],
        "workload": {
            "reference_gpu": "H100",
            "generator": {
                "arrival_rate_per_h": rate,
                "jobs": case.jobs,
                "gpus_per_job": {"min": 1, "max": max_gang(case.gpus), "pareto_alpha": PARETO_ALPHA, "power_of_two": True},
                "duration_h": dict(RUNTIME),
            },
        },
        "policy": {"name": case.policy, "allow_mixed_gangs": mixed_gangs},
    }
    return data, rate, horizon_h


# --- one case, in its own process ---------------------------------------------------------
def _rss_now_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(data: dict, conn) -> None:
    """Build the scenario, then time `simulate` alone; send back what was measured."""
    import gc

    try:
        from orbitgrid.engine.invariants import InvariantError
        from orbitgrid.engine.run import simulate
        from orbitgrid.scenario import LoadedScenario, Scenario

        scenario = Scenario.model_validate(data)
        loaded = LoadedScenario(scenario=scenario, file=Path("<benchmark>.yaml"), text="")
        gc.collect()
        rss0 = _rss_now_bytes()
        t0 = time.perf_counter()
        try:
            result = simulate(loaded)
        except InvariantError as exc:
            conn.send({"status": "error", "invariants": f"FAILED: {exc}", "wall_s": time.perf_counter() - t0})
            return
        wall = time.perf_counter() - t0
        peak = peak_rss_bytes()
        s = result.summary
        conn.send(
            {
                "status": "ok",
                "invariants": "passed",
                "wall_s": wall,
                "events": int(s["events"]),
                "submitted": int(s["jobs_submitted"]),
                "utilization": s["allocation_utilization"],
                "peak_increase_mb": (peak - rss0) / 2**20,
                "peak_rss_mb": peak / 2**20,
                "extra": {
                    k: s[k]
                    for k in ("jobs_completed", "jobs_running", "jobs_queued", "jobs_failed", "mean_wait_h", "effective_utilization")
                },
            }
        )
    except BaseException as exc:  # report any crash as the case's result
        import traceback

        conn.send({"status": "error", "invariants": f"error: {type(exc).__name__}: {exc}", "trace": traceback.format_exc()})
    finally:
        conn.close()


def run_case(row: Row, data: dict, max_seconds: float) -> Row:
    ctx = mp.get_context("spawn")
    parent, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(data, child_end), daemon=True)
    proc.start()
    child_end.close()
    got = None
    try:
        if parent.poll(max_seconds):
            try:
                got = parent.recv()
            except EOFError:
                got = None
        else:
            row.status, row.invariants = "timeout", f"timeout (> {max_seconds:g} s)"
            proc.kill()
    finally:
        proc.join(timeout=30)
        parent.close()
    if row.status == "timeout":
        return row
    if got is None:
        row.status, row.invariants = "error", f"crashed (exit code {proc.exitcode})"
        return row
    row.status = got.pop("status")
    trace = got.pop("trace", None)
    if trace:
        print(trace, file=sys.stderr, flush=True)
    for key, value in got.items():
        setattr(row, key, value)
    return row


# --- output -------------------------------------------------------------------------------
def _fmt(x, spec: str, missing: str = "-") -> str:
    return missing if x is None else format(x, spec)


def render(rows: list[Row], title: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in ("jobs", "submitted", "GPUs", "policy", "tick (s)", "horizon (h)", "events", "wall (s)",
                 "events/s", "peak RSS +MB", "peak RSS MB", "alloc util", "invariants"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("policy", "invariants") else "right")
    for r in rows:
        eps = r.events / r.wall_s if r.events is not None and r.wall_s else None
        table.add_row(
            f"{r.case.jobs:,}",
            _fmt(r.submitted, ","),
            f"{r.case.gpus:,}",
            r.case.policy,
            f"{r.tick_s:g}",
            f"{r.horizon_h:,.1f}",
            _fmt(r.events, ","),
            _fmt(r.wall_s, ",.2f"),
            _fmt(eps, ",.0f"),
            _fmt(r.peak_increase_mb, ",.0f"),
            _fmt(r.peak_rss_mb, ",.0f"),
            _fmt(r.utilization, ".3f"),
            r.invariants,
        )
    return table


def code_version() -> str:
    """The commit benchmarked, and whether src/ differs from it (results depend on both)."""
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h %cI %s"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    n = len(dirty.splitlines())
    return f"{head or 'unknown'}" + (f" (+ {n} uncommitted change(s) under src/)" if n else "")


def source_hash() -> str:
    """A digest of the package's code and data: a case that imports a different one is flagged."""
    import hashlib

    root = Path(__file__).resolve().parent.parent / "src" / "orbitgrid"
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info() -> str:
    import numpy
    import pyarrow
    import pydantic

    cpu = cpu_model()
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = float("nan")
    return (
        f"code: {code_version()}; src/orbitgrid digest {source_hash()}\n"
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), {mem_gb:.1f} GiB RAM\n"
        f"python {platform.python_version()} ({platform.python_implementation()}), numpy {numpy.__version__}, "
        f"pyarrow {pyarrow.__version__}, pydantic {pydantic.__version__}"
    )


# --- command line -------------------------------------------------------------------------
def _count(text: str) -> int:
    value = float(text)
    if value <= 0 or value != int(value):
        raise ValueError(f"not a positive whole number: {text!r}")
    return int(value)


def parse_cases(text: str | None, quick: bool, policies: list[str]) -> list[Case]:
    """`JOBSxGPUS[:POLICY]`, comma-separated (`1e6x2e5:backfill,1e4x1e3`); counts may be written 1e4."""
    if not text:
        job_counts = QUICK_JOB_COUNTS if quick else JOB_COUNTS
        return [Case(j, g, p) for j in job_counts for g in GPU_COUNTS for p in policies]
    cases: list[Case] = []
    for token in text.split(","):
        token = token.strip()
        if not token:
            continue
        spec, _, policy = token.partition(":")
        jobs, sep, gpus = spec.lower().partition("x")
        if not sep:
            raise SystemExit(f"--cases: {token!r} is not JOBSxGPUS[:POLICY]")
        try:
            j, g = _count(jobs), _count(gpus)
        except ValueError as exc:
            raise SystemExit(f"--cases: {token!r}: {exc}") from None
        if g < 8:
            raise SystemExit(f"--cases: {token!r}: need at least 8 GPUs (gangs up to GPUs/4, two pools)")
        for p in [policy] if policy else policies:
            if p not in POLICIES:
                raise SystemExit(f"--cases: unknown policy {p!r} (known: {', '.join(POLICIES)})")
            cases.append(Case(j, g, p))
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the 10^4- and 10^5-job rows")
    ap.add_argument("--cases", help="JOBSxGPUS[:POLICY], comma-separated, e.g. 1e6x2e5:backfill,1e4x1e3")
    ap.add_argument("--policies", default=",".join(POLICIES), help="policies for cases that name none (default: %(default)s)")
    ap.add_argument("--max-seconds", type=float, default=1800.0, help="per case, then it is reported as a timeout (default: %(default)s)")
    ap.add_argument(
        "--no-mixed-gangs",
        action="store_true",
        help="policy.allow_mixed_gangs: false (default: true, the scenario default; a gang spanning H100 and "
        "GB200 runs at H100 speed, so the fleet delivers less than its nominal throughput)",
    )
    args = ap.parse_args(argv)
    mixed_gangs = not args.no_mixed_gangs

    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 180, highlight=False, markup=False)
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise SystemExit(f"--policies: unknown {unknown} (known: {', '.join(POLICIES)})")
    cases = parse_cases(args.cases, args.quick, policies)

    digest = source_hash()
    console.print(machine_info())
    gpu_info = fleet()
    e_runtime = mean_runtime_h()
    e_gang = {g: mean_gang_size(g) for g in sorted({c.gpus for c in cases})}
    console.print(
        f"fleet: one site, two equal pools (H100, GB200 at {gpu_info['GB200']['speed']:.4f}x H100), PUE {PUE}, "
        f"power cap {CAP_MARGIN:g}x full load (never binds); mixed H100+GB200 gangs {'allowed' if mixed_gangs else 'not allowed'}\n"
        f"workload: gangs bounded Pareto(alpha {PARETO_ALPHA}) on [1, min({MAX_GANG}, GPUs/4)], power of two; "
        f"runtime log-normal median {RUNTIME['median_h']} h sigma {RUNTIME['sigma']} max {RUNTIME['max_h']} h "
        f"(E = {e_runtime:.4f} h); offered load {OFFERED_LOAD:.0%} of throughput; horizon = jobs / rate (no drain); "
        f"seed {SEED}"
    )
    for g, mean in e_gang.items():
        console.print(
            f"  {g:,} GPUs: max gang {max_gang(g)} (largest power of two: {2 ** int(math.log2(max_gang(g)))}), E[GPUs/job] = {mean:.4f} ({GANG_SAMPLES:,} samples), "
            f"E[work/job] = {mean * e_runtime:.3f} H100-GPU-h"
        )
    console.print(f"{len(cases)} cases, one after another, each in a fresh process; time limit {args.max_seconds:g} s per case\n")

    rows: list[Row] = []
    title = "orbitgrid engine benchmark (simulate() only; peak RSS +MB = peak RSS during the run less RSS before it)"
    for case in cases:
        data, rate, horizon_h = scenario_dict(case, e_gang[case.gpus], e_runtime, gpu_info, mixed_gangs)
        row = Row(case, tick_for(case.jobs), horizon_h, rate)
        console.print(
            f"[{len(rows) + 1}/{len(cases)}] {case.jobs:,} jobs on {case.gpus:,} GPUs, {case.policy}: "
            f"{rate:,.1f} jobs/h over {horizon_h:,.1f} h, tick {row.tick_s:g} s ...",
        )
        now_digest = source_hash()
        if now_digest != digest:  # each case imports orbitgrid afresh: src/ changed under the benchmark
            console.print(f"    WARNING: src/orbitgrid changed since the last case (digest {now_digest}; {code_version()})")
            digest = now_digest
        sys.stdout.flush()
        run_case(row, data, args.max_seconds)
        rows.append(row)
        if row.status == "ok" and row.extra:
            e = row.extra
            console.print(
                f"    done: {row.wall_s:,.1f} s; completed {e['jobs_completed']:,}, running {e['jobs_running']:,}, "
                f"queued {e['jobs_queued']:,}, failed {e['jobs_failed']:,}, mean wait {_fmt(e['mean_wait_h'], '.2f')} h, "
                f"effective utilisation {_fmt(e['effective_utilization'], '.3f')}"
            )
        console.print(render(rows, title))
        sys.stdout.flush()

    console.print("\nfinal:")
    console.print(render(rows, title))
    sys.stdout.flush()
    return 0 if all(r.status == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
