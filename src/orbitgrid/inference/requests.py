"""Request streams from cities: packaged traces, and a generator with rates in proportion to
city population and a daily cycle in local time.

Traces (``catalog/inference/``, built by scripts/build_inference_catalog.py; attribution in
DATA_SOURCES.md), each one hour of arrivals with token counts:

* ``azure_conv`` / ``azure_code``: Azure LLM inference trace 2023 (19,366 / 8,819 requests;
  Patel et al., Splitwise, ISCA 2024; CC-BY 4.0). Vidur's ``splitwise_conv`` /
  ``splitwise_code`` processed traces are these same requests.
* ``mooncake_conv``: Mooncake FAST'25 conversation trace (12,031 requests; Apache-2.0).
* ``vidur_arxiv``: token counts only (no arrivals): the first 10,000 arXiv summarisation
  requests of Vidur's processed traces (Llama 2 tokenizer; MIT).

Population: the packaged city list (Hypatia's 1,000 most populous cities) is ranked by
population but carries no counts, so by default a city's weight is the rank-size rule (Zipf,
exponent 1): w_r = 1 / (r + 1) for rank r = 0, 1, ... An approximation: real city sizes
follow it only roughly. A ``population_file`` (CSV ``city,population``, read by
``read_city_populations``) replaces it: requests then come from the cities it names, each in
proportion to the population given.

Daily cycle: the rate of a city at local solar time h (UTC + longitude / 15 h; no time
zones) is proportional to 1 + a cos(2 pi (h - h_peak) / 24), whose mean over a day is 1,
so ``per_day`` is the expected number of requests a day.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

TRACES = {
    "azure_conv": "azure_conv.csv.gz",
    "azure_code": "azure_code.csv.gz",
    "mooncake_conv": "mooncake_conv.csv.gz",
    "vidur_arxiv": "vidur_arxiv.csv.gz",
}
TOKENS_ONLY = {"vidur_arxiv"}  # no arrival times: token counts for generated arrivals


@dataclass(frozen=True)
class Trace:
    arrival_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray

    @property
    def period_s(self) -> float:
        """The span the trace samples, rounded up to a whole hour (one hour for all three: the
        Azure traces' last request comes 58.4 min after the first, Mooncake's 59.0 min)."""
        return float(np.ceil((self.arrival_s.max() + 1e-9) / 3600.0) * 3600.0)


@lru_cache(maxsize=None)
def load_trace(name: str) -> Trace:
    if name not in TRACES:
        raise KeyError(f"unknown trace {name!r}; known: {', '.join(TRACES)}")
    raw = resources.files("orbitgrid.catalog").joinpath("inference", TRACES[name]).read_bytes()
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))[1:]
    arr = np.array(rows, dtype=np.float64)
    if name in TOKENS_ONLY:
        arr = np.column_stack([np.zeros(arr.shape[0]), arr])
    t = arr[:, 0] - arr[:, 0].min()
    o = np.argsort(t, kind="stable")
    return Trace(t[o], arr[o, 1].astype(np.int64), arr[o, 2].astype(np.int64))


def read_city_populations(path) -> tuple[np.ndarray, np.ndarray]:
    """(rank in the packaged city list, population) of each row of a CSV with columns
    ``city`` (a name ``network.places.find_city`` knows) and ``population`` (> 0). Every bad
    row is an InputError problem naming the file, line and column."""
    from pathlib import Path

    from orbitgrid.errors import InputError, Problem
    from orbitgrid.network.places import PlaceError, find_city, load_cities

    path = Path(path)
    problems: list[Problem] = []
    ranks: list[int] = []
    pops: list[float] = []
    seen: dict[int, int] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, "", f"cannot read the population file ({exc})")]) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("city", "population") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError([Problem(str(path), 1, missing[0], "missing column", "columns: city,population")])
    names = load_cities().names
    for row in reader:
        line = reader.line_num
        try:
            rank = find_city(row["city"] or "")
        except PlaceError as exc:
            problems.append(Problem(str(path), line, "city", str(exc), exc.hint))
            continue
        try:
            pop = float(row["population"])
        except (TypeError, ValueError):
            problems.append(Problem(str(path), line, "population", f"not a number: {row['population']!r}"))
            continue
        if not np.isfinite(pop) or pop <= 0:
            problems.append(Problem(str(path), line, "population", f"{pop:g} is not a positive population"))
            continue
        if rank in seen:
            problems.append(Problem(str(path), line, "city", f"{names[rank]!r} is already on line {seen[rank]}",
                                    "give each city once"))
            continue
        seen[rank] = line
        ranks.append(rank)
        pops.append(pop)
    if not problems and not ranks:
        problems.append(Problem(str(path), 1, "city", "no cities", "one row per city: city,population"))
    if problems:
        raise InputError(problems)
    return np.asarray(ranks, dtype=np.int64), np.asarray(pops, dtype=np.float64)


def population_weights(ranks: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Shares over cities 0 .. max(rank): each listed city's population over the total, the
    others 0 (they send nothing)."""
    w = np.zeros(int(ranks.max()) + 1)
    w[ranks] = population / population.sum()
    return w


def zipf_weights(n_cities: int) -> np.ndarray:
    """Population shares of the ``n_cities`` most populous cities by the rank-size rule."""
    w = 1.0 / np.arange(1, n_cities + 1, dtype=np.float64)
    return w / w.sum()


def daily_factor(local_h, amplitude: float, peak_local_h: float):
    """Rate multiplier of the daily cycle (mean 1 over a day)."""
    return 1.0 + amplitude * np.cos(2.0 * np.pi * (np.asarray(local_h) - peak_local_h) / 24.0)


@dataclass(frozen=True)
class Requests:
    arrival_s: np.ndarray  # from the run's start
    city: np.ndarray  # index into the city list (rank)
    input_tokens: np.ndarray
    output_tokens: np.ndarray

    def __len__(self) -> int:
        return int(self.arrival_s.shape[0])


def generate(per_day: float, duration_s: float, lon_deg: np.ndarray, start_utc_h: float, rng: np.random.Generator,
             amplitude: float = 0.5, peak_local_h: float = 20.0, bin_s: float = 60.0,
             weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(arrival_s, city) of a Poisson stream: per city and bin of ``bin_s`` the count is
    Poisson with mean per_day / 86400 x bin_s x w_city x daily factor at the bin's middle;
    arrivals uniform within their bin; sorted by time. Vectorised over (city, bin)."""
    n_c = lon_deg.shape[0]
    w = zipf_weights(n_c) if weights is None else weights
    n_bins_all = int(np.ceil(duration_s / bin_s))
    per_chunk = max(1, int(86400.0 // bin_s))  # a day of bins at a time: memory stays flat
    ts, cs = [], []
    for b0 in range(0, n_bins_all, per_chunk):
        n_bins = min(per_chunk, n_bins_all - b0)
        edges = (b0 + np.arange(n_bins)) * bin_s
        width = np.minimum(bin_s, duration_s - edges)
        mid_utc_h = start_utc_h + (edges + width / 2.0) / 3600.0
        local_h = (mid_utc_h[None, :] + lon_deg[:, None] / 15.0) % 24.0
        lam = per_day / 86400.0 * width[None, :] * w[:, None] * daily_factor(local_h, amplitude, peak_local_h)
        counts = rng.poisson(lam).ravel()
        cell = np.repeat(np.arange(counts.size), counts)
        city, b = np.divmod(cell, n_bins)
        t = edges[b] + rng.random(cell.size) * width[b]
        o = np.argsort(t, kind="stable")
        ts.append(t[o])
        cs.append(city[o])
    return np.concatenate(ts), np.concatenate(cs)


def replay(trace: Trace, duration_s: float, n_cities: int, rng: np.random.Generator, speedup: float = 1.0,
           weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The trace's own arrivals (time divided by ``speedup``), repeated end to end over the
    run, each request given a city drawn by population weight."""
    period = trace.period_s / speedup
    reps = int(np.ceil(duration_s / period))
    t = (trace.arrival_s[None, :] / speedup + period * np.arange(reps)[:, None]).ravel()
    idx = np.tile(np.arange(trace.arrival_s.size), reps)
    keep = t < duration_s
    t, idx = t[keep], idx[keep]
    w = zipf_weights(n_cities) if weights is None else weights
    city = rng.choice(n_cities, size=t.size, p=w)
    return t, city, trace.input_tokens[idx], trace.output_tokens[idx]
