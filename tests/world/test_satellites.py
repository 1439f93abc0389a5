"""Satellite sets of a scenario's constellations: Walker shells, formation clusters and TLEs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.physics import orbits, tle
from orbitgrid.physics.sun import raan_for_ltan_rad
from orbitgrid.scenario import ConstellationSpec
from orbitgrid.world.satellites import formation_offsets_km, satellite_sets

DATA = Path(__file__).parents[1] / "data"
JD0 = float(orbits.julian_date(np.datetime64("2025-12-07T00:00:00")))
SAT = dict(gpu="H100", gpus=8, bus_power_w=1000, array_area_m2=60, cell_efficiency=0.3, battery_wh=20000,
           depth_of_discharge=0.8, charge_efficiency=0.95, discharge_efficiency=0.95, max_charge_w=1e4,
           max_discharge_w=1.5e4, radiator_area_m2=40, emissivity=0.9, absorptivity=0.2, max_radiator_temperature_k=330)


def con(**geometry) -> ConstellationSpec:
    return ConstellationSpec.model_validate({"name": "c", "satellite": SAT, **geometry})


def test_formation_offsets_fill_the_disc():
    along, cross = formation_offsets_km(81, 1.0)
    rho = np.hypot(along, cross)
    assert rho.max() <= 1.0 and rho.max() == pytest.approx(math.sqrt(80.5 / 81), rel=1e-12)
    # Vogel's spiral spreads points evenly: the closest pair is not much closer than the mean spacing
    d = np.hypot(along[:, None] - along[None, :], cross[:, None] - cross[None, :]) + np.eye(81) * 9
    assert d.min() > 0.5 * math.sqrt(math.pi / 81)


def test_formation_satellites_stay_within_the_radius_all_orbit():
    # Suncatcher-like (REFERENCE.md): 81 satellites within 1 km, 650 km dawn-dusk SSO
    c = con(formation={"altitude_km": 650, "sso": True, "ltan_h": 18, "clusters": 2, "satellites": 81, "radius_km": 1.0})
    (s,) = satellite_sets(c, JD0, Path("."))
    assert s.n_sat == 162 and s.group_labels == ["c/c0", "c/c1"] and np.bincount(s.group).tolist() == [81, 81]
    t = np.linspace(0.0, float(orbits.orbital_period_s(650.0)), 400)
    r, ok = s.positions(JD0, t)
    assert ok.all()
    inc = math.radians(float(orbits.sso_inclination_deg(650.0)))
    centre = orbits.propagate_circular_eci_km(
        orbits.R_EARTH_KM + 650.0, inc, raan_for_ltan_rad(JD0, 18.0), 0.0, t, dtype=np.float64)[0]
    dist = np.linalg.norm(r[:81] - centre[None], axis=-1)
    assert dist.max() <= math.sqrt(80.5 / 81) + 1e-6  # the outermost planned offset, to the millimetre
    assert dist.max() > 0.99 * math.sqrt(80.5 / 81)
    # clusters half an orbit apart
    gap = np.linalg.norm(r[:81].mean(axis=0) - r[81:].mean(axis=0), axis=-1)
    assert gap.min() == pytest.approx(2 * (orbits.R_EARTH_KM + 650.0), rel=1e-3)
    assert s.notes["formation_max_baseline_km"] <= 2.0
    assert s.notes["formation_light_time_us"] == pytest.approx(s.notes["formation_max_baseline_km"] * 3.336)


def test_walker_pooling():
    shell = {"altitude_km": 550, "inclination_deg": 53, "planes": 3, "sats_per_plane": 4, "phasing": 1}
    (by_plane,) = satellite_sets(con(shell=shell), JD0, Path("."))
    assert by_plane.group.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    (by_sat,) = satellite_sets(con(shell=shell, pool_per="satellite"), JD0, Path("."))
    assert by_sat.n_groups == 12 and by_sat.group_labels[5] == "c/s0p1n1"
    (whole,) = satellite_sets(con(shell=shell, pool_per="constellation"), JD0, Path("."))
    assert whole.n_groups == 1


def test_preset_gives_one_set_per_shell():
    sets = satellite_sets(con(preset="kuiper"), JD0, Path("."))
    assert sum(s.n_sat for s in sets) == 3236


def test_tle_set_matches_sgp4_directly():
    c = con(tle={"file": str(DATA / "starlink_24.tle"), "name_prefix": "STARLINK-1", "limit": 5})
    (s,) = satellite_sets(c, JD0, Path("."))
    names, arr, sats = tle.read_tles(DATA / "starlink_24.tle")
    keep = [i for i, n in enumerate(names) if n.startswith("STARLINK-1")][:5]
    assert s.n_sat == 5 and s.group_labels == ["c"]
    t = np.array([0.0, 600.0, 3600.0])
    r, ok = s.positions(JD0, t)
    for j, i in enumerate(keep):
        e, ri, _ = sats[i].sgp4_array(np.full(3, math.floor(JD0)), JD0 - math.floor(JD0) + t / 86400.0)
        assert ok[j].all() and np.allclose(r[j], ri, atol=1e-6)
    assert np.all((s.altitude_km > 300) & (s.altitude_km < 600)) and np.allclose(s.inclination_deg, 53.05, atol=0.2)
    # orbit normals from SGP4's r × v: unit vectors, cos i from the pole, at right angles to r
    h = s.normals(JD0, t)
    assert np.allclose(np.linalg.norm(h, axis=-1), 1.0)
    assert np.allclose(h[..., 2], np.cos(np.radians(s.inclination_deg))[:, None], atol=2e-3)
    assert np.abs(np.sum(h * r, axis=-1)).max() < 1e-9 * 7000


def test_geometry_must_be_one_of_four():
    with pytest.raises(ValueError, match="exactly one of shell, preset, formation and tle"):
        con(preset="kuiper", formation={"altitude_km": 650, "sso": True, "satellites": 4, "radius_km": 1})
    with pytest.raises(ValueError, match="pool_per 'plane' does not apply to a formation"):
        con(formation={"altitude_km": 650, "sso": True, "satellites": 4, "radius_km": 1}, pool_per="plane")
