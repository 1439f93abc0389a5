"""Hourly grid series: the packaged 2024 files, daylight saving, resampling to ticks, and
bad rows named by file and line."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.errors import InputError
from orbitgrid.grid.series import HOUR_S, packaged_carbon, packaged_prices, read_carbon, read_prices

T2024 = int(np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64))


def test_packaged_year_is_every_hour_of_2024():
    """2024 is a leap year: 366 x 24 = 8,784 hours, from 2024-01-01 00:00 UTC."""
    for zone in ("US-CAL-CISO", "US-TEX-ERCO", "US-MIDA-PJM"):
        p = packaged_prices(zone)
        direct, lca = packaged_carbon(zone)
        for s in (p, direct, lca):
            assert s.start_s.size == 8784 and s.start_s[0] == T2024 and s.end_s == T2024 + 8784 * HOUR_S
        assert (lca.values >= direct.values).mean() > 0.99  # life-cycle includes the direct emissions


def test_first_rows_as_written():
    """CAISO 2024-01-01 00:00 UTC (16:00 local the day before): 40.8604 USD/MWh (the file's
    40.860355 to 4 decimals); 261.18 gCO2eq/kWh direct, 340.52 life-cycle (Electricity Maps)."""
    p = packaged_prices("US-CAL-CISO")
    direct, lca = packaged_carbon("US-CAL-CISO")
    assert p.values[0] == 40.8604 and p.utc_offset_s[0] == -8 * 3600 and p.local_hour()[0] == 16
    assert (direct.values[0], lca.values[0]) == (261.18, 340.52) and direct.zone == "US-CAL-CISO"


def test_daylight_saving_changes_come_from_the_file():
    """Pacific time springs forward on 2024-03-10 at 10:00 UTC (02:00 PST -> 03:00 PDT) and
    falls back on 2024-11-03 at 09:00 UTC (02:00 PDT -> 01:00 PST): local hours 0, 1, 3 in
    March (no 2 o'clock) and 0, 1, 1, 2 in November (1 o'clock twice)."""
    p = packaged_prices("US-CAL-CISO")
    spring = int(np.datetime64("2024-03-10T08:00:00", "s").astype(np.int64))
    i = int(np.searchsorted(p.start_s, spring))
    assert p.local_hour()[i : i + 3].tolist() == [0, 1, 3]
    assert p.utc_offset_s[i + 1] == -8 * 3600 and p.utc_offset_s[i + 2] == -7 * 3600
    fall = int(np.searchsorted(p.start_s, int(np.datetime64("2024-11-03T07:00:00", "s").astype(np.int64))))
    assert p.local_hour()[fall : fall + 4].tolist() == [0, 1, 1, 2]
    # Central time (ERCOT) changes an hour earlier in UTC terms: 08:00 UTC in March
    e = packaged_prices("US-TEX-ERCO")
    j = int(np.searchsorted(e.start_s, int(np.datetime64("2024-03-10T07:00:00", "s").astype(np.int64))))
    assert e.local_hour()[j : j + 3].tolist() == [1, 3, 4]


def test_on_ticks_by_hand():
    """Hours a = p[0], b = p[1], c = p[2]: a 15-minute tick inside hour 0 is a; a 1-hour tick
    from 00:30 is (a + b) / 2; a 3-hour tick from 00:00 is (a + b + c) / 3."""
    p = packaged_prices("US-TEX-ERCO")
    a, b, c = p.values[:3]
    t0 = p.start_s[0]
    assert p.on_ticks(np.array([t0, t0 + 900, t0 + 2700]), 900).tolist() == pytest.approx([a, a, a])
    assert p.on_ticks(np.array([t0 + 1800]), 3600)[0] == pytest.approx((a + b) / 2)
    assert p.on_ticks(np.array([t0]), 3 * 3600)[0] == pytest.approx((a + b + c) / 3)
    with pytest.raises(ValueError, match="covers 2024-01-01 00:00:00 to 2025-01-01 00:00:00"):
        p.on_ticks(np.array([p.end_s - 600]), 3600)


PRICES = "Datetime (UTC),Datetime (Local),Price (USD/MWh)\n"


@pytest.mark.parametrize("rows, line, column, words", [
    ("2024-01-01 00:00:00+00:00,2023-12-31 16:00:00-08:00,10\n"
     "2024-01-01 02:00:00+00:00,2023-12-31 18:00:00-08:00,11\n", 3, "Datetime (UTC)", "gap of 2 h"),
    ("2024-01-01 00:00:00+00:00,2023-12-31 16:00:00-08:00,10\n"
     "2024-01-01 00:00:00+00:00,2023-12-31 16:00:00-08:00,11\n", 3, "Datetime (UTC)", "repeats"),
    ("2024-01-01 00:00:00+00:00,2023-12-31 16:00:00-08:00,10\n"
     "2024-01-01 01:00:00+00:00,2023-12-31 18:00:00-08:00,11\n", 3, "Datetime (Local)", "not the UTC time's instant"),
    ("2024-01-01 00:00:00+00:00,2023-12-31 16:00:00,10\n", 2, "Datetime (Local)", "with its offset"),
    ("2024-01-01 00:00:00+00:00,2023-12-31 16:00:00-08:00,ten\n", 2, "Price (USD/MWh)", "not a number"),
    ("2024-01-01 00:00:00+01:00,2023-12-31 16:00:00-08:00,10\n", 2, "Datetime (UTC)", "not a UTC time"),
])
def test_bad_price_rows_name_file_line_and_column(tmp_path, rows, line, column, words):
    path = tmp_path / "zone.csv"
    path.write_text(PRICES + rows, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_prices(path)
    (p,) = info.value.problems
    assert (p.line, p.path) == (line, column) and words in p.message


def test_bad_carbon_files(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct)\n2024-01-01 00:00:00,X,1\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_carbon(path)
    assert info.value.problems[0].path == "Carbon Intensity gCO₂eq/kWh (LCA)" and info.value.problems[0].line == 1
    path.write_text("Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)\n"
                    "2024-01-01 00:00:00,X,1,2\n2024-01-01 01:00:00,X,-3,2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_carbon(path)
    assert info.value.problems[0].line == 3 and "negative" in info.value.problems[0].message
    with pytest.raises(InputError) as info:
        read_carbon(tmp_path / "missing.csv")
    assert info.value.problems[0].message == "file not found"
