"""Synthetic training jobs: Poisson arrivals, bounded-Pareto gang sizes, log-normal runtimes.

Heavy tails are the norm in GPU cluster traces (most jobs small and short, most GPU-hours
in a few large, long ones; Jeon et al., "Analysis of Large-Scale Multi-Tenant GPU Clusters
for DNN Training Workloads", USENIX ATC 2019, on Microsoft's Philly cluster).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from orbitgrid.scenario import EmpiricalJobs, GeneratorSpec, GpuCountDistribution
from orbitgrid.workload.jobs import ANY_GPU, JobTable

SECONDS_PER_HOUR = 3600.0


def bounded_pareto(rng: np.random.Generator, n: int, low: float, high: float, alpha: float) -> np.ndarray:
    """Samples of a Pareto(alpha) truncated to [low, high], by inverting its CDF."""
    u = rng.random(n)
    if high == low:
        return np.full(n, float(low))
    la, ha = low**-alpha, high**-alpha
    return (la - u * (la - ha)) ** (-1.0 / alpha)


def gang_sizes(rng: np.random.Generator, n: int, dist: GpuCountDistribution) -> np.ndarray:
    """GPUs per job. Each size takes the Pareto mass of the interval it starts: k GPUs get
    [k, k+1), or with `power_of_two`, 2^j GPUs get [2^j, 2^(j+1)); so the smallest size is
    the commonest and the tail decays as the Pareto does."""
    if dist.power_of_two:
        lo = 2 ** int(np.ceil(np.log2(dist.min)))
        hi = 2 ** int(np.floor(np.log2(dist.max)))
        x = bounded_pareto(rng, n, lo, 2 * hi, dist.pareto_alpha)
        sizes = 2.0 ** np.floor(np.log2(x))
        return np.clip(sizes, lo, hi).astype(np.int32)
    x = bounded_pareto(rng, n, dist.min, dist.max + 1, dist.pareto_alpha)
    return np.clip(np.floor(x), dist.min, dist.max).astype(np.int32)


@lru_cache(maxsize=4)
def empirical_table(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(gang sizes, job counts, quantile levels, duration quantiles s (sizes x levels)) of a
    packaged trace distribution (`catalog/<name>_jobs.csv`, built by scripts/)."""
    text = resources.files("orbitgrid.catalog").joinpath(f"{name}_jobs.csv").read_text("utf-8")
    header, *rows = text.strip().splitlines()
    levels = np.array([int(c[1:]) / 100.0 for c in header.split(",")[2:]])
    data = np.array([[float(x) for x in row.split(",")] for row in rows])
    return data[:, 0].astype(np.int64), data[:, 1], levels, data[:, 2:]


def empirical_jobs(size_rng: np.random.Generator, duration_rng: np.random.Generator, n: int,
                   spec: EmpiricalJobs) -> tuple[np.ndarray, np.ndarray]:
    """(gang sizes, runtimes in hours): a size by its share of the trace's jobs, then a
    duration from that size's quantile function (linear between the tabulated quantiles)."""
    sizes, counts, levels, quantiles = empirical_table(spec.name)
    k = size_rng.choice(sizes.size, size=n, p=counts / counts.sum())
    u = duration_rng.random(n)
    j = np.clip(np.searchsorted(levels, u, side="right") - 1, 0, levels.size - 2)
    w = (u - levels[j]) / (levels[j + 1] - levels[j])
    seconds = quantiles[k, j] * (1.0 - w) + quantiles[k, j + 1] * w
    gpus = sizes[k] * spec.gpus_scale
    if spec.max_gpus is not None:
        gpus = np.minimum(gpus, spec.max_gpus)
    runtime_h = np.maximum(seconds, 1.0) * spec.duration_scale / SECONDS_PER_HOUR
    return gpus.astype(np.int32), runtime_h


def _choose(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int32)


def generate_jobs(spec: GeneratorSpec, duration_h: float, seed: int) -> JobTable:
    """The generator's jobs for one seed. Each draw has its own stream, so changing one
    distribution does not reshuffle the others."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    start_s = spec.start_h * SECONDS_PER_HOUR
    end_s = (spec.end_h if spec.end_h is not None else duration_h) * SECONDS_PER_HOUR
    rate_per_s = spec.arrival_rate_per_h / SECONDS_PER_HOUR
    expected = (end_s - start_s) * rate_per_s
    n_draw = int(expected + 10.0 * np.sqrt(expected) + 10)
    if spec.jobs is not None:
        n_draw = min(n_draw, spec.jobs)
    arrival = start_s + np.cumsum(streams[0].exponential(1.0 / rate_per_s, size=n_draw))
    arrival = arrival[arrival < end_s]
    n = arrival.shape[0]
    if spec.empirical is not None:
        gpus, runtime_h = empirical_jobs(streams[1], streams[2], n, spec.empirical)
    else:
        gpus = gang_sizes(streams[1], n, spec.gpus_per_job)
        d = spec.duration_h
        runtime_h = np.exp(np.log(d.median_h) + d.sigma * streams[2].standard_normal(n))
        runtime_h = np.clip(runtime_h, d.min_h, d.max_h)
    type_sets = tuple(
        (ANY_GPU,) if choice.types == "any" else tuple(sorted(set(choice.types))) for choice in spec.gpu_types
    )
    priority = np.asarray([c.value for c in spec.priorities], dtype=np.int32)[
        _choose(streams[4], n, [c.weight for c in spec.priorities])
    ]
    tenant = _choose(streams[5], n, [c.weight for c in spec.tenants])
    fixed = np.array([c.priority if c.priority is not None else 0 for c in spec.tenants], dtype=np.int32)
    has_fixed = np.array([c.priority is not None for c in spec.tenants])
    priority = np.where(has_fixed[tenant], fixed[tenant], priority)  # a tenant's own priority wins
    min_gpus = None
    if spec.elastic_share > 0:  # its own stream: the other draws do not move
        elastic = np.random.default_rng(np.random.SeedSequence(seed).spawn(7)[6]).random(n) < spec.elastic_share
        smallest = np.maximum(np.ceil(spec.elastic_min_fraction * gpus - 1e-9), 1).astype(np.int32)
        min_gpus = np.where(elastic, smallest, gpus).astype(np.int32)
    preemptible = window_s = None
    if spec.preemptible_share < 1.0 or spec.deferrable_share > 0:  # their own streams, as above
        flex = np.random.default_rng(np.random.SeedSequence(seed).spawn(9)[8])
        preemptible = flex.random(n) < spec.preemptible_share
        deferrable = flex.random(n) < spec.deferrable_share
        window_s = np.where(deferrable, spec.deferrable_window_h * SECONDS_PER_HOUR, 0.0)
    return JobTable(
        preemptible=preemptible,
        window_s=window_s,
        min_gpus=min_gpus,
        arrival_s=arrival,
        gpus=gpus,
        work_ref_gpu_s=gpus * runtime_h * SECONDS_PER_HOUR,
        type_set=_choose(streams[3], n, [c.weight for c in spec.gpu_types]),
        priority=priority.astype(np.int32),
        tenant=tenant,
        type_sets=type_sets,
        tenants=tuple(c.name for c in spec.tenants),
    )
