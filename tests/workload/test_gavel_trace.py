"""scripts/gavel_trace.py: Gavel's continuous-single distribution, checked against hand-derived values.

The distribution (stanford-futuredata/gavel `scheduler/utils.py` `_generate_duration`,
`generate_job`; `scheduler/scheduler.py` `_sample_arrival_time_delta`): run time on a V100
60 x 10^u s, u ~ U(3, 4) with probability 0.2, else u ~ U(1.5, 3); job type uniform over
Gavel's 26; steps = run time x the type's isolated V100 steps/s; exponential gaps of
mean 3600 / rate s, the first job at 0. Tolerances are 4 standard errors of the sample
statistic, worked out below each check; the seed is fixed, so the test is deterministic.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.workload.traces import read_trace

ROOT = Path(__file__).parents[2]
SUBSET = Path(__file__).parents[1] / "data" / "gavel_throughputs_subset.json"
N = 20_000


def _load_script():
    """scripts/ is not a package: load the file as a module (registered, as dataclasses need)."""
    name = "_orbitgrid_script_gavel_trace"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "gavel_trace.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gt = _load_script()


@pytest.fixture(scope="module")
def thr() -> np.ndarray:
    return gt.reference_throughputs(SUBSET)


@pytest.fixture(scope="module")
def trace(thr):
    return gt.generate(3.2, N, 7, thr)


def test_job_table_is_gavels_26_types_in_its_order(thr) -> None:
    names = [jt.name for jt in gt.JOB_TYPES]
    assert len(names) == 26 and len(set(names)) == 26
    assert names[:2] == ["ResNet-18 (batch size 16)", "ResNet-18 (batch size 32)"]
    assert names[5] == "ResNet-50 (batch size 16)" and names[9] == "Transformer (batch size 16)"
    assert names[14] == "LM (batch size 5)" and names[19] == "Recommendation (batch size 512)"
    assert names[-2:] == ["A3C", "CycleGAN"]
    # every type has its isolated V100 figure in the matrix: the subset holds exactly those
    keys = set(json.loads(SUBSET.read_text())["v100"])
    assert keys == {f"('{n}', 1)" for n in names}
    assert thr[names.index("A3C")] == 7.175767179667988  # the matrix's v100 "('A3C', 1)" "null"
    assert (thr > 0).all()


def test_share_of_long_jobs(trace) -> None:
    # Bernoulli(0.2): sd of the share over N draws sqrt(0.2 x 0.8 / 20000) = 0.00283; 4 sd = 0.0113
    assert abs(trace.long.mean() - 0.2) < 4 * math.sqrt(0.2 * 0.8 / N)


def test_log_run_time_by_branch(trace) -> None:
    u = np.log10(trace.duration_s / 60.0)
    short, long = u[~trace.long], u[trace.long]
    assert short.min() >= 1.5 and short.max() <= 3.0 and long.min() >= 3.0 and long.max() <= 4.0
    # U(1.5, 3): mean 2.25, sd 1.5 / sqrt(12) = 0.433; U(3, 4): mean 3.5, sd 1 / sqrt(12) = 0.289
    assert abs(short.mean() - 2.25) < 4 * (1.5 / math.sqrt(12)) / math.sqrt(short.size)
    assert abs(long.mean() - 3.5) < 4 * (1.0 / math.sqrt(12)) / math.sqrt(long.size)
    # and uniform within each branch: the share below the midpoint is a half (sd 0.5 / sqrt(n))
    assert abs((short < 2.25).mean() - 0.5) < 4 * 0.5 / math.sqrt(short.size)
    assert abs((long < 3.5).mean() - 0.5) < 4 * 0.5 / math.sqrt(long.size)


def test_mean_run_time_on_v100(trace) -> None:
    # E[60 x 10^U(a, b)] = 60 (10^b - 10^a) / ((b - a) ln 10): 16,822.4 s short, 234,519.0 s long;
    # mixed 0.8 / 0.2: 60,361.8 s = 16.767 h. E[X^2] = 3600 (10^2b - 10^2a) / (2 (b - a) ln 10):
    # 5.2063e8 and 7.7391e10 s^2, mixed 1.5895e10, so sd = sqrt(1.5895e10 - 60361.8^2) = 110,685 s;
    # 4 standard errors over 20,000 jobs: 3,131 s (5% of the mean: the long branch is heavy)
    def mean(a, b):
        return 60.0 * (10**b - 10**a) / ((b - a) * math.log(10))

    def second(a, b):
        return 3600.0 * (10 ** (2 * b) - 10 ** (2 * a)) / (2 * (b - a) * math.log(10))

    m = 0.8 * mean(1.5, 3) + 0.2 * mean(3, 4)
    sd = math.sqrt(0.8 * second(1.5, 3) + 0.2 * second(3, 4) - m * m)
    assert m == pytest.approx(60_361.8, abs=0.1) and sd == pytest.approx(110_685, abs=1)
    assert abs(trace.duration_s.mean() - m) < 4 * sd / math.sqrt(N)


def test_job_types_uniform(trace) -> None:
    counts = np.bincount(trace.type_index, minlength=26)
    p = 1 / 26  # each count Binomial(N, 1/26): mean 769.2, sd sqrt(N p (1 - p)) = 27.2
    assert counts.size == 26
    assert (np.abs(counts - N * p) < 4 * math.sqrt(N * p * (1 - p))).all()


def test_steps_are_run_time_times_v100_throughput(trace, thr) -> None:
    expected = trace.duration_s * thr[trace.type_index]
    assert (np.abs(trace.total_steps - expected) <= 0.5).all()
    # one by hand: an A3C job of 60 x 10^2 s runs 6000 x 7.175767179667988 = 43,054.6 steps
    one = gt.Trace(np.zeros(1), np.array([6000.0]), np.zeros(1, bool), np.array([24]), np.zeros(1, np.int64))
    assert gt.JOB_TYPES[24].name == "A3C"
    assert round(one.duration_s[0] * thr[24]) == 43_055


def test_poisson_arrivals(trace) -> None:
    assert trace.arrival_s[0] == 0.0 and (np.diff(trace.arrival_s) > 0).all()
    gaps = np.diff(trace.arrival_s)
    # exponential, mean 3600 / 3.2 = 1125 s, sd = mean: 4 standard errors = 4 x 1125 / sqrt(19999) = 31.8 s
    assert abs(gaps.mean() - 1125.0) < 4 * 1125.0 / math.sqrt(gaps.size)
    # memoryless: the share of gaps over the mean is e^-1 = 0.368 (sd sqrt(0.368 x 0.632 / n))
    share = (gaps > 1125.0).mean()
    assert abs(share - math.exp(-1)) < 4 * math.sqrt(math.exp(-1) * (1 - math.exp(-1)) / gaps.size)


def test_seeded(thr) -> None:
    a, b, c = (gt.generate(1.0, 500, s, thr) for s in (3, 3, 4))
    assert np.array_equal(a.arrival_s, b.arrival_s) and np.array_equal(a.total_steps, b.total_steps)
    assert not np.array_equal(a.total_steps, c.total_steps)


def test_written_trace_reads_back_as_gavel_seven_fields(tmp_path, thr) -> None:
    small = gt.generate(2.0, 40, 1, thr)
    out = tmp_path / "jobs.trace"
    gt.write_trace(out, small)
    first = out.read_text().splitlines()[0].split("\t")
    assert len(first) == 7 and first[5] == "0.000000" and first[6] == "1"
    table, report = read_trace("gavel", out)
    assert report.rows_written == 40
    rows = table.to_pylist()
    assert [r["job_type"] for r in rows] == [gt.JOB_TYPES[k].name for k in small.type_index]
    assert [r["work"] for r in rows] == small.total_steps.astype(float).tolist()
    assert np.allclose([r["arrival_s"] for r in rows], small.arrival_s, atol=1e-6)
    assert {r["gpus"] for r in rows} == {1.0} and {r["work_unit"] for r in rows} == {"steps"}


def test_cli(tmp_path, capsys) -> None:
    out = tmp_path / "cli.trace"
    assert gt.main([str(out), "--rate", "4", "--jobs", "25", "--seed", "2", "--throughputs", str(SUBSET)]) == 0
    assert len(out.read_text().splitlines()) == 25
    assert "25 jobs" in capsys.readouterr().out


def test_bad_arguments(thr, tmp_path) -> None:
    with pytest.raises(ValueError, match="rate"):
        gt.generate(0.0, 10, 0, thr)
    with pytest.raises(ValueError, match="jobs"):
        gt.generate(1.0, 0, 0, thr)
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"v100": {"('A3C', 1)": {"null": 7.0}}}))
    with pytest.raises(SystemExit, match="no isolated v100 throughput"):
        gt.reference_throughputs(partial)
