"""Gavel's measured throughputs: `simulation_throughputs.json`, as a long table.

Layout (JSON):

  { worker_type: { "('<job type>', <scale factor>)": {
        "null": <steps/s running alone>,
        "('<other job type>', <scale factor>)": [<steps/s of this job>, <steps/s of the other>],
        ... }, ... }, ... }

Worker types are `k80`, `p100`, `v100` and the same with `_unconsolidated` (the job's
workers spread over servers rather than packed onto one). A throughput is training
steps (iterations) per second of the whole job, with `scale_factor` workers of one GPU
each; 0 means the configuration does not run (out of memory, or no colocation).

Matched against stanford-futuredata/gavel `scheduler/utils.py`
(`read_all_throughputs_json_v2`, `parse_job_type_tuple`: a key must match
`('(.*)', (\\d+))`; "null" is the isolated throughput) and `scheduler/scheduler.py`, which
stores a colocated pair's `[0]` as this job's throughput and `[1]` as the other job's.

One row per measurement: worker_type (as written), consolidated (false for
`*_unconsolidated`), job_type, scale_factor, throughput; for a colocated pair also
colocated_job_type, colocated_scale_factor and colocated_throughput (null for the
isolated row); source_line is the line of the measurement's key.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from orbitgrid.errors import Problem
from orbitgrid.workload.traces._tabular import decode, fail
from orbitgrid.workload.traces.schema import THROUGHPUT_SCHEMA, build_table

FORMAT = "gavel-throughputs"
_KEY_RE = re.compile(r"\('(.*)', (\d+)\)")
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
EXAMPLE_KEY = "('ResNet-18 (batch size 32)', 1)"


class _Obj(list):
    """A JSON object as [(key, offset of the key, value)], in file order."""


def _walk(s: str, i: int) -> tuple[_Obj, int]:
    """The object starting at s[i] ('{'), with the offset of each key; the text is known to be valid JSON."""
    items = _Obj()
    i = _WS.match(s, i + 1).end()
    if s[i] == "}":
        return items, i + 1
    while True:
        at = i
        key, i = json.decoder.scanstring(s, i + 1)
        i = _WS.match(s, _WS.match(s, i).end() + 1).end()  # past the colon
        if s[i] == "{":
            value, i = _walk(s, i)
        else:
            value, i = _DECODER.raw_decode(s, i)
        items.append((key, at, value))
        i = _WS.match(s, i).end()
        if s[i] == ",":
            i = _WS.match(s, i + 1).end()
            continue
        return items, i + 1


def _throughput(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def read(raw: bytes, file: str):
    """(table, rows_read, problems in file order, metadata) for the driver."""
    raw, text = decode(raw, file)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(file, exc.lineno, "", f"not valid JSON ({exc.msg})") from None
    start = _WS.match(text, 0).end()
    if start >= len(text) or text[start] != "{":
        raise fail(file, text.count("\n", 0, start) + 1, "", "expected a JSON object keyed by worker type",
                   'e.g. {"v100": {"' + EXAMPLE_KEY + '": {"null": 12.5}}}')
    top, _ = _walk(text, start)
    newlines = np.flatnonzero(np.frombuffer(raw, np.uint8) == 10)
    # character offsets equal byte offsets only for ASCII text; map through the text otherwise
    nl_chars = newlines if len(raw) == len(text) else np.array([m.start() for m in re.finditer("\n", text)], np.int64)

    def line(offset: int) -> int:
        return int(np.searchsorted(nl_chars, offset, side="right")) + 1

    rows: dict[str, list] = {k: [] for k in ("worker_type", "consolidated", "job_type", "scale_factor", "throughput",
                                              "colocated_job_type", "colocated_scale_factor", "colocated_throughput",
                                              "source_line")}
    problems: list[Problem] = []
    read_count = 0

    def bad(at: int, path: str, message: str) -> None:
        problems.append(Problem(file, line(at), path, message))

    for worker, w_at, jobs in top:
        if not isinstance(jobs, _Obj):
            read_count += 1
            bad(w_at, worker, "expected an object keyed by job type, e.g. \"" + EXAMPLE_KEY + "\"")
            continue
        for job_key, j_at, entries in jobs:
            where = f"{worker} > {job_key}"
            match = _KEY_RE.fullmatch(job_key)
            if not isinstance(entries, _Obj) or match is None or int(match.group(2)) < 1:
                read_count += max(1, len(entries) if isinstance(entries, _Obj) else 1)
                if match is None:
                    bad(j_at, where, f"job type key must look like \"{EXAMPLE_KEY}\"")
                elif int(match.group(2)) < 1:
                    bad(j_at, where, "scale factor must be >= 1")
                else:
                    bad(j_at, where, "expected an object: {\"null\": steps/s alone, \"('other', n)\": [this, other]}")
                continue
            job_type, scale = match.group(1), int(match.group(2))
            for other, o_at, value in entries:
                read_count += 1
                here = f"{where} > {other}"
                if other == "null":
                    if not _throughput(value):
                        bad(o_at, here, f"throughput must be a number >= 0 (steps/s), got {json.dumps(value)}")
                        continue
                    co_type, co_scale, this, that = None, None, float(value), None
                else:
                    co = _KEY_RE.fullmatch(other)
                    if co is None or int(co.group(2)) < 1:
                        bad(o_at, here, f"colocated job type key must look like \"{EXAMPLE_KEY}\"")
                        continue
                    if not (isinstance(value, list) and len(value) == 2 and all(_throughput(v) for v in value)):
                        bad(o_at, here, f"expected [this job's steps/s, the other's steps/s], both >= 0, "
                            f"got {json.dumps(value)}")
                        continue
                    co_type, co_scale, this, that = co.group(1), int(co.group(2)), float(value[0]), float(value[1])
                rows["worker_type"].append(worker)
                rows["consolidated"].append(not worker.endswith("_unconsolidated"))
                rows["job_type"].append(job_type)
                rows["scale_factor"].append(scale)
                rows["throughput"].append(this)
                rows["colocated_job_type"].append(co_type)
                rows["colocated_scale_factor"].append(co_scale)
                rows["colocated_throughput"].append(that if that is not None else math.nan)
                rows["source_line"].append(line(o_at))

    n = len(rows["source_line"])
    table = build_table(
        THROUGHPUT_SCHEMA, n, {"format": FORMAT, "unit": "steps/s"},
        worker_type=np.array(rows["worker_type"], dtype=object),
        consolidated=np.array(rows["consolidated"], dtype=bool),
        job_type=np.array(rows["job_type"], dtype=object),
        scale_factor=np.array(rows["scale_factor"], dtype=np.int32),
        throughput=np.array(rows["throughput"], dtype=np.float64),
        colocated_job_type=np.array(rows["colocated_job_type"], dtype=object),
        colocated_scale_factor=np.array([math.nan if v is None else v for v in rows["colocated_scale_factor"]],
                                        dtype=np.float64),
        colocated_throughput=np.array(rows["colocated_throughput"], dtype=np.float64),
        source_format=FORMAT,
        source_line=np.array(rows["source_line"], dtype=np.int64),
    )
    problems.sort(key=lambda p: p.line or 0)
    return table, read_count, problems


def stats(table) -> dict[str, object]:
    iso = table.column("colocated_job_type").is_null().to_numpy(zero_copy_only=False)
    pairs = set(zip(table.column("job_type").to_pylist(), table.column("scale_factor").to_pylist()))
    return {"worker_types": len(set(table.column("worker_type").to_pylist())), "job_types": len(pairs),
            "isolated": int(iso.sum()), "colocated": int((~iso).sum())}
