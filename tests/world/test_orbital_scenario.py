"""Constellations in a scenario: orbital pools whose capacity follows sunlight, end to end."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from orbitgrid.engine import simulate
from orbitgrid.errors import InputError
from orbitgrid.scenario import load_scenario
from orbitgrid.world.pools import build_world

SCENARIO = """
name: orbital
simulation: {{duration_h: 12, tick_s: 120, start: "2026-03-20T12:00:00"}}
constellations:
  - name: ring
    shell: {{altitude_km: 550, inclination_deg: {inc}, planes: 2, sats_per_plane: 4, phasing: 1}}
    satellite:
      gpu: H100
      gpus: 8
      gpu_power_w: 1275
      bus_power_w: 1000
      array_area_m2: 60
      cell_efficiency: 0.3
      battery_wh: 20000
      depth_of_discharge: 0.8
      charge_efficiency: 0.95
      discharge_efficiency: 0.95
      max_charge_w: 10000
      max_discharge_w: 15000
      radiator_area_m2: 40
      emissivity: 0.9
      absorptivity: 0.2
      max_radiator_temperature_k: 330
    eclipse_policy: {policy}
workload:
  generator: {{arrival_rate_per_h: 30, gpus_per_job: {{max: 16}}, duration_h: {{median_h: 0.5, max_h: 4}}}}
policy: {{name: backfill}}
"""


def test_power_off_loses_the_shadowed_share_and_gpu_hours_add_up(write_scenario):
    loaded = write_scenario(SCENARIO.format(inc=0, policy="power_off"))
    r = simulate(loaded)
    s = r.summary
    installed_gpu_h = 2 * 4 * 8 * 12
    # every GPU-hour is either offered, or lost for want of power, or lost to heat
    total = s["orbital_gpu_hours_available"] + s["orbital_gpu_hours_lost_eclipse"] + s["orbital_gpu_hours_lost_thermal"]
    assert total == pytest.approx(installed_gpu_h)
    # equatorial orbit at the equinox: beta ≈ 0, about 37% of each orbit in shadow (closed form 0.372)
    assert s["orbital_gpu_hours_lost_eclipse"] / installed_gpu_h == pytest.approx(0.372, abs=0.03)
    assert s["gpu_hours_allocated"] <= s["gpu_hours_available"] == pytest.approx(s["orbital_gpu_hours_available"])
    assert s["preemptions"] > 0  # gangs caught by the shadow are preempted and resume later


def test_ride_through_keeps_the_gpus(write_scenario):
    r = simulate(write_scenario(SCENARIO.format(inc=0, policy="ride_through")))
    s = r.summary
    # 8 x 1,275 + 1,000 W = 11.2 kW for a 35.6 min eclipse: 6.6 kWh of 16 kWh usable
    assert s["orbital_gpu_hours_lost_eclipse"] == 0
    assert s["battery_min_soc"] == pytest.approx(1 - 11_200 * 35.6 / 60 / 0.95 / 20_000, abs=0.03)


def test_world_has_one_pool_per_plane(write_scenario):
    world = build_world(write_scenario(SCENARIO.format(inc=53, policy="ride_through")).scenario)
    assert world.pool_names == ("ring/s0p0", "ring/s0p1")
    assert world.installed.tolist() == [32, 32]
    assert world.site_names == ("ring",) and np.isinf(world.site_cap_w[0])


def test_bad_constellation_input(write_scenario):
    with pytest.raises(InputError) as info:
        write_scenario(SCENARIO.format(inc=0, policy="ride_through").replace("inclination_deg: 0", "sso: true, inclination_deg: 0"))
    assert "either inclination_deg or sso" in info.value.problems[0].message
    with pytest.raises(InputError) as info:
        write_scenario(SCENARIO.format(inc=0, policy="ride_through").replace("gpu: H100", "gpu: H10"))
    assert info.value.problems[0].path == "constellations[0].satellite.gpu"


def test_packaged_orbit_example_validates():
    loaded = load_scenario(str(resources.files("orbitgrid").joinpath("examples/orbit.yaml")))
    assert [c.name for c in loaded.scenario.constellations] == ["dawn-dusk", "inclined", "suncatcher"]
