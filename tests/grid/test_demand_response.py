"""Curtailment events worked out by hand (engine/curtailment.py, grid/demand_response.py).

The lab: one site, PUE 1, ten H100s drawing 1,000 W busy and 100 W idle (set in the
scenario; the catalogue's H100 board is 700 W, which is what a power cap holds), eight
one-GPU jobs of 100 h that all start at hour 0. At hour 2 the site draws
8 x 1,000 + 2 x 100 = 8,200 W; that is each event's baseline.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario


def _scenario(tmp_path, dr: str, preemptible: list[bool], extra_jobs: str = "") -> object:
    rows = "".join(f"0,1,100,{'true' if p else 'false'}\n" for p in preemptible)
    return _lab(tmp_path, rows + extra_jobs, dr, start=None)


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
    be paused, pool b two preemptible 2-GPU jobs. Limit 5,000 W against 800 + 8 x 900 =
    8,000 W: 3,000 W must go, pool a's 4 stay, and each 2-GPU job saves 1,800 W, so both
    stop: 800 + 4 x 900 = 4,400 W <= 5,000 W, met (one would leave 6,200 W)."""
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


def _lab(tmp_path, jobs: str, dr: str, pue_line: str = "", duration_h: int = 8, start: str | None = "2024-07-01T00:00:00"):
    """One site at PUE 1 (or a PUE curve), ten H100s at 1,000 W busy and 100 W idle, FIFO,
    the jobs of a job file (arrival_h, gpus, work_gpu_h, preemptible) and a programme `dr`."""
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h,preemptible\n" + jobs)
    start_field = f', start: "{start}"' if start else ""
    (tmp_path / "s.yaml").write_text(f"""
name: dr
simulation: {{duration_h: {duration_h}, tick_s: 3600, seed: 0{start_field}}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    {pue_line}
    pools:
      - {{name: h, gpu: H100, count: 10, busy_power_w: 1000, idle_power_w: 100}}
    demand_response: {dr}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo}}
""")
    return simulate(load_scenario(tmp_path / "s.yaml"))


@pytest.mark.parametrize(("freed", "excess", "chosen"), [
    # the least saving that reaches the excess, by hand over every subset of (5, 3, 8, 2):
    ([5.0, 3.0, 8.0, 2.0], 6.0, [0, 3]),  # 5 + 2 = 7 beats 8 alone and 5 + 3
    ([5.0, 3.0, 8.0, 2.0], 3.0, [1]),  # exactly enough counts as enough
    ([5.0, 3.0, 8.0, 2.0], 10.0, [2, 3]),  # 8 + 2 = 10 (5 + 3 + 2 is also 10, in three gangs)
    ([5.0, 3.0, 8.0, 2.0], 12.0, [2, 0]),  # 13 either way (8 + 5 or 8 + 3 + 2): fewer gangs
    ([5.0, 3.0, 8.0, 2.0], 20.0, [2, 0, 1, 3]),  # not enough in all: every one, largest first
    ([3.0, 3.0, 3.0], 2.0, [0]),  # equals: the first in preference order (the newest)
    ([3.0, 3.0, 3.0], 4.0, [0, 1]),
    ([256.0, 64.0, 64.0, 64.0], 100.0, [1, 2]),  # two small gangs, not the big newest one
    ([0.0, 4.0], 1.0, [1]),  # a gang that frees nothing is never paused
    ([4.0], 0.0, []),
])
def test_pick_gangs_to_pause_sheds_as_little_as_it_can(freed, excess, chosen):
    from orbitgrid.engine.curtailment import pick_gangs_to_pause

    assert pick_gangs_to_pause(np.array(freed), excess).tolist() == chosen


def test_pauses_the_smallest_gang_that_is_enough_not_the_newest(tmp_path):
    """Two one-GPU jobs from hour 0 and a six-GPU job from hour 1: 8,200 W at hour 2. A
    7,300 W limit needs 900 W off: one one-GPU job (the newer of the two, job 1) is paused,
    not the newest gang of six (which would leave 2,800 W, 4,500 W below the target).
    Deferred: 1 GPU x 3 h."""
    jobs = "0,1,100,true\n0,1,100,true\n1,6,600,true\n"
    r = _lab(tmp_path, jobs, "{events: [{start_h: 2, duration_h: 3, limit_mw: 0.0073}]}")
    ev = _event(r)
    assert ev["met"] is True
    assert ev["max_mw"] == pytest.approx(7300e-6)
    assert ev["deferred_gpu_h"] == pytest.approx(3.0)
    assert [j["preemptions"] for j in r.tables["jobs"].to_pylist()] == [0, 1, 0]
    assert r.tables["timeseries"].to_pydict()["allocated_gpus"][:6] == [2, 8, 7, 7, 7, 8]


def test_a_pue_rising_during_the_event_is_met_by_another_pause(tmp_path):
    """PUE follows the temperature, 1.0 at 20 C to 2.0 at 40 C; hour 3 is at 30 C (PUE 1.5),
    the others at 20 C. Eight one-GPU jobs; limit 4,600 W for hours 2-4.
    Hour 2 (PUE 1.0): 1,000 + a x 900 <= 4,600 keeps a = 4 (four paused).
    Hour 3 (PUE 1.5): four would draw 1.5 x 4,600 = 6,900 W; each pause saves 1.5 x 900 =
    1,350 W, so two more stop: 1.5 x (1,000 + 2 x 900) = 4,200 W.
    Hour 4 (PUE 1.0): 4,600 - 2,800 = 1,800 W of room lets two restart: 4,600 W.
    The event is met; with the limits of hour 2 kept it would have drawn 6,900 W."""
    temps = [20, 20, 20, 30, 20, 20, 20, 20, 20]
    lines = ["Datetime (UTC),Temperature (C)"] + [f"2024-07-01 {h:02d}:00:00+00:00,{t}" for h, t in enumerate(temps)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    r = _lab(tmp_path, "0,1,100,true\n" * 8, "{events: [{start_h: 2, duration_h: 3, limit_mw: 0.0046}]}",
             pue_line="pue_curve: {temperature: t.csv, points: [[20, 1.0], [40, 2.0]]}")
    ts = r.tables["timeseries"].to_pydict()
    assert ts["allocated_gpus"][:6] == [8, 8, 4, 2, 4, 8]
    assert ts["facility_power_mw"][2:5] == pytest.approx([4600e-6, 4200e-6, 4600e-6])
    ev = _event(r)
    assert ev["met"] is True
    assert ev["max_mw"] == pytest.approx(4600e-6)
    assert r.summary["preemptions"] == 6


def test_a_cap_deepens_before_anything_is_paused_when_pue_rises(tmp_path):
    """The same PUE step, caps down to half the 700 W board and a 25% shed of 8,200 W
    (target 6,150 W). Hour 2: f = 1 - 2,050 / 5,600 = 0.63393, nothing paused. Hour 3
    (PUE 1.5): the cap goes to its floor 0.5 (IT 8,200 - 0.5 x 5,600 = 5,400 W, 8,100 W at
    the meter), still above, so gangs are paused: at the 0.5 cap a busy GPU draws
    1,000 - 350 = 650 W, 550 W over idle, 825 W at the meter; 1,950 W off takes three:
    1.5 x (1,000 + 5 x 550) = 5,625 W. The cap never goes back up during the event."""
    temps = [20, 20, 20, 30, 20, 20, 20, 20, 20]
    lines = ["Datetime (UTC),Temperature (C)"] + [f"2024-07-01 {h:02d}:00:00+00:00,{t}" for h, t in enumerate(temps)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    dr = "{events: [{start_h: 2, duration_h: 3, shed_percent: 25}], min_power_cap: 0.5}"
    r = _lab(tmp_path, "0,1,100,true\n" * 8, dr,
             pue_line="pue_curve: {temperature: t.csv, points: [[20, 1.0], [40, 2.0]]}")
    ts = r.tables["timeseries"].to_pydict()
    assert ts["facility_power_mw"][2] == pytest.approx(6150e-6)
    assert ts["allocated_gpus"][2:4] == [8, 5]
    assert ts["facility_power_mw"][3] == pytest.approx(5625e-6)
    ev = _event(r)
    assert ev["power_cap"] == pytest.approx(0.5)
    assert ev["met"] is True
