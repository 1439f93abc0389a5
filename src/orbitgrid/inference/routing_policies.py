"""Routing policies for inference requests: which placement (a site, or an orbital shell)
serves each request. A small registry: ``POLICIES[name](ctx) -> placement per request``.

Every policy sees, per request, its network tick and city, and the round-trip time table
``ctx.rtt_ms[p]`` (ticks, cities) of each placement p (orbital placements: to the nearest
replica satellite; with ``sunlit=True`` the sunlit one). Within a site the requests of a
placement are spread over its replicas in turn (round robin by arrival); on a shell each
request goes to the replica satellite nearest its city at its tick.

* ``nearest``: the placement with the least RTT.
* ``least_loaded``: evaluated per window (``window_s``, default 60 s), from the previous
  windows' queues: each placement's unfinished work per replica at the window's start, B_p
  (a fluid balance: B <- max(0, B + work assigned / replicas - window)), and the request goes
  to the placement with the least B_p x 1000 + RTT ms (expected wait plus network; a pure
  backlog comparison with RTT breaking near-ties). State-dependent, so a loop over windows,
  each vectorised over its requests.
* ``latency_target``: of the placements with RTT at most the target, the cheapest
  (``usd_per_gpu_hour`` of the replicas there); none within the target: the nearest.
* ``sun_following``: as nearest, but orbital placements count only sunlit replica
  satellites (no sunlit replica in view: that placement is not a candidate).

With replica moves (``counts``), a site with no replica serving at a request's arrival is no
candidate for it, and ``least_loaded`` divides work by the replicas serving at each window's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class RoutingContext:
    tick: np.ndarray  # (n,) network tick of each request
    city: np.ndarray  # (n,)
    arrival_s: np.ndarray  # (n,) sorted
    service_s: np.ndarray  # (n,) capacity each request takes at a replica
    rtt_ms: list[np.ndarray]  # per placement, (ticks, cities)
    rtt_sunlit_ms: list[np.ndarray]  # per placement (terrestrial: same as rtt_ms)
    replicas: np.ndarray  # (P,) replicas per placement
    usd_per_gpu_hour: np.ndarray  # (P,)
    latency_target_ms: float | None = None
    window_s: float = 60.0
    count_times_s: np.ndarray | None = None  # (K,) from 0: replica counts change (moves)
    counts: np.ndarray | None = None  # (K, P) replicas serving at each placement from count_times_s[k]

    def active(self, t_s) -> np.ndarray:
        """Replicas serving at each placement at times ``t_s``: (len(t_s), P)."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        if self.counts is None:
            return np.broadcast_to(self.replicas, (t.size, self.replicas.size))
        return self.counts[np.searchsorted(self.count_times_s, t, side="right") - 1]


def candidate_rtt_ms(ctx: RoutingContext, sunlit: bool = False) -> np.ndarray:
    """(requests, placements) RTT of each placement a request could go to, inf where it
    cannot (nothing in view, or no replica serving there at the request's arrival)."""
    tables = ctx.rtt_sunlit_ms if sunlit else ctx.rtt_ms
    m = np.stack([t[ctx.tick, ctx.city] for t in tables], axis=1)  # (n, P)
    if ctx.counts is not None:  # a placement with no replica serving (all moved away) is no candidate
        m = np.where(ctx.active(ctx.arrival_s) > 0, m, np.inf)
    return m


def nearest(ctx: RoutingContext) -> np.ndarray:
    return np.argmin(candidate_rtt_ms(ctx), axis=1)


def sun_following(ctx: RoutingContext) -> np.ndarray:
    m = candidate_rtt_ms(ctx, sunlit=True)
    choice = np.argmin(m, axis=1)
    none = ~np.isfinite(m.min(axis=1))  # nothing sunlit in view: the nearest of all
    if none.any():
        choice[none] = np.argmin(candidate_rtt_ms(ctx)[none], axis=1)
    return choice


def latency_target(ctx: RoutingContext) -> np.ndarray:
    m = candidate_rtt_ms(ctx)
    target = np.inf if ctx.latency_target_ms is None else ctx.latency_target_ms
    ok = m <= target
    # cheapest among those meeting the target, RTT breaking ties
    cost = np.where(ok, ctx.usd_per_gpu_hour[None, :] * 1e6 + m, np.inf)
    choice = np.argmin(cost, axis=1)
    none = ~ok.any(axis=1)
    choice[none] = np.argmin(m[none], axis=1)
    return choice


def least_loaded(ctx: RoutingContext) -> np.ndarray:
    m = candidate_rtt_ms(ctx)
    n, n_p = m.shape
    choice = np.zeros(n, dtype=np.int64)
    if n == 0:
        return choice
    w = ctx.window_s
    win = np.floor(ctx.arrival_s / w).astype(np.int64)
    bounds = np.searchsorted(win, np.arange(win[-1] + 2))
    backlog = np.zeros(n_p)
    reps_at = np.maximum(ctx.active(np.arange(win[-1] + 1) * w), 1).astype(np.float64)  # at each window's start
    for k in range(win[-1] + 1):
        a, b = bounds[k], bounds[k + 1]
        reps = reps_at[k]
        if a < b:
            c = np.argmin(backlog[None, :] * 1000.0 + m[a:b], axis=1)
            choice[a:b] = c
            work = np.bincount(c, weights=ctx.service_s[a:b], minlength=n_p)
            backlog = np.maximum(0.0, backlog + work / reps - w)
        else:
            backlog = np.maximum(0.0, backlog - w)
    return choice


POLICIES: dict[str, Callable[[RoutingContext], np.ndarray]] = {
    "nearest": nearest,
    "least_loaded": least_loaded,
    "latency_target": latency_target,
    "sun_following": sun_following,
}


def register(name: str, fn: Callable[[RoutingContext], np.ndarray]) -> None:
    """Add a routing policy: a function of a RoutingContext returning a placement per request."""
    POLICIES[name] = fn
