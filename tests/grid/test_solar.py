"""On-site solar: Haurwitz clear-sky irradiance, the sun's zenith at a site, the clear-sky
capacity factor averaged over steps, and hourly capacity-factor files named by file and line."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.errors import InputError
from orbitgrid.grid.solar import (DEFAULT_DERATE, clear_sky_capacity_factor, cos_solar_zenith, haurwitz_ghi_w_m2,
                                  read_capacity_factor)
from orbitgrid.physics.sun import solar_irradiance_w_m2


def _epoch(iso: str) -> int:
    return int(np.datetime64(iso, "s").astype(np.int64))


def test_haurwitz_matches_pvlib_published_values():
    """pvlib-python tests/test_clearsky.py::test_haurwitz: apparent elevations -20, -0.05,
    -0.001, 5, 10, 30, 50, 90 deg give GHI 0, 0, 0, 48.6298687941956, 135.741748091813,
    487.894132885425, 778.766689344363, 1035.09203253450 W/m^2. The last is the hand value
    1098 exp(-0.059) = 1035.09."""
    elevation_deg = np.array([-20, -0.05, -0.001, 5, 10, 30, 50, 90])
    expected = [0.0, 0.0, 0.0, 48.6298687941956, 135.741748091813, 487.894132885425, 778.766689344363,
                1035.09203253450]
    ghi = haurwitz_ghi_w_m2(np.cos(np.radians(90.0 - elevation_deg)))
    np.testing.assert_allclose(ghi, expected, rtol=1e-9, atol=1e-9)
    assert haurwitz_ghi_w_m2(1.0) == pytest.approx(1098.0 * np.exp(-0.059))


def test_zenith_matches_pvlib_solar_position_fixture():
    """pvlib-python tests/test_irradiance.py `ephem_data` fixture (NREL SPA, Tucson
    32.2 N, 111 W, 2014-06-24 00:00, 06:00, 12:00, 18:00 MST = UTC-7): zenith 124.0390863,
    82.97705621, 10.56725766, 72.46903556 deg. The Almanac low-precision sun is good to
    0.01 deg; we ask for 0.02 deg."""
    times = np.array([_epoch(t) for t in ("2014-06-24T07:00", "2014-06-24T13:00", "2014-06-24T19:00",
                                          "2014-06-25T01:00")])
    zenith_deg = np.degrees(np.arccos(cos_solar_zenith(32.2, -111.0, times)))
    np.testing.assert_allclose(zenith_deg, [124.0390863, 82.97705621, 10.56725766, 72.46903556], atol=0.02)


def test_daily_extraterrestrial_insolation_matches_duffie_beckman():
    """Duffie & Beckman, Solar Engineering of Thermal Processes (4th ed., 2013), Example
    1.10.1: at 43 N on April 15 (declination 9.41 deg) the day's extraterrestrial radiation
    on a horizontal surface is H0 = 33.8 MJ/m^2 (with G_sc = 1367 W/m^2). The sun's
    declination is 9.41 deg on 2023-04-14, so integrating our irradiance x cos z over that
    UTC day at longitude 0 must land within 1% (the solar constants differ by 0.4%)."""
    t = _epoch("2023-04-14T00:00") + np.arange(0.0, 86400.0, 10.0) + 5.0
    cos_z = cos_solar_zenith(43.0, 0.0, t)
    h0_mj_m2 = float(np.sum(np.maximum(cos_z, 0.0) * solar_irradiance_w_m2(2440587.5 + t / 86400.0))) * 10.0 / 1e6
    assert h0_mj_m2 == pytest.approx(33.8, rel=0.01)


def test_equator_equinox_daily_clear_sky_by_hand():
    """At the equator on an equinox (declination ~0) cos z = cos(hour angle), so the day's
    Haurwitz GHI is (86400 s / 2 pi) x integral over [-pi/2, pi/2] of 1098 cos w
    exp(-0.059 / cos w) dw = 7.676 kWh/m^2 (quadrature below, independent of the sun's
    position code): a one-day step's capacity factor at derate 1 is 7.676 / 24 = 0.3198."""
    w = np.linspace(-np.pi / 2, np.pi / 2, 200_001)
    mid = 0.5 * (w[1:] + w[:-1])
    kwh_m2 = float(np.sum(1098.0 * np.cos(mid) * np.exp(-0.059 / np.cos(mid)))) * (w[1] - w[0]) * 86400 / (
        2 * np.pi) / 3.6e6
    assert kwh_m2 == pytest.approx(7.676, abs=0.001)
    day = _epoch("2024-03-20T00:00")
    cf = clear_sky_capacity_factor(0.0, 0.0, np.array([day]), 86400.0, derate=1.0)
    assert cf[0] == pytest.approx(kwh_m2 / 24.0, rel=0.005)
    # one long step is the mean of the short steps within it
    five_min = clear_sky_capacity_factor(0.0, 0.0, day + 300.0 * np.arange(288), 300.0, derate=1.0)
    assert five_min.mean() == pytest.approx(cf[0], rel=1e-3)


def test_zero_at_night_and_peak_under_the_subsolar_point():
    """Night: Tucson (32.2 N, 111 W) from 22:00 to 04:00 MST (05:00-11:00 UTC) makes nothing.
    2024-06-20 is the June solstice (declination 23.44 deg, Astronomical Almanac): at the
    equator the highest sun is 23.44 deg from the zenith, and at 23.44 N the sun passes
    overhead, where the capacity factor is derate x 1035.09 / 1000."""
    night = clear_sky_capacity_factor(32.2, -111.0, _epoch("2024-06-20T05:00") + 3600.0 * np.arange(6), 3600.0)
    assert night.tolist() == [0.0] * 6
    minutes = _epoch("2024-06-20T00:00") + 60.0 * np.arange(1440)
    best_zenith_deg = np.degrees(np.arccos(cos_solar_zenith(0.0, 0.0, minutes).max()))
    assert best_zenith_deg == pytest.approx(23.44, abs=0.02)
    cf = clear_sky_capacity_factor(23.44, 0.0, minutes, 60.0)
    assert cf.max() == pytest.approx(DEFAULT_DERATE * 1098.0 * np.exp(-0.059) / 1000.0, rel=1e-4)
    assert cf.max() > cf[0] == 0.0


def test_default_derate_is_pvwatts():
    """PVWatts v5 defaults (Dobos 2014, NREL/TP-6A20-62641): 14% system losses, 96% inverter
    efficiency: 0.86 x 0.96 = 0.8256. The derate scales the capacity factor linearly."""
    assert DEFAULT_DERATE == pytest.approx(0.8256)
    t = _epoch("2024-06-20T18:00") + np.arange(3) * 3600.0
    np.testing.assert_allclose(clear_sky_capacity_factor(32.2, -111.0, t, 3600.0, derate=0.5),
                               clear_sky_capacity_factor(32.2, -111.0, t, 3600.0, derate=1.0) * 0.5)
    with pytest.raises(ValueError):
        clear_sky_capacity_factor(32.2, -111.0, t, 3600.0, derate=1.5)


CF = "Datetime (UTC),Capacity factor\n"


def test_read_capacity_factor(tmp_path):
    """Three hours 0, 0.25, 0.5: a tick over the last two hours averages to 0.375."""
    path = tmp_path / "phoenix_pv.csv"
    path.write_text(CF + "2024-06-01 00:00:00+00:00,0\n2024-06-01 01:00:00,0.25\n2024-06-01 02:00:00,0.5\n",
                    encoding="utf-8")
    s = read_capacity_factor(path)
    assert s.quantity == "solar_capacity_factor" and s.zone == "phoenix_pv"
    assert s.values.tolist() == [0.0, 0.25, 0.5] and s.start_s[0] == _epoch("2024-06-01T00:00")
    assert s.on_ticks(np.array([s.start_s[1]]), 7200.0)[0] == pytest.approx(0.375)


@pytest.mark.parametrize("rows, line, column, words", [
    ("2024-06-01 00:00:00,0.1\n2024-06-01 01:00:00,1.2\n", 3, "Capacity factor", "outside [0, 1]"),
    ("2024-06-01 00:00:00,-0.1\n", 2, "Capacity factor", "outside [0, 1]"),
    ("2024-06-01 00:00:00,0.1\n2024-06-01 01:00:00,x\n", 3, "Capacity factor", "not a number"),
    ("2024-06-01 00:00:00,0.1\n2024-06-01 03:00:00,0.2\n", 3, "Datetime (UTC)", "gap of 3 h"),
    ("2024-06-01 00:00:00-07:00,0.1\n", 2, "Datetime (UTC)", "not a UTC time"),
])
def test_bad_rows_name_file_line_and_column(tmp_path, rows, line, column, words):
    path = tmp_path / "pv.csv"
    path.write_text(CF + rows, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_capacity_factor(path, "sites/pv.csv")
    (p,) = info.value.problems
    assert (p.file, p.line, p.path) == ("sites/pv.csv", line, column) and words in p.message
    assert str(p).startswith(f"sites/pv.csv:{line}: {column}: ")


def test_missing_column_and_file(tmp_path):
    path = tmp_path / "pv.csv"
    path.write_text("Datetime (UTC),cf\n2024-06-01 00:00:00,0.1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_capacity_factor(path)
    assert (info.value.problems[0].line, info.value.problems[0].path) == (1, "Capacity factor")
    with pytest.raises(InputError) as info:
        read_capacity_factor(tmp_path / "missing.csv")
    assert info.value.problems[0].message == "file not found"
