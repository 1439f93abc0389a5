"""A public trace as a scenario's jobs: arrivals, gangs, work in reference-GPU-seconds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from orbitgrid.catalog.accelerators import load_accelerators
from orbitgrid.engine import simulate
from orbitgrid.errors import InputError
from orbitgrid.scenario import TraceSpec
from orbitgrid.workload.trace_jobs import jobs_from_trace

DATA = Path(__file__).parents[1] / "data" / "traces"
SPEEDS = {name: a.bf16_tflops.value for name, a in load_accelerators().items() if a.bf16_tflops.value}


def test_philly_jobs_by_hand():
    spec = TraceSpec(format="philly", file="x", measured_on="V100")
    jobs, note = jobs_from_trace(spec, DATA / "philly_excerpt.csv", SPEEDS, "H100")
    assert note.rows == 12 and note.used == 12 and len(jobs) == 12
    # the earliest submission (line 4: 2017-09-29 07:58:32, 860,662 s on 1 GPU) is hour 0;
    # on V100 (125 TFLOPS BF16 in the catalogue) against H100 (989): work = 860,662 × 125/989
    assert jobs.names[0] == "philly:2" and jobs.arrival_s[0] == 0.0 and jobs.gpus[0] == 1
    assert jobs.work_ref_gpu_s[0] == pytest.approx(860_662 * SPEEDS["V100"] / SPEEDS["H100"])
    # next: line 12, 2017-10-07 01:11:39, 8 GPUs for 193,256 s
    gap = (datetime(2017, 10, 7, 1, 11, 39) - datetime(2017, 9, 29, 7, 58, 32)).total_seconds()
    assert jobs.arrival_s[1] == gap and jobs.gpus[1] == 8
    assert jobs.work_ref_gpu_s[1] == pytest.approx(193_256 * 8 * SPEEDS["V100"] / SPEEDS["H100"])
    assert set(jobs.tenants) == {"11cb48", "6214e9", "6c71a0", "ee9e8c"}


def test_start_limit_and_arrival_scale():
    spec = TraceSpec(format="philly", file="x", start_h=24 * 7, limit=3, arrival_scale=2.0)
    jobs, note = jobs_from_trace(spec, DATA / "philly_excerpt.csv", SPEEDS, "H100")
    assert len(jobs) == 3 and note.before_start == 1  # the 2017-09-29 job falls before the week
    gap = (datetime(2017, 10, 7, 1, 11, 39) - datetime(2017, 9, 29, 7, 58, 32)).total_seconds()
    assert jobs.arrival_s[0] == pytest.approx((gap - 7 * 86400) / 2)
    # measured on the reference GPU: work is duration × gang
    assert jobs.work_ref_gpu_s[0] == pytest.approx(193_256 * 8)


def test_alibaba_types_mapped_and_fractions_rounded_up():
    spec = TraceSpec(format="alibaba", file="x", gpu_types={"V100M16": "V100", "V100M32": "V100"})
    jobs, note = jobs_from_trace(spec, DATA / "alibaba_gpuspec33_excerpt.csv", SPEEDS, "H100")
    assert note.unmapped_types == 3  # two G2 pods and a T4: no catalogue names given for them
    assert note.rounded_up >= 1 and int(jobs.gpus.min()) == 1  # 0.46 of a GPU takes a whole one
    assert ("V100",) in jobs.type_sets
    assert note.used == len(jobs) == note.rows - note.no_duration - note.unmapped_types - note.before_start


def test_a_scenario_runs_a_trace(write_scenario, tmp_path):
    (tmp_path / "philly.csv").write_bytes((DATA / "philly_excerpt.csv").read_bytes())
    loaded = write_scenario("""
name: replay
simulation: {duration_h: 2000, tick_s: 600}
sites:
  - name: s
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 10
    pue: 1.1
    pools:
      - {name: v100, gpu: V100, count: 128}
workload:
  reference_gpu: H100
  trace: {format: philly, file: philly.csv, measured_on: V100}
policy: {name: fifo}
""")
    s = simulate(loaded).summary
    # on the V100s they were measured on, with room for everyone, each job takes its trace duration
    assert s["jobs_submitted"] == 12 and s["jobs_completed"] == 12 and s["mean_wait_h"] == 0
    durations_h = [66, 2951, 860662, 2759, 2766, 2775, 2802, 64, 2859, 2987, 193256, 7673]
    assert s["mean_jct_h"] == pytest.approx(sum(durations_h) / 12 / 3600, rel=1e-9)


def test_trace_problems_name_their_line(write_scenario, tmp_path):
    with pytest.raises(InputError) as info:
        write_scenario("""
name: replay
simulation: {duration_h: 2}
sites: [{name: s, location: {lat_deg: 0, lon_deg: 0}, power_cap_mw: 1, pue: 1.1, pools: [{name: p, gpu: H100, count: 8}]}]
workload:
  trace: {format: philly, file: missing.csv, measured_on: V1000}
""")
    paths = [p.path for p in info.value.problems]
    assert "workload.trace.file" in paths and "workload.trace.measured_on" in paths
    assert all(p.line == 5 for p in info.value.problems)  # the `trace:` line
