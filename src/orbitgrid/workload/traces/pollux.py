"""Pollux workloads: `workloads*/workload-N.csv` of the Pollux OSDI'21 artifact (160 jobs each at 1.0x load).

Columns (header required, order free, other columns ignored):

  name          job name, e.g. `cifar10-0`                               required
  time          submission time, seconds from the start of the workload   required
  application   one of bert, cifar10, deepspeech2, imagenet, ncf, yolov3  required
  num_replicas  GPUs the job asks for (integer > 0)                       required
  batch_size    global batch size (integer > 0)                           required

Matched against petuum/adaptdl (osdi21-artifact) `simulator/simulator.py`:
`workload = pandas.read_csv(args.workload)`, then
`Job(row.name, APPLICATIONS[row.application], row.time, target_num_replicas=row.num_replicas,
target_batch_size=row.batch_size)` (the Tiresias+TunedJobs baseline uses both targets;
Pollux and Optimus re-size jobs themselves). `simulator/workload.py` wrote the files:
`time` is `hour*3600 + minute*60 + second` of a Philly job inside the sampled window.

No duration: a Pollux job runs until its model reaches the target metric recorded in the
application's validation trace (`traces/<application>/`), so `duration_s` and `work` are
null. `gpus` = num_replicas, `job_type` = application, `arrival_s` = time as written.
An application outside the six above is an error (the simulator would fail on it).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orbitgrid.workload.traces._tabular import open_csv
from orbitgrid.workload.traces.schema import JOB_SCHEMA, build_table

FORMAT = "pollux"
REQUIRED = ("name", "time", "application", "num_replicas", "batch_size")
APPLICATIONS = ("bert", "cifar10", "deepspeech2", "imagenet", "ncf", "yolov3")


def parse(raw: bytes, file: str):
    cells, ck = open_csv(raw, file, REQUIRED)

    name = ck.required_text("name")
    time = ck.number("time")
    ck.at_least(time, "time", 0.0, strict=False, what=" s")
    app = ck.text("application")
    known = pc.is_in(app, value_set=pa.array(APPLICATIONS)).to_numpy(zero_copy_only=False)
    ck.flag(~known, "application", lambda i: f"unknown application {cells.raw('application', i).strip()!r} "
            f"(known: {', '.join(APPLICATIONS)})")
    replicas = ck.number("num_replicas", integer=True)
    ck.at_least(replicas, "num_replicas", 0.0, strict=True)
    batch = ck.number("batch_size", integer=True)
    ck.at_least(batch, "batch_size", 0.0, strict=True)

    def build(good: np.ndarray):
        idx = pa.array(np.flatnonzero(good))
        n = int(good.sum())
        table = build_table(
            JOB_SCHEMA, n, {"format": FORMAT, "duration_hardware": None},
            job_id=name.take(idx),
            arrival_s=time[good],
            gpus=replicas[good],
            gpu_milli=1000,
            job_type=app.take(idx),
            batch_size=batch[good],
            source_format=FORMAT,
            source_line=cells.lines[good],
        )
        return table, {"work_note": "Pollux jobs run until their model converges"}

    return cells, ck, build
