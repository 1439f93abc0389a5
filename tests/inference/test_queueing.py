"""FIFO replica queues in closed form: hand-derived values, Little's law, and queueing theory."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.inference.queueing import fifo_departures, time_average_in_system


def test_dd1_by_hand() -> None:
    """Arrivals at 0, 1, 2, 3 s, each served 2 s, one server. By hand (Lindley,
    D_n = max(D_{n-1}, A_n) + S_n): D = 2, 4, 6, 8; starts 0, 2, 4, 6; waits 0, 1, 2, 3."""
    start, dep = fifo_departures(np.array([0.0, 1, 2, 3]), np.full(4, 2.0))
    np.testing.assert_allclose(dep, [2, 4, 6, 8])
    np.testing.assert_allclose(start, [0, 2, 4, 6])


def test_idle_gap_resets_the_queue() -> None:
    """Arrivals 0, 0.5, 10, 10.2 s with services 1, 1, 3, 1: D = 1, 2 (waits behind the first),
    then the server idles until 10: D = 13, 14. Two servers interleaved in the input give the
    same per-server answers."""
    a = np.array([0.0, 0.5, 10.0, 10.2])
    s = np.array([1.0, 1.0, 3.0, 1.0])
    _, dep = fifo_departures(a, s)
    np.testing.assert_allclose(dep, [1, 2, 13, 14])
    # the same stream on server 1 and a copy shifted by 0.1 s on server 0, interleaved
    a2 = np.r_[a, a + 0.1]
    srv = np.r_[np.ones(4, int), np.zeros(4, int)]
    _, dep2 = fifo_departures(a2, np.r_[s, s], srv)
    np.testing.assert_allclose(dep2, np.r_[[1, 2, 13, 14], np.array([1, 2, 13, 14]) + 0.1])


def test_matches_the_lindley_recursion_on_random_input() -> None:
    """The closed form against the recursion, request by request, on 7 servers."""
    rng = np.random.default_rng(0)
    n = 3000
    a = np.sort(rng.uniform(0, 100, n))
    s = rng.exponential(0.2, n)
    srv = rng.integers(0, 7, n)
    _, dep = fifo_departures(a, s, srv)
    last: dict[int, float] = {}
    want = np.empty(n)
    for i in range(n):
        want[i] = max(last.get(srv[i], -np.inf), a[i]) + s[i]
        last[srv[i]] = want[i]
    np.testing.assert_allclose(dep, want, rtol=0, atol=1e-9)


def test_littles_law_and_mm1_mean_sojourn() -> None:
    """Little's law L = lambda W (Little 1961): L is measured independently, as the time
    average of the number in the system N(t) = arrivals - departures up to t, over a window
    that starts and ends empty enough (we count all 200,000 requests and integrate to the
    last departure, where the law holds exactly for the sample path). M/M/1 at lambda = 0.8,
    mu = 1: W = 1 / (mu - lambda) = 5 s and L = rho / (1 - rho) = 4 (Kleinrock 1975, eq.
    3.24-3.26); the sample must land within 5%."""
    rng = np.random.default_rng(42)
    n, lam, mu = 200_000, 0.8, 1.0
    a = np.cumsum(rng.exponential(1 / lam, n))
    _, dep = fifo_departures(a, rng.exponential(1 / mu, n))
    t_end = float(dep.max())
    L = time_average_in_system(a, dep, t_end)
    W = float(np.mean(dep - a))
    lam_hat = n / t_end
    assert L == pytest.approx(lam_hat * W, rel=1e-9)  # the sample-path identity
    assert W == pytest.approx(1 / (mu - lam), rel=0.05)
    assert L == pytest.approx(lam / mu / (1 - lam / mu), rel=0.05)


def test_md1_pollaczek_khinchine() -> None:
    """M/D/1 (deterministic service 1 s) at rho = 0.7: mean wait Wq = rho / (2 mu (1 - rho))
    = 0.7 / 0.6 = 1.1667 s (Pollaczek-Khinchine; Kleinrock 1975 eq. 5.73). Within 5%."""
    rng = np.random.default_rng(7)
    n, lam = 200_000, 0.7
    a = np.cumsum(rng.exponential(1 / lam, n))
    start, _ = fifo_departures(a, np.ones(n))
    assert float(np.mean(start - a)) == pytest.approx(0.7 / 0.6, rel=0.05)
