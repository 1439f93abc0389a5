"""Alibaba GPU cluster trace 2023 pod lists: `openb_pod_list_*.csv` (alibaba/clusterdata cluster-trace-gpu-v2023).

Columns (header required, order free, other columns ignored):

  name            pod name, e.g. `openb-pod-0017`                            required
  num_gpu         GPUs requested, an integer 0-8 (0: a CPU-only pod)         required
  gpu_milli       thousandths of each GPU, 1-1000 (below 1000 only when
                  num_gpu is 1: a GPU-sharing pod)                           required
  gpu_spec        acceptable GPU types separated by `|`; empty for any       optional
  qos             LS, BE, Burstable or Guaranteed                            optional
  pod_phase       Running, Succeeded, Failed or Pending at the end           optional
  creation_time   seconds on the trace's clock                               optional
  scheduled_time  seconds; empty for a pod never scheduled (Pending)         optional
  deletion_time   seconds                                                    optional
  cpu_milli, memory_mib                                                      (not kept)

The `multigpu*` lists have only name, cpu_milli, memory_mib, num_gpu and gpu_milli: no
times, so `arrival_s` and `duration_s` are null there.

Matched against alibaba/clusterdata `cluster-trace-gpu-v2023/pod_csv_to_yaml.py`
(`output_pod`, the converter to the Kubernetes scheduler simulator's pod YAML) and the
trace's README: `gpu_milli` is per GPU ("1000 == 1 GPU"), a pod with `num_gpu == 0`
carries no GPU request, `gpu_spec` is split on `|` with empty parts dropped, and the
times are in seconds. The converter clamps `gpu_milli` above 1000 to 1000; this
importer reports such a value as an error instead.

Mapping: `job_id` = name; `gpus` = num_gpu × gpu_milli / 1000 (0.46 for a pod sharing
46% of one GPU); `gpu_milli` as given; `gpu_type` = gpu_spec (names checked against the
trace's GPU models: A10, G1, G2, G3, P100, T4, V100M16, V100M32; G1-G3 are undisclosed
internal codes); `qos` = qos; `status` = pod_phase; `arrival_s` = creation_time as
written (lists sampled from the default one keep its clock, so they stay comparable);
`duration_s` = deletion_time - scheduled_time, the time the pod held its resources,
null for a pod never scheduled. `pod_phase` is the phase the pod was in when deleted
(most GPU pods were deleted while Running: services); the few deleted at the trace's
last timestamp may have been cut off by its end. `duration_hw` is the
GPU type when gpu_spec names exactly one, else null (the trace does not record the node
a pod ran on). CPU-only pods (num_gpu 0) are left out and counted in the report.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orbitgrid.workload.traces._tabular import Checks, empty_to_null, open_csv
from orbitgrid.workload.traces.schema import JOB_SCHEMA, build_table

FORMAT = "alibaba"
REQUIRED = ("name", "num_gpu", "gpu_milli")
OPTIONAL = ("gpu_spec", "qos", "pod_phase", "creation_time", "scheduled_time", "deletion_time")
GPU_MODELS = ("A10", "G1", "G2", "G3", "P100", "T4", "V100M16", "V100M32")
FILTERED_REASON = "CPU-only pods, num_gpu 0"


def parse(raw: bytes, file: str):
    cells, ck = open_csv(raw, file, REQUIRED, OPTIONAL)

    name = ck.required_text("name")
    num_gpu = ck.number("num_gpu", integer=True)
    ck.at_least(num_gpu, "num_gpu", 0.0, strict=False)
    milli = ck.number("gpu_milli", integer=True)
    gpu_pod = np.isfinite(num_gpu) & (num_gpu > 0)
    with np.errstate(invalid="ignore"):
        ck.flag(gpu_pod & np.isfinite(milli) & (milli <= 0), "gpu_milli",
                lambda i: f"must be > 0 for a pod with num_gpu {cells.raw('num_gpu', i).strip()}, "
                f"got {cells.raw('gpu_milli', i).strip()} (zero GPUs)")
        ck.flag(np.isfinite(milli) & (milli > 1000), "gpu_milli",
                lambda i: f"must be <= 1000 (thousandths of one GPU), got {cells.raw('gpu_milli', i).strip()}")
        ck.flag(gpu_pod & (num_gpu > 1) & np.isfinite(milli) & (milli > 0) & (milli < 1000), "gpu_milli",
                lambda i: f"a fraction of a GPU ({cells.raw('gpu_milli', i).strip()}) only for a single-GPU pod, "
                f"this one asks for {cells.raw('num_gpu', i).strip()}")

    spec = _gpu_spec(ck, cells)
    qos = empty_to_null(ck.text("qos")) if cells.has("qos") else None
    phase = empty_to_null(ck.text("pod_phase")) if cells.has("pod_phase") else None

    created = ck.number("creation_time", required=False)
    ck.at_least(created, "creation_time", 0.0, strict=False, what=" s")
    scheduled = ck.number("scheduled_time", required=False)
    deleted = ck.number("deletion_time", required=False)
    with np.errstate(invalid="ignore"):
        ck.flag(scheduled < created, "scheduled_time",
                lambda i: f"{cells.raw('scheduled_time', i).strip()} is before creation_time "
                f"{cells.raw('creation_time', i).strip()}")
        ck.flag(deleted < scheduled, "deletion_time",
                lambda i: f"{cells.raw('deletion_time', i).strip()} is before scheduled_time "
                f"{cells.raw('scheduled_time', i).strip()} (negative duration)")
        ck.flag(np.isnan(scheduled) & (deleted < created), "deletion_time",
                lambda i: f"{cells.raw('deletion_time', i).strip()} is before creation_time "
                f"{cells.raw('creation_time', i).strip()}")
    duration = deleted - scheduled

    def build(good: np.ndarray):
        keep = good & gpu_pod
        idx = pa.array(np.flatnonzero(keep))
        n = int(keep.sum())
        spec_kept = spec.take(idx)
        single = pc.and_(pc.is_valid(spec_kept), pc.invert(pc.match_substring(spec_kept, "|")))
        table = build_table(
            JOB_SCHEMA, n, {"format": FORMAT, "duration_hardware": "the pod's GPU type when gpu_spec names one"},
            job_id=name.take(idx),
            arrival_s=created[keep],
            gpus=num_gpu[keep] * milli[keep] / 1000.0,
            gpu_milli=milli[keep],
            duration_s=duration[keep],
            duration_hw=pc.if_else(single, spec_kept, pa.scalar(None, pa.string())),
            gpu_type=spec_kept,
            qos=None if qos is None else qos.take(idx),
            status=None if phase is None else phase.take(idx),
            source_format=FORMAT,
            source_line=cells.lines[keep],
        )
        return table, {"filtered": int((good & ~gpu_pod).sum()), "filtered_reason": FILTERED_REASON}

    return cells, ck, build


def _gpu_spec(ck: Checks, cells) -> pa.Array:
    """gpu_spec normalised (empty parts dropped, `|`-joined; null for any), unknown models flagged."""
    text = ck.text("gpu_spec")
    if text is None:
        return pa.nulls(len(cells), pa.string())
    uniques = pc.unique(text).to_pylist()
    normal: dict[str, str | None] = {}
    unknown: dict[str, str] = {}
    for value in uniques:
        parts = [p.strip() for p in value.split("|") if p.strip()]
        bad = [p for p in parts if p not in GPU_MODELS]
        if bad:
            unknown[value] = bad[0]
        normal[value] = "|".join(parts) or None
    if unknown:
        mask = pc.is_in(text, value_set=pa.array(list(unknown))).to_numpy(zero_copy_only=False)
        ck.flag(mask, "gpu_spec", lambda i: f"unknown GPU type {unknown[cells.raw('gpu_spec', i).strip()]!r} "
                f"(known: {', '.join(GPU_MODELS)})")
    keys = pa.array(list(normal), pa.string())
    values = pa.array(list(normal.values()), pa.string())
    return values.take(pc.index_in(text, value_set=keys))
