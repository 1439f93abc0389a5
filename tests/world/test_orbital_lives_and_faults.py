"""Faults, deorbits, replacements, throttling, formations and TLEs in a scenario, end to end."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.engine import simulate
from orbitgrid.physics import decay
from orbitgrid.world.pools import build_world

DATA = Path(__file__).parents[1] / "data"

BASE = """
name: lives
simulation: {{duration_h: 12, tick_s: 120, start: "2026-03-20T12:00:00", seed: {seed}}}
constellations:
  - name: ring
    {geometry}
    satellite:
      gpu: H100
      gpus: 8
      gpu_power_w: 1275
      bus_power_w: 1000
      array_area_m2: 60
      cell_efficiency: 0.3
      battery_wh: 40000
      depth_of_discharge: 0.8
      charge_efficiency: 0.95
      discharge_efficiency: 0.95
      max_charge_w: 20000
      max_discharge_w: 20000
      radiator_area_m2: 40
      emissivity: 0.9
      absorptivity: 0.2
      max_radiator_temperature_k: 330
      {satellite_extra}
    eclipse_policy: {policy}
    {extra}
workload:
  checkpoint_interval_h: 0.5
  on_fault: {on_fault}
  generator: {{arrival_rate_per_h: 30, gpus_per_job: {{max: 16}}, duration_h: {{median_h: 1, max_h: 4}}}}
policy: {{name: backfill}}
"""
SHELL = "shell: {altitude_km: 550, inclination_deg: 53, planes: 2, sats_per_plane: 4, phasing: 1}"
INSTALLED_GPU_H = 8 * 8 * 12


def scenario(write_scenario, geometry=SHELL, policy="ride_through", extra="", satellite_extra="", seed=1,
             on_fault="rollback"):
    return write_scenario(BASE.format(geometry=geometry, policy=policy, extra=extra, satellite_extra=satellite_extra,
                                      seed=seed, on_fault=on_fault))


def lost_and_offered(s: dict) -> float:
    return (s["orbital_gpu_hours_available"] + s["orbital_gpu_hours_lost_eclipse"] + s["orbital_gpu_hours_lost_thermal"]
            + s["orbital_gpu_hours_lost_faults"] + s["orbital_gpu_hours_lost_end_of_life"])


FAULTY = "faults: {shielding_mm_al: 5, seu_per_gpu_day: 2, bus_failure_per_year: 300, gpu_failure_per_year: 100}"


def test_faults_take_capacity_and_roll_back_work(write_scenario):
    s = simulate(scenario(write_scenario, extra=FAULTY)).summary
    assert lost_and_offered(s) == pytest.approx(INSTALLED_GPU_H)  # every GPU-hour is accounted for once
    assert s["orbital_gpu_hours_lost_faults"] > 0 and s["orbital_gpu_hours_lost_end_of_life"] == 0
    # expected counts: 8 satellites x 300/yr x 12 h = 3.3 losses; 64 GPUs x 100/yr x 12 h = 8.8 GPU failures
    # (fewer: GPUs on a lost satellite stop failing); upsets 64 x 2/day x 0.5 day = 64, more in the SAA
    assert 0 < s["orbital_satellites_lost"] <= 8 and s["orbital_gpu_failures"] > 0
    assert s["orbital_upsets"] > 40
    # every fault is a hit the engine sees: upsets (several in one tick on one satellite are
    # one hit of several GPUs), GPU failures, lost satellites
    world = build_world(scenario(write_scenario, extra=FAULTY).scenario)
    assert s["fault_hits"] == world.fault_time_s.size
    assert s["fault_hits"] <= s["orbital_upsets"] + s["orbital_gpu_failures"] + s["orbital_satellites_lost"]
    assert int(world.fault_gpus.sum()) >= s["orbital_upsets"] + s["orbital_gpu_failures"]
    assert s["fault_interruptions"] > 0 and s["work_lost_to_faults_gpu_h"] > 0
    # half-hourly checkpoints: no gang loses more than half an hour of its work per hit
    assert s["work_lost_to_faults_gpu_h"] <= s["fault_interruptions"] * 16 * 0.5 + 1e-9


def test_faults_are_drawn_from_the_seed(write_scenario):
    a = simulate(scenario(write_scenario, extra=FAULTY, seed=1)).summary
    b = simulate(scenario(write_scenario, extra=FAULTY, seed=1)).summary
    c = simulate(scenario(write_scenario, extra=FAULTY, seed=2)).summary
    assert a == b
    assert (a["orbital_upsets"], a["fault_hits"]) != (c["orbital_upsets"], c["fault_hits"])


def test_kill_fails_the_jobs_hit(write_scenario):
    s = simulate(scenario(write_scenario, extra=FAULTY, on_fault="kill")).summary
    assert s["jobs_killed_by_faults"] > 0 and s["jobs_failed"] >= s["jobs_killed_by_faults"]


def test_deorbit_and_replacement_by_hand(write_scenario):
    # design life 1 year, age 3 h short of it: all 8 satellites deorbit at 3 h; replaced
    # 3 h later (launch_delay_days 0.125): 8 x 8 GPUs x 3 h = 192 GPU-h lost to end of life
    age = 1.0 - 3.0 / (365.25 * 24.0)
    loaded = scenario(write_scenario, satellite_extra=f"design_life_years: 1\n      age_years: {age!r}",
                      extra="replacement: {launch_delay_days: 0.125}")
    s = simulate(loaded).summary
    assert s["orbital_deorbits"] == 8 and s["orbital_replacements"] == 8
    assert s["orbital_gpu_hours_lost_end_of_life"] == pytest.approx(192.0, abs=1e-6)
    assert lost_and_offered(s) == pytest.approx(INSTALLED_GPU_H)
    world = build_world(loaded.scenario)
    assert world.orbital_usable[: 3 * 30].sum() > 0 and world.orbital_usable[3 * 30 : 6 * 30].sum() == 0
    # a deorbit is planned: gangs are preempted, not hit
    assert s["fault_hits"] == 0 and s["preemptions"] > 0


def test_no_replacement_leaves_the_slots_empty(write_scenario):
    age = 1.0 - 3.0 / (365.25 * 24.0)
    s = simulate(scenario(write_scenario, satellite_extra=f"design_life_years: 1\n      age_years: {age!r}")).summary
    assert s["orbital_gpu_hours_lost_end_of_life"] == pytest.approx(8 * 8 * 9.0, abs=1e-6)
    assert s["orbital_replacements"] == 0


def test_drag_lifetime_ends_a_light_satellite(write_scenario):
    # 1 kg behind 40 m² at 300 km decays in hours: each satellite leaves at its drag lifetime
    geometry = "shell: {altitude_km: 300, inclination_deg: 53, planes: 2, sats_per_plane: 4, phasing: 1}"
    loaded = scenario(write_scenario, geometry=geometry, satellite_extra="mass_kg: 1\n      drag_area_m2: 40")
    s = simulate(loaded).summary
    life_h = float(decay.lifetime_days(300.0, 2.2, 40.0, 1.0)) * 24.0
    assert life_h < 12.0 and s["orbital_deorbits"] == 8
    ticks_in_service = math.ceil(life_h * 30)  # 120 s ticks: the slot empties at the first tick at or after
    assert s["orbital_gpu_hours_lost_end_of_life"] == pytest.approx(64 * (12.0 - ticks_in_service / 30), abs=1e-6)


def test_throttle_keeps_gpus_at_lower_speed(write_scenario):
    # a small battery: ride-through runs out in shadow, throttling stretches it
    def run(policy: str, extra: str = "") -> dict:
        text = BASE.format(geometry=SHELL, policy=policy, extra=extra, satellite_extra="", seed=1, on_fault="rollback")
        return simulate(write_scenario(text.replace("battery_wh: 40000", "battery_wh: 8000"))).summary

    ride = run("ride_through")
    thr = run("throttle", "throttle: {power_fraction: 0.4}")
    assert thr["orbital_gpu_hours_lost_eclipse"] < ride["orbital_gpu_hours_lost_eclipse"]
    assert thr["orbital_gpu_hours_lost_throttle"] > 0 and ride["orbital_gpu_hours_lost_throttle"] == 0
    # a throttled GPU-hour does 0.4^0.75 = 0.503 of the work: the loss is 0.497 of each throttled GPU-hour
    assert thr["orbital_gpu_hours_lost_throttle"] <= (1 - 0.4**0.75) * thr["orbital_gpu_hours_available"] + 1e-9


def test_formation_is_one_pool_per_cluster(write_scenario):
    geometry = "formation: {altitude_km: 650, sso: true, clusters: 2, satellites: 4, radius_km: 1, link_gbps: 1600}"
    loaded = scenario(write_scenario, geometry=geometry)
    world = build_world(loaded.scenario)
    assert world.pool_names == ("ring/c0", "ring/c1") and len(set(world.domain.tolist())) == 2
    s = simulate(loaded).summary
    assert 0 < s["formation_max_baseline_km"] <= 2.0 and s["formation_link_gbps"] == 1600


def test_tle_constellation_runs(write_scenario, tmp_path):
    shutil.copy(DATA / "starlink_24.tle", tmp_path / "sats.tle")
    text = BASE.format(geometry="tle: {file: sats.tle, limit: 8}", policy="ride_through", extra="pool_per: satellite",
                       satellite_extra="", seed=1, on_fault="rollback").replace("2026-03-20T12:00:00", "2025-12-07T00:00:00")
    loaded = write_scenario(text)
    world = build_world(loaded.scenario, loaded.base_dir)
    assert len(world.orbital_pools) == 8 and world.pool_names[0] == "ring/STARLINK-1008"
    s = simulate(loaded).summary
    assert lost_and_offered(s) == pytest.approx(INSTALLED_GPU_H)
    assert s["orbital_gpu_hours_available"] > 0.6 * INSTALLED_GPU_H


def test_tle_problems_are_reported_by_line(write_scenario, tmp_path):
    from orbitgrid.errors import InputError

    lines = (DATA / "starlink_24.tle").read_text().splitlines()
    lines[2] = lines[2][:10] + "x" + lines[2][11:]
    (tmp_path / "bad.tle").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        write_scenario(BASE.format(geometry="tle: {file: bad.tle}", policy="ride_through", extra="",
                                   satellite_extra="", seed=1, on_fault="rollback"))
    p = info.value.problems[0]
    assert p.file.endswith("bad.tle") and p.line == 3
    assert np.isfinite(p.line)


def test_drain_with_constellations_needs_a_limit_and_tabulates_to_it(write_scenario):
    from orbitgrid.errors import InputError

    text = BASE.format(geometry=SHELL, policy="power_off", extra="", satellite_extra="", seed=1, on_fault="rollback")
    with pytest.raises(InputError) as info:
        write_scenario(text.replace("seed: 1}", "seed: 1, drain: true}"))
    assert "drain_limit_h" in info.value.problems[0].message
    loaded = write_scenario(text.replace("seed: 1}", "seed: 1, drain: true, drain_limit_h: 48}"))
    world = build_world(loaded.scenario)
    assert world.orbital_times_s[-1] == pytest.approx(60 * 3600 - 120)  # 12 h + 48 h of 120 s ticks
    s = simulate(loaded).summary
    assert s["jobs_running"] == 0 and s["jobs_queued"] == 0 and 12 < s["end_h"] <= 60
    # every GPU-hour up to the run's end is offered or lost, once
    assert lost_and_offered(s) == pytest.approx(64 * s["end_h"], rel=1e-9)


def test_report_shows_where_the_orbital_gpu_hours_went(write_scenario, tmp_path):
    import json
    import re

    from orbitgrid.results.store import write_run

    loaded = scenario(write_scenario, extra=FAULTY)
    r = simulate(loaded)
    run_dir = write_run(tmp_path / "runs", "faulty", r.tables, r.summary, loaded.text, {})
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert page.count('id="orbitgrid-orbital-capacity"') == 1 and page.count('id="orbitgrid-orbital-gpu-hours"') == 1
    # the stacked bar's six parts add up to the installed GPU-hours
    block = page[page.index('id="orbitgrid-orbital-gpu-hours"'):]
    block = block[: block.index("</script>")]
    xs = [json.loads(m)[0] for m in re.findall(r'"x":(\[[^\]]*\])', block)]
    assert len(xs) == 6 and sum(xs) == pytest.approx(INSTALLED_GPU_H, rel=1e-9)


def test_tle_satellites_outside_the_dose_model_are_named(write_scenario, tmp_path):
    from orbitgrid.errors import InputError

    # STARLINK-1008 family at ~550 km is inside; a copy lowered to 250 km (mean motion 16.1 rev/day) is not
    lines = (DATA / "starlink_24.tle").read_text().splitlines()[:3]
    low = lines[2][:52] + "16.10000000" + lines[2][63:68]
    from orbitgrid.physics.tle import tle_checksum

    low = low + str(tle_checksum(low))
    (tmp_path / "low.tle").write_text("\n".join(lines + ["LOW-ONE", lines[1][:2] + "99999" + lines[1][7:68],
                                                         low[:2] + "99999" + low[7:68]]) + "\n")
    fixed = (tmp_path / "low.tle").read_text().splitlines()
    fixed[4] = fixed[4][:68] + str(tle_checksum(fixed[4]))
    fixed[5] = fixed[5][:68] + str(tle_checksum(fixed[5]))
    (tmp_path / "low.tle").write_text("\n".join(fixed) + "\n")
    with pytest.raises(InputError) as info:
        write_scenario(BASE.format(geometry="tle: {file: low.tle}", policy="ride_through", extra="faults: {}",
                                   satellite_extra="", seed=1, on_fault="rollback"))
    p = info.value.problems[0]
    assert p.path == "constellations[0].faults" and "1 of 2 satellites" in p.message and "LOW-ONE" in p.message


@pytest.mark.parametrize("geometry", [
    "shell: {altitude_km: 650, sso: true, planes: 1, sats_per_plane: 8}",
    "shell: {altitude_km: 550, inclination_deg: 53, planes: 2, sats_per_plane: 4, phasing: 1}",
])
def test_upsets_average_to_the_dose_derived_rate(write_scenario, geometry):
    # default upset rate: Suncatcher's interrupts per rad x the orbit's dose; the SAA only moves
    # them around the orbit. 8 satellites x 1,000 GPUs (alive, whatever the power) x 10 days
    from orbitgrid.physics import faults, radiation
    from orbitgrid.physics.orbits import sso_inclination_deg

    text = BASE.format(geometry=geometry, policy="ride_through", satellite_extra="", seed=4, on_fault="rollback",
                       extra="faults: {gpu_failure_per_year: 0, bus_failure_per_year: 0}")
    text = text.replace("gpus: 8\n", "gpus: 1000\n").replace("duration_h: 12, tick_s: 120", "duration_h: 240, tick_s: 300")
    world = build_world(write_scenario(text).scenario)
    alt, inc = (650.0, float(sso_inclination_deg(650.0))) if "sso" in geometry else (550.0, 53.0)
    per_gpu_day = faults.INTERRUPTS_PER_RAD * float(radiation.dose_rad_per_year(inc, 5.0, alt)) / 365.25
    expected = per_gpu_day * 8 * 1000 * 10
    assert expected > 2000  # Poisson noise about 2%
    assert world.orbital_counts["upsets"] == pytest.approx(expected, rel=0.08)
    assert world.orbital_counts["upsets"] == int(world.fault_gpus.sum())


@pytest.mark.parametrize("policy", ["fifo", "backfill"])
@pytest.mark.parametrize("on_fault,checkpoint", [("rollback", "0.25"), ("rollback", "null"), ("kill", "0.5")])
def test_every_mechanism_at_once_keeps_the_invariants(write_scenario, policy, on_fault, checkpoint):
    # throttling (small battery), heat (small radiator), upsets, failures, losses, deorbits and
    # replacements, a site with an outage next to it: the engine's invariants (checked inside
    # simulate: GPU-hours three ways, work ledger, capacity never exceeded) must hold throughout
    age = 1.0 - 5.0 / (365.25 * 24.0)
    text = BASE.format(geometry=SHELL, policy="throttle", seed=7, on_fault=on_fault,
                       satellite_extra=f"design_life_years: 1\n      age_years: {age!r}\n      age_spread_years: 0.0005",
                       extra=FAULTY + "\n    replacement: {launch_delay_days: 0.1}\n    throttle: {power_fraction: 0.6}")
    text = (text.replace("battery_wh: 40000", "battery_wh: 9000").replace("radiator_area_m2: 40", "radiator_area_m2: 12")
            .replace("checkpoint_interval_h: 0.5", f"checkpoint_interval_h: {checkpoint}")
            .replace("policy: {name: backfill}", f"policy: {{name: {policy}}}")
            .replace("constellations:", """sites:
  - name: ground
    location: {lat_deg: 40, lon_deg: -75}
    power_cap_mw: 1
    pue: 1.2
    pools:
      - {name: g, gpu: H100, count: 32, outages: [{start_h: 2, duration_h: 3, gpus: 20}]}
constellations:"""))
    a = simulate(write_scenario(text)).summary
    b = simulate(write_scenario(text)).summary
    assert a == b
    assert a["orbital_gpu_hours_lost_throttle"] > 0 and a["orbital_gpu_hours_lost_thermal"] >= 0
    assert a["fault_hits"] > 0 and a["orbital_deorbits"] > 0 and a["orbital_replacements"] > 0
    assert lost_and_offered(a) == pytest.approx(INSTALLED_GPU_H)
    if on_fault == "kill":
        assert a["jobs_killed_by_faults"] > 0
