"""Requests in proportion to a user's city populations (`requests.population_file`;
inference/requests.py: read_city_populations, population_weights)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario

SCENARIO = """
name: populations
simulation: {{duration_h: 24, tick_s: 3600, seed: 3, start: "2026-03-21T00:00:00"}}
sites:
  - name: lab
    location: {{lat_deg: 51.5, lon_deg: -0.1}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: a, gpu: H100, count: 8}}
workload:
  reference_gpu: H100
  generator: {{arrival_rate_per_h: 1, jobs: 1, gpus_per_job: {{min: 1, max: 1}}}}
policy: {{name: fifo}}
inference:
  network_tick_s: 3600
  services:
    - name: chat
      model: Llama 3.1 8B Instruct
      gpu: H100
      gpus_per_replica: 1
      batch_size: 256
      replicas: [{{site: lab, count: 4}}]
      requests:
        arrivals: population
        per_day: 400000
        tokens: fixed
        input_tokens: 10
        output_tokens: 10
        daily_cycle: {{amplitude: 0}}
        population_file: pop.csv
{extra}"""


def _write(tmp_path, csv_text: str, extra: str = ""):
    (tmp_path / "pop.csv").write_text(csv_text)
    (tmp_path / "s.yaml").write_text(SCENARIO.format(extra=extra))
    return tmp_path / "s.yaml"


def test_requests_follow_the_populations_given(tmp_path):
    """Three cities of 20, 15 and 5 million (shares 0.5, 0.375, 0.125) and 400,000 requests
    a day with no daily cycle: counts are Poisson with those means (sd about 0.1-0.2% of
    the total), so each share is within 1% of the population share, and no other city
    sends anything."""
    path = _write(tmp_path, "city,population\nLondon,20000000\nLagos,15000000\nTokyo,5000000\n")
    result = simulate(load_scenario(path))
    city = np.asarray(result.tables["requests"].column("city").to_pylist())  # an even sample beyond 200,000
    got = dict(zip(*np.unique(city, return_counts=True)))
    total = sum(got.values())
    assert set(got) == {"London", "Lagos", "Tokyo"}
    for name, share in (("London", 0.5), ("Lagos", 0.375), ("Tokyo", 0.125)):
        assert got[name] / total == pytest.approx(share, abs=0.01)
    assert result.summary["requests"] == pytest.approx(400_000, rel=0.01)


@pytest.mark.parametrize("csv_text, line, field, words", [
    ("city,population\nLondon,9e6\nAtlantis,1e6\n", 3, "city", "unknown place 'Atlantis'"),
    ("city,population\nLondon,0\n", 2, "population", "0 is not a positive population"),
    ("city,population\nLondon,many\n", 2, "population", "not a number: 'many'"),
    ("city,population\nLondon,1e6\nlondon,2e6\n", 3, "city", "'London' is already on line 2"),
    ("town,population\nLondon,1e6\n", 1, "city", "missing column"),
])
def test_bad_population_file_is_one_line_with_its_line(tmp_path, csv_text, line, field, words):
    """Each bad row is named by file, line and column at validation; exit 2."""
    path = _write(tmp_path, csv_text)
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert f"pop.csv:{line}: {field}: {words}" in res.output


def test_population_file_and_cities_together_is_refused(tmp_path):
    """The file names its own cities: giving `cities` too is refused with its field."""
    path = _write(tmp_path, "city,population\nLondon,1e6\n")
    path.write_text(path.read_text().replace("        population_file: pop.csv", "        population_file: pop.csv\n        cities: 10"))
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and "leave out cities" in res.output
