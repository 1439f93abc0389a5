"""The ledger: what each tenant used, owes and is credited, month by month, from the run's
allocations and its contracts (scenario `contracts`).

Billing follows the usual shapes of GPU clouds (REFERENCE.md: reserved capacity is sold
20-40% below on-demand for a one-year term, spot 50-65% below):

* **reserved** (take-or-pay): the tenant pays for its reserved GPUs over the term whether it
  uses them or not: `gpus` x term hours in the month x `usd_per_gpu_hour`, or `usd_per_month`
  x the share of the calendar month the term covers. GPU-hours beyond the reservation at an
  instant (or outside the term, or on another GPU type when `gpu_type` is set) are overage,
  at `overage_usd_per_gpu_hour` (default: the reservation's hourly rate; for a monthly fee,
  fee / (GPUs x 730.5 h)).
* **on_demand**: GPU-hours used x the price (per GPU type when a table is given).
* **spot**: the same, or at each step's clearing price min + (max - min) x the fleet's
  allocated share of its capacity then (a linear supply curve; the cloud spot markets do not
  publish theirs).

**Availability** of a reservation, per month: the GPU-hours the tenant had within its
reservation over those it asked for within it, integral of min(used, R) over integral of
min(demand, R), where demand at an instant is the GPUs of the tenant's jobs submitted and not
yet ended (running or queued) and R the reserved GPUs. A month without demand has no
availability (null) and owes no credit. **SLA credits** follow the shape of the public cloud
SLAs (Amazon Compute Service Level Agreement, aws.amazon.com/compute/sla: a share of the
month's charges, larger as monthly uptime falls through tiers): below the guarantee,
`credit_percent` of the month's reserved fee; below a deeper `credit_tiers` entry, its
percent (the deepest tier reached applies). Overage is not credited.

All integrals are exact over the piecewise-constant allocation log (no sampling): every
allocation start and end, term edge, month edge and step edge is a breakpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

SECONDS_PER_HOUR = 3600.0
AVERAGE_MONTH_H = 730.5  # 365.25 d x 24 h / 12: the month a monthly fee is spread over


@dataclass(frozen=True)
class Usage:
    """The run's allocations and demand, as the ledger needs them (run seconds)."""

    job: np.ndarray  # int64, per allocation
    gpus: np.ndarray  # float64, per allocation (a fractional job's share)
    start_s: np.ndarray
    end_s: np.ndarray
    gpu_type: np.ndarray  # int64 index into gpu_type_names, per allocation
    job_tenant: np.ndarray  # int64 (J): tenant index of each job
    tenant_names: tuple[str, ...]
    job_gpus: np.ndarray  # float64 (J): GPUs each job asks for
    job_submit_s: np.ndarray  # (J)
    job_end_s: np.ndarray  # (J): when it ended, or the run's end
    gpu_type_names: tuple[str, ...]
    step_edges_s: np.ndarray  # the run's steps, for spot clearing prices
    step_utilization: np.ndarray  # fleet allocated / capacity, per step
    run_end_s: float


def month_edges_s(start_iso: str, end_s: float) -> tuple[np.ndarray, list[str]]:
    """Calendar-month (UTC) boundaries from the run start to `end_s`, in run seconds, with
    each interval's label YYYY-MM."""
    t0 = np.datetime64(start_iso, "s")
    last = (t0 + np.timedelta64(int(math.ceil(end_s)), "s")).astype("datetime64[M]")
    months = np.arange(t0.astype("datetime64[M]"), last + 1)
    starts = (months.astype("datetime64[s]") - t0).astype(np.float64)
    edges = np.concatenate([[0.0], starts[1:][starts[1:] < end_s], [end_s]])
    labels = [str(m) for m in months[: edges.size - 1]]
    return edges, labels


def _level(points: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Sum of `amount` over the intervals covering each segment [points[i], points[i+1])
    (every start and end must be one of the points)."""
    delta = np.zeros(points.size)
    np.add.at(delta, np.searchsorted(points, start_s), amount)
    np.add.at(delta, np.searchsorted(points, end_s), -amount)
    return np.cumsum(delta)[:-1]


def _per_month(points: np.ndarray, values: np.ndarray, month_edges: np.ndarray) -> np.ndarray:
    """Integral over each month of a piecewise-constant function given on segments of
    `points` (which include the month edges)."""
    width = np.diff(points)
    month = np.clip(np.searchsorted(month_edges, points[:-1], side="right") - 1, 0, month_edges.size - 2)
    return np.bincount(month, weights=values * width, minlength=month_edges.size - 1)


def _tiers(contract) -> list[tuple[float, float]]:
    """(availability below which, credit percent), the guarantee's own tier first."""
    if contract.availability_guarantee is None:
        return []
    return [(contract.availability_guarantee, contract.credit_percent)] + [
        (t.below, t.credit_percent) for t in contract.credit_tiers
    ]


def credit_percent(availability: float | None, tiers: list[tuple[float, float]]) -> float:
    """The credit owed, percent of the month's fee: the largest percent among the tiers whose
    threshold the availability falls below (0 when it meets them all or there is no demand)."""
    if availability is None or (isinstance(availability, float) and math.isnan(availability)):
        return 0.0
    owed = [pct for below, pct in tiers if availability < below]
    return max(owed) if owed else 0.0


def reserved_gpus(contract, pool_site: np.ndarray, pool_gpu: list[str], installed: np.ndarray,
                  site_names: list[str]) -> int:
    """The GPUs a reserved contract holds: `gpus`, or its share of a site's installed GPUs (of
    its GPU type if it names one), rounded down."""
    if contract.gpus is not None:
        return int(contract.gpus)
    share = contract.site_share
    on = pool_site == site_names.index(share.site)
    if contract.gpu_type is not None:
        on &= np.asarray(pool_gpu, dtype=object) == contract.gpu_type
    return int(math.floor(share.share * float(installed[on].sum()) + 1e-9))


def reservation_terms(contracts, gpus_by_contract: list[int], run_end_s: float) -> dict[str, list[tuple[float, float, int]]]:
    """tenant -> [(start_s, end_s, GPUs)] of its reserved contracts, for the reserved policy."""
    terms: dict[str, list[tuple[float, float, int]]] = {}
    for c, g in zip(contracts, gpus_by_contract):
        if c.kind == "reserved":
            start, end = _term_s(c, run_end_s)
            terms.setdefault(c.tenant, []).append((start, end, g))
    return terms


def _term_s(contract, run_end_s: float) -> tuple[float, float]:
    start = contract.start_h * SECONDS_PER_HOUR
    end = run_end_s if contract.term_h is None else min(start + contract.term_h * SECONDS_PER_HOUR, run_end_s)
    return min(start, run_end_s), max(min(start, run_end_s), end)


def _price_of_type(price, type_names: tuple[str, ...]) -> np.ndarray:
    """USD per GPU-hour for each GPU type (a dict's missing types cost nothing: validation
    requires every fleet type to be priced)."""
    if isinstance(price, dict):
        return np.array([float(price.get(t, 0.0)) for t in type_names])
    return np.full(len(type_names), float(price or 0.0))


LEDGER_SCHEMA = pa.schema([
    ("tenant", pa.string()), ("month", pa.string()), ("contract", pa.string()),
    ("gpu_hours", pa.float64()), ("reserved_gpus", pa.int64()), ("reserved_gpu_hours", pa.float64()),
    ("covered_gpu_hours", pa.float64()), ("overage_gpu_hours", pa.float64()),
    ("demand_gpu_hours", pa.float64()), ("availability", pa.float64()),
    ("reserved_fee_usd", pa.float64()), ("usage_usd", pa.float64()), ("charge_usd", pa.float64()),
    ("credit_percent", pa.float64()), ("credit_usd", pa.float64()), ("net_usd", pa.float64()),
])


def build_ledger(contracts, usage: Usage, month_edges: np.ndarray, month_labels: list[str],
                 gpus_by_contract: list[int]) -> tuple[pa.Table, dict[str, object]]:
    """The ledger table (one row per tenant and month; tenants without a contract are listed
    with no charge) and the summary keys revenue_usd (charges less credits), sla_credits_usd
    and revenue_by_tenant."""
    from orbitgrid.engine.accounting import gpu_seconds_per_step  # engine imports this module

    n_months = month_edges.size - 1
    n_types = len(usage.gpu_type_names)
    by_tenant = {c.tenant: (c, g) for c, g in zip(contracts, gpus_by_contract)}
    wildcard = by_tenant.get("*")
    rows: list[dict[str, object]] = []
    revenue: dict[str, float] = {}
    alloc_tenant = usage.job_tenant[usage.job] if usage.job.size else np.zeros(0, dtype=np.int64)
    for t, name in enumerate(usage.tenant_names):
        mine = alloc_tenant == t
        contract, r_gpus = by_tenant.get(name, wildcard if wildcard is not None else (None, 0))
        start, end, gpus, types = usage.start_s[mine], usage.end_s[mine], usage.gpus[mine], usage.gpu_type[mine]
        per_type = gpu_seconds_per_step(types, gpus, start, end, month_edges, n_types) / SECONDS_PER_HOUR
        used_h = per_type.sum(axis=1)
        cols = {k: np.zeros(n_months) for k in ("reserved_gpu_hours", "covered", "demand", "fee", "usage_usd")}
        availability = np.full(n_months, np.nan)
        kind = "none" if contract is None else contract.kind
        if contract is not None and kind == "reserved":
            t0, t1 = _term_s(contract, usage.run_end_s)
            on_type = np.ones(types.size, dtype=bool) if contract.gpu_type is None else (
                types == usage.gpu_type_names.index(contract.gpu_type) if contract.gpu_type in usage.gpu_type_names
                else np.zeros(types.size, dtype=bool))
            jobs = np.flatnonzero(usage.job_tenant == t)
            d_start, d_end = usage.job_submit_s[jobs], np.maximum(usage.job_end_s[jobs], usage.job_submit_s[jobs])
            points = np.unique(np.concatenate([month_edges, [t0, t1], start, end, d_start, d_end]))
            points = points[(points >= 0.0) & (points <= usage.run_end_s)]
            in_term = ((points[:-1] >= t0) & (points[:-1] < t1)).astype(np.float64)
            u = _level(points, np.clip(start[on_type], 0, usage.run_end_s), np.clip(end[on_type], 0, usage.run_end_s),
                       gpus[on_type])
            d = _level(points, np.clip(d_start, 0, usage.run_end_s), np.clip(d_end, 0, usage.run_end_s),
                       usage.job_gpus[jobs])
            cols["covered"] = _per_month(points, np.minimum(u, r_gpus) * in_term, month_edges) / SECONDS_PER_HOUR
            cols["demand"] = _per_month(points, np.minimum(d, r_gpus) * in_term, month_edges) / SECONDS_PER_HOUR
            term_h = _per_month(points, in_term, month_edges) / SECONDS_PER_HOUR
            cols["reserved_gpu_hours"] = r_gpus * term_h
            if contract.usd_per_month is not None:
                # the share of each calendar month the term covers (a month's own length)
                month_h = _calendar_month_hours(month_labels)
                cols["fee"] = contract.usd_per_month * term_h / month_h
                rate = contract.usd_per_month / (r_gpus * AVERAGE_MONTH_H) if r_gpus else 0.0
            else:
                cols["fee"] = contract.usd_per_gpu_hour * cols["reserved_gpu_hours"]
                rate = contract.usd_per_gpu_hour
            over_rate = contract.overage_usd_per_gpu_hour if contract.overage_usd_per_gpu_hour is not None else rate
            cols["usage_usd"] = over_rate * np.maximum(used_h - cols["covered"], 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                availability = np.where(cols["demand"] > 1e-12, cols["covered"] / cols["demand"], np.nan)
        elif contract is not None and kind == "spot" and contract.clearing is not None:
            points = np.unique(np.concatenate([month_edges, usage.step_edges_s]))
            points = points[(points >= 0.0) & (points <= usage.run_end_s)]
            seg_gpu_s = gpu_seconds_per_step(np.zeros(start.size, dtype=np.int64), gpus, start, end, points, 1)[:, 0]
            k = np.clip(np.searchsorted(usage.step_edges_s, points[:-1], side="right") - 1, 0,
                        usage.step_utilization.size - 1)
            clr = contract.clearing
            price = clr.min_usd_per_gpu_hour + (clr.max_usd_per_gpu_hour - clr.min_usd_per_gpu_hour) * usage.step_utilization[k]
            month = np.clip(np.searchsorted(month_edges, points[:-1], side="right") - 1, 0, n_months - 1)
            cols["usage_usd"] = np.bincount(month, weights=seg_gpu_s * price, minlength=n_months) / SECONDS_PER_HOUR
        elif contract is not None:
            cols["usage_usd"] = per_type @ _price_of_type(contract.usd_per_gpu_hour, usage.gpu_type_names)
        tiers = _tiers(contract) if contract is not None and kind == "reserved" else []
        for m in range(n_months):
            avail = None if math.isnan(availability[m]) else float(availability[m])
            pct = credit_percent(avail, tiers)
            charge = float(cols["fee"][m] + cols["usage_usd"][m])
            credit = float(cols["fee"][m]) * pct / 100.0
            rows.append({
                "tenant": name, "month": month_labels[m], "contract": kind, "gpu_hours": float(used_h[m]),
                "reserved_gpus": int(r_gpus) if kind == "reserved" else 0,
                "reserved_gpu_hours": float(cols["reserved_gpu_hours"][m]),
                "covered_gpu_hours": float(cols["covered"][m]),
                "overage_gpu_hours": float(max(used_h[m] - cols["covered"][m], 0.0)) if kind == "reserved" else 0.0,
                "demand_gpu_hours": float(cols["demand"][m]), "availability": avail,
                "reserved_fee_usd": float(cols["fee"][m]), "usage_usd": float(cols["usage_usd"][m]),
                "charge_usd": charge, "credit_percent": pct, "credit_usd": credit, "net_usd": charge - credit,
            })
            revenue[name] = revenue.get(name, 0.0) + charge - credit
    table = pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA)
    credits = float(sum(r["credit_usd"] for r in rows))
    summary = {
        "revenue_usd": float(sum(r["net_usd"] for r in rows)),
        "sla_credits_usd": credits,
        "revenue_by_tenant": {k: revenue[k] for k in sorted(revenue)},
    }
    return table, summary


def _calendar_month_hours(labels: list[str]) -> np.ndarray:
    """Hours in each calendar month named YYYY-MM."""
    months = np.array(labels, dtype="datetime64[M]")
    return ((months + 1).astype("datetime64[h]") - months.astype("datetime64[h]")).astype(np.float64)
