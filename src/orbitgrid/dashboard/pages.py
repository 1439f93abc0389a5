"""The dashboard's HTML pages, as small Python templates: the server writes tables and empty
figure divs, and /static/app.js fetches each figure's JSON and draws it with the plotly.js
the app serves from the installed plotly package (no CDN: the pages work offline).

Element ids and classes here are a contract with the browser tests (docs/dashboard.md).
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Iterable
from urllib.parse import quote

from orbitgrid.dashboard.queries import TITLES
from orbitgrid.results.report import _fmt

e = html.escape


def _page(title: str, page: str, body: str, extra_attrs: str = "", plotly: bool = False,
          prefetch: Iterable[str] = ()) -> str:
    # plotly.js (4.6 MB) takes the browser a second or more to parse: the data it will draw is
    # asked for first (app.js's getJSON takes these answers), and plotly is deferred
    urls = json.dumps(list(prefetch)).replace("</", "<\\/")
    early = (f"<script>window.PREFETCH = {{}}; for (const u of {urls}) window.PREFETCH[u] = fetch(u);</script>\n"
             if prefetch else "")
    script = early + ('<script src="/static/plotly.min.js" defer></script>\n' if plotly else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{e(title)} · orbitgrid</title>\n"
        '<link rel="stylesheet" href="/static/app.css">\n'
        f"{script}<script src=\"/static/app.js\" defer></script>\n</head>\n"
        f'<body data-page="{page}"{extra_attrs}>\n'
        '<nav><a href="/">runs</a> <a id="new-run-link" href="/new">new run</a> '
        '<a href="/docs">API</a></nav>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def fmt(key: str, value: Any) -> str:
    """A summary value as the report shows it; NaN and None as a dash."""
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    return _fmt(key, value)


def runs_page(runs: list[dict[str, Any]], jobs: list[dict[str, Any]], key_figures: Iterable[str]) -> str:
    """The runs list: sortable headers, a filter box, compare checkboxes."""
    keys = list(key_figures)
    head = ('<th></th><th data-sort="name">run</th><th data-sort="scenario">scenario</th>'
            '<th data-sort="date">date (UTC)</th><th data-sort="status">status</th><th data-sort="policy">policy</th>'
            + "".join(f'<th data-sort="{e(k)}" data-type="number">{e(k.replace("_", " "))}</th>' for k in keys))
    rows = []
    for r in runs:
        name = e(r["name"])
        cells = "".join(
            f'<td class="num" data-value="{"" if r["figures"].get(k) is None else e(repr(float(r["figures"][k])))}">'
            f'{e(fmt(k, r["figures"].get(k)))}</td>'
            for k in keys)
        title = f' title="{e(r["message"])}"' if r.get("message") else ""
        rows.append(
            f'<tr class="run-row" data-run="{name}">'
            f'<td><input class="compare-pick" type="checkbox" value="{name}" aria-label="compare {name}"></td>'
            f'<td data-value="{name}"><a class="run-link" href="/runs/{name}">{name}</a></td>'
            f'<td data-value="{e(r["scenario"])}">{e(r["scenario"])}</td>'
            f'<td data-value="{e(r["date"])}">{e(r["date"].replace("T", " ").rstrip("Z"))}</td>'
            f'<td data-value="{e(r["status"])}"{title}>{e(r["status"])}</td>'
            f'<td data-value="{e(str(r["policy"] or ""))}">{e(str(r["policy"] or ""))}</td>{cells}</tr>')
    running = "".join(
        f'<li><a href="/new?job={e(j["id"])}">{e(j["scenario"])}</a>: {e(j["status"])} '
        f'{100 * j["fraction"]:.0f} %</li>' for j in jobs)
    body = (
        "<h1>Runs</h1>\n"
        '<div class="toolbar"><input id="runs-filter" type="search" placeholder="filter runs (name, scenario, policy)">'
        ' <button id="compare-button" disabled>compare selected</button></div>\n'
        + (f'<ul id="running-jobs">{running}</ul>\n' if running else "")
        + f'<div class="table-wrap"><table id="runs-table"><thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows) + "\n</tbody></table></div>\n"
        + ("" if runs else '<p class="empty">No runs yet in this folder: start one from <a href="/new">new run</a>.</p>')
    )
    return _page("runs", "runs", body)


def summary_table(summary: dict[str, Any], table_id: str = "summary") -> str:
    rows = "".join(f'<tr><th scope="row">{e(k)}</th><td>{e(fmt(k, v))}</td></tr>'
                   for k, v in summary.items() if v is not None and k != "run_dir")
    return f'<table id="{table_id}" class="kv">{rows}</table>'


def _figure(key: str, title: str) -> str:
    return (f'<section class="fig-box"><h2>{e(title)}</h2>'
            f'<div class="fig-tools"><button class="export-png" data-fig="fig-{key}">PNG</button>'
            f'<button class="export-svg" data-fig="fig-{key}">SVG</button></div>'
            f'<div class="figure" id="fig-{key}" data-key="{key}"></div></section>')


def run_page(name: str, summary: dict[str, Any], run_info: dict[str, Any], figures: list[str],
             tables: list[str], orbital: bool, duration_h: float, step_h: float) -> str:
    """One run: summary, figures drawn from /api/runs/NAME/figures/KEY, tables as CSV, orbit."""
    n = e(name)
    info = "".join(f"<li>{e(k)}: {e(str(v))}</li>" for k, v in run_info.items())
    csv = " ".join(f'<a class="export-csv" href="/api/runs/{n}/tables/{e(t)}.csv">{e(t)}.csv</a>' for t in tables)
    figs = "\n".join(_figure(k, TITLES.get(k, k)) for k in figures)
    orbit = ""
    if orbital:
        step = max(step_h, duration_h / 2000.0)
        orbit = (
            '<section class="fig-box orbit"><h2>Orbital fleet</h2>'
            f'<div class="slider"><label for="time-slider">time</label> '
            f'<input type="range" id="time-slider" min="0" max="{duration_h!r}" step="{step!r}" value="0">'
            ' <span id="time-label"></span></div>'
            '<div class="fig-tools"><button class="export-png" data-fig="fig-orbit-map">PNG</button>'
            '<button class="export-svg" data-fig="fig-orbit-map">SVG</button>'
            f' <a id="czml-link" href="/api/runs/{n}/czml">CZML for Cesium</a></div>'
            '<div class="figure" id="fig-orbit-map" data-orbit="map"></div></section>\n'
            '<section class="fig-box"><h2>Globe</h2>'
            '<div class="fig-tools"><button class="export-png" data-fig="fig-globe">PNG</button>'
            '<button class="export-svg" data-fig="fig-globe">SVG</button></div>'
            '<div class="figure" id="fig-globe" data-orbit="globe"></div></section>'
        )
    body = (
        f"<h1>{e(str(summary.get('scenario') or name))} <small>{n}</small></h1>\n"
        f'<p class="links"><a href="/runs/{n}/report">offline report</a> · tables: {csv}</p>\n'
        f'<div class="cols"><div>{summary_table(summary)}</div>'
        f'<div><h2>Run info</h2><ul class="info">{info}</ul></div></div>\n'
        f"{orbit}\n{figs}\n"
    )
    base = f"/api/runs/{quote(name, safe='')}"
    prefetch = [f"{base}/figures/{quote(k, safe='')}" for k in figures]
    if orbital:
        prefetch += ["/api/coastline", f"{base}/orbit?t_h=0"]
    return _page(name, "run", body, f' data-run="{n}"', plotly=True, prefetch=prefetch)


def compare_page(names: list[str], rows: list[tuple[str, list[Any], bool]]) -> str:
    """Runs side by side: one row per summary key, differing cells marked `diff`."""
    head = "<th>key</th>" + "".join(f'<th><a href="/runs/{e(n)}">{e(n)}</a></th>' for n in names)
    body_rows = []
    for key, values, differ in rows:
        cls = ' class="diff"' if differ else ""
        row_cls = ' class="differs"' if differ else ""
        body_rows.append(f'<tr{row_cls}><th scope="row">{e(key)}</th>'
                         + "".join(f"<td{cls}>{e(fmt(key, v))}</td>" for v in values) + "</tr>")
    n_diff = sum(1 for _, _, d in rows if d)
    body = (f"<h1>Compare {len(names)} runs</h1>\n<p>{n_diff} of {len(rows)} summary keys differ (highlighted). "
            '<label><input type="checkbox" id="only-diff"> only differences</label></p>\n'
            f'<table id="compare-table"><thead><tr>{head}</tr></thead><tbody>' + "".join(body_rows) + "</tbody></table>")
    return _page("compare", "compare", body)


def new_page(picks: list[dict[str, str]], upload_limit_bytes: int, job_id: str | None = None) -> str:
    """Pick, upload or paste a scenario; validate; start; watch; open the result."""
    options = "".join(f'<option value="{e(p["id"])}">{e(p["label"])}</option>' for p in picks)
    body = (
        "<h1>New run</h1>\n"
        '<div class="new-grid"><div>'
        f'<p><label for="scenario-pick">scenario</label> <select id="scenario-pick"><option value="">(choose)</option>'
        f"{options}</select></p>\n"
        f'<p><label for="scenario-file">or upload</label> <input type="file" id="scenario-file" accept=".yaml,.yml">'
        f' <span class="hint">at most {upload_limit_bytes // 1024} KiB</span></p>\n'
        '<p><label for="seed">seed</label> <input type="number" id="seed" min="0" placeholder="scenario\'s"></p>\n'
        '<textarea id="scenario-text" spellcheck="false" rows="28" placeholder="or paste a scenario here"></textarea>\n'
        '<p><button id="validate-button">validate</button> <button id="start-button">start</button> '
        '<button id="cancel-button" disabled>cancel</button></p></div>\n'
        '<div><h2>Problems</h2><ul id="errors"></ul>\n'
        '<h2>Progress</h2><p><progress id="progress-bar" max="1" value="0"></progress> '
        '<span id="progress-status">idle</span></p><p id="progress-detail"></p><p id="result"></p></div></div>'
    )
    attrs = f' data-job="{e(job_id)}"' if job_id else ""
    return _page("new run", "new", body, attrs)


def error_page(status: int, message: str) -> str:
    return _page(f"{status}", "error", f'<h1>{status}</h1>\n<p id="error-message">{e(message)}</p>'
                 '<p><a href="/">back to the runs</a></p>')
