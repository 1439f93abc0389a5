"""The sweep file: its pydantic model, the values each parameter takes, and the points.

    name: launch-vs-policy           # the sweep's folder under --out
    base: quickstart.yaml            # the scenario, relative to this file
    grid:                            # every combination of these (a full factorial)
      policy.name: [fifo, backfill, sjf]
      workload.generator.arrival_rate_per_h: {linspace: [60, 180, 3]}
    list:                            # explicit cases, each a few paths set together
      - {sites.0.pools.0.count: 1024, sites.0.power_cap_mw: 4}
    samples:                         # random or Latin-hypercube draws (scipy.stats.qmc)
      method: lhs                    # or random
      n: 20
      seed: 7
      params:
        sites.0.pue: {uniform: [1.1, 1.5]}
    seeds: {count: 5, start: 1}      # or a list; default: the scenario's own seed
    outputs: [mean_wait_h, allocation_utilization, energy_mwh]
    pareto: {x: energy_mwh, y: mean_wait_h, minimize: [true, true]}

The blocks multiply: grid combinations x list cases x samples x seeds, each block that is
absent counting once. Every problem is one line `FILE:LINE: field: message (hint)`.
"""

from __future__ import annotations

import difflib
import inspect
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orbitgrid.errors import InputError, Problem
from orbitgrid.yaml_lines import LineMap, PathKey, format_path, load_yaml_with_lines

MAX_POINTS = 1_000_000  # beyond this a sweep is a typo (a grid axis of 10^4 values, say)
DEFAULT_OUTPUTS = (
    "mean_wait_h", "p95_wait_h", "mean_jct_h", "allocation_utilization", "effective_utilization",
    "useful_work_ref_gpu_h", "energy_mwh", "energy_cost_usd", "carbon_t", "revenue_usd",
)
SAMPLE_KINDS = ("uniform", "loguniform", "triangular", "lognormal", "integer", "choice")
GRID_FORMS = ("linspace", "logspace")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Samples(_Model):
    """Random or Latin-hypercube draws of some parameters, each from a distribution."""

    method: Literal["lhs", "random"] = "lhs"
    n: int = Field(ge=1, le=MAX_POINTS)
    seed: int = Field(0, ge=0, lt=2**63)
    params: dict[str, Any] = Field(min_length=1)


class SeedRange(_Model):
    count: int = Field(ge=1, le=MAX_POINTS)
    start: int = Field(0, ge=0)


class Pareto(_Model):
    """The two outputs whose trade-off the report draws, and whether less is better for each."""

    x: str = Field(min_length=1)
    y: str = Field(min_length=1)
    minimize: tuple[bool, bool] = (True, True)


class SweepSpec(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)
    description: str = ""
    base: str = Field(min_length=1)
    grid: dict[str, Any] = Field(default_factory=dict)
    cases: list[dict[str, Any]] = Field(default_factory=list, alias="list")
    samples: Samples | None = None
    seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] | SeedRange | None = None
    outputs: list[str] = Field(default_factory=list)
    tornado: list[str] = Field(default_factory=list)
    pareto: Pareto | None = None


@dataclass(frozen=True)
class Assignment:
    """One point before it is applied: values by parameter path, the seed (None: the
    scenario's own), and where in the sweep file each value came from (for errors)."""

    values: dict[str, Any]
    seed: int | None
    sources: dict[str, PathKey]


@dataclass(frozen=True)
class LoadedSweep:
    spec: SweepSpec
    file: Path
    lines: LineMap

    @property
    def base_file(self) -> Path:
        base = Path(self.spec.base)
        return base if base.is_absolute() else self.file.parent / base

    def problem(self, where: PathKey, message: str, hint: str | None = None) -> Problem:
        """A problem at a field of the sweep file, with its line."""
        return Problem(str(self.file), self.lines.line_of(where), format_path(where), message, hint)

    @property
    def outputs(self) -> list[str]:
        """The outputs the report draws: the file's, or the default ones (those a run has)."""
        return list(self.spec.outputs) or list(DEFAULT_OUTPUTS)


def load_sweep(file: str | Path) -> LoadedSweep:
    """Read and check a sweep file (its shape; the points are checked in points.py)."""
    path = Path(file)
    data, lines = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 1, "", "a sweep is a mapping of fields (name, base, grid, ...)")])
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, str(path), lines) for err in exc.errors()]
        # a union (`seeds`: a list or {count, start}) reports each branch; keep the branch
        # that got furthest, not "Input should be a valid list" at its parent
        deeper = lambda a, b: b.path.startswith(a.path + ".") or b.path.startswith(a.path + "[")  # noqa: E731
        raise InputError([p for p in problems if not any(deeper(p, o) for o in problems)]) from None
    return LoadedSweep(spec, path, lines)


def _problem(err: dict, file: str, lines: LineMap) -> Problem:
    """One pydantic error as a located one-line problem."""
    path = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in ("int", "list", "SeedRange"))))
    kind = err.get("type", "")
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
    hint = None
    if kind == "extra_forbidden":
        msg = "unknown field"
        fields = {"": SweepSpec, "samples": Samples, "seeds": SeedRange, "pareto": Pareto}.get(
            str(path[0]) if len(path) > 1 else "", SweepSpec)
        names = [f.alias or n for n, f in fields.model_fields.items()]
        close = difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(names)
    elif kind == "missing":
        msg = "field required"
    elif kind == "string_pattern_mismatch" and path == ("name",):
        msg, hint = f"not a folder name: {err.get('input')!r}", "letters, digits, '.', '_' and '-'"
    elif "input" in err and not isinstance(err["input"], (dict, list)):
        msg = f"{msg} (got {err['input']!r})"
    return Problem(file, lines.line_of(path), format_path(path), msg, hint)


# --- parameter paths ---------------------------------------------------------------


def split_path(text: str) -> tuple[str, ...]:
    """'sites.0.pools[1].count' -> ('sites', '0', 'pools', '1', 'count'); ValueError if empty parts."""
    parts = tuple(re.sub(r"\[(\d+)\]", r".\1", text.strip()).split("."))
    if not text.strip() or any(not p for p in parts):
        raise ValueError(f"not a field path: {text!r}")
    return parts


def normal_path(text: str) -> str:
    """The path in its one spelling, dots only: 'sites.0.pools.1.count'."""
    return ".".join(split_path(text))


# --- values ------------------------------------------------------------------------


def grid_values(value: object) -> list[Any]:
    """An axis of the grid: a list of values, {linspace: [lo, hi, n]} or {logspace: [lo, hi, n]}."""
    if isinstance(value, list):
        if not value:
            raise ValueError("an empty list: give at least one value")
        return value
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in GRID_FORMS:
        kind, body = next(iter(value.items()))
        if not (isinstance(body, list) and len(body) == 3 and all(_is_number(x) for x in body[:2])
                and isinstance(body[2], int) and not isinstance(body[2], bool) and body[2] >= 1):
            raise ValueError(f"{kind} takes [first, last, count] with count a whole number ≥ 1")
        lo, hi, n = body
        if kind == "logspace":
            if lo <= 0 or hi <= 0:
                raise ValueError("logspace needs first and last > 0")
            xs = np.geomspace(lo, hi, n)
        else:
            xs = np.linspace(lo, hi, n)
        whole = isinstance(lo, int) and isinstance(hi, int) and bool(np.all(xs == np.round(xs)))
        return [int(round(x)) if whole else float(x) for x in xs]
    raise ValueError("give a list of values, {linspace: [first, last, count]} or {logspace: [first, last, count]}")


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


@dataclass(frozen=True)
class Distribution1D:
    """One sampled parameter: maps a uniform u in [0, 1) to its value (inverse CDF)."""

    kind: str
    params: tuple

    def at(self, u: np.ndarray) -> list[Any]:
        from scipy import stats

        p = self.params
        if self.kind == "choice":
            k = np.minimum((u * len(p)).astype(np.int64), len(p) - 1)
            return [p[i] for i in k]
        if self.kind == "integer":
            lo, hi = p
            return [int(x) for x in np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)]
        if self.kind == "uniform":
            x = p[0] + u * (p[1] - p[0])
        elif self.kind == "loguniform":
            x = np.exp(np.log(p[0]) + u * (np.log(p[1]) - np.log(p[0])))
        elif self.kind == "triangular":
            lo, mode, hi = p
            x = stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo) if hi > lo else np.full(u.size, lo)
        else:  # lognormal {median, sigma}: ln X ~ N(ln median, sigma^2)
            z = stats.norm.ppf(np.clip(u, 1e-12, 1.0 - 1e-12))
            x = p[0] * np.exp(p[1] * z)
        return [float(v) for v in x]


def parse_distribution(value: object) -> Distribution1D:
    """{uniform|loguniform: [lo, hi]}, {triangular: [lo, mode, hi]}, {lognormal: {median, sigma}},
    {integer: [lo, hi]} (both ends included) or {choice: [a, b, ...]}; ValueError otherwise."""
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in SAMPLE_KINDS):
        raise ValueError("give one of " + ", ".join(f"{{{k}: ...}}" for k in SAMPLE_KINDS))
    kind, body = next(iter(value.items()))
    if kind == "choice":
        if not isinstance(body, list) or not body:
            raise ValueError("choice takes a non-empty list of values")
        return Distribution1D(kind, tuple(body))
    if kind == "lognormal":
        if not (isinstance(body, dict) and set(body) == {"median", "sigma"} and _is_number(body["median"])
                and _is_number(body["sigma"]) and body["median"] > 0 and body["sigma"] >= 0):
            raise ValueError("lognormal takes {median: m, sigma: s} with m > 0 and s ≥ 0")
        return Distribution1D(kind, (float(body["median"]), float(body["sigma"])))
    n = 3 if kind == "triangular" else 2
    if not (isinstance(body, list) and len(body) == n and all(_is_number(x) for x in body)):
        raise ValueError(f"{kind} takes a list of {n} numbers " + ("[lo, mode, hi]" if n == 3 else "[lo, hi]"))
    if any(b < a for a, b in zip(body, body[1:])):
        raise ValueError(f"{kind} points must not decrease: {body}")
    if kind == "integer" and not all(isinstance(x, int) for x in body):
        raise ValueError("integer takes whole numbers [lo, hi]")
    if kind == "loguniform" and body[0] <= 0:
        raise ValueError("loguniform needs lo > 0")
    return Distribution1D(kind, tuple(body))


def unit_samples(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """(n, d) points in [0, 1)^d: independent uniforms, or a Latin hypercube (each of the n
    strata of every dimension hit once), both from `seed`."""
    rng = np.random.default_rng(seed)
    if method == "random":
        return rng.random((n, d))
    from scipy.stats import qmc

    # scipy >= 1.15 names the generator `rng`; older releases `seed`
    key = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    return qmc.LatinHypercube(d, **{key: rng}).random(n)


# --- assignments -------------------------------------------------------------------


def assignments(sweep: LoadedSweep) -> list[Assignment]:
    """Every point of the sweep, in a fixed order (grid, then list, then samples, then
    seeds innermost); InputError listing every malformed value or clashing path."""
    spec = sweep.spec
    problems: list[Problem] = []
    blocks: list[list[tuple[dict[str, Any], dict[str, PathKey]]]] = []
    owner: dict[str, PathKey] = {}  # path -> where it is first set

    def claim(raw: str, where: PathKey, block: str) -> str | None:
        try:
            path = normal_path(raw)
        except ValueError as exc:
            problems.append(sweep.problem(where, str(exc), "dots between fields, list items by index: sites.0.pue"))
            return None
        first = owner.setdefault(path, where)
        if first[0] != where[0]:
            problems.append(sweep.problem(where, f"{path} is also set in {first[0]}",
                                          f"set each path in one block; {block} and {first[0]} multiply"))
            return None
        if first != where and (block != "list" or first[1] == where[1]):  # two spellings of one path
            problems.append(sweep.problem(where, f"{path} is set twice", f"also at {format_path(first)}"))
            return None
        return path

    if spec.grid:
        axes = []
        for raw, value in spec.grid.items():
            path = claim(raw, ("grid", raw), "grid")
            try:
                values = grid_values(value)
            except ValueError as exc:
                problems.append(sweep.problem(("grid", raw), str(exc)))
                continue
            if path is not None:
                listed = isinstance(value, list)
                axes.append([(path, v, ("grid", raw, i) if listed else ("grid", raw)) for i, v in enumerate(values)])
        blocks.append([({p: v for p, v, _ in combo}, {p: w for p, _, w in combo}) for combo in itertools.product(*axes)])
    if spec.cases:
        rows = []
        for i, case in enumerate(spec.cases):
            if not case:
                problems.append(sweep.problem(("list", i), "an empty case", "set at least one path, or drop the item"))
            values, sources = {}, {}
            for raw, value in case.items():
                path = claim(raw, ("list", i, raw), "list")
                if path is not None:
                    values[path], sources[path] = value, ("list", i, raw)
            rows.append((values, sources))
        blocks.append(rows)
    if spec.samples is not None:
        s = spec.samples
        dists = {}
        for raw, value in s.params.items():
            path = claim(raw, ("samples", "params", raw), "samples")
            try:
                dist = parse_distribution(value)
            except ValueError as exc:
                problems.append(sweep.problem(("samples", "params", raw), str(exc)))
                continue
            if path is not None:
                dists[path] = (dist, ("samples", "params", raw))
        if not problems:
            u = unit_samples(s.method, s.n, len(dists), s.seed)
            columns = {path: dist.at(u[:, k]) for k, (path, (dist, _)) in enumerate(dists.items())}
            blocks.append([({p: columns[p][i] for p in dists}, {p: w for p, (_, w) in dists.items()}) for i in range(s.n)])
    problems += _overlaps(sweep, owner)
    seeds = _seeds(spec.seeds)
    total = math.prod(len(b) for b in blocks) * len(seeds)
    if total > MAX_POINTS:
        problems.append(sweep.problem((), f"{total:,} points is more than {MAX_POINTS:,}", "fewer values or samples"))
    if problems:
        raise InputError(problems)
    out = []
    for combo in itertools.product(*blocks):
        values = {p: v for vals, _ in combo for p, v in vals.items()}
        sources = {p: w for _, srcs in combo for p, w in srcs.items()}
        out += [Assignment(values, seed, sources) for seed in seeds]
    return out


def _seeds(seeds: list[int] | SeedRange | None) -> list[int | None]:
    if seeds is None:
        return [None]
    if isinstance(seeds, SeedRange):
        return list(range(seeds.start, seeds.start + seeds.count))
    return list(seeds)


def _overlaps(sweep: LoadedSweep, owner: dict[str, PathKey]) -> list[Problem]:
    """A path inside another varied path (`policy` and `policy.name`) would be set twice."""
    return [sweep.problem(owner[b], f"{b} lies inside {a}, which is varied too", "vary one of them")
            for b in owner for a in owner if b.startswith(a + ".")]
