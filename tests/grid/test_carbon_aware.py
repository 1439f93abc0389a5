"""Carbon-aware release decisions (grid/carbon_aware.py): hand-derived cases for temporal
shifting (Wiesner et al., "Let's Wait Awhile", Middleware 2021), spatio-temporal shifting
(Sukprasert et al., EuroSys 2024) and a CICS-style daily capacity curve (Radovanović et al.,
IEEE Trans. Power Systems 2023), and checks against a slow, obvious reference."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.grid.carbon_aware import (cics_release, forecast, spatial_release, temporal_release,
                                         vcc_budgets_gpu_h)
from orbitgrid.grid.series import packaged_carbon
from orbitgrid.grid.shifting import shifting_savings

H = 3600.0


def one(submit, runtime, latest, signal, start=0.0):
    return float(temporal_release([submit], [runtime], [latest], np.asarray(signal, float), start)[0])


# --- forecast ------------------------------------------------------------------------------

def test_forecast_noise_zero_is_the_series():
    v = np.array([5.0, 1.0, 9.0])
    rng = np.random.default_rng(1)
    f = forecast(v, 0.0, rng)
    assert f.tolist() == v.tolist() and f is not v
    assert rng.standard_normal() == np.random.default_rng(1).standard_normal()  # no draw taken


def test_forecast_noise_is_relative_normal_and_seeded():
    """values x (1 + 0.05 N(0,1)): the same seed gives the same forecast; the relative error
    has mean 0 and sd 0.05 (100,000 hours: within 2% of 0.05)."""
    v = np.full(100_000, 200.0)
    a = forecast(v, 0.05, np.random.default_rng(7))
    b = forecast(v, 0.05, np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, forecast(v, 0.05, np.random.default_rng(8)))
    err = a / v - 1
    assert abs(err.mean()) < 0.001 and err.std() == pytest.approx(0.05, rel=0.02)
    with pytest.raises(ValueError):
        forecast(v, -0.1, np.random.default_rng(0))


# --- temporal (Let's Wait Awhile) ----------------------------------------------------------

def test_one_hour_job_takes_the_cheap_hour_in_its_window():
    """Signal 5, 1, 9: a 1-h job submitted at 0 with 2 h of window starts at hour 1 (mean 1
    against 5 and 9); with no window it starts at submission."""
    assert one(0, H, 2 * H, [5, 1, 9]) == H
    assert one(0, H, 0, [5, 1, 9]) == 0.0
    assert one(100, H, 50, [5, 1, 9]) == 100.0  # latest start before submission: at submission


def test_fractional_hour_enters_the_mean():
    """Signal 4, 1, 9, 2, 3, 8; a 1.5-h job, starts 0..4 h: means (4 + .5)/1.5 = 3,
    (1 + 4.5)/1.5 = 3.67, (9 + 1)/1.5 = 6.67, (2 + 1.5)/1.5 = 2.33, (3 + 4)/1.5 = 4.67:
    hour 3. A 1-h mean would pick hour 1, a 2-h one hour 0."""
    assert one(0, 1.5 * H, 4 * H, [4, 1, 9, 2, 3, 8]) == 3 * H


def test_ties_go_to_the_earliest_start():
    """Signal 5, 1, 9, 1.5-h job: start 0 gives (5 + .5)/1.5, start 1 h (1 + 4.5)/1.5: equal,
    so 0. Signal 3, 2, 2, 5, 1-h job, 3 h of window: hours 1 and 2 tie at 2: hour 1."""
    assert one(0, 1.5 * H, H, [5, 1, 9]) == 0.0
    assert one(0, H, 3 * H, [3, 2, 2, 5]) == H


def test_mid_hour_submission_and_boundaries():
    """Submitted at 0:30 into 5, 1, 9: starting at once costs (.5 x 5 + .5 x 1) = 3, at 1:00
    costs 1. With the latest start at 0:59:59 only the submission is allowed."""
    assert one(1800, H, H, [5, 1, 9]) == H
    assert one(1800, H, H - 1, [5, 1, 9]) == 1800.0


def test_signal_start_offsets_the_hours():
    """The series may begin before the run (signal_start_s = -1 h: run hour 0 is the second
    value) or off the run's hours (start at 0:30: boundaries at 0:30, 1:30, ...)."""
    assert one(0, H, H, [7, 5, 1, 9], start=-H) == H
    # before 0:30 there is no forecast; the boundaries 0:30 (5) and 1:30 (1) are candidates
    assert one(0, H, 1.5 * H, [5, 1, 9], start=1800) == 5400.0


def test_runs_past_the_series_are_not_candidates():
    """Signal 5, 9, 1, a 2-h job, window 2 h: starts 0 (mean 7) and 1 h (5); 2 h would run
    past the series. With no forecast at all the job starts at submission."""
    assert one(0, 2 * H, 2 * H, [5, 9, 1]) == H
    assert one(10 * H, H, 12 * H, [5, 9, 1]) == 10 * H


def test_one_hour_jobs_on_the_hour_reach_the_ideal_bound():
    """With a perfect forecast, one-hour jobs submitted every hour of CAISO 2024 and shifted
    within W hours save exactly the ideal share of grid/shifting.py."""
    v = packaged_carbon("US-CAL-CISO")[0].values
    for w in (2, 24):
        h = np.arange(v.size - w)
        release = temporal_release(h * H, H, (h + w) * H, v, 0.0)
        chosen = v[(release // H).astype(int)]
        assert 1 - chosen.sum() / v[h].sum() == pytest.approx(shifting_savings(v, 1, w), abs=1e-12)


# --- spatial -------------------------------------------------------------------------------

def test_transfer_time_excludes_a_sites_early_cheap_hour():
    """Home 5, 4, 6, 6; remote 1, 9, 9, 9; a 1-h job at 0, 2 h of window. With no transfer
    time the remote site's first hour (1) wins; with 30 min of transfer the remote site can
    start at 0:30 at the earliest (mean (1 + 9)/2 = 5), so the home site's hour 1 (4) wins."""
    sig = np.array([[5, 4, 6, 6], [1, 9, 9, 9]], float)
    site, rel = spatial_release([0.0], [H], [2 * H], [1.0], sig, 0.0, [0.0, 0.0])
    assert (site[0], rel[0]) == (1, 0.0)
    site, rel = spatial_release([0.0], [H], [2 * H], [1.0], sig, 0.0, [0.0, 1800.0])
    assert (site[0], rel[0]) == (0, H)
    # a window that ends before the data arrive leaves the remote site out
    site, rel = spatial_release([0.0], [H], [1000.0], [1.0], np.array([[5, 4], [1, 1]], float), 0.0, [0.0, 1800.0])
    assert (site[0], rel[0]) == (0, 0.0)


def test_cost_objective_adds_transfer_cost():
    """1 MWh at 50 USD/MWh at home = 50 USD; at 10 USD/MWh remote = 10 USD + transfer. A
    30 USD transfer (40 in all) moves the job, a 45 USD one (55) keeps it home. The carbon
    objective ignores transfer_usd."""
    sig = np.array([[50, 50], [10, 10]], float)
    args = ([0.0], [H], [0.0], [1000.0], sig, 0.0, [0.0, 0.0])
    assert spatial_release(*args, transfer_usd=[[0.0, 30.0]], objective="cost")[0][0] == 1
    assert spatial_release(*args, transfer_usd=[[0.0, 45.0]], objective="cost")[0][0] == 0
    assert spatial_release(*args, transfer_usd=[[0.0, 45.0]], objective="carbon")[0][0] == 1
    with pytest.raises(ValueError):
        spatial_release(*args, objective="price")


def test_home_site_and_spatial_ties():
    """home_site zeroes a job's transfer at home. Equal signals: the earlier start wins, then
    the shorter transfer (the home site), then the lower index."""
    sig = np.array([[3, 3, 3], [3, 3, 3], [3, 3, 3]], float)
    tr = np.full((1, 3), 2 * H)
    site, rel = spatial_release([0.0], [H], [H], [1.0], sig, 0.0, tr, home_site=[2])
    assert (site[0], rel[0]) == (2, 0.0)
    site, rel = spatial_release([0.0], [H], [H], [1.0], sig, 0.0, [600.0, 0.0, 0.0])
    assert (site[0], rel[0]) == (1, 0.0)
    # both sites best at 1:00 (mean 1): the one with the shorter transfer, though index 1
    sig2 = np.array([[9, 1, 9], [9, 1, 9]], float)
    site, rel = spatial_release([0.0], [H], [H], [1.0], sig2, 0.0, [1800.0, 600.0])
    assert (site[0], rel[0]) == (1, H)
    # site 0's data arrive exactly at 1:00 (its first start), site 1 has its hour boundary
    # then: same time, same mean: the shorter transfer
    site, rel = spatial_release([0.0], [H], [H], [1.0], sig2, 0.0, [H, 0.0])
    assert (site[0], rel[0]) == (1, H)
    # means that differ at the level of rounding (1e-12 relative) count as equal: the nearer
    # site, though its mean is the (insignificantly) higher one
    sig3 = np.array([[9, 1, 9], [9, 1 + 1e-12, 9]])
    site, rel = spatial_release([0.0], [H], [H], [1.0], sig3, 0.0, [1800.0, 600.0])
    assert (site[0], rel[0]) == (1, H)
    # nowhere reachable in the window: the home site, at the data's arrival there
    site, rel = spatial_release([0.0], [H], [0.0], [1.0], sig[:2], 0.0, [[900.0, 600.0]], home_site=None)
    assert (site[0], rel[0]) == (1, 600.0)


def _reference(submit, runtime, latest, energy, sig, start, transfer, usd):
    """Every candidate of one job, means from np.interp of the cumulative integral."""
    s_n, h_n = sig.shape
    area = np.concatenate([np.zeros((s_n, 1)), np.cumsum(sig, axis=1)], axis=1)
    best = None
    for s in range(s_n):
        e = submit + transfer[s]
        if e > max(latest, submit):
            continue
        cands = [e] + [start + H * b for b in range(int(np.floor((e - start) / H)) + 1, h_n + 1)
                       if start + H * b <= max(latest, submit)]
        for c in cands:
            x0, x1 = (c - start) / H, (c + runtime - start) / H
            if x0 < 0 or x1 > h_n:
                continue
            mean = (np.interp(x1, np.arange(h_n + 1), area[s]) - np.interp(x0, np.arange(h_n + 1), area[s])) / (x1 - x0)
            obj = energy * mean * 1e-3 + usd[s]
            if best is None or obj < best[0] - 1e-9 * abs(best[0]):
                best = (obj, c, s)
    return best


def test_vectorised_choice_matches_a_slow_reference():
    """300 random jobs, 6 sites, windows 0-30 h, mid-hour submissions and transfer times,
    a series that starts 2.5 h before the run: same site and start as the reference."""
    rng = np.random.default_rng(3)
    n, s_n, h_n = 300, 6, 200
    sig = rng.uniform(20, 200, (s_n, h_n))
    start = -2.5 * H
    submit = rng.uniform(-2 * H, 150 * H, n)
    runtime = rng.uniform(0.1 * H, 8 * H, n)
    latest = submit + rng.uniform(-H, 30 * H, n)
    energy = rng.uniform(1, 100, n)
    transfer = rng.uniform(0, 3 * H, (n, s_n))
    usd = rng.uniform(0, 2, (n, s_n))
    home = rng.integers(0, s_n, n)
    transfer[np.arange(n), home] = 0
    usd[np.arange(n), home] = 0
    site, rel = spatial_release(submit, runtime, latest, energy, sig, start, transfer, usd, "cost", home)
    checked = 0
    for i in range(n):
        ref = _reference(submit[i], runtime[i], latest[i], energy[i], sig, start, transfer[i], usd[i])
        if ref is None:
            continue
        checked += 1
        assert (site[i], rel[i]) == pytest.approx((ref[2], ref[1]), abs=1e-6), i
    assert checked > 250
    # one site, no transfer: temporal_release agrees with the same reference
    t_rel = temporal_release(submit, runtime, latest, sig[0], start)
    for i in range(n):
        ref = _reference(submit[i], runtime[i], latest[i], 1.0, sig[:1], start, [0.0], [0.0])
        assert t_rel[i] == pytest.approx(submit[i] if ref is None else ref[1], abs=1e-6)


# --- CICS-style virtual capacity curve -----------------------------------------------------

def test_budgets_fill_the_lowest_hours_first():
    """Forecast 5, 1, 9, 2, one job of 2 GPU-h, cap 1 GPU-h per hour: margin 0 gives hours 1
    and 3 (the two lowest) 1 GPU-h each; margin 0.5 (3 GPU-h) adds hour 0; cap 2 puts all
    2 GPU-h in hour 1; cap 1.5 gives 1.5 to hour 1 and the other 0.5 to hour 3."""
    sig = np.array([5, 1, 9, 2], float)
    b = lambda cap, margin: vcc_budgets_gpu_h([0.0], [2 * H], np.array([1.0]), sig, 0.0, cap, 0.0, margin).tolist()
    assert b(1.0, 0.0) == [0, 1, 0, 1]
    assert b(1.0, 0.5) == [1, 1, 0, 1]
    assert b(2.0, 0.0) == [0, 2, 0, 0]
    assert b(1.5, 0.0) == [0, 1.5, 0, 0.5]


def test_budgets_are_per_day():
    """Days are 24 h from day_start_s: a job submitted on the second day funds only that
    day's hours (its lowest, hour 30); the first day, with no demand, gets nothing."""
    sig = np.concatenate([np.full(24, 5.0), np.full(24, 5.0)])
    sig[30] = 1.0
    b = vcc_budgets_gpu_h([25 * H], [H], np.array([1.0]), sig, 0.0, 1.0, 0.0, 0.0)
    assert b.sum() == 1.0 and b[30] == 1.0


def test_cics_admission_waits_for_room_and_keeps_deadlines():
    """Day forecast 5, 1, 9, 2, then 10s; cap 1 GPU-h per hour; three 1-GPU 1-h jobs at 0:
    demand 3, budgets go to hours 1, 3, 0. The first job fits hour 0 at once, the second
    waits for hour 1, the third for hour 3 (hour 2 has none). With a fourth such job (demand
    4: hour 2 gets 1 GPU-h too, so the third starts there) whose latest start is 1:30, hours 0
    and 1 are full: it starts at 1:30, its deadline."""
    sig = np.array([5, 1, 9, 2] + [10] * 20, float)
    rel = cics_release([0.0, 0.0, 0.0], H, [1, 1, 1], 23 * H, sig, 0.0, 1.0, 1.0, margin=0.0)
    assert rel.tolist() == [0.0, H, 3 * H]
    rel = cics_release([0.0] * 4, H, [1] * 4, [23 * H] * 3 + [1.5 * H], sig, 0.0, 1.0, 1.0, margin=0.0)
    assert rel.tolist() == [0.0, H, 2 * H, 1.5 * H]


def test_cics_runs_charge_every_hour_they_cover():
    """Forecast 1, 2, 3, then 9s; a 2-h and a 1-h 1-GPU job at 0; cap 1: budgets 1 GPU-h in
    hours 0, 1, 2. The 2-h job starts at 0 and uses hours 0 and 1, so the 1-h job starts at
    2:00. A job submitted at 0:30 needs only half of its first hour's budget."""
    sig = np.array([1, 2, 3] + [9] * 21, float)
    rel = cics_release([0.0, 0.0], [2 * H, H], [1, 1], 23 * H, sig, 0.0, 1.0, 1.0, margin=0.0)
    assert rel.tolist() == [0.0, 2 * H]
    # two 30-min 1-GPU jobs, at 0:00 and 0:30, cap 0.5 GPU-h per hour: budgets 0.5 in hours
    # 0 and 1. The first takes hour 0's 0.5; the second needs 0.5 of hour 0 too, finds none
    # left, and starts at 1:00
    sig2 = np.array([1, 2] + [9] * 22, float)
    rel = cics_release([0.0, 1800.0], [1800.0, 1800.0], [1, 1], 23 * H, sig2, 0.0, 1.0, 0.5, margin=0.0)
    assert rel.tolist() == [0.0, H]


def test_cics_larger_share_delays_more_and_saves_more():
    """2,000 one-hour jobs over 9 days (about 245 GPU-h a day with the margin) on 100 GPUs:
    a 10% share cap (10 GPU-h an hour) spreads the budget over the whole day, a 50% cap
    puts it in the day's ~5 lowest hours, so jobs wait longer and run on a lower mean
    signal. No job starts before its submission or after its latest start."""
    rng = np.random.default_rng(0)
    sig = rng.uniform(50, 500, 24 * 10)
    submit = np.sort(rng.uniform(0, 9 * 24 * H, 2000))
    low = cics_release(submit, H, np.ones(2000), submit + 24 * H, sig, 0.0, 100.0, 0.1)
    high = cics_release(submit, H, np.ones(2000), submit + 24 * H, sig, 0.0, 100.0, 0.5)
    assert np.all(low >= submit) and np.all(high <= submit + 24 * H)
    assert (high - submit).mean() > (low - submit).mean()
    area = np.concatenate([[0.0], np.cumsum(sig)])
    edges = np.arange(sig.size + 1)
    mean = lambda t: np.interp(t / H + 1, edges, area) - np.interp(t / H, edges, area)  # noqa: E731
    assert mean(high).sum() < mean(low).sum() < mean(submit).sum()
