"""The sweep's offline report page, read from `sweep.duckdb` (plotly.js embedded once).

  * each output against each parameter (one small scatter per pair);
  * a tornado per output: how far its mean moves across each parameter's values (the
    mean of the points at each value, or in each fifth of a sampled range; the lowest and
    highest of those means are the bar's ends), the seed included as the noise floor;
  * the Pareto front of the two outputs the sweep file names: the points no other point
    beats on both.

Aggregation is DuckDB SQL on one thread; fixed div ids: the same table gives the same page.
"""

from __future__ import annotations

import html
import json
import pathlib
from typing import Any

import duckdb
import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from orbitgrid.results.report import _CSS, COLORS, HEIGHT, TEMPLATE, _fmt, _sig4
from orbitgrid.results.store import write_file_atomic

MAX_GROUPS = 10  # a parameter with more distinct values is cut into BINS equal-count bins
BINS = 5
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
           "UBIGINT", "FLOAT", "DOUBLE", "REAL")


def q(name: str) -> str:
    """A column name quoted for SQL (parameter columns hold dots)."""
    return '"' + name.replace('"', '""') + '"'


def pareto_mask(x: np.ndarray, y: np.ndarray, minimize: tuple[bool, bool]) -> np.ndarray:
    """Which points no other point beats on both x and y (less is better where `minimize`);
    of exact ties the first in order is kept. O(n log n)."""
    xs = np.where(minimize[0], x, -x)
    ys = np.where(minimize[1], y, -y)
    order = np.lexsort((np.arange(x.size), ys, xs))  # by x, then y, then position
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], ys[order][:-1]]))
    mask = np.zeros(x.size, dtype=bool)
    mask[order] = ys[order] < best_before
    return mask


def write_sweep_report(db_path: pathlib.Path, html_path: pathlib.Path) -> list[str]:
    """Write the report of the sweep stored in `db_path`; returns notes on outputs the
    table does not have (a misspelt name in the sweep file), for the command line."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.execute("SET threads = 1")
        info = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM sweep_info").fetchall()}
        types = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'points'").fetchall())
        numeric = {c for c, t in types.items() if t in NUMERIC or t.startswith("DECIMAL")}
        counts = dict(con.execute("SELECT status, count(*) FROM points GROUP BY status").fetchall())
        params = [c for c in info["param_columns"] if c in types]
        notes = [f"{field}: no output {name!r} in the points table" for field, names in
                 (("outputs", info["outputs_requested"]), ("tornado", info["tornado"]))
                 for name in names if name not in types]
        outputs = [o for o in info["outputs"] if o in numeric and _has_values(con, o)]
        tornado_out = [o for o in (info["tornado"] or outputs[:3]) if o in numeric and _has_values(con, o)]
        factors = params + (["seed"] if _distinct(con, "seed") > 1 else [])
        figures: dict[str, go.Figure] = {}
        if outputs and params:
            figures["sweep-scatter"] = _scatter_figure(con, params, outputs, numeric)
        if tornado_out and factors:
            figures["sweep-tornado"] = _tornado_figure(con, factors, tornado_out)
        pareto = info.get("pareto")
        front_rows = ""
        if pareto:
            missing = [pareto[k] for k in ("x", "y") if pareto[k] not in numeric]
            notes += [f"pareto: no numeric output {m!r} in the points table" for m in missing]
            if not missing:
                figures["sweep-pareto"], front_rows = _pareto(con, pareto, params)
        failed = con.execute(
            "SELECT point_id, error FROM points WHERE status = 'failed' ORDER BY point_index LIMIT 50").fetchall()
    finally:
        con.close()
    _write_page(html_path, info, counts, figures, failed, front_rows, notes)
    return notes


def _has_values(con, column: str) -> bool:
    return con.execute(f"SELECT count({q(column)}) FROM points WHERE status = 'ok'").fetchone()[0] > 0


def _distinct(con, column: str) -> int:
    return con.execute(f"SELECT count(DISTINCT {q(column)}) FROM points WHERE status = 'ok'").fetchone()[0]


def _scatter_figure(con, params: list[str], outputs: list[str], numeric: set[str]) -> go.Figure:
    """Rows: outputs; columns: parameters; one dot per point that ran."""
    fig = make_subplots(rows=len(outputs), cols=len(params), shared_yaxes=True, shared_xaxes=True,
                        horizontal_spacing=0.03, vertical_spacing=0.04)
    for i, out in enumerate(outputs):
        for j, p in enumerate(params):
            x_sql = q(p) if p in numeric else f"CAST({q(p)} AS VARCHAR)"
            rows = con.execute(f"SELECT {x_sql}, {q(out)}, point_id FROM points WHERE status = 'ok' "
                               f"AND {q(out)} IS NOT NULL ORDER BY point_index").fetchall()
            fig.add_trace(go.Scatter(
                x=[r[0] for r in rows], y=[r[1] for r in rows], text=[r[2] for r in rows], mode="markers",
                marker=dict(size=6, color=COLORS[0], opacity=0.7), showlegend=False,
                hovertemplate=f"{html.escape(p)}=%{{x}}<br>{html.escape(out)}=%{{y}}<br>point %{{text}}<extra></extra>",
            ), row=i + 1, col=j + 1)
            if i == len(outputs) - 1:
                fig.update_xaxes(title_text=p, row=i + 1, col=j + 1)
            if j == 0:
                fig.update_yaxes(title_text=out, row=i + 1, col=j + 1)
    fig.update_layout(template=TEMPLATE, title="Each output against each parameter",
                      height=max(HEIGHT, 240 * len(outputs)), margin=dict(l=90, r=30, t=70, b=60))
    return fig


def swings(con, factors: list[str], output: str) -> list[dict[str, Any]]:
    """Per factor: the mean of `output` at each of its values (or in each of BINS
    equal-count bins of a factor with more than MAX_GROUPS values) and the lowest and
    highest of those means, sorted by swing, largest first."""
    out = []
    y = q(output)
    for f in factors:
        x = q(f)
        where = f"status = 'ok' AND {y} IS NOT NULL AND {x} IS NOT NULL"
        many = con.execute(f"SELECT count(DISTINCT {x}) FROM points WHERE {where}").fetchone()[0] > MAX_GROUPS
        group = f"ntile({BINS}) OVER (ORDER BY {x}, point_index)" if many else x
        groups = con.execute(
            f"WITH t AS (SELECT {group} AS g, {x} AS x, {y} AS y FROM points WHERE {where}) "
            f"SELECT min(x), max(x), avg(y) FROM t GROUP BY g ORDER BY avg(y), min(x)").fetchall()
        if len(groups) < 2:
            continue
        (lo_min, lo_max, lo), (hi_min, hi_max, hi) = groups[0], groups[-1]
        at = (lambda a, b: f"{_fmt(f, a)}–{_fmt(f, b)}") if many else (lambda a, b: _fmt(f, a))  # noqa: E731
        out.append({"factor": f, "low": float(lo), "high": float(hi), "low_at": at(lo_min, lo_max),
                    "high_at": at(hi_min, hi_max), "swing": float(hi - lo), "groups": len(groups)})
    return sorted(out, key=lambda s: (-s["swing"], s["factor"]))


def _tornado_figure(con, factors: list[str], outputs: list[str]) -> go.Figure:
    per_output_px = 170 + 45 * len(factors)  # bars, axis title and the next subplot's title
    height = 110 + per_output_px * len(outputs)
    fig = make_subplots(rows=len(outputs), cols=1, subplot_titles=[f"{o}: mean by factor value" for o in outputs],
                        vertical_spacing=min(0.3, 130 / height) if len(outputs) > 1 else 0.0)
    for i, out in enumerate(outputs):
        mean = con.execute(f"SELECT avg({q(out)}) FROM points WHERE status = 'ok'").fetchone()[0]
        rows = swings(con, factors, out)[::-1]  # plotly draws the first bar at the bottom
        if not rows or mean is None:
            continue
        mean = float(mean)
        for key, name, color in (("low", "lowest mean", COLORS[1]), ("high", "highest mean", COLORS[0])):
            fig.add_trace(go.Bar(
                y=[r["factor"] for r in rows], x=[r[key] - mean for r in rows], base=mean, orientation="h",
                name=name, marker_color=color, showlegend=i == 0, legendgroup=key,
                text=[f"{r[key + '_at']}" for r in rows], textposition="outside", textangle=0, cliponaxis=False,
                hovertemplate="%{y}: %{text}<br>mean " + html.escape(out) + " %{customdata}<extra></extra>",
                customdata=[_sig4(r[key]) for r in rows],
            ), row=i + 1, col=1)
        fig.add_vline(x=mean, line_dash="dot", line_color="#888", row=i + 1, col=1)
        fig.update_xaxes(title_text=f"{out} (dotted: mean of all points, {_sig4(mean)})", row=i + 1, col=1)
    fig.update_layout(template=TEMPLATE, title="Tornado: how far each parameter moves each output",
                      barmode="overlay", height=max(HEIGHT, height), margin=dict(l=70, r=40, t=110, b=60),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0))
    return fig


def _pareto(con, pareto: dict[str, Any], params: list[str]) -> tuple[go.Figure, str]:
    x, y, minimize = pareto["x"], pareto["y"], tuple(pareto["minimize"])
    cols = ", ".join(q(p) for p in params)
    rows = con.execute(
        f"SELECT {q(x)}, {q(y)}, point_id{', ' + cols if cols else ''} FROM points WHERE status = 'ok' "
        f"AND {q(x)} IS NOT NULL AND {q(y)} IS NOT NULL ORDER BY point_index").fetchall()
    xs = np.array([r[0] for r in rows], dtype=float)
    ys = np.array([r[1] for r in rows], dtype=float)
    front = pareto_mask(xs, ys, minimize) if rows else np.zeros(0, dtype=bool)
    order = np.flatnonzero(front)[np.argsort(xs[front], kind="stable")]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs[~front], y=ys[~front], mode="markers", name="points",
                             text=[r[2] for r, f in zip(rows, front) if not f],
                             marker=dict(color="#bbb", size=7), hovertemplate="point %{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=xs[order], y=ys[order], mode="lines+markers", name="Pareto front",
                             text=[rows[k][2] for k in order], marker=dict(color=COLORS[0], size=9),
                             line=dict(shape="hv" if minimize[0] == minimize[1] else "linear"),
                             hovertemplate="point %{text}<extra></extra>"))
    better = lambda m: "lower" if m else "higher"  # noqa: E731
    fig.update_layout(template=TEMPLATE, height=HEIGHT, margin=dict(l=70, r=30, t=80, b=60),
                      title=f"Pareto front: {x} ({better(minimize[0])} is better) vs {y} ({better(minimize[1])} is better)")
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["point", *params, x, y])
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(c, v))}</td>" for c, v in
                         [("point", rows[k][2]), *zip(params, rows[k][3:]), (x, rows[k][0]), (y, rows[k][1])]) + "</tr>"
        for k in order)
    return fig, f'<h2>Pareto front ({len(order)} of {len(rows)} points)</h2>\n<table class="summary">\n<tr>{head}</tr>\n{body}\n</table>'


def _write_page(path: pathlib.Path, info: dict, counts: dict, figures: dict, failed: list, front_rows: str,
                notes: list[str]) -> None:
    name = html.escape(str(info.get("name", "sweep")))
    facts = [("sweep", info.get("name")), ("base scenario", info.get("base")), ("description", info.get("description")),
             ("points", sum(counts.values())), ("ok", counts.get("ok", 0)), ("failed", counts.get("failed", 0)),
             ("not run", counts.get("not_run", 0)), ("parameters", ", ".join(info.get("param_columns", [])) or "—"),
             ("seeds", info.get("seeds"))]
    rows = "\n".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(_fmt(k, v))}</td></tr>"
                     for k, v in facts if v not in (None, ""))
    divs = "\n".join(
        '<section class="figure">' + fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                                 config={"displaylogo": False, "responsive": True}) + "</section>"
        for div_id, fig in figures.items())
    fail = ""
    if failed:
        fail = ("<h2>Failed points</h2>\n<table class=\"summary\">\n" + "\n".join(
            f"<tr><td>{html.escape(pid)}</td><td style=\"text-align:left\">{html.escape(err or '')}</td></tr>"
            for pid, err in failed) + "\n</table>")
    note = "".join(f"<p><b>note:</b> {html.escape(n)}</p>\n" for n in notes)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>orbitgrid sweep: {name}</title>\n<style>{_CSS}\n"
        "table.summary th { padding: 3px 14px; text-align: right; }</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n</head>\n<body>\n'
        f"<h1>orbitgrid sweep: {name}</h1>\n<table class=\"summary\">\n{rows}\n</table>\n{note}{fail}\n"
        f"{divs}\n{front_rows}\n</body>\n</html>\n"
    )
    write_file_atomic(path, page.encode("utf-8"))
