"""Curtailment events inside the run: how a site comes down to a grid operator's target.

An event is announced at `notice_s`, starts at `start_s` and ends at `end_s` (seconds from
the run start). Its baseline is the site's power at the meter when it is announced (the
site has not reacted yet); its target is the baseline less `shed_w`, the baseline times
(1 - `shed_fraction`), or `limit_w`, whichever the event gives.

What the site does (all at once, at the edges; nothing between them):

* from the notice to the start: no new work beyond what the target allows (a soft limit:
  the scheduler sees fewer GPUs, nothing running is stopped);
* at the start: GPUs are power-capped, uniformly over the site, just enough for what runs
  now to fit the target, but not below `min_cap` of their board power (the cap holds the
  GPU board, `nvidia-smi -pl`; the host's share of a GPU's busy draw is not capped), at
  the speed the accelerator keeps at that cap (World.throughput_at_cap: its measured curve
  from the catalogue, else physics/power_cap.py's model); then, if that is not
  enough, preemptible gangs are paused, newest first, until the site fits; gangs that may
  not be paused keep running, and the event is then missed;
* at the end: caps and limits are lifted.

Overlapping events at one site: the lowest target binds. Whether an event was met, the
energy shed and the work deferred are counted afterwards from the step series
(grid/demand_response.py), which reads `baseline_w`, `baseline_gpus` and `target_w` here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.physics.site_power import power_capped_capacity


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


class CurtailmentController:
    """Per-pool limits, speed factors and power scales that the events impose, at each edge."""

    def __init__(self, plan: CurtailmentPlan, world) -> None:
        self.plan = plan
        self.world = world
        n = len(plan)
        self.baseline_w = np.full(n, np.nan)
        self.baseline_gpus = np.full(n, np.nan)
        self.target_w = np.full(n, np.nan)
        self.cap_fraction = np.ones(n)  # the cap each event set at its start
        self._announced = np.zeros(n, dtype=bool)
        self._site_keys: dict[int, tuple] = {}
        self.site_target_w: dict[int, float] = {}  # sites under an active event: the binding target
        p = world.n_pools
        self.hard = np.full(p, np.iinfo(np.int64).max, dtype=np.int64)
        self.soft = self.hard.copy()
        self.factor = np.ones(p)
        self.scale = np.ones(p)

    @property
    def capping(self) -> bool:
        """Whether any site may power-cap (then speeds change during events)."""
        return bool((self.plan.min_cap < 1.0).any())

    def site_power_w(self, site: int, allocated: np.ndarray, in_service: np.ndarray, pue_site: np.ndarray) -> float:
        """Power at the meter of one site now: PUE x (idle draw of every GPU in service plus
        the busy-over-idle swing of the allocated ones, at the current power scale)."""
        w = self.world
        on = w.pool_site == site
        busy = w.busy_power_w[on] * self.scale[on]
        it_w = float((in_service[on] * w.idle_power_w[on] + allocated[on] * (busy - w.idle_power_w[on])).sum())
        return it_w * float(pue_site[site])

    def update(self, now_s: float, allocated: np.ndarray, in_service: np.ndarray, pue_site: np.ndarray) -> bool:
        """Take the events' state at `now_s`: measure the baselines of those announced now and
        recompute limits, caps and speed factors if the set of pending or active events
        changed. Returns whether it changed."""
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
        starting = active & (plan.start_s == now_s)  # (an event whose start is now sets the cap)
        changed = False
        # a site's limits and cap are set when its own events change, and kept until then
        for site in np.unique(plan.site).tolist():
            mine = plan.site == site
            key = (tuple(np.flatnonzero(active & mine).tolist()), tuple(np.flatnonzero(pending & mine).tolist()))
            if self._site_keys.get(site) == key:
                continue
            self._site_keys[site] = key
            changed = True
            on = w.pool_site == site
            self.hard[on] = self.soft[on] = np.iinfo(np.int64).max
            self.factor[on] = self.scale[on] = 1.0
            self.site_target_w.pop(site, None)
            if (active & mine).any():
                target = float(self.target_w[active & mine].min())
                self.site_target_w[site] = target
                f = self._cap_for(site, target, allocated, in_service, pue_site)
                self.cap_fraction[starting & mine] = f
                board = w.board_power_w[on]
                self.scale[on] = 1.0 - (1.0 - f) * board / w.busy_power_w[on]  # busy draw kept
                self.factor[on] = w.throughput_at_cap(np.flatnonzero(on), f, float(plan.cap_exponent[site]))
                self.hard[on] = self._limit(site, target, in_service, pue_site)
                self.soft[on] = self.hard[on]
            if (pending & mine).any():
                target = float(self.target_w[pending & mine].min())
                self.soft[on] = np.minimum(self.soft[on], self._limit(site, target, in_service, pue_site))
        return changed

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

    def _limit(self, site: int, target_w: float, in_service, pue_site) -> np.ndarray:
        """GPUs per pool of the site that may be busy at the current power scale without the
        site drawing more than `target_w` (the same split as the grid cap: equal shares)."""
        w = self.world
        on = np.flatnonzero(w.pool_site == site)
        busy = np.maximum(w.busy_power_w[on] * self.scale[on], w.idle_power_w[on])
        return power_capped_capacity(
            in_service[on], busy, w.idle_power_w[on], np.zeros(on.size, dtype=np.int64),
            np.array([target_w]), np.array([float(pue_site[site])]),
        )
