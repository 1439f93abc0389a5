"""The same sweeps as Ray tasks on one local Ray (2 CPUs) shared by the module: results
identical to running in this process, failures recorded, Ctrl-C cancels cleanly."""

from __future__ import annotations

import logging

import pytest

from conftest import write_files
from test_sweep_run import POLICIES, run, table
from orbitgrid.sweep.points import plan_points
from orbitgrid.sweep.runner import PointTask, run_on_ray
from orbitgrid.sweep.spec import load_sweep

ray = pytest.importorskip("ray")

ORBIT = """
    name: orbit
    base: tiny-orbit.yaml
    grid:
      policy.name: [fifo, backfill]
      workload.generator.arrival_rate_per_h: [10, 40]
    seeds: [3]
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield
    ray.shutdown()


def without(rows: list[dict], *keys: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in keys} for r in rows]


@pytest.mark.parametrize("text, name, shared", [(POLICIES, "policies", 2), (ORBIT, "orbit", 1)])
def test_ray_gives_the_same_table_as_this_process(local_ray, tmp_path, text, name, shared):
    sweep = write_files(tmp_path, text)
    code_here, printed_here = run(sweep, tmp_path / "here", workers=1)
    code_ray, printed_ray = run(sweep, tmp_path / "ray", workers=2)
    assert code_here == code_ray == 0, printed_ray
    assert "on a local Ray, 2 workers" in printed_ray
    assert f"{shared} shared worlds built" in printed_ray and f"{shared} shared worlds built" in printed_here
    here, there = table(tmp_path / "here" / name), table(tmp_path / "ray" / name)
    assert {r["status"] for r in there} == {"ok"}
    assert without(here, "wall_s", "run_dir") == without(there, "wall_s", "run_dir")
    if name == "orbit":
        assert all(r["fault_hits"] > 0 for r in there)  # the shared world carries the faults


def test_a_failing_point_on_ray_is_recorded(local_ray, tmp_path):
    sweep = write_files(tmp_path, "name: jobs\nbase: tiny-csv.yaml\ngrid: {workload.csv: [broken.csv, jobs.csv]}\n")
    code, printed = run(sweep, tmp_path / "out", workers=2)
    assert code == 4 and "2 points: 1 ok, 1 failed" in printed
    rows = table(tmp_path / "out" / "jobs")
    assert [r["status"] for r in rows] == ["failed", "ok"]
    assert rows[0]["error"].endswith("broken.csv:3: gpus: must be > 0, got -3")


def test_ctrl_c_cancels_the_tasks_and_leaves_no_partial_folder(local_ray, tmp_path):
    sweep = write_files(tmp_path, "name: c\nbase: tiny.yaml\ngrid: {policy.name: [fifo, backfill, sjf]}\n"
                                  "seeds: {count: 4, start: 1}\n")
    plan = plan_points(load_sweep(sweep))
    points = tmp_path / "points"
    points.mkdir()
    tasks = [PointTask(p.point_id, p.index, p.values, p.seed, p.loaded, p.world_key, str(points), "c")
             for p in plan.points]
    seen = []

    def stop_after_first(outcome):
        seen.append(outcome)
        raise KeyboardInterrupt  # as Ctrl-C arrives while the driver waits

    with pytest.raises(KeyboardInterrupt):
        run_on_ray(tasks, stop_after_first, workers=2, address=None)
    assert len(seen) == 1 and seen[0].ok
    assert not list(points.glob(".*")), "a cancelled task left its partial folder"
    finished = [p for p in points.iterdir()]
    assert 1 <= len(finished) < len(tasks)  # at most the window in flight, never all twelve
    assert all((p / "results.duckdb").is_file() for p in finished)
