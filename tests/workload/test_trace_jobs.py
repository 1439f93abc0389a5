"""A public trace as a scenario's jobs: arrivals, gangs, work in reference-GPU-seconds."""

from __future__ import annotations

from datetime import datetime

import numpy as np
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


def test_alibaba_types_mapped_and_shares_of_a_gpu_kept():
    spec = TraceSpec(format="alibaba", file="x", gpu_types={"V100M16": "V100", "V100M32": "V100"})
    jobs, note = jobs_from_trace(spec, DATA / "alibaba_gpuspec33_excerpt.csv", SPEEDS, "H100")
    assert note.unmapped_types == 3  # two G2 pods and a T4: no catalogue names given for them
    # pods 0001, 0003 and 0011 ask for 460 thousandths of one GPU: fractional jobs, not rounded up
    assert note.fractional == 3 and note.rounded_up == 0
    frac = [i for i, name in enumerate(jobs.names) if name in ("alibaba:openb-pod-0001", "alibaba:openb-pod-0003",
                                                               "alibaba:openb-pod-0011")]
    assert len(frac) == 3 and list(jobs.gpu_milli[frac]) == [460] * 3 and list(jobs.gpus[frac]) == [1] * 3
    assert int((jobs.gpu_milli < 1000).sum()) == 3
    # pod 0001: scheduled at 427,061 s, deleted at 12,902,960 s: 0.46 x that many GPU-seconds
    # (measured on the reference GPU), done at 0.46 of a GPU's speed: its own duration again
    i = jobs.names.index("alibaba:openb-pod-0001")
    assert jobs.work_ref_gpu_s[i] == pytest.approx((12_902_960 - 427_061) * 0.46)
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


# A throughput matrix small enough to follow by hand (steps per second of the whole job,
# Gavel's simulation_throughputs.json layout): "A" runs everywhere, "B" does not fit a K80
# (0), "C" is not in the trace, the unconsolidated row must be ignored.
MATRIX = """{
 "v100": {"('A', 1)": {"null": 10.0}, "('B', 2)": {"null": 4.0}, "('C', 1)": {"null": 1.0}},
 "p100": {"('A', 1)": {"null": 5.0},  "('B', 2)": {"null": 2.0}},
 "k80":  {"('A', 1)": {"null": 2.0},  "('B', 2)": {"null": 0.0}},
 "v100_unconsolidated": {"('B', 2)": {"null": 1.0}}
}"""
# 7-field msr layout: job_type, command, num_steps_arg, needs_data_dir, total_steps, arrival_time, scale_factor
GAVEL_TRACE = "".join(f"{jt}\tpython3 train.py\t-n\t1\t{steps}\t{t}\t{sf}\n" for jt, steps, t, sf in [
    ("A", 36000, 0, 1), ("B", 14400, 10, 2), ("D", 100, 20, 1), ("A", 7200, 30, 1)])
ACCELERATORS = """
accelerators:
  P100: {full_name: P100, vendor: NVIDIA, bf16_tflops: {value: 21.2, source: s, date: "2016", confidence: low},
         memory_gb: {value: 16, source: s, date: "2016", confidence: low}, tdp_w: {value: 300, source: s, date: "2016", confidence: low}}
  K80: {full_name: K80, vendor: NVIDIA, bf16_tflops: {value: 4.37, source: s, date: "2014", confidence: low},
        memory_gb: {value: 12, source: s, date: "2014", confidence: low}, tdp_w: {value: 150, source: s, date: "2014", confidence: low}}
"""


def _gavel_files(tmp_path):
    (tmp_path / "m.json").write_text(MATRIX)
    (tmp_path / "g.trace").write_text(GAVEL_TRACE)
    return tmp_path / "g.trace", tmp_path / "m.json"


def test_gavel_steps_become_speed_classes(tmp_path):
    trace, matrix = _gavel_files(tmp_path)
    speeds = dict(SPEEDS, P100=21.2, K80=4.37)
    spec = TraceSpec(format="gavel", file="g.trace", throughputs="m.json",
                     gpu_types={"v100": "V100", "p100": "P100", "k80": "K80"})
    jobs, note = jobs_from_trace(spec, trace, speeds, "V100", throughputs_path=matrix)
    assert note.rows == 4 and note.used == 3 and note.no_throughput == 1  # "D" is not in the matrix
    # the reference GPU (V100) is the anchor: work = steps / thr_V100 x gang
    assert list(jobs.work_ref_gpu_s) == [36000 / 10.0 * 1, 14400 / 4.0 * 2, 7200 / 10.0 * 1]
    assert jobs.class_gpus == ("K80", "P100", "V100")
    a, b = jobs.speed_class[0], jobs.speed_class[1]
    assert jobs.speed_class[2] == a and a != b
    assert list(jobs.class_speed[a]) == [2.0 / 10.0, 5.0 / 10.0, 1.0]
    assert list(jobs.class_speed[b]) == [0.0, 2.0 / 4.0, 1.0]
    # B does not fit a K80: it may use only P100 and V100; A may use any GPU
    assert jobs.type_sets[jobs.type_set[1]] == ("P100", "V100") and jobs.type_sets[jobs.type_set[0]] == ("any",)


def test_gavel_anchor_when_reference_gpu_not_in_matrix(tmp_path):
    trace, matrix = _gavel_files(tmp_path)
    speeds = dict(SPEEDS, P100=21.2, K80=4.37)
    spec = TraceSpec(format="gavel", file="g.trace", throughputs="m.json", gpu_types={"p100": "P100", "k80": "K80"})
    jobs, _ = jobs_from_trace(spec, trace, speeds, "H100", throughputs_path=matrix)
    # anchor: the catalogue-fastest mapped type the job runs on (P100); r = 21.2 / H100's TFLOPS
    r = 21.2 / SPEEDS["H100"]
    assert jobs.work_ref_gpu_s[0] == pytest.approx(36000 / 5.0 * r)
    assert list(jobs.class_speed[jobs.speed_class[0]]) == pytest.approx([2.0 / 5.0 * r, r])


def test_gavel_jobs_run_their_measured_time_on_each_type(write_scenario, tmp_path):
    """Each of three single-GPU A jobs alone on one type runs steps / throughput there:
    36000 steps at 10, 5 and 2 steps/s: 1 h, 2 h, 5 h (Gavel's simulator: steps / thr)."""
    _gavel_files(tmp_path)
    (tmp_path / "g.trace").write_text("".join("A\tpython3 train.py\t-n\t1\t36000\t0\t1\n" for _ in range(3)))
    sites = "".join(f"""
  - name: {g}
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 1
    pue: 1.1
    pools: [{{name: {g}, gpu: {g}, count: 1}}]""" for g in ("V100", "P100", "K80"))
    loaded = write_scenario(f"""
name: gavel-by-hand
simulation: {{duration_h: 10, tick_s: 600}}
{ACCELERATORS}
sites:{sites}
workload:
  reference_gpu: V100
  trace: {{format: gavel, file: g.trace, throughputs: m.json, gpu_types: {{v100: V100, p100: P100, k80: K80}}}}
policy: {{name: fifo}}
""")
    result = simulate(loaded)
    assert result.summary["jobs_completed"] == 3
    assert result.summary["mean_jct_h"] == pytest.approx((1 + 2 + 5) / 3, rel=1e-9)


def test_gavel_trace_needs_its_matrix(write_scenario, tmp_path):
    _gavel_files(tmp_path)
    with pytest.raises(InputError) as info:
        write_scenario("""
name: g
simulation: {duration_h: 2}
sites: [{name: s, location: {lat_deg: 0, lon_deg: 0}, power_cap_mw: 1, pue: 1.1, pools: [{name: p, gpu: V100, count: 8}]}]
workload:
  trace: {format: gavel, file: g.trace}
""")
    assert "throughput matrix" in str(info.value)
    with pytest.raises(InputError) as info:
        write_scenario("""
name: g
simulation: {duration_h: 2}
sites: [{name: s, location: {lat_deg: 0, lon_deg: 0}, power_cap_mw: 1, pue: 1.1, pools: [{name: p, gpu: V100, count: 8}]}]
workload:
  trace: {format: gavel, file: g.trace, throughputs: nope.json}
""")
    assert [p.path for p in info.value.problems] == ["workload.trace.throughputs"]


def _two_type_scenario(write_scenario, tmp_path, matrix: str, trace_rows: list[str], policy: str):
    (tmp_path / "m.json").write_text(matrix)
    (tmp_path / "g.trace").write_text("".join(r + "\n" for r in trace_rows))
    return write_scenario(f"""
name: classes
simulation: {{duration_h: 20, tick_s: 600}}
{ACCELERATORS}
sites:
  - name: s
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 1
    pue: 1.1
    pools: [{{name: v100, gpu: V100, count: 1}}, {{name: k80, gpu: K80, count: 1}}]
workload:
  reference_gpu: V100
  trace: {{format: gavel, file: g.trace, throughputs: m.json, gpu_types: {{v100: V100, k80: K80}}}}
policy: {policy}
""")


def test_placement_follows_the_jobs_own_speeds(write_scenario, tmp_path):
    """A job measured 3x faster on K80 than on V100 goes to the K80 first under FIFO, though
    the catalogue ranks V100 first: 36000 steps at 30 steps/s = 1,200 s; the next job, the
    usual way round, takes the V100: 36000 / 10 = 3,600 s."""
    matrix = '{"v100": {"(\'F\', 1)": {"null": 10.0}, "(\'A\', 1)": {"null": 10.0}},' \
             ' "k80": {"(\'F\', 1)": {"null": 30.0}, "(\'A\', 1)": {"null": 2.0}}}'
    loaded = _two_type_scenario(write_scenario, tmp_path, matrix, [
        "F\tx\t-n\t1\t36000\t0\t1", "A\tx\t-n\t1\t36000\t0\t1"], "{name: fifo}")
    result = simulate(loaded)
    assert result.summary["mean_jct_h"] == pytest.approx((1200 + 3600) / 2 / 3600, rel=1e-9)


def test_gavel_policy_sees_per_job_throughputs(write_scenario, tmp_path):
    """Gavel's LP input is each gang's own rate on each type: X runs at 0.1 of its V100 speed
    on a K80, Y at 0.5 (per GPU, relative to the V100 reference)."""
    import numpy as np

    from orbitgrid.engine.state import EngineState
    from orbitgrid.policies.base import ClusterView
    from orbitgrid.workload import build_jobs
    from orbitgrid.world.pools import build_world

    matrix = '{"v100": {"(\'X\', 1)": {"null": 10.0}, "(\'Y\', 1)": {"null": 4.0}},' \
             ' "k80": {"(\'X\', 1)": {"null": 1.0}, "(\'Y\', 1)": {"null": 2.0}}}'
    loaded = _two_type_scenario(write_scenario, tmp_path, matrix, [
        "X\tx\t-n\t1\t36000\t0\t1", "Y\tx\t-n\t1\t14400\t0\t1"], "{name: gavel}")
    sc = loaded.scenario
    jobs = build_jobs(loaded, 0)
    view = ClusterView(EngineState(build_world(sc, loaded.base_dir, 0), jobs))
    from orbitgrid.policies.gavel import GavelPolicy

    policy = GavelPolicy(sc.policy)
    policy._setup(view)
    usable = np.ones((2, policy.K))
    T = policy.throughput(view, np.arange(2), usable)
    k80, v100 = policy.type_names.index("K80"), policy.type_names.index("V100")
    assert T[0, v100] == 1.0 and T[0, k80] == pytest.approx(0.1)
    assert T[1, v100] == 1.0 and T[1, k80] == pytest.approx(0.5)


def test_speed_classes_survive_merging_with_other_jobs(tmp_path):
    from orbitgrid.workload.jobs import concat_jobs, empty_jobs
    import numpy as np

    trace, matrix = _gavel_files(tmp_path)
    spec = TraceSpec(format="gavel", file="g.trace", throughputs="m.json", gpu_types={"v100": "V100", "k80": "K80"})
    gavel_jobs, _ = jobs_from_trace(spec, trace, dict(SPEEDS, K80=4.37), "V100", throughputs_path=matrix)
    plain = empty_jobs()
    plain = type(plain)(arrival_s=np.array([5.0]), gpus=np.array([1], np.int32), work_ref_gpu_s=np.array([1.0]),
                        type_set=np.zeros(1, np.int32), priority=np.zeros(1, np.int32),
                        tenant=np.zeros(1, np.int32), type_sets=(("any",),), tenants=("t",))
    merged = concat_jobs([plain, gavel_jobs])
    # arrivals 0, 5 (the plain job), 10, 30: the plain job keeps catalogue speeds (-1)
    assert list(merged.speed_classes()) == [gavel_jobs.speed_class[0], -1, gavel_jobs.speed_class[1],
                                            gavel_jobs.speed_class[2]]
    assert merged.class_gpus == ("K80", "V100")
    assert list(merged.class_speed[merged.speed_class[0]]) == [2.0 / 10.0, 1.0]


def test_gavel_agnostic_baseline_sees_every_type_alike(write_scenario, tmp_path):
    """gavel_heterogeneity_aware: false is Gavel's MaxMinFairnessPolicy ("LAS" in the paper):
    the LP input is 1 per GPU of the gang on every type the job may use."""
    from orbitgrid.engine.state import EngineState
    from orbitgrid.policies.base import ClusterView
    from orbitgrid.policies.gavel import GavelPolicy
    from orbitgrid.workload import build_jobs
    from orbitgrid.world.pools import build_world

    matrix = '{"v100": {"(\'X\', 1)": {"null": 10.0}}, "k80": {"(\'X\', 1)": {"null": 1.0}}}'
    loaded = _two_type_scenario(write_scenario, tmp_path, matrix, ["X\tx\t-n\t1\t36000\t0\t1"],
                                "{name: gavel, gavel_heterogeneity_aware: false}")
    view = ClusterView(EngineState(build_world(loaded.scenario, loaded.base_dir, 0), build_jobs(loaded, 0)))
    policy = GavelPolicy(loaded.scenario.policy)
    policy._setup(view)
    T = policy.throughput(view, np.arange(1), np.ones((1, policy.K)))
    assert T.tolist() == [[1.0, 1.0]]
    result = simulate(loaded)  # it still runs where it is fastest: the V100, 1 h
    assert result.summary["mean_jct_h"] == pytest.approx(1.0, rel=1e-6)
