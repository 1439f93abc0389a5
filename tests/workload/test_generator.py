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
