"""Grid benchmark (issue 5's target case): a year at 5-minute ticks for 20 sites in the
packaged grid zones (CAISO, ERCOT, PJM in turn; 2024) with 10^5 jobs, each site's energy
priced and its carbon counted hour by hour (`sites[].grid`). Every fourth site is in a
demand-response programme (a price rule above 300 USD/MWh and a scheduled 3-hour event
each month, 25% shed, board caps to 70%); every fifth has on-site solar, a battery and gas
turbines; a fifth of the jobs may not be paused and a third are deferrable by a day under
`policy.carbon_aware` (`--mode`). Prints wall time of `simulate` (no run folder written)
and peak memory, in a fresh process.

    .venv/bin/python benchmarks/grid.py                # 20 sites, 100,000 jobs, 2024 at 300 s
    .venv/bin/python benchmarks/grid.py --sites 5 --jobs 20000 --mode spatial

Target (issue 5): under 60 s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import tempfile
import time
from pathlib import Path

from _machine import cpu_model, peak_rss_bytes, run_in_fresh_process  # benchmarks/_machine.py

ZONES = ("US-CAL-CISO", "US-TEX-ERCO", "US-MIDA-PJM")
HOURS_2024 = 366 * 24


DR = """
    demand_response:
      price_trigger: {above_usd_per_mwh: 300, shed_percent: 25}
      events: [%s]
      min_power_cap: 0.7
      payment: {energy_usd_per_mwh: price, penalty_usd_per_mwh: 1000}"""
MONTHLY = ", ".join(f'{{start: "2024-{m:02d}-15T20:00:00", duration_h: 3, shed_percent: 25, notice_h: 2}}'
                    for m in range(1, 13))
ONSITE = """
    onsite:
      solar: {capacity_mw: 5}
      battery: {energy_mwh: 8, power_mw: 2}
      gas: {capacity_mw: 5, heat_rate_mmbtu_per_mwh: 9, fuel_usd_per_mmbtu: 3}"""


def scenario(sites: int, jobs: int, tick_s: int, mode: str) -> str:
    site_text = "".join(f"""
  - name: site{k:02d}
    location: {{lat_deg: 35, lon_deg: -100}}
    power_cap_mw: 20
    pue: 1.2
    water_l_per_kwh: 0.4
    grid: {{zone: {ZONES[k % len(ZONES)]}}}
    pools: [{{name: h100-{k:02d}, gpu: H100, count: 1024}}, {{name: b200-{k:02d}, gpu: B200, count: 512}}]"""
        + (DR % MONTHLY if k % 4 == 1 else "") + (ONSITE if k % 5 == 2 else "") for k in range(sites))
    carbon = f"\n  carbon_aware: {{mode: {mode}}}" if mode != "none" else ""
    # ~10^5 jobs over the year; Philly-shaped sizes and times drawn by the generator
    rate = jobs / (HOURS_2024 - 48)
    return f"""name: grid-benchmark
simulation: {{duration_h: {HOURS_2024}, start: "2024-01-01T00:00:00", tick_s: {tick_s}, seed: 3}}
sites:{site_text}
workload:
  generator:
    arrival_rate_per_h: {rate:.6f}
    jobs: {jobs}
    end_h: {HOURS_2024 - 48}
    empirical: {{name: philly}}
    preemptible_share: 0.8
    deferrable_share: 0.33
    deferrable_window_h: 24
policy:
  name: backfill{carbon}
"""


def _child(sites: int, jobs: int, tick_s: int, mode: str, conn) -> None:
    from orbitgrid.engine import simulate
    from orbitgrid.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grid.yaml"
        path.write_text(scenario(sites, jobs, tick_s, mode), encoding="utf-8")
        loaded = load_scenario(path)
        t0 = time.perf_counter()
        r = simulate(loaded)
        wall = time.perf_counter() - t0
    s = r.summary
    conn.send({"wall_s": wall, "peak_mb": peak_rss_bytes() / 2**20, "jobs": s["jobs_submitted"],
               "completed": s["jobs_completed"], "events": s["events"], "energy_mwh": s["energy_mwh"],
               "cost": s["energy_cost_usd"], "carbon_t": s["carbon_t"], "water_m3": s["water_m3"],
               "grid_rows": r.tables["grid"].num_rows, "events_dr": s["curtailment_events"],
               "met": s["curtailment_events_met"], "deferred": s["deferred_gpu_hours"],
               "revenue": s["demand_response_revenue_usd"]})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--tick-s", type=int, default=300)
    ap.add_argument("--mode", choices=("temporal", "spatial", "cics", "home", "none"), default="temporal",
                    help="policy.carbon_aware mode for the deferrable third of the jobs")
    a = ap.parse_args(argv)
    import numpy

    import orbitgrid

    print(f"orbitgrid {orbitgrid.__version__}, numpy {numpy.__version__}, Python {platform.python_version()}, "
          f"{cpu_model()}, {mp.cpu_count()} cores")
    print(f"{a.sites} sites (zones {', '.join(ZONES)} in turn), {a.jobs:,} jobs, 2024 at {a.tick_s} s ticks; "
          f"carbon_aware {a.mode}; simulate() only")
    r = run_in_fresh_process(_child, a.sites, a.jobs, a.tick_s, a.mode)
    print(f"{'jobs':>8} {'completed':>9} {'events':>9} {'grid rows':>10} {'wall s':>8} {'peak MB':>8} "
          f"{'energy MWh':>11} {'cost USD':>12} {'carbon t':>10} {'water m3':>9}")
    print(f"{r['jobs']:>8,} {r['completed']:>9,} {r['events']:>9,} {r['grid_rows']:>10,} {r['wall_s']:>8.2f} "
          f"{r['peak_mb']:>8.0f} {r['energy_mwh']:>11,.0f} {r['cost']:>12,.0f} {r['carbon_t']:>10,.0f} "
          f"{r['water_m3']:>9,.0f}")
    print(f"{'DR events':>10} {'met':>5} {'DR revenue USD':>15} {'deferred GPU-h':>15}")
    print(f"{r['events_dr']:>10,} {r['met']:>5,} {r['revenue']:>15,.0f} {r['deferred']:>15,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
