"""Replay Pollux's simulator workloads under Tiresias with orbitgrid (OSDI 2021, section 5.3).

    .venv/bin/python scripts/replay_pollux.py ../shared/data/traces/pollux
    .venv/bin/python scripts/replay_pollux.py DATA_DIR --load 2.0 --workloads 1-4,6

DATA_DIR is the Pollux artifact's `simulator/` folder (petuum/adaptdl osdi21-artifact):
`traces/<application>/` (measured step times and statistical efficiency), `workloads/`
(1.0x job load) or `workloads-<load>/`, and `results-jobload/tiresias-<load>/summary.json`,
the published per-job completion times of its Tiresias+TunedJobs policy.

For each workload (160 jobs at 1.0x: name, submission time, application, num_replicas,
batch_size)
the script computes every job's run time with `orbitgrid.workload.pollux_model` (the
simulator's progress model at the job's fixed GPU count and batch size, on a consolidated
placement of 4-GPU nodes), adds the simulator's 30 s start-up (`Job.reallocate`:
`rescale_time = 30` on every allocation), and writes an orbitgrid job file (`work_gpu_h` =
GPUs x that time) and a scenario in a temporary folder: Pollux's cluster, 16 nodes x 4 T4
GPUs (the testbed's AWS g4dn.12xlarge nodes; `simulator.py --min-nodes 16 --num-gpus 4`) as
one pool of 64 (its Tiresias checks GPU counts only; orbitgrid has no nodes), drained to
the end, under orbitgrid's `las` configured as the artifact's `tiresias.py`:

* two queues, demotion at 16 GPU-hours of attained service (`_queue_threshold = 3600 * 16`
  GPU-seconds of executed time x replicas): `las_thresholds_gpu_h: [16]`;
* starvation promotion off (`_solve_starvation = 0`): no `las_promote_knob`;
* preemptive, a preempted job keeps its progress; each restart pays the same 30 s:
  `restart_overhead_s: 30`.

It runs `orbitgrid.engine.simulate` (what `orbitgrid run` calls, without writing a run
folder) and prints, per workload, the published mean JCT (`avgs` of summary.json), ours,
and the gap, then the mean over the workloads. The model's own floor is shown too: the
mean of run time + 30 s (every job alone on the cluster). `--keep DIR` leaves each job
file and scenario in DIR for `orbitgrid run`.

With `--pollux-rounds` the policy also schedules every 60 s and lets a waiting job preempt
later jobs of its own queue, as the artifact's scheduler does: ours is then 1.7% below
the published mean at 1.0x, all of it the placement effect below. Without it (orbitgrid's
`las` as the Tiresias authors' simulator), about 10% below. What differs from the
artifact's simulator, largest first: its Tiresias recomputes all allocations every round
in strict queue order, so a waiting job also preempts later jobs of its own queue
(orbitgrid's `las` preempts only lower queues); it schedules every 60 s (orbitgrid is
event-driven); and it places gangs on whichever nodes have free GPUs, each placement at
its own measured speed (here: consolidated placements). See docs/validation.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from orbitgrid.workload import pollux_model as pm

SCENARIO = """\
name: pollux-{workload}-tiresias
description: Pollux artifact {workload} ({load}x load) on its 64-GPU testbed under Tiresias (las).
simulation: {{duration_h: {horizon_h}, tick_s: 3600, seed: 0, drain: true}}
accelerators:
  T4:
    full_name: NVIDIA T4 Tensor Core GPU (PCIe, 16 GB)
    vendor: NVIDIA
    bf16_tflops:
      value: 65
      source: "NVIDIA T4 datasheet: 65 TFLOPS mixed precision (FP16/FP32), 70 W"
      confidence: high
      note: "Turing has no BF16; FP16 tensor peak as the relative speed. Unused here: the jobs' work is in T4 GPU-hours and every GPU is a T4."
    memory_gb: {{value: 16, source: "NVIDIA T4 datasheet", confidence: high}}
    tdp_w: {{value: 70, source: "NVIDIA T4 datasheet", confidence: high}}
sites:
  - name: pollux-testbed
    location: {{lat_deg: 39.0, lon_deg: -77.5}}
    power_cap_mw: 1
    pue: 1.0
    pools:
      - {{name: g4dn, gpu: T4, count: {gpus}}}
workload:
  reference_gpu: T4
  csv: jobs.csv
policy:
  name: las
  las_thresholds_gpu_h: [{threshold_gpu_h}]
  restart_overhead_s: {restart_s}
{extra}"""

# --pollux-rounds: the artifact's scheduler, not the Tiresias authors': a pass every 60 s
# (simulator.py `--interval 60`) and strict queue order, so a waiting job may preempt a
# later one of its own queue (tiresias.py re-allocates every round in that order)
POLLUX_ROUNDS = "  schedule_interval_s: 60\n  las_preempt_within_queue: true\n"
POLICY_EXTRA = ""

THRESHOLD_GPU_H = 16.0  # tiresias.py: _queue_threshold = 3600 * 16 (GPU-seconds)


def read_workload(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        "name": np.array([r["name"] for r in rows]),
        "time": np.array([float(r["time"]) for r in rows]),
        "application": np.array([r["application"] for r in rows]),
        "num_replicas": np.array([int(r["num_replicas"]) for r in rows]),
        "batch_size": np.array([int(r["batch_size"]) for r in rows]),
    }


def workload_dir(data_dir: Path, load: float) -> Path:
    return data_dir / ("workloads" if load == 1.0 else f"workloads-{load:.1f}")


def published(data_dir: Path, load: float) -> dict | None:
    path = data_dir / "results-jobload" / f"tiresias-{load:.1f}" / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_case(folder: Path, wl: dict[str, np.ndarray], busy_s: np.ndarray, name: str, load: float,
               gpus: int) -> Path:
    """The job file (`jobs.csv`) and the scenario (`scenario.yaml`) in `folder`; the scenario's path."""
    lines = ["job_id,arrival_h,gpus,work_gpu_h"]
    for i in np.argsort(wl["time"], kind="stable"):
        lines.append(f"{wl['name'][i]},{float(wl['time'][i]) / 3600.0!r},{int(wl['num_replicas'][i])},"
                     f"{float(busy_s[i]) * int(wl['num_replicas'][i]) / 3600.0!r}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(SCENARIO.format(workload=name, load=load, gpus=gpus,
                                    horizon_h=math.floor(wl["time"].max() / 3600.0) + 1,
                                    threshold_gpu_h=THRESHOLD_GPU_H, restart_s=pm.RESCALE_S, extra=POLICY_EXTRA),
                    encoding="utf-8")
    return path


def replay(apps: dict, wl: dict[str, np.ndarray], name: str, load: float, gpus: int,
           keep: Path | None = None) -> dict:
    """Durations, job file, scenario, simulate; per-job JCTs (s) by job name. With `keep`,
    the job file and scenario stay in that folder (for `orbitgrid run`)."""
    from orbitgrid.engine import simulate
    from orbitgrid.scenario import load_scenario

    run_s = pm.run_times_s(apps, wl["application"], wl["num_replicas"], wl["batch_size"])
    busy_s = run_s + pm.RESCALE_S
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_scenario(write_case(keep or Path(tmp), wl, busy_s, name, load, gpus))
        t0 = time.perf_counter()
        result = simulate(loaded)
        wall = time.perf_counter() - t0
    jobs = result.tables["jobs"]
    jct_h = jobs.column("jct_h").to_numpy(zero_copy_only=False).astype(float)
    names = jobs.column("name").to_pylist()
    return {"jct_s": dict(zip(names, jct_h * 3600.0)), "busy_s": dict(zip(wl["name"].tolist(), busy_s)),
            "wall_s": wall, "preemptions": int(result.summary["preemptions"]),
            "completed": int(result.summary["jobs_completed"])}


def _parse_workloads(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.strip().partition("-")
        lo, hi = int(a), int(b or a)
        if not 1 <= lo <= hi:
            raise argparse.ArgumentTypeError(f"bad workload range {part!r}")
        out.extend(range(lo, hi + 1))
    return list(dict.fromkeys(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path, help="the Pollux artifact's simulator/ folder")
    ap.add_argument("--load", type=float, default=1.0, help="relative job load: 0.5, 1.0, 1.5 or 2.0 (default 1.0)")
    ap.add_argument("--workloads", type=_parse_workloads, default=list(range(1, 9)),
                    help="workload numbers, e.g. 1-8 or 2,5-6 (default 1-8)")
    ap.add_argument("--gpus", type=int, default=pm.NODES * pm.GPUS_PER_NODE,
                    help="GPUs in the cluster (default %(default)s: 16 nodes x 4)")
    ap.add_argument("--pollux-rounds", action="store_true",
                    help="schedule every 60 s and let a waiting job preempt later jobs of its own queue, "
                         "as the artifact's simulator does")
    ap.add_argument("--keep", type=Path, help="write each workload's jobs.csv and scenario.yaml under "
                                              "KEEP/<load>/workload-N/ (run them with `orbitgrid run`)")
    a = ap.parse_args(argv)
    global POLICY_EXTRA
    POLICY_EXTRA = POLLUX_ROUNDS if a.pollux_rounds else ""
    wdir = workload_dir(a.data_dir, a.load)
    if not wdir.is_dir():
        ap.error(f"{wdir} not found")
    apps = pm.load_applications(a.data_dir / "traces")
    pub = published(a.data_dir, a.load)

    from rich.console import Console
    from rich.table import Table

    import orbitgrid

    console = Console(width=None if sys.stdout.isatty() else 130)
    console.print(f"orbitgrid {orbitgrid.__version__}, numpy {np.__version__}, Python {platform.python_version()}; "
                  f"{wdir.name}, {a.gpus} GPUs, las: thresholds [{THRESHOLD_GPU_H:g}] GPU-h, "
                  f"restart {pm.RESCALE_S:g} s")
    table = Table(title=f"Pollux workloads under Tiresias, {a.load:g}x load: mean JCT (s)")
    for col in ("workload", "jobs", "published", "ours", "gap", "alone", "preempt.", "wall s"):
        table.add_column(col, justify="right")
    pub_means, our_means, alone_means = [], [], []
    for k in a.workloads:
        name = f"workload-{k}"
        wl = read_workload(wdir / f"{name}.csv")
        r = replay(apps, wl, name, a.load, a.gpus, a.keep / f"{a.load:.1f}" / name if a.keep else None)
        ours = float(np.mean(list(r["jct_s"].values())))
        alone = float(np.mean(list(r["busy_s"].values())))
        p = pub["avgs"].get(name) if pub else None
        our_means.append(ours)
        alone_means.append(alone)
        if p is not None:
            pub_means.append(p)
        table.add_row(name, f"{r['completed']}/{len(wl['name'])}", f"{p:,.1f}" if p is not None else "",
                      f"{ours:,.1f}", f"{(ours - p) / p:+.1%}" if p is not None else "", f"{alone:,.1f}",
                      f"{r['preemptions']}", f"{r['wall_s']:.2f}")
    if len(a.workloads) > 1:
        p = float(np.mean(pub_means)) if len(pub_means) == len(our_means) else None
        ours = float(np.mean(our_means))
        table.add_row("mean", "", f"{p:,.1f}" if p is not None else "", f"{ours:,.1f}",
                      f"{(ours - p) / p:+.1%}" if p is not None else "", f"{np.mean(alone_means):,.1f}", "", "",
                      style="bold")
    console.print(table)
    console.print("published: Pollux artifact results-jobload/tiresias-*/summary.json (`avgs`); alone: mean of "
                  "run time + 30 s, every job alone on the cluster; wall s: simulate() alone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
