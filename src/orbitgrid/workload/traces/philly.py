"""Philly-derived job list: `philly.csv` as shipped with the Pollux and Sia simulators.

Columns (header required, order free, other columns ignored):

  timestamp  submission time, `YYYY-MM-DD HH:MM:SS`, no time zone      required
  duration   run time, seconds                                         required
  num_gpus   GPUs of the gang (integer > 0)                            required
  gpu_time   duration × num_gpus, GPU-seconds (checked when present)   optional
  cluster    the Philly virtual cluster (VC) id                        optional

Matched against the loaders that read this file: siasosp23/artifacts
`sia-simulator/utils/generate_workload.py` (`generate_v2`) and petuum/adaptdl
(osdi21-artifact) `simulator/workload.py` (`generate`). Both do
`pandas.read_csv(trace_csv, parse_dates=["timestamp"])`, treat `duration` and
`gpu_time` as seconds (`trace.duration >= 60`, `trace.gpu_time < 1000 * 3600`) and keep
the timestamps naive. They then sample from it; this importer keeps every row, in file
order. The file has no job names: `job_id` is the 0-based data-row index (pandas' index).

`arrival_s` is seconds after the earliest timestamp kept (naive arithmetic: a
daylight-saving change in the source clock, if any, is not corrected); the origin is in
the report and in the table's metadata. `duration_s` is the run time on Philly's own
GPUs, a mix of 12 GB and 24 GB cards whose model the trace does not name, so
`duration_hw` is null. `cluster` becomes `tenant`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orbitgrid.workload.traces._tabular import empty_to_null, open_csv
from orbitgrid.workload.traces.schema import JOB_SCHEMA, build_table

FORMAT = "philly"
REQUIRED = ("timestamp", "duration", "num_gpus")
OPTIONAL = ("gpu_time", "cluster")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
HARDWARE_NOTE = "Philly's own GPUs (12 GB and 24 GB cards, model not named in the trace)"


def parse(raw: bytes, file: str):
    """(cells, checks, build) for the importer driver: build(good_mask) -> (table, metadata)."""
    cells, ck = open_csv(raw, file, REQUIRED, OPTIONAL)

    ts_text = ck.text("timestamp")
    ts = pc.strptime(ts_text, format=TIME_FORMAT, unit="s", error_is_null=True)
    empty = pc.equal(pc.utf8_length(ts_text), 0).to_numpy(zero_copy_only=False)
    ck.flag(empty, "timestamp", lambda i: "missing value")
    ck.flag(ts.is_null().to_numpy(zero_copy_only=False) & ~empty, "timestamp",
            lambda i: f"bad timestamp {cells.raw('timestamp', i).strip()!r} (expected YYYY-MM-DD HH:MM:SS)")
    seconds = pc.cast(ts.fill_null(0), pa.int64()).to_numpy().astype(np.float64)

    duration = ck.number("duration")
    ck.at_least(duration, "duration", 0.0, strict=False, what=" s")
    gpus = ck.number("num_gpus", integer=True)
    ck.at_least(gpus, "num_gpus", 0.0, strict=True)
    if cells.has("gpu_time"):
        gpu_time = ck.number("gpu_time", required=False)
        product = duration * gpus
        with np.errstate(invalid="ignore"):
            off = np.abs(gpu_time - product) > 1e-6 * np.maximum(1.0, np.abs(product))
            off &= np.isfinite(gpu_time) & np.isfinite(product)
        ck.flag(off, "gpu_time", lambda i: f"{cells.raw('gpu_time', i).strip()} is not duration × num_gpus = "
                f"{duration[i] * gpus[i]:g}")
    cluster = ck.text("cluster")

    def build(good: np.ndarray):
        origin = float(seconds[good].min()) if good.any() else 0.0
        origin_text = str(np.datetime64(int(origin), "s")).replace("T", " ") if good.any() else None
        idx = pa.array(np.flatnonzero(good))
        n = int(good.sum())
        table = build_table(
            JOB_SCHEMA, n, {"format": FORMAT, "arrival_origin": origin_text, "duration_hardware": HARDWARE_NOTE},
            job_id=pc.cast(pa.array(cells.record[good]), pa.string()),
            arrival_s=seconds[good] - origin,
            gpus=gpus[good],
            gpu_milli=1000,
            duration_s=duration[good],
            tenant=None if cluster is None else empty_to_null(cluster.take(idx)),
            source_format=FORMAT,
            source_line=cells.lines[good],
        )
        return table, {"arrival_origin": origin_text}

    return cells, ck, build

