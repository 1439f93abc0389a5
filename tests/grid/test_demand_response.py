"""Curtailment events worked out by hand (engine/curtailment.py, grid/demand_response.py).

The lab: one site, PUE 1, ten H100s drawing 1,000 W busy and 100 W idle (set in the
scenario; the catalogue's H100 board is 700 W, which is what a power cap holds), eight
one-GPU jobs of 100 h that all start at hour 0. At hour 2 the site draws
8 x 1,000 + 2 x 100 = 8,200 W; that is each event's baseline.
"""

from __future__ import annotations

import math

import pytest

from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario


def _scenario(tmp_path, dr: str, preemptible: list[bool], extra_jobs: str = "") -> object:
    rows = "".join(f"0,1,100,{'true' if p else 'false'}\n" for p in preemptible)
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h,preemptible\n" + rows + extra_jobs)
    (tmp_path / "s.yaml").write_text(f"""
name: dr
simulation: {{duration_h: 8, tick_s: 3600, seed: 0}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: h, gpu: H100, count: 10, busy_power_w: 1000, idle_power_w: 100}}
    demand_response: {dr}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo}}
""")
    return simulate(load_scenario(tmp_path / "s.yaml"))


def _event(result) -> dict:
    rows = result.tables["curtailment"].to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_met_exactly_when_enough_preemptible_work(tmp_path):
    """Shed 50%: target 4,100 W; 100 W x 10 + a x 900 W <= 4,100 W allows a = 3 busy GPUs,
    so five of the eight (all preemptible) are paused: 3,700 W for 3 h. Curtailed
    (8,200 - 3,700) W x 3 h = 13.5 kWh; deferred 5 GPUs x 3 h = 15 GPU-h."""
    r = _scenario(tmp_path, "{events: [{start_h: 2, duration_h: 3, shed_percent: 50}]}", [True] * 8)
    ev = _event(r)
    assert ev["baseline_mw"] == pytest.approx(8200e-6)
    assert ev["target_mw"] == pytest.approx(4100e-6)
    assert ev["max_mw"] == pytest.approx(3700e-6)
    assert ev["met"] is True
    assert ev["curtailed_mwh"] == pytest.approx(13.5e-3)
    assert ev["deferred_gpu_h"] == pytest.approx(15.0)
    s = r.summary
    assert (s["curtailment_events"], s["curtailment_events_met"]) == (1, 1)
    assert s["curtailed_mwh"] == pytest.approx(13.5e-3)
    assert s["deferred_gpu_hours"] == pytest.approx(15.0)
    # the paused gangs come back when the event ends: 8 busy again from hour 5
    ts = r.tables["timeseries"].to_pydict()
    assert ts["allocated_gpus"][2:5] == [3, 3, 3] and ts["allocated_gpus"][5] == 8
    assert s["preemptions"] == 5


def test_missed_when_too_little_preemptible_work(tmp_path):
    """Same event, but four of the eight jobs may not be paused: only the four others stop,
    leaving 1,000 + 4 x 900 = 4,600 W > 4,100 W: missed by 500 W for 3 h = 1.5 kWh; paid
    10 USD/MWh for (8,200 - 4,600) W x 3 h = 10.8 kWh and fined 1,000 USD/MWh for 1.5 kWh."""
    dr = ("{events: [{start_h: 2, duration_h: 3, shed_percent: 50}], "
          "payment: {energy_usd_per_mwh: 10, penalty_usd_per_mwh: 1000}}")
    r = _scenario(tmp_path, dr, [True, False] * 4)
    ev = _event(r)
    assert ev["met"] is False
    assert ev["max_mw"] == pytest.approx(4600e-6)
    assert ev["shortfall_mwh"] == pytest.approx(1.5e-3)
    assert ev["curtailed_mwh"] == pytest.approx(10.8e-3)
    assert ev["revenue_usd"] == pytest.approx(10.8e-3 * 10 - 1.5e-3 * 1000)
    assert r.summary["curtailment_events_met"] == 0
    jobs = r.tables["jobs"].to_pylist()
    assert [j["preemptions"] for j in jobs] == [1, 0] * 4  # only the preemptible ones paused


def test_power_cap_alone_meets_a_small_shed(tmp_path):
    """Shed 25% (target 6,150 W) with caps down to half the 700 W board: the cap f solves
    8,200 - (1 - f) x 8 x 700 = 6,150, f = 0.63393; nothing is paused, the site draws
    exactly 6,150 W, and the gangs run at ((0.63393 x 700 - 100) / 600) ** (1/3) = 0.8307
    of full speed (physics/power_cap.py)."""
    dr = "{events: [{start_h: 2, duration_h: 3, shed_percent: 25}], min_power_cap: 0.5}"
    r = _scenario(tmp_path, dr, [True] * 8)
    ev = _event(r)
    f = 1.0 - (8200.0 - 6150.0) / 5600.0
    assert ev["power_cap"] == pytest.approx(f)
    assert ev["max_mw"] == pytest.approx(6150e-6)
    assert ev["met"] is True
    assert r.summary["preemptions"] == 0
    speeds = {round(a["speed"], 4) for a in r.tables["allocations"].to_pylist() if a["start_h"] == 2.0}
    assert speeds == {round(((f * 700 - 100) / 600) ** (1 / 3), 4)}
    # the energy at the meter during the event is the capped draw
    ts = r.tables["timeseries"].to_pydict()
    assert ts["facility_power_mw"][3] == pytest.approx(6150e-6)


def test_notice_holds_new_starts_without_stopping_work(tmp_path):
    """Announced at hour 1 for hour 3 (notice 2 h), limit 2,800 W: 1,000 + a x 900 <= 2,800
    allows 2 GPUs. Five jobs run from hour 0; a sixth arriving at hour 2 is held back
    by the notice (nothing running is stopped before hour 3), then three are paused."""
    dr = "{events: [{start_h: 3, duration_h: 2, limit_mw: 0.0028, notice_h: 2}]}"
    r = _scenario(tmp_path, dr, [True] * 5, extra_jobs="2,1,100,true\n")
    ts = r.tables["timeseries"].to_pydict()
    assert ts["allocated_gpus"][:6] == [5, 5, 5, 2, 2, 6]
    ev = _event(r)
    assert ev["baseline_mw"] == pytest.approx((5 * 1000 + 5 * 100) * 1e-6)  # at the notice
    assert ev["met"] is True


def test_price_trigger_makes_one_event_per_run_of_dear_hours(tmp_path):
    """Hourly prices 10, 300, 300, 10, 500, 10, ... with a trigger above 200 USD/MWh: two
    events (hours 1-3 and 4-5)."""
    prices = [10, 300, 300, 10, 500] + [10] * 5
    lines = ["Datetime (UTC),Datetime (Local),Price (USD/MWh)"]
    for h, p in enumerate(prices):
        lines.append(f"2024-01-01 {h:02d}:00:00+00:00,2024-01-01 {h:02d}:00:00+00:00,{p}")
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n0,1,100\n")
    (tmp_path / "s.yaml").write_text("""
name: dr
simulation: {duration_h: 8, tick_s: 3600, seed: 0, start: "2024-01-01T00:00:00"}
sites:
  - name: lab
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 10
    pue: 1.0
    grid: {prices: p.csv}
    pools:
      - {name: h, gpu: H100, count: 2, busy_power_w: 1000, idle_power_w: 100}
    demand_response: {price_trigger: {above_usd_per_mwh: 200, shed_percent: 10},
                      payment: {energy_usd_per_mwh: price}}
workload: {reference_gpu: H100, csv: jobs.csv}
policy: {name: fifo}
""")
    r = simulate(load_scenario(tmp_path / "s.yaml"))
    rows = r.tables["curtailment"].to_pylist()
    assert [(e["start_h"], e["end_h"], e["source"]) for e in rows] == [(1.0, 3.0, "price"), (4.0, 5.0, "price")]
    # 1,100 W baseline, 990 W target: the one busy GPU (1,000 W busy) must stop -> 200 W
    assert all(e["met"] for e in rows)
    # paid the hour's price for what was shed: 900 W x (300 + 300 + 500) USD/MWh x 1 h
    assert r.summary["demand_response_revenue_usd"] == pytest.approx(900e-6 * (300 + 300 + 500))


def test_no_programme_gives_none(tmp_path):
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h\n0,1,1\n")
    from lab import lab_scenario, pool

    (tmp_path / "s.yaml").write_text(lab_scenario(pool("h", "H100", 2)))
    s = simulate(load_scenario(tmp_path / "s.yaml")).summary
    assert s["curtailment_events"] is None and s["demand_response_revenue_usd"] is None
    assert not math.isnan(s["energy_mwh"])


def test_overlapping_events_count_each_mwh_once(tmp_path):
    """The same 50% event given twice: the site sheds 13.5 kWh once, not twice (the earlier
    event owns the shared steps); both are met."""
    ev = "{start_h: 2, duration_h: 3, shed_percent: 50}"
    r = _scenario(tmp_path, f"{{events: [{ev}, {ev}], payment: {{energy_usd_per_mwh: 10}}}}", [True] * 8)
    rows = r.tables["curtailment"].to_pylist()
    assert [e["met"] for e in rows] == [True, True]
    assert r.summary["curtailed_mwh"] == pytest.approx(13.5e-3)
    assert r.summary["curtailment_deferred_gpu_hours"] == pytest.approx(15.0)
    assert r.summary["demand_response_revenue_usd"] == pytest.approx(13.5e-3 * 10)


def test_event_start_must_be_a_time(tmp_path):
    from orbitgrid.errors import InputError

    (tmp_path / "ev.csv").write_text("start,duration_h,shed_percent\n,2,30\n")
    with pytest.raises(InputError, match="start: not an ISO 8601 time"):
        _scenario(tmp_path, "{events_file: ev.csv}", [True])


def test_pauses_across_pools_until_the_site_fits(tmp_path):
    """Two pools of 4 GPUs (1,000 W busy, 100 W idle): pool a runs a 4-GPU job that may not
    be paused, pool b two preemptible 2-GPU jobs. Limit 5,000 W: each pool's share allows 2
    busy GPUs (800 + 4 x 900 = 4,400 W), but pool a's 4 stay, so pool b must stop both of
    its jobs: 800 + 4 x 900 = 4,400 W <= 5,000 W, met (one would leave 6,200 W)."""
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h,preemptible,gpu_types\n"
                                       "0,4,400,false,H100\n0,2,200,true,H200\n0,2,200,true,H200\n")
    (tmp_path / "s.yaml").write_text("""
name: dr2
simulation: {duration_h: 8, tick_s: 3600, seed: 0}
sites:
  - name: lab
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {name: a, gpu: H100, count: 4, busy_power_w: 1000, idle_power_w: 100}
      - {name: b, gpu: H200, count: 4, busy_power_w: 1000, idle_power_w: 100}
    demand_response: {events: [{start_h: 2, duration_h: 3, limit_mw: 0.005}]}
workload: {reference_gpu: H100, csv: jobs.csv}
policy: {name: fifo}
""")
    r = simulate(load_scenario(tmp_path / "s.yaml"))
    ev = _event(r)
    assert ev["met"] is True
    assert ev["max_mw"] == pytest.approx(4400e-6)
    assert [j["preemptions"] for j in r.tables["jobs"].to_pylist()] == [0, 1, 1]
