"""What one orbit offers a compute satellite: period, beta angle, sunlight, eclipses, power, dose.

Backs `orbitgrid orbit`. Propagates one satellite (circular Kepler + J2 secular drift) with
the low-precision solar ephemeris over a window, so beta angle, eclipse seasons and the
sun's distance all vary as they do in reality; or, with a fixed beta angle, holds the sun
at that angle from the orbit plane.
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid.physics import orbits, sun
from orbitgrid.physics.constants import AU_KM
from orbitgrid.physics.radiation import TABLE_ALTITUDE_KM, dose_rad_per_year

CHUNK_STEPS = 200_000  # samples per chunk: memory stays flat for long windows


def orbit_summary(
    altitude_km: float,
    inclination_deg: float | None = None,
    ltan_h: float | None = None,
    start: str = "2026-01-01T00:00:00",
    days: float = 365.0,
    step_s: float = 30.0,
    beta_deg: float | None = None,
    raan_deg: float = 0.0,
    shield_mm: float = 5.0,
    cell_efficiency: float | None = None,
) -> dict[str, object]:
    """The `orbitgrid orbit` figures. `inclination_deg=None` means sun-synchronous at
    `ltan_h` (local time of the ascending node, hours)."""
    if altitude_km <= 0 or days <= 0 or step_s <= 0:
        raise ValueError("altitude_km, days and step_s must be positive")
    sso = inclination_deg is None
    inc_deg = float(orbits.sso_inclination_deg(altitude_km)) if sso else float(inclination_deg)
    a_km = orbits.R_EARTH_KM + altitude_km
    inc = math.radians(inc_deg)
    jd0 = float(orbits.julian_date(np.datetime64(start)))
    raan0 = sun.raan_for_ltan_rad(jd0, 18.0 if ltan_h is None else ltan_h) if sso else math.radians(raan_deg)
    t_all = np.arange(0.0, days * 86400.0, step_s)

    lit_parts, illum_parts, irr_parts, beta_parts = [], [], [], []
    for lo in range(0, t_all.size, CHUNK_STEPS):
        t = t_all[lo : lo + CHUNK_STEPS]
        jd = jd0 + t / 86400.0
        raan, _ = orbits.secular_angles_rad(a_km, inc, raan0, 0.0, t)
        r = orbits.propagate_circular_eci_km(a_km, inc, raan0, 0.0, t, dtype=np.float64)[0]
        if beta_deg is None:
            r_sun = sun.sun_position_eci_km(jd)
            s_dir = r_sun / np.linalg.norm(r_sun, axis=-1, keepdims=True)
            beta_parts.append(sun.beta_angle_rad(raan[0], inc, s_dir))
        else:
            # the sun held at beta from the (drifting) orbit plane, over the ascending node's meridian
            h = orbits.orbit_normal_eci(inc, raan[0])
            node = np.stack([np.cos(raan[0]), np.sin(raan[0]), np.zeros_like(raan[0])], axis=-1)
            b = math.radians(beta_deg)
            s_dir = math.cos(b) * node + math.sin(b) * h
            r_sun = s_dir * AU_KM
            beta_parts.append(np.full(t.size, b))
        lit_parts.append(~sun.in_shadow_cylindrical(r, s_dir))
        illum_parts.append(sun.illumination_conical(r, r_sun))
        irr_parts.append(sun.solar_irradiance_w_m2(jd))
    lit = np.concatenate(lit_parts)
    illum = np.concatenate(illum_parts)
    irradiance = np.concatenate(irr_parts)
    beta = np.degrees(np.concatenate(beta_parts))

    per_day = int(round(86400.0 / step_s))
    whole_days = lit.size // per_day
    eclipse_days = int((~lit[: whole_days * per_day].reshape(whole_days, per_day)).any(axis=1).sum()) if whole_days else 0
    mean_w_m2 = float(np.mean(irradiance * illum))
    summary: dict[str, object] = {
        "altitude_km": altitude_km,
        "inclination_deg": inc_deg,
        "sso": sso,
        "ltan_h": (18.0 if ltan_h is None else ltan_h) if sso else None,
        "start": str(np.datetime64(start, "s")),
        "days": days,
        "step_s": step_s,
        "period_min": float(orbits.orbital_period_s(altitude_km)) / 60.0,
        "beta_min_deg": float(beta.min()),
        "beta_max_deg": float(beta.max()),
        "critical_beta_deg": float(np.degrees(sun.critical_beta_rad(altitude_km))),
        "sunlit_fraction": float(lit.mean()),
        "sunlit_fraction_conical": float(illum.mean()),
        "max_eclipse_min": float(sun.longest_eclipse_s(t_all, lit)) / 60.0,
        "eclipse_days": eclipse_days,
        "mean_irradiance_w_m2": mean_w_m2,
        "mean_array_power_w_m2": mean_w_m2 * cell_efficiency if cell_efficiency else None,
        "shield_mm_al": shield_mm,
    }
    summary.update(_dose(altitude_km, min(inc_deg, 180.0), shield_mm))
    return summary


def _dose(altitude_km: float, inc_deg: float, shield_mm: float) -> dict[str, object]:
    """Yearly dose and how it was obtained: the SPENVIS 550 km table, scaled to other
    altitudes by the AP8/AE8 trapped-flux ratios; None where the scaling does not hold."""
    at_table = abs(altitude_km - TABLE_ALTITUDE_KM) <= 1e-9
    try:
        dose = float(dose_rad_per_year(inc_deg, shield_mm, TABLE_ALTITUDE_KM if at_table else altitude_km))
    except ValueError as err:
        return {"dose_rad_per_year": None, "dose_note": f"not modelled: {err}"}
    note = "SPENVIS table at 550 km" if at_table else "SPENVIS 550 km table scaled by AP8/AE8 trapped flux"
    return {"dose_rad_per_year": dose, "dose_note": note}
