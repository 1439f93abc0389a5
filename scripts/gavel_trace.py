"""Write a Gavel "continuous-single" job trace: single-GPU jobs arriving as a Poisson stream.

    .venv/bin/python scripts/gavel_trace.py OUT.trace --rate 3.2 --jobs 7000 --seed 0 \
        --throughputs ../shared/data/traces/gavel/simulation_throughputs.json

The distribution is the one Gavel's simulator draws from when its continuous sweeps run
without `--generate-multi-gpu-jobs` (stanford-futuredata/gavel, `scheduler/utils.py`
`generate_job` and `_generate_duration`, `scheduler/scheduler.py` `simulate` and
`_sample_arrival_time_delta`, job types from `scheduler/job_table.py`):

* arrivals: the first job at t = 0, then exponential gaps of mean 3600 / rate seconds;
* run time on a V100 (Gavel's reference worker type): 60 x 10^u seconds, u uniform on
  [3, 4] with probability 0.2 (long jobs: 16.7 h to 6.9 days), else u uniform on [1.5, 3]
  (short jobs: 31.6 min to 16.7 h);
* job type: one of Gavel's 26 (ResNet-18 and Transformer at 5 batch sizes, ResNet-50 at
  4, LM at 5, Recommendation at 5, A3C, CycleGAN), each with probability 1/26;
* steps: run time x the type's isolated throughput on a V100 (steps/s, the matrix's
  "null" entry of `('<type>', 1)` under `v100`), so the job runs exactly its drawn time on
  a V100 and longer or shorter elsewhere.

Gavel draws with Python's `random.Random` (job parameters seeded with seed + 2, gaps with
their own generator); here numpy's `Generator` draws the same distributions from two
independent streams of `SeedSequence(seed)` (arrivals; job parameters), so a seed gives
the same trace every time but not Gavel's trace.

The output is Gavel's 7-field layout (what `orbitgrid traces import gavel` and
`workload.trace: {format: gavel}` read), tab-separated, one job per line, in arrival
order: job_type, command, num_steps_arg, needs_data_dir, total_steps, arrival_time (s),
scale_factor. The command is descriptive only (no simulator runs it).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REFERENCE_WORKER = "v100"  # Gavel computes a generated job's steps on this worker type
LONG_SHARE = 0.2  # probability of the long branch
SHORT_LOG10_MIN = (1.5, 3.0)  # log10 of the run time in minutes, short branch
LONG_LOG10_MIN = (3.0, 4.0)  # long branch

# Gavel's job table, in its order: (family, batch sizes, working directory, step flag, needs a data dir)
_FAMILIES = (
    ("ResNet-18", (16, 32, 64, 128, 256), "image_classification/cifar10", "--num_steps", True),
    ("ResNet-50", (16, 32, 64, 128), "image_classification/imagenet", "--num_minibatches", True),
    ("Transformer", (16, 32, 64, 128, 256), "translation", "-step", True),
    ("LM", (5, 10, 20, 40, 80), "language_modeling", "--steps", True),
    ("Recommendation", (512, 1024, 2048, 4096, 8192), "recommendation", "-n", True),
    ("A3C", (None,), "rl", "--max-steps", False),
    ("CycleGAN", (None,), "cyclegan", "--n_steps", True),
)


@dataclass(frozen=True)
class JobType:
    name: str  # Gavel's job type string, the throughput matrix's key
    workdir: str
    num_steps_arg: str
    needs_data_dir: bool

    @property
    def command(self) -> str:
        batch = f" --batch_size {self.name.split('batch size ')[1].rstrip(')')}" if "batch size" in self.name else ""
        return f"cd {self.workdir} && python3 train.py{batch}"


JOB_TYPES: tuple[JobType, ...] = tuple(
    JobType(family if batch is None else f"{family} (batch size {batch})", workdir, flag, data)
    for family, batches, workdir, flag, data in _FAMILIES
    for batch in batches
)


@dataclass(frozen=True)
class Trace:
    """A generated trace, one entry per job in arrival order."""

    arrival_s: np.ndarray  # float64
    duration_s: np.ndarray  # float64: run time on the reference worker type (V100)
    long: np.ndarray  # bool: drawn from the long branch
    type_index: np.ndarray  # int64 into JOB_TYPES
    total_steps: np.ndarray  # int64: duration x V100 throughput, rounded (at least 1)


def reference_throughputs(path: str | Path) -> np.ndarray:
    """Isolated V100 steps/s of each of JOB_TYPES at scale factor 1, from Gavel's matrix."""
    with open(path, encoding="utf-8") as f:
        matrix = json.load(f)
    if REFERENCE_WORKER not in matrix:
        raise SystemExit(f"{path}: no '{REFERENCE_WORKER}' worker type in the throughput matrix")
    row = matrix[REFERENCE_WORKER]
    out = np.empty(len(JOB_TYPES))
    for i, jt in enumerate(JOB_TYPES):
        key = f"('{jt.name}', 1)"
        if key not in row or not isinstance(row[key], dict) or "null" not in row[key]:
            raise SystemExit(f"{path}: no isolated {REFERENCE_WORKER} throughput for {key}")
        out[i] = float(row[key]["null"])
        if not out[i] > 0:
            raise SystemExit(f"{path}: {key} does not run on {REFERENCE_WORKER} (throughput {out[i]})")
    return out


def durations(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(run time in seconds, long-branch flag) for n jobs."""
    long = rng.random(n) >= 1.0 - LONG_SHARE
    u = np.where(long, rng.uniform(*LONG_LOG10_MIN, n), rng.uniform(*SHORT_LOG10_MIN, n))
    return 60.0 * 10.0**u, long


def generate(rate_per_h: float, jobs: int, seed: int, throughput: np.ndarray) -> Trace:
    """`jobs` single-GPU jobs at `rate_per_h` Poisson arrivals; `throughput` as
    `reference_throughputs` returns it (steps/s of each job type on the V100)."""
    if not (rate_per_h > 0 and math.isfinite(rate_per_h)):
        raise ValueError(f"rate must be a positive number of jobs per hour, got {rate_per_h}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    arrivals_rng, job_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    gaps = arrivals_rng.exponential(3600.0 / rate_per_h, jobs - 1)
    arrival = np.concatenate([[0.0], np.cumsum(gaps)])
    duration, long = durations(job_rng, jobs)
    kind = job_rng.integers(0, len(JOB_TYPES), jobs)
    steps = np.maximum(np.rint(duration * throughput[kind]), 1).astype(np.int64)
    return Trace(arrival, duration, long, kind, steps)


def trace_lines(trace: Trace) -> list[str]:
    lines = []
    for t, k, steps in zip(trace.arrival_s.tolist(), trace.type_index.tolist(), trace.total_steps.tolist()):
        jt = JOB_TYPES[k]
        lines.append(f"{jt.name}\t{jt.command}\t{jt.num_steps_arg}\t{int(jt.needs_data_dir)}\t{steps}\t{t:.6f}\t1")
    return lines


def write_trace(path: str | Path, trace: Trace) -> None:
    Path(path).write_text("\n".join(trace_lines(trace)) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the trace file to write")
    ap.add_argument("--rate", type=float, required=True, help="arrivals, jobs per hour")
    ap.add_argument("--jobs", type=int, required=True, help="number of jobs")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    ap.add_argument("--throughputs", required=True, help="Gavel's simulation_throughputs.json")
    a = ap.parse_args(argv)
    trace = generate(a.rate, a.jobs, a.seed, reference_throughputs(a.throughputs))
    write_trace(a.out, trace)
    span_h = trace.arrival_s[-1] / 3600.0
    print(f"{a.out}: {a.jobs:,} jobs over {span_h:,.1f} h ({a.jobs / max(span_h, 1e-9):.3f}/h drawn, "
          f"{a.rate}/h asked), "
          f"{trace.long.mean():.1%} long, mean V100 run time {trace.duration_s.mean() / 3600:.2f} h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
