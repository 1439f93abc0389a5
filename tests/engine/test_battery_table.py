"""The store's `battery` table: each constellation's state of charge at every orbital tick
(engine/run.py: _battery_table; world/orbital.py: constellation_capacity)."""

from __future__ import annotations

import pytest

from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario

SAT = """{gpu: H100, gpus: 2, bus_power_w: 500, array_area_m2: 30, cell_efficiency: 0.3, battery_wh: 3000,
                depth_of_discharge: 0.8, charge_efficiency: 0.95, discharge_efficiency: 0.95, max_charge_w: 5000,
                max_discharge_w: 5000, radiator_area_m2: 20, radiator_sides: 2, emissivity: 0.9, absorptivity: 0.2,
                max_radiator_temperature_k: 330}"""

SCENARIO = f"""
name: batteries
simulation: {{duration_h: 6, tick_s: 300, seed: 0, start: "2026-03-21T00:00:00"}}
constellations:
  - name: dawn-dusk
    shell: {{altitude_km: 650, sso: true, ltan_h: 18, planes: 1, sats_per_plane: 4, phasing: 0}}
    satellite: {SAT}
  - name: inclined
    shell: {{altitude_km: 550, inclination_deg: 53, planes: 2, sats_per_plane: 3, phasing: 1}}
    satellite: {SAT}
workload:
  reference_gpu: H100
  generator: {{arrival_rate_per_h: 1, jobs: 1, gpus_per_job: {{min: 1, max: 1}}}}
policy: {{name: fifo}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bat") / "s.yaml"
    path.write_text(SCENARIO)
    return simulate(load_scenario(path))


def test_one_row_per_constellation_and_tick(run):
    """6 h at 300 s ticks: 72 rows for each of the two constellations."""
    b = run.tables["battery"].to_pydict()
    assert b["constellation"].count("dawn-dusk") == 72 and b["constellation"].count("inclined") == 72
    assert b["time_h"][:3] == [0.0, 300 / 3600, 600 / 3600]


def test_dawn_dusk_at_the_equinox_never_draws_on_its_battery(run):
    """A dawn-dusk orbit at 650 km is out of its eclipse season at the March equinox (its
    season is around the June solstice): full sun, so the charge stays at 100% all run."""
    b = run.tables["battery"].to_pydict()
    dd = [(m, low) for c, m, low in zip(b["constellation"], b["soc_mean"], b["soc_min"]) if c == "dawn-dusk"]
    assert all(m == 1.0 and low == 1.0 for m, low in dd)


def test_lowest_charge_in_the_table_is_the_summary_key(run):
    """The 53 deg shell passes through the shadow every orbit and draws on its batteries:
    its lowest satellite's charge dips below 100%, and the lowest value in the table is
    the summary's battery_min_soc (the same satellites, the same ticks); mean >= lowest."""
    b = run.tables["battery"].to_pydict()
    inc = [(m, low) for c, m, low in zip(b["constellation"], b["soc_mean"], b["soc_min"]) if c == "inclined"]
    assert min(low for _, low in inc) < 0.99
    assert all(m >= low - 1e-12 for m, low in inc)
    assert min(b["soc_min"]) == pytest.approx(run.summary["battery_min_soc"], abs=1e-12)
