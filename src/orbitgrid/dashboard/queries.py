"""A run's figures for the dashboard, aggregated in DuckDB and returned as small plotly JSON.

Every time series is cut into at most MAX_POINTS equal time buckets in SQL (integer division
of the time since the start by the bucket width, means weighted by step length), and every
distribution is binned in SQL, so a figure's JSON stays a few tens of kB whatever the run's
size: a run of 10^6 jobs costs the same page weight as one of 10^3. Python only shapes the
few rows that come back.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import duckdb
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orbitgrid.results.report import COLORS, TEMPLATE, _revenue_figure, battery_figure, histogram

MAX_POINTS = 2000  # time buckets per trace at most
HEIGHT_PX = 460

# figure keys in page order, with the title each one's div is labelled with
TITLES = {
    "utilization": "GPU utilisation per pool",
    "power": "Power per site",
    "orbital-capacity": "Usable GPUs per constellation",
    "battery": "Battery state of charge",
    "grid": "Grid price and carbon intensity",
    "queue": "Queue",
    "job-times": "Wait and completion times",
    "latency": "Inference latency",
    "revenue": "Revenue and costs",
    "revenue-monthly": "Revenue by tenant and month",
}
COST_KEYS = {  # summary key -> label; costs are drawn below zero, income above
    "energy_cost_usd": "grid energy",
    "onsite_gas_cost_usd": "on-site gas",
    "data_transfer_usd": "data transfer",
    "sla_credits_usd": "SLA credits",
}
INCOME_KEYS = {"demand_response_revenue_usd": "demand response"}


class UnknownFigure(KeyError):
    """A figure key this run does not have."""


def tables_in(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _rows(con: duckdb.DuckDBPyConnection, table: str, have: set[str], where: str = "") -> int:
    if table not in have:
        return 0
    return int(con.execute(f'SELECT count(*) FROM "{table}" {where}').fetchone()[0])


def available_figures(con: duckdb.DuckDBPyConnection, summary: dict[str, Any]) -> list[str]:
    """The figure keys this run has data for, in page order."""
    have = tables_in(con)
    keys = ["utilization", "power"]
    if summary.get("orbital_gpu_hours_available") is not None:
        keys.append("orbital-capacity")
    if _rows(con, "battery", have) > 0:
        keys.append("battery")
    if _rows(con, "grid", have, "WHERE price_usd_per_mwh IS NOT NULL") > 0:
        keys.append("grid")
    keys += ["queue", "job-times"]
    if _rows(con, "requests", have) > 0:
        keys.append("latency")
    if _rows(con, "ledger", have) > 0 or any(summary.get(k) for k in (*COST_KEYS, *INCOME_KEYS)):
        keys.append("revenue")
    if _rows(con, "ledger", have) > 0:
        keys.append("revenue-monthly")
    return keys


def figure_json(con: duckdb.DuckDBPyConnection, key: str, summary: dict[str, Any]) -> str:
    """The plotly figure `key` of the run open on `con`, as JSON text ({data, layout})."""
    builders: dict[str, Callable[[], go.Figure]] = {
        "utilization": lambda: utilization_figure(con),
        "power": lambda: power_figure(con, summary),
        "orbital-capacity": lambda: orbital_capacity_figure(con),
        "battery": lambda: battery_figure(con),
        "grid": lambda: grid_figure(con),
        "queue": lambda: queue_figure(con),
        "job-times": lambda: job_times_figure(con),
        "latency": lambda: latency_figure(con),
        "revenue": lambda: money_figure(con, summary),
        "revenue-monthly": lambda: _revenue_figure(con),
    }
    if key not in builders or key not in available_figures(con, summary):
        raise UnknownFigure(key)
    fig = builders[key]()
    fig.update_layout(height=fig.layout.height or HEIGHT_PX)
    return fig.to_json()


# --- SQL helpers ---------------------------------------------------------------


def time_buckets(con: duckdb.DuckDBPyConnection, table: str, where: str = "") -> tuple[str, float | None, float]:
    """SQL key grouping `table`'s rows into at most MAX_POINTS equal time buckets, the bucket
    width in hours (None when every time step is its own bucket) and the end of the last step."""
    n, t0, t1, t_end = con.execute(
        f"SELECT count(DISTINCT time_h), min(time_h), max(time_h), max(time_h + step_h) FROM \"{table}\" {where}"
        if table != "queue" else
        f"SELECT count(DISTINCT time_h), min(time_h), max(time_h), max(time_h) FROM \"{table}\" {where}"
    ).fetchone()
    end = float(t_end) if t_end is not None else 0.0
    if not n or n <= MAX_POINTS:
        return "time_h", None, end
    width = (float(t_end if table != "queue" else t1) - float(t0)) / MAX_POINTS
    key = f"least(CAST(floor((time_h - {float(t0)!r}) / {width!r}) AS BIGINT), {MAX_POINTS - 1})"
    return key, width, end


def _f(values: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values or []], dtype=np.float64)


def compact(values: np.ndarray) -> np.ndarray:
    """Values as float32: plotly sends arrays as base64 typed arrays, so this halves a trace's
    JSON; 7 significant digits are more than a figure can show."""
    return np.asarray(values, dtype=np.float32)


def _note(width_h: float | None) -> str:
    return f"<br><sup>mean over {width_h:.3g} h buckets</sup>" if width_h else ""


def _layout(fig: go.Figure, title: str, xaxis: str, yaxis: str) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE, title=title, height=HEIGHT_PX, margin=dict(l=70, r=30, t=70, b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0.0),
        hovermode="x unified" if xaxis.startswith("Time") else "closest",
    )
    fig.update_xaxes(title_text=xaxis)
    fig.update_yaxes(title_text=yaxis)
    return fig


def _empty(fig: go.Figure, text: str) -> None:
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                       font=dict(size=16, color="#888"))


def _step_trace(t: Any, y: Any, t_end: float, **kw: Any) -> go.Scatter:
    """A step line whose last value is held to `t_end`, so the last bucket is drawn."""
    x, v = _f(t), _f(y)
    if len(x) and t_end > x[-1]:
        x, v = np.append(x, t_end), np.append(v, v[-1])
    return go.Scatter(x=x, y=compact(v), mode="lines", line=dict(shape="hv", **kw.pop("line", {})), **kw)


# --- figures -------------------------------------------------------------------


def utilization_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Allocated over usable GPUs per pool, step-weighted within each bucket, in %."""
    key, width, t_end = time_buckets(con, "timeseries")
    rows = con.execute(f"""
        WITH b AS (
            SELECT pool_id, min(time_h) AS t,
                   100 * sum(allocated_gpus * step_h) / nullif(sum(capacity_gpus * step_h), 0) AS util
            FROM timeseries GROUP BY pool_id, {key})
        SELECT coalesce(p.pool, 'pool ' || b.pool_id), list(b.t ORDER BY b.t), list(b.util ORDER BY b.t)
        FROM b LEFT JOIN pools p USING (pool_id) GROUP BY b.pool_id, p.pool ORDER BY b.pool_id""").fetchall()
    fig = go.Figure()
    for i, (name, t, util) in enumerate(rows):
        fig.add_trace(_step_trace(t, util, t_end, name=str(name), line=dict(color=COLORS[i % len(COLORS)])))
    if not rows:
        _empty(fig, "no time series recorded")
    _layout(fig, "GPU utilisation per pool" + _note(width), "Time (h)", "Allocated / usable GPUs (%)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def power_figure(con: duckdb.DuckDBPyConnection, summary: dict[str, Any]) -> go.Figure:
    """Facility power per site against its cap; with on-site batteries their charge (−) and
    discharge (+) power on the right axis; the orbital batteries' lowest state of charge as a note."""
    key, width, t_end = time_buckets(con, "timeseries")
    rows = con.execute(f"""
        WITH step AS (
            SELECT p.site, ts.time_h, max(ts.step_h) AS dt, sum(ts.facility_power_mw) AS mw
            FROM timeseries ts JOIN pools p USING (pool_id) GROUP BY p.site, ts.time_h),
        b AS (SELECT site, min(time_h) AS t, sum(mw * dt) / nullif(sum(dt), 0) AS mw FROM step GROUP BY site, {key})
        SELECT b.site, any_value(s.power_cap_mw), list(b.t ORDER BY b.t), list(b.mw ORDER BY b.t)
        FROM b LEFT JOIN sites s USING (site) GROUP BY b.site ORDER BY b.site""").fetchall()
    fig = go.Figure()
    t0 = min((min(t) for _, _, t, _ in rows if t), default=0.0)
    for i, (site, cap, t, mw) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        fig.add_trace(_step_trace(t, mw, t_end, name=str(site), legendgroup=str(site), line=dict(color=color)))
        if cap is not None and math.isfinite(cap):
            fig.add_trace(go.Scatter(x=[t0, t_end], y=[cap, cap], name=f"{site} cap", mode="lines",
                                     legendgroup=str(site), line=dict(color=color, dash="dash", width=1.5)))
    if "grid" in tables_in(con):
        gkey, _, g_end = time_buckets(con, "grid")
        batt = con.execute(f"""
            WITH b AS (SELECT site, min(time_h) AS t, sum(battery_power_mw * step_h) / sum(step_h) AS mw
                       FROM grid GROUP BY site, {gkey})
            SELECT site, list(t ORDER BY t), list(mw ORDER BY t) FROM b GROUP BY site
            HAVING max(abs(mw)) > 0 ORDER BY site""").fetchall()
        for i, (site, t, mw) in enumerate(batt):
            fig.add_trace(_step_trace(t, mw, g_end, name=f"{site} battery (+ discharge)", yaxis="y2",
                                      line=dict(color=COLORS[(i + 5) % len(COLORS)], dash="dot")))
        if batt:
            fig.update_layout(yaxis2=dict(title="Battery power (MW)", overlaying="y", side="right"))
    if not rows:
        _empty(fig, "no power recorded")
    soc = summary.get("battery_min_soc")
    title = "Facility power per site vs power cap" + (f" (orbital batteries' lowest charge: {100 * soc:.1f} %)"
                                                       if soc is not None else "")
    _layout(fig, title + _note(width), "Time (h)", "Facility power (MW)")
    fig.update_yaxes(rangemode="tozero", selector=dict(title_text="Facility power (MW)"))
    return fig


def orbital_capacity_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Usable (solid) and allocated (dotted) GPUs of each constellation: eclipses, heat, faults."""
    key, width, t_end = time_buckets(con, "timeseries")
    rows = con.execute(f"""
        WITH step AS (
            SELECT p.site, ts.time_h, sum(ts.capacity_gpus) AS usable, sum(ts.allocated_gpus) AS busy
            FROM timeseries ts JOIN pools p USING (pool_id) JOIN sites s ON s.site = p.site
            WHERE isnan(s.lat_deg) GROUP BY p.site, ts.time_h),
        b AS (SELECT site, min(time_h) AS t, avg(usable) AS usable, avg(busy) AS busy FROM step GROUP BY site, {key})
        SELECT site, list(t ORDER BY t), list(usable ORDER BY t), list(busy ORDER BY t)
        FROM b GROUP BY site ORDER BY site""").fetchall()
    fig = go.Figure()
    for i, (site, t, usable, busy) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        fig.add_trace(_step_trace(t, usable, t_end, name=f"{site} usable", legendgroup=str(site), line=dict(color=color)))
        fig.add_trace(_step_trace(t, busy, t_end, name=f"{site} allocated", legendgroup=str(site),
                                  line=dict(color=color, dash="dot")))
    if not rows:
        _empty(fig, "no orbital pools recorded")
    _layout(fig, "Usable and allocated GPUs per constellation" + _note(width), "Time (h)", "GPUs (count)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def grid_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Each grid-connected site's price (solid, left) and direct carbon intensity (dotted, right)."""
    key, width, t_end = time_buckets(con, "grid")
    rows = con.execute(f"""
        WITH b AS (SELECT site, min(time_h) AS t,
                          sum(price_usd_per_mwh * step_h) / sum(step_h) AS price,
                          sum(carbon_direct_g_per_kwh * step_h) / sum(step_h) AS carbon
                   FROM grid GROUP BY site, {key})
        SELECT site, list(t ORDER BY t), list(price ORDER BY t), list(carbon ORDER BY t)
        FROM b GROUP BY site ORDER BY site""").fetchall()
    fig = go.Figure()
    for i, (site, t, price, carbon) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        fig.add_trace(_step_trace(t, price, t_end, name=f"{site} price", legendgroup=str(site), line=dict(color=color)))
        fig.add_trace(_step_trace(t, carbon, t_end, name=f"{site} carbon", legendgroup=str(site), yaxis="y2",
                                  line=dict(color=color, dash="dot")))
    _layout(fig, "Grid price and carbon intensity per site" + _note(width), "Time (h)", "Price (USD/MWh)")
    fig.update_layout(yaxis2=dict(title="Carbon intensity, direct (gCO2eq/kWh)", overlaying="y", side="right",
                                  rangemode="tozero"))
    return fig


def queue_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Queued and running jobs, bucket means."""
    key, width, _ = time_buckets(con, "queue")
    q = con.execute(f"""SELECT min(time_h) AS t, avg(queued_jobs) AS queued, avg(running_jobs) AS running
                        FROM queue GROUP BY {key} ORDER BY t""").fetchnumpy()
    fig = go.Figure()
    for i, (col, label) in enumerate((("queued", "queued jobs"), ("running", "running jobs"))):
        fig.add_trace(go.Scatter(x=np.asarray(q["t"], dtype=np.float64),
                                 y=compact(np.asarray(q[col], dtype=np.float64)),
                                 name=label, mode="lines", line=dict(shape="hv", color=COLORS[i])))
    if len(q["t"]) == 0:
        _empty(fig, "no queue samples recorded")
    _layout(fig, "Queue length" + _note(width), "Time (h)", "Jobs (count)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def _bars(fig: go.Figure, hist: tuple[np.ndarray, np.ndarray], unit: str, color: str, col: int) -> None:
    edges, counts = hist
    fig.add_trace(go.Bar(
        x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), showlegend=False,
        customdata=np.column_stack([edges[:-1], edges[1:]]),
        hovertemplate=f"%{{customdata[0]:.4g}} to %{{customdata[1]:.4g}} {unit}: %{{y}}<extra></extra>",
        marker=dict(color=color, line=dict(color="white", width=0.5))), row=1, col=col)


def _histograms(con: duckdb.DuckDBPyConnection, specs: list[tuple[str, str, str, str, str, str]],
                title: str) -> go.Figure:
    """Histograms side by side; each spec is (table, column, where, panel title, x title, unit)."""
    fig = make_subplots(rows=1, cols=len(specs), horizontal_spacing=0.08, subplot_titles=[s[3] for s in specs])
    for col, (table, column, where, _, xtitle, unit) in enumerate(specs, start=1):
        fig.update_xaxes(title_text=xtitle, row=1, col=col)
        fig.update_yaxes(title_text="count (log scale)" if col == 1 else None, type="log", row=1, col=col)
        hist = histogram(con, table, column, where)
        if hist is None:
            fig.add_annotation(text="no data", xref=f"x{col if col > 1 else ''} domain",
                               yref=f"y{col if col > 1 else ''} domain", x=0.5, y=0.5, showarrow=False,
                               font=dict(size=14, color="#888"))
            continue
        _bars(fig, hist, unit, COLORS[col - 1], col)
    fig.update_layout(template=TEMPLATE, title=title, height=HEIGHT_PX, bargap=0, margin=dict(l=70, r=30, t=80, b=55))
    return fig


def job_times_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Wait time of started jobs and completion time of completed jobs."""
    return _histograms(con, [
        ("jobs", "wait_h", "first_start_h IS NOT NULL", "Wait time (started jobs)", "Wait (h)", "h"),
        ("jobs", "jct_h", "state = 'completed'", "Completion time (completed jobs)", "Completion time (h)", "h"),
    ], "Job time distributions")


def latency_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Inference requests' time to first token, end-to-end latency and network round trip."""
    return _histograms(con, [
        ("requests", "ttft_ms", "TRUE", "Time to first token", "TTFT (ms)", "ms"),
        ("requests", "e2e_ms", "TRUE", "End-to-end latency", "E2E (ms)", "ms"),
        ("requests", "rtt_ms", "TRUE", "Network round trip", "RTT (ms)", "ms"),
    ], "Inference latency distributions (requests table)")


def money_figure(con: duckdb.DuckDBPyConnection, summary: dict[str, Any]) -> go.Figure:
    """Income (tenants' net payments from the ledger, demand-response payments) above zero and
    costs (grid energy, on-site gas, data transfer, SLA credits) below, in USD over the run."""
    items: list[tuple[str, float, str]] = []
    if "ledger" in tables_in(con):
        for tenant, net in con.execute("SELECT tenant, sum(net_usd) FROM ledger GROUP BY tenant ORDER BY tenant").fetchall():
            items.append((f"tenant {tenant}", float(net or 0.0), "income"))
    items += [(label, float(summary[k]), "income") for k, label in INCOME_KEYS.items() if summary.get(k)]
    items += [(label, -float(summary[k]), "cost") for k, label in COST_KEYS.items() if summary.get(k)]
    fig = go.Figure()
    for kind, color in (("income", COLORS[2]), ("cost", COLORS[1])):
        mine = [i for i in items if i[2] == kind]
        fig.add_trace(go.Bar(x=[i[0] for i in mine], y=[i[1] for i in mine], name=kind, marker_color=color,
                             hovertemplate="%{x}: %{y:,.0f} USD<extra></extra>"))
    net = sum(i[1] for i in items)
    _layout(fig, f"Revenue and costs over the run (net {net:,.0f} USD)", "", "USD")
    return fig

