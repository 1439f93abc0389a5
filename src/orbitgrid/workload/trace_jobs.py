"""Jobs of a public trace (workload/traces) as a scenario's JobTable.

A trace gives each job its arrival, gang size and how long it ran on the trace's own
hardware. Work, the engine's unit, is reference-GPU-seconds: a job that ran `duration`
seconds on `gpus` GPUs of type M did duration × gpus × speed(M) / speed(reference) of it,
so on GPUs of type M it runs for exactly its trace duration again. `measured_on` names M
(default: the scenario's reference GPU), since most traces do not say (Philly's
clusters mixed generations). Arrivals are taken from `start_h` hours into the trace,
optionally compressed by `arrival_scale` (2 = twice the arrival rate).

Rows the engine cannot run are left out and counted, never guessed: jobs with no
duration (Pollux jobs run to convergence; Gavel's give steps, which need the throughput
matrix), and GPU-type constraints that `gpu_types` does not map to catalogue names.
Fractional-GPU pods (Alibaba) take a whole GPU each: the engine allocates whole GPUs.
"""

from __future__ import annotations

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


def jobs_from_trace(spec: TraceSpec, path: Path, speed_of: dict[str, float], reference_gpu: str,
                    file_label: str | None = None) -> tuple[JobTable, TraceJobsNote]:
    """The trace's runnable jobs, in arrival order; `speed_of` maps GPU names to BF16 TFLOPS."""
    from orbitgrid.workload.traces import read_trace

    if spec.format not in ("philly", "gavel", "pollux", "tiresias", "alibaba"):
        raise InputError([Problem(file_label or str(path), None, "workload.trace.format",
                                  f"{spec.format!r} is not a job trace")])
    table, _ = read_trace(spec.format, path, skip_bad=spec.skip_bad, display_name=file_label)
    n = table.num_rows
    arrival = table.column("arrival_s").to_numpy(zero_copy_only=False).astype(float)
    duration = pc.fill_null(table.column("duration_s"), math.nan).to_numpy(zero_copy_only=False).astype(float)
    gpus_f = table.column("gpus").to_numpy(zero_copy_only=False).astype(float)
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
    unmapped_rows = keep & code_unmapped[raw_index]
    unmapped = int(unmapped_rows.sum())
    keep &= ~unmapped_rows
    gang = np.ceil(gpus_f).astype(np.int64)
    if (gang[keep] > MAX_GPUS).any():
        raise InputError([Problem(file_label or str(path), None, "gpus", f"a job asks for more than {MAX_GPUS:,} GPUs")])
    ratio = speed_of[spec.measured_on or reference_gpu] / speed_of[reference_gpu]
    work = duration * gang * ratio
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
    note = TraceJobsNote(rows=n, used=int(order.size), no_duration=int((~has).sum()),
                         before_start=int((has & ~after).sum()),
                         rounded_up=int((keep & (gpus_f != np.floor(gpus_f))).sum()), unmapped_types=unmapped)
    return jobs, note


def _codes(column) -> tuple[list, np.ndarray]:
    """(distinct values, None included, in first-seen order; each row's index into them)."""
    encoded = pc.dictionary_encode(column.combine_chunks() if hasattr(column, "combine_chunks") else column,
                                   null_encoding="encode")
    values = encoded.dictionary.to_pylist()
    return values, encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
