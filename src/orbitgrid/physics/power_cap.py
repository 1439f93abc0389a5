"""GPU power capping (`nvidia-smi -pl`): what a GPU keeps of its throughput when its board
power is held below its busy draw, and the one cap that brings a site to a power target.

Model. CMOS dynamic power is P = α C V² f (Hennessy & Patterson, Computer Architecture:
A Quantitative Approach, 6th ed., §1.5). Inside the DVFS range the supply voltage is set
roughly in proportion to the clock, V ∝ f, so the power above idle grows as f³; a
compute-bound kernel's throughput grows as f. A cap P_cap therefore keeps

    throughput share = ((P_cap − P_idle) / (P_busy − P_idle)) ** (1 / exponent),   exponent = 3,

clipped to [0, 1]. This is an upper bound for memory-bound work, which loses less (its
speed is set by memory bandwidth, which the cap barely touches), and it is optimistic for
deep caps, where the voltage sits at its floor and power falls only linearly with the
clock (exponent → 1). `exponent` is left to the caller for that reason.
"""

from __future__ import annotations

import numpy as np

DYNAMIC_POWER_EXPONENT = 3.0  # P − P_idle ∝ f·V², V ∝ f (Hennessy & Patterson 6th ed. §1.5)


def throughput_at_cap(
    cap_fraction: np.ndarray | float,
    idle_power_w: np.ndarray | float,
    busy_power_w: np.ndarray | float,
    exponent: float = DYNAMIC_POWER_EXPONENT,
) -> np.ndarray:
    """Share of full-speed throughput (0..1) a GPU keeps with its power capped at
    cap_fraction × busy_power_w: ((cap − idle) / (busy − idle)) ** (1 / exponent), clipped to
    [0, 1]; 1 at or above the busy draw, 0 at or below idle. Broadcasts over arrays."""
    if not exponent > 0:
        raise ValueError(f"exponent must be positive, got {exponent!r}")
    frac = np.asarray(cap_fraction, dtype=np.float64)
    idle_w = np.asarray(idle_power_w, dtype=np.float64)
    busy_w = np.asarray(busy_power_w, dtype=np.float64)
    cap_w = frac * busy_w
    swing_w = busy_w - idle_w
    with np.errstate(divide="ignore", invalid="ignore"):
        # with no busy-over-idle swing the GPU runs at full speed or, capped below its draw, not at all
        share = np.where(swing_w > 0, (cap_w - idle_w) / swing_w, np.where(cap_w >= busy_w, 1.0, 0.0))
    share = np.where(frac >= 1.0, 1.0, share)
    return np.clip(share, 0.0, 1.0) ** (1.0 / exponent)


def cap_fraction_for_power(
    target_it_w: np.ndarray | float,
    in_service: np.ndarray,
    allocated: np.ndarray,
    idle_power_w: np.ndarray,
    busy_power_w: np.ndarray,
    min_cap_fraction: np.ndarray | float,
) -> np.ndarray:
    """The one cap fraction f, shared by every pool of a site, that brings its IT power to
    target_it_w (site cap / PUE for a grid cap at the meter).

    Busy GPUs draw f × busy, the other in-service ones idle, so
    IT = Σ n·idle + Σ a·(f·busy − idle)  ⇒  f = (target − Σ n·idle + Σ a·idle) / Σ a·busy,
    clipped to [min_cap_fraction, 1]: 1 when no cap is needed (or no GPU is busy, so a cap
    changes nothing), min_cap_fraction when even that does not reach the target (the caller
    must then idle GPUs as well). Pools lie along the last axis; leading axes (time) and
    target_it_w broadcast."""
    n = np.asarray(in_service, dtype=np.float64)
    a = np.asarray(allocated, dtype=np.float64)
    idle_w = np.asarray(idle_power_w, dtype=np.float64)
    busy_w = np.asarray(busy_power_w, dtype=np.float64)
    floor_w = np.sum((n - a) * idle_w, axis=-1)  # in-service GPUs not running a job
    busy_full_w = np.sum(a * busy_w, axis=-1)  # busy GPUs at f = 1
    target_w = np.asarray(target_it_w, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(busy_full_w > 0, (target_w - floor_w) / busy_full_w, 1.0)
    return np.clip(f, min_cap_fraction, 1.0)


def it_power_at_cap_w(
    cap_fraction: np.ndarray | float,
    in_service: np.ndarray,
    allocated: np.ndarray,
    idle_power_w: np.ndarray,
    busy_power_w: np.ndarray,
) -> np.ndarray:
    """IT power of a site's pools with every busy GPU capped at cap_fraction × busy:
    Σ n·idle + Σ a·(f·busy − idle) (the forward model cap_fraction_for_power inverts)."""
    n = np.asarray(in_service, dtype=np.float64)
    a = np.asarray(allocated, dtype=np.float64)
    idle_w = np.asarray(idle_power_w, dtype=np.float64)
    busy_w = np.asarray(busy_power_w, dtype=np.float64)
    f = np.asarray(cap_fraction, dtype=np.float64)
    return np.sum(n * idle_w, axis=-1) + np.sum(a * (np.expand_dims(f, -1) * busy_w - idle_w), axis=-1)
