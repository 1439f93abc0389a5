"""From what happened to what it amounts to: GPU-hours, utilisation, energy, peak power.

All of it is computed from the allocation log and the tick record with numpy, exactly
(piecewise-constant integrals, no sampling), so a figure here can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.physics.site_power import facility_power_w
from orbitgrid.world.pools import World

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Steps:
    """The tick grid: step k runs from edges[k] to edges[k+1]; per-pool values are (K, P)."""

    edges_s: np.ndarray
    capacity: np.ndarray
    in_service: np.ndarray
    factor: np.ndarray  # speed factor per step and pool (1 unless throttled)
    pue: np.ndarray  # PUE per step and pool (its site's, at the step)
    busy_scale: np.ndarray  # busy draw per step and pool as a share of the pool's (1 unless power-capped)

    @property
    def width_s(self) -> np.ndarray:
        return np.diff(self.edges_s)


def make_steps(
    tick_times_s: list[float],
    capacity: list[np.ndarray],
    in_service: list[np.ndarray],
    end_s: float,
    n_pools: int,
    factor: list[np.ndarray] | None = None,
    world: World | None = None,
    busy_scale: list[np.ndarray] | None = None,
) -> Steps:
    """The tick record as arrays; `world` gives each step's PUE (else 1)."""
    times = np.asarray(tick_times_s, dtype=np.float64)
    keep = times < end_s
    edges = np.append(times[keep], end_s)
    cap = np.asarray(capacity, dtype=np.float64).reshape(-1, n_pools)[keep]
    ins = np.asarray(in_service, dtype=np.float64).reshape(-1, n_pools)[keep]
    fac = np.ones_like(cap) if factor is None else np.asarray(factor, dtype=np.float64).reshape(-1, n_pools)[keep]
    pue = np.ones_like(cap) if world is None else world.site_pue_at(edges[:-1])[:, world.pool_site]
    scale = (np.ones_like(cap) if not busy_scale
             else np.asarray(busy_scale, dtype=np.float64).reshape(-1, n_pools)[keep])
    return Steps(edges, cap, ins, fac, pue, scale)


def gpu_seconds_per_step(
    pool: np.ndarray, gpus: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, edges_s: np.ndarray, n_pools: int
) -> np.ndarray:
    """(K, P) GPU-seconds of the intervals that fall in each step, split exactly at step edges.

    Each interval adds its partial first and last steps directly and its whole steps in
    between through a difference array, so the cost is linear in intervals plus steps.
    """
    n_steps = edges_s.shape[0] - 1
    out = np.zeros((n_steps, n_pools))
    if pool.size == 0 or n_steps <= 0:
        return out
    width = np.diff(edges_s)
    g = gpus.astype(np.float64)
    ks = np.clip(np.searchsorted(edges_s, start_s, side="right") - 1, 0, n_steps - 1)
    ke = np.clip(np.searchsorted(edges_s, end_s, side="right") - 1, 0, n_steps - 1)
    same = ks == ke
    np.add.at(out, (ks[same], pool[same]), g[same] * (end_s[same] - start_s[same]))
    split = ~same
    ks, ke, p, gs = ks[split], ke[split], pool[split], g[split]
    np.add.at(out, (ks, p), gs * (edges_s[ks + 1] - start_s[split]))
    np.add.at(out, (ke, p), gs * (end_s[split] - edges_s[ke]))
    whole = np.zeros((n_steps + 1, n_pools))
    np.add.at(whole, (ks + 1, p), gs)
    np.add.at(whole, (ke, p), -gs)
    out += np.cumsum(whole[:-1], axis=0) * width[:, None]
    return out


def peak_facility_power_w(
    world: World, steps: Steps, pool: np.ndarray, gpus: np.ndarray, start_s: np.ndarray, end_s: np.ndarray
) -> float:
    """The highest instantaneous power at the meter over the whole fleet.

    In step k, power = base[k] + sum over pools of swing[k, p] * allocated_p(t), with
    base = sum PUE * idle * in_service and swing = PUE * (busy * busy_scale - idle): the
    first term and the weights change only at ticks, the allocation at starts and ends
    (ends sorted first at equal times, so a gang handing over to the next is not counted
    twice). The power at each step's start comes from the allocation per pool there; the
    power after each start or end from the changes since its step began."""
    if steps.edges_s.size < 2:
        return 0.0
    n_steps, n_pools = steps.capacity.shape
    base_w = (steps.in_service * world.idle_power_w * steps.pue).sum(axis=1)  # (K,)
    if pool.size == 0:
        return float(base_w.max())
    swing = steps.pue * (world.busy_power_w * steps.busy_scale - world.idle_power_w)  # (K, P)
    t = np.concatenate([start_s, end_s])
    p = np.concatenate([pool, pool]).astype(np.int64)
    g = np.concatenate([gpus, -gpus]).astype(np.float64)
    k = np.clip(np.searchsorted(steps.edges_s, t, side="right") - 1, 0, n_steps - 1)
    d = g * swing[k, p]
    order = np.lexsort((d, t))
    t, p, g, k, d = t[order], p[order], g[order], k[order], d[order]
    # allocated GPUs per pool at each step's start: every change strictly before it
    first = np.searchsorted(t, steps.edges_s[:-1], side="left")  # first change at or after each edge
    level = np.zeros((n_steps + 1, n_pools))
    np.add.at(level, (np.searchsorted(steps.edges_s[:-1], t, side="right"), p), g)
    level = np.cumsum(level, axis=0)[:n_steps]  # changes before each step's start
    at_starts = base_w + (level * swing).sum(axis=1)
    # after each change: its step's start power plus the changes in the step up to it
    run = np.cumsum(d)
    before_step = np.where(first > 0, run[np.maximum(first - 1, 0)], 0.0)
    at_events = at_starts[k] + run - before_step[k]
    return float(max(at_events.max(), at_starts.max()))


def step_series(world: World, steps: Steps, alloc_gpu_s: np.ndarray) -> dict[str, np.ndarray]:
    """Per step and pool: time-averaged allocated GPUs, IT and facility power in watts."""
    allocated = alloc_gpu_s / steps.width_s[:, None]
    it_w = facility_power_w(allocated, steps.in_service, world.busy_power_w * steps.busy_scale, world.idle_power_w, 1.0)
    return {"allocated": allocated, "it_w": it_w, "facility_w": it_w * steps.pue}
