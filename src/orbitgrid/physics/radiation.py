"""Total ionising dose behind aluminium shielding, from ESA SPENVIS (SHIELDOSE-2) tables.

The packaged table (`catalog/spenvis_dose_550km.csv`, built by
`scripts/build_spenvis_table.py`) holds the 5-year dose in rad(Si) at the centre of
aluminium spheres, for a 550 km circular orbit at inclinations 0-180 deg in 5 deg steps,
AP8-MIN protons and AE8-MAX electrons (SPENVIS 4.6.11 runs published by Pfandzelter &
Bermbach, "LEO edge failure models", MIT licence). Dose falls by orders of magnitude
over the first millimetres of shielding, so thickness is interpolated in log-log space
and inclination linearly (in log dose).

Other altitudes (``dose_rad_per_year``) scale the 550 km table by how the trapped-particle
flux grows with altitude in the same environment models (AP8-MIN protons, AE8-MAX
electrons): the trapped-proton part of the table by the orbit-averaged >30 MeV proton
flux ratio, the electron and bremsstrahlung part by the >1 MeV electron flux ratio.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

MISSION_YEARS = 5.0  # the SPENVIS runs cover 2023-01-01 .. 2027-12-31 (1825 days)
TABLE_ALTITUDE_KM = 550.0

# Altitude scaling: orbit-averaged trapped-particle flux at altitude h over that at 550 km,
# circular orbits, from the NASA AP8-MIN (protons) and AE8-MAX (electrons) models, the
# models the SPENVIS table was run with (Sawyer & Vette 1976, NSSDC/WDC-A-R&S 76-06; Vette
# 1991, NSSDC/WDC-A-R&S 91-24), evaluated through IRBEM with the `aep8` 1.1.0 package
# (PyPI), averaging uniformly over argument of latitude (2 deg) and longitude (3 deg) at
# 53 and 98 deg inclination; the factors below are the geometric mean of the two
# inclinations, which agree within 4 % for protons and 23 % for electrons (at 1200 km).
# Derived here, not a published table; the script is quoted in docs/validation.md.
# Protons: integral flux >30 MeV, the protons that reach silicon behind 3-10 mm of Al
# (the >50 MeV ratios differ by under 1.5 %). Electrons: integral flux >1 MeV.
ALTITUDE_GRID_KM = np.array([300.0, 400.0, 500.0, 550.0, 600.0, 650.0, 700.0, 800.0, 900.0, 1000.0, 1100.0, 1200.0])
PROTON_FLUX_FACTOR = np.array([0.062, 0.254, 0.674, 1.0, 1.425, 1.967, 2.637, 4.427, 6.923, 10.281, 14.970, 21.485])
ELECTRON_FLUX_FACTOR = np.array([0.390, 0.572, 0.839, 1.0, 1.184, 1.393, 1.619, 2.131, 2.743, 3.489, 4.421, 5.605])
# Below about 30 deg (and above 150 deg) inclination the 550 km table holds little or no
# trapped-proton dose (the orbit misses the SAA core; 0 at 0 deg) while higher orbits do
# reach it, so a multiplicative scaling fails there (AP8-MIN >30 MeV at 0 deg: zero at
# 550 km, 57 cm^-2 s^-1 at 800 km). The scaling is refused outside this band.
SCALING_INCLINATION_RANGE_DEG = (30.0, 150.0)


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(inclinations_deg (I,), thicknesses_mm (K,), log10 dose rad per year (I, K),
    log10 trapped-proton dose rad per year (I, K))."""
    text = resources.files("orbitgrid.catalog").joinpath("spenvis_dose_550km.csv").read_text("utf-8")
    data = np.loadtxt(text.splitlines()[1:], delimiter=",", usecols=(0, 1, 2, 5))
    incl = np.unique(data[:, 0])
    thick = np.unique(data[:, 1])
    dose = data[:, 2].reshape(incl.size, thick.size) / MISSION_YEARS
    protons = data[:, 3].reshape(incl.size, thick.size) / MISSION_YEARS
    return incl, thick, np.log10(np.maximum(dose, 1e-12)), np.log10(np.maximum(protons, 1e-12))


def _interp_550km(inclination_deg: np.ndarray | float, al_mm: np.ndarray | float, proton_part: bool) -> np.ndarray:
    """Log-log in thickness for each tabulated inclination, then linear in inclination."""
    incl, thick, log_dose, log_protons = _table()
    table = log_protons if proton_part else log_dose
    i = np.asarray(inclination_deg, dtype=float)
    t = np.asarray(al_mm, dtype=float)
    if np.any((i < incl[0]) | (i > incl[-1])):
        raise ValueError(f"inclination outside the table [{incl[0]:g}, {incl[-1]:g}] deg")
    if np.any((t < thick[0]) | (t > thick[-1])):
        raise ValueError(f"aluminium thickness outside the table [{thick[0]:g}, {thick[-1]:g}] mm")
    i, t = np.broadcast_arrays(i, t)
    log_t = np.log10(thick)
    k = np.clip(np.searchsorted(log_t, np.log10(t), side="right") - 1, 0, thick.size - 2)
    wt = (np.log10(t) - log_t[k]) / (log_t[k + 1] - log_t[k])
    j = np.clip(np.searchsorted(incl, i, side="right") - 1, 0, incl.size - 2)
    wi = (i - incl[j]) / (incl[j + 1] - incl[j])

    def at(row: np.ndarray) -> np.ndarray:
        return table[row, k] * (1 - wt) + table[row, k + 1] * wt

    return 10.0 ** (at(j) * (1 - wi) + at(j + 1) * wi)


def dose_rad_per_year_550km(inclination_deg: np.ndarray | float, al_mm: np.ndarray | float) -> np.ndarray:
    """Yearly total ionising dose in rad(Si) behind `al_mm` of aluminium (sphere), 550 km
    circular orbit. Raises ValueError outside the table (0.05-20 mm, 0-180 deg)."""
    return _interp_550km(inclination_deg, al_mm, proton_part=False)


def dose_altitude_factor(altitude_km: np.ndarray | float, species: str = "protons") -> np.ndarray:
    """Trapped-particle flux at `altitude_km` over that at 550 km (1 at 550 km exactly):
    log-linear (piecewise exponential) between the AP8-MIN / AE8-MAX points above, so
    the local e-folding height is 109 km at 400-550 km, 148 km at 550-650 km and 270 km
    at 1000-1200 km for protons. `species`: "protons" (>30 MeV) or "electrons" (>1 MeV).
    Raises ValueError outside 300-1200 km."""
    h = np.asarray(altitude_km, dtype=float)
    if np.any(~np.isfinite(h) | (h < ALTITUDE_GRID_KM[0]) | (h > ALTITUDE_GRID_KM[-1])):
        raise ValueError(
            f"altitude outside the scaling range [{ALTITUDE_GRID_KM[0]:g}, {ALTITUDE_GRID_KM[-1]:g}] km"
        )
    if species == "protons":
        factors = PROTON_FLUX_FACTOR
    elif species == "electrons":
        factors = ELECTRON_FLUX_FACTOR
    else:
        raise ValueError(f"species must be 'protons' or 'electrons', not {species!r}")
    return np.exp(np.interp(h, ALTITUDE_GRID_KM, np.log(factors)))


def dose_model_covers(inclination_deg: np.ndarray | float, altitude_km: np.ndarray | float) -> np.ndarray:
    """Where `dose_rad_per_year` gives a value (for a shielding inside the table): 300-1200 km,
    and away from 550 km only at 30-150 deg inclination."""
    i, h = np.broadcast_arrays(np.asarray(inclination_deg, dtype=float), np.asarray(altitude_km, dtype=float))
    lo, hi = SCALING_INCLINATION_RANGE_DEG
    in_altitude = np.isfinite(h) & (h >= ALTITUDE_GRID_KM[0]) & (h <= ALTITUDE_GRID_KM[-1])
    return in_altitude & (i >= 0) & (i <= 180) & ((h == TABLE_ALTITUDE_KM) | ((i >= lo) & (i <= hi)))


def dose_rad_per_year(
    inclination_deg: np.ndarray | float, al_mm: np.ndarray | float, altitude_km: np.ndarray | float
) -> np.ndarray:
    """Yearly total ionising dose in rad(Si) behind `al_mm` of aluminium (sphere) in a
    circular orbit at `altitude_km` (300-1200 km): the 550 km SPENVIS dose with its
    trapped-proton share scaled by the proton factor and the rest (electrons and their
    bremsstrahlung) by the electron factor. Equal to ``dose_rad_per_year_550km`` at 550 km.
    Raises ValueError outside 300-1200 km, or away from 550 km at inclinations outside
    30-150 deg, where the table has no proton dose to scale."""
    h = np.asarray(altitude_km, dtype=float)
    total = dose_rad_per_year_550km(inclination_deg, al_mm)
    f_p = dose_altitude_factor(h, "protons")
    f_e = dose_altitude_factor(h, "electrons")
    i = np.asarray(inclination_deg, dtype=float)
    lo, hi = SCALING_INCLINATION_RANGE_DEG
    if np.any(((i < lo) | (i > hi)) & (h != TABLE_ALTITUDE_KM)):
        raise ValueError(f"altitude scaling holds for inclinations {lo:g}-{hi:g} deg only")
    proton_share = np.clip(_interp_550km(inclination_deg, al_mm, proton_part=True) / total, 0.0, 1.0)
    return total * (proton_share * f_p + (1.0 - proton_share) * f_e)
