"""Jobs of a public trace (workload/traces) as a scenario's JobTable.

A trace gives each job its arrival, gang size and how long it ran on the trace's own
hardware. Work, the engine's unit, is reference-GPU-seconds: a job that ran `duration`
seconds on `gpus` GPUs of type M did duration × gpus × speed(M) / speed(reference) of it,
so on GPUs of type M it runs for exactly its trace duration again. `measured_on` names M
(default: the scenario's reference GPU), since most traces do not say (Philly's
clusters mixed generations). Arrivals are taken from `start_h` hours into the trace,
optionally compressed by `arrival_scale` (2 = twice the arrival rate).

Gavel traces give steps, not times: with the throughput matrix (`throughputs`, Gavel's
`simulation_throughputs.json`) each distinct (job type, scale factor) becomes a speed
class (JobTable) whose speed on each matrix worker type that `gpu_types` maps to a
catalogue GPU (`v100: V100`) is its measured isolated steps/s there, and the job runs
exactly `steps / throughput` seconds on that type, as in Gavel's simulator. Work is
counted on an anchor type A (the reference GPU if the matrix has it, else the mapped type
fastest in the catalogue on which the job runs): work = steps / thr_A x gang x
speed(A)/speed(reference), speed on type k = thr_k / thr_A x speed(A)/speed(reference).
GPU types outside the matrix run such a job at catalogue speed. Only consolidated
measurements are used (Gavel's `*_unconsolidated` rows, workers spread over servers, are
not); a job whose configuration does not run on a type (throughput 0) may not use that
type, so it is restricted to the matrix types where it runs.

Rows the engine cannot run are left out and counted, never guessed: jobs with no
duration (Pollux jobs run to convergence), Gavel jobs whose (type, scale factor) the
matrix does not list or that run on no mapped type, and GPU-type constraints that
`gpu_types` does not map to catalogue names.

GPU-sharing pods (Alibaba: one GPU, `gpu_milli` below 1000) become fractional jobs that
share GPUs with others (engine/sharing.py): work = duration x gpu_milli/1000 (x the
measured_on ratio), done at gpu_milli/1000 of a GPU's speed, so the pod runs its trace
duration again. A pod asking for several GPUs at a fraction each (none in the 2023 trace)
takes whole GPUs and is counted as rounded up.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from orbitgrid.errors import InputError, Problem
from orbitgrid.scenario import MAX_GPUS, TraceSpec
from orbitgrid.workload.jobs import ANY_GPU, JobTable


@dataclass(frozen=True)
class TraceJobsNote:
    """What became of the trace's rows."""

    rows: int
    used: int
    no_duration: int
    before_start: int
    rounded_up: int
    unmapped_types: int
    fractional: int = 0  # jobs that use part of one GPU
    no_throughput: int = 0  # Gavel jobs the matrix cannot time (unlisted, or no mapped type runs them)


def jobs_from_trace(spec: TraceSpec, path: Path, speed_of: dict[str, float], reference_gpu: str,
                    file_label: str | None = None, throughputs_path: Path | None = None,
                    ) -> tuple[JobTable, TraceJobsNote]:
    """The trace's runnable jobs, in arrival order; `speed_of` maps GPU names to BF16 TFLOPS.
    `throughputs_path` is the Gavel matrix file (`spec.throughputs` resolved)."""
    from orbitgrid.workload.traces import read_trace

    if spec.format not in ("philly", "gavel", "pollux", "tiresias", "alibaba"):
        raise InputError([Problem(file_label or str(path), None, "workload.trace.format",
                                  f"{spec.format!r} is not a job trace")])
    table, _ = read_trace(spec.format, path, skip_bad=spec.skip_bad, display_name=file_label)
    n = table.num_rows
    arrival = table.column("arrival_s").to_numpy(zero_copy_only=False).astype(float)
    duration = pc.fill_null(table.column("duration_s"), math.nan).to_numpy(zero_copy_only=False).astype(float)
    gpus_f = table.column("gpus").to_numpy(zero_copy_only=False).astype(float)
    classes = None
    if spec.format == "gavel":
        if throughputs_path is None:
            raise InputError([Problem(file_label or str(path), None, "workload.trace.throughputs",
                                      "a Gavel trace needs its throughput matrix")])
        classes = _gavel_classes(table, spec, throughputs_path, speed_of, reference_gpu)
        duration = classes.steps_s  # seconds on the anchor type: NaN where the matrix cannot say
    has = np.isfinite(duration) & (duration > 0) & np.isfinite(arrival)
    t0 = spec.start_h * 3600.0
    after = arrival >= t0
    keep = has & after
    # GPU-type constraints, mapped to catalogue names: once per distinct value, not per row
    raw_types, raw_index = _codes(table.column("gpu_type"))
    type_sets: dict[tuple[str, ...], int] = {(ANY_GPU,): 0}
    code_set = np.zeros(len(raw_types), dtype=np.int32)
    code_unmapped = np.zeros(len(raw_types), dtype=bool)
    for c, raw in enumerate(raw_types):
        if raw is None:
            continue
        names = tuple(sorted({spec.gpu_types.get(t, "") for t in str(raw).split("|")} - {""}))
        if names:
            code_set[c] = type_sets.setdefault(names, len(type_sets))
        else:
            code_unmapped[c] = True
    ts = code_set[raw_index]
    if classes is not None:  # jobs restricted to the matrix types they run on
        set_of_class = np.array([type_sets.setdefault(t, len(type_sets)) if t else 0 for t in classes.type_sets]
                                + [0], dtype=np.int32)
        ts = np.where(classes.row_class >= 0, set_of_class[np.maximum(classes.row_class, 0)], ts)
    unmapped_rows = keep & code_unmapped[raw_index]
    unmapped = int(unmapped_rows.sum())
    keep &= ~unmapped_rows
    milli = pc.fill_null(table.column("gpu_milli"), 1000).to_numpy(zero_copy_only=False).astype(np.int64)
    fractional = (milli < 1000) & (gpus_f < 1.0)  # a share of one GPU
    gang = np.where(fractional, 1, np.ceil(gpus_f)).astype(np.int64)
    if (gang[keep] > MAX_GPUS).any():
        raise InputError([Problem(file_label or str(path), None, "gpus", f"a job asks for more than {MAX_GPUS:,} GPUs")])
    if classes is not None:
        ratio = classes.anchor_ratio[np.maximum(classes.row_class, 0)]
    else:
        ratio = speed_of[spec.measured_on or reference_gpu] / speed_of[reference_gpu]
    work = duration * np.where(fractional, gpus_f, gang) * ratio
    tenant_values, tenant = _codes(table.column("tenant"))
    tenant_names = [t if t is not None else "default" for t in tenant_values]
    prio = pc.fill_null(table.column("priority"), 0).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(keep)
    order = idx[np.argsort((arrival[idx] - t0), kind="stable")]
    if spec.limit is not None:
        order = order[: spec.limit]
    names = table.column("job_id").to_pylist()
    used_tenants, tenant_of = np.unique(tenant[order], return_inverse=True)  # only tenants with jobs
    jobs = JobTable(
        arrival_s=(arrival[order] - t0) / spec.arrival_scale,
        gpus=gang[order].astype(np.int32),
        work_ref_gpu_s=work[order],
        type_set=ts[order],
        priority=np.asarray(prio[order], dtype=float).round().astype(np.int32),
        tenant=tenant_of.astype(np.int32),
        type_sets=tuple(type_sets),
        tenants=tuple(tenant_names[k] for k in used_tenants.tolist()),
        names=tuple(f"{spec.format}:{names[i]}" for i in order.tolist()),
    )
    if fractional[order].any():
        jobs = dataclasses.replace(jobs, gpu_milli=np.where(fractional[order], milli[order], 1000).astype(np.int32))
    no_throughput = 0
    if classes is not None:
        used_classes, class_of = np.unique(classes.row_class[order], return_inverse=True)
        jobs = dataclasses.replace(jobs, speed_class=class_of.astype(np.int32), class_gpus=classes.gpus,
                                   class_speed=classes.speed[used_classes])
        no_throughput = int((classes.row_class < 0).sum())
    note = TraceJobsNote(rows=n, used=int(order.size), no_duration=int((~has).sum()) - no_throughput,
                         before_start=int((has & ~after).sum()),
                         rounded_up=int((keep & ~fractional & (gpus_f != np.floor(gpus_f))).sum()),
                         fractional=int((keep & fractional).sum()), unmapped_types=unmapped,
                         no_throughput=no_throughput)
    return jobs, note


@dataclass(frozen=True)
class _GavelClasses:
    """Speed classes of a Gavel trace's rows: one per distinct (job type, scale factor)."""

    row_class: np.ndarray  # int64 per row, -1: the matrix cannot time it
    steps_s: np.ndarray  # per row: seconds its steps take on its class's anchor type (NaN for -1)
    gpus: tuple[str, ...]  # catalogue names of the mapped matrix worker types
    speed: np.ndarray  # (C, len(gpus)) per-GPU speed relative to the reference GPU
    anchor_ratio: np.ndarray  # (C) speed(anchor) / speed(reference), catalogue
    type_sets: list[tuple[str, ...]]  # per class: the mapped types it runs on; () when all of them


def _gavel_classes(table, spec: TraceSpec, matrix_path: Path, speed_of: dict[str, float],
                   reference_gpu: str) -> _GavelClasses:
    from orbitgrid.workload.traces import read_trace

    label = spec.throughputs or str(matrix_path)
    matrix, _ = read_trace("gavel-throughputs", matrix_path, display_name=label)
    m = matrix.filter(pc.and_(matrix.column("consolidated"), pc.is_null(matrix.column("colocated_job_type"))))
    worker = m.column("worker_type").to_pylist()
    mapped = sorted({spec.gpu_types[w] for w in worker if w in spec.gpu_types})
    if not mapped:
        raise InputError([Problem(label, None, "workload.trace.gpu_types",
                                  f"maps none of the matrix's worker types ({', '.join(sorted(set(worker)))}) "
                                  "to a catalogue GPU (hint: gpu_types: {v100: V100, ...})")])
    missing = [g for g in mapped if g not in speed_of]
    if missing:
        raise InputError([Problem(label, None, "workload.trace.gpu_types",
                                  f"{', '.join(missing)} is not an accelerator of the catalogue or the scenario")])
    col = {g: i for i, g in enumerate(mapped)}
    thr_of: dict[tuple[str, int], np.ndarray] = {}
    for w, jt, sf, thr in zip(worker, m.column("job_type").to_pylist(), m.column("scale_factor").to_pylist(),
                              m.column("throughput").to_pylist()):
        if w in spec.gpu_types:
            thr_of.setdefault((jt, int(sf)), np.zeros(len(mapped)))[col[spec.gpu_types[w]]] = thr
    rel = np.array([speed_of[g] / speed_of[reference_gpu] for g in mapped])
    # one class per distinct (job type, scale factor): encoded once per distinct value, as
    # the GPU-type constraints are, not looked up per row
    type_values, type_index = _codes(table.column("job_type"))
    scale = table.column("gpus").to_numpy(zero_copy_only=False).astype(np.int64)
    pair = type_index * (int(scale.max(initial=0)) + 1) + scale
    pairs, first, pair_of_row = np.unique(pair, return_index=True, return_inverse=True)
    speeds, anchors, sets = [], [], []
    anchor_thr: list[float] = []
    class_of_pair = np.full(pairs.size, -1, dtype=np.int64)
    for k in np.argsort(first).tolist():  # in first-seen order
        r = int(first[k])
        thr = thr_of.get((type_values[type_index[r]], int(scale[r])))
        runs = thr > 0 if thr is not None else None
        if runs is None or not runs.any():
            continue  # the matrix cannot time it: class -1
        class_of_pair[k] = len(speeds)
        a = col[reference_gpu] if reference_gpu in col and runs[col[reference_gpu]] else \
            int(np.flatnonzero(runs)[np.argmax(rel[runs])])
        speeds.append(thr / thr[a] * rel[a])
        anchors.append(rel[a])
        anchor_thr.append(float(thr[a]))
        sets.append(() if runs.all() else tuple(g for g, ok in zip(mapped, runs) if ok))
    row_class = class_of_pair[pair_of_row.reshape(-1)]
    steps = pc.fill_null(table.column("work"), math.nan).to_numpy(zero_copy_only=False).astype(float)
    at = np.array(anchor_thr + [math.nan])  # index -1: NaN
    return _GavelClasses(
        row_class=row_class, steps_s=steps / at[row_class], gpus=tuple(mapped),
        speed=np.array(speeds).reshape(len(speeds), len(mapped)), anchor_ratio=np.array(anchors + [math.nan]),
        type_sets=sets,
    )


def _codes(column) -> tuple[list, np.ndarray]:
    """(distinct values, None included, in first-seen order; each row's index into them)."""
    encoded = pc.dictionary_encode(column.combine_chunks() if hasattr(column, "combine_chunks") else column,
                                   null_encoding="encode")
    values = encoded.dictionary.to_pylist()
    return values, encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
