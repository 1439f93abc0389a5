"""Uncertain inputs: parsing the YAML forms, central values, tornado bounds, seeded draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.economics.distributions import parse_uncertain, quantiles


def test_number_stays_a_number():
    d = parse_uncertain(500)
    assert d.is_fixed and d.central == 500.0 and d.bounds is None
    assert d.sample(np.random.default_rng(0), 3).tolist() == [500.0, 500.0, 500.0]


def test_central_values_and_bounds():
    """uniform: middle and ends; triangular: mode and ends; lognormal: median, and its 5th
    and 95th percentiles m·exp(∓1.6449 σ) = 100·exp(∓0.82243) = 43.94, 227.60 (exp(0.8224268) = 2.276017)."""
    u = parse_uncertain({"uniform": [200, 1000]})
    assert u.central == 600.0 and u.bounds == (200.0, 1000.0)
    t = parse_uncertain({"triangular": [1, 2, 5]})
    assert t.central == 2.0 and t.bounds == (1.0, 5.0)
    ln = parse_uncertain({"lognormal": {"median": 100, "sigma": 0.5}})
    assert ln.central == 100.0
    lo, hi = ln.bounds
    assert lo == pytest.approx(100 * math.exp(-0.8224268), rel=1e-6)
    assert hi == pytest.approx(227.6017, rel=1e-6)


@pytest.mark.parametrize("value, words", [
    ({"uniform": [5, 1]}, "must not decrease"),
    ({"uniform": [1, 2, 3]}, "list of 2"),
    ({"normal": [1, 2]}, "give a number or one of"),
    ({"lognormal": {"median": 0, "sigma": 1}}, "median > 0"),
    ({"triangular": [-1, 0, 1]}, "outside"),
    ("cheap", "finite number"),
    (True, "finite number"),
])
def test_bad_forms(value, words):
    with pytest.raises(ValueError, match=words):
        parse_uncertain(value)


def test_share_range_enforced_and_draws_clipped():
    with pytest.raises(ValueError, match="outside"):
        parse_uncertain({"uniform": [0.5, 1.5]}, 0.0, 1.0)
    d = parse_uncertain({"lognormal": {"median": 0.5, "sigma": 3}}, 0.0, 1.0)
    x = d.sample(np.random.default_rng(1), 10_000)
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_seeded_draws_repeat_and_moments():
    """Same seed → identical draws. uniform [200, 1000]: mean 600; triangular [1, 2, 6]:
    mean (1 + 2 + 6)/3 = 3; lognormal median 100: sample median ≈ 100."""
    u = parse_uncertain({"uniform": [200, 1000]})
    a = u.sample(np.random.default_rng(7), 100_000)
    assert np.array_equal(a, u.sample(np.random.default_rng(7), 100_000))
    assert a.mean() == pytest.approx(600.0, rel=0.01)
    t = parse_uncertain({"triangular": [1, 2, 6]}).sample(np.random.default_rng(7), 100_000)
    assert t.mean() == pytest.approx(3.0, rel=0.01)
    ln = parse_uncertain({"lognormal": {"median": 100, "sigma": 0.5}}).sample(np.random.default_rng(7), 100_000)
    assert np.median(ln) == pytest.approx(100.0, rel=0.01)


def test_quantiles():
    q = quantiles(np.arange(101, dtype=float))
    assert q == {"p5": 5.0, "p50": 50.0, "p95": 95.0, "mean": 50.0}
