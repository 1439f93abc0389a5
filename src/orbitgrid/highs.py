"""The one way orbitgrid makes a HiGHS solver (the Gavel LP, battery dispatch)."""

from __future__ import annotations

import os
import sys

import highspy


def quiet_highs() -> highspy.Highs:
    """A HiGHS instance with its log off. Its constructor prints a banner on the process's
    standard output (file descriptor 1, below Python) before any option can be set, and
    `orbitgrid run` prints its results there: point descriptor 1 elsewhere while it runs."""
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    h.setOptionValue("output_flag", False)
    return h
