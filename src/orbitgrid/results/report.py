"""Self-contained HTML report of one run, read from its DuckDB results store.

All aggregation happens in DuckDB; Python only shapes the few resulting series
into plotly figures.  The page embeds plotly.js once (no CDN, opens offline)
and uses fixed div ids and a single DuckDB thread, so two reports of identical
runs are byte-identical.
"""

from __future__ import annotations

import decimal
import html
import math
import pathlib
from typing import Any

import duckdb
import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from orbitgrid.catalog.coastlines import coastline_lon_lat

__all__ = ["write_report"]

MAX_POINTS = 5000  # time steps per series before averaging into buckets
MAX_BINS = 60  # histogram bins at most
TEMPLATE = "plotly_white"
COLORS = qualitative.Plotly
HEIGHT = 440

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 1200px; color: #222; }
h1 { font-weight: 600; }
table.summary { border-collapse: collapse; margin-bottom: 2em; }
table.summary td { padding: 3px 14px; border-bottom: 1px solid #e5e5e5; }
table.summary td:first-child { color: #555; }
table.summary td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
section.figure { margin-bottom: 1.5em; }
"""


def write_report(db_path: pathlib.Path, html_path: pathlib.Path) -> None:
    """Write the HTML report of the run stored in `db_path` to `html_path`."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.execute("SET threads = 1")  # fixed float summation order: reproducible output
        summary = _summary(con)
        figures = {
            "orbitgrid-utilization": _utilization_figure(con),
            "orbitgrid-queue": _queue_figure(con),
            "orbitgrid-job-times": _job_times_figure(con),
            "orbitgrid-power": _power_figure(con),
            "orbitgrid-gpu-hours": _gpu_hours_figure(con),
        }
        if summary.get("energy_cost_usd") is not None or summary.get("carbon_t") is not None:
            figures["orbitgrid-grid"] = _grid_figure(con)
        if summary.get("curtailment_events") is not None or summary.get("grid_energy_mwh") is not None:
            figures["orbitgrid-site-power"] = _site_power_figure(con)
        if summary.get("revenue_usd") is not None:
            figures["orbitgrid-revenue"] = _revenue_figure(con)
        if summary.get("orbital_gpu_hours_available") is not None:
            figures["orbitgrid-orbital-capacity"] = _orbital_capacity_figure(con)
            figures["orbitgrid-orbital-gpu-hours"] = _orbital_gpu_hours_figure(summary)
            if "battery" in _tables_in(con):  # runs stored before the battery table have none
                figures["orbitgrid-battery"] = battery_figure(con)
        if summary.get("requests") is not None:
            figures["orbitgrid-inference-map"] = _inference_map_figure(con)
    finally:
        con.close()

    scenario = html.escape(str(summary.get("scenario") or pathlib.Path(db_path).stem))
    rows = "\n".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(_fmt(name, value))}</td></tr>"
        for name, value in summary.items()
        if name != "run_dir"  # where the folder lies is not a result: same run, same bytes
    )
    divs = "\n".join(
        '<section class="figure">'
        + fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
        + "</section>"
        for div_id, fig in figures.items()
    )
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>orbitgrid report: {scenario}</title>\n<style>{_CSS}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n</head>\n<body>\n'
        f"<h1>orbitgrid report: {scenario}</h1>\n"
        f'<table class="summary">\n{rows}\n</table>\n{divs}\n</body>\n</html>\n'
    )
    html_path = pathlib.Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_bytes(page.encode("utf-8"))


# --- summary table -----------------------------------------------------------


def _summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The one `summary` row as {column: value}, all columns in table order."""
    cur = con.execute("SELECT * FROM summary LIMIT 1")
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(names, row if row is not None else [None] * len(names)))


def _fmt(name: str, value: Any) -> str:
    """A summary value as text: floats to 4 significant digits, utilisations in %."""
    if value is None:
        return "—"
    if isinstance(value, dict):  # e.g. revenue_by_tenant
        return ", ".join(f"{k}: {_fmt(name, v)}" for k, v in value.items())
    if isinstance(value, bool) or not isinstance(value, (float, decimal.Decimal)):
        return str(value)
    value = float(value)
    if "utili" in name.lower():
        return f"{_sig4(100.0 * value)} %"
    return _sig4(value)


def _sig4(x: float) -> str:
    """4 significant digits; large numbers with thousands separators, not exponents."""
    if not math.isfinite(x) or x == 0.0:
        return str(x) if x != 0.0 else "0"
    if 1e4 <= abs(x) < 1e15:
        return f"{float(f'{x:.4g}'):,.0f}"
    return f"{x:.4g}"


# --- helpers -----------------------------------------------------------------


def _buckets(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, str, float, float]:
    """SQL grouping key over `time_h` of `table`, plus a title note and the time span.

    With at most MAX_POINTS distinct times the key is the time itself; beyond that
    the span is cut into MAX_POINTS equal buckets so the page stays small.
    """
    n, t0, t1 = con.execute(
        f"SELECT count(DISTINCT time_h), min(time_h), max(time_h) FROM {table}"
    ).fetchone()
    if not n or n <= MAX_POINTS:
        return "time_h", "", float(t0 or 0.0), float(t1 or 0.0)
    width = (float(t1) - float(t0)) / MAX_POINTS
    key = f"least(CAST(floor((time_h - {float(t0)!r}) / {width!r}) AS BIGINT), {MAX_POINTS - 1})"
    note = f"<br><sup>mean over {_sig4(width)} h buckets ({n} time steps)</sup>"
    return key, note, float(t0), float(t1)


def _layout(fig: go.Figure, title: str, xaxis: str, yaxis: str) -> go.Figure:
    """Common look: template, title, axis titles with units, horizontal legend."""
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=HEIGHT,
        margin=dict(l=70, r=30, t=80, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        hovermode="x unified" if xaxis.startswith("Time") else "closest",
    )
    fig.update_xaxes(title_text=xaxis)
    fig.update_yaxes(title_text=yaxis)
    return fig


def _no_data(fig: go.Figure, text: str, axis: str = "") -> None:
    """Grey note centred on an empty (sub)plot whose axes are hidden: no blank box."""
    xaxis, yaxis = fig.layout[f"xaxis{axis}"], fig.layout[f"yaxis{axis}"]
    xdom, ydom = xaxis.domain or (0.0, 1.0), yaxis.domain or (0.0, 1.0)
    for ax in (xaxis, yaxis):
        ax.update(showticklabels=False, showgrid=False, zeroline=False)
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=sum(xdom) / 2,
        y=sum(ydom) / 2,
        showarrow=False,
        font=dict(size=16, color="#888"),
    )


def _floats(values: list[Any] | None) -> np.ndarray:
    """A list from DuckDB as float64 (NULL becomes NaN, drawn as a gap)."""
    return np.array([np.nan if v is None else v for v in values or []], dtype=np.float64)


def _steps(t: list[Any], y: list[Any], t_end: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Step-series arrays, the last value repeated at `t_end` so the last step is drawn."""
    x, v = _floats(t), _floats(y)
    if t_end is not None and len(x) and t_end > x[-1]:
        x, v = np.append(x, t_end), np.append(v, v[-1])
    return x, v


def _end_h(con: duckdb.DuckDBPyConnection) -> float | None:
    """End of the last time-series step (h), or None without time series."""
    t_end = con.execute("SELECT max(time_h + step_h) FROM timeseries").fetchone()[0]
    return None if t_end is None else float(t_end)


# --- figures -----------------------------------------------------------------


def _utilization_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Allocated / capacity GPUs per pool over time (step-weighted within buckets)."""
    key, note, _, _ = _buckets(con, "timeseries")
    rows = con.execute(
        f"""
        SELECT coalesce(p.pool, 'pool ' || CAST(u.pool_id AS VARCHAR)) AS name,
               list(u.t ORDER BY u.t), list(u.util ORDER BY u.t)
        FROM (
            SELECT pool_id, min(time_h) AS t,
                   100 * sum(allocated_gpus * step_h) / nullif(sum(capacity_gpus * step_h), 0) AS util
            FROM timeseries GROUP BY pool_id, {key}
        ) u LEFT JOIN pools p ON p.pool_id = u.pool_id
        GROUP BY u.pool_id, p.pool ORDER BY u.pool_id
        """
    ).fetchall()
    fig = go.Figure()
    t_end = _end_h(con)
    for i, (name, t, util) in enumerate(rows):
        x, y = _steps(t, util, t_end)
        fig.add_trace(
            go.Scatter(
                x=x, y=y, name=str(name), mode="lines",
                line=dict(shape="hv", color=COLORS[i % len(COLORS)]),
            )
        )
    if not rows:
        _no_data(fig, "no time series recorded")
    _layout(fig, "GPU utilisation per pool" + note, "Time (h)", "Allocated / capacity (%)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def _queue_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Queued and running jobs over time."""
    key, note, _, _ = _buckets(con, "queue")
    q = con.execute(
        f"""
        SELECT min(time_h) AS t, avg(queued_jobs) AS queued, avg(running_jobs) AS running
        FROM queue GROUP BY {key} ORDER BY t
        """
    ).fetchnumpy()
    fig = go.Figure()
    for i, (col, label) in enumerate((("queued", "queued jobs"), ("running", "running jobs"))):
        fig.add_trace(
            go.Scatter(
                x=np.asarray(q["t"], dtype=np.float64), y=np.asarray(q[col], dtype=np.float64),
                name=label, mode="lines", line=dict(shape="hv", color=COLORS[i]),
            )
        )
    if len(q["t"]) == 0:
        _no_data(fig, "no queue samples recorded")
    _layout(fig, "Queue length" + note, "Time (h)", "Jobs (count)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def histogram(con: duckdb.DuckDBPyConnection, table: str, column: str, where: str = "TRUE",
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """Equal-width histogram of `table`.`column` (finite values of rows matching `where`),
    binned in SQL: (bin edges, counts), or None when no row qualifies. The report and the
    dashboard both draw their distributions with it."""
    where = f"({where}) AND isfinite({column})"
    lo, hi, n = con.execute(f'SELECT min({column}), max({column}), count(*) FROM "{table}" WHERE {where}').fetchone()
    if not n:
        return None
    lo, hi = float(lo), float(hi)
    if hi > lo:
        bins, span = min(MAX_BINS, max(1, math.ceil(math.sqrt(n)))), hi - lo
    else:  # one distinct value: a single bin centred on it
        bins, span = 1, max(0.1 * abs(lo), 0.1)
        lo -= span / 2
    got = con.execute(
        f"""SELECT least(CAST(floor(({column} - $lo) / $span * $bins) AS BIGINT), $bins - 1) AS b, count(*) AS n
            FROM "{table}" WHERE {where} GROUP BY b ORDER BY b""",
        {"lo": lo, "span": span, "bins": bins},
    ).fetchnumpy()
    counts = np.zeros(bins, dtype=np.int64)
    counts[np.asarray(got["b"], dtype=np.int64)] = np.asarray(got["n"], dtype=np.int64)
    return lo + span * np.arange(bins + 1) / bins, counts


def _job_times_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Wait time of started jobs and completion time of completed jobs, side by side."""
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.1,
        subplot_titles=("Wait time (started jobs)", "Job completion time (completed jobs)"),
    )
    panels = (
        (histogram(con, "jobs", "wait_h", "first_start_h IS NOT NULL"), "no job started", "Wait (h)"),
        (histogram(con, "jobs", "jct_h", "state = 'completed'"), "no job completed", "Completion time (h)"),
    )
    for col, (hist, empty, xtitle) in enumerate(panels, start=1):
        fig.update_xaxes(title_text=xtitle, row=1, col=col)
        # waits and runtimes are heavy-tailed: a log count axis keeps the tail visible
        fig.update_yaxes(title_text="Jobs (count, log scale)", type="log", row=1, col=col)
        if hist is None:
            _no_data(fig, empty, "" if col == 1 else str(col))
            continue
        edges, counts = hist
        fig.add_trace(
            go.Bar(
                x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                customdata=np.column_stack([edges[:-1], edges[1:]]),
                hovertemplate="%{customdata[0]:.4g} to %{customdata[1]:.4g} h: %{y} jobs<extra></extra>",
                marker=dict(color=COLORS[col - 1], line=dict(color="white", width=0.5)),
                showlegend=False,
            ),
            row=1, col=col,
        )
    fig.update_layout(
        template=TEMPLATE, title="Job time distributions", height=HEIGHT,
        margin=dict(l=70, r=30, t=80, b=60), bargap=0,
    )
    return fig


def _power_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Facility power per site (sum over its pools) against the site's power cap."""
    key, note, t0, t1 = _buckets(con, "timeseries")
    t_end = _end_h(con)
    rows = con.execute(
        f"""
        WITH step AS (
            SELECT p.site, ts.time_h, max(ts.step_h) AS dt, sum(ts.facility_power_mw) AS mw
            FROM timeseries ts JOIN pools p ON p.pool_id = ts.pool_id
            GROUP BY p.site, ts.time_h
        ), b AS (
            SELECT site, min(time_h) AS t,
                   CASE WHEN sum(dt) > 0 THEN sum(mw * dt) / sum(dt) ELSE avg(mw) END AS mw
            FROM step GROUP BY site, {key}
        )
        SELECT b.site, any_value(s.power_cap_mw), list(b.t ORDER BY b.t), list(b.mw ORDER BY b.t)
        FROM b LEFT JOIN sites s ON s.site = b.site
        GROUP BY b.site ORDER BY b.site
        """
    ).fetchall()
    fig = go.Figure()
    x_cap = np.array([t0, t_end if t_end is not None else t1])
    for i, (site, cap, t, mw) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        x, y = _steps(t, mw, t_end)
        fig.add_trace(
            go.Scatter(
                x=x, y=y, name=str(site), mode="lines",
                line=dict(shape="hv", color=color), legendgroup=str(site),
            )
        )
        if cap is not None:
            fig.add_trace(
                go.Scatter(
                    x=x_cap, y=np.full(2, float(cap)), name=f"{site} cap", mode="lines",
                    line=dict(color=color, dash="dash", width=1.5), legendgroup=str(site),
                    hovertemplate=f"{html.escape(str(site))} cap: %{{y:.4g}} MW<extra></extra>",
                )
            )
    if not rows:
        _no_data(fig, "no power recorded")
    _layout(fig, "Facility power per site vs power cap" + note, "Time (h)", "Facility power (MW)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def _per_site_series(con: duckdb.DuckDBPyConnection, first: str, second: str) -> tuple[list, str, float]:
    """Two columns of the `grid` table per site, time-weighted within the report's buckets:
    rows of (site, bucket starts, first, second), the title note, and the run's end time."""
    key, note, _, _ = _buckets(con, "grid")
    t_end = con.execute("SELECT max(time_h + step_h) FROM grid").fetchone()[0]
    rows = con.execute(
        f"""
        WITH b AS (
            SELECT site, min(time_h) AS t,
                   sum({first} * step_h) / sum(step_h) AS a,
                   sum({second} * step_h) / sum(step_h) AS b
            FROM grid GROUP BY site, {key}
        )
        SELECT site, list(t ORDER BY t), list(a ORDER BY t), list(b ORDER BY t)
        FROM b GROUP BY site ORDER BY site
        """
    ).fetchall()
    return rows, note, t_end


def _grid_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Each grid-connected site's price (solid, left axis) and direct carbon intensity
    (dotted, right axis) over the run, step by step, bucketed like the other figures."""
    rows, note, t_end = _per_site_series(con, "price_usd_per_mwh", "carbon_direct_g_per_kwh")
    fig = go.Figure()
    for i, (site, t, price, carbon) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        x, y = _steps(t, price, t_end)
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{site} price", mode="lines",
                                 line=dict(shape="hv", color=color), legendgroup=str(site)))
        x, y = _steps(t, carbon, t_end)
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{site} carbon", mode="lines", yaxis="y2",
                                 line=dict(shape="hv", color=color, dash="dot"), legendgroup=str(site)))
    if not rows:
        _no_data(fig, "no grid series")
    _layout(fig, "Grid price and carbon intensity per site" + note, "Time (h)", "Price (USD/MWh)")
    fig.update_layout(yaxis2=dict(title="Carbon intensity, direct (gCO2eq/kWh)", overlaying="y", side="right",
                                  rangemode="tozero"))
    return fig


def _site_power_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Each site's power at the meter (solid) and, with on-site supply, what it bought from
    the grid (dotted), with the curtailment events shaded and their targets marked."""
    rows, note, t_end = _per_site_series(con, "facility_power_mw", "grid_power_mw")
    fig = go.Figure()
    for i, (site, t, load, bought) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        x, y = _steps(t, load, t_end)
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{site} at the meter", mode="lines",
                                 line=dict(shape="hv", color=color), legendgroup=str(site)))
        if any(abs(a - b) > 1e-12 for a, b in zip(load, bought)):
            x, y = _steps(t, bought, t_end)
            fig.add_trace(go.Scatter(x=x, y=y, name=f"{site} from the grid", mode="lines",
                                     line=dict(shape="hv", color=color, dash="dot"), legendgroup=str(site)))
    has_events = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'curtailment'").fetchone()[0]
    if has_events:
        events = con.execute("SELECT start_h, end_h, target_mw, met FROM curtailment ORDER BY start_h LIMIT 500").fetchall()
        for start, end, target, met in events:
            fig.add_vrect(x0=start, x1=end, fillcolor="#2ca02c" if met else "#d62728", opacity=0.15, line_width=0)
            fig.add_trace(go.Scatter(x=[start, end], y=[target, target], mode="lines", showlegend=False,
                                     line=dict(color="#444", dash="dash", width=1),
                                     hovertemplate=f"target %{{y:.4g}} MW ({'met' if met else 'missed'})<extra></extra>"))
    if not rows:
        _no_data(fig, "no site with a grid zone")
    title = "Site power" + (" and curtailment events (green: met, red: missed)" if has_events else "")
    _layout(fig, title + note, "Time (h)", "Power (MW)")
    return fig


def _gpu_hours_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """GPU-hours available vs allocated per pool over the whole run."""
    g = con.execute(
        """
        SELECT coalesce(p.pool, 'pool ' || CAST(ts.pool_id AS VARCHAR)) AS name,
               sum(ts.capacity_gpus * ts.step_h) AS available,
               sum(ts.allocated_gpus * ts.step_h) AS allocated
        FROM timeseries ts LEFT JOIN pools p ON p.pool_id = ts.pool_id
        GROUP BY ts.pool_id, p.pool ORDER BY ts.pool_id
        """
    ).fetchnumpy()
    names = [str(n) for n in g["name"]]
    fig = go.Figure()
    for i, col in enumerate(("available", "allocated")):
        fig.add_trace(
            go.Bar(
                x=names, y=np.asarray(g[col], dtype=np.float64), name=col,
                marker_color=COLORS[i], hovertemplate="%{x}: %{y:.4g} GPU·h<extra>" + col + "</extra>",
            )
        )
    if not names:
        _no_data(fig, "no time series recorded")
    _layout(fig, "GPU-hours by pool", "Pool", "GPU-hours (GPU·h)")
    fig.update_layout(barmode="group")
    return fig


def _revenue_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """What each tenant paid per month after SLA credits (stacked), with the credits below
    zero, from the ledger (economics/ledger.py)."""
    g = con.execute(
        "SELECT tenant, month, contract, net_usd, credit_usd, gpu_hours, availability FROM ledger ORDER BY tenant, month"
    ).fetchall()
    fig = go.Figure()
    tenants = sorted({r[0] for r in g})
    for i, tenant in enumerate(tenants):
        rows = [r for r in g if r[0] == tenant]
        avail = ["-" if r[6] is None else f"{100 * r[6]:.2f}%" for r in rows]
        fig.add_trace(go.Bar(
            x=[r[1] for r in rows], y=[r[3] for r in rows], name=f"{tenant} ({rows[0][2]})",
            marker_color=COLORS[i % len(COLORS)], customdata=np.array([[r[5], a] for r, a in zip(rows, avail)], dtype=object),
            hovertemplate="%{x}: %{y:,.0f} USD, %{customdata[0]:,.0f} GPU·h, availability %{customdata[1]}<extra>"
                          + html.escape(tenant) + "</extra>",
        ))
    credits: dict[str, float] = {}
    for r in g:
        credits[r[1]] = credits.get(r[1], 0.0) + float(r[4])
    if any(v > 0 for v in credits.values()):
        months = sorted(credits)
        fig.add_trace(go.Bar(x=months, y=[-credits[m] for m in months], name="SLA credits", marker_color="#d62728",
                             hovertemplate="%{x}: %{y:,.0f} USD<extra>SLA credits</extra>"))
    if not g:
        _no_data(fig, "no ledger rows")
    _layout(fig, "Revenue by tenant and month, after SLA credits", "Month (UTC)", "USD")
    fig.update_layout(barmode="relative")
    return fig


def _orbital_capacity_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Usable GPUs of each constellation over time: eclipses, heat and faults at a glance."""
    key, note, _, _ = _buckets(con, "timeseries")
    t_end = _end_h(con)
    rows = con.execute(
        f"""
        WITH step AS (
            SELECT p.site, ts.time_h, sum(ts.capacity_gpus) AS usable, sum(ts.allocated_gpus) AS busy
            FROM timeseries ts JOIN pools p ON p.pool_id = ts.pool_id JOIN sites s ON s.site = p.site
            WHERE isnan(s.lat_deg) GROUP BY p.site, ts.time_h
        ), b AS (
            SELECT site, min(time_h) AS t, avg(usable) AS usable, avg(busy) AS busy FROM step GROUP BY site, {key}
        )
        SELECT site, list(t ORDER BY t), list(usable ORDER BY t), list(busy ORDER BY t) FROM b GROUP BY site ORDER BY site
        """
    ).fetchall()
    fig = _solid_and_dotted(rows, ("usable", "allocated"), t_end)
    if not rows:
        _no_data(fig, "no orbital pools recorded")
    _layout(fig, "Usable and allocated GPUs per constellation" + note, "Time (h)", "GPUs (count)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def _solid_and_dotted(rows: list[tuple], labels: tuple[str, str], t_end: float | None) -> go.Figure:
    """Two step lines per group from rows (group, times, first series, second series): the
    first solid, the second dotted, one colour and one legend group a group."""
    fig = go.Figure()
    for i, (group, t, first, second) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        for label, y, dash in ((labels[0], first, "solid"), (labels[1], second, "dot")):
            x, yy = _steps(t, y, t_end)
            fig.add_trace(go.Scatter(x=x, y=yy, name=f"{group} {label}", mode="lines", legendgroup=str(group),
                                     line=dict(shape="hv", color=color, dash=dash)))
    return fig


def battery_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Each constellation's battery state of charge over time: the mean over its satellites
    (solid) and the lowest satellite's (dotted), in per cent of capacity."""
    key, note, _, _ = _buckets(con, "battery")
    t_end = _end_h(con)
    rows = con.execute(
        f"""
        WITH b AS (SELECT constellation, min(time_h) AS t, avg(soc_mean) AS mean, min(soc_min) AS low
                   FROM battery GROUP BY constellation, {key})
        SELECT constellation, list(t ORDER BY t), list(100 * mean ORDER BY t), list(100 * low ORDER BY t)
        FROM b GROUP BY constellation ORDER BY constellation
        """
    ).fetchall()
    fig = _solid_and_dotted(rows, ("mean", "lowest satellite"), t_end)
    if not rows:
        _no_data(fig, "no constellation batteries recorded")
    _layout(fig, "Battery state of charge per constellation" + note, "Time (h)", "State of charge (% of capacity)")
    fig.update_yaxes(range=[0, 102])
    return fig


def _orbital_gpu_hours_figure(summary: dict[str, Any]) -> go.Figure:
    """Where the installed orbital GPU-hours went: offered, or lost to each cause."""
    get = lambda k: float(summary.get(k) or 0.0)  # noqa: E731
    throttle = get("orbital_gpu_hours_lost_throttle")
    parts = [
        ("offered at full speed", get("orbital_gpu_hours_available") - throttle),
        ("speed lost to power caps", throttle),
        ("lost to eclipse (power)", get("orbital_gpu_hours_lost_eclipse")),
        ("lost to heat", get("orbital_gpu_hours_lost_thermal")),
        ("lost to faults", get("orbital_gpu_hours_lost_faults")),
        ("lost to end of life", get("orbital_gpu_hours_lost_end_of_life")),
    ]
    fig = go.Figure()
    for i, (label, value) in enumerate(parts):
        fig.add_trace(go.Bar(y=["orbital GPU-hours"], x=[value], name=label, orientation="h",
                             marker_color=COLORS[i % len(COLORS)],
                             hovertemplate=f"{label}: %{{x:.4g}} GPU·h<extra></extra>"))
    _layout(fig, "Installed orbital GPU-hours: offered and lost", "GPU-hours (GPU·h)", "")
    fig.update_layout(barmode="stack", height=300)
    return fig


def _tables_in(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _inference_map_figure(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Cities coloured by median time to first token, and the first orbital placement's
    satellites (replicas larger) and laser links at the run's first network tick, over the
    packaged Natural Earth 1:110m coastline drawn as a line trace. Every plotly base layer
    (land, coastlines, countries, ...) stays off: plotly.js fetches those from a CDN, and the
    report opens offline."""
    fig = go.Figure()
    coast_lon, coast_lat = coastline_lon_lat()
    fig.add_trace(go.Scattergeo(lon=coast_lon, lat=coast_lat, mode="lines", name="coastline",
                                line=dict(width=0.6, color="rgb(150,150,150)"), hoverinfo="skip",
                                showlegend=False))
    have = _tables_in(con)
    if "latency_by_city" in have:
        rows = con.execute(
            "SELECT city, any_value(lat_deg), any_value(lon_deg), sum(requests), "
            "sum(ttft_p50_ms * requests) / sum(requests) FROM latency_by_city "
            "WHERE ttft_p50_ms IS NOT NULL GROUP BY city ORDER BY city"
        ).fetchall()
        if rows:
            city, lat, lon, n, ttft = (list(c) for c in zip(*rows))
            if "inference_network" in have:
                sats = con.execute("SELECT lat_deg, lon_deg, replica FROM inference_network ORDER BY sat").fetchall()
                s_lat = np.array([r[0] for r in sats])
                s_lon = np.array([r[1] for r in sats])
                links = con.execute("SELECT a, b FROM inference_links ORDER BY a, b").fetchall()
                lx, ly = [], []
                for a, b in links:
                    if abs(s_lon[a] - s_lon[b]) < 90:  # skip links drawn across the map's edge
                        lx += [float(s_lon[a]), float(s_lon[b]), None]
                        ly += [float(s_lat[a]), float(s_lat[b]), None]
                fig.add_trace(go.Scattergeo(lon=lx, lat=ly, mode="lines", name="laser links",
                                            line=dict(width=0.5, color="rgba(120,120,120,0.35)"), hoverinfo="skip"))
                rep = np.array([bool(r[2]) for r in sats])
                fig.add_trace(go.Scattergeo(lon=s_lon[~rep], lat=s_lat[~rep], mode="markers", name="satellites",
                                            marker=dict(size=3, color="rgba(120,120,120,0.6)"), hoverinfo="skip"))
                fig.add_trace(go.Scattergeo(lon=s_lon[rep], lat=s_lat[rep], mode="markers", name="replica satellites",
                                            marker=dict(size=6, color="black", symbol="diamond"),
                                            hovertemplate="replica satellite<extra></extra>"))
            fig.add_trace(go.Scattergeo(
                lon=lon, lat=lat, mode="markers", name="cities", text=[html.escape(str(c)) for c in city],
                customdata=n, marker=dict(size=6, color=ttft, colorscale="Viridis", showscale=True,
                                          colorbar=dict(title="TTFT p50 (ms)")),
                hovertemplate="%{text}: TTFT p50 %{marker.color:.4g} ms, %{customdata} requests<extra></extra>"))
    if len(fig.data) == 1:  # the coastline only
        _no_data(fig, "no inference requests recorded")
    fig.update_geos(projection_type="natural earth", showcoastlines=False, showland=False, showcountries=False,
                    showocean=False, showlakes=False, showrivers=False, showframe=True,
                    lataxis=dict(showgrid=True, dtick=30), lonaxis=dict(showgrid=True, dtick=30))
    fig.update_layout(template=TEMPLATE, height=520, title="Median time to first token by city; satellites and laser links "
                      "at the first network tick", margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", x=0.0, y=-0.02, yanchor="top"))  # clear of the colour bar
    return fig
