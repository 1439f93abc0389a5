"""A sweep run in this process (`--workers 1`): run folders, the table, the report, resume,
failed points, Ctrl-C, and the command line's exit codes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from conftest import write_files
from orbitgrid.engine.run import simulate
from orbitgrid.results.store import read_summary
from orbitgrid.sweep.command import sweep_command
from orbitgrid.sweep.points import plan_points
from orbitgrid.sweep.spec import load_sweep

POLICIES = """
    name: policies
    base: tiny.yaml
    grid:
      policy.name: [fifo, backfill, sjf]
      workload.generator.arrival_rate_per_h: [30, 60]
    seeds: [1, 2]
    outputs: [mean_wait_h, allocation_utilization, energy_mwh]
    tornado: [mean_wait_h]
    pareto: {x: energy_mwh, y: mean_wait_h, minimize: [true, true]}
"""


def run(sweep: Path, out: Path, **kw) -> tuple[int, str]:
    """sweep_command in this process; (exit code, all it printed)."""
    buf = io.StringIO()
    console = Console(file=buf, width=200)
    args = dict(workers=1, address=None, resume=False, point_reports=False, dry_run=False) | kw
    code = sweep_command(sweep, out, args["workers"], args["address"], args["resume"], args["point_reports"],
                         args["dry_run"], console, console)
    return code, buf.getvalue()


def table(sweep_dir: Path) -> list[dict]:
    con = duckdb.connect(str(sweep_dir / "sweep.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM points ORDER BY point_index")
        return [dict(zip([d[0] for d in cur.description], row)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """The policies sweep run once in this process."""
    root = tmp_path_factory.mktemp("sweep")
    sweep = write_files(root, POLICIES)
    code, printed = run(sweep, root / "out")
    return sweep, root / "out" / "policies", code, printed


def test_every_point_has_a_run_folder_and_a_row(done):
    sweep, sweep_dir, code, printed = done
    assert code == 0, printed
    assert "12 points: 12 ok, 0 failed; 12 run in" in printed
    rows = table(sweep_dir)
    assert [r["point_index"] for r in rows] == list(range(12))
    assert {r["status"] for r in rows} == {"ok"} and all(r["error"] is None and r["wall_s"] > 0 for r in rows)
    assert {(r["policy.name"], r["workload.generator.arrival_rate_per_h"], r["seed"]) for r in rows} == {
        (p, a, s) for p in ("fifo", "backfill", "sjf") for a in (30, 60) for s in (1, 2)}
    for r in rows:  # the row's summary is the run folder's
        summary = read_summary(sweep_dir / "points" / r["point_id"])
        assert summary["mean_wait_h"] == r["mean_wait_h"] and summary["jobs_completed"] == r["jobs_completed"]
        assert summary["policy"] == r["policy.name"] and summary["seed"] == r["seed"]
    assert not list((sweep_dir / "points").glob(".*"))
    assert pq.read_table(sweep_dir / "points.parquet").to_pylist() == rows
    assert (sweep_dir / "sweep.yaml").read_text() == sweep.read_text()


def test_a_point_equals_the_scenario_run_by_hand(done):
    sweep, sweep_dir, _, _ = done
    plan = plan_points(load_sweep(sweep))
    pt = next(p for p in plan.points if p.values["policy.name"] == "sjf" and p.seed == 2
              and p.values["workload.generator.arrival_rate_per_h"] == 60)
    by_hand = simulate(pt.loaded, 2).summary
    row = next(r for r in table(sweep_dir) if r["point_id"] == pt.point_id)
    for key in ("jobs_submitted", "jobs_completed", "mean_wait_h", "allocation_utilization", "energy_mwh", "events"):
        assert row[key] == by_hand[key], key
    assert by_hand["policy"] == "sjf" and by_hand["jobs_submitted"] > 300  # 60 jobs/h for 6 h


def test_the_report_has_its_figures(done):
    _, sweep_dir, _, _ = done
    page = (sweep_dir / "report.html").read_text()
    for div in ("sweep-scatter", "sweep-tornado", "sweep-pareto"):
        assert f'id="{div}"' in page
    assert "Pareto front (" in page and "<script src=" not in page  # plotly.js inline: opens offline


def test_resume_runs_only_the_missing_points(done, tmp_path):
    sweep, sweep_dir, _, _ = done
    before = table(sweep_dir)
    gone = [before[i]["point_id"] for i in (1, 6, 11)]
    for pid in gone:  # as if the sweep had stopped before these
        for f in (sweep_dir / "points" / pid).iterdir():
            f.unlink()
        (sweep_dir / "points" / pid).rmdir()
    kept = {r["point_id"]: (sweep_dir / "points" / r["point_id"] / "results.duckdb").stat().st_mtime_ns
            for r in before if r["point_id"] not in gone}
    code, printed = run(sweep, sweep_dir.parent, resume=True)
    assert code == 0, printed
    assert "12 points, 3 to run in this process (9 complete, kept)" in printed
    assert "12 points: 12 ok, 0 failed; 3 run in" in printed
    assert {pid: (sweep_dir / "points" / pid / "results.duckdb").stat().st_mtime_ns for pid in kept} == kept
    after = table(sweep_dir)
    drop = ("wall_s",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in after] == \
        [{k: v for k, v in r.items() if k not in drop} for r in before]


def test_without_resume_a_used_folder_is_refused_and_left_alone(done, capsys):
    sweep, sweep_dir, _, _ = done
    stamp = (sweep_dir / "sweep.duckdb").stat().st_mtime_ns
    code, _ = run(sweep, sweep_dir.parent)
    assert code == 2
    assert "this sweep has results here already (hint: --resume" in capsys.readouterr().err
    assert (sweep_dir / "sweep.duckdb").stat().st_mtime_ns == stamp


def test_a_failing_point_is_recorded_and_the_rest_run(sweep_file, tmp_path, capsys):
    sweep = sweep_file("""
        name: jobs-files
        base: tiny-csv.yaml
        grid:
          workload.csv: [jobs.csv, broken.csv]
          policy.name: [fifo, backfill]
    """)
    code, printed = run(sweep, tmp_path / "out")
    assert code == 4, printed
    assert "4 points: 2 ok, 2 failed" in printed
    rows = table(tmp_path / "out" / "jobs-files")
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "failed"]
    for r in rows[2:]:
        assert r["error"].endswith("broken.csv:3: gpus: must be > 0, got -3"), r["error"]
        assert r["jobs_submitted"] is None and not (tmp_path / "out" / "jobs-files" / "points" / r["point_id"]).exists()
    assert all(r["jobs_completed"] == 4 for r in rows[:2])
    assert "broken.csv:3: gpus" in (tmp_path / "out" / "jobs-files" / "report.html").read_text()
    code, printed = run(sweep, tmp_path / "out", resume=True)  # a failed point is tried again
    assert code == 4 and "4 points, 2 to run in this process (2 complete, kept)" in printed


def test_dry_run_lists_the_points_and_writes_nothing(sweep_file, tmp_path):
    sweep = sweep_file(POLICIES)
    code, printed = run(sweep, tmp_path / "out", dry_run=True)
    assert code == 0 and "12 points, 2 distinct worlds; nothing was run" in printed
    assert not (tmp_path / "out").exists()


def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "orbitgrid", "sweep", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_bad_sweep_file_exits_2_with_one_line(sweep_file, tmp_path):
    sweep = sweep_file("name: s\nbase: tiny.yaml\ngrid:\n  policy.name: [fifo, nope]\n")
    proc = _cli(str(sweep), "--out", str(tmp_path / "out"), cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [f"{sweep}:4: grid.policy.name[1]: 'nope' makes the scenario invalid: "
                                        "policy.name: unknown policy 'nope' (hint: did you mean 'sjf'?)"] or \
        err.count("\n") == 1, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_ctrl_c_keeps_the_points_done_and_resume_runs_the_rest(sweep_file, tmp_path):
    sweep = sweep_file("""
        name: long
        base: tiny.yaml
        grid:
          policy.name: [fifo, backfill, sjf]
        seeds: {count: 10, start: 1}   # 30 points: more than run before the signal lands
    """)
    points = tmp_path / "out" / "long" / "points"
    proc = _cli(str(sweep), "--out", str(tmp_path / "out"), "--workers", "1", cwd=tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.name[0] != "." for p in points.glob("*")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "Traceback" not in err
    assert not list(points.glob(".*")), "a partial folder was left"
    rows = table(tmp_path / "out" / "long")
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(rows) == 30 and 1 <= len(ok) < 30
    assert {r["status"] for r in rows} <= {"ok", "not_run"}
    assert len([p for p in points.iterdir()]) == len(ok)
    code, printed = run(sweep, tmp_path / "out", resume=True)
    assert code == 0, printed
    assert f"30 points, {30 - len(ok)} to run in this process ({len(ok)} complete, kept)" in printed
    assert [r["status"] for r in table(tmp_path / "out" / "long")] == ["ok"] * 30


def test_an_unreachable_ray_address_is_one_line_and_writes_nothing(sweep_file, tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _ = run(sweep_file(POLICIES), tmp_path / "out", workers=None, address=f"127.0.0.1:{port}")
    assert code == 2
    assert capsys.readouterr().err.strip() == f"--address: cannot reach Ray at 127.0.0.1:{port}: Connection refused"
    assert not (tmp_path / "out").exists()


def test_point_reports_on_request(sweep_file, tmp_path):
    sweep = sweep_file("name: one\nbase: tiny.yaml\n")
    code, _ = run(sweep, tmp_path / "out", point_reports=True)
    (point,) = (tmp_path / "out" / "one" / "points").iterdir()
    assert code == 0 and (point / "report.html").is_file() and (point / "results.duckdb").is_file()


def test_an_error_raised_while_ctrl_c_lands_is_the_interruption(monkeypatch, tmp_path):
    """DuckDB turns a KeyboardInterrupt inside it into its own exception: once Ctrl-C has been
    seen (runner.INTERRUPTED) such an error stops the sweep instead of failing the point;
    without Ctrl-C the same error is an ordinary failed point."""
    import orbitgrid.engine.run as engine_run
    from orbitgrid.sweep import runner

    def broken(*args, **kwargs):
        raise RuntimeError("reading the schema of the object registered as '_incoming' failed: KeyboardInterrupt")

    monkeypatch.setattr(engine_run, "simulate", broken)
    task = runner.PointTask("p0", 0, {}, 1, None, "k", str(tmp_path), "s")
    failed = runner.run_point(task)
    assert not failed.ok and failed.error.startswith("RuntimeError: reading the schema")
    runner.INTERRUPTED.set()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run_point(task)
    finally:
        runner.INTERRUPTED.clear()
