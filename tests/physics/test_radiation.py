"""Dose interpolation against the SPENVIS table rows it is built from.

Rows (5-year dose, rad(Si), 550 km, SPENVIS SHIELDOSE-2; shared/data/orbit/spenvis_550km/50.txt):
  50 deg, 0.05 mm: 1.9285E+06;  50 deg, 10 mm: 8.8302E+02;  50 deg, 20 mm: 6.3683E+02.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.radiation import dose_rad_per_year_550km


def test_table_points_are_reproduced():
    assert dose_rad_per_year_550km(50, 0.05) == pytest.approx(1.9285e6 / 5, rel=1e-4)
    assert dose_rad_per_year_550km(50, 10.0) == pytest.approx(8.8302e2 / 5, rel=1e-4)
    assert dose_rad_per_year_550km(50, 20.0) == pytest.approx(6.3683e2 / 5, rel=1e-4)


def test_interpolation_is_log_log_in_thickness_and_between_inclinations():
    # halfway in log thickness between 9 and 10 mm at 50 deg (9 mm: 9.2480E+02, 10 mm: 8.8302E+02)
    t = 10 ** ((np.log10(9) + np.log10(10)) / 2)
    expected = 10 ** ((np.log10(9.2480e2) + np.log10(8.8302e2)) / 2) / 5
    assert dose_rad_per_year_550km(50, t) == pytest.approx(expected, rel=1e-6)
    d45, d50, d475 = dose_rad_per_year_550km(np.array([45, 50, 47.5]), 10.0)
    assert min(d45, d50) <= d475 <= max(d45, d50)


def test_more_shielding_less_dose_and_bounds():
    doses = dose_rad_per_year_550km(53, np.array([0.5, 1, 2, 5, 10]))
    assert np.all(np.diff(doses) < 0)
    with pytest.raises(ValueError, match="thickness"):
        dose_rad_per_year_550km(53, 30.0)
    with pytest.raises(ValueError, match="inclination"):
        dose_rad_per_year_550km(-5, 1.0)
