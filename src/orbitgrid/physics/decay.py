"""Orbit decay under drag: an exponential atmosphere and the circular-orbit decay rate.

Density: the exponential model of Vallado, Fundamentals of Astrodynamics and
Applications, 4th ed., table 8-4 (CIRA-72 based): ρ = ρ0 exp(−(h − h0)/H) within each
band. It is a mean atmosphere: real density at 500-700 km varies about tenfold over a
solar cycle (REFERENCE.md), hence `density_scale`.

Decay of a circular orbit (REFERENCE.md; Vallado sec. 9.6): da/dt = −ρ √(μ a) C_D A / m.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.physics.constants import MU_EARTH_KM3_S2, R_EARTH_KM

MU_EARTH_M3_S2 = MU_EARTH_KM3_S2 * 1e9

# Vallado (2013) table 8-4: base altitude (km), nominal density (kg/m³), scale height (km)
_BASE_KM = np.array([0, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 180, 200,
                     250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000], dtype=float)
_RHO0 = np.array([1.225, 3.899e-2, 1.774e-2, 3.972e-3, 1.057e-3, 3.206e-4, 8.770e-5, 1.905e-5,
                  3.396e-6, 5.297e-7, 9.661e-8, 2.438e-8, 8.484e-9, 3.845e-9, 2.070e-9, 5.464e-10,
                  2.789e-10, 7.248e-11, 2.418e-11, 9.518e-12, 3.725e-12, 1.585e-12, 6.967e-13,
                  1.454e-13, 3.614e-14, 1.170e-14, 5.245e-15, 3.019e-15])
_SCALE_KM = np.array([7.249, 6.349, 6.682, 7.554, 8.382, 7.714, 6.549, 5.799, 5.382, 5.877, 7.263,
                      9.473, 12.636, 16.149, 22.523, 29.740, 37.105, 45.546, 53.628, 53.298, 58.515,
                      60.828, 63.822, 71.835, 88.667, 124.64, 181.05, 268.00])


def density_kg_m3(altitude_km: np.ndarray | float, density_scale: float = 1.0) -> np.ndarray:
    """Mean atmospheric density at an altitude (0 km and up; the top band extends above 1000 km)."""
    h = np.asarray(altitude_km, dtype=float)
    k = np.clip(np.searchsorted(_BASE_KM, h, side="right") - 1, 0, _BASE_KM.size - 1)
    return density_scale * _RHO0[k] * np.exp(-(h - _BASE_KM[k]) / _SCALE_KM[k])


def decay_rate_km_per_day(
    altitude_km: np.ndarray | float, drag_coefficient: float, area_m2: np.ndarray | float,
    mass_kg: np.ndarray | float, density_scale: float = 1.0,
) -> np.ndarray:
    """da/dt of a circular orbit in km/day (negative: the orbit shrinks)."""
    a_m = (R_EARTH_KM + np.asarray(altitude_km, dtype=float)) * 1e3
    rate_m_s = -density_kg_m3(altitude_km, density_scale) * np.sqrt(MU_EARTH_M3_S2 * a_m) * drag_coefficient * np.asarray(area_m2) / np.asarray(mass_kg)
    return rate_m_s * 86400.0 / 1e3


def lifetime_days(
    altitude_km: np.ndarray | float, drag_coefficient: float, area_m2: np.ndarray | float,
    mass_kg: np.ndarray | float, reentry_altitude_km: float = 120.0, density_scale: float = 1.0,
    steps: int = 4000,
) -> np.ndarray:
    """Days until a circular orbit decays from `altitude_km` to `reentry_altitude_km`:
    t = ∫ dh / |dh/dt|, integrated over altitude on a log-spaced grid (vectorised over
    satellites). Below about 120 km decay takes hours, so that is the default end."""
    h0 = np.atleast_1d(np.asarray(altitude_km, dtype=float))
    frac = np.linspace(0.0, 1.0, steps)[:, None]
    grid = reentry_altitude_km + (h0[None, :] - reentry_altitude_km) * frac  # (steps, sats)
    inv_rate = 1.0 / np.abs(decay_rate_km_per_day(grid, drag_coefficient, area_m2, mass_kg, density_scale))
    days = np.trapezoid(inv_rate, grid, axis=0)
    return days if np.ndim(altitude_km) else days[0]
