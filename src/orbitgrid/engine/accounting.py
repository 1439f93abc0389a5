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
) -> Steps:
    times = np.asarray(tick_times_s, dtype=np.float64)
    keep = times < end_s
    edges = np.append(times[keep], end_s)
    cap = np.asarray(capacity, dtype=np.float64).reshape(-1, n_pools)[keep]
    ins = np.asarray(in_service, dtype=np.float64).reshape(-1, n_pools)[keep]
    fac = np.ones_like(cap) if factor is None else np.asarray(factor, dtype=np.float64).reshape(-1, n_pools)[keep]
    return Steps(edges, cap, ins, fac)


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

    Power = sum over pools of PUE * (idle * in_service + (busy - idle) * allocated): the first
    term changes only at ticks, the second at allocation starts and ends (ends sorted first
    at equal times, so a gang handing over to the next is not counted twice)."""
    pue = world.pool_pue
    base_w = (steps.in_service * world.idle_power_w * pue).sum(axis=1)  # (K,)
    if steps.edges_s.size < 2:
        return 0.0
    if pool.size == 0:
        return float(base_w.max())
    swing = (world.busy_power_w - world.idle_power_w) * pue
    t = np.concatenate([start_s, end_s])
    d = np.concatenate([gpus * swing[pool], -gpus * swing[pool]])
    order = np.lexsort((d, t))
    t, level = t[order], np.cumsum(d[order])
    k = np.clip(np.searchsorted(steps.edges_s, t, side="right") - 1, 0, base_w.size - 1)
    at_events = level + base_w[k]
    # at each tick edge, the allocated level just before it carries over
    idx = np.searchsorted(t, steps.edges_s[:-1], side="right") - 1
    level_at_edges = np.where(idx >= 0, level[np.maximum(idx, 0)], 0.0)
    return float(max(at_events.max(), (level_at_edges + base_w).max()))


def step_series(world: World, steps: Steps, alloc_gpu_s: np.ndarray) -> dict[str, np.ndarray]:
    """Per step and pool: time-averaged allocated GPUs, IT and facility power in watts."""
    allocated = alloc_gpu_s / steps.width_s[:, None]
    it_w = facility_power_w(allocated, steps.in_service, world.busy_power_w, world.idle_power_w, 1.0)
    return {"allocated": allocated, "it_w": it_w, "facility_w": it_w * world.pool_pue}
