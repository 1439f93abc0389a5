"""TLE reading, SGP4 propagation through SatrecArray, and the circular seed from TLEs."""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec, SatrecArray, accelerated
from sgp4.earth_gravity import wgs72
from sgp4.io import compute_checksum
from sgp4.io import twoline2rv as py_twoline2rv

from orbitgrid.errors import InputError
from orbitgrid.physics.orbits import argument_of_latitude_rate_rad_s, propagate_circular_eci_km
from orbitgrid.physics.tle import (
    brouwer_mean_motion_rad_min,
    mean_elements_for_circular,
    propagate_tles_teme,
    propagate_tles_teme_km,
    read_tles,
    split_jd,
    tle_checksum,
    tle_epoch_jd,
)

# CelesTrak GP data, 2025-12 (Starlink, as in ../shared/data/orbit/starlink_celestrak_2025-12-07.tle)
STARLINK_3LE = """\
STARLINK-1008
1 44714U 19074B   25340.95197127  .00005271  00000+0  37238-3 0  9996
2 44714  53.0535 242.9324 0001246  96.1414 263.9718 15.06412569334776
STARLINK-1012
1 44718U 19074F   25340.92985791  .00008904  00000+0  61563-3 0  9993
2 44718  53.0541 243.0311 0001608  95.9133 264.2040 15.06416998334763
STARLINK-5089
1 56148U 23046BJ  25340.16915096 -.00000355  00000+0 -11238-4 0  9993
2 56148  43.0045 255.9415 0001136 263.6816  96.3897 15.02529645148583
"""

# Satellite 00005 of Vallado et al., "Revisiting Spacetrack Report #3" (AIAA 2006-6753): the
# first case of the verification file tcppver.out shipped with the sgp4 package.
SAT_00005 = (
    "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753",
    "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667",
)
# tcppver.out, tsince 0 and 360 min: position in km (TEME)
TCPPVER_00005 = {
    0.0: (7022.46529266, -1400.08296755, 0.03995155),
    360.0: (-7154.03120202, -3783.17682504, -3536.19412294),
}


def local_frame(r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit radial, along-track and cross-track vectors of (r, v)."""
    rad = r / np.linalg.norm(r, axis=-1, keepdims=True)
    h = np.cross(r, v)
    cross = h / np.linalg.norm(h, axis=-1, keepdims=True)
    return rad, np.cross(cross, rad), cross


def test_sgp4_is_the_accelerated_build():
    assert accelerated


def test_read_three_line_tles():
    names, array, sats = read_tles(STARLINK_3LE)
    assert names == ["STARLINK-1008", "STARLINK-1012", "STARLINK-5089"]
    assert isinstance(array, SatrecArray) and len(array) == 3
    assert [s.satnum for s in sats] == [44714, 44718, 56148]
    assert sats[0].inclo == pytest.approx(np.radians(53.0535), abs=1e-12)


def test_read_two_line_tles_names_and_blank_lines(tmp_path):
    lines = STARLINK_3LE.splitlines()
    two_line = "\n".join([lines[1], lines[2], "", "0 " + lines[3], lines[4], lines[5]]) + "\n"
    path = tmp_path / "mixed.tle"
    path.write_text(two_line)
    names, array, _ = read_tles(path)
    assert names == ["44714", "STARLINK-1012"]  # no name line: the catalogue number
    assert len(array) == 2


def test_checksum_tally_is_sgp4s():
    for line in STARLINK_3LE.splitlines() + list(SAT_00005):
        if line[:2] in ("1 ", "2 "):
            assert tle_checksum(line) == compute_checksum(line) == int(line[68])


def test_positions_match_sgp4_scalar():
    _, array, sats = read_tles(STARLINK_3LE)
    whole, frac = tle_epoch_jd(sats)
    jd = whole[0] + np.array([0.0, 0.25, 0.5, 1.0, 1.5])  # straddles every epoch
    fr = frac[0] + np.array([0.0, 0.013, 0.4, 0.777, 0.999])
    r, err = propagate_tles_teme_km(array, jd, fr)
    assert r.shape == (3, 5, 3) and err.shape == (3, 5) and not err.any()
    for i, sat in enumerate(sats):
        for j in range(5):
            e, r_one, _ = sat.sgp4(jd[j], fr[j])
            assert e == 0
            assert np.max(np.abs(r[i, j] - np.array(r_one))) < 1e-6


def test_published_vector_satellite_00005():
    names, array, sats = read_tles("\n".join(SAT_00005) + "\n")
    assert names == ["00005"]
    for tsince_min, want in TCPPVER_00005.items():
        r, err = propagate_tles_teme_km(array, sats[0].jdsatepoch, sats[0].jdsatepochF + tsince_min / 1440.0)
        assert err[0, 0] == 0
        assert np.max(np.abs(r[0, 0] - np.array(want))) < 1e-6


def test_split_jd_keeps_whole_days_whole():
    whole, frac = split_jd(np.array([2460000.75, 2460000.25]), np.array([0.5, 0.25]))
    assert whole.tolist() == [2460001.0, 2460000.0]
    assert frac.tolist() == [0.25, 0.5]


def _corrupt(line_index: int, fn) -> str:
    lines = STARLINK_3LE.splitlines()
    lines[line_index] = fn(lines[line_index])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "line_index, fn, field, needle",
    [
        (5, lambda s: s[:68] + str((int(s[68]) + 1) % 10), "line 2", "checksum in column 69"),  # bad checksum
        (4, lambda s: s[:23] + "," + s[24:], "line 1", "column 24"),  # epoch's decimal point lost
        (8, lambda s: s[:40], "line 2", "40 characters"),  # cut short
        (5, lambda s: s[:2] + "44719" + s[7:68] + str(compute_checksum(s[:2] + "44719" + s[7:])), "line 2", "catalogue number"),
        (2, lambda s: s[:8] + " 5x.0535" + s[16:], "line 2", "inclination"),
    ],
)
def test_malformed_line_names_file_and_line(line_index, fn, field, needle):
    with pytest.raises(InputError) as info:
        read_tles(_corrupt(line_index, fn))
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.path) == ("<text>", line_index + 1, field)
    assert needle in problem.message
    assert str(problem).startswith(f"<text>:{line_index + 1}: {field}: ")


def test_malformed_file_error_names_the_file(tmp_path):
    path = tmp_path / "bad.tle"
    path.write_text(_corrupt(5, lambda s: s[:68] + str((int(s[68]) + 1) % 10)))
    with pytest.raises(InputError) as info:
        read_tles(path)
    assert info.value.first_line().startswith(f"{path}:6: line 2: checksum")
    with pytest.raises(InputError, match="cannot read"):
        read_tles(tmp_path / "missing.tle")


def test_stray_line_and_missing_line_two():
    with pytest.raises(InputError) as info:
        read_tles("STARLINK-1008\n" + STARLINK_3LE.splitlines()[2] + "\nx\n")
    assert info.value.problems[0].line == 1
    lines = STARLINK_3LE.splitlines()
    with pytest.raises(InputError, match=":2: tle: TLE line 1 without a line 2"):
        read_tles("\n".join(lines[:2]) + "\n")


def test_brouwer_mean_motion_matches_sgp4_python():
    _, _, sats = read_tles(STARLINK_3LE)
    lines = STARLINK_3LE.splitlines()
    want = [py_twoline2rv(lines[3 * k + 1], lines[3 * k + 2], wgs72).no_unkozai for k in range(3)]
    assert np.allclose(brouwer_mean_motion_rad_min(sats), want, rtol=1e-13, atol=0)


def test_circular_seed_reproduces_sgp4_at_epoch_and_over_an_orbit():
    # The seed is SGP4's mean orbit: at the epoch the circular position is on SGP4's within
    # a few km radially and cross-track. Along-track it is off by up to 2 a e ~ 14 km: SGP4's
    # long-period J3 term holds Starlink in a frozen orbit of e ~ 1e-3 (J3 / 2 J2 (R / a)
    # sin i), which a circular orbit cannot follow; over one orbit it averages out.
    _, _, sats = read_tles(STARLINK_3LE)
    a_km, inc, raan, u = mean_elements_for_circular(sats)
    whole, frac = tle_epoch_jd(sats)
    for k in range(3):
        period_s = 2.0 * np.pi / argument_of_latitude_rate_rad_s(a_km[k], inc[k])
        t = np.linspace(0.0, period_s, 240, endpoint=False)
        ours = propagate_circular_eci_km(a_km[k], inc[k], raan[k], u[k], t, np.float64)[0]
        r, v, err = propagate_tles_teme(SatrecArray([sats[k]]), whole[k], frac[k] + t / 86400.0)
        assert not err.any()
        rad, along, cross = local_frame(r[0], v[0])
        d = ours - r[0]
        d_rad, d_along, d_cross = (np.sum(d * e, axis=-1) for e in (rad, along, cross))
        assert abs(d_rad[0]) < 3.0 and abs(d_cross[0]) < 0.5 and np.linalg.norm(d[0]) < 20.0
        # SGP4's short-period J2 terms move node and inclination by a few 1e-4 rad: ~2 km cross-track
        assert abs(d_along.mean()) < 1.0 and abs(d_rad.mean()) < 3.0 and np.max(np.abs(d_cross)) < 3.0


def test_seed_at_a_common_date_is_the_epoch_seed_moved_on():
    _, _, sats = read_tles(STARLINK_3LE)
    whole, frac = tle_epoch_jd(sats)
    jd = 2461016.0  # 2025-12-07 12:00 UTC, after every epoch
    at_epoch = mean_elements_for_circular(sats)
    at_jd = mean_elements_for_circular(sats, jd=jd)
    assert np.array_equal(at_epoch[0], at_jd[0]) and np.array_equal(at_epoch[1], at_jd[1])
    dt_s = ((jd - whole) - frac) * 86400.0
    for k in range(3):
        moved = propagate_circular_eci_km(*(x[k] for x in at_epoch), np.array([dt_s[k]]), np.float64)
        direct = propagate_circular_eci_km(*(x[k] for x in at_jd), np.array([0.0]), np.float64)
        assert np.max(np.abs(moved - direct)) < 1e-6


def test_satrec_parse_matches_sgp4_twoline2rv():
    _, _, sats = read_tles(STARLINK_3LE)
    lines = STARLINK_3LE.splitlines()
    ref = Satrec.twoline2rv(lines[1], lines[2], WGS72)
    assert sats[0].jdsatepoch == ref.jdsatepoch and sats[0].no_kozai == ref.no_kozai
