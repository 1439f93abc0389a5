"""Power of a terrestrial site at the meter, and how a grid connection cap limits its GPUs."""

from __future__ import annotations

import numpy as np


def facility_power_w(
    allocated_gpus: np.ndarray,
    in_service_gpus: np.ndarray,
    busy_power_w: np.ndarray,
    idle_power_w: np.ndarray,
    pue: np.ndarray,
) -> np.ndarray:
    """Power at the meter per pool: IT power (busy GPUs at their busy draw, the other
    in-service GPUs at idle draw) times PUE (The Green Grid, "PUE: a comprehensive
    examination of the metric", White Paper 49, 2012: PUE = facility power / IT power).
    Broadcasts over any leading time axis."""
    it_w = allocated_gpus * busy_power_w + (in_service_gpus - allocated_gpus) * idle_power_w
    return it_w * pue


def power_capped_capacity(
    in_service_gpus: np.ndarray,
    busy_power_w: np.ndarray,
    idle_power_w: np.ndarray,
    pool_site: np.ndarray,
    site_cap_w: np.ndarray,
    site_pue: np.ndarray,
) -> np.ndarray:
    """GPUs per pool that may be busy at once without the site exceeding its grid cap.

    Idle GPUs still draw idle power, so with every pool of a site running the same
    share s of its in-service GPUs, facility power is
    PUE * (sum n*idle + s * sum n*(busy - idle)); s is the largest share that keeps it
    at or under the cap (clipped to [0, 1]), and each pool's capacity is floor(s * n).
    """
    n = in_service_gpus.astype(np.float64)
    n_sites = site_cap_w.shape[0]
    idle_w = np.bincount(pool_site, weights=n * idle_power_w, minlength=n_sites)
    swing_w = np.bincount(pool_site, weights=n * (busy_power_w - idle_power_w), minlength=n_sites)
    budget_w = site_cap_w / site_pue - idle_w
    with np.errstate(divide="ignore", invalid="ignore"):
        # with no busy-over-idle swing the cap either holds for every GPU or for none
        share = np.where(swing_w > 0, budget_w / swing_w, np.where(budget_w >= 0, 1.0, 0.0))
    share = np.clip(share, 0.0, 1.0)
    # a hair of slack so that an exact fit is not lost to rounding
    return np.minimum(in_service_gpus, np.floor(share[pool_site] * n + 1e-9)).astype(np.int64)
