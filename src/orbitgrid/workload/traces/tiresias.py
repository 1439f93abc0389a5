"""Tiresias job traces: `*_job.csv` of the Tiresias simulator (e.g. `60_job.csv`).

Columns (header required, order free, other columns ignored):

  job_id       a name for the job                                       required
  num_gpu      GPUs of the gang (integer > 0)                           required
  submit_time  submission, seconds; the simulator's clock starts at 0   required
  duration     run time, seconds                                        required
  iterations   training iterations                                      optional
  model_name   model (vgg19, resnet50, inception4, ...)                 optional
  interval     seconds to the next submission (not kept)                optional

Matched against SymbioticLab/Tiresias `simulator/run_sim.py` `parse_job_file`
(`csv.DictReader`, `,` for `.csv`) and `simulator/jobs.py` `_TFJobs.add_job`: every
all-digit value becomes an `int`, `duration` becomes `int(float(duration))` (this importer
keeps the fraction), and jobs are sorted by `submit_time` before the run (this importer
keeps the file's order). The README of the simulator gives the units: seconds.

`duration_s` = duration (the hardware it was measured on is not recorded:
`duration_hw` null), `work` = iterations with `work_unit` "iterations", `job_type` =
model_name, `arrival_s` = submit_time as written.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orbitgrid.workload.traces._tabular import empty_to_null, open_csv
from orbitgrid.workload.traces.schema import JOB_SCHEMA, build_table

FORMAT = "tiresias"
REQUIRED = ("job_id", "num_gpu", "submit_time", "duration")
OPTIONAL = ("iterations", "model_name", "interval")


def parse(raw: bytes, file: str):
    cells, ck = open_csv(raw, file, REQUIRED, OPTIONAL)

    job_id = ck.required_text("job_id")
    gpus = ck.number("num_gpu", integer=True)
    ck.at_least(gpus, "num_gpu", 0.0, strict=True)
    submit = ck.number("submit_time")
    ck.at_least(submit, "submit_time", 0.0, strict=False, what=" s")
    duration = ck.number("duration")
    ck.at_least(duration, "duration", 0.0, strict=False, what=" s")
    iterations = ck.number("iterations", integer=True, required=False)
    ck.at_least(iterations, "iterations", 0.0, strict=False)
    if cells.has("interval"):
        ck.number("interval", required=False)
    model = ck.text("model_name")
    has_work = cells.has("iterations")

    def build(good: np.ndarray):
        idx = pa.array(np.flatnonzero(good))
        n = int(good.sum())
        work = iterations[good]
        table = build_table(
            JOB_SCHEMA, n, {"format": FORMAT, "duration_hardware": None},
            job_id=job_id.take(idx),
            arrival_s=submit[good],
            gpus=gpus[good],
            gpu_milli=1000,
            duration_s=duration[good],
            work=work if has_work else None,
            work_unit=pa.array(np.where(np.isfinite(work), "iterations", None), pa.string()) if has_work else None,
            job_type=None if model is None else empty_to_null(model.take(idx)),
            source_format=FORMAT,
            source_line=cells.lines[good],
        )
        return table, {}

    return cells, ck, build

