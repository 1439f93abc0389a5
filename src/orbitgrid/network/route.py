"""The path and one-way delay between two places at one time: what ``orbitgrid route`` prints.

A shell (a Walker preset from ``catalog/constellations.yaml``) is propagated with
``physics.orbits`` from a fixed epoch (default 2026-01-01T00:00Z, first node at RAAN 0,
as ``walker_shell`` places it) to the requested time, turned Earth-fixed by GMST, and
joined by +Grid laser links. Each end reaches the shell by its own user terminal (any
satellite at or above the minimum elevation) or by fibre to its nearest Starlink gateway;
a gateway joins fibre to the sky but does not relay between satellites, and no other
place relays at all. Without a shell the answer is fibre only: the great
circle times a route factor, at 4.90 us/km.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from orbitgrid.network import geometry, places, routing, topology
from orbitgrid.network.places import Place, PlaceError
from orbitgrid.physics import orbits

DEFAULT_EPOCH = "2026-01-01T00:00:00"


class RouteError(ValueError):
    """Bad input to ``find_route``: ``field`` names the option, ``hint`` what would work."""

    def __init__(self, field: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.field, self.hint = field, hint


def parse_utc(text: str, field: str = "--at") -> np.datetime64:
    """An ISO 8601 time ('2026-03-21T12:00Z', '2026-03-21 12:00+01:00', '2026-03-21') as a
    UTC datetime64[us]; a time without a zone is taken as UTC."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RouteError(field, f"not an ISO 8601 time: {text!r}", "e.g. 2026-03-21T12:00Z") from None
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return np.datetime64(t, "us")


def _iso(t: np.datetime64) -> str:
    unit = "s" if t == t.astype("datetime64[s]") else "us"
    return np.datetime_as_string(t, unit=unit) + "Z"


def resolve_shell(name: str):
    """(label, ShellSpec, family) of 'PRESET' (its first shell) or 'PRESET:K' (K-th, from 1)."""
    from orbitgrid.catalog.constellations import load_constellation_presets

    presets = load_constellation_presets()
    preset, _, k = name.partition(":")
    if preset not in presets:
        import difflib

        close = difflib.get_close_matches(preset, list(presets), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise RouteError("--shell", f"unknown shell {name!r}", hint + "one of " + ", ".join(presets))
    shells = presets[preset].shells
    if k and not (k.isdigit() and 1 <= int(k) <= len(shells)):
        raise RouteError("--shell", f"{preset} has shells 1..{len(shells)}, not {k!r}", f"{preset}:1")
    idx = int(k) - 1 if k else 0
    return f"{preset}:{idx + 1}", shells[idx], preset.split("-")[0]


def shell_ecef_km(spec, at: np.datetime64, epoch: np.datetime64, raan0_deg: float = 0.0) -> np.ndarray:
    """Earth-fixed positions (N, 3) of every satellite of a Walker shell at ``at``."""
    w = orbits.walker_shell(spec.planes, spec.sats_per_plane, spec.phasing, spec.inclination_deg,
                            spec.altitude_km, raan0_deg)
    t_s = np.array([(at - epoch) / np.timedelta64(1, "s")])
    r = orbits.propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t_s, dtype=np.float64)
    return orbits.eci_to_ecef(r[:, 0, :], orbits.julian_date(at))


def _fibre_answer(a: Place, b: Place, route_factor: float) -> dict:
    gc = float(geometry.great_circle_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg))
    return {
        "mode": "fibre", "from": a.name, "to": b.name, "path": [a.name, b.name],
        "hops": [{"from": a.name, "to": b.name, "kind": "fibre", "km": gc * route_factor,
                  "ms": float(geometry.fibre_delay_ms(gc, route_factor))}],
        "distance_km": gc * route_factor, "one_way_ms": float(geometry.fibre_delay_ms(gc, route_factor)),
        "great_circle_km": gc, "route_factor": route_factor,
    }


def find_route(
    from_place: str,
    to_place: str,
    shell: str | None = None,
    at: str = DEFAULT_EPOCH,
    *,
    fibre: bool = False,
    route_factor: float = 1.0,
    min_elevation_deg: float | None = None,
    epoch: str = DEFAULT_EPOCH,
    gateways: bool = True,
) -> dict:
    """The quickest path from ``from_place`` to ``to_place`` (see ``places.parse_place``):
    a dict with path (node names), hops, distance_km, one_way_ms and the settings used."""
    if not (np.isfinite(route_factor) and route_factor >= 1.0):
        raise RouteError("--route-factor", f"must be a number >= 1, got {route_factor}")
    t = parse_utc(at, "--at")
    spec = None
    if shell is not None:
        label, spec, family = resolve_shell(shell)
    ends = []
    for field, text in (("--from", from_place), ("--to", to_place)):
        try:
            ends.append(places.parse_place(text, spec.planes if spec else None, spec.sats_per_plane if spec else None))
        except PlaceError as exc:
            raise RouteError(field, str(exc), exc.hint) from None
    a, b = ends
    if spec is None or fibre:
        if "satellite" in (a.kind, b.kind):
            field = "--from" if a.kind == "satellite" else "--to"
            if fibre:
                raise RouteError(field, "no fibre reaches a satellite", "leave out --fibre")
            raise RouteError(field, "a satellite needs a shell", "give --shell")
        return {**_fibre_answer(a, b, route_factor), "at": _iso(t)}
    t_epoch = parse_utc(epoch, "--epoch")
    if min_elevation_deg is None:
        min_elevation_deg = topology.MIN_ELEVATION_DEG.get(family, topology.DEFAULT_MIN_ELEVATION_DEG)
    if not 0.0 <= min_elevation_deg < 90.0:
        raise RouteError("--min-elevation-deg", f"must be in [0, 90), got {min_elevation_deg}")
    sat = shell_ecef_km(spec, t, t_epoch)
    isls = topology.plus_grid_isls(spec.planes, spec.sats_per_plane)
    ground = [p for p in (a, b) if p.kind != "satellite"]
    endpoints = topology.GroundSet.from_latlon([p.name for p in ground], [p.lat_deg for p in ground],
                                               [p.lon_deg for p in ground])
    gw = None
    if gateways:
        table = places.load_gateways()
        gw = topology.GroundSet.from_latlon(table.names, table.lat_deg, table.lon_deg)
    graph, lay = topology.snapshot_graph(sat, isls, endpoints, gw, min_elevation_deg=min_elevation_deg,
                                         route_factor=route_factor)
    k = iter(range(len(ground)))
    src = a.sat_index if a.kind == "satellite" else int(lay.out_node(next(k)))
    dst = b.sat_index if b.kind == "satellite" else int(lay.in_node(next(k)))

    def name(node: int) -> str:
        if node < lay.n_sat:
            p, s = divmod(node, spec.sats_per_plane)
            return f"sat:{node} (plane {p}, slot {s})"
        if node < lay.n_sat + 2 * lay.n_gateways:
            return gw.names[(node - lay.n_sat) % lay.n_gateways]
        return endpoints.names[(node - lay.n_sat - 2 * lay.n_gateways) % lay.n_endpoints]

    r = routing.route(graph, src, dst)
    out: dict = {"mode": "shell", "shell": label, "from": a.name, "to": b.name, "at": _iso(t),
                 "epoch": _iso(t_epoch), "min_elevation_deg": min_elevation_deg, "route_factor": route_factor}
    if a.kind != "satellite" and b.kind != "satellite":
        f = _fibre_answer(a, b, route_factor)
        out.update(great_circle_km=f["great_circle_km"], fibre_one_way_ms=f["one_way_ms"])
    if r is None:
        return {**out, "path": [], "hops": [], "distance_km": None, "one_way_ms": None, "reachable": False}
    names = [name(n) for n in r.nodes]
    hops = [{"from": names[i], "to": names[i + 1], "kind": r.kinds[i], "km": r.length_km[i], "ms": r.delay_ms[i]}
            for i in range(len(r.kinds))]
    return {**out, "path": names, "hops": hops, "distance_km": r.distance_km, "one_way_ms": r.one_way_ms,
            "reachable": True}
