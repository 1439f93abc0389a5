"""Carbon saved by the release decisions of grid/carbon_aware.py on a year of hourly carbon
intensity (direct), per zone, using only those pure functions (not the simulator):

* temporal shifting in the manner of "Let's Wait Awhile" (Wiesner et al., Middleware 2021):
  one-hour jobs, one submitted at the start of every hour, each free to start up to W hours
  later (W = 2, 8, 24 h), placed by `temporal_release` on a forecast with relative error
  N(0, sigma), one draw per hour for the whole run (sigma 0: the series itself, which
  reaches the ideal bound of grid/shifting.py exactly; the script checks it);
* a CICS-style Virtual Capacity Curve (Radovanović et al., IEEE Trans. Power Systems 2023):
  `jobs_per_h` one-GPU, one-hour jobs submitted at random times in every hour (flexible
  load of jobs_per_h % of a 100-GPU cluster), each to finish within 24 h, admitted by
  `cics_release` under a daily flexible budget capped at a share of the GPUs per hour.

Savings are against starting every job at its submission, on the true series.

    .venv/bin/python scripts/carbon_aware_experiments.py                    # packaged 2024 zones
    .venv/bin/python scripts/carbon_aware_experiments.py --data-dir ../shared/data/energy/carbon
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from orbitgrid.errors import InputError
from orbitgrid.grid.carbon_aware import cics_release, forecast, temporal_release
from orbitgrid.grid.series import HOUR_S, PACKAGED_ZONES, HourlySeries, packaged_carbon, read_carbon
from orbitgrid.grid.shifting import shifting_savings

CAPACITY_GPUS = 100.0
DEADLINE_S = 24 * HOUR_S  # CICS: flexible work completes within a day


def run_mean(series: HourlySeries, start_s: np.ndarray, runtime_s: float) -> np.ndarray:
    """True mean intensity over each run (times from the series' first hour)."""
    return series.on_ticks(series.start_s[0] + start_s, runtime_s)


def lwa_saving(series: HourlySeries, window_h: int, noise: float, seed: int) -> float:
    """Share of carbon saved by temporal_release for one-hour jobs submitted every hour whose
    window (and run) lies inside the series, as grid/shifting.py counts them."""
    v = series.values
    hours = np.arange(v.size - window_h)
    submit_s = hours * HOUR_S
    fc = forecast(v, noise, np.random.default_rng(seed))
    release_s = temporal_release(submit_s, HOUR_S, submit_s + window_h * HOUR_S, fc, 0.0)
    return float(1.0 - run_mean(series, release_s, HOUR_S).sum() / v[hours].sum())


def cics_run(series: HourlySeries, share: float, noise: float, jobs_per_h: int, seed: int) -> dict[str, float]:
    """(saving, saving of the uncapped temporal shift of the same jobs, mean delay h, share of
    jobs started at their deadline) for the CICS-style capped admission."""
    v = series.values
    rng = np.random.default_rng(seed)
    last_h = v.size - int(DEADLINE_S // HOUR_S) - 1  # whole window and run inside the series
    submit_s = np.sort((np.repeat(np.arange(last_h), jobs_per_h) + rng.random(last_h * jobs_per_h)) * HOUR_S)
    latest_s = submit_s + DEADLINE_S - HOUR_S
    fc = forecast(v, noise, np.random.default_rng(seed + 1))
    release_s = cics_release(submit_s, HOUR_S, 1.0, latest_s, fc, 0.0, CAPACITY_GPUS, share, day_start_s=0.0)
    free_s = temporal_release(submit_s, HOUR_S, latest_s, fc, 0.0)
    base = run_mean(series, submit_s, HOUR_S).sum()
    return {"saving": 1.0 - run_mean(series, release_s, HOUR_S).sum() / base,
            "uncapped": 1.0 - run_mean(series, free_s, HOUR_S).sum() / base,
            "delay_h": float((release_s - submit_s).mean() / HOUR_S),
            "at_deadline": float(np.mean(release_s >= latest_s))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--data-dir", type=Path, help="more zones: Electricity Maps files <ZONE>_<YEAR>_hourly.csv")
    ap.add_argument("--noise", default="0.0,0.05", help="forecast relative error sd (default %(default)s)")
    ap.add_argument("--windows", default="2,8,24", help="hours of delay allowed (default %(default)s)")
    ap.add_argument("--shares", default="0.3,0.5", help="CICS hourly cap, share of the GPUs (default %(default)s)")
    ap.add_argument("--jobs-per-h", type=int, default=20, help="CICS one-GPU jobs per hour on 100 GPUs (default 20)")
    ap.add_argument("--seeds", type=int, default=3, help="forecasts averaged for noise > 0 (default 3)")
    a = ap.parse_args(argv)
    noises = [float(x) for x in a.noise.split(",")]
    windows = [int(w) for w in a.windows.split(",")]
    shares = [float(s) for s in a.shares.split(",")]
    try:
        zones = [(z, packaged_carbon(z, a.year)[0]) for z in PACKAGED_ZONES if a.year == 2024]
        if a.data_dir:
            have = {z for z, _ in zones}
            for p in sorted(a.data_dir.glob(f"*_{a.year}_hourly.csv")):
                zone = p.name.split("_")[0]
                if zone not in have:
                    zones.append((zone, read_carbon(p)[0]))
    except InputError as exc:
        print(exc.first_line(), file=sys.stderr)
        return 2
    if not zones:
        print(f"no zones for {a.year}: packaged data is 2024; give --data-dir", file=sys.stderr)
        return 2
    console = Console(width=220)
    seeds = lambda noise: range(1 if noise == 0 else a.seeds)  # noqa: E731

    t0 = time.perf_counter()
    lwa = Table(title=f"Temporal shifting (Let's Wait Awhile), 1-h jobs every hour, {a.year}: carbon saved vs. "
                      "at submission "
                      f"(forecast error sd; mean of {a.seeds} seeds where > 0)")
    lwa.add_column("zone")
    lwa.add_column("mean g/kWh", justify="right")
    for w in windows:
        for noise in noises:
            lwa.add_column(f"W={w} h σ={noise:g}", justify="right")
    rows = []
    for zone, series in zones:
        saved = []
        for w in windows:
            ideal = shifting_savings(series, 1, w)
            for noise in noises:
                s = float(np.mean([lwa_saving(series, w, noise, seed) for seed in seeds(noise)]))
                if noise == 0 and abs(s - ideal) > 1e-9:
                    print(f"{zone} W={w}: perfect forecast {s} differs from the ideal bound {ideal}", file=sys.stderr)
                    return 1
                saved.append(s)
        rows.append((zone, series, saved))
    rows.sort(key=lambda r: -r[2][-len(noises)])  # by the widest window's saving, first noise
    for zone, series, saved in rows:
        lwa.add_row(zone, f"{series.values.mean():.0f}", *[f"{100 * s:.1f}%" for s in saved])
    console.print(lwa)

    cics = Table(title=f"CICS-style daily capacity curve, {a.year}: {a.jobs_per_h} one-GPU 1-h jobs an hour on "
                       f"{CAPACITY_GPUS:.0f} GPUs, finish within 24 h, margin 10%, UTC days: carbon saved "
                       "(uncapped shift of the same jobs) / mean delay / started at deadline")
    cics.add_column("zone")
    for share in shares:
        for noise in noises:
            cics.add_column(f"cap {share:g} σ={noise:g}", justify="right")
    for zone, series, _ in rows:
        cells = []
        for share in shares:
            for noise in noises:
                res = [cics_run(series, share, noise, a.jobs_per_h, seed) for seed in seeds(noise)]
                m = {k: float(np.mean([r[k] for r in res])) for k in res[0]}
                cells.append(f"{100 * m['saving']:.1f}% ({100 * m['uncapped']:.1f}%) / {m['delay_h']:.1f} h / "
                             f"{100 * m['at_deadline']:.1f}%")
        cics.add_row(zone, *cells)
    console.print(cics)
    console.print(f"[dim]{time.perf_counter() - t0:.1f} s[/dim]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
