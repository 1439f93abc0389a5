"""Uncertain inputs: a plain number, or a distribution written in YAML as one of

    launch_usd_per_kg: 500                                  # a number stays a number
    launch_usd_per_kg: {uniform: [200, 1000]}               # low, high
    launch_usd_per_kg: {triangular: [200, 500, 1500]}       # low, mode, high
    launch_usd_per_kg: {lognormal: {median: 500, sigma: 0.5}}   # ln X ~ N(ln median, sigma²)

`parse_uncertain` turns what the YAML holds into a `Distribution` (or raises ValueError
with a one-line message); `Distribution.sample` draws from a numpy Generator, vectorised;
`Distribution.central` is the value a deterministic plan uses (the number itself, the
middle of a uniform, the mode of a triangular, the median of a lognormal) and
`Distribution.bounds` the low/high a tornado swings to (uniform and triangular: their
ends; lognormal: its 5th and 95th percentiles, since it has no ends; a plain number:
None, the caller swings it ±25%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("uniform", "triangular", "lognormal")
Z95 = 1.6448536269514722  # standard normal 95th percentile


@dataclass(frozen=True)
class Distribution:
    """A plain number (`kind` "fixed", params (value,)) or a distribution; draws are
    clipped to [lower, upper], the input's physical range (e.g. [0, 1] for a share)."""

    kind: str
    params: tuple[float, ...]
    lower: float = 0.0
    upper: float = math.inf

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    @property
    def central(self) -> float:
        p = self.params
        if self.kind == "fixed":
            return p[0]
        if self.kind == "uniform":
            return 0.5 * (p[0] + p[1])
        if self.kind == "triangular":
            return p[1]
        return min(max(p[0], self.lower), self.upper)  # lognormal median

    @property
    def bounds(self) -> tuple[float, float] | None:
        p = self.params
        if self.kind == "fixed":
            return None
        if self.kind == "uniform":
            return p[0], p[1]
        if self.kind == "triangular":
            return p[0], p[2]
        lo, hi = p[0] * math.exp(-Z95 * p[1]), p[0] * math.exp(Z95 * p[1])
        return max(lo, self.lower), min(hi, self.upper)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n draws (a plain number: n copies), clipped to the input's range."""
        p = self.params
        if self.kind == "fixed":
            x = np.full(n, p[0])
        elif self.kind == "uniform":
            x = rng.uniform(p[0], p[1], n)
        elif self.kind == "triangular":
            x = rng.triangular(p[0], p[1], p[2], n) if p[2] > p[0] else np.full(n, p[1])
        else:
            x = p[0] * np.exp(p[1] * rng.standard_normal(n))
        return np.clip(x, self.lower, self.upper)

    def as_json(self) -> object:
        if self.kind == "fixed":
            return self.params[0]
        if self.kind == "lognormal":
            return {"lognormal": {"median": self.params[0], "sigma": self.params[1]}}
        return {self.kind: list(self.params)}


def fixed(value: float, lower: float = 0.0, upper: float = math.inf) -> Distribution:
    return Distribution("fixed", (float(value),), lower, upper)


def _number(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise ValueError(f"{what} must be a finite number, got {x!r}")
    return float(x)


def parse_uncertain(value: object, lower: float = 0.0, upper: float = math.inf) -> Distribution:
    """A number or a one-key mapping {uniform|triangular|lognormal: ...}, every point of
    support within [lower, upper] (a lognormal's median within it; its draws are clipped)."""
    if isinstance(value, Distribution):
        return value
    rng_text = f"[{lower:g}, {upper:g}]" if math.isfinite(upper) else f"≥ {lower:g}"

    def inside(x: float, name: str) -> float:
        if not lower <= x <= upper:
            raise ValueError(f"{name} {x:g} is outside {rng_text}")
        return x

    if not isinstance(value, dict):
        return Distribution("fixed", (inside(_number(value, "the value"), "the value"),), lower, upper)
    if len(value) != 1 or next(iter(value)) not in KINDS:
        raise ValueError("give a number or one of {uniform: [lo, hi]}, {triangular: [lo, mode, hi]}, "
                         "{lognormal: {median: m, sigma: s}}")
    kind, body = next(iter(value.items()))
    if kind in ("uniform", "triangular"):
        n = 2 if kind == "uniform" else 3
        if not isinstance(body, (list, tuple)) or len(body) != n:
            raise ValueError(f"{kind} takes a list of {n} numbers" + (" [lo, hi]" if n == 2 else " [lo, mode, hi]"))
        pts = [inside(_number(x, f"{kind} point"), f"{kind} point") for x in body]
        if any(b < a for a, b in zip(pts, pts[1:])):
            raise ValueError(f"{kind} points must not decrease: {pts}")
        return Distribution(kind, tuple(pts), lower, upper)
    if not isinstance(body, dict) or set(body) != {"median", "sigma"}:
        raise ValueError("lognormal takes {median: m, sigma: s}")
    median = inside(_number(body["median"], "lognormal median"), "lognormal median")
    sigma = _number(body["sigma"], "lognormal sigma")
    if median <= 0 or sigma < 0:
        raise ValueError("lognormal needs median > 0 and sigma ≥ 0")
    return Distribution("lognormal", (median, sigma), lower, upper)


def quantiles(x: np.ndarray) -> dict[str, float]:
    """p5, p50, p95 and mean of samples (NaN-free arrays)."""
    arr = np.asarray(x, dtype=float)
    p5, p50, p95 = np.percentile(arr, [5.0, 50.0, 95.0])
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95), "mean": float(arr.mean())}
