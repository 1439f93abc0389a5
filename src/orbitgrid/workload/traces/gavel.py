"""Gavel job traces: tab-separated, no header, one job per line (`traces/msr/seed=*/<vc>.trace`).

Gavel's `parse_trace` has had three layouts over its history; the number of fields on
the first line says which one a file uses (every line must then have as many):

  7 fields  job_type, command, num_steps_arg, needs_data_dir, total_steps,
            arrival_time, scale_factor                         (the `traces/msr/` files)
  9 fields  job_type, command, num_steps_arg, needs_data_dir, total_steps,
            scale_factor, priority_weight, SLO, arrival_time
  10 fields job_type, command, working_directory, num_steps_arg, needs_data_dir,
            total_steps, scale_factor, priority_weight, SLO, arrival_time
                                                               (`traces/physical_cluster/`)

Matched against stanford-futuredata/gavel `scheduler/utils.py` `parse_trace`: the
7-field version is the one `scheduler/scripts/sweeps/run_throughput_vs_latency_msr_trace.py`
calls as `utils.parse_trace(input_trace, run_dir)`; the 9- and 10-field versions are
later revisions of the same function. Each splits the line on `\\t` (no quoting),
takes `int(total_steps)`, `int(scale_factor)` (asserted >= 1), `float(arrival_time)`,
`bool(int(needs_data_dir))`, `float(priority_weight)`, `float(SLO)`. Job ids are given
in file order (`JobIdPair(0)`, `JobIdPair(1)`, ...), so `job_id` is the 0-based index.

Mapping: `gpus` = scale_factor (the number of workers, one GPU each); `work` =
total_steps with `work_unit` "steps" (Gavel derives a job's run time from it and the
measured throughput of its (job_type, scale_factor) on each worker type: see
`gavel_throughputs`); `duration_s` is null; `arrival_s` = arrival_time, seconds, as
written (the msr traces start at 0); `job_type` is Gavel's job type string, e.g.
"ResNet-50 (batch size 64)", and `batch_size` is read from it; `priority` =
priority_weight. The command, its step flag, data-dir flag and SLO are not kept.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orbitgrid.workload.traces._tabular import Checks, decode, fail, read_delimited
from orbitgrid.workload.traces.schema import JOB_SCHEMA, build_table

FORMAT = "gavel"
LAYOUTS = {
    7: ("job_type", "command", "num_steps_arg", "needs_data_dir", "total_steps", "arrival_time", "scale_factor"),
    9: ("job_type", "command", "num_steps_arg", "needs_data_dir", "total_steps", "scale_factor", "priority_weight",
        "SLO", "arrival_time"),
    10: ("job_type", "command", "working_directory", "num_steps_arg", "needs_data_dir", "total_steps", "scale_factor",
         "priority_weight", "SLO", "arrival_time"),
}
WANTED = ("job_type", "needs_data_dir", "total_steps", "scale_factor", "priority_weight", "SLO", "arrival_time")
_BATCH_RE = r"\(batch size (?P<batch>\d+)\)"


def parse(raw: bytes, file: str):
    raw, text = decode(raw, file)
    first_line, first = next(((i + 1, ln.rstrip("\r")) for i, ln in enumerate(text.split("\n")) if ln.rstrip("\r")),
                             (None, ""))
    if first_line is None:
        raise fail(file, None, "", "empty file", "a Gavel trace has one job per line, 7, 9 or 10 tab-separated fields")
    width = first.count("\t") + 1
    if width not in LAYOUTS:
        raise fail(file, first_line, "", f"{width} tab-separated field{'s' if width != 1 else ''}: "
                   f"expected {' or '.join(map(str, LAYOUTS))} ({', '.join(LAYOUTS[7])} for traces/msr)")
    names = list(LAYOUTS[width])
    cells = read_delimited(file, raw, text, names, WANTED, delimiter="\t", has_header=False, quoting=False)
    ck = Checks(cells, file)

    job_type = ck.required_text("job_type")
    ndd = ck.number("needs_data_dir", integer=True)
    ck.flag(np.isfinite(ndd) & (ndd != 0) & (ndd != 1), "needs_data_dir",
            lambda i: f"must be 0 or 1, got {cells.raw('needs_data_dir', i).strip()}")
    steps = ck.number("total_steps", integer=True)
    ck.at_least(steps, "total_steps", 0.0, strict=True)
    scale = ck.number("scale_factor", integer=True)
    ck.at_least(scale, "scale_factor", 1.0, strict=False, what=" (GPUs)")
    priority = ck.number("priority_weight") if cells.has("priority_weight") else None
    if priority is not None:
        ck.at_least(priority, "priority_weight", 0.0, strict=True)
    if cells.has("SLO"):
        ck.number("SLO")
    arrival = ck.number("arrival_time")
    ck.at_least(arrival, "arrival_time", 0.0, strict=False, what=" s")

    batch = pc.extract_regex(job_type, _BATCH_RE)
    batch_size = pc.cast(pc.struct_field(batch, [0]), pa.int64())

    def build(good: np.ndarray):
        idx = pa.array(np.flatnonzero(good))
        n = int(good.sum())
        table = build_table(
            JOB_SCHEMA, n, {"format": FORMAT, "layout_fields": width, "duration_hardware": None},
            job_id=pc.cast(pa.array(cells.record[good]), pa.string()),
            arrival_s=arrival[good],
            gpus=scale[good],
            gpu_milli=1000,
            work=steps[good],
            work_unit="steps",
            job_type=job_type.take(idx),
            batch_size=batch_size.take(idx),
            priority=None if priority is None else priority[good],
            source_format=FORMAT,
            source_line=cells.lines[good],
        )
        return table, {"work_note": "Gavel gives total steps; see gavel-throughputs for steps/s"}

    return cells, ck, build

