"""How much carbon temporal shifting could save, ideally: each job of `job_h` hours,
submitted at the start of every hour, may start up to `window_h` hours later, and starts at
the hour whose next `job_h` hours have the lowest mean intensity (a perfect forecast: the
series itself). The saving is 1 - sum(chosen) / sum(at submission), over the jobs whose
whole window lies inside the series.

This is the upper bound that "Let's Wait Awhile" (Wiesner et al., Middleware 2021, ad hoc
jobs with a flexibility window) and Sukprasert et al. ("On the Limitations of Carbon-Aware
Temporal and Spatial Workload Shifting in the Cloud", EuroSys 2024) measure per region;
carbon-aware scheduling policies are judged against it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from orbitgrid.grid.series import HourlySeries


def job_intensity(values: np.ndarray, job_h: int) -> np.ndarray:
    """Mean intensity of a job of `job_h` hours starting at each hour (len - job_h + 1)."""
    if job_h < 1:
        raise ValueError("job_h must be at least 1")
    c = np.concatenate([[0.0], np.cumsum(values)])
    return (c[job_h:] - c[:-job_h]) / job_h


def shifting_savings(series: HourlySeries | np.ndarray, job_h: int, window_h: int) -> float:
    """Share of carbon saved (0-1) by the ideal shift within `window_h` hours of delay."""
    values = series.values if isinstance(series, HourlySeries) else np.asarray(series, dtype=np.float64)
    if window_h < 0:
        raise ValueError("window_h must be at least 0")
    per_start = job_intensity(values, job_h)
    if per_start.size <= window_h:
        raise ValueError("the series is shorter than one window")
    best = sliding_window_view(per_start, window_h + 1).min(axis=1)  # jobs whose window fits
    base = per_start[: best.size]
    return float(1.0 - best.sum() / base.sum())
