"""PUE against outside temperature: the user's curve interpolated by hand, and hourly
temperature files read with bad rows named by file and line."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.errors import InputError
from orbitgrid.grid.pue import pue_at_temperature, read_temperature
from orbitgrid.grid.series import HOUR_S

HEADER = "Datetime (UTC),Temperature (C)\n"
# free cooling up to 15 °C, chillers from there: 1.10 flat, 1.25 at 25 °C, 1.45 at 35 °C
CURVE = [(15.0, 1.10), (25.0, 1.25), (35.0, 1.45)]


def test_interpolation_by_hand():
    """20 °C is halfway from 15 to 25: (1.10 + 1.25) / 2 = 1.175. 32 °C is 7/10 of the way
    from 25 to 35: 1.25 + 0.7 × 0.20 = 1.39. The points themselves come back as given."""
    got = pue_at_temperature(np.array([20.0, 32.0, 15.0, 25.0, 35.0]), CURVE)
    assert got.tolist() == pytest.approx([1.175, 1.39, 1.10, 1.25, 1.45])


def test_flat_outside_the_points():
    """Colder than the first point keeps its PUE, hotter than the last keeps the last's."""
    assert pue_at_temperature(np.array([-40.0, 14.9, 35.1, 55.0]), CURVE).tolist() == pytest.approx(
        [1.10, 1.10, 1.45, 1.45])
    assert pue_at_temperature(np.array([-5.0, 40.0]), [(10.0, 1.2)]).tolist() == [1.2, 1.2]  # one point: constant


@pytest.mark.parametrize("points", [[], [(25.0, 1.2), (15.0, 1.1)], [(15.0, 1.1), (15.0, 1.2)],
                                    [(15.0, 0.9)], [(float("nan"), 1.2)], [(1.0, 2.0, 3.0)]])
def test_bad_curves_are_refused(points):
    with pytest.raises(ValueError):
        pue_at_temperature(20.0, points)


def test_reads_a_file_and_composes_with_the_curve(tmp_path):
    """Three hours from 2024-07-01 12:00 UTC at 18, 25 and 30 °C: start times one hour
    apart, and PUE 1.145, 1.25, 1.35 on the curve (18 °C: 1.10 + 0.3 × 0.15)."""
    path = tmp_path / "phoenix_2024_temperature.csv"
    path.write_text(HEADER + "2024-07-01 12:00:00+00:00,18\n2024-07-01 13:00:00,25.0\n2024-07-01 14:00:00Z,30\n",
                    encoding="utf-8")
    s = read_temperature(path)
    t0 = int(np.datetime64("2024-07-01T12:00:00", "s").astype(np.int64))
    assert (s.zone, s.quantity) == ("phoenix", "temperature_c")
    assert s.start_s.tolist() == [t0, t0 + HOUR_S, t0 + 2 * HOUR_S] and s.end_s == t0 + 3 * HOUR_S
    assert pue_at_temperature(s.values, CURVE).tolist() == pytest.approx([1.145, 1.25, 1.35])
    assert s.on_ticks(np.array([t0 + 1800]), 3600)[0] == pytest.approx(21.5)  # half of 18, half of 25


def test_daylight_saving_does_not_enter(tmp_path):
    """US clocks sprang forward at 2024-03-10 10:00 UTC (Pacific): in UTC the hours run on
    without a gap or a repeat, and the file carries no local time at all."""
    rows = "".join(f"2024-03-10 {h:02d}:00:00,{h}\n" for h in range(7, 13))
    path = tmp_path / "site.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    s = read_temperature(path)
    assert np.diff(s.start_s).tolist() == [HOUR_S] * 5 and s.values.tolist() == [7, 8, 9, 10, 11, 12]
    assert s.utc_offset_s is None
    with pytest.raises(ValueError, match="no local time"):
        s.local_hour()


@pytest.mark.parametrize("rows, line, column, words", [
    ("2024-01-01 00:00:00,5\n2024-01-01 02:00:00,6\n", 3, "Datetime (UTC)", "gap of 2 h"),
    ("2024-01-01 00:00:00,5\n2024-01-01 00:00:00,6\n", 3, "Datetime (UTC)", "repeats"),
    ("2024-01-01 00:00:00,5\n2024-01-01 01:00:00-07:00,6\n", 3, "Datetime (UTC)", "not a UTC time"),
    ("2024-01-01 00:00:00,5\n2024-01-01 01:00:00,warm\n", 3, "Temperature (C)", "not a number"),
    ("2024-01-01 00:00:00,5\n2024-01-01 01:00:00,\n", 3, "Temperature (C)", "empty"),
    ("2024-01-01 00:00:00,5\n2024-01-01 01:00:00,inf\n", 3, "Temperature (C)", "not a finite number"),
    # pyarrow reads "nan" as a missing value (its default null markers), so series.py says "empty"
    ("2024-01-01 00:00:00,5\n2024-01-01 01:00:00,nan\n", 3, "Temperature (C)", "empty"),
    ("2024-01-01 00:00:00,5\n2024-01-01 01:00:00,6\n2024-01-01 02:00:00,300.15\n", 4, "Temperature (C)",
     "outside -90..60"),
    ("2024-01-01 00:00:00,-95\n", 2, "Temperature (C)", "outside -90..60"),
    ("", 2, "", "no data rows"),
])
def test_bad_rows_name_file_line_and_column(tmp_path, rows, line, column, words):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_temperature(path, display_name="sites/t.csv")
    (p,) = info.value.problems
    assert (p.file, p.line, p.path) == ("sites/t.csv", line, column) and words in p.message
    assert str(p).startswith(f"sites/t.csv:{line}: ")


def test_missing_column_and_missing_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Datetime (UTC),Temp (F)\n2024-01-01 00:00:00,41\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_temperature(path)
    p = info.value.problems[0]
    assert (p.line, p.path, p.message) == (1, "Temperature (C)", "missing column")
    with pytest.raises(InputError) as info:
        read_temperature(tmp_path / "nope.csv")
    assert info.value.problems[0].message == "file not found"
