"""Total ionising dose behind aluminium shielding, from ESA SPENVIS (SHIELDOSE-2) tables.

The packaged table (`catalog/spenvis_dose_550km.csv`, built by
`scripts/build_spenvis_table.py`) holds the 5-year dose in rad(Si) at the centre of
aluminium spheres, for a 550 km circular orbit at inclinations 0-180 deg in 5 deg steps,
AP8-MIN protons and AE8-MAX electrons (SPENVIS 4.6.11 runs published by Pfandzelter &
Bermbach, "LEO edge failure models", MIT licence). Dose falls by orders of magnitude
over the first millimetres of shielding, so thickness is interpolated in log-log space
and inclination linearly (in log dose).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

MISSION_YEARS = 5.0  # the SPENVIS runs cover 2023-01-01 .. 2027-12-31 (1825 days)
TABLE_ALTITUDE_KM = 550.0


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inclinations_deg (I,), thicknesses_mm (K,), log10 dose rad per year (I, K))."""
    text = resources.files("orbitgrid.catalog").joinpath("spenvis_dose_550km.csv").read_text("utf-8")
    data = np.loadtxt(text.splitlines()[1:], delimiter=",", usecols=(0, 1, 2))
    incl = np.unique(data[:, 0])
    thick = np.unique(data[:, 1])
    dose = data[:, 2].reshape(incl.size, thick.size) / MISSION_YEARS
    return incl, thick, np.log10(np.maximum(dose, 1e-12))


def dose_rad_per_year_550km(inclination_deg: np.ndarray | float, al_mm: np.ndarray | float) -> np.ndarray:
    """Yearly total ionising dose in rad(Si) behind `al_mm` of aluminium (sphere), 550 km
    circular orbit. Raises ValueError outside the table (0.05-20 mm, 0-180 deg)."""
    incl, thick, log_dose = _table()
    i = np.asarray(inclination_deg, dtype=float)
    t = np.asarray(al_mm, dtype=float)
    if np.any((i < incl[0]) | (i > incl[-1])):
        raise ValueError(f"inclination outside the table [{incl[0]:g}, {incl[-1]:g}] deg")
    if np.any((t < thick[0]) | (t > thick[-1])):
        raise ValueError(f"aluminium thickness outside the table [{thick[0]:g}, {thick[-1]:g}] mm")
    i, t = np.broadcast_arrays(i, t)
    # log-log in thickness for each tabulated inclination, then linear in inclination
    log_t = np.log10(thick)
    k = np.clip(np.searchsorted(log_t, np.log10(t), side="right") - 1, 0, thick.size - 2)
    wt = (np.log10(t) - log_t[k]) / (log_t[k + 1] - log_t[k])
    j = np.clip(np.searchsorted(incl, i, side="right") - 1, 0, incl.size - 2)
    wi = (i - incl[j]) / (incl[j + 1] - incl[j])

    def at(row: np.ndarray) -> np.ndarray:
        return log_dose[row, k] * (1 - wt) + log_dose[row, k + 1] * wt

    return 10.0 ** (at(j) * (1 - wi) + at(j + 1) * wi)
