"""When (and where) a deferrable job should start, decided once when it is submitted, from a
forecast of an hourly grid signal (carbon intensity, gCO2eq/kWh, or price, USD/MWh). The
engine then treats the job as arriving at its release time; its wait still counts from its
submission.

Conventions shared by every function here:

* times are seconds since the run start (`*_s`); the signal is hourly values, hour 0
  starting at `signal_start_s` (negative when the series begins before the run), so hour h
  covers [signal_start_s + 3600 h, signal_start_s + 3600 (h + 1));
* "whole hour boundaries" are the signal's hour edges;
* the mean of the signal over a run [t, t + runtime] is time-weighted, fractional hours
  exact, from the cumulative integral as `HourlySeries.on_ticks` computes it;
* a candidate start whose run leaves the signal has no forecast and is not taken;
* equal objectives (within 1e-9 relative, so that rounding in the cumulative sums cannot
  decide) go to the earliest start.

Policies: forecast error as in Wiesner et al. ("Let's Wait Awhile", Middleware 2021);
temporal shifting as their flexible-window scheduling; spatio-temporal shifting as the
upper-bound "shift to the best region and hour" of Sukprasert et al. ("On the Limitations of
Carbon-Aware Temporal and Spatial Workload Shifting in the Cloud", EuroSys 2024) with a
data-transfer delay and cost; a daily flexible-capacity cap as Google's Virtual Capacity
Curves (Radovanović et al., "Carbon-Aware Computing for Datacenters", IEEE Trans. Power
Systems 38(2), 2023). The ideal bound these are judged against is `grid/shifting.py`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from orbitgrid.grid.series import HOUR_S

DAY_S = 86400.0
TIE_REL = 1e-9  # objectives this close (relative) count as equal; the earliest start wins
EPS_H = 1e-9  # hours: a start or end this close to a limit is within it
CHUNK_CELLS = 1 << 19  # job x site x candidate cells per chunk (4 MB per float array)


def forecast(values: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A forecast of an hourly series: each value times (1 + noise x N(0, 1)), independently
    per hour, the normally distributed relative error that Wiesner et al. ("Let's Wait
    Awhile", Middleware 2021) give their carbon-intensity forecasts. noise 0 returns the
    values unchanged (a copy; the generator is not drawn from)."""
    v = np.asarray(values, dtype=np.float64)
    if noise < 0:
        raise ValueError("noise must be at least 0")
    if noise == 0:
        return v.copy()
    return v * (1.0 + noise * rng.standard_normal(v.shape))


def temporal_release(submit_s: np.ndarray, runtime_s: np.ndarray, latest_start_s: np.ndarray,
                     signal: np.ndarray, signal_start_s: float) -> np.ndarray:
    """Release time (s) of each job under "Let's Wait Awhile" (Wiesner et al., Middleware
    2021): start at submission or at any hour boundary up to `latest_start_s`, whichever
    has the lowest forecast mean over [start, start + runtime]; ties go to the earliest.
    Jobs with latest_start_s <= submit_s, no runtime, or no forecast for any candidate are
    released at submission. `signal` is one zone's hourly forecast (H,)."""
    sig = np.asarray(signal, dtype=np.float64)
    if sig.ndim != 1:
        raise ValueError("temporal_release takes one zone's signal, shape (hours,)")
    submit, runtime, latest = _jobs(submit_s, runtime_s, latest_start_s)
    _, release = _plan(submit, runtime, latest, np.zeros((submit.size, 1)), sig[None, :], float(signal_start_s),
                       np.ones_like(submit), None)
    return release


def spatial_release(submit_s: np.ndarray, runtime_s: np.ndarray, latest_start_s: np.ndarray,
                    energy_kwh: np.ndarray, signal: np.ndarray, signal_start_s: float,
                    transfer_s: np.ndarray, transfer_usd: np.ndarray | None = None,
                    objective: str = "carbon", home_site: np.ndarray | None = None,
                    signal_per_kwh: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(site index, release time s) of each job under spatio-temporal shifting: among S
    sites and the starts each allows, the one with the lowest forecast objective, as in the
    combined "shift to the lowest-carbon region and hour within the slack" policy of
    Sukprasert et al. (EuroSys 2024), with their data-transfer constraint made explicit.

    Site s can start the job from submit + transfer_s[s] (moving its data there) to
    max(latest_start_s, submit); the candidates are that earliest start and every hour
    boundary after it. `transfer_s` is (S,) or (N, S); `home_site` (N,), if given, zeroes a
    job's transfer time and cost at its home. Objectives (`signal` (S, H) is forecast):

    * "carbon": energy_kwh x mean intensity over the run (g for gCO2eq/kWh);
    * "cost": energy_kwh x mean price x `signal_per_kwh` (default 1e-3: USD/MWh -> USD/kWh)
      + transfer_usd (N, S) (USD); transfer_usd is ignored for "carbon".

    Ties: the earliest release, then the shortest transfer, then the lowest site index. A
    job no site can take in its window (every transfer too long, or no forecast) goes to
    its home site (else the site it reaches first) at the earliest start there."""
    sig = np.asarray(signal, dtype=np.float64)
    if sig.ndim != 2:
        raise ValueError("spatial_release takes a (sites, hours) signal")
    if objective not in ("carbon", "cost"):
        raise ValueError('objective must be "carbon" or "cost"')
    submit, runtime, latest = _jobs(submit_s, runtime_s, latest_start_s)
    n, s = submit.size, sig.shape[0]
    transfer = np.broadcast_to(np.asarray(transfer_s, dtype=np.float64), (n, s)).copy()
    usd = None
    if objective == "cost" and transfer_usd is not None:
        usd = np.broadcast_to(np.asarray(transfer_usd, dtype=np.float64), (n, s)).copy()
    if home_site is not None:
        home = np.asarray(home_site, dtype=np.int64)
        transfer[np.arange(n), home] = 0.0
        if usd is not None:
            usd[np.arange(n), home] = 0.0
    if np.any(transfer < 0):
        raise ValueError("transfer_s must be at least 0")
    per_kwh = signal_per_kwh if signal_per_kwh is not None else (1.0 if objective == "carbon" else 1e-3)
    scale = np.broadcast_to(np.asarray(energy_kwh, dtype=np.float64), (n,)) * per_kwh
    site, release = _plan(submit, runtime, latest, transfer, sig, float(signal_start_s), scale, usd)
    lost = site < 0
    if lost.any():  # no site could take it in its window: home, else the first reachable
        fallback = (np.asarray(home_site, dtype=np.int64)[lost] if home_site is not None
                    else np.argmin(transfer[lost], axis=1))
        site[lost] = fallback
        release[lost] = submit[lost] + transfer[lost, fallback]
    return site, release


def cics_release(submit_s: np.ndarray, runtime_s: np.ndarray, gpus: np.ndarray, latest_start_s: np.ndarray,
                 signal: np.ndarray, signal_start_s: float, capacity_gpus: float, flexible_share_cap: float,
                 day_start_s: float = 0.0, margin: float = 0.1) -> np.ndarray:
    """Release time (s) of each flexible job under a daily Virtual Capacity Curve, after
    Google's Carbon-Intelligent Computing System (Radovanović et al., IEEE Trans. Power
    Systems 38(2), 2023): delay flexible work into a day's lowest-carbon hours while keeping
    enough capacity that it all runs within the day.

    Per day (days run 24 h from `day_start_s`; a job belongs to the day it is submitted in,
    an hour to the day it starts in): the day's flexible demand D = sum of gpus x runtime
    (GPU-h) gets hourly budgets, the lowest-forecast hours first (ties: earliest), each at
    most flexible_share_cap x capacity_gpus GPU-h, until (1 + margin) x D is given out.
    Then, in submission order, each job starts at the first of its submission and the
    later hour boundaries up to its latest start whose remaining budget covers gpus x its
    run's share of that hour, and its run is charged to every hour it covers (later hours
    may go below zero: a running job is not stopped). A job no hour admits starts at its
    latest start (its submission if that is earlier), charged the same: CICS delays
    flexible work but never drops it.

    Simplified from the paper: no inflexible-load or demand forecast (the day's flexible
    demand is known exactly, the margin stands in for the paper's risk-aware uncertainty
    buffer), no power model (budgets are GPU-hours, the cap a share of the GPUs rather than
    of cluster power), no power-capping or peak-power cost term, and one cluster.

    A sequential loop over jobs, O(hours scanned + hours run) each."""
    sig = np.asarray(signal, dtype=np.float64)
    if sig.ndim != 1:
        raise ValueError("cics_release takes one zone's signal, shape (hours,)")
    if capacity_gpus <= 0 or not 0 < flexible_share_cap <= 1 or margin < 0:
        raise ValueError("need capacity_gpus > 0, 0 < flexible_share_cap <= 1, margin >= 0")
    submit, runtime, latest = _jobs(submit_s, runtime_s, latest_start_s)
    g = np.broadcast_to(np.asarray(gpus, dtype=np.float64), submit.shape)
    budget = vcc_budgets_gpu_h(submit, runtime, g, sig, signal_start_s, capacity_gpus * flexible_share_cap,
                               day_start_s, margin)
    return _admit(submit, runtime, g, latest, budget, float(signal_start_s),
                  1e-9 * capacity_gpus * flexible_share_cap)


def vcc_budgets_gpu_h(submit_s: np.ndarray, runtime_s: np.ndarray, gpus: np.ndarray, signal: np.ndarray,
                      signal_start_s: float, cap_gpus: float, day_start_s: float, margin: float) -> np.ndarray:
    """Each signal hour's flexible budget (GPU-h) under the daily Virtual Capacity Curve of
    Radovanović et al. (2023): (1 + margin) x the day's flexible demand, poured into the
    day's hours from the lowest forecast up, at most `cap_gpus` GPU-h per hour."""
    sig = np.asarray(signal, dtype=np.float64)
    hour_start_s = signal_start_s + HOUR_S * np.arange(sig.size)
    hour_day = np.floor((hour_start_s - day_start_s) / DAY_S).astype(np.int64)
    submit = np.atleast_1d(np.asarray(submit_s, dtype=np.float64))
    gpu_h = (np.broadcast_to(np.asarray(gpus, dtype=np.float64), submit.shape)
             * np.broadcast_to(np.asarray(runtime_s, dtype=np.float64), submit.shape) / HOUR_S)
    job_day = np.floor((submit - day_start_s) / DAY_S).astype(np.int64)
    d0 = min(int(hour_day.min()) if sig.size else 0, int(job_day.min()) if job_day.size else 0)
    d1 = max(int(hour_day.max()) if sig.size else 0, int(job_day.max()) if job_day.size else 0)
    demand_gpu_h = np.bincount(job_day - d0, weights=gpu_h, minlength=d1 - d0 + 1)
    order = np.lexsort((np.arange(sig.size), sig, hour_day))  # by day, then forecast, then hour
    day_sorted = hour_day[order]
    first = np.searchsorted(day_sorted, day_sorted, side="left")
    rank = np.empty(sig.size, dtype=np.float64)
    rank[order] = np.arange(sig.size) - first  # 0 for each day's lowest hour
    total = (1.0 + margin) * demand_gpu_h[hour_day - d0]
    return np.clip(total - rank * cap_gpus, 0.0, cap_gpus)


# --- internals ----------------------------------------------------------------------------

def _jobs(submit_s, runtime_s, latest_start_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    submit = np.atleast_1d(np.asarray(submit_s, dtype=np.float64))
    runtime = np.broadcast_to(np.asarray(runtime_s, dtype=np.float64), submit.shape)
    latest = np.broadcast_to(np.asarray(latest_start_s, dtype=np.float64), submit.shape)
    if np.any(runtime < 0):
        raise ValueError("runtime_s must be at least 0")
    return submit, runtime, latest


def _plan(submit: np.ndarray, runtime: np.ndarray, latest: np.ndarray, transfer: np.ndarray, values: np.ndarray,
          signal_start_s: float, scale: np.ndarray, extra: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Best (site, release) per job: the lowest scale x mean signal over the run (+ extra,
    per site), over each site's earliest start (submit + transfer) and the hour boundaries
    after it up to max(latest, submit). Jobs with no candidate get site -1 and release at
    submission; jobs with no runtime start at once at the site they reach first.
    Vectorised over chunks of jobs of similar window length (memory flat in N)."""
    n = submit.size
    s_n, h_n = values.shape
    site = np.full(n, -1, dtype=np.int64)
    release = submit.copy()
    if n == 0 or h_n == 0:
        return site, release
    area = np.zeros((s_n, h_n + 1))
    np.cumsum(values, axis=1, out=area[:, 1:])  # value x hours up to each hour edge
    vmax = float(np.abs(values).max())
    sub_h = (submit - signal_start_s) / HOUR_S
    end_h = (np.maximum(latest, submit) - signal_start_s) / HOUR_S
    run_h = runtime / HOUR_S
    # boundary candidates: b = b_first + j, j = 0 .. n_bound - 1 (b <= window end, run inside)
    b_first = np.clip(np.floor(sub_h) + 1, 0, h_n + 1)
    n_bound = np.floor(np.minimum(end_h, h_n - run_h) + EPS_H) - b_first + 1
    n_bound = np.where(run_h > 0, np.clip(n_bound, 0, h_n + 1), 0).astype(np.int64)
    k_max = int(n_bound.max())
    values_pad = np.concatenate([values, np.zeros((s_n, k_max + 2))], axis=1)
    # jobs grouped by whole hours of run (the sums over those hours are shared), then by window
    run_whole = np.minimum(np.floor(run_h), h_n + 1).astype(np.int64)
    order = np.lexsort((n_bound, run_whole))
    cuts = np.flatnonzero(np.diff(run_whole[order])) + 1
    for group in np.split(order, cuts):
        r_whole = int(run_whole[group[0]])
        k_group = int(n_bound[group].max())
        whole = np.zeros((s_n, h_n + k_group + 2))  # sum over [b, b + r_whole) for each start hour b
        if k_group > 0 and r_whole <= h_n:
            whole[:, :h_n + 1 - r_whole] = area[:, r_whole:] - area[:, :h_n + 1 - r_whole]
        k_sorted = n_bound[group]
        start = 0
        while start < group.size:  # at most CHUNK_CELLS cells each (windows ascend: the last is the widest)
            stop = group.size
            while stop - start > 1 and (stop - start) * s_n * (k_sorted[stop - 1] + 1) > CHUNK_CELLS:
                stop = start + max(1, CHUNK_CELLS // (s_n * (int(k_sorted[stop - 1]) + 1)))
            idx = group[start:stop]
            site[idx], release[idx] = _plan_chunk(
                submit[idx], sub_h[idx], end_h[idx], run_h[idx], b_first[idx], int(k_sorted[stop - 1]), r_whole,
                transfer[idx], area, whole, values, values_pad, signal_start_s, scale[idx], vmax,
                None if extra is None else extra[idx])
            start = stop
    zero = runtime == 0  # nothing to shift: start at once where the job gets first
    if zero.any():
        site[zero] = np.argmin(transfer[zero], axis=1)
        release[zero] = submit[zero] + transfer[zero, site[zero]]
    return site, release


def _plan_chunk(submit, sub_h, end_h, run_h, b_first, k, r_whole, transfer, area, whole, values, values_pad,
                signal_start_s, scale, vmax, extra):
    """One chunk of `_plan`: jobs whose runs all have `r_whole` whole hours; `whole` holds
    each site's sum over r_whole hours from each hour boundary."""
    n = submit.size
    s_n, h_n = values.shape
    rows = np.arange(n)[:, None]
    perm = np.argsort(transfer, axis=1, kind="stable")  # sites by transfer: ties go to the nearest
    tr = transfer[rows, perm]
    ex = None if extra is None else extra[rows, perm]
    per_h = scale / np.where(run_h > 0, run_h, 1.0)  # objective per value-hour
    # candidate 0: each site's earliest start (may be mid-hour)
    x0 = sub_h[:, None] + tr / HOUR_S
    x1 = x0 + run_h[:, None]
    ok0 = (x0 >= 0) & (x1 <= h_n + EPS_H) & (x0 <= end_h[:, None] + EPS_H)
    x0c, x1c = np.clip(x0, 0, h_n), np.clip(x1, 0, h_n)
    i0 = np.minimum(x0c.astype(np.int64), h_n - 1)
    i1 = np.minimum(x1c.astype(np.int64), h_n - 1)
    # within one hour the cumulative terms cancel exactly, so short runs read the hour's value
    integ0 = (area[perm, i1] - area[perm, i0]) + (x1c - i1) * values[perm, i1] - (x0c - i0) * values[perm, i0]
    obj0 = np.where(run_h[:, None] > 0, integ0 * per_h[:, None], scale[:, None] * values[perm, i0])
    if ex is not None:
        obj0 += ex
    obj0[~ok0] = np.inf
    best = obj0.min(axis=1)
    # candidates 1..k: hour boundaries b = b_first + j, gathered as contiguous slices per site:
    # the run's whole hours from `whole`, its last partial hour from the values
    if k > 0:
        at_start = b_first.astype(np.int64)[:, None]
        at_end = np.minimum(b_first + r_whole, h_n).astype(np.int64)[:, None]  # b + whole hours
        obj = sliding_window_view(whole, k, axis=1)[perm, at_start]  # (n, S, k)
        part = sliding_window_view(values_pad, k, axis=1)[perm, at_end]
        part *= (run_h - r_whole)[:, None, None]
        obj += part
        obj *= per_h[:, None, None]
        if ex is not None:
            obj += ex[:, :, None]
        j = np.arange(k)
        lo = np.maximum(np.floor(x0) + 1 - b_first[:, None], 0)  # first boundary after the earliest start
        if lo.max() > 0:
            first = int(min(lo.max(), k))
            np.copyto(obj[..., :first], np.inf, where=j[:first] < lo[..., None])
        n_b = np.floor(np.minimum(end_h, h_n - run_h) + EPS_H) - b_first + 1  # boundaries in the window
        short = np.flatnonzero(n_b < k)
        if short.size:
            obj[short] = np.where(j >= n_b[short, None, None], np.inf, obj[short])
        by_hour = obj.min(axis=1)  # (n, k): the best site at each boundary
        best = np.minimum(best, by_hour.min(axis=1))
    has = np.isfinite(best)
    limit = best + TIE_REL * (np.abs(best) + np.abs(scale) * vmax)
    rel0 = np.where(obj0 <= limit[:, None], submit[:, None] + tr, np.inf)
    s0 = np.argmin(rel0, axis=1)  # earliest (= nearest) site whose first start is near the best
    r0 = rel0[np.arange(n), s0]
    choice, rel = s0, r0
    if k > 0:
        near_hour = by_hour <= limit[:, None]
        j_best = np.argmax(near_hour, axis=1)
        sb = np.argmax(obj[np.arange(n), :, j_best] <= limit[:, None], axis=1)  # nearest site at that hour
        rb = np.where(near_hour[np.arange(n), j_best], signal_start_s + HOUR_S * (b_first + j_best), np.inf)
        boundary = rb <= r0  # equal times: the boundary's site is the nearer one
        choice, rel = np.where(boundary, sb, s0), np.where(boundary, rb, r0)
    return np.where(has, perm[np.arange(n), choice], -1), np.where(has, rel, submit)


def _admit(submit: np.ndarray, runtime: np.ndarray, gpus: np.ndarray, latest: np.ndarray, budget: np.ndarray,
           signal_start_s: float, eps: float) -> np.ndarray:
    """CICS admission against hourly budgets (GPU-h), jobs in submission order; hours
    outside the signal have no budget."""
    rem = budget.astype(np.float64).tolist()
    h_n = len(rem)
    x_sub = ((submit - signal_start_s) / HOUR_S).tolist()
    x_end = ((np.maximum(latest, submit) - signal_start_s) / HOUR_S).tolist()
    run_h = (runtime / HOUR_S).tolist()
    g_l = gpus.tolist()
    release = np.maximum(latest, submit)  # the deadline fallback
    for i in np.argsort(submit, kind="stable").tolist():
        xs, xl, r, g = x_sub[i], x_end[i], run_h[i], g_l[i]
        h0 = int(xs // 1)
        if 0 <= h0 < h_n and rem[h0] >= g * (min(xs + r, h0 + 1.0) - xs) - eps:
            x = xs  # room in the submission's own hour
            release[i] = submit[i]
        else:
            x = xl
            need = g * min(r, 1.0) - eps
            for h in range(max(h0 + 1, 0), min(int(xl // 1), h_n - 1) + 1):
                if rem[h] >= need:
                    x = float(h)
                    release[i] = signal_start_s + HOUR_S * h
                    break
        end = x + r  # charge the run to the hours it covers
        h = max(int(x // 1), 0)
        while h < end and h < h_n:
            rem[h] -= g * (min(end, h + 1.0) - max(x, float(h)))
            h += 1
    return release
