"""Electricity cost and carbon of a run, by hand (grid/accounting.py)."""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate
from orbitgrid.errors import InputError

PRICES = """Datetime (UTC),Datetime (Local),Price (USD/MWh)
2024-01-01 00:00:00+00:00,2023-12-31 16:00:00-08:00,50
2024-01-01 01:00:00+00:00,2023-12-31 17:00:00-08:00,100
2024-01-01 02:00:00+00:00,2023-12-31 18:00:00-08:00,70
"""
CARBON = """Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)
2024-01-01 00:00:00,X,200,250
2024-01-01 01:00:00,X,300,350
2024-01-01 02:00:00,X,100,150
"""
SCENARIO = """
name: grid-by-hand
simulation: {{duration_h: 2, start: "{start}", tick_s: 900}}
sites:
  - name: s
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.5
    grid: {grid}
    pools: [{{name: h100, gpu: H100, count: 8, busy_power_w: 1000, idle_power_w: 0}}]
workload: {{reference_gpu: H100, csv: jobs.csv}}
"""


def _run(write_scenario, tmp_path, grid="{prices: p.csv, carbon: c.csv}", start="2024-01-01T00:00:00"):
    (tmp_path / "p.csv").write_text(PRICES, encoding="utf-8")
    (tmp_path / "c.csv").write_text(CARBON, encoding="utf-8")
    return simulate(write_scenario(SCENARIO.format(grid=grid, start=start), "arrival_h,gpus,work_gpu_h\n0,8,12\n"))


def test_cost_and_carbon_by_hand(write_scenario, tmp_path):
    """8 GPUs at 1,000 W for 1.5 h, PUE 1.5: 12 kW at the meter; 12 kWh in hour 0 (50
    USD/MWh, 200 / 250 g/kWh), 6 kWh in hour 1 (100 USD/MWh, 300 / 350 g/kWh); idle draws 0.
    Cost 0.012 x 50 + 0.006 x 100 = 1.20 USD; carbon 12 x 200 + 6 x 300 = 4,200 g = 0.0042 t
    direct, 12 x 250 + 6 x 350 = 5,100 g life-cycle."""
    s = _run(write_scenario, tmp_path).summary
    assert s["energy_mwh"] == pytest.approx(0.018)
    assert s["energy_cost_usd"] == pytest.approx(1.20)
    assert s["carbon_t"] == pytest.approx(0.0042) and s["carbon_lca_t"] == pytest.approx(0.0051)


def test_start_moves_the_prices(write_scenario, tmp_path):
    """Starting at 01:00 UTC the same 12 + 6 kWh fall in hours 1 and 2: 0.012 x 100 +
    0.006 x 70 = 1.62 USD. A start outside the series is refused, naming the site's grid."""
    (tmp_path / "p.csv").write_text(PRICES, encoding="utf-8")
    s = _run(write_scenario, tmp_path, start="2024-01-01T01:00:00")
    # the run needs hours 1 and 2 only, so the 3-hour file covers it
    assert s.summary["energy_cost_usd"] == pytest.approx(1.62)
    with pytest.raises(InputError) as info:
        _run(write_scenario, tmp_path, start="2024-01-01T02:00:00")
    assert info.value.problems[0].path == "sites[0].grid" and "covers" in info.value.problems[0].message


def test_no_grid_no_cost(write_scenario, tmp_path):
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n0,8,12\n", encoding="utf-8")
    text = SCENARIO.format(grid="null", start="2024-01-01T00:00:00")
    s = simulate(write_scenario(text, "arrival_h,gpus,work_gpu_h\n0,8,12\n")).summary
    assert s["energy_cost_usd"] is None and s["carbon_t"] is None


def test_unknown_zone_and_missing_file(write_scenario, tmp_path):
    with pytest.raises(InputError) as info:
        _run(write_scenario, tmp_path, grid="{zone: US-TEX-ERCOT, prices: nope.csv}")
    paths = sorted(p.path for p in info.value.problems)
    assert paths == ["sites[0].grid.prices", "sites[0].grid.zone"]
    assert any("did you mean 'US-TEX-ERCO'" in (p.hint or "") for p in info.value.problems)


def test_the_grid_table_per_step(write_scenario, tmp_path):
    """Eight 15-minute steps over 2 h: 12 kW at the meter for the first six (1.5 h), 0 after;
    each step's price is its hour's; cost and carbon per step add up to the summary's."""
    r = _run(write_scenario, tmp_path)
    rows = r.tables["grid"].to_pylist()
    assert len(rows) == 8 and {row["site"] for row in rows} == {"s"}
    assert [row["facility_power_mw"] for row in rows] == pytest.approx([0.012] * 6 + [0.0] * 2)
    assert [row["price_usd_per_mwh"] for row in rows] == pytest.approx([50] * 4 + [100] * 4)
    assert sum(row["cost_usd"] for row in rows) == pytest.approx(r.summary["energy_cost_usd"])
    assert sum(row["carbon_kg"] for row in rows) / 1e3 == pytest.approx(r.summary["carbon_t"])


def test_report_draws_the_grid_figure(write_scenario, tmp_path):
    """A run with a grid zone gets the price/carbon figure in its report; one without, not."""
    from orbitgrid.results.store import write_run

    r = _run(write_scenario, tmp_path)
    run_dir = write_run(tmp_path / "runs", "g", r.tables, r.summary, "name: g\n", {}, write_report=True)
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="orbitgrid-grid"' in page and "Grid price and carbon intensity per site" in page


def test_water_by_hand(write_scenario, tmp_path):
    """WUE 0.4 L/kWh (REFERENCE.md's industry figure) on the 12 kWh of IT energy (8 kW for
    1.5 h; PUE does not enter: WUE is per IT kWh): 4.8 L = 0.0048 m3. No WUE: None."""
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n0,8,12\n", encoding="utf-8")
    text = SCENARIO.format(grid="null", start="2024-01-01T00:00:00").replace("    pue: 1.5\n",
                                                                          "    pue: 1.5\n    water_l_per_kwh: 0.4\n")
    s = simulate(write_scenario(text, "arrival_h,gpus,work_gpu_h\n0,8,12\n")).summary
    assert s["water_m3"] == pytest.approx(0.0048) and s["energy_cost_usd"] is None
    assert _run(write_scenario, tmp_path).summary["water_m3"] is None


def test_packaged_grid_example_runs_a_week():
    """examples/grid.yaml, cut to its first week: all three zones priced; the cost equals the
    sum of the grid table's rows and lies between the cheapest and dearest hour's price times
    the energy."""
    from importlib import resources

    from orbitgrid.scenario import LoadedScenario, load_scenario

    loaded = load_scenario(str(resources.files("orbitgrid").joinpath("examples/grid.yaml")))
    sc = loaded.scenario
    assert [s.grid.zone for s in sc.sites] == ["US-CAL-CISO", "US-TEX-ERCO", "US-MIDA-PJM"]
    short = sc.model_copy(update={"simulation": sc.simulation.model_copy(update={"duration_h": 168.0})})
    r = simulate(LoadedScenario(scenario=short, file=loaded.file, text=loaded.text))
    rows = r.tables["grid"].to_pylist()
    assert {row["site"] for row in rows} == {"california", "texas", "virginia"}
    assert sum(row["cost_usd"] for row in rows) == pytest.approx(r.summary["energy_cost_usd"])
    prices = [row["price_usd_per_mwh"] for row in rows]
    energy = r.summary["energy_mwh"]
    assert min(prices) * energy <= r.summary["energy_cost_usd"] <= max(prices) * energy
