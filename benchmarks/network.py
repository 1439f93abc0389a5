"""Network benchmark: the first Starlink shell (1,584 satellites: 72 planes x 22, 550 km, 53 deg,
F = 1, +Grid laser links), 100 Starlink gateways and the 1,000 most populous cities over one day
at 60 s ticks. Each tick builds the graph of that instant and finds, for every city, the one-way
delay to the nearest compute and to each of five terrestrial compute sites.

- compute: five terrestrial sites (below) and every satellite (a satellite is its own compute);
- cities reach satellites by their own user terminal (25 deg mask) or by fibre to the nearest of
  the 100 gateways; every city has fibre to every site; fibre is the great circle x 1.5 at
  4.90 us/km; gateways do not relay satellite to satellite;
- delays are symmetric, so the search runs from the compute side: one ``dijkstra`` over all
  compute nodes with ``min_only=True`` (nearest compute), one with ``indices=`` the five sites.

Positions come from ``physics.orbits.propagate_chunks`` in chunks of CHUNK_STEPS ticks, so
memory stays flat; no Python loop runs over satellites or cities, only over ticks.

    .venv/bin/python benchmarks/network.py              # one day at 60 s (1,440 ticks)
    .venv/bin/python benchmarks/network.py --ticks 120  # a quicker look
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np

from _machine import cpu_model, peak_rss_bytes  # benchmarks/_machine.py (run as a script)

PLANES, PER_PLANE, PHASING, INCLINATION_DEG, ALTITUDE_KM = 72, 22, 1, 53.0, 550.0
EPOCH = "2026-03-21T00:00:00"
STEP_S = 60.0
CHUNK_STEPS = 60
N_GATEWAYS = 100
ROUTE_FACTOR = 1.5
MIN_ELEVATION_DEG = 25.0
# five terrestrial compute sites (name, lat, lon): large public AI data-centre locations
SITES = [
    ("Memphis TN", 35.149, -90.049),
    ("Ashburn VA", 39.044, -77.487),
    ("Dublin IE", 53.350, -6.260),
    ("Singapore", 1.352, 103.820),
    ("Tokyo JP", 35.690, 139.692),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ticks", type=int, default=1440, help="number of 60 s ticks (default a day)")
    args = ap.parse_args()

    import scipy

    from orbitgrid.network import places, routing, topology
    from orbitgrid.physics import orbits

    t_start = time.perf_counter()
    base_rss = peak_rss_bytes()
    cities = places.load_cities()
    gw_all = places.load_gateways()
    pick = np.linspace(0, len(gw_all) - 1, N_GATEWAYS).round().astype(int)  # spread over the list
    gateways = topology.GroundSet.from_latlon([gw_all.names[i] for i in pick], gw_all.lat_deg[pick], gw_all.lon_deg[pick])
    ends = topology.GroundSet.from_latlon(
        list(cities.names) + [s[0] for s in SITES],
        np.r_[cities.lat_deg, [s[1] for s in SITES]], np.r_[cities.lon_deg, [s[2] for s in SITES]],
    )
    n_city, n_site = len(cities), len(SITES)
    city_idx, site_idx = np.arange(n_city), n_city + np.arange(n_site)
    fibre_pairs = np.stack(np.meshgrid(city_idx, site_idx, indexing="ij"), -1).reshape(-1, 2)
    near = topology.nearest(ends, gateways)
    w = orbits.walker_shell(PLANES, PER_PLANE, PHASING, INCLINATION_DEG, ALTITUDE_KM)
    isls = topology.plus_grid_isls(PLANES, PER_PLANE)
    n_sat = w.n_sat
    t_s = np.arange(args.ticks) * STEP_S
    jd0 = float(orbits.julian_date(np.datetime64(EPOCH)))

    nearest_ms = np.empty((args.ticks, n_city), dtype=np.float32)  # city -> nearest compute
    on_sat = np.empty((args.ticks, n_city), dtype=bool)  # is that compute a satellite?
    best_site_ms = np.empty((args.ticks, n_city), dtype=np.float32)  # city -> quickest of the sites
    edges = np.empty(args.ticks, dtype=np.int64)
    t_prop = t_topo = t_path = 0.0
    j = 0
    for t_chunk, r in orbits.propagate_chunks(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t_s, CHUNK_STEPS):
        c0 = time.perf_counter()
        ecef = orbits.eci_to_ecef(r, jd0 + t_chunk / 86400.0)  # (N, T, 3) float32
        c1 = time.perf_counter()
        t_prop += c1 - c0
        for k in range(t_chunk.shape[0]):  # ticks: the only Python loop
            a = time.perf_counter()
            graph, lay = topology.snapshot_graph(
                ecef[:, k, :], isls, ends, gateways, min_elevation_deg=MIN_ELEVATION_DEG,
                fibre_pairs=fibre_pairs, route_factor=ROUTE_FACTOR, nearest_gateway=near,
            )
            b = time.perf_counter()
            compiled = routing.compile_graph(graph)
            compute = np.r_[np.arange(n_sat), lay.out_node(site_idx)]
            dist, origin = routing.nearest_source(compiled, compute)
            city_in = lay.in_node(city_idx)
            nearest_ms[j] = dist[city_in]
            on_sat[j] = (origin[city_in] >= 0) & (origin[city_in] < n_sat)
            d_sites, _ = routing.shortest_paths(compiled, lay.out_node(site_idx))
            best_site_ms[j] = d_sites[:, city_in].min(axis=0)
            edges[j] = graph.n_edges
            t_topo += b - a
            t_path += time.perf_counter() - b
            j += 1
    wall = time.perf_counter() - t_start
    peak_mb = peak_rss_bytes() / 2**20

    # the same cities to the same sites over fibre alone (great circle x 1.5)
    from orbitgrid.network.geometry import fibre_delay_ms, great_circle_km

    gc = great_circle_km(cities.lat_deg[:, None], cities.lon_deg[:, None],
                         np.array([s[1] for s in SITES])[None, :], np.array([s[2] for s in SITES])[None, :])
    fibre_best = fibre_delay_ms(gc, ROUTE_FACTOR).min(axis=1)

    reach = np.isfinite(nearest_ms)
    print(f"# orbitgrid network benchmark: {platform.python_version()} numpy {np.__version__} scipy {scipy.__version__}"
          f" on {cpu_model()} ({platform.machine()})")
    print(f"# shell {PLANES}x{PER_PLANE} = {n_sat} satellites, {ALTITUDE_KM:g} km, {INCLINATION_DEG:g} deg; "
          f"{N_GATEWAYS} gateways; {n_city} cities; {n_site} sites; {args.ticks} ticks of {STEP_S:g} s from {EPOCH}Z")
    rows = [
        ("graph nodes", f"{lay.n_nodes:,}"),
        ("graph edges per tick (mean)", f"{edges.mean():,.0f}"),
        ("propagate + Earth-fixed, s", f"{t_prop:.2f}"),
        ("topology (links, visibility), s", f"{t_topo:.2f}"),
        ("shortest paths (2 dijkstra/tick), s", f"{t_path:.2f}"),
        ("wall time, s", f"{wall:.2f}"),
        ("ms per tick", f"{1e3 * wall / args.ticks:.1f}"),
        ("peak RSS, MiB (start)", f"{peak_mb:.0f} ({base_rss / 2**20:.0f})"),
        ("city-ticks with a path to compute", f"{reach.mean():.2%}"),
        ("nearest compute, median / p95 / max ms", " / ".join(f"{np.percentile(nearest_ms[reach], q):.2f}" for q in (50, 95, 100))),
        ("nearest compute is a satellite", f"{on_sat[reach].mean():.1%}"),
        ("best site, mean ms (network / fibre only)", f"{np.nanmean(np.where(np.isfinite(best_site_ms), best_site_ms, np.nan)):.2f} / {fibre_best.mean():.2f}"),
        ("cities where the shell beats fibre to a site (mean over ticks)",
         f"{(best_site_ms < fibre_best[None, :] - 1e-6).mean():.1%}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"| {'quantity':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for key, value in rows:
        print(f"| {key:<{width}} | {value} |")
    if wall > 60.0 and args.ticks >= 1440:
        print(f"# over the 60 s target by {wall - 60.0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
