"""Shared helpers: write a scenario (and job file) into a temporary folder and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orbitgrid.scenario import LoadedScenario, load_scenario


@pytest.fixture
def write_scenario(tmp_path: Path):
    """write_scenario(yaml_text, jobs_csv=None) -> LoadedScenario (the CSV lands as jobs.csv)."""

    def make(text: str, jobs_csv: str | None = None, name: str = "scenario.yaml") -> LoadedScenario:
        if jobs_csv is not None:
            (tmp_path / "jobs.csv").write_text(textwrap.dedent(jobs_csv).lstrip(), encoding="utf-8")
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return load_scenario(path)

    return make
