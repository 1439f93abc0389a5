"""Run times of the Pollux simulator's training jobs at a fixed batch size.

Source: A. Qiao, S. K. Choe, S. J. Subramanya, W. Neiswanger, Q. Ho, H. Zhang, G. R. Ganger,
E. P. Xing, "Pollux: Co-adaptive Cluster Scheduling for Goodput-Optimized Deep Learning",
OSDI 2021 (section 5.3, "Simulator construction"), and its artifact, petuum/adaptdl
`osdi21-artifact/simulator/` (Apache-2.0): the measured traces in `traces/<application>/`
and the code that turns them into a job's progress. This module is written from a reading
of that code, not copied; it follows

* `applications.py`, class `Application`: the per-application settings (`APPLICATIONS`:
  epochs, yolov3's local batch cap), the defaults taken from the traces (`init_batch_size`,
  `max_batch_size`, `min_local_bsz`, `max_local_bsz`), `get_progress` (the progress that
  ends each epoch), `get_grad_stats` (gradient statistics, interpolated in batch size)
  and `get_throughput` (step and sync time of a placement at a local batch size);
* `simulator.py`, class `Job`: `update_local_bsz` (how a fixed target batch size is split
  into replicas x atomic batch x accumulation steps) and `step` (goodput = statistical
  gain / step time, progress until the last epoch's progress is reached);
* `simulator.py`, `Job.reallocate`: every (re)allocation pays `rescale_time = 30` s
  before any progress (`RESCALE_S` here; not part of `run_time_s`).

What a job needs, in the simulator's terms. An application's validation traces
(`validation-<batch size>.csv`, one row per epoch: `progress`, `iteration`, `metric`,
`grad_sqr`, `grad_var`) were recorded at several batch sizes. Epoch e ends when the job's
progress reaches P(e) = the smallest `progress` of row e-1 over those files (P(0) = 0);
the job is done after `max_epochs` epochs (the artifact sets no target metric, so
`get_completion_epoch` is `max_epochs - 1`). During epoch e, running at total batch
size B, progress grows at

    goodput = gain / T,   gain = (var + sqr) / (var / s + sqr),   s = B / init_batch_size

with `sqr`, `var` row e's gradient statistics, interpolated linearly in batch size
between the two validated batch sizes around B, and T the time of one optimizer step:
T = step_time + accum_steps x (step_time - sync_time), the step and sync times of the
placement at the atomic (per-GPU, per-pass) batch size. So the run time is

    sum over epochs e of (P(e+1) - P(e)) x T / gain_e.

Batch split (`update_local_bsz` with a target batch size b on n replicas):
local = ceil(b / n), accum_steps = ceil(local / max_local_bsz) - 1, raised to 1 when
n = 1 and b > init_batch_size, atomic = ceil(local / (accum_steps + 1)), then capped at
floor(max_batch_size / (n (accum_steps + 1))); B = n x atomic x (accum_steps + 1), which
may differ from b (bert on 6 GPUs at 384 runs at 360).

Step time (`get_throughput`): a placement is the GPUs used on each node, e.g. (4, 2);
the simulator turns it into the lexicographically smallest rotation of its digits ("24")
and, if `placements.csv` measured it, interpolates linearly in local batch size. Else it
interpolates over (nodes, replicas, local batch) with scipy's LinearNDInterpolator over
the placements' means per (nodes, replicas, local batch) plus `scalability.csv`. This
module does the first exactly; for the second it interpolates in local batch size along
the rows measured at the same (nodes, replicas) and refuses any other case. Every
consolidated placement the Pollux workloads ask for is covered: on 4-GPU nodes up to
4 nodes by `placements.csv`, and imagenet's 24, 32 and 48 GPUs (6, 8, 12 nodes) by
`scalability.csv` rows at exactly those counts. (Checked outside this package against
the artifact's own `Application` and `Job.step`, with scipy: the 3-D interpolation gives
the same step times there, and all 16 (application, GPUs, batch size) configurations of
the 32 workload files run exactly as long, to the second.)

Rounding: `Job.step` ends each epoch on a whole second (`delta = round(...)`); since a
run starts on one (intervals of 60 s, rescale of 30 s), an epoch of d seconds lasts
round(d) whatever the interval boundaries it crosses, so `run_time_s` sums the rounded
epochs by default (cifar10 on 6 GPUs: 910 s, against 897.3 s unrounded). A job preempted
inside an epoch may differ by a second.

Not modelled: the placements a scheduler actually gives. Pass one to `run_time_s` to get
its run time, but a scheduler's gangs move between placements; and the consolidated one
is not always the fastest in these traces (bert on 8 GPUs at local batch 8: 2.53 s a
step as (4, 4), 1.54 s as (2, 2, 2, 2)). Nor interference (off by default in the
simulator). A consolidated placement fills 4-GPU nodes in turn: 6 GPUs = (4, 2), as the
artifact's own `get_configurations` assumes ("a cluster of 16 nodes each with 4 GPUs").
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GPUS_PER_NODE = 4  # simulator.py --num-gpus 4; the testbed's AWS g4dn.12xlarge has 4 NVIDIA T4
NODES = 16  # simulator.py --min-nodes 16: 64 GPUs
RESCALE_S = 30.0  # Job.reallocate: rescale_time = 30 on every allocation, the first included
EPS = 1e-8  # the simulator's tolerance in its ceil() calls

# applications.py APPLICATIONS: epochs per application, and yolov3's max_local_bsz
SETTINGS: dict[str, dict[str, int]] = {
    "bert": {"max_epochs": 2},
    "cifar10": {"max_epochs": 100},
    "ncf": {"max_epochs": 10},
    "imagenet": {"max_epochs": 90},
    "deepspeech2": {"max_epochs": 80},
    "yolov3": {"max_epochs": 50, "max_local_bsz": 8},
}


@dataclass(frozen=True)
class Curve:
    """Step and sync time (s) measured at increasing local batch sizes, for one placement
    or one (nodes, replicas) pair."""

    local_bsz: np.ndarray
    step_time: np.ndarray
    sync_time: np.ndarray

    def at(self, local_bsz: float, what: str) -> tuple[float, float]:
        lo, hi = float(self.local_bsz[0]), float(self.local_bsz[-1])
        if not lo <= local_bsz <= hi:
            raise ValueError(f"{what}: local batch size {local_bsz:g} outside the measured {lo:g}..{hi:g}")
        return (float(np.interp(local_bsz, self.local_bsz, self.step_time)),
                float(np.interp(local_bsz, self.local_bsz, self.sync_time)))


@dataclass(frozen=True)
class Application:
    """One application's traces, as the simulator's `Application` holds them."""

    name: str
    batch_sizes: np.ndarray  # (B,) validated batch sizes, increasing
    progress: np.ndarray  # (B, E) progress at the end of each epoch, per batch size
    grad_sqr: np.ndarray  # (B, E)
    grad_var: np.ndarray  # (B, E)
    max_epochs: int
    init_batch_size: int
    max_batch_size: int
    min_local_bsz: int
    max_local_bsz: int
    placements: dict[str, Curve]  # canonical placement id -> curve
    by_counts: dict[tuple[int, int], Curve]  # (nodes, replicas) -> curve (means of placements + scalability)

    def epoch_ends(self) -> np.ndarray:
        """P(0..E): the progress at which each epoch ends (`get_progress`), P(0) = 0."""
        return np.concatenate([[0.0], self.progress[:, : self.max_epochs].min(axis=0)])


def _read_rows(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if r and any(c.strip() for c in r)]
    return header, np.array([[float(c) for c in r] for r in body], dtype=np.float64).reshape(len(body), len(header))


def _curves(keys: list, lbs: np.ndarray, step: np.ndarray, sync: np.ndarray) -> dict:
    """Group rows by key; within a key, average repeated local batch sizes and sort by them."""
    codes = {}
    code = np.array([codes.setdefault(k, len(codes)) for k in keys], dtype=np.int64)
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(codes) + 1))
    out = {}
    for key, c in codes.items():
        idx = order[bounds[c]: bounds[c + 1]]
        x, inv = np.unique(lbs[idx], return_inverse=True)
        n = np.bincount(inv)
        out[key] = Curve(x, np.bincount(inv, step[idx]) / n, np.bincount(inv, sync[idx]) / n)
    return out


def load_application(trace_dir: str | Path, name: str | None = None) -> Application:
    """Read `traces/<name>/` (placements.csv, scalability.csv, validation-*.csv)."""
    trace_dir = Path(trace_dir)
    name = name or trace_dir.name
    if name not in SETTINGS:
        raise ValueError(f"unknown Pollux application {name!r} (known: {', '.join(SETTINGS)})")
    files = sorted(trace_dir.glob("validation-*.csv"), key=lambda p: int(p.stem.split("-")[-1]))
    if not files:
        raise ValueError(f"{trace_dir}: no validation-*.csv")
    tables = []
    for path in files:
        header, data = _read_rows(path)
        tables.append({h: data[:, i] for i, h in enumerate(header)})
    n_rows = min(len(t["progress"]) for t in tables)
    settings = SETTINGS[name]
    max_epochs = settings.get("max_epochs", n_rows)
    if max_epochs > n_rows:
        raise ValueError(f"{trace_dir}: {n_rows} epochs recorded, {max_epochs} needed")

    def stack(col: str) -> np.ndarray:
        return np.stack([t[col][:n_rows] for t in tables])

    batch_sizes = np.array([int(p.stem.split("-")[-1]) for p in files])

    header, pl = _read_rows(trace_dir / "placements.csv")
    col = {h: i for i, h in enumerate(header)}
    ids = [str(int(v)) for v in pl[:, col["placement"]]]
    lbs, step, sync = pl[:, col["local_bsz"]], pl[:, col["step_time"]], pl[:, col["sync_time"]]
    counts = [(len(p), sum(map(int, p))) for p in ids]
    header_s, sc = _read_rows(trace_dir / "scalability.csv")
    cs = {h: i for i, h in enumerate(header_s)}
    sc_counts = [(int(a), int(b)) for a, b in zip(sc[:, cs["num_nodes"]], sc[:, cs["num_replicas"]])]
    # the placements' means per (nodes, replicas, local batch), then the scalability rows
    by_counts = _curves(counts, lbs, step, sync)
    scal = _curves(sc_counts, sc[:, cs["local_bsz"]], sc[:, cs["step_time"]], sc[:, cs["sync_time"]])
    for key, curve in scal.items():
        if key in by_counts:  # (does not happen in the artifact: scalability starts at 6 nodes)
            old = by_counts[key]
            keys = [key] * (old.local_bsz.size + curve.local_bsz.size)
            curve = _curves(keys, np.r_[old.local_bsz, curve.local_bsz], np.r_[old.step_time, curve.step_time],
                            np.r_[old.sync_time, curve.sync_time])[key]
        by_counts[key] = curve

    return Application(
        name=name,
        batch_sizes=batch_sizes,
        progress=stack("progress"),
        grad_sqr=stack("grad_sqr"),
        grad_var=stack("grad_var"),
        max_epochs=max_epochs,
        init_batch_size=int(batch_sizes.min()),
        max_batch_size=int(batch_sizes.max()),
        min_local_bsz=int(lbs.min()),
        max_local_bsz=int(settings.get("max_local_bsz", lbs.max())),
        placements=_curves(ids, lbs, step, sync),
        by_counts=by_counts,
    )


def load_applications(traces_dir: str | Path, names: list[str] | None = None) -> dict[str, Application]:
    """Every application folder under `traces_dir` (or the ones named)."""
    traces_dir = Path(traces_dir)
    names = names or [n for n in SETTINGS if (traces_dir / n).is_dir()]
    return {n: load_application(traces_dir / n, n) for n in names}


def consolidated_placement(num_replicas: int, gpus_per_node: int = GPUS_PER_NODE) -> tuple[int, ...]:
    """GPUs per node when a gang fills whole nodes first: 6 -> (4, 2), 12 -> (4, 4, 4)."""
    if num_replicas <= 0:
        raise ValueError("num_replicas must be positive")
    full, rest = divmod(num_replicas, gpus_per_node)
    return (gpus_per_node,) * full + ((rest,) if rest else ())


def placement_id(placement: tuple[int, ...]) -> str:
    """The simulator's key of a placement: the smallest rotation of its non-zero counts, as digits."""
    p = tuple(int(x) for x in placement if x)
    if not p or any(x > 9 for x in p):
        raise ValueError(f"placement {placement!r}: per-node counts must be 1..9")
    return "".join(map(str, min(p[i:] + p[:i] for i in range(len(p)))))


def batch_split(app: Application, num_replicas: int, batch_size: int) -> tuple[int, int, int]:
    """(atomic_bsz, accum_steps, total batch) for a fixed target batch size (`update_local_bsz`)."""
    local = math.ceil(batch_size / num_replicas - EPS)
    accum = math.ceil(local / app.max_local_bsz - EPS) - 1
    if num_replicas == 1 and batch_size > app.init_batch_size:
        accum = max(1, accum)
    atomic = math.ceil(local / (accum + 1) - EPS)
    atomic = min(atomic, int(app.max_batch_size / (num_replicas * (accum + 1))))
    return atomic, accum, num_replicas * atomic * (accum + 1)


def step_times(app: Application, placement: tuple[int, ...], local_bsz: float) -> tuple[float, float]:
    """(step_time, sync_time) in seconds of one pass at `local_bsz` per GPU (`get_throughput`)."""
    pid = placement_id(placement)
    curve = app.placements.get(pid)
    if curve is not None:
        return curve.at(local_bsz, f"{app.name} placement {pid}")
    nodes = min(len(pid), 16)  # (the simulator caps the node count at 16)
    replicas = sum(map(int, pid))
    curve = app.by_counts.get((nodes, replicas))
    if curve is None:
        raise ValueError(f"{app.name}: placement {pid} ({nodes} nodes, {replicas} GPUs) was not measured; "
                         "the simulator interpolates in 3-D there, which this model does not")
    return curve.at(local_bsz, f"{app.name} on {nodes} nodes x {replicas} GPUs")


def grad_stats(app: Application, batch_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch (grad_sqr, grad_var) at `batch_size`, linear between validated sizes (`get_grad_stats`)."""
    bs = app.batch_sizes
    if not bs[0] <= batch_size <= bs[-1]:
        raise ValueError(f"{app.name}: batch size {batch_size:g} outside the validated {bs[0]}..{bs[-1]}")
    hi = int(np.searchsorted(bs, batch_size, side="left"))
    e = app.max_epochs
    if bs[hi] == batch_size:
        return app.grad_sqr[hi, :e], app.grad_var[hi, :e]
    lo = hi - 1
    w = (batch_size - bs[lo]) / (bs[hi] - bs[lo])
    return ((1 - w) * app.grad_sqr[lo, :e] + w * app.grad_sqr[hi, :e],
            (1 - w) * app.grad_var[lo, :e] + w * app.grad_var[hi, :e])


def epoch_times_s(app: Application, num_replicas: int, batch_size: int,
                  placement: tuple[int, ...] | None = None) -> np.ndarray:
    """Seconds each epoch takes at a fixed batch size on `placement` (default: consolidated)."""
    placement = placement or consolidated_placement(num_replicas)
    if sum(placement) != num_replicas:
        raise ValueError(f"placement {placement} holds {sum(placement)} GPUs, not {num_replicas}")
    atomic, accum, total = batch_split(app, num_replicas, batch_size)
    step, sync = step_times(app, placement, atomic)
    optimizer_step_s = step + accum * (step - sync)
    sqr, var = grad_stats(app, total)
    scale = total / app.init_batch_size
    gain = (var + sqr) / (var / scale + sqr)
    return np.diff(app.epoch_ends()) * optimizer_step_s / gain


def run_time_s(app: Application, num_replicas: int, batch_size: int,
               placement: tuple[int, ...] | None = None, whole_seconds: bool = True) -> float:
    """Seconds of training from start to the last epoch's end, without the 30 s rescale.

    `whole_seconds`: each epoch rounded to a whole second (half to even), as the simulator's
    `Job.step` does (`delta = round(...)`: a run that starts on a whole second and keeps
    its placement ends each epoch on one); without it, the exact sum."""
    times = epoch_times_s(app, num_replicas, batch_size, placement)
    return float(np.round(times).sum() if whole_seconds else times.sum())


def run_times_s(apps: dict[str, Application], application, num_replicas, batch_size) -> np.ndarray:
    """`run_time_s` of many jobs on consolidated placements (each distinct configuration once)."""
    keys = list(zip(np.asarray(application).tolist(), np.asarray(num_replicas).tolist(),
                    np.asarray(batch_size).tolist()))
    memo = {k: run_time_s(apps[k[0]], int(k[1]), int(k[2])) for k in dict.fromkeys(keys)}
    return np.array([memo[k] for k in keys], dtype=np.float64)
