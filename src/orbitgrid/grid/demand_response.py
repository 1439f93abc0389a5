"""Demand response: the curtailment events a site is called for, and what it made of them.

Events come from the scenario (`sites[].demand_response.events`), a CSV file (`events_file`)
or a price rule (`price_trigger`: each run of consecutive hours whose zone price is above the
threshold is one event). The engine meets them (engine/curtailment.py); afterwards, from
the step series:

    curtailed_mwh   = sum over events of the integral of max(0, baseline - P(t)) dt
    shortfall_mwh   = the integral of max(0, P(t) - target) dt during each event
    met             = P never above the target during the event (each step's mean power)
    deferred GPU-h  = the integral of max(0, GPUs busy at the notice - GPUs busy now) dt

P is the site's power at the meter; the baseline is P when the event was announced. The
programme pays, per its terms (`payment`): committed MW x USD per MW-month over the run's
months (730.5 h each), plus USD per MWh curtailed (a fixed rate or the zone's hourly price),
less a penalty per MWh of shortfall. This follows the shape of US wholesale programmes
(e.g. PJM's capacity-based load management with energy settlement at the LMP), not any
one tariff's fine print.

Events file columns: `start` (UTC, ISO 8601), `duration_h`, one of `shed_mw`,
`shed_percent`, `limit_mw`, and optional `notice_h`.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pyarrow as pa

from orbitgrid.errors import InputError, Problem
from orbitgrid.scenario import LoadedScenario

HOURS_PER_MONTH = 730.5  # 8766 h / 12: the average month of the Julian year
HOUR_S = 3600.0
EVENT_COLUMNS = ("start", "duration_h", "shed_mw", "shed_percent", "limit_mw", "notice_h")


def plan_events(loaded: LoadedScenario, prices: dict[int, object], end_s: float):
    """Every site's events (an engine/curtailment.CurtailmentPlan) in seconds from the run
    start (those that end before the start or are announced after `end_s` left out); None
    when no site has a programme. `prices[s]` is site s's hourly price series
    (grid/series.HourlySeries), for price rules."""
    from orbitgrid.engine.curtailment import CurtailmentPlan  # (the engine imports this module)
    from orbitgrid.grid.accounting import start_epoch_s

    sc = loaded.scenario
    t0 = start_epoch_s(sc.simulation.start)
    rows: list[tuple] = []  # (site, notice, start, end, shed_w, fraction, limit_w, source)
    min_cap = np.ones(len(sc.sites))
    exponent = np.full(len(sc.sites), 3.0)
    any_programme = False
    for s, site in enumerate(sc.sites):
        dr = site.demand_response
        if dr is None:
            continue
        any_programme = True
        min_cap[s] = dr.min_power_cap
        exponent[s] = dr.power_cap_exponent
        for ev in dr.events:
            start = (start_epoch_s(ev.start) - t0) if ev.start is not None else ev.start_h * HOUR_S
            rows.append(_row(s, start, ev.duration_h, ev.notice_h, ev, "scenario"))
        if dr.events_file is not None:
            for ev in read_events(loaded.resolve(dr.events_file), dr.events_file):
                rows.append(_row(s, ev["start_epoch_s"] - t0, ev["duration_h"], ev["notice_h"], ev, "file"))
        if dr.price_trigger is not None:
            series = prices.get(s)
            if series is None:
                raise InputError([Problem("scenario", None, f"sites[{s}].demand_response.price_trigger",
                                          "a price rule needs the site's prices", "give the site a grid zone or a prices file")])
            rule = dr.price_trigger
            hot = series.values > rule.above_usd_per_mwh
            edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.astype(np.int8), [0]])))
            for a, b in zip(edges[::2].tolist(), edges[1::2].tolist()):
                start = float(series.start_s[a]) - t0
                rows.append(_row(s, start, (b - a), rule.notice_h, rule, "price"))
    if not any_programme:
        return None
    n_sites = len(sc.sites)
    keep = [r for r in rows if r[3] > 0.0 and r[1] < end_s]
    keep.sort(key=lambda r: (r[2], r[0]))
    arr = np.array([r[:7] for r in keep], dtype=np.float64).reshape(-1, 7)
    full_cap, full_exp = np.ones(n_sites), np.full(n_sites, 3.0)
    full_cap[: min_cap.size] = min_cap
    full_exp[: exponent.size] = exponent
    return CurtailmentPlan(
        site=arr[:, 0].astype(np.int64), notice_s=np.maximum(arr[:, 1], 0.0), start_s=arr[:, 2], end_s=arr[:, 3],
        shed_w=arr[:, 4], shed_fraction=arr[:, 5], limit_w=arr[:, 6], min_cap=full_cap,
        cap_exponent=full_exp,
        source=tuple(r[7] for r in keep),
    )


def _row(site: int, start_s: float, duration_h: float, notice_h: float, amount, source: str) -> tuple:
    get = amount.get if isinstance(amount, dict) else lambda k: getattr(amount, k)
    shed_mw, pct, limit_mw = get("shed_mw"), get("shed_percent"), get("limit_mw")
    return (site, start_s - notice_h * HOUR_S, start_s, start_s + duration_h * HOUR_S,
            shed_mw * 1e6 if shed_mw is not None else math.nan,
            pct / 100.0 if pct is not None else math.nan,
            limit_mw * 1e6 if limit_mw is not None else math.nan, source)


def read_events(path: Path, display_name: str | None = None) -> list[dict]:
    """Curtailment events from CSV, checked row by row (FILE:LINE: column: message)."""
    name = display_name or str(path)

    def fail(line: int | None, column: str, message: str, hint: str | None = None) -> InputError:
        return InputError([Problem(name, line, column, message, hint)])

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise fail(None, "", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise fail(None, "", f"not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise fail(1, "", "empty file", "columns: start,duration_h and one of shed_mw, shed_percent, limit_mw") from None
    for need in ("start", "duration_h"):
        if need not in header:
            raise fail(1, need, "missing column", "columns: start,duration_h and one of shed_mw, shed_percent, limit_mw")
    unknown = [h for h in header if h not in EVENT_COLUMNS]
    if unknown:
        raise fail(1, unknown[0], "unknown column", "known: " + ", ".join(EVENT_COLUMNS))
    seen = [h for i, h in enumerate(header) if h in header[:i]]
    if seen:
        raise fail(1, seen[0], "column given twice")
    col = {h: i for i, h in enumerate(header)}
    events = []
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise fail(line, "", f"{len(row)} fields, the header has {len(header)}")

        def cell(key: str, row: list[str] = row) -> str:
            return row[col[key]].strip() if key in col else ""

        try:
            stamp = np.datetime64(cell("start"), "s")
        except ValueError:
            stamp = np.datetime64("NaT")
        if np.isnat(stamp) or len(cell("start")) < 10:
            raise fail(line, "start", f"not an ISO 8601 time: {cell('start')!r}", "e.g. 2024-07-16T19:00:00 (UTC)")
        start = float(stamp.astype(np.int64))
        event = {"start_epoch_s": start}
        for key, low, strict, high in (("duration_h", 0.0, True, math.inf), ("notice_h", 0.0, False, math.inf),
                                       ("shed_mw", 0.0, True, math.inf), ("shed_percent", 0.0, True, 100.0),
                                       ("limit_mw", 0.0, False, math.inf)):
            text = cell(key)
            if not text:
                event[key] = 0.0 if key == "notice_h" else None
                continue
            try:
                value = float(text)
            except ValueError:
                raise fail(line, key, f"not a number: {text!r}") from None
            if not math.isfinite(value) or value < low or (strict and value == low) or value > high:
                bound = f"{'>' if strict else '>='} {low:g}" + (f" and <= {high:g}" if high < math.inf else "")
                raise fail(line, key, f"must be {bound}, got {text}")
            event[key] = value
        if event["duration_h"] is None:
            raise fail(line, "duration_h", "missing value")
        given = [k for k in ("shed_mw", "shed_percent", "limit_mw") if event[k] is not None]
        if len(given) != 1:
            raise fail(line, "shed_mw", "give exactly one of shed_mw, shed_percent, limit_mw")
        events.append(event)
    return events


def evaluate_events(loaded: LoadedScenario, controller, edges_s: np.ndarray, site_power_w: np.ndarray,
                    site_gpus: np.ndarray, prices_on_steps: dict[int, np.ndarray]) -> tuple[dict, pa.Table]:
    """(summary keys, per-event table) from the run's steps: `site_power_w` and `site_gpus`
    are (steps, sites) mean power at the meter and allocated GPUs; `prices_on_steps[s]` the
    site's price per step (for `energy_usd_per_mwh: price`)."""
    sc = loaded.scenario
    plan = controller.plan if controller is not None else None
    n = len(plan) if plan is not None else 0
    width = np.diff(edges_s)
    mid = edges_s[:-1]
    out = {k: np.zeros(n) for k in ("curtailed_mwh", "shortfall_mwh", "deferred_gpu_h", "revenue_usd", "max_mw")}
    met = np.zeros(n, dtype=bool)
    counted = np.zeros(n, dtype=bool)
    # where events at one site overlap, each step's energy, GPU-hours and payment belong to
    # the earliest-starting of them (counted once); met and shortfall stay per event
    owner = np.full((mid.size, site_power_w.shape[1] if site_power_w.ndim == 2 else 0), -1, dtype=np.int64)
    for e in range(n):
        s = int(plan.site[e])
        inside = (mid >= plan.start_s[e]) & (mid < plan.end_s[e])
        if not inside.any() or np.isnan(controller.baseline_w[e]):
            continue  # (starts after the run's end)
        counted[e] = True
        free = inside & (owner[:, s] < 0)
        owner[free, s] = e
        mine = free[inside]  # of this event's steps, those it owns
        p_w, w = site_power_w[inside, s], width[inside]
        base, target = controller.baseline_w[e], controller.target_w[e]
        shed_j = np.maximum(base - p_w, 0.0) * w * mine
        out["curtailed_mwh"][e] = shed_j.sum() / 3.6e9
        out["shortfall_mwh"][e] = (np.maximum(p_w - target, 0.0) * w).sum() / 3.6e9
        out["deferred_gpu_h"][e] = (np.maximum(controller.baseline_gpus[e] - site_gpus[inside, s], 0.0) * w
                                    * mine).sum() / HOUR_S
        out["max_mw"][e] = p_w.max() / 1e6
        # 1 mW of slack for rounding in the step means
        met[e] = bool(p_w.max() <= target * (1.0 + 1e-9) + 1e-3)
        pay = sc.sites[s].demand_response.payment
        if pay.energy_usd_per_mwh == "price":
            energy_usd = float(shed_j @ prices_on_steps[s][inside]) / 3.6e9 if s in prices_on_steps else 0.0
        else:
            energy_usd = out["curtailed_mwh"][e] * pay.energy_usd_per_mwh
        out["revenue_usd"][e] = energy_usd - out["shortfall_mwh"][e] * pay.penalty_usd_per_mwh
    months = (edges_s[-1] - edges_s[0]) / HOUR_S / HOURS_PER_MONTH
    capacity_usd = sum(site.demand_response.payment.committed_mw * site.demand_response.payment.capacity_usd_per_mw_month
                       for site in sc.sites if site.demand_response is not None) * months
    any_programme = any(site.demand_response is not None for site in sc.sites)
    summary = {
        "curtailment_events": int(counted.sum()) if any_programme else None,
        "curtailment_events_met": int((met & counted).sum()) if any_programme else None,
        "curtailed_mwh": float(out["curtailed_mwh"].sum()) if any_programme else None,
        "curtailment_shortfall_mwh": float(out["shortfall_mwh"].sum()) if any_programme else None,
        "curtailment_deferred_gpu_hours": float(out["deferred_gpu_h"].sum()) if any_programme else None,
        "demand_response_revenue_usd": float(out["revenue_usd"].sum() + capacity_usd) if any_programme else None,
    }
    idx = np.flatnonzero(counted)
    names = [sc.sites[int(s)].name for s in plan.site[idx]] if n else []
    table = pa.table({
        "site": pa.array(names, pa.string()),
        "source": pa.array([plan.source[i] for i in idx] if n else [], pa.string()),
        "notice_h": pa.array(plan.notice_s[idx] / HOUR_S if n else np.zeros(0)),
        "start_h": pa.array(plan.start_s[idx] / HOUR_S if n else np.zeros(0)),
        "end_h": pa.array(plan.end_s[idx] / HOUR_S if n else np.zeros(0)),
        "baseline_mw": pa.array(controller.baseline_w[idx] / 1e6 if n else np.zeros(0)),
        "target_mw": pa.array(controller.target_w[idx] / 1e6 if n else np.zeros(0)),
        "max_mw": pa.array(out["max_mw"][idx]),
        "power_cap": pa.array(controller.cap_fraction[idx] if n else np.zeros(0)),
        "met": pa.array(met[idx]),
        "curtailed_mwh": pa.array(out["curtailed_mwh"][idx]),
        "shortfall_mwh": pa.array(out["shortfall_mwh"][idx]),
        "deferred_gpu_h": pa.array(out["deferred_gpu_h"][idx]),
        "revenue_usd": pa.array(out["revenue_usd"][idx]),
    })
    return summary, table
