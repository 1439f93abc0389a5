"""`orbitgrid size` as a user meets it: the table, the JSON object, one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.physics.orbits import orbital_period_s

BASE = ["size", "--gpu", "H100", "--gpus", "16", "--altitude-km", "650"]
KEYS = {
    "gpu", "gpus", "gpu_power_w", "altitude_km", "inclination_deg", "sso", "ltan_h", "eclipse_mode", "array",
    "radiator", "battery", "bus", "period_min", "eclipse_min", "compute_w", "bus_power_w", "array_area_m2",
    "array_bol_w", "battery_wh", "radiator_heat_w", "radiator_area_m2", "mass_payload_kg", "mass_array_kg",
    "mass_battery_kg", "mass_radiator_kg", "mass_bus_kg", "mass_propellant_kg", "mass_total_kg",
    "compute_kw_per_tonne", "launch_cost_usd",
}


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_table_output():
    done = invoke(*BASE, "--sso", "--ltan-h", "18")
    assert done.exit_code == 0, done.stderr
    for row in ("array_area_m2", "battery_wh", "radiator_area_m2", "mass_total_kg", "compute_kw_per_tonne"):
        assert row in done.stdout
    assert "16 × H100 at 650 km" in done.stdout


def test_json_keys_and_values():
    done = invoke(*BASE, "--inclination-deg", "53", "--json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert KEYS <= set(data)
    # 16 × 1275 W (DGX H100 10.2 kW / 8); bus 5% of it; sized at β = 0: 35.38 min of eclipse
    assert data["compute_w"] == pytest.approx(20_400.0)
    assert data["bus_power_w"] == pytest.approx(1_020.0)
    assert data["period_min"] == pytest.approx(float(orbital_period_s(650.0)) / 60.0)
    assert data["eclipse_min"] == pytest.approx(35.38, abs=0.01)
    assert data["mass_payload_kg"] == pytest.approx(16 * 130.45 / 8, rel=1e-4)
    parts = sum(data[k] for k in ("mass_payload_kg", "mass_array_kg", "mass_battery_kg", "mass_radiator_kg",
                                  "mass_bus_kg", "mass_propellant_kg"))
    assert parts == pytest.approx(data["mass_total_kg"])
    assert data["launch_cost_usd"] == pytest.approx(3500.0 * data["mass_total_kg"])


def test_options_change_the_design():
    ride = json.loads(invoke(*BASE, "--inclination-deg", "53", "--json").stdout)
    off = json.loads(invoke(*BASE, "--inclination-deg", "53", "--eclipse", "power_off", "--json").stdout)
    assert off["eclipse_load_w"] == pytest.approx(off["bus_power_w"])
    assert off["battery_wh"] < ride["battery_wh"] / 10 and off["array_area_m2"] < ride["array_area_m2"]
    hot = json.loads(invoke(*BASE, "--inclination-deg", "53", "--radiator-temperature-k", "350", "--json").stdout)
    assert hot["radiator_area_m2"] < ride["radiator_area_m2"]
    one = json.loads(invoke(*BASE, "--inclination-deg", "53", "--radiator-sides", "1", "--json").stdout)
    assert one["radiator_area_m2"] == pytest.approx(2 * ride["radiator_area_m2"])
    si = json.loads(invoke(*BASE, "--inclination-deg", "53", "--array", "silicon-rigid", "--json").stdout)
    assert si["array_area_m2"] > 2 * ride["array_area_m2"]
    cheap = json.loads(invoke(*BASE, "--inclination-deg", "53", "--launch-usd-per-kg", "200",
                              "--bus-power-w", "0", "--json").stdout)
    assert cheap["bus_power_w"] == 0.0 and cheap["launch_cost_usd"] == pytest.approx(200 * cheap["mass_total_kg"])
    b200 = json.loads(invoke("size", "--gpu", "b200", "--gpus", "8", "--altitude-km", "550", "--inclination-deg",
                             "53", "--payload-kg-per-gpu", "18", "--json").stdout)
    assert b200["gpu"] == "B200" and b200["compute_w"] == pytest.approx(8 * 14_300 / 8)


@pytest.mark.parametrize("args, field", [
    (["--gpu", "X100", "--gpus", "16", "--altitude-km", "650", "--sso"], "--gpu"),
    (["--gpu", "B200", "--gpus", "16", "--altitude-km", "650", "--sso"], "--gpu"),  # no server mass
    (["--gpu", "TPU-v6e", "--gpus", "4", "--altitude-km", "650", "--sso", "--payload-kg-per-gpu", "5"], "--gpu"),
    (["--gpu", "H100", "--gpus", "0", "--altitude-km", "650", "--sso"], "--gpus"),
    (["--gpu", "H100", "--gpus", "-3", "--altitude-km", "650", "--sso"], "--gpus"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "-650", "--sso"], "--altitude-km"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650"], "--inclination-deg/--sso"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--inclination-deg", "53"],
     "--inclination-deg/--sso"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--array", "gold"], "--array"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--radiator", "fan"], "--radiator"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--battery", "lead"], "--battery"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--bus-power-w", "-5"], "--bus-power-w"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--eclipse", "nap"], "--eclipse"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--radiator-sides", "3"], "--radiator-sides"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--launch-usd-per-kg", "-1"],
     "--launch-usd-per-kg"),
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "650", "--sso", "--radiator-temperature-k", "160"],
     "--radiator-temperature-k"),  # colder than Earth's IR lets it radiate
    (["--gpu", "H100", "--gpus", "16", "--altitude-km", "nan", "--sso"], "--altitude-km"),
])
def test_bad_input_is_one_line_and_exit_2(args, field):
    done = invoke("size", *args)
    assert done.exit_code == 2, (args, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"size: {field}:"), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_unknown_names_come_with_a_hint():
    done = invoke("size", "--gpu", "X100", "--gpus", "16", "--altitude-km", "650", "--sso")
    assert "(hint: one of " in done.stderr and "H100" in done.stderr
    done = invoke("size", "--gpu", "B200", "--gpus", "16", "--altitude-km", "650", "--sso")
    assert "--payload-kg-per-gpu" in done.stderr
