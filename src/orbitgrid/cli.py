"""The command line: `orbitgrid run | validate | show | policies`.

Bad input of any kind ends with one line `FILE:LINE: field.path: message` on stderr and
exit code 2, never a traceback. Progress and logs go to stderr, results to stdout.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orbitgrid.errors import EXIT_USER_ERROR, InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="orbitgrid: plan, simulate and schedule AI compute on Earth and in orbit.",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

SUMMARY_FORMATS = {
    "allocation_utilization": "{:.2%}",
    "effective_utilization": "{:.2%}",
}


def _in_scenario_file(exc: InputError, scenario: Path) -> InputError:
    """Problems a run finds in the scenario itself (file "scenario", e.g. a policy setting
    checked against the jobs) get the scenario's file name and the line of their field."""
    if not any(p.file == "scenario" for p in exc.problems):
        return exc
    from orbitgrid.errors import Problem
    from orbitgrid.yaml_lines import load_yaml_with_lines

    _, lines = load_yaml_with_lines(scenario)
    return InputError([
        Problem(str(scenario), lines.line_of(_path_key(p.path)), p.path, p.message, p.hint)
        if p.file == "scenario" else p
        for p in exc.problems
    ])


def _path_key(path: str) -> tuple:
    """'sites[0].grid' -> ('sites', 0, 'grid'): a field's path as the line map keys it."""
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", path))


def _fail(exc: InputError, all_lines: bool = False) -> None:
    lines = exc.all_lines() if all_lines else [exc.first_line()]
    for line in lines:
        print(line, file=sys.stderr)
    raise typer.Exit(EXIT_USER_ERROR)


def _fmt(key: str, value: object) -> str:
    if value is None:
        return "-"
    if key in SUMMARY_FORMATS and isinstance(value, float):
        return SUMMARY_FORMATS[key].format(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dict):  # e.g. revenue_by_tenant
        return "  ".join(f"{k} {_fmt(key, v)}" for k, v in value.items())
    return str(value)


def print_summary(summary: dict[str, object], console: Console, title: str = "run summary") -> None:
    """A key-value table: the summary of a run, an orbit or a sizing."""
    empty = [key for key, value in summary.items() if value is None]
    caption = (f"{len(empty)} keys without a value in this run are left out (--json lists every key)"
               if len(empty) > 3 else None)
    table = Table(title=title, show_header=False, box=None, pad_edge=False, caption=caption, caption_justify="left")
    table.add_column("key", style="bold")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if value is None and caption is not None:
            continue
        table.add_row(key, _fmt(key, value))
    console.print(table)


class _LazyProgress:
    """A progress bar that appears only once a run has taken more than a second."""

    def __init__(self, horizon_h: float):
        self.horizon_h = horizon_h
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task = None

    def __call__(self, sim_s: float, end_s: float, events: int) -> None:
        elapsed = time.monotonic() - self.started
        if self.bar is None:
            if elapsed < 1.0:
                return
            self.bar = Progress(
                TextColumn("[bold]simulating"),
                BarColumn(),
                TextColumn("{task.fields[sim]}"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("sim", total=max(end_s, 1.0), sim="", rate="")
        self.bar.update(
            self.task,
            completed=min(sim_s, end_s),
            total=max(end_s, 1.0),
            sim=f"{sim_s / 3600:,.1f} / {end_s / 3600:,.1f} h simulated",
            rate=f"{events / max(elapsed, 1e-9):,.0f} events/s",
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def validate(scenario: Path = typer.Argument(..., help="scenario YAML file")) -> None:
    """Check a scenario file without running it; list every problem, one per line."""
    from orbitgrid.scenario import load_scenario

    from orbitgrid.workload.csv_jobs import read_jobs_csv

    try:
        loaded = load_scenario(scenario)
        sc = loaded.scenario
        if sc.workload.csv is not None:  # a job file is input too: check every row
            read_jobs_csv(loaded.resolve(sc.workload.csv), set(sc.accelerator_table()))
        if sc.workload.trace is not None:  # and so is a trace
            from orbitgrid.workload import build_jobs

            build_jobs(loaded, sc.simulation.seed)
    except InputError as exc:
        _fail(exc, all_lines=True)
    gpus = sum(p.count for s in sc.sites for p in s.pools)
    fleet = f"{len(sc.sites)} site(s), {gpus:,} GPUs"
    if sc.constellations:
        fleet += f", {len(sc.constellations)} constellation(s)"
    print(f"{scenario}: ok: {sc.name!r}, {fleet}, policy {sc.policy.name}", file=sys.stderr)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="random seed (default: the scenario's)"),
    out_dir: Path = typer.Option(Path("runs"), "--out", help="folder that receives the run folder"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON object on stdout"),
    report: bool = typer.Option(True, "--report/--no-report", help="write report.html"),
    policies: Optional[str] = typer.Option(
        None, "--policy", help="run under these policies instead of the scenario's (comma-separated): one run "
        "folder each, a comparison table and page"),
) -> None:
    """Run a scenario and write its run folder (results.duckdb, scenario.yaml, report.html)."""
    from orbitgrid.policies import registry
    from orbitgrid.results.store import new_run_name
    from orbitgrid.scenario import LoadedScenario, load_scenario

    try:
        loaded = load_scenario(scenario)
    except InputError as exc:
        _fail(exc)
    sc = loaded.scenario
    seed_used = sc.simulation.seed if seed is None else seed
    if policies is None:
        run_dir, summary = _run_one(loaded, scenario, seed_used, out_dir, report, new_run_name(sc.name, seed_used))
        if as_json:
            sys.stdout.write(json.dumps(_jsonable(summary)) + "\n")
        else:
            print_summary(summary, out)
            if report:
                out.print(f"report: {run_dir / 'report.html'}")
        return
    names = [p.strip() for p in policies.split(",") if p.strip()]
    unknown = [p for p in names if p not in registry.names()]
    if not names or unknown or len(set(names)) != len(names):
        what = f"unknown policy {unknown[0]!r}" if unknown else "name each policy once" if names else "no policy named"
        print(f"--policy: {what} (hint: one or more of {', '.join(registry.names())}, comma-separated)",
              file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)
    summaries: dict[str, dict[str, object]] = {}
    for name in names:  # the same scenario and seed, only the policy differs
        variant = LoadedScenario(scenario=sc.model_copy(update={"policy": sc.policy.model_copy(update={"name": name})}),
                                 file=loaded.file, text=loaded.text)
        err.print(f"policy {name}:")
        _, summaries[name] = _run_one(variant, scenario, seed_used, out_dir, report,
                                      new_run_name(f"{sc.name}_{name}", seed_used))
    _compare(sc.name, seed_used, summaries, out_dir, as_json)


def _run_one(loaded, scenario: Path, seed: int, out_dir: Path, report: bool, name: str) -> tuple[Path, dict]:
    """Simulate one scenario and write its run folder; exit 2 on bad input, never a traceback."""
    from orbitgrid.engine import simulate
    from orbitgrid.results.store import write_run

    sc = loaded.scenario
    progress = _LazyProgress(sc.simulation.duration_h)
    wall0 = time.perf_counter()
    try:
        result = simulate(loaded, seed, progress)
    except InputError as exc:
        progress.close()
        _fail(_in_scenario_file(exc, scenario))
    except KeyboardInterrupt:
        _interrupted()
    finally:
        progress.close()
    wall_s = time.perf_counter() - wall0
    if result.dropped_late_jobs:
        err.print(f"note: {result.dropped_late_jobs:,} job(s) arrive after the horizon and were not submitted")
    try:
        run_dir = write_run(
            out_dir, name, result.tables, result.summary, loaded.text,
            {"scenario_file": str(scenario), "seed": seed, "policy": sc.policy.name, "simulate_wall_s": round(wall_s, 3)},
            write_report=report,
        )
    except OSError as exc:
        print(f"{out_dir}: cannot write the run folder: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except KeyboardInterrupt:  # write_run has already removed its partial folder
        _interrupted()
    events = int(result.summary["events"])
    err.print(f"simulated {events:,} events in {wall_s:.2f} s ({events / max(wall_s, 1e-9):,.0f} events/s)")
    return run_dir, {"run_dir": str(run_dir), **result.summary}


def _compare(scenario_name: str, seed: int, summaries: dict[str, dict], out_dir: Path, as_json: bool) -> None:
    """The comparison table on stdout and its page beside the run folders."""
    from orbitgrid.results.compare import comparison_rows, write_comparison
    from orbitgrid.results.store import new_run_name

    try:
        page = write_comparison(out_dir / f"{new_run_name(scenario_name, seed)}_comparison.html", scenario_name, summaries)
    except OSError as exc:
        print(f"{out_dir}: cannot write the comparison page: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    if as_json:
        sys.stdout.write(json.dumps({p: _jsonable(s) for p, s in summaries.items()}) + "\n")
        return
    table = Table(title=f"{scenario_name}: policies compared (seed {seed})", box=None, pad_edge=False)
    table.add_column("", style="bold")
    for p in summaries:
        table.add_column(p, justify="right")
    for key, values in comparison_rows(summaries):
        table.add_row(key, *(_fmt(key, v) for v in values))
    out.print(table)
    out.print(f"comparison: {page}")


def _jsonable(summary: dict[str, object]) -> dict[str, object]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in summary.items()}


@app.command()
def show(
    run_dir: Path = typer.Argument(..., help="a run folder written by `orbitgrid run`"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON object"),
) -> None:
    """Print the summary of a finished run, read from its results store."""
    from orbitgrid.results.store import read_summary

    try:
        summary = read_summary(run_dir)
    except InputError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(summary)) + "\n")
    else:
        print_summary(summary, out)


@app.command()
def invoice(
    run_dir: Path = typer.Argument(..., help="a run folder written by `orbitgrid run`"),
    tenant: Optional[str] = typer.Option(None, "--tenant", help="only this tenant"),
    month: Optional[str] = typer.Option(None, "--month", help="only this calendar month, YYYY-MM (UTC)"),
    as_json: bool = typer.Option(False, "--json", help="print the ledger rows as one JSON list"),
) -> None:
    """Print each tenant's invoice from a run's ledger: usage, reserved fee, overage, SLA credit."""
    from orbitgrid.errors import Problem
    from orbitgrid.results.store import open_run

    try:
        con = open_run(run_dir)
        try:
            cur = con.execute("SELECT * FROM ledger ORDER BY tenant, month")
            columns = [d[0] for d in cur.description]
            rows = [dict(zip(columns, r)) for r in cur.fetchall()]
        except Exception as exc:  # duckdb.Error: a run from before ledgers existed
            raise InputError([Problem(str(run_dir), None, "ledger", f"no ledger in this run ({type(exc).__name__})")]) from None
        finally:
            con.close()
        if not rows:
            raise InputError([Problem(str(run_dir), None, "ledger", "this run had no contracts, so nothing was billed",
                                      "give the scenario `contracts`")])
        for flag, value, key in (("--tenant", tenant, "tenant"), ("--month", month, "month")):
            known = sorted({r[key] for r in rows})
            if value is not None and value not in known:
                raise InputError([Problem(str(run_dir), None, flag, f"no {key} {value!r} in the ledger", "one of " + ", ".join(known))])
    except InputError as exc:
        _fail(exc)
    rows = [r for r in rows if (tenant is None or r["tenant"] == tenant) and (month is None or r["month"] == month)]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    wide = Console(width=max(out.width, 120))  # an invoice's columns do not fold
    for name in sorted({r["tenant"] for r in rows}):
        mine = [r for r in rows if r["tenant"] == name]
        table = Table(title=f"invoice: {name}, {mine[0]['contract']} (GPU-hours; USD)", title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        reserved = mine[0]["contract"] == "reserved"
        cols = ["month", "used"] + (["reserved", "overage", "avail.", "fee"] if reserved else []) + \
            ["overage USD" if reserved else "usage", "credit", "total"]
        for col in cols:
            table.add_column(col, justify="left" if col == "month" else "right", no_wrap=True)

        def cells(label: str, rs: list[dict], avail: str, credit: str) -> list[str]:
            total = {k: sum(r[k] for r in rs) for k in ("gpu_hours", "reserved_gpu_hours", "overage_gpu_hours",
                                                        "reserved_fee_usd", "usage_usd", "net_usd")}
            mid = [f"{total['reserved_gpu_hours']:,.0f}", f"{total['overage_gpu_hours']:,.0f}", avail,
                   f"{total['reserved_fee_usd']:,.2f}"] if reserved else []
            return [label, f"{total['gpu_hours']:,.1f}", *mid, f"{total['usage_usd']:,.2f}", credit, f"{total['net_usd']:,.2f}"]

        for r in mine:
            avail = "-" if r["availability"] is None else f"{100 * r['availability']:.2f}%"
            credit = f"{r['credit_usd']:,.2f}" + (f" ({r['credit_percent']:g}%)" if r["credit_percent"] else "")
            table.add_row(*cells(r["month"], [r], avail, credit))
        if len(mine) > 1:
            table.add_row(*cells("total", mine, "", f"{sum(r['credit_usd'] for r in mine):,.2f}"), style="bold")
        wide.print(table)


@app.command()
def orbit(
    altitude_km: float = typer.Option(..., "--altitude-km", help="circular orbit altitude, km"),
    inclination_deg: Optional[float] = typer.Option(None, "--inclination-deg", help="inclination, deg (0-180)"),
    sso: bool = typer.Option(False, "--sso", help="sun-synchronous: inclination from the J2 nodal rate"),
    ltan_h: float = typer.Option(18.0, "--ltan-h", help="with --sso: local time of the ascending node, h (18 = dawn-dusk)"),
    start: str = typer.Option("2026-01-01T00:00:00", "--start", help="UTC start, ISO 8601"),
    days: float = typer.Option(365.0, "--days", help="length of the window, days"),
    beta_deg: Optional[float] = typer.Option(None, "--beta-deg", help="hold the beta angle fixed instead of using the sun's motion"),
    raan_deg: float = typer.Option(0.0, "--raan-deg", help="right ascension of the ascending node at the start (not with --sso)"),
    shield_mm: float = typer.Option(5.0, "--shield-mm", help="aluminium shielding for the dose, mm (0.05-20)"),
    efficiency: Optional[float] = typer.Option(None, "--efficiency", help="cell efficiency, for electrical W/m² of array"),
    step_s: float = typer.Option(30.0, "--step-s", help="time step, s"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Sunlight, eclipses, power and dose of one circular orbit over a window."""
    from orbitgrid.orbit_summary import orbit_summary

    def bad(field: str, message: str) -> None:
        print(f"orbit: {field}: {message}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)

    if sso == (inclination_deg is not None):
        bad("--inclination-deg/--sso", "give exactly one of them")
    checks = [
        ("--altitude-km", 100.0 <= altitude_km <= 50_000.0, "must be between 100 and 50,000 km"),
        ("--inclination-deg", inclination_deg is None or 0.0 <= inclination_deg <= 180.0, "must be between 0 and 180"),
        ("--ltan-h", 0.0 <= ltan_h <= 24.0, "must be between 0 and 24"),
        ("--days", 0.0 < days <= 3660.0, "must be in (0, 3660]"),
        ("--beta-deg", beta_deg is None or -90.0 <= beta_deg <= 90.0, "must be between -90 and 90"),
        ("--shield-mm", 0.05 <= shield_mm <= 20.0, "must be between 0.05 and 20 mm (the SPENVIS table)"),
        ("--efficiency", efficiency is None or 0.0 < efficiency <= 1.0, "must be in (0, 1]"),
        ("--step-s", 1.0 <= step_s <= 3600.0, "must be between 1 and 3600 s"),
    ]
    for field, ok, message in checks:
        if not ok or any(isinstance(v, float) and not math.isfinite(v) for v in (altitude_km, days, step_s)):
            bad(field, message)
    if sso and altitude_km > 5_900.0:
        bad("--altitude-km", "no sun-synchronous orbit above about 5,970 km")
    import numpy as np

    try:
        np_start = np.datetime64(start)
    except ValueError:
        bad("--start", f"not an ISO 8601 time: {start!r}")
    summary = orbit_summary(
        altitude_km, inclination_deg, ltan_h if sso else None, str(np_start), days, step_s,
        beta_deg, raan_deg, shield_mm, efficiency,
    )
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(summary)) + "\n")
        return
    print_summary(summary, out, f"orbit at {altitude_km:g} km")


@app.command()
def size(
    gpu: str = typer.Option(..., "--gpu", help="accelerator name from the catalogue (H100, GB200, ...)"),
    gpus: int = typer.Option(..., "--gpus", help="number of GPUs on the satellite"),
    altitude_km: float = typer.Option(..., "--altitude-km", help="circular orbit altitude, km"),
    inclination_deg: Optional[float] = typer.Option(None, "--inclination-deg", help="inclination, deg (0-180): sized for beta = 0"),
    sso: bool = typer.Option(False, "--sso", help="sun-synchronous: sized for the longest eclipse of a propagated year"),
    ltan_h: float = typer.Option(18.0, "--ltan-h", help="with --sso: local time of the ascending node, h (18 = dawn-dusk)"),
    array: str = typer.Option("blanket-iii-v", "--array", help="solar-array preset (catalog/technology.yaml)"),
    radiator: str = typer.Option("al-nh3-heat-pipe", "--radiator", help="radiator preset"),
    battery: str = typer.Option("saft-li-ion", "--battery", help="battery preset"),
    bus: str = typer.Option("generic-leo", "--bus", help="bus preset (mass share, housekeeping power, power path)"),
    bus_power_w: Optional[float] = typer.Option(None, "--bus-power-w", help="housekeeping power, W (default: the bus preset's share of the payload)"),
    gpu_power_w: Optional[float] = typer.Option(None, "--gpu-power-w", help="power per busy GPU with its host share, W (default: the accelerator catalogue)"),
    payload_kg_per_gpu: Optional[float] = typer.Option(None, "--payload-kg-per-gpu", help="payload mass per GPU, kg (default: the published server mass per GPU)"),
    radiator_temperature_k: float = typer.Option(320.0, "--radiator-temperature-k", help="radiator temperature, K"),
    radiator_sides: Optional[int] = typer.Option(None, "--radiator-sides", help="1 or 2 radiating faces (default: the preset's)"),
    eclipse: str = typer.Option("ride_through", "--eclipse", help="ride_through (GPUs run on the battery) or power_off (battery for the bus only)"),
    life_years: float = typer.Option(5.0, "--life-years", help="design life for the array's degradation, years"),
    propellant_fraction: float = typer.Option(0.0, "--propellant-fraction", help="propellant share of the launch mass, 0-0.9"),
    launch_usd_per_kg: Optional[float] = typer.Option(None, "--launch-usd-per-kg", help="launch price, $/kg (default: falcon-9 in catalog/economics.yaml)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Size a compute satellite: array, battery, radiator, mass by subsystem, kW per tonne."""
    from orbitgrid.catalog import load_accelerators
    from orbitgrid.catalog.economics import SIZE_LAUNCHER, load_economics
    from orbitgrid.catalog.technology import load_technology
    from orbitgrid.physics import orbits, sizing

    def bad(field: str, message: str, hint: str | None = None) -> None:
        print(f"size: {field}: {message}" + (f" (hint: {hint})" if hint else ""), file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)

    numbers = {"--altitude-km": altitude_km, "--inclination-deg": inclination_deg, "--ltan-h": ltan_h,
               "--bus-power-w": bus_power_w, "--gpu-power-w": gpu_power_w, "--payload-kg-per-gpu": payload_kg_per_gpu,
               "--radiator-temperature-k": radiator_temperature_k, "--life-years": life_years,
               "--propellant-fraction": propellant_fraction, "--launch-usd-per-kg": launch_usd_per_kg}
    for field, value in numbers.items():
        if value is not None and not math.isfinite(value):
            bad(field, f"must be a finite number, got {value}")
    if sso == (inclination_deg is not None):
        bad("--inclination-deg/--sso", "give exactly one of them", "--inclination-deg 53, or --sso [--ltan-h 18]")
    cat = load_technology()
    accelerators = load_accelerators()
    by_fold = {name.casefold(): name for name in accelerators}
    if gpu.casefold() not in by_fold:
        bad("--gpu", f"unknown accelerator {gpu!r}", "one of " + ", ".join(sorted(accelerators)))
    gpu = by_fold[gpu.casefold()]
    presets = [("--array", array, cat.arrays), ("--radiator", radiator, cat.radiators),
               ("--battery", battery, cat.batteries), ("--bus", bus, cat.buses)]
    for field, name, table in presets:
        if name not in table:
            bad(field, f"unknown preset {name!r}", "one of " + ", ".join(table))
    eclipse_mode = eclipse.replace("-", "_")
    checks = [
        ("--gpus", gpus >= 1, "must be a whole number ≥ 1", None),
        ("--altitude-km", 100.0 <= altitude_km <= 50_000.0, "must be between 100 and 50,000 km", None),
        ("--inclination-deg", inclination_deg is None or 0.0 <= inclination_deg <= 180.0, "must be between 0 and 180", None),
        ("--ltan-h", 0.0 <= ltan_h <= 24.0, "must be between 0 and 24", None),
        ("--bus-power-w", bus_power_w is None or bus_power_w >= 0.0, "must be ≥ 0", None),
        ("--gpu-power-w", gpu_power_w is None or gpu_power_w > 0.0, "must be > 0", None),
        ("--payload-kg-per-gpu", payload_kg_per_gpu is None or payload_kg_per_gpu > 0.0, "must be > 0", None),
        ("--radiator-temperature-k", 150.0 <= radiator_temperature_k <= 600.0, "must be between 150 and 600 K", None),
        ("--radiator-sides", radiator_sides in (None, 1, 2), "must be 1 or 2", None),
        ("--eclipse", eclipse_mode in sizing.ECLIPSE_MODES, f"unknown mode {eclipse!r}", "ride_through or power_off"),
        ("--life-years", 0.0 <= life_years <= 30.0, "must be between 0 and 30 years", None),
        ("--propellant-fraction", 0.0 <= propellant_fraction <= 0.9, "must be between 0 and 0.9", None),
        ("--launch-usd-per-kg", launch_usd_per_kg is None or launch_usd_per_kg >= 0.0, "must be ≥ 0", None),
    ]
    for field, ok, message, hint in checks:
        if not ok:
            bad(field, message, hint)
    if sso and altitude_km > 5_900.0:
        bad("--altitude-km", "no sun-synchronous orbit above about 5,970 km")
    power = gpu_power_w if gpu_power_w is not None else accelerators[gpu].busy_power_w
    if power is None:
        bad("--gpu", f"no published power for {gpu}", "give --gpu-power-w")
    if payload_kg_per_gpu is None:
        if gpu not in cat.compute_payloads:
            bad("--gpu", f"no published server mass for {gpu}",
                "give --payload-kg-per-gpu; published for " + ", ".join(cat.compute_payloads))
        payload_kg_per_gpu = cat.compute_payloads[gpu].server_kg_per_gpu.value
    bus_preset = cat.buses[bus]
    if bus_power_w is None:
        bus_power_w = bus_preset.power_fraction_of_payload.value * gpus * power
    if launch_usd_per_kg is None:
        launch_usd_per_kg = load_economics().launchers[SIZE_LAUNCHER].usd_per_kg.value
    tech = sizing.Technology.from_presets(cat.arrays[array], cat.radiators[radiator], cat.batteries[battery],
                                          bus_preset, radiator_sides)
    light = sizing.orbit_light(altitude_km, inclination_deg, ltan_h if sso else None)
    try:
        result = sizing.size_satellite(
            gpus, power, payload_kg_per_gpu, bus_power_w, light.period_s, light.eclipse_s, altitude_km, tech,
            radiator_temperature_k, eclipse_mode, life_years, propellant_fraction, launch_usd_per_kg,
        ).as_dict()
    except ValueError as exc:
        bad("--radiator-temperature-k" if "radiator" in str(exc) else "size", str(exc))
    summary: dict[str, object] = {
        "gpu": gpu, "gpus": gpus, "gpu_power_w": float(power), "payload_kg_per_gpu": float(payload_kg_per_gpu),
        "altitude_km": altitude_km,
        "inclination_deg": inclination_deg if not sso else float(orbits.sso_inclination_deg(altitude_km)),
        "sso": sso, "ltan_h": ltan_h if sso else None, "eclipse_mode": eclipse_mode,
        "array": array, "radiator": radiator, "radiator_sides": tech.radiator_sides, "battery": battery, "bus": bus,
        "life_years": life_years, "radiator_temperature_k": radiator_temperature_k,
        "launch_usd_per_kg": float(launch_usd_per_kg), "eclipse_method": light.method,
        "period_min": result["period_s"] / 60.0, "eclipse_min": result["eclipse_s"] / 60.0,
        **{k: v for k, v in result.items() if k not in ("period_s", "eclipse_s")},
    }
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(summary)) + "\n")
        return
    print_summary(summary, out, f"{gpus} × {gpu} at {altitude_km:g} km")


@app.command()
def plan(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    samples: int = typer.Option(0, "--samples", help="Monte Carlo draws of the uncertain cost inputs (0: none)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="seed of the draws (default: the scenario's simulation.seed)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object: fleets, break_even, sensitivity"),
    revenue: Optional[Path] = typer.Option(None, "--revenue", help="a run folder of this scenario: each fleet's margin against what its ledger billed"),
) -> None:
    """Cost of each fleet side by side without simulating: capex, opex, $/W, $/GPU-hour,
    $/MWh; break-even of orbit against the reference site; the inputs that move orbital $/W most;
    with --revenue, each fleet's margin against a run's ledger."""
    from orbitgrid.economics.plan import add_margin
    from orbitgrid.economics.plan import plan as make_plan
    from orbitgrid.economics.plan import print_plan
    from orbitgrid.scenario import load_scenario

    def bad(field: str, message: str) -> None:
        print(f"plan: {field}: {message}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)

    if not 0 <= samples <= 10_000_000:
        bad("--samples", "must be between 0 and 10,000,000")
    if seed is not None and not 0 <= seed < 2**63:
        bad("--seed", "must be between 0 and 2^63 - 1")
    try:
        loaded = load_scenario(scenario)
        result = make_plan(loaded, samples, loaded.scenario.simulation.seed if seed is None else seed)
        if revenue is not None:
            add_margin(result, revenue)
    except InputError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
        return
    print_plan(result, out, loaded.scenario.name)


@app.command()
def serve(
    runs: Path = typer.Option(Path("runs"), "--runs", help="folder of run folders to serve (created if missing)"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind; any but loopback needs a token"),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port"),
    token: Optional[str] = typer.Option(None, "--token", envvar="ORBITGRID_TOKEN",
                                        help="required on every request (Bearer header, or ?token= once)"),
) -> None:
    """The dashboard: runs, figures, orbits, comparisons and new runs in the browser (docs/dashboard.md)."""
    from orbitgrid.dashboard.serve import serve as run_server

    try:
        run_server(runs, host, port, token)
    except InputError as exc:
        _fail(exc)


@app.command()
def route(
    from_place: str = typer.Option(..., "--from", help="a city, a gateway (GS12), 'lat,lon' or sat:N / sat:PLANE/SLOT"),
    to_place: str = typer.Option(..., "--to", help="the other end, in the same forms"),
    shell: Optional[str] = typer.Option(None, "--shell", help="constellation preset (its first shell), or PRESET:K for shell K; none: fibre only"),
    at: str = typer.Option("2026-01-01T00:00Z", "--at", help="UTC time, ISO 8601"),
    fibre: bool = typer.Option(False, "--fibre", help="fibre only, even with --shell"),
    route_factor: float = typer.Option(1.0, "--route-factor", help="fibre route length over the great circle (>= 1)"),
    min_elevation_deg: Optional[float] = typer.Option(None, "--min-elevation-deg", help="lowest elevation of a ground-to-satellite link (default: 25 Starlink, 30 Kuiper, 10 Telesat)"),
    epoch: str = typer.Option("2026-01-01T00:00Z", "--epoch", help="UTC time at which the shell has its Walker phases"),
    no_gateways: bool = typer.Option(False, "--no-gateways", help="user terminals only: no fibre to the nearest Starlink gateway"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object: path, distance_km, one_way_ms, ..."),
) -> None:
    """The quickest path and its one-way delay between two places at a time, over a shell's laser links or by fibre."""
    from orbitgrid.network.route import RouteError, find_route

    def bad(field: str, message: str, hint: str | None = None) -> None:
        print(f"route: {field}: {message}" + (f" (hint: {hint})" if hint else ""), file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)

    for field, value in (("--route-factor", route_factor), ("--min-elevation-deg", min_elevation_deg)):
        if value is not None and not math.isfinite(value):
            bad(field, f"must be a finite number, got {value}")
    try:
        result = find_route(from_place, to_place, shell, at, fibre=fibre, route_factor=route_factor,
                            min_elevation_deg=min_elevation_deg, epoch=epoch, gateways=not no_gateways)
    except RouteError as exc:
        bad(exc.field, str(exc), exc.hint)
    if as_json:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
        return
    if not result["path"]:
        out.print(f"no path from {result['from']} to {result['to']} over {result['shell']} at {result['at']}")
        return
    table = Table(box=box.SIMPLE, title=f"{result['from']} → {result['to']}, {result['mode']}"
                  + (f" {result['shell']}" if result["mode"] == "shell" else "") + f", {result['at']}")
    for col in ("from", "to", "link", "km", "ms"):
        table.add_column(col, justify="right" if col in ("km", "ms") else "left")
    for h in result["hops"]:
        table.add_row(h["from"], h["to"], h["kind"], f"{h['km']:,.1f}", f"{h['ms']:.3f}")
    table.add_row("total", "", "", f"{result['distance_km']:,.1f}", f"{result['one_way_ms']:.3f}", style="bold")
    out.print(table)
    if "fibre_one_way_ms" in result:
        out.print(f"fibre on the great circle × {result['route_factor']:g}: {result['fibre_one_way_ms']:.3f} ms "
                  f"({result['great_circle_km']:,.1f} km)")


@app.command()
def sweep(
    sweep_file: Path = typer.Argument(..., help="sweep YAML file (docs/sweep.md)"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="points at once (default: the CPU count); "
                                          "1 runs them one after another in this process, without Ray"),
    address: Optional[str] = typer.Option(None, "--address", help="run on this Ray cluster (e.g. auto, ray://HOST:10001) "
                                          "instead of a local Ray started for the sweep"),
    resume: bool = typer.Option(False, "--resume", help="keep the points whose run folder is complete, run the rest"),
    out_dir: Path = typer.Option(Path("sweeps"), "--out", help="folder that receives the sweep folder"),
    point_reports: bool = typer.Option(False, "--point-reports/--no-point-reports", help="write report.html in every point's run folder"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check the sweep and list its points; run nothing"),
) -> None:
    """Run a scenario at many points (grid, list, random or Latin-hypercube samples, seeds): one run folder each,
    one table (Parquet, DuckDB) and one report. Exit 4 if some points failed (each is in the table with its error)."""
    from orbitgrid.sweep.command import sweep_command

    raise typer.Exit(sweep_command(sweep_file, out_dir, workers, address, resume, point_reports, dry_run, err, out))


@app.command()
def policies() -> None:
    """List the scheduling policies a scenario can name."""
    from orbitgrid.policies import registry

    for name in registry.names():
        cls = registry.get_policy(name)
        paragraph = (sys.modules[cls.__module__].__doc__ or "").strip().split("\n\n")[0]
        first_sentence = " ".join(paragraph.split()).split(". ")[0].rstrip(".") + "."
        out.print(f"[bold]{name}[/bold]  {first_sentence}")


traces_app = typer.Typer(
    no_args_is_help=True,
    help="Public cluster traces (Philly, Gavel, Pollux, Tiresias, Alibaba) as orbitgrid's normalised job table.",
)
export_app = typer.Typer(no_args_is_help=True, help="A finished run in other tools' formats (CZML for Cesium).")


@export_app.command("czml")
def export_czml_command(
    run_dir: Path = typer.Argument(..., help="a run folder written by `orbitgrid run`"),
    out_file: Optional[Path] = typer.Option(None, "--out", help="file to write (default: RUN_DIR.czml)"),
    step_s: float = typer.Option(60.0, "--step-s", help="seconds between position samples"),
    hours: Optional[float] = typer.Option(None, "--hours", help="export only the first H hours of the run"),
) -> None:
    """Write the run's satellites (positions, sunlight, tracks) and sites as CZML for Cesium."""
    from orbitgrid.export.czml import export_czml

    started = time.perf_counter()
    try:
        path, packets, size = export_czml(run_dir, out_file, step_s, hours)
    except InputError as exc:
        _fail(exc)
    except OSError as exc:
        print(f"{out_file or run_dir}: cannot write the CZML file: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    print(f"{path}: {packets:,} packets, {size / 1e6:,.1f} MB in {time.perf_counter() - started:.1f} s")
    if size > 100e6:
        err.print("note: a browser loads this slowly; --hours or a longer --step-s make it smaller")


app.add_typer(export_app, name="export")
app.add_typer(traces_app, name="traces")


@traces_app.command("import")
def traces_import(
    trace_format: str = typer.Argument(..., metavar="FORMAT",
                                       help="philly, gavel, pollux, tiresias, alibaba or gavel-throughputs"),
    file: Path = typer.Argument(..., metavar="FILE", help="the trace file"),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Parquet file to write (default: FILE's name with .parquet, here)"),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="leave malformed rows out and count them, "
                                  "instead of stopping at the first"),
) -> None:
    """Read a trace into the normalised table and write it as Parquet (complete or not at all)."""
    from orbitgrid.workload.traces import FORMATS, read_trace, write_parquet

    if trace_format not in FORMATS:
        print(f"traces import: FORMAT: unknown format {trace_format!r} (hint: one of {', '.join(FORMATS)})",
              file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)
    target = output if output is not None else Path(file.stem + ".parquet")
    if target.exists() and file.exists() and target.resolve() == file.resolve():
        print(f"{target}: the output would replace the trace itself (hint: give -o OUT.parquet)", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR)
    started = time.perf_counter()
    try:
        table, report = read_trace(trace_format, file, skip_bad)
    except InputError as exc:
        _fail(exc)
    try:
        write_parquet(table, target)
    except OSError as exc:
        print(f"{target}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    report.seconds = time.perf_counter() - started
    print(report.summary_line(str(target)))
    if report.rows_skipped:
        print(report.skipped_line())
    print(report.stats_line())


def _interrupted() -> None:
    print("interrupted: no run folder was written", file=sys.stderr)
    raise typer.Exit(130)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point. Internal errors print one line unless ORBITGRID_DEBUG is set."""
    # a polite kill (SIGTERM) cleans up like Ctrl-C: no half-written run folder remains
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted: no run folder was written", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: say so briefly, keep the trace on request
        from orbitgrid.engine.invariants import InvariantError
        from orbitgrid.engine.simulator import PolicyError

        if os.environ.get("ORBITGRID_DEBUG"):
            raise
        if isinstance(exc, (InvariantError, PolicyError)):  # the engine caught itself out
            print(f"orbitgrid: run aborted, no run folder written: {type(exc).__name__}: {exc}", file=sys.stderr)
            sys.exit(3)
        print(f"orbitgrid: internal error: {type(exc).__name__}: {exc} (set ORBITGRID_DEBUG=1 for the traceback)", file=sys.stderr)
        sys.exit(1)
