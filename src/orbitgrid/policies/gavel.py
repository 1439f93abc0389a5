"""Gavel: heterogeneity-aware allocation by linear programme, carried out in rounds.

D. Narayanan, K. Santhanam, F. Kazhamiaka, A. Phanishayee, M. Zaharia, "Heterogeneity-Aware
Cluster Scheduling Policies for Deep Learning Workloads", OSDI 2020, and the authors'
scheduler (github.com/stanford-futuredata/gavel: `scheduler/policies/max_min_fairness.py`,
`min_total_duration.py`, `finish_time_fairness.py`, `proportional.py`; the round mechanism
in `scheduler/scheduler.py`, `_update_priorities`, `_reset_time_run_so_far`,
`_schedule_jobs_on_workers_helper`, `simulate`).

**The allocation.** X[j, k] is the share of time job j should spend on GPU type k (each
row sums to at most 1; per type, sum over jobs of X[j, k] x gang_j is at most the type's
GPUs; X[j, k] = 0 where j may not use k). Its input is a (jobs x types) throughput array
T[j, k], the gang's rate on type k in reference-GPU-seconds per second; by default gang x
the type's catalogue speed (`GavelPolicy.throughput`; a per-job matrix can replace it).
The job's effective throughput is sum_k T[j, k] X[j, k]. `gavel_objective` picks the LP:

* `max_min_fairness` (Gavel's `MaxMinFairnessPolicyWithPerf`): maximise the smallest
  weighted normalised throughput, sum_k T[j, k] X[j, k] / (w_j x T_j(X_equal)),
  where X_equal gives each of the n jobs 1/n of every type it may use (as the paper defines
  it; time fractions scaled into one unit of time when that share exceeds it) and w_j is
  the job's weight (`gavel_priority_weights`, by job priority; default 1). On one GPU type
  this is equal GPU shares (LAS's goal); across types a job gets more of the type it is
  relatively fastest on.
* `min_makespan` (`MinTotalDurationPolicy`): the least time T by which every job can finish
  its remaining work: sum_k T[j, k] X[j, k] >= remaining_j / T. Gavel bisects on T with a
  feasibility LP each step; with t = tau / T it is one LP (maximise t), with the same
  optimum.
* `finish_time_fairness` (`FinishTimeFairnessPolicyWithPerf`; Themis, Mahajan et al. NSDI
  2020): minimise the largest rho_j = (t_j + remaining_j / thr_j(X)) / (t_j + remaining_j /
  thr_j(X_equal)), t_j the time since the job arrived. Gavel hands the convex programme to
  cvxpy; here rho is bisected, each step a feasibility LP (warm-started: only row bounds
  change; among feasible allocations the one with the most normalised throughput), to 0.1%.

The LP is built as sparse columns with numpy (three non-zeros per (job, type) pair the job
may use) and solved with HiGHS (highspy). Max-min and min-makespan optima are not unique
(jobs other than the bottleneck can be given less without changing the objective); a
second solve keeps the objective at its optimum and maximises the sum of the per-job terms,
so capacity the bottleneck does not need goes to the others rather than to a solver's
whim (Gavel's water-filling variant goes further, with a MILP per level). Max-min's LP has
one row per kind of job (same throughputs, gang and weight: an optimum gives identical jobs
identical shares), so it takes milliseconds however long the queue; the other two have a
row per job (measured: 2,000 jobs on two types, about 0.07 s for min-makespan and 0.04 s
for finish-time fairness; 5,000 jobs, 0.3 s and 0.1 s, min-makespan up to 1.4 s).

**The rounds** (Gavel's mechanism). Time is cut into rounds of `gavel_round_s` (360 s: the
`--interval` default of Gavel's simulation sweeps, the paper's 6-minute rounds). At the
start of a round the allocation is re-solved if the set of jobs or the GPUs of a type
changed since the last solve (Gavel: on arrivals and completions), and then the time each
job has received on each type since that solve gives its priority there, X[j, k] /
(time on k / all jobs' time on k), each (job, type) pair counted from half a round as in
Gavel. Types are served fastest first (Gavel's fixed v100, p100, k80 order); within a type
jobs go by priority, then by deficit (the time the allocation owed it, minus the time it
got, carried across solves), then by X, then by job id. A job takes the type's GPUs if its
whole gang fits the count left, at most one type per round; jobs with X = 0 there come last
but still fill what is left (Gavel skips zero priorities only for FIFO). A running gang
given the same type again keeps its GPUs; every other running gang is preempted at the
boundary (it keeps its work; `restart_overhead_s` is paid on restart), and the new ones
are placed largest first, each whole on one type within a training domain (the fastest
single pool that holds it, best fit; else the domain filled with the fewest pools). A
round ends after `gavel_round_s`, or at once when none of its gangs is still running (as
in Gavel's simulator, where a round ends with its last job); in between nothing starts,
so GPUs a finished job frees wait for the next round, and so does a job that arrives.

**What is simplified.** No space sharing (Gavel's packing variants), no placement
sensitivity (consolidated versus unconsolidated throughputs), no throughput estimation:
the throughputs are known. The count of a type's GPUs ignores training domains, as Gavel
counts workers; a gang that then cannot be placed in one domain is skipped and the GPUs go
to the next job in order. Gavel re-solves at most once per 1920 s
(`minimum_time_between_allocation_resets`); here at the first round after any change. A
gang larger than any single type can hold in a domain is left out of the allocation and
started, mixed as `find_placement` places it, only on GPUs left over after a round's
placements. Priority weights apply to max-min fairness only (Gavel's finish-time fairness
leaves them as a TODO). The same inputs give the same decisions: ties go by job id and
HiGHS is deterministic.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from orbitgrid.highs import quiet_highs

try:  # a declared dependency; without it only this policy is unavailable
    import highspy
except ImportError:  # pragma: no cover
    highspy = None

from orbitgrid.policies.base import ClusterView, Decision, Placement
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec

OBJECTIVES = ("max_min_fairness", "min_makespan", "finish_time_fairness")
EPS_S = 1e-6  # a round boundary within a microsecond counts as reached
X_EPS = 1e-6  # time fractions below this (a third of a millisecond a round) are solver noise: 0
NEW_PAIR_PRIORITY = 1e9  # Gavel: X x 1e9 for a pair with no time yet (not reached: pairs start at half a round)
STAGE2_SLACK = 1e-7  # second solve: the objective kept within this (relative) of its optimum
FTF_REL_TOL = 1e-3  # finish-time fairness: rho to 0.1%
FTF_MAX_STEPS = 40
INF = math.inf  # HiGHS reads any bound of 1e20 or more as infinite


@dataclass(frozen=True)
class Allocation:
    """An LP's answer: `x` (jobs x types) time fractions; `value` the objective (max-min:
    the smallest weighted normalised throughput; min-makespan: the makespan in the units of
    remaining / throughput; finish-time fairness: the largest rho); `lp_solves` HiGHS runs."""

    x: np.ndarray
    value: float
    lp_solves: int


def equal_share(throughput: np.ndarray, gpus: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """X_equal: each of the n jobs gets 1/n of the GPUs of every type it may use
    (throughput > 0), as time fractions N_k / (n x gang); a row above 1 is scaled to 1."""
    throughput = np.asarray(throughput, dtype=np.float64)
    n = throughput.shape[0]
    if n == 0:
        return np.zeros_like(throughput)
    share = np.where(throughput > 0, np.asarray(capacity, float)[None, :] / (n * np.asarray(gpus, float)[:, None]), 0.0)
    return share / np.maximum(share.sum(axis=1), 1.0)[:, None]




class _Lp:
    """max c'x (+ t) over x[j, k] in [0, 1] for the pairs with coef > 0, subject to
    row sums <= 1, sum_j gpus_j x[j, k] <= capacity_k, and per job
    sum_k coef[j, k] x[j, k] - t >= 0 (with a t column) or >= a lower bound set later.
    (A row may stand for several identical jobs: `gpus` is then their GPUs together.)

    Columns: the pairs by job then type, then t. Rows: J row sums, K capacities, J
    objective rows. Built column-wise with numpy: three non-zeros per pair."""

    def __init__(self, coef: np.ndarray, gpus: np.ndarray, capacity: np.ndarray, with_t: bool):
        if highspy is None:
            raise RuntimeError("the gavel policy needs the HiGHS solver: pip install highspy")
        J, K = coef.shape
        jj, kk = np.nonzero(coef > 0)
        n = jj.size
        self.J, self.K, self.jj, self.kk, self.n, self.with_t = J, K, jj, kk, n, with_t
        index = np.empty((n, 3), dtype=np.int32)
        index[:, 0], index[:, 1], index[:, 2] = jj, J + kk, J + K + jj
        value = np.empty((n, 3))
        value[:, 0], value[:, 1], value[:, 2] = 1.0, gpus[jj], coef[jj, kk]
        start = np.arange(0, 3 * n + 1, 3, dtype=np.int32)
        index, value = index.ravel(), value.ravel()
        ncol = n + int(with_t)
        cost = np.zeros(ncol)
        lower, upper = np.zeros(ncol), np.ones(ncol)
        if with_t:
            index = np.concatenate([index, np.arange(J + K, 2 * J + K, dtype=np.int32)])
            value = np.concatenate([value, -np.ones(J)])
            start = np.append(start, np.int32(3 * n + J))
            cost[n], upper[n] = 1.0, INF
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = ncol, 2 * J + K
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
        lp.row_lower_ = np.concatenate([np.full(J + K, -INF), np.zeros(J)])
        lp.row_upper_ = np.concatenate([np.ones(J), np.asarray(capacity, float), np.full(J, INF)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
        self.h = h = quiet_highs()
        h.passModel(lp)
        self.solves = 0

    def run(self) -> bool:
        """Solve; True when optimal."""
        self.h.run()
        self.solves += 1
        return self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def x(self) -> np.ndarray:
        col = np.asarray(self.h.getSolution().col_value)
        out = np.zeros((self.J, self.K))
        out[self.jj, self.kk] = np.clip(col[: self.n], 0.0, 1.0)
        out[out < X_EPS] = 0.0
        return out

    def t(self) -> float:
        return float(self.h.getSolution().col_value[self.n])

    def set_costs(self, cost: np.ndarray, t_cost: float) -> None:
        idx = np.arange(self.n + int(self.with_t), dtype=np.int32)
        cost = cost[self.jj, self.kk]
        if self.with_t:
            cost = np.append(cost, t_cost)
        self.h.changeColsCost(idx.size, idx, cost)

    def fix_t_at_least(self, t: float) -> None:
        self.h.changeColBounds(self.n, t, INF)

    def set_objective_rows(self, lower: np.ndarray) -> None:
        idx = np.arange(self.J + self.K, 2 * self.J + self.K, dtype=np.int32)
        self.h.changeRowsBounds(idx.size, idx, np.asarray(lower, float), np.full(idx.size, INF))


def solve_allocation(
    objective: str,
    throughput: np.ndarray,
    gpus: np.ndarray,
    capacity: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    remaining: np.ndarray | None = None,
    elapsed: np.ndarray | None = None,
) -> Allocation:
    """The allocation X (jobs x types) for `objective` (one of OBJECTIVES).

    throughput: (J, K) rate of each job's gang on each type (0: may not use it); gpus: (J,)
    gang sizes; capacity: (K,) GPUs of each type; weights (max-min fairness): (J,) > 0;
    remaining (min-makespan, finish-time fairness): (J,) work left, in throughput x time;
    elapsed (finish-time fairness): (J,) time since each job arrived."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}: one of {', '.join(OBJECTIVES)}")
    T = np.asarray(throughput, dtype=np.float64)
    gpus = np.asarray(gpus, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    J, K = T.shape
    T = np.where(gpus[:, None] <= capacity[None, :], T, 0.0)  # a gang must fit the type whole
    x = np.zeros((J, K))
    live = np.flatnonzero((T > 0).any(axis=1))
    if live.size == 0:
        return Allocation(x, math.nan, 0)
    T, g = T[live], gpus[live]
    if objective == "max_min_fairness":
        w = np.ones(live.size) if weights is None else np.asarray(weights, float)[live]
        iso = (T * equal_share(T, g, capacity)).sum(axis=1)
        coef = T / (w * iso)[:, None]
        # identical jobs (same throughputs, gang and weight) get the same share at an
        # optimum (the LP is convex and symmetric in them): one row per kind of job
        kinds, first, inverse, count = np.unique(
            np.column_stack([coef, g]), axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        inverse = inverse.reshape(-1)
        xc, value, solves = _max_t(coef[first], g[first] * count, capacity, count)
        sub = xc[inverse]
    elif objective == "min_makespan":
        rem = np.maximum(np.asarray(remaining, float)[live], 1e-12)
        # t = tau / makespan with tau a lower bound on it, so that t is of order 1
        per_gpu = (T / g[:, None]).max(axis=0)  # (K,) the best rate per GPU of each type
        tau = max(float((rem / T.max(axis=1)).max()), float(rem.sum() / (capacity * per_gpu).sum()))
        sub, t, solves = _max_t(T * tau / rem[:, None], g, capacity, np.ones(live.size))
        value = tau / t if t > 0 else math.inf
    else:
        rem = np.maximum(np.asarray(remaining, float)[live], 1e-12)
        el = np.maximum(np.asarray(elapsed, float)[live], 0.0)
        sub, value, solves = _min_rho(T, g, capacity, rem, el)
    x[live] = sub
    return Allocation(x, value, solves)


def _max_t(
    coef: np.ndarray, gpus: np.ndarray, capacity: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """Maximise t = min_j sum_k coef[j, k] x[j, k]; then, with t kept at its optimum,
    maximise the sum of those terms (row j counting `count[j]` jobs, of `gpus[j]` GPUs
    together). Returns (x, t*, solves)."""
    lp = _Lp(coef, gpus, capacity, with_t=True)
    if not lp.run():
        raise RuntimeError(f"gavel: the allocation LP did not solve ({lp.h.getModelStatus()})")
    t, x = lp.t(), lp.x()
    lp.set_costs(coef * count[:, None], 0.0)
    lp.fix_t_at_least(max(t * (1.0 - STAGE2_SLACK), 0.0))
    if lp.run():  # (should the second stage fail, the first solution stands)
        x = lp.x()
    return x, t, lp.solves


def _min_rho(
    T: np.ndarray, gpus: np.ndarray, capacity: np.ndarray, rem: np.ndarray, el: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """Finish-time fairness: the least rho such that every job can meet
    thr_j >= rem_j / (rho D_j - el_j), D_j = el_j + rem_j / thr_j(X_equal), by bisection.
    Rows are scaled by thr_j(X_equal): sum_k (T/iso) x >= (D - el) / (rho D - el)."""
    iso = (T * equal_share(T, gpus, capacity)).sum(axis=1)
    D = el + rem / iso
    coef = T / iso[:, None]
    lp = _Lp(coef, gpus, capacity, with_t=False)
    lp.set_costs(coef, 0.0)

    def rho_of(x: np.ndarray) -> float:
        thr = (T * x).sum(axis=1)
        with np.errstate(divide="ignore"):
            return float(((el + np.where(thr > 0, rem / thr, np.inf)) / D).max())

    def need(rho: float) -> np.ndarray:
        return (D - el) / (rho * D - el)

    lo = float((el / D).max())  # below this some job is late however fast it runs
    hi = 1.0  # X_equal meets it
    lp.set_objective_rows(need(hi))
    if not lp.run():  # only numerically: X_equal is feasible
        x = equal_share(T, gpus, capacity)
        return x, rho_of(x), lp.solves
    best = lp.x()
    hi = min(hi, rho_of(best))
    while hi - lo > FTF_REL_TOL * hi and lp.solves < FTF_MAX_STEPS:
        mid = 0.5 * (lo + hi)
        lp.set_objective_rows(need(mid))
        if lp.run():
            best = lp.x()
            hi = min(mid, rho_of(best))
        else:
            lo = mid
    return best, rho_of(best), lp.solves


@register_policy("gavel")
class GavelPolicy:
    preemptive = True  # asked at every round boundary, free GPUs or not

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.objective = spec.gavel_objective
        self.aware = spec.gavel_heterogeneity_aware
        self.round_s = float(spec.gavel_round_s)
        self.weight_of_priority = {int(k): float(v) for k, v in spec.gavel_priority_weights.items()}
        self.restart_overhead_s = float(spec.restart_overhead_s)
        self._n = -1
        self.round_end_s = -math.inf
        # what the runs cost: rounds, LP solves (and HiGHS runs), seconds in them and in decide
        self.stats = {"rounds": 0, "solves": 0, "lp_solves": 0, "lp_s": 0.0, "lp_s_max": 0.0,
                      "lp_jobs_max": 0, "decide_s": 0.0}  # fmt: skip
        self.last: Allocation | None = None
        self.last_jobs = np.zeros(0, dtype=np.int64)

    # --- the input to the LP: the (jobs x types) throughput ----------------------------
    def throughput(self, view: ClusterView, jobs: np.ndarray, usable: np.ndarray) -> np.ndarray:
        """(len(jobs), K): each gang's rate on each type (reference-GPU-seconds per second):
        gang x the job's speed on the type (its speed class's measured figure, else the
        catalogue's) where the job may use the type (`usable`), else 0."""
        if not self.aware:  # Gavel's agnostic baseline: every type is worth the same
            return view.jobs.gpus[jobs][:, None].astype(np.float64) * usable
        speed = self.class_type_speed[self.speed_row[jobs]]
        return view.jobs.gpus[jobs][:, None].astype(np.float64) * speed * usable

    # --- setup --------------------------------------------------------------------
    def _setup(self, view: ClusterView) -> None:
        world, n = view.world, len(view.jobs)
        self._n = n
        self.type_names = sorted(set(world.pool_gpu))
        K = self.K = len(self.type_names)
        self.pool_type = np.array([self.type_names.index(g) for g in world.pool_gpu], dtype=np.int64)
        # (1 + C, K): each speed class's fastest pool of each type (row 0: catalogue speeds)
        pool_speeds, self.speed_row = view.pool_speeds()
        self.class_type_speed = np.stack([pool_speeds[:, self.pool_type == k].max(axis=1) for k in range(K)], axis=1)
        # fastest first, by the catalogue (row 0: each type's fastest pool)
        self.type_order = np.lexsort((np.arange(K), -self.class_type_speed[0])).tolist()
        masks = view.type_set_masks()  # (T, P)
        self.masks = masks
        self.type_onehot = np.zeros((world.n_pools, K))
        self.type_onehot[np.arange(world.n_pools), self.pool_type] = 1.0
        self.accepts = (masks.astype(np.float64) @ self.type_onehot) > 0  # (T, K)
        self.ts_type_pools = [[np.flatnonzero(m & (self.pool_type == k)) for k in range(K)] for m in masks]
        self.domain_onehot = np.zeros((world.n_pools, max(world.n_domains, 1)))
        self.domain_onehot[np.arange(world.n_pools), world.domain] = 1.0
        self.run_type = np.full(n, -1, dtype=np.int64)  # type of the current run (as last seen)
        self.mixed = np.zeros(n, dtype=bool)  # running outside the allocation, on mixed pools
        self.att_acct = np.zeros(n)  # attained GPU-seconds credited so far
        self.got = np.zeros((n, K))  # seconds on each type since the last solve
        self.deficit = np.zeros((n, K))  # seconds owed by the allocation, over all solves
        self.x = np.zeros((0, K))  # the allocation of self.active
        self.active = np.zeros(0, dtype=np.int64)
        self.key: tuple | None = None
        self.last_solve_s = 0.0

    # --- a pass -------------------------------------------------------------------
    def decide(self, view: ClusterView) -> Decision:
        t0 = time.perf_counter()
        if self._n != len(view.jobs):
            self._setup(view)
        now = view.now_s
        running = view.running_jobs()
        if running.size and now < self.round_end_s - EPS_S:
            return Decision(wake_at_s=self.round_end_s)  # mid-round: nothing starts or stops
        self.round_end_s = now + self.round_s
        self.stats["rounds"] += 1
        self._account(view, running)
        decision = self._round(view, running)
        decision.wake_at_s = self.round_end_s
        self.stats["decide_s"] += time.perf_counter() - t0
        return decision

    def _account(self, view: ClusterView, running: np.ndarray) -> None:
        """Credit the time each gang we placed has held its GPUs since the last pass to its
        type (a gang that ended or was stopped since is credited up to then)."""
        jobs = np.flatnonzero(self.run_type >= 0)
        if not jobs.size:
            return
        att = view.attained_gpu_s(jobs)
        held_s = (att - self.att_acct[jobs]) / view.running_gpus(jobs)
        np.add.at(self.got, (jobs, self.run_type[jobs]), held_s)
        self.att_acct[jobs] = att
        self.run_type[jobs[~np.isin(jobs, running)]] = -1

    def _round(self, view: ClusterView, running: np.ndarray) -> Decision:
        jobs, world, K = view.jobs, view.world, self.K
        queued = view.queued_jobs()
        # GPUs of each pool now (free + held), less those of gangs running outside the allocation
        pj, pp, pg = view.running_pieces()
        held = np.bincount(pp, weights=pg, minlength=world.n_pools)
        mixed_held = np.bincount(pp[self.mixed[pj]], weights=pg[self.mixed[pj]], minlength=world.n_pools)
        cap = view.free + held - mixed_held
        type_cap = np.rint(cap @ self.type_onehot).astype(np.int64)  # (K,)
        # the largest gang each type set can run on one type within one domain: (T, K)
        dom_cap = np.stack(
            [((self.masks & (self.pool_type == k)) * cap) @ self.domain_onehot for k in range(K)], axis=1
        ).max(axis=2)
        cand = np.union1d(queued, running[~self.mixed[running]])
        ts, gpus = jobs.type_set[cand], jobs.gpus[cand]
        usable = self.accepts[ts] & (gpus[:, None] <= dom_cap[ts])  # (J, K)
        in_lp = usable.any(axis=1)
        active, usable, gpus = cand[in_lp], usable[in_lp], gpus[in_lp]
        key = (active.tobytes(), usable.tobytes(), type_cap.tobytes())
        if key != self.key:
            self._solve(view, active, usable, type_cap, key)
        x = self.x

        # priorities: X / (time on the type / all jobs' time on it), from half a round each
        got = self.got[active] + 0.5 * self.round_s * usable
        share = got / np.maximum(got.sum(axis=0), 1e-300)
        prio = np.where(x > 0, np.where(share > 0, x / np.where(share > 0, share, 1.0), x * NEW_PAIR_PRIORITY), 0.0)
        deficit = self.deficit[active]

        # the round: each type, fastest first, in priority order, by GPU count (Gavel)
        chosen = np.full(active.size, -1, dtype=np.int64)  # type each job runs on this round
        orders: list[np.ndarray] = []
        seq = np.full(active.size, -1, dtype=np.int64)
        left = type_cap.copy()
        step = 0
        for k in self.type_order:
            idx = np.flatnonzero(usable[:, k])
            order = idx[np.lexsort((active[idx], -x[idx, k], -deficit[idx, k], -prio[idx, k]))]
            orders.append(order)
            room = int(left[k])
            for i in order.tolist():
                if room <= 0:
                    break
                if chosen[i] < 0 and gpus[i] <= room:
                    chosen[i] = k
                    room -= int(gpus[i])
                    seq[i] = step
                    step += 1
            left[k] = room

        # running gangs: keep those given their type again; the others stop (tentatively)
        is_running = np.isin(active, running)
        cur = np.where(is_running, self.run_type[active], -1)
        keep = is_running & (chosen >= 0) & (chosen == cur)
        released = is_running & ~keep
        free = view.free.copy()
        old_pieces: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for i in np.flatnonzero(released).tolist():
            pools, g = view.running_pools(int(active[i]))
            old_pieces[i] = (pools, g)
            np.add.at(free, pools, g)

        # new placements, largest gangs first (less fragmentation), then in the round's order
        placed: dict[int, Placement] = {}
        todo = np.flatnonzero((chosen >= 0) & ~keep)
        todo = todo[np.lexsort((seq[todo], -gpus[todo]))]
        failed = False
        for i in todo.tolist():
            pl = self._place(view, int(active[i]), int(chosen[i]), free)
            if pl is None:
                failed = True
                continue
            np.subtract.at(free, pl.pools, pl.gpus)
            placed[i] = pl
        if failed:  # GPUs a gang could not use (split domains) go to the next in order
            for k, order in zip(self.type_order, orders):
                for i in order.tolist():
                    if keep[i] or i in placed:
                        continue
                    if i in old_pieces and cur[i] == k:
                        pools, g = old_pieces[i]
                        if (free[pools] >= g).all():  # its GPUs are still free: it keeps them
                            np.subtract.at(free, pools, g)
                            keep[i] = True
                            continue
                    pl = self._place(view, int(active[i]), k, free)
                    if pl is not None:
                        np.subtract.at(free, pl.pools, pl.gpus)
                        placed[i] = pl

        # apply: stop, then start
        preempt = sorted(int(active[i]) for i in np.flatnonzero(is_running & ~keep).tolist())
        for job in preempt:
            view.preempt(job)
        starts: list[Placement] = []
        for i, pl in placed.items():
            view.take(pl)
            starts.append(pl)
            self.run_type[pl.job] = int(self.pool_type[pl.pools[0]])
            self.mixed[pl.job] = False
        # gangs no single type can hold, on whatever is left (mixed, as find_placement puts them)
        for job in np.setdiff1d(queued, active).tolist():
            pl = view.find_placement(job)
            if pl is not None:
                view.take(pl)
                starts.append(pl)
                self.mixed[job] = True
        self.mixed[preempt] = False
        return Decision(start=starts, preempt=preempt)

    def _solve(self, view: ClusterView, active: np.ndarray, usable: np.ndarray, type_cap: np.ndarray, key) -> None:
        """Gavel's reset: the time each job got since the last solve, against what the old
        allocation owed it, goes into its deficit; then the new allocation."""
        now = view.now_s
        if self.active.size:
            self.deficit[self.active] += self.x * (now - self.last_solve_s) - self.got[self.active]
            self.got[self.active] = 0.0
        self.last_solve_s = now
        self.key = key
        self.active = active
        jobs = view.jobs
        t0 = time.perf_counter()
        T = self.throughput(view, active, usable)
        kwargs = {}
        if self.objective == "max_min_fairness":
            pr = jobs.priority[active].tolist()
            kwargs["weights"] = np.array([self.weight_of_priority.get(int(p), 1.0) for p in pr])
        else:
            kwargs["remaining"] = view.remaining_work_now_s(active)
            kwargs["elapsed"] = now - jobs.arrival_s[active]
        alloc = solve_allocation(self.objective, T, jobs.gpus[active], type_cap, **kwargs)
        dt = time.perf_counter() - t0
        self.x = alloc.x
        self.last, self.last_jobs = alloc, active
        st = self.stats
        st["solves"] += 1
        st["lp_solves"] += alloc.lp_solves
        st["lp_s"] += dt
        st["lp_s_max"] = max(st["lp_s_max"], dt)
        st["lp_jobs_max"] = max(st["lp_jobs_max"], int(active.size))

    def _place(self, view: ClusterView, job: int, k: int, free: np.ndarray) -> Placement | None:
        """The whole gang on type k within one training domain, on `free`: the fastest
        single pool with room (best fit, then lowest index); else the domain whose pools,
        largest free first, hold it with the fewest pools (then the fastest, lowest id)."""
        world = view.world
        n = int(view.jobs.gpus[job])
        speed_of = view.pool_speed(job)
        pools = self.ts_type_pools[int(view.jobs.type_set[job])][k]
        f = free[pools]
        ok = np.flatnonzero(f >= n)
        if ok.size:
            order = np.lexsort((pools[ok], f[ok], -speed_of[pools[ok]]))
            p = int(pools[ok[order[0]]])
            return Placement(job, np.array([p]), np.array([n]), float(speed_of[p]))
        have = f > 0
        pools, f = pools[have], f[have]
        if int(f.sum()) < n:
            return None
        domains = world.domain[pools]
        best: Placement | None = None
        for d in np.unique(domains).tolist():
            in_d = domains == d
            if int(f[in_d].sum()) < n:
                continue
            cand, cf = pools[in_d], f[in_d]
            order = np.lexsort((cand, -cf))
            cand, cf = cand[order], cf[order]
            cum = np.cumsum(cf)
            used = int(np.searchsorted(cum, n)) + 1
            g = cf[:used].copy()
            g[-1] -= int(cum[used - 1]) - n
            speed = world.gang_speed(cand[:used], pool_speed=speed_of)
            if best is None or used < best.pools.size or (used == best.pools.size and speed > best.speed):
                best = Placement(job, cand[:used], g, speed)
        return best
