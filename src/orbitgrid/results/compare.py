"""One scenario under several policies, side by side: a table for the terminal and an
offline HTML page (plotly.js embedded once), written whole or not at all.

Reads only the runs' summaries, as the store wrote them, so the page says exactly what
each run folder says.
"""

from __future__ import annotations

import html
import os
import pathlib
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from orbitgrid.results.report import _CSS, COLORS, HEIGHT, TEMPLATE, _fmt
from orbitgrid.results.store import write_file_atomic

# the rows of the comparison, in order: what a scheduling study reads first
COMPARE_KEYS = (
    "jobs_submitted", "jobs_completed", "jobs_failed", "allocation_utilization", "effective_utilization",
    "useful_work_ref_gpu_h", "mean_wait_h", "p95_wait_h", "mean_jct_h", "p50_jct_h", "p99_jct_h", "makespan_h",
    "finish_time_fairness_max", "preemptions", "jobs_preempted", "gpu_hours_lost_preemption", "energy_mwh",
    "peak_power_mw",
)
CHARTS = (  # (title, axis, keys as fractions shown in %)
    ("Utilisation", "Share of available GPU-hours (%)", ("allocation_utilization", "effective_utilization")),
    ("Completion and wait", "Hours", ("mean_jct_h", "mean_wait_h")),
)


def comparison_rows(summaries: dict[str, dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """(key, value per policy) for the keys any of the runs has, in COMPARE_KEYS order."""
    keys = [k for k in COMPARE_KEYS if any(k in s for s in summaries.values())]
    return [(k, [s.get(k) for s in summaries.values()]) for k in keys]


def write_comparison(path: pathlib.Path, scenario: str, summaries: dict[str, dict[str, Any]]) -> pathlib.Path:
    """Write the comparison page of `summaries` (policy -> run summary) to `path`."""
    policies = list(summaries)
    head = "".join(f"<th>{html.escape(p)}</th>" for p in policies)
    body = "\n".join(
        f"<tr><td>{html.escape(k)}</td>" + "".join(f"<td>{html.escape(_fmt(k, v))}</td>" for v in values) + "</tr>"
        for k, values in comparison_rows(summaries)
    )
    links = "\n".join(
        f'<li>{html.escape(p)}: <a href="{html.escape(os.path.relpath(str(s.get("run_dir", "")), str(path.parent)))}'
        f'/report.html">{html.escape(pathlib.Path(str(s.get("run_dir", ""))).name)}</a></li>'
        for p, s in summaries.items()
    )
    figures = []
    for i, (title, axis, keys) in enumerate(CHARTS):
        fig = go.Figure()
        for j, key in enumerate(keys):
            scale = 100.0 if key.endswith("utilization") else 1.0
            fig.add_trace(go.Bar(x=policies, y=[(summaries[p].get(key) or 0.0) * scale for p in policies],
                                 name=key, marker_color=COLORS[j % len(COLORS)]))
        fig.update_layout(template=TEMPLATE, title=title, height=HEIGHT, barmode="group",
                          legend=dict(orientation="h", y=-0.2))
        fig.update_yaxes(title_text=axis, rangemode="tozero")
        figures.append(fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"orbitgrid-compare-{i}",
                                   config={"displaylogo": False, "responsive": True}))
    name = html.escape(scenario)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>orbitgrid comparison: {name}</title>\n<style>{_CSS}\n"
        "table.summary th { padding: 3px 14px; text-align: right; }</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n</head>\n<body>\n'
        f"<h1>orbitgrid comparison: {name}</h1>\n"
        f'<table class="summary">\n<tr><th></th>{head}</tr>\n{body}\n</table>\n<ul>\n{links}\n</ul>\n'
        + "\n".join(f'<section class="figure">{f}</section>' for f in figures)
        + "\n</body>\n</html>\n"
    )
    return write_file_atomic(path, page.encode("utf-8"))
