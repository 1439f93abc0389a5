"""A tiny scenario, job files and sweep files written into a temporary folder for the sweep tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

TINY = """\
# a small fleet for a few hours: a point simulates in a few hundredths of a second
name: tiny
simulation: {duration_h: 6, tick_s: 600, seed: 1}
sites:
  - name: s1
    location: {lat_deg: 35.0, lon_deg: -90.0}
    power_cap_mw: 1.0
    pue: 1.2
    pools:
      - {name: a, gpu: H100, count: 64}
      - {name: b, gpu: GB200, count: 36}
workload:
  reference_gpu: H100
  generator:
    arrival_rate_per_h: 30
    gpus_per_job: {min: 1, max: 64, pareto_alpha: 0.8, power_of_two: true}
    duration_h: {median_h: 1.0, sigma: 1.0, max_h: 8}
policy: {name: backfill, allow_mixed_gangs: true}
"""

CSV_BASE = """\
name: tiny-csv
simulation: {duration_h: 6, tick_s: 600, seed: 1}
sites:
  - name: s1
    location: {lat_deg: 35.0, lon_deg: -90.0}
    power_cap_mw: 1.0
    pue: 1.2
    pools:
      - {name: a, gpu: H100, count: 64}
workload:
  reference_gpu: H100
  csv: jobs.csv
policy: {name: backfill}
"""

ORBIT = """\
# one small shell for half a day: its world (sunlight, battery, faults) is what points share
name: tiny-orbit
simulation: {duration_h: 12, tick_s: 600, seed: 3, start: "2026-05-01T00:00:00"}
constellations:
  - name: ring
    shell: {altitude_km: 550, inclination_deg: 53, planes: 2, sats_per_plane: 4, phasing: 1}
    satellite: &sat
      {gpu: H100, gpus: 16, bus_power_w: 2000, array_area_m2: 116, cell_efficiency: 0.30,
       array_degradation_per_year: 0.01, battery_wh: 40000, depth_of_discharge: 0.8, charge_efficiency: 0.95,
       discharge_efficiency: 0.95, max_charge_w: 20000, max_discharge_w: 30000, radiator_area_m2: 60,
       radiator_sides: 2, emissivity: 0.9, absorptivity: 0.2, max_radiator_temperature_k: 330,
       radiator_heat_capacity_j_per_k: 400000, design_life_years: 5, age_years: 0, age_spread_years: 5}
    eclipse_policy: power_off
    pool_per: plane
    faults: {shielding_mm_al: 5}
    replacement: {launch_delay_days: 30}
  - name: ring2
    shell: {altitude_km: 650, sso: true, ltan_h: 18, planes: 1, sats_per_plane: 4}
    satellite: *sat
    eclipse_policy: ride_through
    faults: {shielding_mm_al: 5}
workload:
  reference_gpu: H100
  checkpoint_interval_h: 1
  generator:
    arrival_rate_per_h: 10
    gpus_per_job: {min: 1, max: 16, pareto_alpha: 1.0}
    duration_h: {median_h: 1.0, sigma: 1.0, max_h: 8}
policy: {name: backfill}
"""

JOBS = "arrival_h,gpus,work_gpu_h\n0.0,8,4\n0.5,32,16\n1.0,64,32\n1.5,4,2\n"
BROKEN = "arrival_h,gpus,work_gpu_h\n0.0,8,4\n0.5,-3,16\n"  # line 3: a negative gang


def write_files(folder: Path, sweep_text: str, name: str = "sweep.yaml") -> Path:
    """The base scenarios, the job files and the sweep file in `folder`; the sweep file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (folder / "tiny-csv.yaml").write_text(CSV_BASE, encoding="utf-8")
    (folder / "tiny-orbit.yaml").write_text(ORBIT, encoding="utf-8")
    (folder / "jobs.csv").write_text(JOBS, encoding="utf-8")
    (folder / "broken.csv").write_text(BROKEN, encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(sweep_text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def sweep_file(tmp_path: Path):
    """sweep_file(text) -> path of a sweep file beside the tiny scenarios."""
    return lambda text, name="sweep.yaml": write_files(tmp_path, text, name)
