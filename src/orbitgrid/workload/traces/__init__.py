"""Public cluster traces, read into one normalised job table (or Gavel's throughput table).

    from orbitgrid.workload.traces import read_trace, write_parquet
    table, report = read_trace("philly", "philly.csv")          # pyarrow.Table, ImportReport
    write_parquet(table, "philly.parquet")                        # complete or absent

Formats: philly, gavel, pollux, tiresias, alibaba (jobs, `schema.JOB_SCHEMA`) and
gavel-throughputs (`schema.THROUGHPUT_SCHEMA`). Each format's module says what its
columns mean and which upstream loader it was matched against.

A malformed row raises `InputError` naming `FILE:LINE: column: message` (the first bad
row in the file); with `skip_bad=True` bad rows are left out and counted in the report.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orbitgrid.errors import InputError, Problem
from orbitgrid.workload.traces import alibaba, gavel, gavel_throughputs, philly, pollux, tiresias
from orbitgrid.workload.traces._tabular import read_bytes
from orbitgrid.workload.traces.schema import (
    JOB_SCHEMA,
    THROUGHPUT_SCHEMA,
    ImportReport,
    job_stats,
    trace_metadata,
)

JOB_FORMATS = {"philly": philly, "gavel": gavel, "pollux": pollux, "tiresias": tiresias, "alibaba": alibaba}
FORMATS = (*JOB_FORMATS, gavel_throughputs.FORMAT)
SKIPPED_SHOWN = 5  # bad rows listed in a report

__all__ = ["FORMATS", "JOB_SCHEMA", "THROUGHPUT_SCHEMA", "ImportReport", "import_trace", "read_trace",
           "trace_metadata", "write_parquet"]


def read_trace(format: str, path: str | os.PathLike, skip_bad: bool = False,
               display_name: str | None = None) -> tuple[pa.Table, ImportReport]:
    """Read one trace file into a normalised pyarrow Table and an ImportReport.

    `format` is one of FORMATS. Raises InputError (one Problem: `FILE:LINE: column:
    message`) for a missing or unreadable file, a wrong header, or, unless `skip_bad`,
    the first malformed row. `display_name` replaces the path in messages.
    """
    started = time.perf_counter()
    path = Path(path)
    file = display_name or str(path)
    if format not in FORMATS:
        raise InputError([Problem("traces", None, "FORMAT", f"unknown format {format!r}",
                                  "one of " + ", ".join(FORMATS))])
    raw = read_bytes(path, file)
    report = ImportReport(format=format, file=file)
    if format == gavel_throughputs.FORMAT:
        table, report.rows_read, problems = gavel_throughputs.read(raw, file)
        if problems and not skip_bad:
            raise _first_bad(problems[0], report.rows_read - table.num_rows)
        report.rows_written = table.num_rows
        report.rows_skipped = report.rows_read - table.num_rows
        report.skipped = problems[:SKIPPED_SHOWN]
        report.stats = gavel_throughputs.stats(table)
        report.seconds = time.perf_counter() - started
        return table, report

    cells, checks, build = JOB_FORMATS[format].parse(raw, file)
    bad_count = checks.count()
    if bad_count and not skip_bad:
        raise _first_bad(checks.problems(1)[0], bad_count)
    good = ~checks.bad()
    table, extra = build(good)
    report.rows_read = cells.rows_read
    report.rows_skipped = bad_count
    report.skipped = checks.problems(SKIPPED_SHOWN) if bad_count else []
    report.rows_filtered = int(extra.get("filtered", 0))
    report.filtered_reason = extra.get("filtered_reason") if report.rows_filtered else None
    report.rows_written = table.num_rows
    report.stats = job_stats(table, extra.get("arrival_origin"), extra.get("work_note"))
    report.seconds = time.perf_counter() - started
    return table, report


def _first_bad(problem: Problem, count: int) -> InputError:
    hint = (f"{count:,} bad rows in all; --skip-bad leaves them out" if count > 1
            else "the only bad row; --skip-bad leaves it out")
    return InputError([Problem(problem.file, problem.line, problem.path, problem.message, hint)])


def write_parquet(table: pa.Table, out: str | os.PathLike) -> Path:
    """Write the table to `out` atomically: a temporary file beside it, renamed when complete.

    Raises OSError if the folder cannot be written; `out` is then left as it was.
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no folder {out.parent}")
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def import_trace(format: str, path: str | os.PathLike, out: str | os.PathLike, skip_bad: bool = False,
                 display_name: str | None = None) -> ImportReport:
    """read_trace, then write_parquet; the report's time covers both."""
    started = time.perf_counter()
    table, report = read_trace(format, path, skip_bad, display_name)
    write_parquet(table, out)
    report.seconds = time.perf_counter() - started
    return report

