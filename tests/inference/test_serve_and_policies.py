"""Routing policies, per-request metrics by hand, and the scenario / run integration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.inference import models, requests as rq, serve as S
from orbitgrid.inference.routing_policies import POLICIES, RoutingContext

REPO = Path(__file__).resolve().parents[2]


def _ctx(rtt_rows, usd=(1.0, 2.0), target=None, service=None, arrival=None):
    rtt = np.asarray(rtt_rows, dtype=float)  # (requests, placements), one tick, one city each
    n, p = rtt.shape
    tables = [rtt[:, j][None, :] for j in range(p)]  # (1 tick, n "cities")
    return RoutingContext(np.zeros(n, int), np.arange(n), np.arange(n, dtype=float) if arrival is None else arrival,
                          np.ones(n) if service is None else service, tables, tables, np.array([1] * p),
                          np.asarray(usd, float), target)


def test_nearest_and_latency_target_by_hand() -> None:
    """Two placements, RTTs (10, 40), (90, 30), (200, 150) ms; costs 1 and 2 $/GPU-h.
    nearest: 0, 1, 1. latency_target 100 ms: the cheapest within 100 ms: 0, 0 (90 <= 100),
    and for the third none is within: the nearest, 1."""
    rows = [[10, 40], [90, 30], [200, 150]]
    assert POLICIES["nearest"](_ctx(rows)).tolist() == [0, 1, 1]
    assert POLICIES["latency_target"](_ctx(rows, target=100.0)).tolist() == [0, 0, 1]


def test_least_loaded_moves_work_after_a_window() -> None:
    """Placement 0 is 10 ms away, placement 1 is 50 ms. 120 requests of 10 s each arrive in
    the first 60 s window: all go to 0 (no backlog yet), leaving B_0 = 120 x 10 - 60 = 1,140 s
    of work. In the next window the score of 0 is 1,140,000 + 10 > 50: all go to 1."""
    n = 240
    arrival = np.r_[np.linspace(0, 59, 120), np.linspace(60, 119, 120)]
    c = POLICIES["least_loaded"](_ctx([[10, 50]] * n, service=np.full(n, 10.0), arrival=arrival))
    assert c[:120].tolist() == [0] * 120 and c[120:].tolist() == [1] * 120


def test_serve_metrics_by_hand() -> None:
    """One site replica 0 km from the city (Tokyo at the site: RTT 0), fixed 1,000 input and
    100 output tokens, Llama 3.1 8B on 1 H100 at batch 256: prefill 1000 / 30,918.75 s =
    32.34 ms, decode 99 x 26.126 ms = 2,586.5 ms; alone (one request a day) no wait, so
    TTFT = 32.34 ms and E2E = 2,618.8 ms; energy 100 x 0.076641 J = 7.664 J = 2.129e-3 Wh."""
    perf = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 256, 989.4)
    setup = S.ServiceSetup("t", perf, [S.Placement("tokyo-dc", "site", 1, 0.0, 35.6895, 139.69171)],
                           S.RequestSetup(arrivals="population", tokens="fixed", input_tokens=1000, output_tokens=100,
                                          cities=1), ttft_slo_ms=33.0)
    reqs = rq.Requests(np.array([100.0]), np.array([0]), np.array([1000]), np.array([100]))
    out = S.serve(setup, 3600.0, np.datetime64("2026-01-01T00:00:00"), 300.0, 1.0, np.random.default_rng(0), reqs)
    s = S.summary([out])
    assert s["ttft_p50_ms"] == pytest.approx(1000 / 30918.75 * 1000, rel=1e-9)
    assert s["e2e_p50_ms"] == pytest.approx(1000 / 30918.75 * 1000 + 99 * perf.itl_s * 1000, rel=1e-9)
    assert s["wh_per_request"] == pytest.approx(100 * perf.j_per_token / 3600, rel=1e-9)
    assert s["j_per_token"] == pytest.approx(0.0766413, rel=1e-5)
    assert s["requests"] == 1 and s["requests_met_slo"] == 1 and s["network_rtt_p50_ms"] == pytest.approx(0, abs=1e-9)


def test_group_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 5, 1000)
    vals = rng.normal(size=1000)
    u, cnt, q = S.group_quantiles(keys, vals, (50.0, 99.0))
    for i, k in enumerate(u):
        np.testing.assert_allclose(q[i], np.percentile(vals[keys == k], [50, 99]))
        assert cnt[i] == (keys == k).sum()


SCENARIO = """\
name: inf-tiny
simulation: {duration_h: 1, seed: 2}
sites:
  - name: s1
    location: {lat_deg: 35.0, lon_deg: 139.0}
    power_cap_mw: 5
    pue: 1.2
    pools: [{name: p1, gpu: H100, count: 64}]
constellations:
  - name: c1
    shell: {altitude_km: 550, inclination_deg: 53, planes: 12, sats_per_plane: 10, phasing: 1}
    satellite: {gpu: H100, gpus: 8, bus_power_w: 2000, array_area_m2: 116, cell_efficiency: 0.3,
                battery_wh: 40000, depth_of_discharge: 0.8, charge_efficiency: 0.95, discharge_efficiency: 0.95,
                max_charge_w: 20000, max_discharge_w: 30000, radiator_area_m2: 40, emissivity: 0.9,
                absorptivity: 0.2, max_radiator_temperature_k: 330}
    pool_per: constellation
workload:
  reference_gpu: H100
  generator: {arrival_rate_per_h: 2, gpus_per_job: {min: 1, max: 8}}
inference:
  network_tick_s: 600
  services:
    - name: chat
      model: Llama 3.1 8B Instruct
      gpu: H100
      gpus_per_replica: 1
      batch_size: 64
      routing: ROUTING
      latency_target_ms: 50
      slo: {ttft_ms: 1000}
      replicas:
        - {pool: p1, count: 4, usd_per_gpu_hour: 2}
        - {constellation: c1, count: 30, usd_per_gpu_hour: 5}
      requests: {per_day: 200000, cities: 100, tokens: mooncake_conv, daily_cycle: {amplitude: 0}}
"""


@pytest.mark.parametrize("routing", ["nearest", "least_loaded", "latency_target", "sun_following"])
def test_run_has_the_summary_keys_and_tables(write_scenario, routing) -> None:
    from orbitgrid.engine.run import simulate

    res = simulate(write_scenario(SCENARIO.replace("ROUTING", routing)))
    s = res.summary
    assert s["requests"] == pytest.approx(200000 / 24, rel=0.1)
    assert 0 < s["requests_met_slo"] <= s["requests"]
    assert s["ttft_p50_ms"] <= s["ttft_p99_ms"] <= s["e2e_p99_ms"]
    assert s["network_rtt_p50_ms"] <= s["network_rtt_p99_ms"]
    assert {"requests", "latency_by_city", "latency_by_placement", "inference_network"} <= set(res.tables)
    assert res.tables["latency_by_placement"].num_rows <= 2
    assert sum(res.tables["latency_by_city"].column("requests").to_pylist()) == s["requests"]


def test_run_without_inference_has_none_keys(write_scenario) -> None:
    from orbitgrid.engine.run import simulate

    text = SCENARIO.split("inference:")[0]
    s = simulate(write_scenario(text)).summary
    assert all(s[k] is None for k in S.SUMMARY_KEYS)


@pytest.mark.parametrize("old,new,where", [
    ("model: Llama 3.1 8B Instruct", "model: Llama 3.1 9B Instruct", "inference.services[0].model: no ML.ENERGY measurement"),
    ("gpus_per_replica: 1", "gpus_per_replica: 3", "inference.services[0].gpus_per_replica: Llama 3.1 8B Instruct was not measured on 3 x H100"),
    ("batch_size: 64", "batch_size: 4", "inference.services[0].batch_size: batch_size 4 is outside"),
    ("{pool: p1,", "{pool: p9,", "inference.services[0].replicas[0].pool: no pool named 'p9'"),
    ("{constellation: c1,", "{constellation: c2,", "inference.services[0].replicas[1].constellation: no constellation"),
    ("per_day: 200000,", "per_dya: 200000,", "inference.services[0].requests.per_dya: unknown field"),
    ("routing: nearest", "routing: fastest", "inference.services[0].routing:"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, old, new, where) -> None:
    text = SCENARIO.replace("ROUTING", "nearest")
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "orbitgrid", "validate", str(path)], capture_output=True, text=True)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if where in ln]
    assert lines, p.stderr
    assert lines[0].startswith(f"{path}:") and lines[0].split(":")[1].isdigit()


def test_replica_timeline_by_hand() -> None:
    """A holds 4, B 2. At 100 s, 3 leave A for B (downtime 50 s); at 120 s, 3 leave B for A
    (downtime 0). By hand: t=0 (4, 2); t=100 (1, 2); t=120 (4, -1 -> only 2 there: short,
    the move takes 2, A gets them at once: (3, 0)); t=150 the first move lands: (3, 3)."""
    times, counts, short = S.replica_timeline({"A": 4, "B": 2}, [(100, 50, "A", "B", 3), (120, 0, "B", "A", 3)])
    assert times.tolist() == [0, 100, 120, 150]
    assert counts["A"].tolist() == [4, 1, 3, 3] and counts["B"].tolist() == [2, 2, 0, 3]
    assert short == 1


def test_moved_replicas_take_the_traffic_and_cost() -> None:
    """Tokyo's requests are served at a site in Tokyo until every replica there moves to a site
    in Delhi at 1,800 s (10 min downtime): after 1,800 s every request goes to Delhi (the only
    placement left serving), with an RTT of 2 x 5,834.26 km x 1.0 x 4.90 us/km = 57.176 ms (Tokyo
    to Delhi on the great circle, haversine on the 6,371.0088 km sphere); 2 replicas at 1,000
    USD each cost 2,000 USD."""
    perf = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 64, 989.4)
    pl = [S.Placement("tokyo-dc", "site", 2, 0.0, 35.6895, 139.69171), S.Placement("delhi-dc", "site", 1, 0.0, 28.66667, 77.21667)]
    setup = S.ServiceSetup("t", perf, pl, S.RequestSetup(tokens="fixed", cities=1),
                           moves=[(1800.0, 600.0, "tokyo-dc", "delhi-dc", 2, 1000.0)])
    t = np.linspace(0, 3599, 200)
    reqs = rq.Requests(t, np.zeros(200, int), np.full(200, 100), np.full(200, 10))
    out = S.serve(setup, 3600.0, np.datetime64("2026-01-01T00:00:00"), 300.0, 1.0, np.random.default_rng(0), reqs)
    a = out.arrays
    assert (a["placement"][t < 1800] == 0).all() and (a["placement"][t >= 1800] == 1).all()
    assert a["rtt_ms"][t >= 1800] == pytest.approx(2 * 5834.257 * 4.90e-3, rel=1e-5)
    s = S.summary([out])
    assert s["replicas_moved"] == 2 and s["replica_move_usd"] == 2000.0


@pytest.mark.parametrize("moves,where", [
    ("[{at_h: 0.5, source: p1, target: c1, count: 4}, {at_h: 0.6, source: c1, target: p1, count: 40}]",
     "inference.services[0].moves[1].count: moves 40 replicas from 'c1', which holds fewer then"),
    ("[{at_h: 0.5, source: p1, target: s1, count: 1}]",
     "inference.services[0].moves[0].target: 's1' is not a site, pool or constellation of this service's replicas"),
    ("[{at_h: 2, source: p1, target: p1, count: 1}]", "inference.services[0].moves[0].at_h: at_h 2 is not before the run's end"),
])
def test_bad_moves_are_one_line(tmp_path, moves, where) -> None:
    text = SCENARIO.replace("ROUTING", "nearest") + f"      moves: {moves}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "orbitgrid", "validate", str(path)], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert any(where in ln for ln in p.stderr.splitlines()), p.stderr


def test_moving_more_replicas_into_orbit_than_satellites_is_refused(tmp_path) -> None:
    """c1 has 12 x 10 = 120 satellites, one replica each: 100 there plus 30 moved up is 130."""
    text = SCENARIO.replace("ROUTING", "nearest").replace("{pool: p1, count: 4,", "{pool: p1, count: 30,").replace(
        "{constellation: c1, count: 30,", "{constellation: c1, count: 100,")
    text += "      moves: [{at_h: 0.5, source: p1, target: c1, count: 30}]\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "orbitgrid", "validate", str(path)], capture_output=True, text=True)
    assert p.returncode == 2
    assert "inference.services[0].replicas[1].count: moves bring 'c1' to 130 replicas; it has room for 120 (satellites)" \
        in p.stderr, p.stderr


def test_replicas_move_up_to_orbit_with_their_gpus(write_scenario) -> None:
    """All 4 replicas of p1 move to c1 at 0.5 h (no downtime): p1 holds 4 GPUs for the first
    half hour and none after; c1's one pool holds 30 GPUs, then 34 (a satellite each); no
    request arriving after the move is served from p1, which has no replica left."""
    from orbitgrid.engine.run import build_world, simulate

    text = SCENARIO.replace("ROUTING", "nearest") + \
        "      moves: [{at_h: 0.5, source: p1, target: c1, count: 4, downtime_s: 0, usd_per_replica: 250}]\n"
    loaded = write_scenario(text)
    world = build_world(loaded.scenario, loaded.base_dir, 2)
    pool, start, end, gpus = S.serving_holds(loaded.scenario, world, 3600.0)
    rows = sorted((world.pool_names[k], a, b, int(g)) for k, a, b, g in zip(pool, start, end, gpus))
    assert rows == [("c1/s0", 0.0, 1800.0, 30), ("c1/s0", 1800.0, 3600.0, 34), ("p1", 0.0, 1800.0, 4)]
    res = simulate(loaded)
    req = res.tables["requests"].to_pydict()
    after = [pl for t, pl in zip(req["arrival_s"], req["placement"]) if t >= 1800.0 and pl is not None]
    assert after and set(after) == {"c1"} and res.summary["replica_move_usd"] == 1000.0
    # a request nothing could reach has no placement (not the first one by default)
    assert all((pl is None) == (rtt is None or rtt != rtt) for pl, rtt in zip(req["placement"], req["rtt_ms"]))


def test_a_valid_move_runs(write_scenario) -> None:
    """Two sites, 4 replicas moved from p1 to s2 at 0.5 h for 500 USD each: 2,000 USD."""
    from orbitgrid.engine.run import simulate

    text = SCENARIO.replace("ROUTING", "nearest").replace(
        "        - {constellation: c1, count: 30, usd_per_gpu_hour: 5}\n",
        "        - {site: s2, count: 1}\n").replace(
        "constellations:", "  - name: s2\n    location: {lat_deg: 50.1, lon_deg: 8.7}\n    power_cap_mw: 5\n    pue: 1.2\n"
        "    pools: [{name: p2, gpu: H100, count: 64}]\nconstellations:")
    text += "      moves: [{at_h: 0.5, source: p1, target: s2, count: 4, usd_per_replica: 500}]\n"
    s = simulate(write_scenario(text)).summary
    assert s["replicas_moved"] == 4 and s["replica_move_usd"] == 2000.0 and s["requests"] > 0


def test_same_seed_same_requests_and_latencies() -> None:
    """Determinism: the same setup and seed give identical per-request arrays; another seed
    gives other arrivals."""
    perf = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 64, 989.4)
    setup = S.ServiceSetup("t", perf, [S.Placement("a", "site", 3, 0.0, 35.0, 139.0)],
                           S.RequestSetup(per_day=100_000, cities=50), policy="least_loaded")
    go = lambda seed: S.serve(setup, 7200.0, np.datetime64("2026-01-01T00:00:00"), 300.0, 1.5,  # noqa: E731
                              np.random.default_rng(seed)).arrays
    a, b, c = go(5), go(5), go(6)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert a["arrival_s"].size != c["arrival_s"].size or not np.array_equal(a["arrival_s"], c["arrival_s"])


def test_energy_at_the_meter_by_hand() -> None:
    """The request of `test_serve_metrics_by_hand` (1,000 in, 100 out, Llama 3.1 8B on one
    H100 at batch 256) at a site with PUE 1.2 and 575 W of host beyond the chip (the
    catalogue's H100: 1,275 W server share - 700 W TDP). The replica spends prefill + 100 /
    X(b) on it: 1000 / 30,918.75 + 100 / X s; energy at the meter = (100 x J/token + 575 x
    that) x 1.2."""
    perf = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 256, 989.4)
    setup = S.ServiceSetup("t", perf, [S.Placement("tokyo-dc", "site", 1, 0.0, 35.6895, 139.69171, pue=1.2)],
                           S.RequestSetup(arrivals="population", tokens="fixed", input_tokens=1000, output_tokens=100,
                                          cities=1), host_w=575.0)
    reqs = rq.Requests(np.array([100.0]), np.array([0]), np.array([1000]), np.array([100]))
    out = S.serve(setup, 3600.0, np.datetime64("2026-01-01T00:00:00"), 300.0, 1.0, np.random.default_rng(0), reqs)
    s = S.summary([out])
    busy_s = 1000 / 30918.75 + 100 / perf.throughput_tok_s
    expected_j = (100 * perf.j_per_token + 575.0 * busy_s) * 1.2
    assert s["facility_wh_per_request"] == pytest.approx(expected_j / 3600.0, rel=1e-9)
    assert s["wh_per_request"] == pytest.approx(100 * perf.j_per_token / 3600, rel=1e-9)
