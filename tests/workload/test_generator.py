"""The synthetic workload against the distributions it claims to draw from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.scenario import GeneratorSpec, GpuCountDistribution
from orbitgrid.workload.generator import bounded_pareto, gang_sizes, generate_jobs


@pytest.mark.parametrize("alpha", [0.9, 1.0, 1.5])
def test_bounded_pareto_mean_matches_closed_form(alpha):
    # mean of a Pareto(alpha) truncated to [L, H] (e.g. Arnold, "Pareto Distributions", 2nd ed. 2015):
    # alpha != 1: L^a/(1-(L/H)^a) * a/(a-1) * (L^(1-a) - H^(1-a)); alpha = 1: H L ln(H/L) / (H - L)
    low, high = 1.0, 512.0
    if alpha == 1.0:
        mean = high * low * math.log(high / low) / (high - low)
    else:
        mean = low**alpha / (1 - (low / high) ** alpha) * alpha / (alpha - 1) * (low ** (1 - alpha) - high ** (1 - alpha))
    x = bounded_pareto(np.random.default_rng(0), 400_000, low, high, alpha)
    assert x.min() >= low and x.max() <= high
    assert x.mean() == pytest.approx(mean, rel=0.02)


def test_gang_sizes_are_powers_of_two_within_bounds():
    dist = GpuCountDistribution(min=2, max=300, pareto_alpha=1.0, power_of_two=True)
    g = gang_sizes(np.random.default_rng(1), 50_000, dist)
    assert set(np.unique(g)) <= {2, 4, 8, 16, 32, 64, 128, 256}
    assert g.min() == 2 and g.max() == 256
    # heavy tail: most jobs are small, but big ones hold a large share of the GPUs
    assert np.mean(g <= 4) > 0.5
    assert g[g >= 64].sum() / g.sum() > 0.2


def test_generator_rates_and_runtimes():
    spec = GeneratorSpec.model_validate(
        {
            "arrival_rate_per_h": 50,
            "gpus_per_job": {"min": 1, "max": 1, "power_of_two": False},
            "duration_h": {"median_h": 2.0, "sigma": 1.0, "max_h": 1e6, "min_h": 1e-6},
            "gpu_types": [{"types": "any", "weight": 3}, {"types": ["H100"], "weight": 1}],
        }
    )
    jobs = generate_jobs(spec, duration_h=1000, seed=7)
    n = len(jobs)
    # Poisson count over 1000 h at 50/h: mean 50,000, sd ~224
    assert abs(n - 50_000) < 4 * math.sqrt(50_000)
    gaps_h = np.diff(jobs.arrival_s) / 3600
    assert gaps_h.mean() == pytest.approx(1 / 50, rel=0.02)
    runtime_h = jobs.work_ref_gpu_s / jobs.gpus / 3600
    assert np.median(runtime_h) == pytest.approx(2.0, rel=0.03)
    assert np.log(runtime_h).std() == pytest.approx(1.0, rel=0.02)
    share_any = np.mean(np.asarray(jobs.type_sets, dtype=object)[jobs.type_set] == ("any",))
    assert share_any == pytest.approx(0.75, abs=0.01)


def test_jobs_cap_and_seed_determinism():
    spec = GeneratorSpec.model_validate({"arrival_rate_per_h": 10, "jobs": 25})
    a = generate_jobs(spec, duration_h=100, seed=3)
    b = generate_jobs(spec, duration_h=100, seed=3)
    assert len(a) == 25
    assert np.array_equal(a.arrival_s, b.arrival_s) and np.array_equal(a.work_ref_gpu_s, b.work_ref_gpu_s)


def test_empirical_philly_keeps_the_trace_shares_and_quantiles():
    # catalog/philly_jobs.csv: 76,627 of 82,247 Philly jobs use 1 GPU (0.9317), their median
    # duration is 1,117 s; 8-GPU jobs (1,643) have a median of 23,683 s (scripts/build_philly_distribution.py)
    from orbitgrid.scenario import EmpiricalJobs
    from orbitgrid.workload.generator import empirical_jobs, empirical_table

    sizes, counts, levels, quantiles = empirical_table("philly")
    assert int(counts.sum()) == 82_247 and dict(zip(sizes.tolist(), counts.tolist()))[1] == 76_627
    n = 200_000
    gpus, hours = empirical_jobs(np.random.default_rng(1), np.random.default_rng(2), n, EmpiricalJobs(name="philly"))
    share = (gpus == 1).mean()
    assert share == pytest.approx(76_627 / 82_247, abs=4 * np.sqrt(0.93 * 0.07 / n))
    assert np.median(hours[gpus == 1]) * 3600 == pytest.approx(1117, rel=0.03)
    assert np.median(hours[gpus == 8]) * 3600 == pytest.approx(23_683, rel=0.15)
    scaled, _ = empirical_jobs(np.random.default_rng(1), np.random.default_rng(2), 1000,
                               EmpiricalJobs(name="philly", gpus_scale=64, max_gpus=4096))
    assert set(np.unique(scaled)) <= {64 * s for s in sizes.tolist()} | {4096} and scaled.max() <= 4096


def test_empirical_excludes_the_parametric_sizes():
    from orbitgrid.scenario import GeneratorSpec

    with pytest.raises(ValueError, match="not both"):
        GeneratorSpec.model_validate({"arrival_rate_per_h": 1, "empirical": {"name": "philly"},
                                      "gpus_per_job": {"max": 8}})
    assert GeneratorSpec.model_validate({"arrival_rate_per_h": 1, "empirical": {"name": "philly"}}).empirical


def test_a_tenant_priority_overrides_the_drawn_one():
    from orbitgrid.scenario import GeneratorSpec

    spec = GeneratorSpec.model_validate({
        "arrival_rate_per_h": 50, "priorities": [{"value": 3}],
        "tenants": [{"name": "reserved", "weight": 1, "priority": 10}, {"name": "spot", "weight": 1}]})
    jobs = generate_jobs(spec, 48.0, seed=2)
    reserved = jobs.tenant == jobs.tenants.index("reserved")
    assert reserved.any() and (~reserved).any()
    assert np.all(jobs.priority[reserved] == 10) and np.all(jobs.priority[~reserved] == 3)


def test_packaged_colossus_example_validates_and_runs_briefly():
    from importlib import resources

    from orbitgrid.engine import simulate
    from orbitgrid.scenario import LoadedScenario, load_scenario

    loaded = load_scenario(str(resources.files("orbitgrid").joinpath("examples/colossus.yaml")))
    sc = loaded.scenario
    assert sum(p.count for p in sc.sites[0].pools) == 220_000
    short = sc.model_copy(update={"simulation": sc.simulation.model_copy(update={"duration_h": 6.0})})
    s = simulate(LoadedScenario(scenario=short, file=loaded.file, text=loaded.text)).summary
    # 200 jobs an hour for 6 hours, about 1,200; anchor-lab jobs at priority 10 go first
    assert 1000 < s["jobs_submitted"] < 1400 and s["allocation_utilization"] > 0


def test_elastic_share_and_minimum():
    """elastic_share 0.3 of 20,000 jobs: binomial, sd = sqrt(20000 x 0.3 x 0.7) = 64.8, so
    within 4 sd of 6,000; each elastic job's minimum is ceil(0.25 x gpus) (8 -> 2, 1 -> 1);
    the rest of the draw does not move when elasticity is switched on."""
    base = dict(arrival_rate_per_h=1000.0, jobs=20_000)
    rigid = generate_jobs(GeneratorSpec(**base), 100.0, 3)
    jobs = generate_jobs(GeneratorSpec(**base, elastic_share=0.3, elastic_min_fraction=0.25), 100.0, 3)
    assert rigid.min_gpus is None
    np.testing.assert_array_equal(jobs.gpus, rigid.gpus)
    np.testing.assert_array_equal(jobs.arrival_s, rigid.arrival_s)
    elastic = jobs.min_gpus < jobs.gpus
    multi = jobs.gpus > 1  # a 1-GPU job is elastic in name only: its minimum is 1
    share = (jobs.min_gpus != jobs.gpus)[multi].mean()
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / multi.sum())
    np.testing.assert_array_equal(jobs.min_gpus[elastic], np.ceil(0.25 * jobs.gpus[elastic]).astype(int))
