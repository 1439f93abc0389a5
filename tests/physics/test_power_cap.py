"""GPU power capping: throughput kept under a cap, and the one cap that meets a site's power
target, against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.catalog.accelerators import load_accelerators
from orbitgrid.physics.power_cap import cap_fraction_for_power, it_power_at_cap_w, throughput_at_cap

# The catalogue publishes no idle draw for any chip (idle_power_w is null throughout), so the
# idle figure below is an assumed round number for the arithmetic, not a catalogue value.
ASSUMED_IDLE_W = 75.0


def test_h100_at_seventy_percent_by_hand():
    """H100 SXM board limit = its 700 W TDP (catalogue). A cap of 0.7 × 700 = 490 W with an
    assumed 75 W idle leaves (490 − 75) / (700 − 75) = 415 / 625 = 0.664 of the dynamic
    power; throughput ∝ f and P − P_idle ∝ f³, so the share kept is 0.664^(1/3):
    0.8724³ = 0.76108 × 0.8724 = 0.66397, i.e. 0.8724 (13% slower for 30% less power)."""
    h100 = load_accelerators()["H100"]
    assert h100.tdp_w.value == 700 and h100.idle_power_w.value is None
    share = throughput_at_cap(0.7, ASSUMED_IDLE_W, h100.tdp_w.value)
    assert float(share) == pytest.approx(0.8724, abs=1e-4)


def test_exact_cubes_by_hand():
    """Idle 100 W, busy 700 W (swing 600 W). 0.8³ = 0.512: a cap of 100 + 0.512 × 600 =
    407.2 W (fraction 0.58171...) keeps 0.8; 0.6³ = 0.216: 100 + 0.216 × 600 = 229.6 W keeps
    0.6. With exponent 1 the share is the dynamic-power share itself: 0.512."""
    fractions = np.array([407.2, 229.6]) / 700.0
    assert throughput_at_cap(fractions, 100.0, 700.0) == pytest.approx([0.8, 0.6])
    assert float(throughput_at_cap(407.2 / 700.0, 100.0, 700.0, exponent=1.0)) == pytest.approx(0.512)


def test_clipped_to_zero_and_one():
    """At or above the busy draw: full speed. At or below idle (75/700 = 0.107), or a
    negative fraction: nothing."""
    f = np.array([-0.5, 0.0, 75.0 / 700.0, 1.0, 1.3])
    assert throughput_at_cap(f, ASSUMED_IDLE_W, 700.0).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_monotone_and_concave_in_cap():
    """More power never lowers throughput; each further watt buys less (cube root)."""
    f = np.linspace(0.0, 1.2, 241)
    share = throughput_at_cap(f, ASSUMED_IDLE_W, 700.0)
    assert np.all(np.diff(share) >= 0)
    live = (f * 700.0 > ASSUMED_IDLE_W) & (f < 1.0)
    assert np.all(np.diff(share[live], 2) <= 1e-12)


def test_broadcasts_over_pools_and_busy_equal_idle():
    """Per-pool idle/busy arrays; a pool whose busy draw equals its idle draw runs at full
    speed under any cap that covers that draw and not at all under one that does not."""
    share = throughput_at_cap(np.array([[0.7], [0.5]]), np.array([75.0, 500.0]), np.array([700.0, 500.0]))
    assert share.shape == (2, 2)
    assert share[0, 0] == pytest.approx(0.664 ** (1 / 3)) and share[:, 1].tolist() == [0.0, 0.0]
    assert float(throughput_at_cap(1.0, 500.0, 500.0)) == 1.0
    with pytest.raises(ValueError):
        throughput_at_cap(0.5, 75.0, 700.0, exponent=0.0)


# Two pools: 10 in service / 8 busy at idle 100 W, busy 700 W; 20 / 10 at 50 W, 1000 W.
POOLS = dict(in_service=np.array([10, 20]), allocated=np.array([8, 10]),
             idle_power_w=np.array([100.0, 50.0]), busy_power_w=np.array([700.0, 1000.0]))


def test_cap_fraction_by_hand():
    """Idle GPUs: 2 × 100 + 10 × 50 = 700 W; busy at full power: 8 × 700 + 10 × 1000 =
    15,600 W (IT 16,300 W uncapped). A 12,000 W target gives f = (12,000 − 700) / 15,600 =
    11,300 / 15,600 = 0.72436; check: 2,000 + 8 (507.05 − 100) + 10 (724.36 − 50) = 12,000."""
    f = cap_fraction_for_power(12_000.0, **POOLS, min_cap_fraction=0.3)
    assert float(f) == pytest.approx(11_300 / 15_600)
    assert float(it_power_at_cap_w(f, **POOLS)) == pytest.approx(12_000.0)


def test_cap_fraction_clips():
    """No cap when the uncapped 16,300 W fits; the floor when even it misses the target."""
    f = cap_fraction_for_power(np.array([16_300.0, 20_000.0, 1_000.0]), **POOLS, min_cap_fraction=0.3)
    assert f.tolist() == [1.0, 1.0, 0.3]


def test_cap_fraction_with_nothing_busy_is_one():
    """With no GPU busy a cap changes nothing, whatever the target (even below the idle floor)."""
    pools = dict(POOLS, allocated=np.array([0, 0]))
    assert cap_fraction_for_power(np.array([100.0, 1e9]), **pools, min_cap_fraction=0.3).tolist() == [1.0, 1.0]


def test_cap_fraction_inverts_it_power_over_time():
    """Pools on the last axis, ticks on the first: wherever the answer is not clipped, IT
    power at the returned cap equals the target, tick by tick."""
    rng = np.random.default_rng(7)
    n = rng.integers(1, 200, size=(50, 4))
    a = (n * rng.uniform(0, 1, size=n.shape)).astype(np.int64)
    idle = np.array([60.0, 90.0, 120.0, 80.0])
    busy = np.array([400.0, 700.0, 1000.0, 750.0])
    lo, hi = it_power_at_cap_w(np.zeros(50), n, a, idle, busy), it_power_at_cap_w(np.ones(50), n, a, idle, busy)
    target = lo + rng.uniform(-0.2, 1.2, size=50) * (hi - lo)
    f = cap_fraction_for_power(target, n, a, idle, busy, min_cap_fraction=0.25)
    inner = (f > 0.25) & (f < 1.0)
    assert inner.sum() > 10
    assert it_power_at_cap_w(f, n, a, idle, busy)[inner] == pytest.approx(target[inner])
    assert np.all(it_power_at_cap_w(f, n, a, idle, busy)[f == 1.0] <= target[f == 1.0] + 1e-6)
