"""Small real runs for the dashboard tests: two short quickstart runs and a 6-hour orbit run."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from orbitgrid.engine import simulate
from orbitgrid.results.store import write_run
from orbitgrid.scenario import load_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "orbitgrid" / "examples"


def short_scenario(example: str, hours: float, folder: Path) -> Path:
    """A packaged example cut to `hours`, written to `folder`."""
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    for full in ("duration_h: 720 ", "duration_h: 168 "):
        text = text.replace(full, f"duration_h: {hours} ", 1)
    path = folder / f"{example}_{hours:g}h.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def make_run(scenario: Path, runs_dir: Path, name: str, seed: int | None = None) -> Path:
    loaded = load_scenario(scenario)
    result = simulate(loaded, seed)
    return write_run(runs_dir, name, result.tables, result.summary, loaded.text,
                     {"scenario_file": str(scenario), "seed": seed}, write_report=False)


@pytest.fixture(scope="package")
def runs_dir(tmp_path_factory) -> Path:
    """A runs folder: quick_a (seed 1), quick_b (seed 2), orbit6 (orbital, 6 h)."""
    root = tmp_path_factory.mktemp("dash")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    runs = root / "runs"
    quick = short_scenario("quickstart", 12, scenarios)
    make_run(quick, runs, "quick_a", 1)
    make_run(quick, runs, "quick_b", 2)
    make_run(short_scenario("orbit", 6, scenarios), runs, "orbit6")
    return runs


@pytest.fixture(scope="package")
def client(runs_dir):
    from fastapi.testclient import TestClient

    from orbitgrid.dashboard.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with TestClient(create_app(runs_dir)) as c:
            yield c
