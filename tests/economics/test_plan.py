"""`orbitgrid plan`: per-fleet costs from a scenario, the reproductions of McCalip's
calculator, break-even, tornado, seeded samples, and one-line errors with exit 2."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.economics import plan as P
from orbitgrid.economics.distributions import fixed
from orbitgrid.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "economics"
EXAMPLE = ROOT / "examples" / "earth-vs-orbit.yaml"
FLEET_KEYS = {"name", "kind", "delivered_power_w", "capex_usd", "opex_usd", "total_usd", "usd_per_w",
              "usd_per_gpu_hour", "usd_per_mwh", "satellites", "launches", "mass_t"}


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _fleets(path: Path) -> dict[str, dict]:
    return {f["name"]: f for f in P.plan(load_scenario(path))["fleets"]}


def test_mccalip_current_defaults():
    """McCalip's calculator (math.js @ 278ecbc) at its defaults, by hand:
    terrestrial capex 1 GW × (1.8 $/W × PUE 1.2 + 5.25 + 3.00 + 2.50 + 1.75) = $14.66 B;
    fuel 1 GW × 0.85 × 8760 h × 5 y × 1.2 = 44,676,000 MWh × 26.66 $/MWh = $1.191062 B;
    total $15.851062 B → $15.85/W; / 37,230,000 MWh = $425.76/MWh.
    Orbital: 39,731 satellites × 27 kW = 1.072737 GW nameplate; hardware 22 $/W → $23.600 B;
    29,390,055 kg × 500 $/kg = $14.695 B; ops 1%/yr × 5 = $1.180 B; 'GPU' 9%/yr × 5 on
    hardware = $10.620 B; NRE $1 B; total $51.095 B → $51.10/W; / 43,800,000 MWh =
    $1,166.56/MWh; 294 launches of 100 t."""
    f = _fleets(DATA / "mccalip-v-current.yaml")
    t, o = f["terrestrial"], f["orbital"]
    assert t["total_usd"] == pytest.approx(15_851_062_160.0, rel=1e-9)
    assert t["usd_per_w"] == pytest.approx(15.85, abs=0.005)
    assert t["usd_per_mwh"] == pytest.approx(425.76, abs=0.005)
    assert o["satellites"] == 39_731 and o["launches"] == 294
    assert o["mass_t"] * 1000 == pytest.approx(29_390_054.79, abs=0.01)
    assert o["capex_breakdown_usd"]["satellites"] == pytest.approx(23_600_214_000.0)
    assert o["capex_breakdown_usd"]["launch"] == pytest.approx(14_695_027_397.26, rel=1e-9)
    assert o["total_usd"] == pytest.approx(51_095_348_397.26, rel=1e-9)
    assert o["usd_per_w"] == pytest.approx(51.10, abs=0.005)
    assert o["usd_per_mwh"] == pytest.approx(1166.56, abs=0.005)


def test_mccalip_dec11_audit():
    """The 2025-12-11 version (math.js @ 534b5d7; its audit/third_party_audit.md): retention
    r = 0.975 × 0.91 = 0.88725 → f̄ = (1 − r^5)/(5(1 − r)) = 0.798524; 47,329 satellites,
    35.01 Mkg, 351 flights, $63.91/W, $1,459/MWh; terrestrial (turbine 1,450 $/kW):
    1.74 + 12.5 = $14.24/W capex + $1.191 B fuel = $15.43 B, $414/MWh."""
    f = _fleets(DATA / "mccalip-v-dec11.yaml")
    t, o = f["terrestrial"], f["orbital"]
    assert o["satellites"] == 47_329 and o["launches"] == 351
    assert o["mass_t"] / 1000 == pytest.approx(35.01, abs=0.005)
    assert o["usd_per_w"] == pytest.approx(63.91, abs=0.005)
    assert o["usd_per_mwh"] == pytest.approx(1459.0, abs=0.5)
    assert t["usd_per_w"] == pytest.approx(15.43, abs=0.005)
    assert t["usd_per_mwh"] == pytest.approx(414.48, abs=0.005)


def test_break_even_launch_price_by_hand():
    """McCalip's defaults with the satellite at 5 $/W: everything but launch is
    5 × 1.072737 GW × (1 + 0.05 + 0.45) + $1 B = $9.045528 B; the terrestrial $15.851062 B
    leaves $6.805535 B for 29,390,055 kg: 231.559 $/kg. GPU failure cannot close the gap
    (at 0 the orbital fleet is $21.33/W): "none"."""
    t, o = P.build_models(load_scenario(DATA / "mccalip-v-current.yaml"))
    o.inputs["bus_usd_per_w"] = fixed(5.0)
    be = P.break_even(o, t)
    assert be["launch_usd_per_kg"] == pytest.approx(231.5591, abs=1e-3)
    assert be["gpu_failure_per_year"] == "none"
    assert be["gpu_failure_per_year_usd_per_w_at_range"][0] == pytest.approx(21.3269, abs=1e-4)
    # at the root the two fleets cost the same per W
    at = P.usd_per_w(o, {**P.central_values(o), "launch_usd_per_kg": be["launch_usd_per_kg"]})
    assert float(at) == pytest.approx(be["reference_usd_per_w"], rel=1e-9)


def test_tornado_plus_minus_25_percent():
    """A plain number swings ±25% (kept in its range): launch 500 → 375..625 $/kg moves $/W
    by 0.5 × 29,390,055 kg × 500 $/kg / 1 GW = 7.3475; specific power 36.5 → 27.375..45.625
    W/kg moves the launch bill by 14.695 × (1/0.75 − 1/1.25) = 7.8374; the satellite's
    22 $/W moves 0.5 × $23.600 B × (1 + 0.05 + 0.45) / 1 GW = 17.70; sun fraction 0.98 goes
    down to 0.735 and up only to 1."""
    _, o = P.build_models(load_scenario(DATA / "mccalip-v-current.yaml"))
    rows = P.tornado(o)
    assert len(rows) == 10
    assert [r["input"] for r in rows[:4]] == ["bus_usd_per_w", "sun_fraction", "specific_power_w_kg", "launch_usd_per_kg"]
    assert (rows[1]["low"], rows[1]["high"]) == (0.735, 1.0)
    assert rows[2]["swing_usd_per_w"] == pytest.approx(14.69502740 * (1 / 0.75 - 1 / 1.25), rel=1e-8)
    launch = rows[3]
    assert (launch["low"], launch["high"]) == (375.0, 625.0)
    assert launch["swing_usd_per_w"] == pytest.approx(7.34751, abs=1e-5)
    assert rows[0]["swing_usd_per_w"] == pytest.approx(0.5 * 23.600214 * 1.5, rel=1e-6)
    assert all(a["swing_usd_per_w"] >= b["swing_usd_per_w"] for a, b in zip(rows, rows[1:]))


def test_evaluate_is_vectorised():
    """Arrays of samples in, arrays out: launch 0 and 500 $/kg give McCalip's total less
    and with its $14.695 B of launch."""
    _, o = P.build_models(load_scenario(DATA / "mccalip-v-current.yaml"))
    res = P.evaluate(o, {**P.central_values(o), "launch_usd_per_kg": np.array([0.0, 500.0])})
    assert res["total_usd"].shape == (2,)
    assert res["total_usd"][1] - res["total_usd"][0] == pytest.approx(14_695_027_397.26, rel=1e-9)


def test_example_json_keys_and_physics_sizing():
    done = invoke("plan", str(EXAMPLE), "--json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"fleets", "break_even", "sensitivity"}
    kinds = {f["name"]: f for f in data["fleets"]}
    assert set(kinds) == {"texas-gas", "orbit-650"}
    for f in data["fleets"]:
        assert FLEET_KEYS <= set(f)
    earth, orbit = kinds["texas-gas"], kinds["orbit-650"]
    assert earth["satellites"] == 0 and earth["launches"] == 0 and earth["mass_t"] == 0
    assert earth["delivered_power_w"] == pytest.approx(1e9) and orbit["delivered_power_w"] == pytest.approx(1e9)
    # 16 × 1,275 W per satellite, riding through its eclipse, 20.4 kW; failed GPUs are not
    # replaced in orbit (attrition at 9%/yr): mean survival over 5 years (1 − 0.91⁵)/(5 × 0.09)
    # = 0.835487, so ceil(1 GW / (20.4 kW × 0.835487)) = 58,673 satellites
    assert orbit["satellites"] == 58_673
    assert orbit["annual_opex_usd"]["gpu_replacement"] == 0.0
    assert earth["annual_opex_usd"]["gpu_replacement"] > 0.0
    # the satellite of `orbitgrid size --gpu H100 --gpus 16 --altitude-km 650 --sso --bus-power-w 2000`
    assert orbit["satellite"]["sat_mass_kg"] == pytest.approx(1269.18, abs=0.01)
    assert len(data["sensitivity"]) == 10
    assert data["break_even"][0]["orbital"] == "orbit-650"


def test_table_output():
    done = invoke("plan", str(EXAMPLE))
    assert done.exit_code == 0, done.stderr
    for words in ("texas-gas", "orbit-650", "$/W delivered", "$/GPU-hour", "break-even", "tornado"):
        assert words in done.stdout


def test_samples_are_seeded():
    a = invoke("plan", str(EXAMPLE), "--json", "--samples", "500", "--seed", "3")
    b = invoke("plan", str(EXAMPLE), "--json", "--samples", "500", "--seed", "3")
    c = invoke("plan", str(EXAMPLE), "--json", "--samples", "500", "--seed", "4")
    assert a.exit_code == 0, a.stderr
    assert a.stdout == b.stdout and a.stdout != c.stdout
    q = json.loads(a.stdout)["fleets"][1]["samples"]["usd_per_w"]
    assert q["p5"] < q["p50"] < q["p95"]


def _write(tmp_path: Path, economics: str) -> Path:
    base = (DATA / "mccalip-v-current.yaml").read_text().split("economics:")[0]
    path = tmp_path / "s.yaml"
    path.write_text(base + textwrap.dedent(economics), encoding="utf-8")
    return path


@pytest.mark.parametrize("economics, words", [
    ("economics:\n  fleets:\n    - fleet: nowhere\n", "economics.fleets[0].fleet: no site or constellation named 'nowhere'"),
    ("economics:\n  fleets:\n    - {fleet: terrestrial, bus_usd_per_w: 3}\n", "economics.fleets[0].bus_usd_per_w: applies to constellations only"),
    ("economics:\n  fleets:\n    - {fleet: orbital, launch: {usd_per_kg: {uniform: [9, 1]}}}\n", "economics.fleets[0].launch.usd_per_kg: uniform points must not decrease"),
    ("economics:\n  fleets:\n    - {fleet: orbital, gpu_failure_per_year: 2}\n", "economics.fleets[0].gpu_failure_per_year: the value 2 is outside [0, 1]"),
    ("economics:\n  fleets:\n    - {fleet: orbital, satellite_power_kw: 27}\n", "applies to sizing: explicit only"),
    ("economics:\n  fleets:\n    - {fleet: orbital, launch: {vehicle: saturn-v}}\n", "unknown launcher 'saturn-v'"),
    ("economics:\n  reference: orbital\n", "economics.reference: no site named 'orbital'"),
    ("economics:\n  yeers: 5\n", "economics.yeers: unknown field"),
])
def test_bad_economics_one_line_exit_2(tmp_path, economics, words):
    path = _write(tmp_path, economics)
    done = invoke("plan", str(path))
    assert done.exit_code == 2
    assert done.stdout == ""
    line = done.stderr.strip()
    assert "\n" not in line and line.startswith(f"{path}:") and words in line, line


def test_unknown_file_and_bad_yaml(tmp_path):
    done = invoke("plan", str(tmp_path / "missing.yaml"))
    assert done.exit_code == 2 and "file not found" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    done = invoke("plan", str(bad))
    assert done.exit_code == 2 and done.stderr.count("\n") == 1
    done = invoke("plan", str(EXAMPLE), "--samples", "-1")
    assert done.exit_code == 2 and "--samples" in done.stderr


def test_no_economics_section_uses_catalogue(tmp_path):
    """A scenario without `economics` still plans: every input from the catalogue (8%)."""
    path = _write(tmp_path, "")
    done = invoke("plan", str(path), "--json")
    assert done.exit_code == 0, done.stderr
    f = json.loads(done.stdout)["fleets"]
    assert f[0]["inputs"]["discount_rate"]["value"] == 0.08
    assert f[1]["satellites"] == 1  # the scenario's one satellite, physics-sized


def test_spacedc_earth_baseline():
    """spacedc-mdao's Earth baseline: capex 1.008 MW × 12 $/W + 1,152 × 25,000 $ =
    $40.896 M; opex/yr = 1.008 MW × 1.1 × 8760 h × 0.85 × 60 $/MWh = $495,367.49 +
    5% × $40.896 M = $2,044,800; PV at 8% over 5 y (A = 3.992710) = $10.142152 M; total
    $51.038152 M. PFLOP-days: 1,152 × 0.85 × 8760 × A × 0.54121 PFLOP/s / 24 = 772,323 →
    $66.084/PFLOP-day; spacedc's 66.04 counts 365.25 days a year (66.084 × 365/365.25 =
    66.039)."""
    f = _fleets(DATA / "spacedc-earth-baseline.yaml")["earth"]
    assert f["capex_usd"] == pytest.approx(40_896_000.0)
    assert f["annual_opex_usd"]["energy"] == pytest.approx(495_367.488)
    assert f["total_usd"] == pytest.approx(51_038_152.2, abs=1.0)
    assert f["usd_per_pflop_day"] == pytest.approx(66.084, abs=1e-3)
    assert f["usd_per_pflop_day"] * 365 / 365.25 == pytest.approx(66.04, abs=0.005)
    assert (f["capex_usd"] - f["capex_breakdown_usd"]["gpus"]) / f["delivered_power_w"] == pytest.approx(12.0)


def test_starcloud_40mw_restated():
    """Starcloud's 10-year, 40 MW bill (via angadh.com): terrestrial 40 MW × 87,600 h ×
    40 $/MWh = $140.16 M, × PUE 1.05 for cooling = $147.168 M, + $20 M backup = $167.168 M
    ($167 M published); space 40 MW × 0.08 $/W = $3.2 M + 100 t × 50 $/kg = $5 M, total
    $8.2 M, one launch."""
    f = _fleets(DATA / "starcloud-40mw.yaml")
    assert f["terrestrial"]["total_usd"] == pytest.approx(167_168_000.0)
    assert f["space"]["total_usd"] == pytest.approx(8_200_000.0)
    assert f["space"]["launches"] == 1


def test_turyshev_closure():
    """At 40 kg/kW (25 W/kg), a terrestrial 10 $/W allows 10 × 25 = 250 $/kg for launch and
    build together; at 40 $/W, 1,000 $/kg (Turyshev's 250-1,000). Falcon 9 at 3,400 $/kg is
    13.6× too dear (the abstract: 3.4-13.5×)."""
    t, o = P.build_models(load_scenario(DATA / "turyshev-closure.yaml"))
    assert P.break_even(o, t)["launch_usd_per_kg"] == pytest.approx(250.0, rel=1e-9)
    t.inputs["electrical_usd_per_w"] = fixed(40.0)
    assert P.break_even(o, t)["launch_usd_per_kg"] == pytest.approx(1000.0, rel=1e-9)
    assert float(P.usd_per_w(o, P.central_values(o))) / 10.0 == pytest.approx(13.6)


def test_growth_in_example():
    """100 launches a year × 200 t × 13.4291 kW/t (the physics-sized satellite: 20.4 kW in
    1,269.18 kg, times the mean GPU survival 0.835487 at 9%/yr over 5 years) = 0.2685815 GW a
    year; satellites retire after 5 years: flat at 5 × that."""
    f = _fleets(EXAMPLE)["orbit-650"]
    g = f["growth"]
    survival = (1 - 0.91**5) / (5 * 0.09)
    assert g["kw_per_tonne"] == pytest.approx(20.4 * survival / 1.26917716, rel=1e-6)
    assert g["added_gw"][0] == pytest.approx(100 * 200 * 20.4 * survival / 1.26917716 / 1e6, rel=1e-6)
    assert g["installed_gw"][4] == pytest.approx(5 * g["added_gw"][0]) and g["installed_gw"][-1] == g["installed_gw"][4]
    assert g["price_usd_per_kg"][0] == 600.0 and g["price_usd_per_kg"][7] == pytest.approx(200.0)


def test_rebuilds_discounted():
    """McCalip's orbit with a 2-year life over 5 years is rebuilt at years 2 and 4: each
    rebuild = satellites $23.600 B + launch $14.695 B = $38.295 B at r = 0, so the total
    grows by 2 × $38.295 B."""
    _, o = P.build_models(load_scenario(DATA / "mccalip-v-current.yaml"))
    base = P.evaluate(o, P.central_values(o))["total_usd"]
    o.fixed["rebuild_times"] = np.array([2.0, 4.0])
    again = P.evaluate(o, P.central_values(o))
    assert again["total_usd"] - base == pytest.approx(2 * (23_600_214_000.0 + 14_695_027_397.26), rel=1e-9)
    at8 = P.evaluate(o, {**P.central_values(o), "discount_rate": 0.08})["replacement_pv_usd"]
    assert at8 == pytest.approx(38_295_241_397.26 * (1 / 1.08**2 + 1 / 1.08**4), rel=1e-9)


def test_catalogue_every_figure_sourced():
    """Every economics figure has a value, a source, a YYYY-MM date and a confidence;
    assumptions are marked low."""
    import re

    from orbitgrid.catalog.economics import load_economics

    figures = list(load_economics().every_figure())
    assert len(figures) >= 30
    for where, sv in figures:
        assert sv.value is not None and sv.source and sv.source != "user input", where
        assert sv.date and re.fullmatch(r"\d{4}-\d{2}", sv.date), where
        if sv.source.startswith("assumed"):
            assert sv.confidence == "low", where


def test_example_validates_and_samples_every_fleet():
    done = invoke("validate", str(EXAMPLE))
    assert done.exit_code == 0, done.stderr
    done = invoke("plan", str(EXAMPLE), "--json", "--samples", "200", "--seed", "1")
    data = json.loads(done.stdout)
    for f in data["fleets"]:
        s = f["samples"]
        assert s["n"] == 200 and s["seed"] == 1
        for key in ("usd_per_w", "usd_per_gpu_hour", "usd_per_mwh", "usd_per_pflop_day", "total_usd"):
            assert set(s[key]) == {"p5", "p50", "p95", "mean"}
    # the site's only uncertain input is its fuel price (triangular 2-4.3-8 $/MMBtu): a
    # small spread; the orbit's launch, bus and failure rate: a wide one
    earth, orbit = (f["samples"]["usd_per_w"] for f in data["fleets"])
    assert earth["p95"] - earth["p5"] < 2.0 < orbit["p95"] - orbit["p5"]


def test_attrition_sizes_the_fleet_on_mean_gpu_survival(tmp_path):
    """Failure 10%/yr over 5 years, not replaced: mean survival (1 − 0.9⁵)/(5 × 0.1) =
    0.81902; an explicit 1 MW satellite at sun fraction 1, no degradation, delivering 1 GW
    needs ceil(1,000 / 0.81902) = 1,221 satellites (1,000 with failures replaced), and no
    GPU replacement is paid. `attrition` on a site is refused."""
    text = EXAMPLE.read_text()
    import yaml

    doc = yaml.safe_load(text)
    fleet = next(f for f in doc["economics"]["fleets"] if f["fleet"] == "orbit-650")
    for k in ("array", "radiator", "battery", "bus", "radiator_temperature_k", "bus_power_w"):
        fleet.pop(k, None)
    fleet.update({"sizing": "explicit", "satellite_power_kw": 1000.0, "specific_power_w_kg": 100.0, "sun_fraction": 1.0,
                  "degradation_per_year": 0.0, "gpu_failure_per_year": 0.1, "gpu_replacement_basis": "attrition"})
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(doc))
    done = invoke("plan", str(path), "--json")
    assert done.exit_code == 0, done.stdout + done.stderr
    orbit = {f["name"]: f for f in json.loads(done.stdout)["fleets"]}["orbit-650"]
    assert orbit["satellites"] == 1_221
    assert orbit["annual_opex_usd"]["gpu_replacement"] == 0.0
    fleet["gpu_replacement_basis"] = "gpus"
    path.write_text(yaml.safe_dump(doc))
    orbit = {f["name"]: f for f in json.loads(invoke("plan", str(path), "--json").stdout)["fleets"]}["orbit-650"]
    assert orbit["satellites"] == 1_000
    site = next(f for f in doc["economics"]["fleets"] if f["fleet"] == "texas-gas")
    site["gpu_replacement_basis"] = "attrition"
    path.write_text(yaml.safe_dump(doc))
    done = invoke("plan", str(path))
    assert done.exit_code == 2 and "attrition applies to constellations only" in done.stdout + done.stderr
