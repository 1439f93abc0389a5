"""Usable GPUs of a compute satellite through sun and shadow, worked against hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.physics import orbits, sun
from orbitgrid.physics.solar_power import Battery
from orbitgrid.world.orbital import SatelliteDesign, satellite_capacity

JD0 = float(orbits.julian_date(np.datetime64("2026-03-20T12:00:00")))
A_KM = orbits.R_EARTH_KM + 550.0


def design(battery_wh: float = 60_000.0, radiator_m2: float = 200.0) -> SatelliteDesign:
    # 16 GPUs at 1,275 W (DGX H100 share) + 2 kW bus = 22.4 kW; 116 m² at 30% gives ~47 kW in sun
    return SatelliteDesign(
        gpus=16, gpu_power_w=1275.0, bus_power_w=2000.0, array_area_m2=116.0, cell_efficiency=0.30,
        array_degradation_per_year=0.0,
        battery=Battery(battery_wh, 0.8, 0.95, 0.95, 30_000.0, 30_000.0),
        radiator_area_m2=radiator_m2, radiator_sides=2, emissivity=0.9, absorptivity=0.2,
        max_radiator_temperature_k=330.0,
    )


def orbit_ticks(orbits_n: int = 4, step_s: float = 30.0):
    period_s = float(orbits.orbital_period_s(550.0))
    t = np.arange(0.0, orbits_n * period_s, step_s)
    # near the March equinox, a 0° inclination orbit has beta ≈ 0: the longest eclipses
    return dict(a_km=A_KM, inc_rad=0.0, raan0_rad=0.0, u0_rad=0.0, jd0=JD0, t_s=t)


def test_ride_through_keeps_every_gpu_when_the_battery_suffices():
    c = satellite_capacity(design(), **orbit_ticks(), eclipse_policy="ride_through")
    dark = c.illumination[0] < 1e-6
    assert dark.mean() == pytest.approx(float(sun.eclipse_fraction_cylindrical(550.0, 0.0)), abs=0.01)
    assert np.all(c.usable == 16)
    # 22.4 kW through a 35.6 min eclipse takes 22.4 * 35.6/60 / 0.95 ≈ 14.0 kWh from storage
    drop = c.soc_wh[0].max() - c.soc_wh[0].min()
    assert drop == pytest.approx(22_400 * 35.6 / 60 / 0.95, rel=0.03)


def test_power_off_darkens_the_gpus_in_umbra():
    c = satellite_capacity(design(), **orbit_ticks(), eclipse_policy="power_off")
    dark = c.illumination[0] < 1e-6
    assert np.all(c.usable[0][dark] == 0) and np.all(c.usable[0][c.illumination[0] > 0.999] == 16)
    assert np.all(c.lost_eclipse[0][dark] == 16)


def test_small_battery_runs_out_part_way_through():
    # 10 kWh at 80% DoD and 95%: 7.6 kWh to the bus. With the 2 kW bus always served, each GPU
    # takes 1,275 W: the battery carries all 16 for 7,600 / 22,400 h = 20.4 min of the 35.6 min
    c = satellite_capacity(design(battery_wh=10_000.0), **orbit_ticks(), eclipse_policy="ride_through")
    dark = c.illumination[0] < 1e-6
    first = np.flatnonzero(dark)[: int(35.6 * 2)]  # the first eclipse, 30 s ticks
    full = int((c.usable[0][first] == 16).sum())
    assert full * 0.5 == pytest.approx(7600 / 22400 * 60, abs=1.5)
    assert c.usable[0][first].min() < 16
    assert np.all(c.soc_wh >= 2_000 - 1e-6)  # never below the depth-of-discharge floor


def test_radiator_limit_by_hand():
    # 20 m² two-sided at 330 K, ε 0.9: rejects 2·20·(0.9σ·330⁴ − absorbed); in umbra absorbed = IR only
    from dataclasses import replace

    d = replace(design(radiator_m2=20.0), thermal_policy="idle")
    c = satellite_capacity(d, **orbit_ticks(), eclipse_policy="ride_through")
    f_e = (6378.137 / A_KM) ** 2
    sigma = 5.670374419e-8
    k = int(np.flatnonzero(c.illumination[0] < 1e-6)[5])
    reject = 2 * 20 * (0.9 * sigma * 330**4 - 0.9 * 237 * f_e)
    assert c.usable[0, k] == math.floor((reject - 2000) / 1275)
    assert c.lost_thermal[0, k] == 16 - c.usable[0, k]


def test_throttle_runs_every_gpu_at_reduced_speed_in_umbra():
    # power_fraction 0.5: in umbra each GPU draws 637.5 W; the battery's 30 kW covers
    # floor((30,000 − 2,000) / 637.5) = 43 ≥ 16 GPUs, so all 16 run at 0.5^0.75 = 0.5946 of speed.
    # Storage given up over a 35.6 min eclipse: (2,000 + 16·637.5) / 0.95 · 35.6/60 = 7,619 Wh
    from dataclasses import replace

    d = replace(design(), throttle_power_fraction=0.5, throttle_speed_exponent=0.75)
    c = satellite_capacity(d, **orbit_ticks(), eclipse_policy="throttle")
    dark = c.illumination[0] < 1e-6
    assert np.all(c.usable == 16)
    assert np.allclose(c.speed[0][dark], 0.5**0.75) and np.all(c.speed[0][c.illumination[0] > 0.999] == 1.0)
    drop = c.soc_wh[0].max() - c.soc_wh[0].min()
    assert drop == pytest.approx((2000 + 16 * 637.5) / 0.95 * 35.6 / 60, rel=0.03)


def test_radiator_thermal_mass():
    from dataclasses import replace

    # at its ceiling a lumped radiator allows exactly the steady rejection: with 20 m² the
    # full load is too hot, so it starts at 330 K and stays there. Whole GPUs: the steady
    # model floors the rating (9.x -> 9); the lumped one alternates 9 and 10, banking the
    # fraction in its thermal mass, so on average it runs between the steady count and one more
    hot = replace(design(radiator_m2=20.0), radiator_heat_capacity_j_k=5e5, thermal_policy="idle")
    steady = satellite_capacity(replace(design(radiator_m2=20.0), thermal_policy="idle"), **orbit_ticks(),
                                eclipse_policy="ride_through")
    lumped = satellite_capacity(hot, **orbit_ticks(), eclipse_policy="ride_through")
    assert np.all(lumped.temperature_k <= 330.0 + 1e-9)
    assert steady.usable.mean() <= lumped.usable.mean() <= steady.usable.mean() + 1.0
    assert lumped.usable.min() >= steady.usable.min()
    # a radiator big enough for the full load never limits, and settles below the ceiling
    cool = replace(design(radiator_m2=200.0), radiator_heat_capacity_j_k=5e5)
    c = satellite_capacity(cool, **orbit_ticks(), eclipse_policy="ride_through")
    assert np.all(c.usable == 16) and np.all(c.lost_thermal == 0) and c.temperature_k.max() < 330.0


def test_radiator_limit_throttles_every_gpu_by_hand():
    # the same 20 m² radiator in umbra sheds 2·20·(0.9σ·330⁴ − 0.9·237·F_E) = 16,977 W; with
    # thermal_policy throttle all 16 GPUs run at (16,977 − 2,000)/16 = 936 W each (above the
    # 0.5 × 1,275 W floor), at speed (936/1,275)^0.75 = 0.794
    c = satellite_capacity(design(radiator_m2=20.0), **orbit_ticks(), eclipse_policy="ride_through")
    f_e = (6378.137 / A_KM) ** 2
    sigma = 5.670374419e-8
    reject = 2 * 20 * (0.9 * sigma * 330**4 - 0.9 * 237 * f_e)
    assert reject == pytest.approx(16_977, rel=1e-3)
    k = int(np.flatnonzero(c.illumination[0] < 1e-6)[5])
    assert c.usable[0, k] == 16 and c.lost_thermal[0, k] == 0
    assert c.speed[0, k] == pytest.approx(((reject - 2000) / 16 / 1275) ** 0.75, rel=1e-9)
    # a radiator too small even at the deepest cap idles GPUs at that cap: floor((rejected − bus) / 637.5)
    from dataclasses import replace

    tiny = satellite_capacity(replace(design(radiator_m2=6.0)), **orbit_ticks(), eclipse_policy="ride_through")
    reject6 = 2 * 6 * (0.9 * sigma * 330**4 - 0.9 * 237 * f_e)
    assert tiny.usable[0, k] == math.floor((reject6 - 2000) / 637.5)
    assert tiny.speed[0, k] == pytest.approx(0.5**0.75)


@pytest.mark.parametrize("tracking", ["single_axis", "orbit_normal"])
def test_array_tracking_follows_the_beta_angle(tracking):
    # a 650 km dawn-dusk orbit (β 60-90°): an array turning about the orbit normal sees the
    # sun at cos β, one fixed along the normal at sin β. With power_off the GPUs that run in
    # full sun are floor((S A η cos θ − bus) / 1,275 W), S = 1361 (1 AU / r)² (REFERENCE.md)
    from dataclasses import replace

    d = replace(design(), array_tracking=tracking)
    a = orbits.R_EARTH_KM + 650.0
    inc = math.radians(float(orbits.sso_inclination_deg(650.0)))
    raan0 = sun.raan_for_ltan_rad(JD0, 18.0)
    t = np.arange(0.0, 2 * float(orbits.orbital_period_s(650.0)), 60.0)
    c = satellite_capacity(d, a, inc, raan0, 0.0, JD0, t, eclipse_policy="power_off")
    jd = JD0 + t / 86400.0
    raan, _ = orbits.secular_angles_rad(a, inc, raan0, 0.0, t)
    beta = sun.beta_angle_rad(raan[0], inc, sun.sun_direction_eci(jd))
    cos_theta = np.cos(beta) if tracking == "single_axis" else np.abs(np.sin(beta))
    supply = sun.solar_irradiance_w_m2(jd) * 116.0 * 0.30 * cos_theta
    lit = c.illumination[0] > 0.999
    by_hand = np.clip(np.floor((supply - 2000.0) / 1275.0), 0, 16)
    assert lit.any() and np.array_equal(c.usable[0][lit], by_hand[lit])
    if tracking == "single_axis":  # at β ≈ 75-80° the turning array gives a quarter or less
        assert c.usable[0][lit].max() < 16


def test_hot_cells_give_less():
    # cells at 80 °C with −0.22 %/K (typical triple-junction; assumed here): × (1 − 0.0022 · 52) = 0.8856
    # of 47.4 kW. Power_off, an equatorial orbit at equinox, bus 2 kW: floor((41.96 k − 2 k) / 1,275) = 31 → 16,
    # so shrink the array to 40 m²: 16.4 kW · 0.8856 = 14.5 kW → 9 GPUs, against 11 at 28 °C
    from dataclasses import replace

    cool = replace(design(), array_area_m2=40.0)
    hot = replace(cool, array_temperature_c=80.0, array_temperature_coefficient_per_k=-0.0022)
    c_cool = satellite_capacity(cool, **orbit_ticks(), eclipse_policy="power_off")
    c_hot = satellite_capacity(hot, **orbit_ticks(), eclipse_policy="power_off")
    k = int(np.flatnonzero(c_cool.illumination[0] > 0.999)[3])
    s = float(sun.solar_irradiance_w_m2(JD0 + orbit_ticks()["t_s"][k] / 86400.0))
    assert c_cool.usable[0, k] == math.floor((s * 40 * 0.3 - 2000) / 1275)
    assert c_hot.usable[0, k] == math.floor((s * 40 * 0.3 * (1 - 0.0022 * 52) - 2000) / 1275)
    assert c_hot.usable[0, k] < c_cool.usable[0, k]
