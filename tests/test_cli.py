"""The command line as a user meets it: `python -m orbitgrid ...` in a subprocess.

User errors end with exit code 2 and `FILE:LINE: field.path: message` lines on stderr, never a
traceback; `run` writes a complete run folder or none at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TINY = """\
name: tiny-cli
simulation:
  duration_h: 3
  seed: 1
sites:
  - name: s1
    location: {lat_deg: 52.0, lon_deg: 4.0}
    power_cap_mw: 2
    pue: 1.2
    pools:
      - name: h100
        gpu: H100
        count: 256
      - name: a100
        gpu: A100
        count: 128
workload:
  reference_gpu: H100
  generator:
    arrival_rate_per_h: 8
    gpus_per_job: {min: 1, max: 64}
    duration_h: {median_h: 0.5, sigma: 0.8, max_h: 4}
policy:
  name: backfill
"""

# three problems: pue (line 9), count (line 13), an unknown key (line 14)
BAD = (
    TINY.replace("pue: 1.2", "pue: 0.5")
    .replace("count: 256", "count: lots")
    .replace("      - name: a100\n", "        colour: red\n      - name: a100\n")
)

SUMMARY_KEYS = {
    "run_dir", "jobs_submitted", "jobs_completed", "jobs_failed", "jobs_running", "jobs_queued",
    "gpu_hours_available", "gpu_hours_allocated", "allocation_utilization", "effective_utilization",
    "mean_wait_h", "mean_jct_h", "makespan_h", "energy_mwh", "peak_power_mw",
}  # fmt: skip

LINE_ERROR = re.compile(r"^[^:]+:\d+: [\w\[\].]+: .+")
RUN_FILES = {"results.duckdb", "scenario.yaml", "report.html"}


def orbitgrid(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ORBITGRID_DEBUG"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "orbitgrid", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _assert_user_error(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    lines = _lines(proc.stderr)
    assert lines, "a user error must say what is wrong"
    return lines


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """One small run shared by the run/show tests: (cwd, out folder, parsed JSON summary)."""
    cwd = tmp_path_factory.mktemp("cli_run")
    (cwd / "tiny.yaml").write_text(TINY, encoding="utf-8")
    proc = orbitgrid("run", "tiny.yaml", "--json", "--out", "OUT", "--seed", "3", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    stdout_lines = _lines(proc.stdout)
    assert len(stdout_lines) == 1, proc.stdout
    summary = json.loads(stdout_lines[0])
    assert isinstance(summary, dict)
    return cwd, cwd / "OUT", summary


# ---------------------------------------------------------------- validate


def test_validate_good_file(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    proc = orbitgrid("validate", "tiny.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stderr and "384 GPUs" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()  # validate writes nothing


def test_validate_bad_file_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    proc = orbitgrid("validate", "bad.yaml", cwd=tmp_path)
    lines = _assert_user_error(proc)
    for line in lines:
        assert LINE_ERROR.match(line), line
        assert line.startswith("bad.yaml:")
    assert [line.split(": ")[0:2] for line in lines] == [
        ["bad.yaml:9", "sites[0].pue"],
        ["bad.yaml:13", "sites[0].pools[0].count"],
        ["bad.yaml:14", "sites[0].pools[0].colour"],
    ]
    assert "[and" not in proc.stderr  # validate lists them all instead


@pytest.mark.parametrize(
    ("text", "line", "path"),
    [
        (TINY.replace("        gpu: H100", "        gpu: H10"), 12, "sites[0].pools[0].gpu"),
        (TINY.replace("name: backfill", "name: backfil"), 24, "policy.name"),
        (TINY.replace("{min: 1, max: 64}", "[min: 1, max: 64"), 22, "yaml")  # noticed on the next line,
    ],
)
def test_validate_single_errors(tmp_path: Path, text: str, line: int, path: str) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    (only,) = _assert_user_error(orbitgrid("validate", "bad.yaml", cwd=tmp_path))
    assert LINE_ERROR.match(only), only
    assert only.startswith(f"bad.yaml:{line}: {path}: ")


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "nope.yaml: file not found"),
        (lambda d: (d / "nope.yaml").write_text("- 1\n- 2\n", encoding="utf-8"), "nope.yaml:1: a scenario is a mapping"),
    ],
)
def test_validate_file_level_errors(tmp_path: Path, setup, expected: str) -> None:
    setup(tmp_path)
    (only,) = _assert_user_error(orbitgrid("validate", "nope.yaml", cwd=tmp_path))
    assert only.startswith(expected), only


# ---------------------------------------------------------------- run


def test_run_bad_scenario_prints_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    proc = orbitgrid("run", "bad.yaml", "--out", "OUT", "--json", cwd=tmp_path)
    (only,) = _assert_user_error(proc)
    assert only.startswith("bad.yaml:9: sites[0].pue: ")
    assert LINE_ERROR.match(only), only
    assert only.endswith("[and 2 more: run `orbitgrid validate` to list all]")
    assert proc.stdout.strip() == ""
    assert _entries(tmp_path / "OUT") == []


def test_run_missing_scenario(tmp_path: Path) -> None:
    proc = orbitgrid("run", "nope.yaml", "--out", "OUT", cwd=tmp_path)
    (only,) = _assert_user_error(proc)
    assert only == "nope.yaml: file not found"
    assert _entries(tmp_path / "OUT") == []


def test_run_json_summary(finished_run: tuple[Path, Path, dict]) -> None:
    cwd, out, summary = finished_run
    assert SUMMARY_KEYS <= set(summary), SUMMARY_KEYS - set(summary)
    assert summary["seed"] == 3
    assert summary["scenario"] == "tiny-cli"
    assert summary["policy"] == "backfill"
    assert summary["jobs_submitted"] > 5  # ~8 per hour for 3 hours
    assert summary["jobs_submitted"] == (
        summary["jobs_completed"] + summary["jobs_failed"] + summary["jobs_running"] + summary["jobs_queued"]
    )
    assert summary["jobs_completed"] > 0
    assert 0 < summary["gpu_hours_allocated"] <= summary["gpu_hours_available"] + 1e-6
    assert 0 < summary["allocation_utilization"] <= 1
    assert 0 < summary["effective_utilization"] <= 1
    assert summary["energy_mwh"] > 0
    assert 0 < summary["peak_power_mw"] <= 2 + 1e-9  # the site's power cap
    assert summary["mean_wait_h"] >= 0 and summary["mean_jct_h"] > 0 and summary["makespan_h"] > 0


def test_run_writes_exactly_one_complete_run_folder(finished_run: tuple[Path, Path, dict]) -> None:
    cwd, out, summary = finished_run
    run_dir = cwd / summary["run_dir"]
    assert run_dir.is_dir()
    assert run_dir.parent.resolve() == out.resolve()
    assert set(_entries(run_dir)) == RUN_FILES
    # nothing else in OUT: in particular no hidden `.NAME.partial-*` folder left behind
    assert _entries(out) == [run_dir.name]
    assert not any(".partial" in name for name in os.listdir(out))
    assert (run_dir / "scenario.yaml").read_text(encoding="utf-8") == TINY
    assert (run_dir / "results.duckdb").stat().st_size > 0
    assert "<html" in (run_dir / "report.html").read_text(encoding="utf-8").lower()


def test_show_json_matches_run(finished_run: tuple[Path, Path, dict]) -> None:
    cwd, out, summary = finished_run
    proc = orbitgrid("show", summary["run_dir"], "--json", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    lines = _lines(proc.stdout)
    assert len(lines) == 1
    shown = json.loads(lines[0])
    for key in SUMMARY_KEYS:
        assert shown[key] == summary[key], key
    assert shown == summary


def test_show_table(finished_run: tuple[Path, Path, dict]) -> None:
    cwd, out, summary = finished_run
    proc = orbitgrid("show", summary["run_dir"], cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "jobs_submitted" in proc.stdout
    assert "tiny-cli" in proc.stdout


def test_show_missing_folder(tmp_path: Path) -> None:
    (only,) = _assert_user_error(orbitgrid("show", "no_such_run", "--json", cwd=tmp_path))
    assert only == "no_such_run: no such run folder"


def test_show_folder_without_results(tmp_path: Path) -> None:
    (tmp_path / "half_run").mkdir()
    (tmp_path / "half_run" / "scenario.yaml").write_text(TINY, encoding="utf-8")
    (only,) = _assert_user_error(orbitgrid("show", "half_run", cwd=tmp_path))
    assert only.startswith("half_run: ")
    assert "results.duckdb" in only


# ---------------------------------------------------------------- job files


def _scenario_with_csv(tmp_path: Path, csv_text: str) -> None:
    (tmp_path / "jobs_in.csv").write_text(csv_text, encoding="utf-8")
    text = TINY.replace("  generator:\n", "  csv: jobs_in.csv\n  generator:\n")
    (tmp_path / "with_csv.yaml").write_text(text, encoding="utf-8")


def test_run_with_good_csv(tmp_path: Path) -> None:
    _scenario_with_csv(
        tmp_path, "job_id,arrival_h,gpus,work_gpu_h,gpu_types\nbig,0.1,128,64,H100\nsmall,0.2,4,1,A100|H100\n"
    )
    proc = orbitgrid("run", "with_csv.yaml", "--json", "--out", "OUT", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    run_dir = tmp_path / summary["run_dir"]
    assert set(_entries(run_dir)) == {"results.duckdb", "scenario.yaml"}  # --no-report
    import duckdb

    con = duckdb.connect(str(run_dir / "results.duckdb"), read_only=True)
    try:
        names = {row[0] for row in con.execute("SELECT name FROM jobs").fetchall()}
    finally:
        con.close()
    assert {"big", "small"} <= names


def test_run_with_bad_csv_row(tmp_path: Path) -> None:
    _scenario_with_csv(tmp_path, "arrival_h,gpus,work_gpu_h\n0,8,1\n0.5,eight,1\n")
    proc = orbitgrid("run", "with_csv.yaml", "--out", "OUT", cwd=tmp_path)
    (only,) = _assert_user_error(proc)
    assert LINE_ERROR.match(only), only
    assert re.search(r"jobs_in\.csv:3: gpus: not an integer: 'eight'$", only), only
    assert _entries(tmp_path / "OUT") == []


def test_run_with_missing_csv(tmp_path: Path) -> None:
    text = TINY.replace("  generator:\n", "  csv: jobs_gone.csv\n  generator:\n")
    (tmp_path / "with_csv.yaml").write_text(text, encoding="utf-8")
    (only,) = _assert_user_error(orbitgrid("run", "with_csv.yaml", "--out", "OUT", cwd=tmp_path))
    assert only.startswith("with_csv.yaml:19: workload.csv: file not found")
    assert _entries(tmp_path / "OUT") == []


def test_validate_reports_bad_csv_row(tmp_path: Path) -> None:
    # the job file is input too: validate must not say ok when run would fail on it
    _scenario_with_csv(tmp_path, "arrival_h,gpus,work_gpu_h\n0,8,1\n0.5,eight,1\n")
    (only,) = _assert_user_error(orbitgrid("validate", "with_csv.yaml", cwd=tmp_path))
    assert LINE_ERROR.match(only), only
    assert re.search(r"jobs_in\.csv:3: gpus: not an integer: 'eight'$", only), only
    assert "ok" not in only


def test_run_with_huge_priority_is_a_user_error(tmp_path: Path) -> None:
    _scenario_with_csv(tmp_path, "arrival_h,gpus,work_gpu_h,priority\n0,8,1,9999999999\n")
    (only,) = _assert_user_error(orbitgrid("run", "with_csv.yaml", "--out", "OUT", cwd=tmp_path))
    assert "jobs_in.csv:2: priority" in only


# ---------------------------------------------------------------- help and listings


def test_help(tmp_path: Path) -> None:
    proc = orbitgrid("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "validate", "show", "policies"):
        assert command in proc.stdout
    assert "Traceback" not in proc.stderr


def test_run_help(tmp_path: Path) -> None:
    proc = orbitgrid("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for option in ("--seed", "--out", "--json"):
        assert option in proc.stdout


def test_policies(tmp_path: Path) -> None:
    proc = orbitgrid("policies", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in _lines(proc.stdout)]
    assert "fifo" in names and "backfill" in names


def test_a_broken_invariant_aborts_with_exit_3(tmp_path, monkeypatch, capsys):
    """A run that contradicts itself writes nothing and says so in one line (exit 3)."""
    import orbitgrid.engine.run as run_module
    from orbitgrid import cli
    from orbitgrid.engine.invariants import InvariantError

    def broken(*args, **kwargs):
        raise InvariantError("pool 0 over-allocated at t=1.0000 h: 9 GPUs on a capacity of 8")

    monkeypatch.setattr(run_module, "check_invariants", broken)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: t\nsimulation: {duration_h: 1}\nsites:\n  - name: a\n    location: {lat_deg: 0, lon_deg: 0}\n"
        "    power_cap_mw: 1\n    pue: 1.1\n    pools: [{name: p, gpu: H100, count: 8}]\n"
        "workload: {generator: {arrival_rate_per_h: 5}}\n"
    )
    monkeypatch.setattr(sys, "argv", ["orbitgrid", "run", str(scenario), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("orbitgrid: run aborted, no run folder written: InvariantError: pool 0 over-allocated")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_same_seed_gives_identical_tables_and_report(tmp_path: Path) -> None:
    """Two CLI runs of one scenario and seed: every table row and the report's bytes agree
    (only `summary.run_dir` and `run_info`, which say where and how fast, may differ)."""
    import duckdb

    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: twice\nsimulation: {duration_h: 12, tick_s: 600}\nsites:\n  - name: a\n"
        "    location: {lat_deg: 0, lon_deg: 0}\n    power_cap_mw: 1\n    pue: 1.1\n"
        "    pools: [{name: p, gpu: H100, count: 64}, {name: q, gpu: B200, count: 32}]\n"
        "workload: {generator: {arrival_rate_per_h: 20, gpus_per_job: {max: 32}}}\npolicy: {name: backfill}\n"
    )
    dirs = []
    for out in ("one", "two"):
        done = subprocess.run(
            [sys.executable, "-m", "orbitgrid", "run", str(scenario), "--seed", "4", "--out", str(tmp_path / out), "--json"],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        dirs.append(Path(json.loads(done.stdout)["run_dir"]))
    assert (dirs[0] / "report.html").read_bytes() == (dirs[1] / "report.html").read_bytes()
    a, b = (duckdb.connect(str(d / "results.duckdb"), read_only=True) for d in dirs)
    tables = [r[0] for r in a.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    assert {"jobs", "allocations", "pools", "sites", "timeseries", "queue", "summary"} <= set(tables)
    for table in tables:
        if table == "run_info":
            continue
        query = f'SELECT * EXCLUDE (run_dir) FROM "{table}"' if table == "summary" else f'SELECT * FROM "{table}"'
        assert a.execute(query).fetchall() == b.execute(query).fetchall(), table
    assert a.execute("SELECT count(*) FROM jobs").fetchone()[0] > 100


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_no_folder(tmp_path: Path, sig: str) -> None:
    """Stopped mid-run, orbitgrid exits 130 and leaves nothing in the output folder."""
    import signal
    import time

    scenario = tmp_path / "long.yaml"
    scenario.write_text(
        "name: long\nsimulation: {duration_h: 5000, tick_s: 60}\nsites:\n  - name: a\n"
        "    location: {lat_deg: 0, lon_deg: 0}\n    power_cap_mw: 10\n    pue: 1.1\n"
        "    pools: [{name: p, gpu: H100, count: 512}]\n"
        "workload: {generator: {arrival_rate_per_h: 200, gpus_per_job: {max: 64}}}\n"
    )
    out = tmp_path / "out"
    # a test run from a background job inherits SIGINT ignored (POSIX shells do that to `&`
    # jobs), and Python then keeps it ignored: give the child the default disposition, as a
    # terminal would
    proc = subprocess.Popen(
        [sys.executable, "-m", "orbitgrid", "run", str(scenario), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3.0)
    assert proc.poll() is None, "the run should still be going"
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: no run folder was written" in err
    assert "Traceback" not in err
    assert not out.exists() or list(out.iterdir()) == []


def test_gavel_run_json_is_clean_json(tmp_path: Path) -> None:
    """The HiGHS solver prints a banner on file descriptor 1 when it starts; `--json` output
    must still be JSON alone."""
    (tmp_path / "g.yaml").write_text(TINY.replace("name: backfill", "name: gavel"), encoding="utf-8")
    proc = orbitgrid("run", "g.yaml", "--out", "OUT", "--json", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "HiGHS" not in proc.stdout
    assert json.loads(proc.stdout)["jobs_submitted"] > 0


def test_a_policy_setting_checked_at_run_time_names_its_line(tmp_path: Path) -> None:
    """reserved_gpus names a tenant no job of the job file has: found when the run starts,
    reported at the scenario's line of that field, exit 2, nothing written."""
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h,tenant\n0,4,1,lab\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(
        "name: r\nsimulation: {duration_h: 2}\n"
        "sites: [{name: s, location: {lat_deg: 0, lon_deg: 0}, power_cap_mw: 1, pue: 1.1,\n"
        "         pools: [{name: p, gpu: H100, count: 8}]}]\n"
        "workload: {csv: jobs.csv}\npolicy:\n  name: reserved\n  reserved_gpus: {labb: 4}\n", encoding="utf-8")
    proc = orbitgrid("run", "r.yaml", "--out", "OUT", cwd=tmp_path)
    (only,) = _assert_user_error(proc)
    assert only.startswith("r.yaml:8: policy.reserved_gpus.labb: ")
    assert _entries(tmp_path / "OUT") == []
