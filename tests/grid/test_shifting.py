"""Ideal temporal shifting (grid/shifting.py), by hand and on the packaged 2024 year."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.grid.series import packaged_carbon
from orbitgrid.grid.shifting import job_intensity, shifting_savings


def test_by_hand():
    """Intensities 5, 1, 3, 4. One-hour jobs, up to 1 h of delay: the jobs submitted at 0, 1
    and 2 (the one at 3 has no whole window) pick min(5, 1), min(1, 3), min(3, 4): 1 + 1 + 3
    against 5 + 1 + 3 at submission: saves 4/9. Two-hour jobs, no delay: nothing saved."""
    c = np.array([5.0, 1.0, 3.0, 4.0])
    assert shifting_savings(c, 1, 1) == pytest.approx(4 / 9)
    assert shifting_savings(c, 2, 0) == 0.0
    assert job_intensity(c, 2).tolist() == [3.0, 2.0, 3.5]
    # two-hour jobs, 1 h of delay: starts 0 and 1 -> min(3, 2), min(2, 3.5): 4 against 5
    assert shifting_savings(c, 2, 1) == pytest.approx(1 - 4 / 5)


def test_more_window_never_saves_less():
    """On CAISO's 2024 hours the ideal saving grows with the window (each window contains
    the shorter ones); the daily solar trough makes 24 h worth much more than 2 h."""
    direct, _ = packaged_carbon("US-CAL-CISO")
    s = [shifting_savings(direct, 1, w) for w in (0, 2, 8, 24)]
    assert s[0] == 0.0 and s[0] < s[1] < s[2] < s[3] < 1
    assert s[3] > 2 * s[1]
