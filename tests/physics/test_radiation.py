"""Dose interpolation against the SPENVIS table rows it is built from.

Rows (5-year dose, rad(Si), 550 km, SPENVIS SHIELDOSE-2; shared/data/orbit/spenvis_550km/50.txt):
  50 deg, 0.05 mm: 1.9285E+06;  50 deg, 10 mm: 8.8302E+02;  50 deg, 20 mm: 6.3683E+02.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.physics.radiation import (
    ALTITUDE_GRID_KM,
    PROTON_FLUX_FACTOR,
    dose_altitude_factor,
    dose_rad_per_year,
    dose_rad_per_year_550km,
)


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


# --- altitude scaling -------------------------------------------------------------------
# The factors are orbit-averaged AP8-MIN (>30 MeV protons) / AE8-MAX (>1 MeV electrons)
# flux ratios to 550 km, derived with IRBEM through the `aep8` package (see the constants'
# comment in radiation.py); the published anchors below test the scaled doses against
# independent calculations.


def test_factor_is_one_at_the_table_altitude_and_reproduces_its_nodes():
    assert dose_altitude_factor(550.0) == 1.0
    assert dose_altitude_factor(550.0, "electrons") == 1.0
    # AP8-MIN >30 MeV orbit-average flux, geometric mean of 53 and 98 deg: 650 km / 550 km
    # = sqrt((69.355/35.613) * (49.275/24.810)) = 1.967; 1000 km: 10.28
    assert dose_altitude_factor(650.0) == pytest.approx(np.sqrt((69.355 / 35.613) * (49.275 / 24.810)), rel=2e-3)
    assert dose_altitude_factor(1000.0) == pytest.approx(np.sqrt((353.86 / 35.613) * (263.94 / 24.810)), rel=2e-3)
    # AE8-MAX >1 MeV: 650 / 550 km = sqrt((2656.9/1828.7) * (3672.2/2750.9)) = 1.393
    assert dose_altitude_factor(650.0, "electrons") == pytest.approx(
        np.sqrt((2656.9 / 1828.7) * (3672.2 / 2750.9)), rel=2e-3
    )


def test_factor_is_piecewise_exponential_between_nodes():
    # halfway between 550 and 600 km: the geometric mean of the node factors, sqrt(1.425)
    assert dose_altitude_factor(575.0) == pytest.approx(np.sqrt(1.425), rel=1e-9)
    # local e-folding height 550-650 km: 100 / ln(1.967) = 148 km
    assert 100.0 / np.log(dose_altitude_factor(650.0)) == pytest.approx(148.0, abs=1.0)


def test_factor_and_dose_rise_monotonically_with_altitude():
    h = np.linspace(300.0, 1200.0, 181)
    for species in ("protons", "electrons"):
        assert np.all(np.diff(dose_altitude_factor(h, species)) > 0)
    assert np.all(np.diff(dose_rad_per_year(53.0, 5.0, h)) > 0)
    assert np.all(np.diff(PROTON_FLUX_FACTOR) > 0) and ALTITUDE_GRID_KM[0] == 300.0


def test_scaled_dose_splits_protons_and_electrons_by_the_table_rows():
    # shared/data/orbit/spenvis_550km/50.txt, 10 mm: total 8.8302E+02, trapped protons
    # 8.6833E+02 rad per 5 years; at 800 km the proton part scales by 4.427 and the rest
    # (electrons + bremsstrahlung) by 2.131.
    total, protons = 8.8302e2 / 5, 8.6833e2 / 5
    expected = protons * 4.427 + (total - protons) * 2.131
    assert dose_rad_per_year(50.0, 10.0, 800.0) == pytest.approx(expected, rel=1e-4)


def test_scaled_dose_equals_the_table_at_550km():
    incl = np.array([0.0, 10.0, 53.0, 97.6, 170.0])
    assert np.array_equal(dose_rad_per_year(incl, 3.0, 550.0), dose_rad_per_year_550km(incl, 3.0))


def test_suncatcher_anchor_650km_sso():
    """Google Project Suncatcher (arXiv 2511.19468; REFERENCE.md): expected shielded 5-year
    dose at 650 km dawn-dusk SSO, 750 rad(Si); shielding 10 mm Al-equivalent per a secondary
    summary of the paper. Ours: 1,102 rad, 1.47x higher. AP8/AE8 and newer models differ by
    factors of about 2 (Trichtchenko et al., AE8/AP8 vs AE9/AP9: -70 % to +170 %), so we
    accept a factor of 1.6."""
    from orbitgrid.physics.orbits import sso_inclination_deg

    five_year = 5.0 * float(dose_rad_per_year(float(sso_inclination_deg(650.0)), 10.0, 650.0))
    assert 750.0 / 1.6 <= five_year <= 750.0 * 1.6
    assert five_year == pytest.approx(1102.0, rel=0.01)


def test_mir_anchor_400km():
    """Sean Barrett, "Orbital Rads" (1993/1996, from AP8 via Vette et al.): Mir, 400 km, 52 deg,
    behind 4 mm Al: 150 rad per year. Ours: 196 rad per year (1.31x); accepted within 1.6x."""
    yearly = float(dose_rad_per_year(52.0, 4.0, 400.0))
    assert 150.0 / 1.6 <= yearly <= 150.0 * 1.6


def test_out_of_range_altitudes_and_inclinations_raise():
    for h in (299.0, 1201.0, float("nan")):
        with pytest.raises(ValueError, match="altitude"):
            dose_altitude_factor(h)
        with pytest.raises(ValueError, match="altitude"):
            dose_rad_per_year(53.0, 5.0, h)
    with pytest.raises(ValueError, match="species"):
        dose_altitude_factor(600.0, "neutrons")
    # equatorial: the 550 km table has no trapped-proton dose to scale
    with pytest.raises(ValueError, match="inclinations"):
        dose_rad_per_year(10.0, 5.0, 800.0)
    assert dose_rad_per_year(10.0, 5.0, 550.0) == dose_rad_per_year_550km(10.0, 5.0)


def test_dose_model_covers_exactly_where_the_dose_is_given():
    from orbitgrid.physics.radiation import dose_model_covers, dose_rad_per_year

    for inc, alt in [(53, 550), (0, 550), (0, 650), (97.8, 650), (53, 275), (53, 1250), (20, 800), (160, 700)]:
        try:
            dose_rad_per_year(inc, 5.0, alt)
            given = True
        except ValueError:
            given = False
        assert bool(dose_model_covers(inc, alt)) == given, (inc, alt)
