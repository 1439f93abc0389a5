"""Curtailment events inside the run: how a site comes down to a grid operator's target.

An event is announced at `notice_s`, starts at `start_s` and ends at `end_s` (seconds from
the run start). Its baseline is the site's power at the meter when it is announced (the
site has not reacted yet); its target is the baseline less `shed_w`, the baseline times
(1 - `shed_fraction`), or `limit_w`, whichever the event gives.

What the site does, at the edges and again at every tick while an event is announced or
running (so that a PUE that rises with the afternoon, or GPUs back from repair, are met by
a deeper cap or another pause rather than drift over the target):

* from the notice to the start: no new work beyond what the target allows (nothing
  running is stopped);
* at the start: GPUs are power-capped, uniformly over the site, just enough for what runs
  now to fit the target, but not below `min_cap` of their board power (the cap holds the
  GPU board, `nvidia-smi -pl`; the host's share of a GPU's busy draw is not capped), at
  the speed the accelerator keeps at that cap (World.throughput_at_cap: its measured curve
  from the catalogue, else physics/power_cap.py's model). During the event the cap only
  goes down (to what the site's conditions then need), never back up;
* if the cap is not enough, preemptible gangs anywhere on the site are paused, as few
  GPU-watts as will do (`pick_gangs_to_pause`: an exact minimum-cost cover, fewest gangs
  and then the newest among equals); gangs that may not be paused keep running, and the
  event is then missed;
* what may start is what keeps the site under the target: each pool keeps what runs,
  and the watts left under the target are shared over the site's free GPUs in equal
  shares (`headroom_limit`); a gang just paused is bigger than that room, so it cannot
  restart on the same hardware at the same instant;
* at the end: caps and limits are lifted.

Overlapping events at one site: the lowest target binds. Whether an event was met, the
energy shed and the work deferred are counted afterwards from the step series
(grid/demand_response.py), which reads `baseline_w`, `baseline_gpus` and `target_w` here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CurtailmentPlan:
    """The events known before the run; NaN where an event does not give that amount."""

    site: np.ndarray  # int64 (E)
    notice_s: np.ndarray  # float64 (E)
    start_s: np.ndarray
    end_s: np.ndarray
    shed_w: np.ndarray
    shed_fraction: np.ndarray
    limit_w: np.ndarray
    min_cap: np.ndarray  # float64 (S), per site: lowest power cap, share of board power (1: none)
    cap_exponent: np.ndarray  # float64 (S), per site: throughput ~ (cap share) ** (1 / this)
    source: tuple[str, ...] = ()  # per event: "scenario", "file" or "price"

    def __len__(self) -> int:
        return int(self.site.shape[0])

    def edges_s(self) -> np.ndarray:
        """Every instant at which some event is announced, starts or ends."""
        return np.unique(np.concatenate([self.notice_s, self.start_s, self.end_s]))


def pick_gangs_to_pause(freed: np.ndarray, excess: float) -> np.ndarray:
    """Which gangs to pause to bring a site down by `excess` (W), pausing as little as it can.

    `freed` is what pausing each candidate saves (W), in order of preference (newest
    first). This is a minimum-cost cover (a knapsack): choose the set whose savings are
    the least that still reaches `excess`, fewest gangs among equals. Gangs that save the
    same are interchangeable, so it is solved over the distinct savings (counts k_a of
    each value v_a: minimise sum k_a v_a with sum k_a v_a >= excess, 0 <= k_a <= n_a, k_a
    integer) with HiGHS, and each value's k_a are the first of its gangs in preference
    order. Returns candidate indices, largest saving first (all of them, largest first,
    if even that does not reach `excess`)."""
    freed = np.asarray(freed, dtype=np.float64)
    if excess <= 0.0 or freed.size == 0:
        return np.zeros(0, dtype=np.int64)
    useful = np.flatnonzero(freed > 0.0)
    largest_first = useful[np.lexsort((useful, -freed[useful]))]
    if freed[useful].sum() <= excess:
        return largest_first.astype(np.int64)
    values, which, counts = np.unique(freed[useful], return_inverse=True, return_counts=True)
    k = _cover_counts(values / excess, counts)
    chosen = np.concatenate([useful[which == a][: int(k[a])] for a in range(values.size)])
    return chosen[np.lexsort((chosen, -freed[chosen]))].astype(np.int64)


def _cover_counts(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Integer k (0 <= k <= counts) minimising sum k x values with sum k x values >= 1
    (values scaled by what must be covered); a hair of gang count breaks ties."""
    import highspy

    from orbitgrid.highs import quiet_highs

    h = quiet_highs()
    m = values.size
    inf = highspy.kHighsInf
    tie = 1e-6 * float(values.min())
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m, 1
    lp.col_cost_ = (values + tie).tolist()
    lp.col_lower_ = [0.0] * m
    lp.col_upper_ = counts.astype(np.float64).tolist()
    lp.row_lower_, lp.row_upper_ = [1.0 + 1e-9], [inf]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = list(range(m + 1))
    lp.a_matrix_.index_ = [0] * m
    lp.a_matrix_.value_ = values.tolist()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    h.setOptionValue("time_limit", 2.0)
    h.passModel(lp)
    h.run()
    k = np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64)) if h.getInfo().primal_solution_status else None
    if k is None or float((k * values).sum()) < 1.0:  # no usable answer: the largest first, as many as needed
        k = np.zeros(m)
        left = 1.0
        for a in np.argsort(-values):
            need = min(int(counts[a]), int(np.ceil(left / values[a] - 1e-12)))
            k[a] = max(need, 0)
            left -= k[a] * values[a]
            if left <= 0.0:
                break
    return k


def headroom_limit(allocated: np.ndarray, in_service: np.ndarray, busy_w: np.ndarray, idle_w: np.ndarray,
                   target_w: float, pue: float) -> np.ndarray:
    """GPUs per pool (of one site) that may be busy without the site's meter passing
    `target_w`: each pool keeps what it runs, and the watts left under the target are
    shared over the free GPUs in equal shares s (the same rule as the grid cap,
    physics/site_power.py, applied to what is free): sum free x s x (busy - idle) fits
    target / PUE - IT now. With nothing left, no pool may start anything."""
    swing_w = np.maximum(busy_w - idle_w, 0.0)
    free = np.maximum(in_service - allocated, 0).astype(np.float64)
    it_now_w = float((in_service * idle_w + allocated * swing_w).sum())
    budget_w = target_w / pue - it_now_w
    free_swing_w = float((free * swing_w).sum())
    if free_swing_w <= 0.0:
        share = 1.0 if budget_w >= 0.0 else 0.0
    else:
        share = float(np.clip(budget_w / free_swing_w, 0.0, 1.0))
    return (allocated + np.floor(share * free + 1e-9)).astype(np.int64)


class CurtailmentController:
    """Per-pool limits, speed factors and power scales that the events impose, at each tick."""

    def __init__(self, plan: CurtailmentPlan, world) -> None:
        self.plan = plan
        self.world = world
        n = len(plan)
        self.baseline_w = np.full(n, np.nan)
        self.baseline_gpus = np.full(n, np.nan)
        self.target_w = np.full(n, np.nan)
        self.cap_fraction = np.ones(n)  # the lowest cap each event set while it ran
        self._announced = np.zeros(n, dtype=bool)
        self._site_keys: dict[int, tuple] = {}
        self._site_cap: dict[int, float] = {}  # sites under an active event: the cap now
        self.site_target_w: dict[int, float] = {}  # sites under an active event: the binding target
        self._limit_target_w: dict[int, float] = {}  # sites with an event announced or running
        p = world.n_pools
        self.limit = np.full(p, np.iinfo(np.int64).max, dtype=np.int64)
        self.factor = np.ones(p)
        self.scale = np.ones(p)

    @property
    def capping(self) -> bool:
        """Whether any site may power-cap (then speeds change during events)."""
        return bool((self.plan.min_cap < 1.0).any())

    def busy_swing_w(self) -> np.ndarray:
        """Per pool: what one busy GPU draws above idle at the current power scale (IT, W)."""
        w = self.world
        return np.maximum(w.busy_power_w * self.scale, w.idle_power_w) - w.idle_power_w

    def site_power_w(self, site: int, allocated: np.ndarray, in_service: np.ndarray, pue_site: np.ndarray) -> float:
        """Power at the meter of one site now: PUE x (idle draw of every GPU in service plus
        the busy-over-idle swing of the allocated ones, at the current power scale)."""
        w = self.world
        on = w.pool_site == site
        it_w = float((in_service[on] * w.idle_power_w[on] + allocated[on] * self.busy_swing_w()[on]).sum())
        return it_w * float(pue_site[site])

    def update(self, now_s: float, allocated: np.ndarray, in_service: np.ndarray, pue_site: np.ndarray) -> bool:
        """Take the events' state at `now_s`: measure the baselines of those announced now,
        and set each site's binding targets and power cap (fresh when its set of running
        events changes, else lowered if the site's conditions now need it). Returns
        whether any cap or target changed."""
        plan, w = self.plan, self.world
        new = ~self._announced & (plan.notice_s <= now_s) & (now_s < plan.end_s)
        for e in np.flatnonzero(new).tolist():
            site = int(plan.site[e])
            base = self.site_power_w(site, allocated, in_service, pue_site)
            self.baseline_w[e] = base
            self.baseline_gpus[e] = float(allocated[w.pool_site == site].sum())
            if not np.isnan(plan.limit_w[e]):
                target = plan.limit_w[e]
            elif not np.isnan(plan.shed_w[e]):
                target = base - plan.shed_w[e]
            else:
                target = base * (1.0 - plan.shed_fraction[e])
            self.target_w[e] = max(float(target), 0.0)
        self._announced |= new
        active = self._announced & (plan.start_s <= now_s) & (now_s < plan.end_s)
        pending = self._announced & (now_s < plan.start_s)
        changed = False
        # only sites with an event announced and not yet over, or still holding a cap or a
        # limit from one, have anything to do (most ticks: none)
        live = self._announced & (now_s < plan.end_s)
        sites = set(plan.site[live].tolist()) | set(self._site_cap) | set(self._limit_target_w)
        for site in sorted(sites):
            mine = plan.site == site
            on = w.pool_site == site
            key = tuple(np.flatnonzero(active & mine).tolist())
            fresh = self._site_keys.get(site) != key
            self._site_keys[site] = key
            if not (active & mine).any():
                if site in self._site_cap or site in self.site_target_w:
                    changed = True
                self._site_cap.pop(site, None)
                self.site_target_w.pop(site, None)
                self.factor[on] = self.scale[on] = 1.0
            else:
                target = float(self.target_w[active & mine].min())
                self.site_target_w[site] = target
                if fresh:  # a new set of running events: the cap is worked out from scratch
                    self.factor[on] = self.scale[on] = 1.0
                    f = self._cap_for(site, target, allocated, in_service, pue_site)
                else:  # the same events: the cap may only go down
                    f = min(self._site_cap[site], self._cap_for(site, target, allocated, in_service, pue_site))
                if fresh or f != self._site_cap[site]:
                    changed = True
                    self._site_cap[site] = f
                    board = w.board_power_w[on]
                    self.scale[on] = 1.0 - (1.0 - f) * board / w.busy_power_w[on]  # busy draw kept
                    self.factor[on] = w.throughput_at_cap(np.flatnonzero(on), f, float(plan.cap_exponent[site]))
                self.cap_fraction[active & mine] = np.minimum(self.cap_fraction[active & mine], f)
            announced = (active | pending) & mine
            if announced.any():
                self._limit_target_w[site] = float(self.target_w[announced].min())
            else:
                self._limit_target_w.pop(site, None)
        return changed

    def set_limits(self, allocated: np.ndarray, in_service: np.ndarray, pue_site: np.ndarray) -> None:
        """Per pool: the GPUs the scheduler may fill now (no limit on sites without an
        announced or running event)."""
        w = self.world
        self.limit[:] = np.iinfo(np.int64).max
        busy_w = w.idle_power_w + self.busy_swing_w()
        for site, target in self._limit_target_w.items():
            on = w.pool_site == site
            self.limit[on] = headroom_limit(allocated[on], in_service[on], busy_w[on], w.idle_power_w[on],
                                            target, float(pue_site[site]))

    def _cap_for(self, site: int, target_w: float, allocated, in_service, pue_site) -> float:
        """The highest uniform board power cap f (share of board power, at least the site's
        min_cap) at which what runs now fits `target_w`; 1 when it fits uncapped.

        A busy GPU capped at f draws busy - (1 - f) x board, so the site's IT power is
        IT(1) - (1 - f) x sum(allocated x board); f follows from IT(f) = target / PUE."""
        w = self.world
        on = w.pool_site == site
        min_cap = float(self.plan.min_cap[site])
        if min_cap >= 1.0:
            return 1.0
        it_full_w = float((in_service[on] * w.idle_power_w[on]
                           + allocated[on] * (w.busy_power_w[on] - w.idle_power_w[on])).sum())
        board_alloc_w = float((allocated[on] * w.board_power_w[on]).sum())
        if board_alloc_w <= 0.0:
            return 1.0
        f = 1.0 - (it_full_w - target_w / float(pue_site[site])) / board_alloc_w
        return float(np.clip(f, min_cap, 1.0))
