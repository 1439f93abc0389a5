"""The sweep's table: one row per point, its parameters, seed, status, error and wall time,
and every key of its run's summary, read from the run folders (so a resumed sweep's table
is rebuilt from the store, not remembered). Written as `points.parquet` and as table
`points` of `sweep.duckdb`, each whole or not at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orbitgrid.results.store import DB_NAME, open_run

from orbitgrid.sweep.points import Plan

PARQUET_NAME = "points.parquet"
SWEEP_DB_NAME = "sweep.duckdb"
OK, FAILED, NOT_RUN = "ok", "failed", "not_run"
FIXED_COLUMNS = ("point_id", "point_index", "seed", "status", "error", "wall_s")


def is_complete(run_dir: Path) -> bool:
    """A point's folder is complete when the store renamed it into place (it then has its
    database); a partial one is hidden under another name and never looks like this."""
    return run_dir.is_dir() and (run_dir / DB_NAME).is_file()


def read_point(run_dir: Path) -> tuple[dict[str, Any], float | None]:
    """(summary, simulate wall seconds) of a point's run folder."""
    con = open_run(run_dir)
    try:
        cur = con.execute("SELECT * FROM summary")
        names = [d[0] for d in cur.description]
        summary = dict(zip(names, cur.fetchone()))
        wall = con.execute("SELECT value FROM run_info WHERE key = 'simulate_wall_s'").fetchone()
    finally:
        con.close()
    return summary, (float(json.loads(wall[0])) if wall else None)


def point_rows(plan: Plan, points_dir: Path, failures: dict[str, str]) -> list[dict[str, Any]]:
    """One row per point of the plan, in index order: `ok` from its complete run folder,
    `failed` with its error, or `not_run` (an interrupted sweep)."""
    rows = []
    for pt in plan.points:
        row: dict[str, Any] = {"point_id": pt.point_id, "point_index": pt.index, "seed": pt.seed}
        row.update({f"param:{p}": pt.values[p] for p in plan.params})
        folder = points_dir / pt.point_id
        if is_complete(folder):
            try:
                summary, wall = read_point(folder)
            except Exception as exc:  # noqa: BLE001 - an unreadable folder is that point's failure
                row.update(status=FAILED, error=f"{folder}: unreadable run folder ({type(exc).__name__})", wall_s=None)
            else:
                row.update(status=OK, error=None, wall_s=wall)
                row.update({f"summary:{k}": v for k, v in summary.items() if k != "seed"})
        elif pt.point_id in failures:
            row.update(status=FAILED, error=failures[pt.point_id], wall_s=None)
        else:
            row.update(status=NOT_RUN, error=None, wall_s=None)
        rows.append(row)
    return rows


def points_table(plan: Plan, rows: list[dict[str, Any]]) -> pa.Table:
    """The rows as one Arrow table: fixed columns, then the parameters (named by their
    path), then every summary key any point has (a key a point lacks is null)."""
    summary_keys = list(dict.fromkeys(k for r in rows for k in r if k.startswith("summary:")))
    taken = set(FIXED_COLUMNS) | {k.removeprefix("summary:") for k in summary_keys}
    columns: dict[str, pa.Array] = {}
    for name in FIXED_COLUMNS[:3]:
        columns[name] = _column([r[name] for r in rows])
    for p in plan.params:  # a parameter named like a summary key (`policy`) keeps a prefix
        columns[f"param.{p}" if p in taken else p] = _column([r[f"param:{p}"] for r in rows])
    for name in FIXED_COLUMNS[3:]:
        columns[name] = _column([r[name] for r in rows])
    for key in summary_keys:
        columns[key.removeprefix("summary:")] = _column([r.get(key) for r in rows])
    return pa.table(columns)


def _column(values: list[Any]) -> pa.Array:
    """A column as Arrow infers it; mappings, lists and mixed types become JSON text."""
    if not any(isinstance(v, (dict, list, tuple)) for v in values):
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
                     for v in values], pa.string())


def write_tables(sweep_dir: Path, table: pa.Table, info: dict[str, Any]) -> None:
    """points.parquet and sweep.duckdb (tables `points` and `sweep_info`), each written
    under a temporary name and renamed into place."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    tmp_parquet = sweep_dir / f".{PARQUET_NAME}.partial-{os.getpid()}"
    tmp_db = sweep_dir / f".{SWEEP_DB_NAME}.partial-{os.getpid()}"
    try:
        pq.write_table(table, tmp_parquet)
        tmp_db.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp_db))
        try:
            con.register("_points", table)
            con.execute("CREATE TABLE points AS SELECT * FROM _points")
            con.unregister("_points")
            con.execute("CREATE TABLE sweep_info (key VARCHAR, value VARCHAR)")
            con.executemany("INSERT INTO sweep_info VALUES (?, ?)",
                            [(k, json.dumps(v, default=str)) for k, v in info.items()])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_parquet, sweep_dir / PARQUET_NAME)
        os.replace(tmp_db, sweep_dir / SWEEP_DB_NAME)
    except BaseException:
        tmp_parquet.unlink(missing_ok=True)
        tmp_db.unlink(missing_ok=True)
        raise
