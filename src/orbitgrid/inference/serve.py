"""Serve a request stream: generate requests, route them, queue them at replicas, and return
per-request arrays, summary keys and the store's tables. No loop over requests.

Per request (times from the run's start; see docs/inference.md):

* network RTT (ms) from its city to its placement at its arrival's network tick;
* it reaches the replica half an RTT after it leaves the city and waits in the replica's FIFO
  queue (``queueing.fifo_departures``), whose server holds it for prefill plus its output
  tokens at the replica's whole measured throughput X(b): a batch of b slots as one fluid
  server of rate X(b) (an approximation: continuous batching admits a request as soon as
  a slot frees; the fluid server gives the same long-run capacity and the same queueing
  under load, not the exact slot-by-slot interleaving);
* TTFT = RTT + wait + prefill; E2E = TTFT + (output tokens - 1) x measured ITL at b;
* energy = output tokens x measured J/token at b (GPU energy of the tokens served, as
  ML.ENERGY measures it: no idle replicas, no host, no PUE);
* energy at the meter = (that + the host's draw beyond the GPUs, server power per GPU -
  chip TDP from the accelerator catalogue, x GPUs per replica, over the time the replica
  spends on the request, prefill + output / X(b)) x the site's PUE (1 in orbit, where the
  radiators are passive): comparable with whole-system figures such as Google's 0.24 Wh
  per Gemini prompt (REFERENCE.md), which count host, idle reserve and cooling.

A request whose city reaches no placement at its tick (no satellite in view and no site) is
counted in ``requests`` but not served: it does not meet its SLO and has no latency.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from orbitgrid.inference import network_rtt, queueing, requests as req
from orbitgrid.inference.models import ReplicaPerf
from orbitgrid.inference.routing_policies import POLICIES, RoutingContext, candidate_rtt_ms
from orbitgrid.network import places, topology

SUMMARY_KEYS = ("requests", "requests_met_slo", "ttft_p50_ms", "ttft_p99_ms", "e2e_p50_ms", "e2e_p99_ms",
                "network_rtt_p50_ms", "network_rtt_p99_ms", "tokens_generated", "wh_per_request", "facility_wh_per_request", "j_per_token",
                "replicas_moved", "replica_move_usd")
REQUESTS_TABLE_MAX_ROWS = 200_000  # beyond this the `requests` table is an even sample (every k-th request)


@dataclass
class Placement:
    name: str
    kind: str  # "site" | "orbit"
    replicas: int
    usd_per_gpu_hour: float = 0.0
    lat_deg: float = float("nan")
    lon_deg: float = float("nan")
    shell: network_rtt.ShellGeometry | None = None
    pue: float = 1.0  # facility / IT power where the replica sits (1 in orbit)
    dark_in_shadow: bool = False  # eclipse_policy power_off: a replica in the Earth's shadow serves no one


@dataclass
class RequestSetup:
    arrivals: str = "population"  # "population" | "trace"
    tokens: str = "azure_conv"  # a trace name, or "fixed"
    per_day: float = 100_000.0
    cities: int = 1000
    amplitude: float = 0.5
    peak_local_h: float = 20.0
    speedup: float = 1.0
    input_tokens: int = 1000
    output_tokens: int = 200
    weights: np.ndarray | None = None  # shares of cities 0 .. cities-1 (None: rank-size rule)


@dataclass
class ServiceSetup:
    name: str
    perf: ReplicaPerf
    placements: list[Placement]
    requests: RequestSetup
    policy: str = "nearest"
    ttft_slo_ms: float | None = None
    e2e_slo_ms: float | None = None
    latency_target_ms: float | None = None
    window_s: float = 60.0
    # (time s, downtime s, source place, target place, count, USD per replica): sites only
    moves: list[tuple] = field(default_factory=list)
    host_w: float = 0.0  # host power per replica beyond its GPUs' chips (W), while it serves


def replica_timeline(initial: dict[str, int], moves: list[tuple]) -> tuple[np.ndarray, dict[str, np.ndarray], int | None]:
    """Replicas serving at each named place over time, given moves (t_s, downtime_s, source,
    target, count, ...): they leave the source at t_s and serve at the target from t_s +
    downtime_s. Returns (times from 0, counts per place at each time, index of the first move
    that takes more replicas than its source holds, else None; a short move takes what there is)."""
    events = []  # (time, order, place, delta, move index): arrivals before departures at one instant
    for k, mv in enumerate(moves):
        t, down, src, dst, n = mv[:5]
        events.append((float(t), 1, src, -int(n), k))
        # arrivals before departures at one instant, except a move's own (zero downtime) arrival
        events.append((float(t) + float(down), 0 if float(down) > 0 else 2, dst, int(n), k))
    events.sort(key=lambda e: (e[0], e[1], e[4]))
    held = dict(initial)
    times, rows, short = [0.0], [dict(held)], None
    moved: dict[int, int] = {}
    for t, _, place, delta, k in events:
        if delta < 0:
            take = min(-delta, held[place])
            if take < -delta and short is None:
                short = k
            moved[k] = take
            held[place] -= take
        else:
            held[place] += moved.get(k, delta)
        if t == times[-1]:
            rows[-1] = dict(held)
        else:
            times.append(t)
            rows.append(dict(held))
    return np.array(times), {p: np.array([r[p] for r in rows], dtype=np.int64) for p in initial}, short


@dataclass
class Served:
    service: str
    placements: list[Placement]
    arrays: dict[str, np.ndarray]
    snapshot: dict | None = field(default=None)
    replicas_moved: int = 0
    replica_move_usd: float = 0.0


def make_requests(setup: RequestSetup, duration_s: float, start: np.datetime64, rng: np.random.Generator,
                  city_lon: np.ndarray) -> req.Requests:
    day = start.astype("datetime64[D]")
    start_utc_h = float((start - day) / np.timedelta64(1, "s")) / 3600.0
    n_c = setup.cities
    if setup.arrivals == "trace":
        t, city, inp, out = req.replay(req.load_trace(setup.tokens), duration_s, n_c, rng, setup.speedup, setup.weights)
        return req.Requests(t, city, inp, out)
    t, city = req.generate(setup.per_day, duration_s, city_lon[:n_c], start_utc_h, rng, setup.amplitude, setup.peak_local_h,
                           weights=setup.weights)
    if setup.tokens == "fixed":
        inp = np.full(t.size, setup.input_tokens, dtype=np.int64)
        out = np.full(t.size, setup.output_tokens, dtype=np.int64)
    else:
        tr = req.load_trace(setup.tokens)
        k = rng.integers(0, tr.input_tokens.size, size=t.size)
        inp, out = tr.input_tokens[k], tr.output_tokens[k]
    return req.Requests(t, city, inp, out)


def serve(setup: ServiceSetup, duration_s: float, start: np.datetime64, tick_s: float, route_factor: float,
          rng: np.random.Generator, requests: req.Requests | None = None) -> Served:
    table = places.load_cities()
    n_c = setup.requests.cities
    lat, lon = table.lat_deg[:n_c], table.lon_deg[:n_c]
    rq = make_requests(setup.requests, duration_s, start, rng, table.lon_deg) if requests is None else requests
    n_ticks = max(1, int(np.ceil(duration_s / tick_s)))
    replicas = np.array([p.replicas for p in setup.placements], dtype=np.int64)
    count_times = counts = None
    if setup.moves:  # replicas serving at each place over time; ids per placement: as many as it ever holds
        first = {}
        for i, p in enumerate(setup.placements):
            first.setdefault(p.name, i)
        count_times, by_place, _ = replica_timeline({name: replicas[i] for name, i in first.items()}, setup.moves)
        counts = np.tile(replicas, (count_times.size, 1))
        for name, i in first.items():
            counts[:, i] = by_place[name]
        replicas = counts.max(axis=0)
    rtt, rtt_lit, orbital = [], [], {}
    snapshot = None
    for p_i, p in enumerate(setup.placements):
        if p.kind == "site":
            t = np.broadcast_to(network_rtt.terrestrial_rtt_ms(lat, lon, p.lat_deg, p.lon_deg, route_factor), (n_ticks, n_c))
            rtt.append(t)
            rtt_lit.append(t)
        else:
            cities = topology.GroundSet.from_latlon(table.names[:n_c], lat, lon)
            serving = None
            if counts is not None:  # the count at each network tick's start
                at = np.searchsorted(count_times, np.arange(n_ticks) * tick_s, side="right") - 1
                serving = counts[at, p_i]
            o = network_rtt.orbital_rtt(p.shell, int(replicas[p_i]), cities, tick_s, n_ticks, start, serving)
            if p.dark_in_shadow:  # only sunlit replicas have power to serve
                o = dataclasses.replace(o, rtt_ms=o.rtt_sunlit_ms, replica=o.replica_sunlit)
            orbital[p_i] = o
            rtt.append(o.rtt_ms)
            rtt_lit.append(o.rtt_sunlit_ms)
            if snapshot is None:
                snapshot = {"placement": p.name, "sat_latlon": o.snapshot_latlon, "isls": o.isls,
                            "replica_sats": o.sat_index}
    n = len(rq)
    tick = np.minimum((rq.arrival_s // tick_s).astype(np.int64), n_ticks - 1)
    perf = setup.perf
    service = perf.service_s(rq.input_tokens, rq.output_tokens)
    ctx = RoutingContext(tick, rq.city, rq.arrival_s, service, rtt, rtt_lit, replicas,
                         np.array([p.usd_per_gpu_hour for p in setup.placements], dtype=np.float64),
                         setup.latency_target_ms, setup.window_s, count_times, counts)
    choice = POLICIES[setup.policy](ctx)
    # a request that no placement can take (no replica in view, none left after moves) is not served
    choice = np.where(np.isfinite(candidate_rtt_ms(ctx)).any(axis=1), choice, -1)
    sunlit_pick = setup.policy == "sun_following"
    rtt_req = np.full(n, np.inf)
    replica = np.zeros(n, dtype=np.int64)  # global replica id
    offset = np.r_[0, np.cumsum(replicas)]
    for p_i, p in enumerate(setup.placements):
        sel = np.flatnonzero(choice == p_i)
        if p.kind == "site":
            rtt_req[sel] = rtt[p_i][tick[sel], rq.city[sel]]
            serving = np.maximum(ctx.active(rq.arrival_s[sel])[:, p_i], 1)
            replica[sel] = offset[p_i] + np.arange(sel.size) % serving  # round robin by arrival over those serving
        else:
            o = orbital[p_i]
            use_lit = sunlit_pick & np.isfinite(o.rtt_sunlit_ms[tick[sel], rq.city[sel]])
            rtt_req[sel] = np.where(use_lit, o.rtt_sunlit_ms[tick[sel], rq.city[sel]], o.rtt_ms[tick[sel], rq.city[sel]])
            r = np.where(use_lit, o.replica_sunlit[tick[sel], rq.city[sel]], o.replica[tick[sel], rq.city[sel]])
            replica[sel] = offset[p_i] + np.maximum(r, 0)
    served = np.isfinite(rtt_req)
    at_replica = rq.arrival_s + np.where(served, rtt_req, 0.0) / 2000.0
    start_s, dep_s = queueing.fifo_departures(at_replica[served], service[served], replica[served])
    wait = np.full(n, np.nan)
    wait[served] = start_s - at_replica[served]
    prefill = perf.prefill_s(rq.input_tokens)
    decode = np.maximum(rq.output_tokens - 1, 0) * perf.itl_s
    ttft_ms = np.where(served, rtt_req + 1000.0 * (wait + prefill), np.nan)
    e2e_ms = ttft_ms + 1000.0 * decode
    met = served.copy()
    if setup.ttft_slo_ms is not None:
        met &= ttft_ms <= setup.ttft_slo_ms
    if setup.e2e_slo_ms is not None:
        met &= e2e_ms <= setup.e2e_slo_ms
    energy = np.where(served, rq.output_tokens * perf.j_per_token, 0.0)
    pue = np.array([p.pue for p in setup.placements], dtype=np.float64)
    facility = np.where(served, (energy + setup.host_w * service) * pue[np.maximum(choice, 0)], 0.0)
    arrays = {
        "arrival_s": rq.arrival_s, "city": rq.city, "placement": choice, "replica": replica,
        "input_tokens": rq.input_tokens, "output_tokens": rq.output_tokens, "rtt_ms": np.where(served, rtt_req, np.nan),
        "wait_ms": wait * 1000.0, "ttft_ms": ttft_ms, "e2e_ms": e2e_ms, "met_slo": met, "served": served,
        "energy_j": energy, "facility_energy_j": facility,
    }
    moved = sum(int(m[4]) for m in setup.moves)
    move_usd = sum(int(m[4]) * float(m[5]) for m in setup.moves)
    return Served(setup.name, setup.placements, arrays, snapshot, moved, move_usd)


def _pct(x: np.ndarray, q: float) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if x.size else None


def summary(results: list[Served]) -> dict[str, object]:
    """The summary keys over every service together."""
    if not results:
        return {k: None for k in SUMMARY_KEYS}
    cat = {k: np.concatenate([r.arrays[k] for r in results]) for k in ("ttft_ms", "e2e_ms", "rtt_ms", "met_slo",
                                                                        "output_tokens", "energy_j", "facility_energy_j", "served")}
    n = int(cat["met_slo"].size)
    tokens = int(cat["output_tokens"][cat["served"]].sum())
    energy = float(cat["energy_j"].sum())
    return {
        "requests": n,
        "requests_met_slo": int(cat["met_slo"].sum()),
        "ttft_p50_ms": _pct(cat["ttft_ms"], 50), "ttft_p99_ms": _pct(cat["ttft_ms"], 99),
        "e2e_p50_ms": _pct(cat["e2e_ms"], 50), "e2e_p99_ms": _pct(cat["e2e_ms"], 99),
        "network_rtt_p50_ms": _pct(cat["rtt_ms"], 50), "network_rtt_p99_ms": _pct(cat["rtt_ms"], 99),
        "tokens_generated": tokens,
        "wh_per_request": energy / 3600.0 / int(cat["served"].sum()) if cat["served"].any() else None,
        "facility_wh_per_request": (float(cat["facility_energy_j"].sum()) / 3600.0 / int(cat["served"].sum())
                                    if cat["served"].any() else None),
        "j_per_token": energy / tokens if tokens else None,
        "replicas_moved": sum(r.replicas_moved for r in results),
        "replica_move_usd": float(sum(r.replica_move_usd for r in results)),
    }


def group_quantiles(keys: np.ndarray, values: np.ndarray, qs: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unique keys, counts, (K, len(qs)) quantiles by linear interpolation, numpy's default)
    of finite ``values`` grouped by ``keys``: one lexsort, no loop over groups."""
    ok = np.isfinite(values)
    k, v = keys[ok], values[ok]
    o = np.lexsort((v, k))
    k, v = k[o], v[o]
    uniq, first, counts = np.unique(k, return_index=True, return_counts=True)
    out = np.empty((uniq.size, len(qs)))
    for j, q in enumerate(qs):
        pos = first + (counts - 1) * (q / 100.0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, first + counts - 1)
        out[:, j] = v[lo] + (v[hi] - v[lo]) * (pos - lo)
    return uniq, counts, out


def tables(results: list[Served]) -> dict[str, pa.Table]:
    """``requests`` (every request, or an even sample past REQUESTS_TABLE_MAX_ROWS),
    ``latency_by_city``, ``latency_by_placement`` and ``inference_network`` (the first
    orbital placement's satellites at the first tick, for the report's map)."""
    cities = places.load_cities()
    req_parts, city_rows, place_rows = [], [], []
    total = sum(r.arrays["arrival_s"].size for r in results)
    stride = max(1, int(np.ceil(total / REQUESTS_TABLE_MAX_ROWS)))
    qs = (50.0, 99.0)
    for r in results:
        a = r.arrays
        names = np.array([p.name for p in r.placements], dtype=object)
        sl = slice(None, None, stride)
        req_parts.append(pa.table({
            "service": pa.array([r.service] * a["arrival_s"][sl].size, pa.string()),
            "arrival_s": a["arrival_s"][sl], "city": pa.array(np.asarray(cities.names, dtype=object)[a["city"][sl]], pa.string()),
            # a request no placement could reach (nothing in view) has no placement or replica
            "placement": pa.array(names[a["placement"][sl]], pa.string(), mask=~a["served"][sl]),
            "replica": pa.array(a["replica"][sl], pa.int64(), mask=~a["served"][sl]),
            "input_tokens": a["input_tokens"][sl], "output_tokens": a["output_tokens"][sl],
            "rtt_ms": a["rtt_ms"][sl], "wait_ms": a["wait_ms"][sl], "ttft_ms": a["ttft_ms"][sl], "e2e_ms": a["e2e_ms"][sl],
            "met_slo": a["met_slo"][sl], "energy_j": a["energy_j"][sl],
        }))
        served = a["served"]
        # by city: every request of the city; by placement: the requests it served
        for key_name, rows_of in (("city", slice(None)), ("placement", served)):
            keys = a[key_name][rows_of]
            cols = {}
            for metric in ("ttft_ms", "e2e_ms", "rtt_ms"):
                u, cnt, qv = group_quantiles(keys, a[metric][rows_of], qs)
                cols[metric] = (u, cnt, qv)
            u, cnt, _ = cols["ttft_ms"]
            all_u, all_cnt = np.unique(keys, return_counts=True)
            met = np.bincount(keys, weights=a["met_slo"][rows_of].astype(float),
                              minlength=int(all_u.max()) + 1 if all_u.size else 0)
            for i, key in enumerate(all_u):
                row = {"service": r.service, "requests": int(all_cnt[i]), "requests_met_slo": int(met[key])}
                for metric, (uu, _, qv) in cols.items():
                    j = np.searchsorted(uu, key)
                    found = j < uu.size and uu[j] == key
                    base = metric.removesuffix("_ms")
                    row[f"{base}_p50_ms"] = float(qv[j, 0]) if found else None
                    row[f"{base}_p99_ms"] = float(qv[j, 1]) if found else None
                if key_name == "city":
                    city_rows.append({"city": cities.names[key], "lat_deg": float(cities.lat_deg[key]),
                                      "lon_deg": float(cities.lon_deg[key]), **row})
                else:
                    p = r.placements[key]
                    place_rows.append({"placement": p.name, "kind": p.kind, "replicas": p.replicas, **row})
    quantile_fields = [pa.field(f"{m}_{q}_ms", pa.float64()) for m in ("ttft", "e2e", "rtt") for q in ("p50", "p99")]
    common = [pa.field("service", pa.string()), pa.field("requests", pa.int64()), pa.field("requests_met_slo", pa.int64())]
    city_schema = pa.schema([pa.field("city", pa.string()), pa.field("lat_deg", pa.float64()),
                             pa.field("lon_deg", pa.float64()), *common, *quantile_fields])
    place_schema = pa.schema([pa.field("placement", pa.string()), pa.field("kind", pa.string()),
                              pa.field("replicas", pa.int64()), *common, *quantile_fields])
    out = {"requests": pa.concat_tables(req_parts),
           "latency_by_city": pa.Table.from_pylist(city_rows, schema=city_schema),
           "latency_by_placement": pa.Table.from_pylist(place_rows, schema=place_schema)}
    snap = next((r.snapshot for r in results if r.snapshot is not None), None)
    if snap is not None:
        ll = snap["sat_latlon"]
        is_rep = np.zeros(ll.shape[0], dtype=bool)
        is_rep[snap["replica_sats"]] = True
        e = snap["isls"]
        out["inference_network"] = pa.table({
            "placement": pa.array([snap["placement"]] * ll.shape[0], pa.string()),
            "sat": np.arange(ll.shape[0]), "lat_deg": ll[:, 0], "lon_deg": ll[:, 1], "replica": is_rep,
        })
        out["inference_links"] = pa.table({"a": e[:, 0], "b": e[:, 1]})
    return out


def setups_from_scenario(sc, base_dir=None) -> list[ServiceSetup]:
    """The services of a validated scenario's ``inference`` section. Replicas sit on the
    scenario's sites (a pool's site) and shells; the GPUs they hold are taken from the
    training run by `serving_holds`."""
    import math

    from orbitgrid.catalog.constellations import load_constellation_presets
    from orbitgrid.inference import models
    from orbitgrid.network.topology import DEFAULT_MIN_ELEVATION_DEG, MIN_ELEVATION_DEG
    from orbitgrid.physics import orbits
    from orbitgrid.physics.sun import raan_for_ltan_rad

    inf = sc.inference
    table = sc.accelerator_table()
    site_of_pool = {p.name: s for s in sc.sites for p in s.pools}
    sites = {s.name: s for s in sc.sites}
    cons = {c.name: c for c in sc.constellations}
    jd0 = float(orbits.julian_date(np.datetime64(sc.simulation.start, "s")))
    out = []
    for svc in inf.services:
        acc = table[svc.gpu]
        runs = [r for r in models.load_runs() if (r.model, r.gpu, r.num_gpus) == (svc.model, svc.gpu, svc.gpus_per_replica)]
        fp8 = runs[0].precision.startswith("fp8") and acc.fp8_tflops is not None
        peak = float(acc.fp8_tflops.value if fp8 else acc.bf16_tflops.value)
        perf = models.replica_perf(svc.model, svc.gpu, svc.gpus_per_replica, svc.batch_size, peak)
        placements = []
        for g in svc.replicas:
            if g.constellation is None:
                site = sites[g.site] if g.site is not None else site_of_pool[g.pool]
                placements.append(Placement(g.site or g.pool, "site", g.count, g.usd_per_gpu_hour,
                                            site.location.lat_deg, site.location.lon_deg, pue=float(site.pue)))
                continue
            con = cons[g.constellation]
            family = (con.preset or "").split("-")[0]
            el = inf.min_elevation_deg if inf.min_elevation_deg is not None else MIN_ELEVATION_DEG.get(family, DEFAULT_MIN_ELEVATION_DEG)
            if con.shell is not None:
                sh = con.shell
                inc = float(orbits.sso_inclination_deg(sh.altitude_km)) if sh.sso else float(sh.inclination_deg)
                raan0 = math.degrees(raan_for_ltan_rad(jd0, sh.ltan_h)) if sh.sso else float(sh.raan0_deg)
                geo = network_rtt.ShellGeometry(sh.planes, sh.sats_per_plane, sh.phasing, inc, sh.altitude_km, raan0, el)
            else:  # a preset: its first shell
                p = load_constellation_presets()[con.preset].shells[0]
                geo = network_rtt.ShellGeometry(p.planes, p.sats_per_plane, p.phasing, p.inclination_deg, p.altitude_km, 0.0, el)
            placements.append(Placement(g.constellation, "orbit", min(g.count, geo.planes * geo.sats_per_plane),
                                        g.usd_per_gpu_hour, shell=geo, dark_in_shadow=con.eclipse_policy == "power_off"))
        r = svc.requests
        weights = None
        if r.population_file is not None:  # checked line by line when the scenario was loaded
            from pathlib import Path

            path = Path(r.population_file)
            ranks, population = req.read_city_populations(path if path.is_absolute() or base_dir is None
                                                          else Path(base_dir) / path)
            weights = req.population_weights(ranks, population)
        rs = RequestSetup(r.arrivals, r.tokens, r.per_day or 0.0, r.cities if weights is None else weights.size,
                          r.daily_cycle.amplitude, r.daily_cycle.peak_local_h, r.speedup, r.input_tokens,
                          r.output_tokens, weights)
        moves = [(m.at_h * 3600.0, m.downtime_s, m.source, m.target, m.count, m.usd_per_replica) for m in svc.moves]
        server, chip = acc.server_power_per_gpu_w, acc.tdp_w
        host_w = (max(server.value - chip.value, 0.0) * svc.gpus_per_replica
                  if server is not None and chip is not None and server.value is not None and chip.value is not None else 0.0)
        out.append(ServiceSetup(svc.name, perf, placements, rs, svc.routing, svc.slo.ttft_ms, svc.slo.e2e_ms,
                                svc.latency_target_ms, svc.window_s, moves, host_w))
    return out


def serving_holds(sc, world, end_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The GPUs that inference replicas hold, as outage-like records (pool, start s, end s,
    GPUs) the training run cannot use, over the times the replicas are there (moves
    included; the last interval ends at `end_s`, the latest the run can end). A site or pool
    placement holds replicas x `gpus_per_replica` GPUs of the service's type, a site's taken
    from its pools of that type in order, as far as they go. An orbital replica sits on one
    satellite (`network_rtt.replica_satellites`, the same choice the routing makes) and holds
    `gpus_per_replica` of its GPUs in that satellite's pool (per plane, per satellite or the
    whole shell, as the constellation is pooled)."""
    pool_idx = {name: k for k, name in enumerate(world.pool_names)}
    rows: list[tuple[int, float, float, int]] = []
    end = float(end_s)
    cons = {c.name: c for c in sc.constellations}
    for svc in (sc.inference.services if sc.inference is not None else []):
        groups = {(g.constellation or g.site or g.pool): g for g in svc.replicas}
        moves = [(m.at_h * 3600.0, m.downtime_s, m.source, m.target, m.count) for m in svc.moves]
        times, counts, _ = replica_timeline({p: g.count for p, g in groups.items()}, moves)
        edges = np.append(np.minimum(times, end), end)
        for place, g in groups.items():
            if g.constellation is not None:
                rows += _orbital_holds(cons[g.constellation], counts[place], edges, svc.gpus_per_replica, pool_idx)
                continue
            if g.pool is not None:
                pools = [pool_idx[g.pool]]
            else:
                site = world.site_names.index(g.site)
                pools = [k for k in range(world.n_pools) if world.pool_site[k] == site and world.pool_gpu[k] == svc.gpu]
            for i in range(times.size):
                need = int(counts[place][i]) * svc.gpus_per_replica
                for k in pools:
                    take = min(need, int(world.installed[k]))
                    if take > 0 and edges[i + 1] > edges[i]:
                        rows.append((k, float(edges[i]), float(edges[i + 1]), take))
                    need -= take
                    if need <= 0:
                        break
    if not rows:
        z = np.zeros(0)
        return z.astype(np.int64), z, z, z.astype(np.int64)
    a = np.array(rows, dtype=np.float64)
    return a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3].astype(np.int64)


def _orbital_holds(con, counts: np.ndarray, edges: np.ndarray, gpus_per_replica: int, pool_idx: dict[str, int]
                   ) -> list[tuple[int, float, float, int]]:
    """(pool, start, end, GPUs) for the replicas on one constellation's first shell, interval
    by interval (`counts[i]` replicas between `edges[i]` and `edges[i + 1]`): the replica
    satellites as the routing picks them (the serving ones spread evenly over the most the
    shell ever holds), in the pools world/satellites.py puts them in."""
    from pathlib import Path

    from orbitgrid.world.satellites import satellite_sets

    sats = satellite_sets(con, 0.0, Path("."))[0]  # the first shell; its pools do not depend on the epoch
    most = network_rtt.replica_satellites(sats.n_sat, min(int(counts.max()), sats.n_sat))
    rows = []
    for i, c in enumerate(counts.tolist()):
        if c <= 0 or edges[i + 1] <= edges[i]:
            continue
        on = most[network_rtt.replica_satellites(most.size, min(c, most.size))]
        labels = [sats.group_labels[g] for g in sats.group[on].tolist()]
        pools, n = np.unique(np.array([pool_idx[name] for name in labels], dtype=np.int64), return_counts=True)
        rows += [(int(k), float(edges[i]), float(edges[i + 1]), int(m) * gpus_per_replica) for k, m in zip(pools, n)]
    return rows


def run_inference(sc, seed: int, base_dir=None) -> tuple[dict[str, object], dict[str, pa.Table]]:
    """Summary keys and store tables of a scenario's inference services (None keys and no
    tables when it has none). Seeded apart from the training run's streams."""
    if sc.inference is None:
        return {k: None for k in SUMMARY_KEYS}, {}
    rng = np.random.default_rng([int(seed), 7_000_002])
    duration_s = sc.simulation.duration_h * 3600.0
    start = np.datetime64(sc.simulation.start, "s")
    results = [serve(s, duration_s, start, sc.inference.network_tick_s, sc.inference.route_factor, rng)
               for s in setups_from_scenario(sc, base_dir)]
    return summary(results), tables(results)
