"""`orbitgrid sweep`, start to finish: check every point, run those without a complete run
folder, write the table and the report, say what happened.

Exit codes: 0 every point ran; 2 bad input (nothing run, nothing changed); 4 some points
failed (each recorded with its error; table and report written); 130 interrupted (the
points done are kept and tabled, no partial folder remains; `--resume` runs the rest).
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from orbitgrid.errors import EXIT_USER_ERROR, InputError
from orbitgrid.results.store import write_file_atomic

from orbitgrid.sweep.points import Plan, plan_points
from orbitgrid.sweep.results import (
    FAILED, NOT_RUN, OK, PARQUET_NAME, SWEEP_DB_NAME, is_complete, point_rows, points_table, write_tables,
)
from orbitgrid.sweep.runner import INTERRUPTED, Outcome, PointTask, RayStartError, check_reachable, run_here, run_on_ray
from orbitgrid.sweep.spec import load_sweep

EXIT_POINTS_FAILED = 4
EXIT_INTERRUPTED = 130
MAX_ERROR_LINES = 20
REPORT_NAME = "report.html"
POINTS_DIR = "points"


def sweep_command(sweep_file: Path, out_dir: Path, workers: int | None, address: str | None, resume: bool,
                  point_reports: bool, dry_run: bool, err: Console, out: Console, share_worlds: bool = True) -> int:
    """Run the sweep in `sweep_file`; returns the exit code (module docstring). `share_worlds`
    False makes every point build its own World (to measure what sharing saves)."""
    try:
        sweep = load_sweep(sweep_file)
        plan = plan_points(sweep)
    except InputError as exc:
        return _fail(exc)
    if dry_run:
        _print_points(plan, out)
        return 0
    sweep_dir = (out_dir / sweep.spec.name).resolve()
    points_dir = sweep_dir / POINTS_DIR
    if not resume and _in_use(sweep_dir, plan):
        print(f"{sweep_dir}: this sweep has results here already (hint: --resume to run only the missing "
              "points, or give another --out)", file=_stderr())
        return EXIT_USER_ERROR
    if address:
        try:
            check_reachable(address)
        except RayStartError as exc:
            print(f"--address: {exc}", file=_stderr())
            return EXIT_USER_ERROR
    try:
        points_dir.mkdir(parents=True, exist_ok=True)
        for stale in points_dir.glob(".*.partial-*"):  # left by a killed run of this sweep
            shutil.rmtree(stale, ignore_errors=True)
        _copy_sweep_file(sweep.file, sweep_dir)
    except OSError as exc:
        print(f"{sweep_dir}: cannot write the sweep folder: {exc.strerror or exc}", file=_stderr())
        return EXIT_USER_ERROR
    todo = [pt for pt in plan.points if not is_complete(points_dir / pt.point_id)]
    skipped = len(plan.points) - len(todo)
    # with --address the cluster's CPUs bound the points in flight unless --workers says
    n_workers = workers or (None if address else os.cpu_count() or 1)
    in_process = n_workers == 1 and address is None
    tasks = [PointTask(pt.point_id, pt.index, pt.values, pt.seed, pt.loaded, pt.world_key if share_worlds else pt.point_id,
                       str(points_dir), sweep.spec.name, point_reports) for pt in todo]
    mode = "in this process" if in_process else f"on Ray at {address}" if address else f"on a local Ray, {n_workers} workers"
    err.print(f"sweep {sweep.spec.name}: {len(plan.points):,} points, {len(todo):,} to run {mode}"
              + (f" ({skipped:,} complete, kept)" if skipped else ""))
    failures: dict[str, str] = {}
    finished: list[Outcome] = []
    interrupted = False
    shared_built = 0
    started = time.perf_counter()
    bar = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=err, transient=False,
                   auto_refresh=False)  # rich's refresh thread slowed in-process points by ~15%: redrawn by tick()
    job = bar.add_task("points", total=len(todo), failed=0)
    last_draw = [0.0]

    def tick() -> None:
        now = time.monotonic()
        if now - last_draw[0] >= 1.0:
            bar.refresh()
            last_draw[0] = now

    def done(outcome: Outcome) -> None:
        finished.append(outcome)
        if not outcome.ok:
            failures[outcome.point_id] = outcome.error or "failed"
        bar.update(job, advance=1, failed=len(failures))
        last_draw[0] = 0.0
        tick()

    restore = _catch_ctrl_c()
    try:
        if tasks:
            bar.start()
            try:
                shared_built = (run_here(tasks, done, tick) if in_process
                                else run_on_ray(tasks, done, n_workers, address, tick))
            finally:
                bar.stop()
    except KeyboardInterrupt:
        interrupted = True
    except RayStartError as exc:
        print(f"sweep: {exc}", file=_stderr())
        return EXIT_USER_ERROR
    finally:
        restore()
    for stale in points_dir.glob(".*.partial-*"):  # a task killed before it could clean up
        shutil.rmtree(stale, ignore_errors=True)
    wall_s = time.perf_counter() - started
    info = _info(plan, sweep_dir, mode, n_workers, shared_built, wall_s)
    table = points_table(plan, point_rows(plan, points_dir, failures))
    info["param_columns"] = [f"param.{p}" if f"param.{p}" in table.column_names else p for p in plan.params]
    try:
        write_tables(sweep_dir, table, info)
        from orbitgrid.sweep.report import write_sweep_report

        notes = write_sweep_report(sweep_dir / SWEEP_DB_NAME, sweep_dir / REPORT_NAME)
    except OSError as exc:
        print(f"{sweep_dir}: cannot write the table or report: {exc.strerror or exc}", file=_stderr())
        return EXIT_USER_ERROR
    for note in notes:
        print(f"{sweep.file}: {note} (the report leaves it out; fix the name and rerun with --resume)", file=_stderr())
    _print_result(plan, table, sweep_dir, len(finished), wall_s, shared_built, interrupted, out, err)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_POINTS_FAILED if failures else 0


def _catch_ctrl_c():
    """While points run, Ctrl-C also sets runner.INTERRUPTED (so an exception it causes deep in
    a library is not taken for a failed point); returns the function that undoes it."""
    INTERRUPTED.clear()
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def on_ctrl_c(signum, frame):
        INTERRUPTED.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_ctrl_c)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)
        INTERRUPTED.clear()

    return restore


def _stderr():
    import sys

    return sys.stderr


def _fail(exc: InputError) -> int:
    lines = exc.all_lines()
    for line in lines[:MAX_ERROR_LINES]:
        print(line, file=_stderr())
    if len(lines) > MAX_ERROR_LINES:
        print(f"[and {len(lines) - MAX_ERROR_LINES} more]", file=_stderr())
    return EXIT_USER_ERROR


def _in_use(sweep_dir: Path, plan: Plan) -> bool:
    """Whether a table or a finished point of this sweep is in the folder already."""
    if (sweep_dir / SWEEP_DB_NAME).exists() or (sweep_dir / PARQUET_NAME).exists():
        return True
    return any(is_complete(sweep_dir / POINTS_DIR / pt.point_id) for pt in plan.points)


def _copy_sweep_file(src: Path, sweep_dir: Path) -> None:
    """The sweep file as it was run, beside its results (replaced whole)."""
    write_file_atomic(sweep_dir / "sweep.yaml", src.read_bytes())


def _info(plan: Plan, sweep_dir: Path, mode: str, workers: int, shared_built: int, wall_s: float) -> dict:
    spec = plan.sweep.spec
    seeds = sorted({pt.seed for pt in plan.points})
    return {
        "name": spec.name, "description": spec.description.strip(), "sweep_file": str(plan.sweep.file),
        "base": str(plan.sweep.base_file), "params": plan.params, "outputs": plan.sweep.outputs,
        "outputs_requested": list(spec.outputs), "tornado": list(spec.tornado),
        "pareto": spec.pareto.model_dump() if spec.pareto else None,
        "seeds": f"{len(seeds)} ({seeds[0]}–{seeds[-1]})" if len(seeds) > 1 else str(seeds[0]) if seeds else "",
        "points": len(plan.points), "mode": mode, "workers": workers, "shared_worlds_built": shared_built,
        "wall_s_last_session": round(wall_s, 3), "folder": str(sweep_dir),
    }


def _print_points(plan: Plan, out: Console) -> None:
    """--dry-run: the points as they would run."""
    table = Table(title=f"sweep {plan.sweep.spec.name}: {len(plan.points):,} points (first 50)", box=None, pad_edge=False)
    for col in ("#", "point", "seed", *plan.params):
        table.add_column(col, justify="right" if col in ("#", "seed") else "left")
    for pt in plan.points[:50]:
        table.add_row(str(pt.index), pt.point_id, str(pt.seed), *(repr(pt.values[p]) for p in plan.params))
    out.print(table)
    worlds = len({pt.world_key for pt in plan.points})
    out.print(f"{len(plan.points):,} points, {worlds:,} distinct worlds; nothing was run")


def _print_result(plan: Plan, table, sweep_dir: Path, ran: int, wall_s: float, shared_built: int,
                  interrupted: bool, out: Console, err: Console) -> None:
    status = table.column("status").to_pylist()
    ids = table.column("point_id").to_pylist()
    errors = table.column("error").to_pylist()
    n_ok, n_failed, n_left = status.count(OK), status.count(FAILED), status.count(NOT_RUN)
    if interrupted:
        err.print(f"interrupted: {n_ok:,} points done are kept, {n_left:,} not run "
                  f"(orbitgrid sweep {plan.sweep.file} --resume runs the rest); no partial folder remains",
                  soft_wrap=True)
    per = f", {wall_s / ran:.2f} s per point" if ran else ""
    line = (f"sweep {plan.sweep.spec.name}: {len(status):,} points: {n_ok:,} ok, {n_failed:,} failed"
            + (f", {n_left:,} not run" if n_left else "") + f"; {ran:,} run in {wall_s:.1f} s{per}"
            + (f"; {shared_built:,} shared worlds built" if shared_built else ""))
    failed = [(pid, e) for pid, s, e in zip(ids, status, errors) if s == FAILED]
    for pid, e in failed[:10]:
        err.print(f"failed {pid}: {e}", markup=False, highlight=False, soft_wrap=True)
    if len(failed) > 10:
        err.print(f"[and {len(failed) - 10} more failed points: see the table's error column]", markup=False)
    for text in (line, f"table: {sweep_dir / PARQUET_NAME}  {sweep_dir / SWEEP_DB_NAME} (table points)",
                 f"report: {sweep_dir / REPORT_NAME}"):
        out.print(text, soft_wrap=True, markup=False, highlight=False)
