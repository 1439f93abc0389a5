"""A finished run's scenario read back from its folder, for views that rebuild part of the
world (the dashboard's orbit map, the CZML export): the scenario copy in the run folder, and
where the files it names (TLEs) are looked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orbitgrid.errors import InputError, Problem
from orbitgrid.results.store import SCENARIO_NAME, open_run
from orbitgrid.scenario import Scenario, load_scenario
from orbitgrid.yaml_lines import LineMap, load_yaml_with_lines


@dataclass(frozen=True)
class RunScenario:
    scenario: Scenario
    path: Path  # the copy in the run folder
    lines: LineMap
    base_dirs: tuple[Path, ...]  # where relative paths (TLE files) are looked for, in order


def _original_dir(run_dir: Path) -> Path | None:
    """The folder of the scenario file the run was started from (run_info), if it is still there."""
    con = open_run(run_dir)
    try:
        row = con.execute("SELECT value FROM run_info WHERE key = 'scenario_file'").fetchone()
    except duckdb.Error:  # no run_info table: relative files then resolve in the run folder
        row = None
    finally:
        con.close()
    if row is None:
        return None
    parent = Path(json.loads(row[0])).parent
    return parent if parent.is_dir() else None


def read_run_scenario(run_dir: Path) -> RunScenario:
    """The run's scenario read back with the scenario loader; InputError (one line) when
    `run_dir` is not a complete run folder."""
    run_dir = Path(run_dir)
    original = _original_dir(run_dir)  # open_run raises the not-a-run-folder errors
    path = run_dir / SCENARIO_NAME
    if not path.is_file():
        raise InputError([Problem(str(run_dir), None, "", f"not a complete run folder (no {SCENARIO_NAME})")])
    data, lines = load_yaml_with_lines(path)
    try:
        scenario = load_scenario(path).scenario
    except InputError as exc:
        # files the run read beside its scenario (jobs, prices, TLEs) are not copied into the
        # run folder: their absence here says nothing about the scenario, which the run checked
        if not all(p.message.startswith("file not found") for p in exc.problems):
            raise
        scenario = Scenario.model_validate(data)
    return RunScenario(scenario, path, lines, tuple(d for d in (original, run_dir) if d is not None))


def files_dir(con, base_dirs: tuple[Path, ...]) -> Path:
    """The folder a constellation's relative TLE file is found in (the first that has it)."""
    return next((d for d in base_dirs if con.tle is None or (d / con.tle.file).is_file()), Path("."))
