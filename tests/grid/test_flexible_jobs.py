"""policy.carbon_aware through the whole run (grid/flexible_jobs.py), by hand on tiny zones."""

from __future__ import annotations

import pytest

from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario

CARBON_HEADER = "Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)"


def _zone(tmp_path, name: str, values: list[float]) -> None:
    rows = [CARBON_HEADER] + [f"2024-07-01 {h:02d}:00:00+00:00,{name},{v},{v}" for h, v in enumerate(values)]
    (tmp_path / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _site(name: str, zone: str) -> str:
    return f"""
  - name: {name}
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    grid: {{carbon: {zone}.csv}}
    pools: [{{name: {name}-h, gpu: H100, count: 1, busy_power_w: 1000, idle_power_w: 0}}]"""


def _run(tmp_path, sites: str, mode: str, jobs: str) -> object:
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h,deferral_window_h\n" + jobs)
    (tmp_path / "s.yaml").write_text(f"""
name: flex
simulation: {{duration_h: 6, tick_s: 3600, seed: 0, start: "2024-07-01T00:00:00"}}
sites:{sites}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo, carbon_aware: {{mode: {mode}}}}}
""")
    return simulate(load_scenario(tmp_path / "s.yaml"))


def test_temporal_waits_for_the_clean_hour(tmp_path):
    """Intensity 5, 1, 9, ... g/kWh: a 1-hour job submitted at 0 with a 2-hour window runs in
    hour 1 (1 kWh x 1 g); without its window it runs at once (5 g). Its wait counts from 0."""
    _zone(tmp_path, "z", [5, 1, 9, 9, 9, 9, 9, 9])
    r = _run(tmp_path, _site("a", "z"), "temporal", "0,1,1,2\n")
    job = r.tables["jobs"].to_pylist()[0]
    assert (job["arrival_h"], job["released_h"], job["first_start_h"], job["wait_h"]) == (0.0, 1.0, 1.0, 1.0)
    assert r.summary["carbon_t"] == pytest.approx(1e-6)
    assert r.summary["jobs_deferred"] == 1
    assert r.summary["deferred_gpu_hours"] == pytest.approx(1.0)
    base = _run(tmp_path, _site("a", "z"), "home", "0,1,1,2\n")
    assert base.summary["carbon_t"] == pytest.approx(5e-6)
    assert base.summary["jobs_deferred"] == 0


def test_spatial_moves_to_the_cleaner_zone_after_the_transfer(tmp_path):
    """Two one-GPU sites, 8 and 2 g/kWh flat; a job homed at either runs at the clean site.
    With 10 GB per GPU at 80 Gbit/s (1 s to move) a job homed at the dirty site starts there
    1 s after submission."""
    _zone(tmp_path, "dirty", [8] * 8)
    _zone(tmp_path, "clean", [2] * 8)
    (tmp_path / "jobs.csv").write_text("")
    sites = _site("d", "dirty") + _site("c", "clean")
    (tmp_path / "jobs.csv").write_text("arrival_h,gpus,work_gpu_h,deferral_window_h\n" + "0,1,1,3\n")
    text = f"""
name: flex
simulation: {{duration_h: 6, tick_s: 3600, seed: 0, start: "2024-07-01T00:00:00"}}
sites:{sites}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo, carbon_aware: {{mode: spatial, data_gb_per_gpu: 10, transfer_gbps: 80}}}}
"""
    (tmp_path / "s.yaml").write_text(text)
    r = simulate(load_scenario(tmp_path / "s.yaml"))
    alloc = r.tables["allocations"].to_pylist()
    assert [a["pool_id"] for a in alloc] == [1]  # the clean site's pool
    assert r.summary["carbon_t"] == pytest.approx(2e-6)
    job = r.tables["jobs"].to_pylist()[0]
    moved = r.summary["jobs_moved_site"]
    assert job["released_h"] == pytest.approx(moved * 1.0 / 3600.0)  # 1 s later if it moved
    assert job["gpu_types"].endswith("@c")


def test_validate_needs_the_signal_at_every_site(tmp_path):
    from orbitgrid.errors import InputError

    _zone(tmp_path, "z", [5] * 8)
    sites = _site("a", "z") + """
  - name: b
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 10
    pue: 1.0
    pools: [{name: b-h, gpu: H100, count: 1}]"""
    with pytest.raises(InputError, match="policy.carbon_aware.signal"):
        _run(tmp_path, sites, "temporal", "0,1,1,2\n")
