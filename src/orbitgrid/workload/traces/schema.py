"""The normalised tables every trace importer produces, and the report of an import.

Jobs (one row per job, `JOB_SCHEMA`), in the file's order (not sorted by arrival):

  job_id        string   the trace's name for the job; traces without one get the
                         0-based index of the record among the file's data records
  arrival_s     float64  submission time, s: relative to the earliest arrival where the
                         trace gives absolute timestamps (Philly), else the trace's own
                         offset (Gavel, Pollux, Tiresias, Alibaba); null if the trace has none
  gpus          float64  GPUs requested: an integer for a gang job, a fraction for a
                         GPU-sharing pod (num_gpu × gpu_milli / 1000)
  gpu_milli     int32    thousandths of each GPU the job uses: 1000 unless it shares one
  duration_s    float64  run time observed in the trace, s, on the trace's own hardware;
                         null where the trace gives work instead (Gavel) or nothing (Pollux)
  duration_hw   string   the GPU type that duration was measured on, when known; null if
                         the trace does not say (Philly's clusters mixed 12 GB and 24 GB GPUs)
  work          float64  work to do when the trace gives it in steps or iterations
  work_unit     string   "steps" (Gavel), "iterations" (Tiresias), or null
  job_type      string   model or job type (Gavel job type, Pollux application, ...)
  batch_size    int64    global batch size when the trace gives one
  gpu_type      string   acceptable GPU types separated by `|`, null for any
  qos           string   QoS class (Alibaba: LS, BE, Burstable, Guaranteed)
  priority      float64  priority weight (Gavel)
  tenant        string   tenant, user or virtual cluster (Philly: the VC id)
  status        string   final state recorded by the trace (Alibaba pod_phase)
  source_format string   the importer that read it
  source_line   int64    the line of the file the job came from

Gavel's throughput matrix (one row per measurement, `THROUGHPUT_SCHEMA`): worker_type,
job_type, scale_factor, consolidated, throughput (steps/s of the whole job), and for a
colocated pair the other job's type, scale factor and throughput; source_line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from orbitgrid.errors import Problem

SCHEMA_VERSION = 1
METADATA_KEY = b"orbitgrid.trace"

JOB_SCHEMA = pa.schema([
    pa.field("job_id", pa.string(), nullable=False),
    pa.field("arrival_s", pa.float64()),
    pa.field("gpus", pa.float64(), nullable=False),
    pa.field("gpu_milli", pa.int32(), nullable=False),
    pa.field("duration_s", pa.float64()),
    pa.field("duration_hw", pa.string()),
    pa.field("work", pa.float64()),
    pa.field("work_unit", pa.string()),
    pa.field("job_type", pa.string()),
    pa.field("batch_size", pa.int64()),
    pa.field("gpu_type", pa.string()),
    pa.field("qos", pa.string()),
    pa.field("priority", pa.float64()),
    pa.field("tenant", pa.string()),
    pa.field("status", pa.string()),
    pa.field("source_format", pa.string(), nullable=False),
    pa.field("source_line", pa.int64(), nullable=False),
])

THROUGHPUT_SCHEMA = pa.schema([
    pa.field("worker_type", pa.string(), nullable=False),
    pa.field("consolidated", pa.bool_(), nullable=False),
    pa.field("job_type", pa.string(), nullable=False),
    pa.field("scale_factor", pa.int32(), nullable=False),
    pa.field("throughput", pa.float64(), nullable=False),
    pa.field("colocated_job_type", pa.string()),
    pa.field("colocated_scale_factor", pa.int32()),
    pa.field("colocated_throughput", pa.float64()),
    pa.field("source_format", pa.string(), nullable=False),
    pa.field("source_line", pa.int64(), nullable=False),
])


def _column(value, n: int, typ: pa.DataType) -> pa.Array:
    if value is None:
        return pa.nulls(n, typ)
    if isinstance(value, (str, int, float)):
        return pa.repeat(pa.scalar(value, typ), n)
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return value.cast(typ)
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return pa.array(arr, pa.float64(), mask=np.isnan(arr)).cast(typ)
    return pa.array(arr, typ)


def build_table(schema: pa.Schema, n: int, metadata: dict[str, object], **columns) -> pa.Table:
    """A table of `schema` with `n` rows: each column an array, a constant, or None (all null).

    Float arrays become nulls where NaN (also when cast to an integer type).
    """
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise KeyError(f"not in the schema: {sorted(unknown)}")
    arrays = [_column(columns.get(f.name), n, f.type) for f in schema]
    meta = {METADATA_KEY: json.dumps({"schema_version": SCHEMA_VERSION, **metadata}, sort_keys=True).encode()}
    return pa.Table.from_arrays(arrays, schema=schema.with_metadata(meta))


def trace_metadata(table: pa.Table) -> dict[str, object]:
    """What an import recorded about its source (format, file, time origin, hardware), from the table."""
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    return json.loads(raw) if raw else {}


@dataclass
class ImportReport:
    """What an import read, kept, skipped and left out, with a few numbers about the jobs."""

    format: str
    file: str
    rows_read: int = 0
    rows_written: int = 0
    rows_skipped: int = 0  # malformed rows skipped with skip_bad
    skipped: list[Problem] = field(default_factory=list)  # the first few of them
    rows_filtered: int = 0  # well-formed rows that are not GPU jobs (Alibaba CPU-only pods)
    filtered_reason: str | None = None
    seconds: float = 0.0
    stats: dict[str, object] = field(default_factory=dict)

    def summary_line(self, out: str | None = None) -> str:
        line = (f"{self.file}: {self.format}: read {self.rows_read:,} rows, wrote {self.rows_written:,}, "
                f"skipped {self.rows_skipped:,}")
        if self.rows_filtered:
            line += f", left out {self.rows_filtered:,} ({self.filtered_reason})"
        if out is not None:
            line += f" -> {out}"
        return line + f" ({self.seconds:.2f} s)"

    def skipped_line(self) -> str | None:
        if not self.rows_skipped:
            return None
        lines = ", ".join(str(p.line) for p in self.skipped if p.line)
        more = "" if self.rows_skipped <= len(self.skipped) else ", ..."
        first = self.skipped[0]
        what = f"{first.path}: {first.message}" if first.path else first.message
        return f"skipped {self.rows_skipped:,} bad row(s) at lines {lines}{more} (first: {what})"

    def stats_line(self) -> str:
        s = self.stats
        if self.format == "gavel-throughputs":
            return (f"{s['worker_types']} worker types, {s['job_types']} job types (with scale factors), "
                    f"{s['isolated']:,} isolated and {s['colocated']:,} colocated throughputs")
        parts = [f"jobs {s.get('jobs', 0):,}"]
        if not s.get("jobs"):
            return parts[0]
        gh = s.get("gpu_hours")
        if gh is None:
            parts.append("GPU-hours n/a (no durations: " + str(s.get("work_note", "the trace gives none")) + ")")
        else:
            missing = s.get("jobs_without_duration", 0)
            parts.append(f"GPU-hours {gh:,.0f}" + (f" ({missing:,} jobs without a duration)" if missing else ""))
        span = s.get("span_s")
        if span is None:
            parts.append("span n/a (no arrival times)")
        else:
            origin = s.get("arrival_origin")
            parts.append(f"span {_duration(span)}" + (f" from {origin}" if origin else ""))
        if s.get("gpus_min") is not None:
            lo, hi = s["gpus_min"], s["gpus_max"]
            parts.append(f"GPUs per job {lo:g}" + (f"-{hi:g}" if hi != lo else ""))
        if s.get("tenants"):
            parts.append(f"{s['tenants']:,} tenants")
        return " | ".join(parts)


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds:,.0f} s"


def job_stats(table: pa.Table, arrival_origin: str | None = None, work_note: str | None = None) -> dict[str, object]:
    """Jobs, GPU-hours (where durations are known), arrival span, GPUs per job, tenants."""
    n = table.num_rows
    stats: dict[str, object] = {"jobs": n}
    gpus = table.column("gpus").to_numpy()
    dur = table.column("duration_s").to_numpy(zero_copy_only=False).astype(np.float64)
    known = np.isfinite(dur)
    stats["gpu_hours"] = float((gpus[known] * dur[known]).sum() / 3600.0) if known.any() else None
    stats["jobs_without_duration"] = int((~known).sum())
    arr = table.column("arrival_s").to_numpy(zero_copy_only=False).astype(np.float64)
    arr = arr[np.isfinite(arr)]
    stats["span_s"] = float(arr.max() - arr.min()) if arr.size else None
    stats["arrival_origin"] = arrival_origin
    stats["gpus_min"] = float(gpus.min()) if n else None
    stats["gpus_max"] = float(gpus.max()) if n else None
    tenants = table.column("tenant")
    stats["tenants"] = len(tenants.unique()) - (1 if tenants.null_count else 0) if n else 0
    if work_note:
        stats["work_note"] = work_note
    return stats
