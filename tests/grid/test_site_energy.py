"""Site energy by hand: GPU energy x PUE = site energy, with a PUE that follows the outside
temperature (grid/pue.py, world/pools.py), and the grid cap it implies."""

from __future__ import annotations

import pytest

from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario


def _write(tmp_path, temps: list[float], cap_mw: float = 10.0, jobs: str = "0,1,2\n") -> object:
    lines = ["Datetime (UTC),Temperature (C)"] + [f"2024-07-01 {h:02d}:00:00+00:00,{t}" for h, t in enumerate(temps)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n" + jobs)
    (tmp_path / "s.yaml").write_text(f"""
name: pue
simulation: {{duration_h: 2, tick_s: 3600, seed: 0, start: "2024-07-01T00:00:00"}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: {cap_mw}
    pue: 1.2
    pue_curve: {{temperature: t.csv, points: [[15, 1.1], [25, 1.3]]}}
    pools:
      - {{name: h, gpu: H100, count: 2, busy_power_w: 1000, idle_power_w: 100}}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo}}
""")
    return simulate(load_scenario(tmp_path / "s.yaml"))


def test_gpu_energy_times_hourly_pue_is_site_energy(tmp_path):
    """One GPU busy (1,000 W) and one idle (100 W) for two hours: IT energy 2 x 1.1 kWh =
    2.2 kWh. Hour 0 at 10 C (below the curve: PUE 1.1), hour 1 at 20 C (halfway: PUE 1.2):
    site energy 1.1 x 1.1 + 1.1 x 1.2 = 2.53 kWh."""
    s = _write(tmp_path, [10.0, 20.0, 20.0]).summary
    assert s["it_energy_mwh"] == pytest.approx(2.2e-3)
    assert s["energy_mwh"] == pytest.approx(2.53e-3)
    assert s["peak_power_mw"] == pytest.approx(1.1 * 1.2e-3)


def test_a_hot_hour_lowers_what_the_grid_cap_allows(tmp_path):
    """Cap 2.3 kW at the meter: at PUE 1.1 (hour 0) two busy GPUs draw 2.2 kW and fit; at
    30 C (PUE 1.3) 2.86 kW does not, and one GPU (1.43 kW) does: 2 busy, then 1."""
    r = _write(tmp_path, [10.0, 30.0, 30.0], cap_mw=0.0023, jobs="0,1,2\n0,1,2\n")
    ts = r.tables["timeseries"].to_pydict()
    assert ts["capacity_gpus"] == [2, 1]
    assert ts["allocated_gpus"] == [2, 1]


def test_temperature_file_must_cover_the_run(tmp_path):
    from orbitgrid.errors import InputError

    with pytest.raises(InputError, match="temperatures cover"):
        _write(tmp_path, [10.0])


def _onsite(tmp_path, onsite: str, prices: list[float]) -> dict:
    lines = ["Datetime (UTC),Datetime (Local),Price (USD/MWh)"]
    lines += [f"2024-07-01 {h:02d}:00:00+00:00,2024-07-01 {h:02d}:00:00+00:00,{p}" for h, p in enumerate(prices)]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "cf.csv").write_text("Datetime (UTC),Capacity factor\n2024-07-01 00:00:00+00:00,0\n"
                                     "2024-07-01 01:00:00+00:00,0.5\n2024-07-01 02:00:00+00:00,0\n")
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n0,1,2\n")
    (tmp_path / "s.yaml").write_text(f"""
name: onsite
simulation: {{duration_h: 2, tick_s: 3600, seed: 0, start: "2024-07-01T00:00:00"}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    grid: {{prices: p.csv}}
    onsite: {onsite}
    pools:
      - {{name: h, gpu: H100, count: 2, busy_power_w: 1000, idle_power_w: 100}}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo}}
""")
    return simulate(load_scenario(tmp_path / "s.yaml")).summary


def test_gas_runs_when_cheaper_than_the_grid(tmp_path):
    """Load 1,100 W for two hours; grid 100 then 10 USD/MWh; turbines at 10 MMBtu/MWh x
    4 USD/MMBtu + 10 USD/MWh O&M = 50 USD/MWh: gas in hour 0, grid in hour 1.
    Cost 1.1 kWh x 50 + 1.1 kWh x 10 USD/MWh = 0.066 USD."""
    s = _onsite(tmp_path, "{gas: {capacity_mw: 0.01, heat_rate_mmbtu_per_mwh: 10, fuel_usd_per_mmbtu: 4, "
                          "variable_om_usd_per_mwh: 10}}", [100, 10, 10])
    assert s["onsite_gas_mwh"] == pytest.approx(1.1e-3)
    assert s["grid_energy_mwh"] == pytest.approx(1.1e-3)
    assert s["energy_cost_usd"] == pytest.approx(0.066)
    assert s["onsite_gas_cost_usd"] == pytest.approx(1.1e-3 * 50)
    assert s["energy_mwh"] == pytest.approx(2.2e-3)  # the site's demand is unchanged


def test_solar_profile_offsets_grid_energy(tmp_path):
    """1 kW of PV at capacity factor 0 then 0.5: 500 W in hour 1, so the grid sells
    1.1 + 0.6 = 1.7 kWh at 20 USD/MWh = 0.034 USD."""
    s = _onsite(tmp_path, "{solar: {capacity_mw: 0.001, profile: cf.csv}}", [20, 20, 20])
    assert s["onsite_solar_mwh"] == pytest.approx(0.5e-3)
    assert s["grid_energy_mwh"] == pytest.approx(1.7e-3)
    assert s["energy_cost_usd"] == pytest.approx(1.7e-3 * 20)


def _capped(tmp_path, pool_extra: str, accelerators: str = "") -> object:
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n0,1,1\n")
    (tmp_path / "s.yaml").write_text(f"""
name: cap
simulation: {{duration_h: 4, tick_s: 3600, seed: 0}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: h, count: 1, busy_power_w: 1000, idle_power_w: 100{pool_extra}}}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo}}
{accelerators}""")
    return simulate(load_scenario(tmp_path / "s.yaml"))


def test_a_standing_power_cap_trades_speed_for_power(tmp_path):
    """An H100 (700 W board) capped at half its TDP: busy draw 1,000 - 350 = 650 W; speed
    ((350 - 100) / (700 - 100)) ** (1/3) = 0.7469 (physics/power_cap.py); one reference
    GPU-hour takes 1 / 0.7469 = 1.3389 h and 650 W x 1.3389 h = 0.8703 kWh."""
    r = _capped(tmp_path, ", gpu: H100, power_cap: 0.5")
    speed = (250.0 / 600.0) ** (1.0 / 3.0)
    job = r.tables["jobs"].to_pylist()[0]
    assert job["end_h"] == pytest.approx(1.0 / speed)
    assert r.summary["it_energy_mwh"] == pytest.approx((650.0 / speed + 100.0 * (4 - 1.0 / speed)) * 1e-6)


def test_a_measured_curve_from_the_catalogue_replaces_the_model(tmp_path):
    """A user's accelerator measured at 60% throughput with a 50% cap (points [[0.5, 0.6]]):
    the job of one reference GPU-hour takes 1 / 0.6 h."""
    acc = """accelerators:
  capped-h100:
    bf16_tflops: 989.4
    tdp_w: 700
    power_cap_curve: {points: [[0.5, 0.6]], source: "hand-made for this test"}
"""
    r = _capped(tmp_path, ", gpu: capped-h100, power_cap: 0.5", acc)
    assert r.tables["jobs"].to_pylist()[0]["end_h"] == pytest.approx(1.0 / 0.6)
