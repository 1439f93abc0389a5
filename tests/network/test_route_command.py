"""`orbitgrid route` as a user meets it: JSON keys, values against bounds derived by hand,
one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.network import places

C = 299_792.458


def invoke(*args: str):
    return CliRunner().invoke(app, ["route", *args])


def test_fibre_only_new_york_london():
    """No shell: the great circle (5,569.88 km, see test_geometry) at 4.90 us/km, 27.292 ms;
    with a route factor of 1.5, 8,354.82 km and 40.938 ms."""
    done = invoke("--from", "New York", "--to", "London", "--json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"path", "distance_km", "one_way_ms"} <= set(data)
    assert data["path"] == ["New-York-Newark", "London"]
    assert data["distance_km"] == pytest.approx(5569.88, abs=0.01)
    assert data["one_way_ms"] == pytest.approx(27.292, abs=1e-3)
    done = invoke("--from", "New York", "--to", "London", "--route-factor", "1.5", "--json")
    data = json.loads(done.stdout)
    assert data["distance_km"] == pytest.approx(8354.82, abs=0.01)
    assert data["one_way_ms"] == pytest.approx(40.938, abs=1e-3)


def test_starlink_new_york_london():
    """Over the first Starlink shell (72 x 22, 550 km, 53 deg; +Grid; 25 deg mask) at
    2026-03-21T12:00Z. Bounds a correct answer must meet: no path is shorter than the straight
    chord between the two cities (triangle inequality; 2 R sin(c / 2) = 2 x 6371 x sin(0.43713)
    = 5,394 km on the mean sphere), nor than its two ground legs, each at least the 550 km of
    altitude; it must beat fibre on the great circle (27.29 ms) here, or the constellation
    would be no use. Each hop's delay is its length over c."""
    done = invoke("--from", "New York", "--to", "London", "--shell", "starlink-gen1",
                  "--at", "2026-03-21T12:00Z", "--json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["path"][0] == "New-York-Newark" and data["path"][-1] == "London"
    assert all(p.startswith("sat:") for p in data["path"][1:-1])
    assert data["distance_km"] >= 5394.0
    assert data["hops"][0]["km"] >= 550.0 and data["hops"][-1]["km"] >= 550.0
    assert data["one_way_ms"] == pytest.approx(data["distance_km"] / C * 1e3, rel=1e-9)
    assert data["one_way_ms"] < data["fibre_one_way_ms"] == pytest.approx(27.292, abs=1e-3)
    assert sum(h["km"] for h in data["hops"]) == pytest.approx(data["distance_km"])
    assert data["hops"][0]["kind"] == "up" and data["hops"][-1]["kind"] == "down"
    # each ground leg is no longer than the slant range at the 25 deg mask, 1,123.42 km
    assert data["hops"][0]["km"] <= 1123.42 and data["hops"][-1]["km"] <= 1123.42


def test_to_a_satellite_and_table_output():
    """A satellite as an end: sat:P/S is satellite P * 22 + S of the shell; the table
    prints the total."""
    done = invoke("--from", "London", "--to", "sat:3/4", "--shell", "starlink-gen1", "--at", "2026-03-21T12:00Z",
                  "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["path"][-1].startswith("sat:70 ")
    done = invoke("--from", "Paris", "--to", "Moscow", "--shell", "starlink-gen1", "--at", "2026-03-21T12:00Z")
    assert done.exit_code == 0 and "total" in done.stdout


def test_place_names():
    """City names ignore case, accents and punctuation; a prefix of whole words picks the most
    populous match; parenthesised English names work."""
    names = places.load_cities().names
    assert names[places.find_city("new york")] == "New-York-Newark"
    assert names[places.find_city("Moscow")] == "Moskva-(Moscow)"
    assert names[places.find_city("St. Petersburg")] == "Sankt-Peterburg-(Saint-Petersburg)"
    assert names[places.find_city("sao paulo")] == "São-Paulo"
    assert len(places.load_cities()) == 1000 and len(places.load_gateways()) == 261
    assert places.parse_place("GS1").name == "GS1 (Camaçari, BR)"


@pytest.mark.parametrize("args, field, fragment", [
    (["--from", "Londn", "--to", "Paris"], "--from", "did you mean 'London'"),
    (["--from", "London", "--to", "Pariss"], "--to", "did you mean 'Paris'"),
    (["--from", "London", "--to", "Paris", "--at", "noon"], "--at", "not an ISO 8601 time"),
    (["--from", "London", "--to", "Paris", "--shell", "starlnk-gen1"], "--shell", "did you mean 'starlink-gen1'"),
    (["--from", "London", "--to", "Paris", "--shell", "starlink-gen1:9"], "--shell", "shells 1..4"),
    (["--from", "London", "--to", "sat:3"], "--to", "needs a shell"),
    (["--from", "sat:3", "--to", "London", "--shell", "kuiper", "--fibre"], "--from", "no fibre reaches a satellite"),
    (["--from", "London", "--to", "sat:99999", "--shell", "starlink-gen1"], "--to", "no satellite"),
    (["--from", "London", "--to", "Paris", "--route-factor", "0.5"], "--route-factor", ">= 1"),
    (["--from", "London", "--to", "Paris", "--shell", "kuiper", "--min-elevation-deg", "95"],
     "--min-elevation-deg", "[0, 90)"),
])
def test_errors_are_one_line_exit_2(args, field, fragment):
    done = invoke(*args)
    assert done.exit_code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"route: {field}: ") and fragment in lines[0]
    assert "Traceback" not in done.output


def test_times_and_shell_positions():
    """'2026-03-21T13:00+01:00' is 12:00 UTC. At the epoch, satellite 0 of starlink-gen1 sits at
    RAAN 0, argument of latitude 0: on the equator at radius 6378.137 + 550 = 6928.137 km, and
    satellite 11 (slot 11 of 22) half a turn round the same plane, diametrically opposite."""
    from orbitgrid.catalog.constellations import load_constellation_presets
    from orbitgrid.network.route import parse_utc, shell_ecef_km

    assert parse_utc("2026-03-21T13:00+01:00") == parse_utc("2026-03-21T12:00Z")
    spec = load_constellation_presets()["starlink-gen1"].shells[0]
    t0 = parse_utc("2026-01-01T00:00Z")
    r = shell_ecef_km(spec, t0, t0)
    assert r.shape == (1584, 3)
    assert np.linalg.norm(r[0]) == pytest.approx(6928.137, abs=1e-6) and abs(r[0, 2]) < 1e-9
    np.testing.assert_allclose(r[11], -r[0], atol=1e-6)
