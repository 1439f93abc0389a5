"""The results store: one run is one folder, written whole or not at all.

    RUN_DIR/
      results.duckdb   tables: summary, jobs, allocations, pools, sites, timeseries, queue,
                       tenants, gpu_types, grid (per step and grid-connected site: power,
                       price, carbon, cost), battery (per constellation and orbital tick:
                       mean and lowest state of charge), run_info; with inference: requests,
                       latency_by_city, latency_by_placement (docs/inference.md)
      scenario.yaml    the scenario exactly as it was run
      report.html      the offline report

The folder is built under a hidden temporary name beside its final one and renamed into
place only when everything in it is written; an interrupted run leaves at most a hidden
`.NAME.partial-*` folder, never one that looks complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from orbitgrid import __version__
from orbitgrid.errors import InputError, Problem

DB_NAME = "results.duckdb"
SCENARIO_NAME = "scenario.yaml"
REPORT_NAME = "report.html"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "run"


def new_run_name(scenario_name: str, seed: int, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{_slug(scenario_name)}_seed{seed}_{stamp}"


def write_run(
    out_dir: Path,
    name: str,
    tables: dict[str, pa.Table],
    summary: dict[str, object],
    scenario_text: str,
    run_info: dict[str, object],
    write_report: bool = True,
) -> Path:
    """Write a complete run folder `out_dir/name` (or `name-2`, ... if taken); return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    n = 2
    while final.exists():
        final = out_dir / f"{name}-{n}"
        n += 1
    tmp = out_dir / f".{final.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        (tmp / SCENARIO_NAME).write_text(scenario_text, encoding="utf-8")
        full_summary = {"run_dir": str(final), **summary}
        con = duckdb.connect(str(tmp / DB_NAME))
        try:
            for table_name, table in tables.items():
                if table_name == "summary":
                    table = pa.Table.from_pylist([full_summary])
                con.register("_incoming", table)
                con.execute(f'CREATE TABLE "{table_name}" AS SELECT * FROM _incoming')
                con.unregister("_incoming")
            info = {"orbitgrid_version": __version__, **run_info}
            con.execute("CREATE TABLE run_info (key VARCHAR, value VARCHAR)")
            con.executemany("INSERT INTO run_info VALUES (?, ?)", [(k, json.dumps(v)) for k, v in info.items()])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if write_report:
            from orbitgrid.results.report import write_report as render

            render(tmp / DB_NAME, tmp / REPORT_NAME)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def write_file_atomic(path: Path, data: bytes) -> Path:
    """Write `path` whole or not at all: a hidden `.NAME.partial-PID` beside it, renamed into
    place (pages and files written next to run folders: comparisons, sweep reports)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def open_run(run_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a finished run; InputError if the folder is not one."""
    db = run_dir / DB_NAME
    if not run_dir.is_dir():
        raise InputError([Problem(str(run_dir), None, "", "no such run folder")])
    if not db.is_file():
        raise InputError([Problem(str(run_dir), None, "", f"not a complete run folder (no {DB_NAME})")])
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise InputError([Problem(str(db), None, "", f"cannot open the results database ({exc})")]) from None


def read_summary(run_dir: Path) -> dict[str, object]:
    con = open_run(run_dir)
    try:
        cur = con.execute("SELECT * FROM summary")
        columns = [d[0] for d in cur.description]
        row = cur.fetchone()
    except duckdb.Error as exc:
        raise InputError([Problem(str(run_dir / DB_NAME), None, "summary", f"unreadable ({exc})")]) from None
    finally:
        con.close()
    if row is None:
        raise InputError([Problem(str(run_dir / DB_NAME), None, "summary", "empty")])
    return dict(zip(columns, row))
