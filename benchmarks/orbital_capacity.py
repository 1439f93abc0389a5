"""Orbital capacity benchmark: how long a scenario's orbital pools take to tabulate.

Times `orbitgrid.world.pools.build_world` (only that call) for one compute constellation
of N satellites over D days at a tick of T seconds: ECI positions, the conical shadow, the
array, the battery stepped tick by tick, the radiator (steady or with thermal mass),
eclipse throttling, and, with faults, the satellites' lives (GPU failures under a
dose-growing hazard, bus losses, end of life, replacements) and radiation upsets drawn
with the South Atlantic Anomaly. Each case runs in a fresh process so its peak memory
(ru_maxrss) is its own. Prints a table of satellite-ticks per second.

    .venv/bin/python benchmarks/orbital_capacity.py            # 10^2 .. 10^4 satellites, 30 days at 300 s
    .venv/bin/python benchmarks/orbital_capacity.py --quick    # 10^2 and 10^3 satellites, 7 days
    .venv/bin/python benchmarks/orbital_capacity.py --sizes 4408 --preset starlink-gen1
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import sys
import time

from _machine import cpu_model, peak_rss_bytes, run_in_fresh_process  # benchmarks/_machine.py (run as a script)

SATELLITE = {
    "gpu": "H100", "gpus": 16, "bus_power_w": 2000, "array_area_m2": 116, "cell_efficiency": 0.3,
    "array_degradation_per_year": 0.01, "battery_wh": 40000, "depth_of_discharge": 0.8,
    "charge_efficiency": 0.95, "discharge_efficiency": 0.95, "max_charge_w": 20000, "max_discharge_w": 30000,
    "radiator_area_m2": 60, "radiator_sides": 2, "emissivity": 0.9, "absorptivity": 0.2,
    "max_radiator_temperature_k": 330, "radiator_heat_capacity_j_per_k": 400000,
    "design_life_years": 5, "age_spread_years": 5,
}


def scenario(n_sat: int, days: float, tick_s: float, faults: bool, preset: str | None, policy: str) -> dict:
    planes = max(1, int(round(n_sat**0.5)))
    geometry = ({"preset": preset} if preset else
                {"shell": {"altitude_km": 550, "inclination_deg": 53, "planes": planes,
                           "sats_per_plane": max(1, n_sat // planes), "phasing": 1}})
    con = {"name": "bench", **geometry, "satellite": SATELLITE, "eclipse_policy": policy}
    if faults:
        con |= {"faults": {"shielding_mm_al": 5}, "replacement": {"launch_delay_days": 30}}
    return {
        "name": "bench", "simulation": {"duration_h": days * 24, "tick_s": tick_s, "start": "2026-05-01T00:00:00"},
        "constellations": [con], "workload": {"generator": {"arrival_rate_per_h": 1}},
    }


def _child(args: tuple, conn) -> None:
    from orbitgrid.scenario import Scenario
    from orbitgrid.world.pools import build_world

    sc = Scenario.model_validate(scenario(*args))
    t0 = time.perf_counter()
    world = build_world(sc)
    wall = time.perf_counter() - t0
    n_sat = int(world.installed[world.orbital_pools].sum()) // SATELLITE["gpus"]
    conn.send({"wall_s": wall, "n_sat": n_sat, "ticks": int(world.orbital_times_s.size),
               "peak_mb": peak_rss_bytes() / 2**20, "hits": int(world.fault_time_s.size)})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10^2 and 10^3 satellites over 7 days")
    ap.add_argument("--sizes", help="comma-separated satellite counts (default 100,1000,10000)")
    ap.add_argument("--days", type=float, help="simulated days (default 30; --quick 7)")
    ap.add_argument("--tick-s", type=float, default=300.0, help="physics tick (default %(default)g s)")
    ap.add_argument("--preset", help="a constellation preset instead of a Walker shell of N (e.g. starlink-gen1)")
    ap.add_argument("--policy", default="ride_through", choices=("ride_through", "throttle", "power_off"))
    a = ap.parse_args(argv)
    sizes = [int(float(x)) for x in a.sizes.split(",")] if a.sizes else ([100, 1000] if a.quick else [100, 1000, 10000])
    days = a.days if a.days is not None else (7.0 if a.quick else 30.0)
    import numpy

    import orbitgrid

    print(f"orbitgrid {orbitgrid.__version__}, numpy {numpy.__version__}, Python {platform.python_version()}, "
          f"{cpu_model()}, {mp.cpu_count()} cores")
    print(f"{days:g} days at {a.tick_s:g} s ticks, eclipse policy {a.policy}, satellite as in examples/orbit.yaml"
          f"{', preset ' + a.preset if a.preset else ''}")
    print(f"{'satellites':>10} {'faults':>6} {'ticks':>6} {'wall s':>8} {'sat-ticks/s':>12} {'peak MB':>8} {'fault hits':>10}")
    for n in sizes:
        for faults in (False, True):
            r = run_in_fresh_process(_child, (n, days, a.tick_s, faults, a.preset, a.policy))
            rate = r["n_sat"] * r["ticks"] / r["wall_s"]
            print(f"{r['n_sat']:>10,} {('yes' if faults else 'no'):>6} {r['ticks']:>6,} {r['wall_s']:>8.2f} "
                  f"{rate:>12,.0f} {r['peak_mb']:>8.0f} {r['hits']:>10,}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
