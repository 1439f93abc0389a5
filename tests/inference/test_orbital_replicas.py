"""Orbital inference replicas hold their satellites' GPUs, and with eclipse_policy
power_off only sunlit replicas serve (inference/serve.py: serving_holds, serve)."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.engine.run import build_world
from orbitgrid.inference import network_rtt, serve as srv
from orbitgrid.network import places, topology
from orbitgrid.scenario import load_scenario

SCENARIO = """
name: orbital-holds
simulation: {{duration_h: 3, tick_s: 600, seed: 0, start: "2026-06-21T00:00:00"}}
sites:
  - name: lab
    location: {{lat_deg: 35.6895, lon_deg: 139.69171}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: a, gpu: H100, count: 4}}
constellations:
  - name: tiny
    shell: {{altitude_km: 550, inclination_deg: 53, planes: 4, sats_per_plane: 3, phasing: 1}}
    satellite: {{gpu: H100, gpus: {sat_gpus}, bus_power_w: 500, array_area_m2: 30, cell_efficiency: 0.3,
                battery_wh: 20000, depth_of_discharge: 0.8, charge_efficiency: 0.95, discharge_efficiency: 0.95,
                max_charge_w: 20000, max_discharge_w: 20000, radiator_area_m2: 20, radiator_sides: 2,
                emissivity: 0.9, absorptivity: 0.2, max_radiator_temperature_k: 330}}
    eclipse_policy: {eclipse}
    pool_per: plane
workload:
  reference_gpu: H100
  generator: {{arrival_rate_per_h: 1, jobs: 1, gpus_per_job: {{min: 1, max: 1}}}}
policy: {{name: fifo}}
inference:
  network_tick_s: 600
  services:
    - name: chat
      model: Llama 3.1 8B Instruct
      gpu: H100
      gpus_per_replica: {per_replica}
      batch_size: 256
      routing: nearest
      replicas: [{{constellation: tiny, count: {count}}}]
      requests: {{arrivals: population, per_day: 20000, tokens: fixed, input_tokens: 10, output_tokens: 10, cities: 50}}
"""


def _load(tmp_path, count=6, per_replica=1, sat_gpus=2, eclipse="ride_through"):
    (tmp_path / "s.yaml").write_text(SCENARIO.format(count=count, per_replica=per_replica, sat_gpus=sat_gpus,
                                                     eclipse=eclipse))
    return load_scenario(tmp_path / "s.yaml")


def test_orbital_replicas_hold_gpus_in_their_planes(tmp_path):
    """6 replicas on 12 satellites sit on satellites 0, 2, 4, 6, 8, 10 (every second one);
    with 3 satellites a plane (plane = index // 3) that is planes 0, 0, 1, 2, 2, 3, so one
    GPU a replica holds 2, 1, 2, 1 GPUs of planes p0..p3 for the whole run."""
    loaded = _load(tmp_path)
    world = build_world(loaded.scenario, loaded.base_dir, 0)
    pool, start, end, gpus = srv.serving_holds(loaded.scenario, world, 3 * 3600.0)
    got = {world.pool_names[k]: int(g) for k, g in zip(pool, gpus)}
    assert got == {"tiny/s0p0": 2, "tiny/s0p1": 1, "tiny/s0p2": 2, "tiny/s0p3": 1}
    assert set(start.tolist()) == {0.0} and set(end.tolist()) == {3 * 3600.0}


def test_replica_wider_than_a_satellite_is_one_line(tmp_path):
    """Gemma 3 27B on 2 H100s (a measured configuration) on satellites of 1 GPU: refused at
    validation, exit 2."""
    text = SCENARIO.format(count=6, per_replica=2, sat_gpus=1, eclipse="ride_through")
    (tmp_path / "s.yaml").write_text(text.replace("Llama 3.1 8B Instruct", "Gemma 3 27B"))
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert res.exit_code == 2
    assert "inference.services[0].gpus_per_replica" in res.output and "has 1" in res.output


def test_power_off_replicas_serve_only_in_sunlight(tmp_path):
    """eclipse_policy power_off: every request served from orbit went to a replica that was
    sunlit (cylindrical shadow) at the request's network tick; with ride_through some
    requests are served from replicas in the shadow (the run starts at 00:00 UTC, so about a
    third of a 53 deg shell is in the shadow)."""
    picked_dark = {}
    for eclipse in ("power_off", "ride_through"):
        sc = _load(tmp_path, count=12, eclipse=eclipse).scenario
        setup = srv.setups_from_scenario(sc)[0]
        p = setup.placements[0]
        assert p.dark_in_shadow is (eclipse == "power_off")
        start = np.datetime64(sc.simulation.start, "s")
        out = srv.serve(setup, 3 * 3600.0, start, 600.0, 1.5, np.random.default_rng(0))
        table = places.load_cities()
        cities = topology.GroundSet.from_latlon(table.names[:50], table.lat_deg[:50], table.lon_deg[:50])
        lit = network_rtt.orbital_rtt(p.shell, p.replicas, cities, 600.0, 18, start).sunlit  # (ticks, replicas)
        a = out.arrays
        served = a["served"]
        tick = np.minimum((a["arrival_s"][served] // 600.0).astype(np.int64), 17)
        picked_dark[eclipse] = int((~lit[tick, a["replica"][served]]).sum())
        assert served.sum() > 0
    assert picked_dark["power_off"] == 0
    assert picked_dark["ride_through"] > 0
