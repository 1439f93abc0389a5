"""Jobs from a simple CSV file, checked row by row: `FILE:LINE: column: message` on the first bad one.

Columns (header required; order free):
  arrival_h    hours from the simulation start (>= 0)                 required
  gpus         gang size (integer > 0)                                required
  work_gpu_h   work in GPU-hours of the scenario's reference GPU (> 0) required
  job_id       a name for the job                                     optional
  gpu_types    acceptable types separated by `|`, empty for any       optional
  priority     integer, larger runs first (default 0)                 optional
  tenant       tenant name (default `default`)                        optional
  min_gpus     elastic job: smallest gang it accepts, 1..gpus; empty or
               equal to gpus for a rigid job (default: rigid)          optional
  gpu_milli    thousandths of one GPU the job uses, 1..1000; below
               1000 only with gpus 1: it shares a GPU (default 1000)  optional
  preemptible  true/false (or 1/0): may a curtailment pause it (default
               true)                                                  optional
  deferral_window_h  a deferrable job may start up to this many hours
               after submission (default 0: not deferrable)            optional
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.scenario import MAX_GPUS
from orbitgrid.workload.jobs import ANY_GPU, JobTable

REQUIRED = ("arrival_h", "gpus", "work_gpu_h")
OPTIONAL = ("job_id", "gpu_types", "priority", "tenant", "min_gpus", "gpu_milli", "preemptible", "deferral_window_h")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")


def read_jobs_csv(path: Path, known_gpus: set[str], display_name: str | None = None) -> JobTable:
    """Parse a job CSV; raise InputError naming the line and column of the first bad value."""
    name = display_name or str(path)

    def fail(line: int | None, column: str, message: str, hint: str | None = None) -> InputError:
        return InputError([Problem(name, line, column, message, hint)])

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(None, "", f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")  # tolerate the byte-order mark spreadsheets write
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(line, "", f"not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise fail(1, "", "empty file", "the first line names the columns: " + ",".join(REQUIRED)) from None
    except csv.Error as exc:
        raise fail(1, "", f"unreadable header ({exc})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise fail(1, missing[0], "missing column", "required columns: " + ",".join(REQUIRED))
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise fail(1, unknown[0], "unknown column", "allowed: " + ",".join(REQUIRED + OPTIONAL))
    repeated = [c for i, c in enumerate(header) if c in header[:i]]
    if repeated:
        raise fail(1, repeated[0], "column named twice")
    col = {c: header.index(c) for c in header}

    arrival: list[float] = []
    gpus: list[int] = []
    min_gpus: list[int] = []
    milli: list[int] = []
    preemptible: list[bool] = []
    window_h: list[float] = []
    work: list[float] = []
    type_set: list[int] = []
    priority: list[int] = []
    tenant: list[int] = []
    names: list[str] = []
    type_sets: dict[tuple[str, ...], int] = {}
    tenants: dict[str, int] = {}

    def number(row: list[str], line: int, column: str, kind: type, minimum: float, strict: bool, maximum: float = math.inf):
        text = row[col[column]].strip()
        try:
            value = kind(text)
        except ValueError:
            raise fail(line, column, f"not {'an integer' if kind is int else 'a number'}: {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise fail(line, column, f"not a finite number: {text!r}")
        if value < minimum or (strict and value == minimum):
            raise fail(line, column, f"must be {'>' if strict else '>='} {minimum:g}, got {text}")
        if value > maximum:
            raise fail(line, column, f"must be <= {maximum:g}, got {text}")
        return value

    try:
        for row in reader:
            line = reader.line_num  # the file's line where this row ends (quoted newlines count)
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise fail(line, "", f"{len(row)} fields, the header has {len(header)}")
            arrival.append(number(row, line, "arrival_h", float, 0.0, False))
            gpus.append(number(row, line, "gpus", int, 0, True, MAX_GPUS))
            if "min_gpus" in col and row[col["min_gpus"]].strip():
                min_gpus.append(number(row, line, "min_gpus", int, 0, True, gpus[-1]))
            else:
                min_gpus.append(gpus[-1])
            if "gpu_milli" in col and row[col["gpu_milli"]].strip():
                milli.append(number(row, line, "gpu_milli", int, 0, True, 1000))
                if milli[-1] < 1000 and gpus[-1] != 1:
                    raise fail(line, "gpu_milli", f"a share of a GPU ({milli[-1]}) needs gpus 1, got {gpus[-1]}")
            else:
                milli.append(1000)
            work.append(number(row, line, "work_gpu_h", float, 0.0, True))
            pause_text = row[col["preemptible"]].strip().lower() if "preemptible" in col else ""
            if pause_text and pause_text not in TRUE_WORDS + FALSE_WORDS:
                raise fail(line, "preemptible", f"expected true or false, got {row[col['preemptible']].strip()!r}")
            preemptible.append(pause_text not in FALSE_WORDS)
            if "deferral_window_h" in col and row[col["deferral_window_h"]].strip():
                window_h.append(number(row, line, "deferral_window_h", float, 0.0, False))
            else:
                window_h.append(0.0)
            types_text = row[col["gpu_types"]].strip() if "gpu_types" in col else ""
            if types_text in ("", ANY_GPU):
                key: tuple[str, ...] = (ANY_GPU,)
            else:
                parts = [t.strip() for t in types_text.split("|")]
                for t in parts:
                    if t not in known_gpus:
                        raise fail(line, "gpu_types", f"unknown GPU type {t!r}", "known: " + ", ".join(sorted(known_gpus)))
                key = tuple(sorted(set(parts)))
            type_set.append(type_sets.setdefault(key, len(type_sets)))
            priority.append(number(row, line, "priority", int, -(10**9), False, 10**9) if "priority" in col and row[col["priority"]].strip() else 0)
            tenant_name = row[col["tenant"]].strip() if "tenant" in col else ""
            tenant.append(tenants.setdefault(tenant_name or "default", len(tenants)))
            names.append(row[col["job_id"]].strip() if "job_id" in col else str(line - 1))
    except csv.Error as exc:
        raise fail(reader.line_num, "", f"malformed CSV ({exc})") from None

    return JobTable(
        arrival_s=np.asarray(arrival, dtype=np.float64) * 3600.0,
        gpus=np.asarray(gpus, dtype=np.int32),
        work_ref_gpu_s=np.asarray(work, dtype=np.float64) * 3600.0,
        type_set=np.asarray(type_set, dtype=np.int32),
        priority=np.asarray(priority, dtype=np.int32),
        tenant=np.asarray(tenant, dtype=np.int32),
        type_sets=tuple(type_sets) or ((ANY_GPU,),),
        tenants=tuple(tenants) or ("default",),
        names=tuple(names),
        min_gpus=np.asarray(min_gpus, dtype=np.int32) if min_gpus != gpus else None,
        gpu_milli=np.asarray(milli, dtype=np.int32) if any(m < 1000 for m in milli) else None,
        preemptible=np.asarray(preemptible, dtype=bool) if not all(preemptible) else None,
        window_s=np.asarray(window_h, dtype=np.float64) * 3600.0 if any(w > 0 for w in window_h) else None,
    )
