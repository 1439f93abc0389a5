"""`orbitgrid export czml`: a small real run's satellites checked against physics/orbits.py
and physics/sun.py, the CZML structure checked against the format's rules."""

from __future__ import annotations

import json
import math
import re
import textwrap
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lab import SATELLITE  # tests/lab.py

from orbitgrid.cli import app
from orbitgrid.engine.run import simulate
from orbitgrid.errors import EXIT_USER_ERROR, InputError
from orbitgrid.export.czml import build_czml, sunlit_intervals
from orbitgrid.physics import orbits, sun
from orbitgrid.results.store import write_run
from orbitgrid.scenario import load_scenario

START = "2026-05-01T00:00:00"
ORBITAL = f"""
name: tiny-orbit
simulation: {{duration_h: 3, start: "{START}", tick_s: 300, seed: 1}}
sites:
  - name: lab
    location: {{lat_deg: 39.0, lon_deg: -77.5}}
    power_cap_mw: 1
    pue: 1.2
    pools:
      - {{name: lab-h100, gpu: H100, count: 16}}
constellations:
  - name: inclined
    shell: {{altitude_km: 550, inclination_deg: 53, planes: 2, sats_per_plane: 3, phasing: 1, raan0_deg: 10}}
    satellite: {SATELLITE}
    eclipse_policy: power_off
  - name: cluster
    formation: {{altitude_km: 650, sso: true, ltan_h: 18, clusters: 1, satellites: 3, radius_km: 1.0}}
    satellite: {SATELLITE}
workload: {{reference_gpu: H100, csv: jobs.csv}}
"""
GROUND = """
name: ground-only
simulation: {duration_h: 2, tick_s: 600, seed: 0}
sites:
  - name: lab
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 1
    pue: 1.0
    pools:
      - {name: lab-h100, gpu: H100, count: 8}
workload: {reference_gpu: H100, csv: jobs.csv}
"""
JOBS = "arrival_h,gpus,work_gpu_h\n0,4,4\n0.5,2,1\n"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")
R_550_M = 6_928_137.0  # 6,378.137 km equatorial radius + 550 km


def _make_run(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobs.csv").write_text(JOBS, encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    loaded = load_scenario(path)
    result = simulate(loaded, loaded.scenario.simulation.seed)
    # the run folder lives elsewhere: jobs.csv is not beside its copy of the scenario
    return write_run(folder / "runs", loaded.scenario.name, result.tables, result.summary, loaded.text,
                     {"scenario_file": str(path), "seed": loaded.scenario.simulation.seed}, write_report=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("czml")
    return {"orbital": _make_run(root / "orbital", ORBITAL), "ground": _make_run(root / "ground", GROUND)}


@pytest.fixture(scope="module")
def czml(runs) -> list[dict]:
    return build_czml(runs["orbital"], step_s=60.0)


def _sats(czml: list[dict]) -> dict[str, dict]:
    return {p["id"]: p for p in czml if p["id"].startswith("sat/")}


def _samples(packet: dict) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(packet["position"]["cartesian"], dtype=np.float64).reshape(-1, 4)
    return c[:, 0], c[:, 1:]


def _walker_ecef_m(t_s: np.ndarray) -> np.ndarray:
    """The shell's ECEF positions straight from physics/orbits.py, (6, T, 3) metres."""
    w = orbits.walker_shell(2, 3, 1, 53.0, 550.0, 10.0)
    r = orbits.propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t_s, dtype=np.float64)
    jd = orbits.julian_date(np.datetime64(START, "s")) + t_s / 86400.0
    return orbits.eci_to_ecef(r, jd) * 1000.0


def _time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _interval(text: str) -> tuple[datetime, datetime]:
    a, b = text.split("/")
    assert ISO.match(a) and ISO.match(b), text
    return _time(a), _time(b)


def test_one_packet_per_satellite_and_site_after_the_document(czml):
    assert len(czml) == 1 + 1 + 6 + 3  # document, one site, 2 x 3 shell satellites, a formation of 3
    assert czml[0]["id"] == "document" and czml[0]["version"] == "1.0"
    assert czml[1]["id"] == "site/lab" and czml[1]["position"]["cartographicDegrees"] == [-77.5, 39.0, 0.0]
    assert len({p["id"] for p in czml}) == len(czml)


def test_the_clock_is_the_runs_start_and_horizon(czml):
    clock = czml[0]["clock"]
    assert clock["interval"] == "2026-05-01T00:00:00Z/2026-05-01T03:00:00Z"
    assert clock["currentTime"] == "2026-05-01T00:00:00Z"
    for packet in _sats(czml).values():
        assert packet["availability"] == clock["interval"]


def test_samples_are_the_orbits_module_ecef_positions(czml):
    sats = [_sats(czml)[f"sat/inclined/0/{i}"] for i in range(6)]
    t, _ = _samples(sats[0])
    assert t.size == 181 and t[1] == 60 and t[-1] == 10_800  # 0, 60, ..., 3 h inclusive
    expect = _walker_ecef_m(t)
    for i, packet in enumerate(sats):
        pos = packet["position"]
        assert (pos["epoch"], pos["referenceFrame"]) == ("2026-05-01T00:00:00Z", "FIXED")
        assert (pos["interpolationAlgorithm"], pos["interpolationDegree"]) == ("LAGRANGE", 5)
        _, xyz = _samples(packet)
        np.testing.assert_allclose(xyz[0], expect[i, 0], atol=0.006)  # rounded to the centimetre
        np.testing.assert_allclose(xyz, expect[i], atol=0.006)


def test_radius_is_earth_radius_plus_altitude(czml):
    for i in range(6):
        _, xyz = _samples(_sats(czml)[f"sat/inclined/0/{i}"])
        assert np.abs(np.linalg.norm(xyz, axis=1) - R_550_M).max() < 1.0


def test_lagrange_degree_5_between_samples_is_within_a_centimetre(czml):
    """What Cesium draws between samples: the degree-5 Lagrange polynomial through six."""
    t, xyz = _samples(_sats(czml)["sat/inclined/0/4"])
    k = np.arange(40, 46)
    t_mid = 0.5 * (t[42] + t[43])
    weights = np.array([np.prod([(t_mid - t[m]) / (t[j] - t[m]) for m in k if m != j]) for j in k])
    exact = _walker_ecef_m(np.array([t_mid]))[4, 0]
    assert np.linalg.norm(weights @ xyz[k] - exact) < 0.01


def test_colour_changes_where_the_shadow_function_says(czml):
    t = np.arange(0.0, 10_801.0, 60.0)
    w = orbits.walker_shell(2, 3, 1, 53.0, 550.0, 10.0)
    r = orbits.propagate_circular_eci_km(w.a_km, w.inclination_rad, w.raan0_rad, w.u0_rad, t, dtype=np.float64)
    jd = orbits.julian_date(np.datetime64(START, "s")) + t / 86400.0
    lit = sun.illumination_conical(r, sun.sun_position_eci_km(jd)[None]) >= 0.5
    start = _time("2026-05-01T00:00:00Z")
    shadows = 0
    for i in range(6):
        colours = _sats(czml)[f"sat/inclined/0/{i}"]["point"]["color"]
        spans = [(*((b - start).total_seconds() for b in _interval(c["interval"])), c["rgba"]) for c in colours]
        assert spans[0][0] == 0 and spans[-1][1] == 10_800
        for (_, end, rgba), (nxt, _, rgba_next) in zip(spans, spans[1:]):
            assert end == nxt and rgba != rgba_next  # contiguous, alternating
            j = int(np.searchsorted(t, end))  # the change lies midway between the samples around it
            assert end == 0.5 * (t[j - 1] + t[j]) and lit[i, j - 1] != lit[i, j]
        for a, b, rgba in spans:  # every sample inside a span has that span's state
            inside = (t > a) & (t < b)
            assert np.all(lit[i, inside] == (rgba == [255, 200, 40, 255]))
        shadows += sum(rgba != [255, 200, 40, 255] for *_, rgba in spans)
    assert shadows >= 6  # 53°, 550 km in May: every satellite passes the Earth's shadow in 3 h


def test_sunlit_intervals_by_hand():
    t = np.array([0.0, 60.0, 120.0, 180.0, 240.0])
    lit = np.array([True, False, False, True, True])
    assert sunlit_intervals(t, lit) == [(0.0, 30.0, True), (30.0, 150.0, False), (150.0, 240.0, True)]


def test_description_path_and_formation(czml):
    p = _sats(czml)["sat/inclined/0/4"]
    for text in ("inclined", "550.0 km", "53.00°", "inclined/s0p1", "4 H100"):  # satellite 4 is in plane 1
        assert text in p["description"]
    period = 2 * math.pi * math.sqrt(6928.137**3 / 398600.4418)  # Kepler: 5,737.8 s at 550 km
    assert p["path"]["leadTime"] == p["path"]["trailTime"] == pytest.approx(period, abs=0.06)
    f = _sats(czml)["sat/cluster/0/2"]
    assert "650.0 km" in f["description"] and "cluster/c0" in f["description"]
    assert float(re.search(r"([\d.]+)°", f["description"]).group(1)) == pytest.approx(97.99, abs=0.05)  # SSO at 650 km


def test_structure_follows_the_czml_rules(czml):
    """The rules Cesium's CzmlDataSource relies on: a document packet first, unique ids,
    ISO 8601 intervals, [t, x, y, z] samples in time order within the availability,
    colour intervals tiling the availability, RGBA bytes."""
    json.dumps(czml, allow_nan=False)  # plain JSON, no NaN
    for p in czml[1:]:
        assert set(p) <= {"id", "name", "description", "availability", "position", "point", "path", "label"}
        if "availability" in p:
            a, b = _interval(p["availability"])
            t, _ = _samples(p)
            assert np.all(np.diff(t) > 0) and len(p["position"]["cartesian"]) % 4 == 0
            epoch = _time(p["position"]["epoch"])
            assert (epoch - a).total_seconds() <= t[0] and t[-1] <= (b - epoch).total_seconds()
            for c in p["point"]["color"]:
                _interval(c["interval"])
                assert len(c["rgba"]) == 4 and all(isinstance(v, int) and 0 <= v <= 255 for v in c["rgba"])
            assert p["path"]["leadTime"] > 0 and p["path"]["resolution"] == 60


def test_cli_writes_compact_json_atomically_and_identically(runs, tmp_path):
    runner = CliRunner()
    default = runs["orbital"].with_name(runs["orbital"].name + ".czml")
    result = runner.invoke(app, ["export", "czml", str(runs["orbital"]), "--hours", "1", "--step-s", "120"])
    assert result.exit_code == 0, result.output
    assert "11 packets" in result.output
    first = default.read_bytes()
    data = json.loads(first)
    assert data[0]["clock"]["interval"] == "2026-05-01T00:00:00Z/2026-05-01T01:00:00Z"
    assert _samples(data[2])[0].tolist() == list(range(0, 3601, 120))
    assert b'": ' not in first and b'", ' not in first  # compact separators
    out = tmp_path / "again.czml"
    result = runner.invoke(app, ["export", "czml", str(runs["orbital"]), "--hours", "1", "--step-s", "120", "--out", str(out)])
    assert result.exit_code == 0 and out.read_bytes() == first  # same run, same bytes
    assert sorted(x.name for x in tmp_path.iterdir()) == ["again.czml"]  # no temporary file left


@pytest.mark.parametrize("case, message", [
    ("missing", "no such run folder"),
    ("not_a_run", "not a complete run folder"),
    ("ground", "constellations: this run has no orbital fleet"),
    ("hours", "--hours: 4 h is outside the run's horizon"),
    ("step", "--step-s: 900 s is outside"),
])
def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, case, message):
    (tmp_path / "empty").mkdir()
    args = {"missing": [str(tmp_path / "nope")], "not_a_run": [str(tmp_path / "empty")],
            "ground": [str(runs["ground"])], "hours": [str(runs["orbital"]), "--hours", "4"],
            "step": [str(runs["orbital"]), "--step-s", "900"]}[case]
    out = tmp_path / "x.czml"
    result = CliRunner().invoke(app, ["export", "czml", *args, "--out", str(out)])
    assert result.exit_code == EXIT_USER_ERROR
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not out.exists()
    if case == "ground":
        assert lines[0].startswith(str(runs["ground"] / "scenario.yaml") + ":")


def test_build_czml_raises_input_error_for_a_ground_run(runs):
    with pytest.raises(InputError, match="no orbital fleet"):
        build_czml(runs["ground"])
