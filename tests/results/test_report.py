"""Tests of the HTML run report: self-contained, deterministic, robust to empty runs."""

from __future__ import annotations

import base64
import json
import pathlib
import re

import duckdb
import numpy as np
import pytest

from orbitgrid.results.report import write_report

SCENARIO = "tiny <test> & co"

SCHEMA = """
CREATE TABLE summary (
    run_dir VARCHAR, scenario VARCHAR, seed BIGINT, policy VARCHAR, horizon_h DOUBLE,
    jobs_submitted BIGINT, jobs_completed BIGINT, jobs_failed BIGINT, jobs_running BIGINT,
    jobs_queued BIGINT, gpu_hours_available DOUBLE, gpu_hours_allocated DOUBLE,
    allocation_utilization DOUBLE, effective_utilization DOUBLE, mean_wait_h DOUBLE,
    mean_jct_h DOUBLE, makespan_h DOUBLE, energy_mwh DOUBLE, peak_power_mw DOUBLE,
    preemptions BIGINT, events BIGINT);
CREATE TABLE sites (site VARCHAR, lat_deg DOUBLE, lon_deg DOUBLE, power_cap_mw DOUBLE, pue DOUBLE);
CREATE TABLE pools (pool_id INTEGER, pool VARCHAR, site VARCHAR, gpu VARCHAR, count INTEGER,
    speed DOUBLE, busy_power_w DOUBLE, idle_power_w DOUBLE);
CREATE TABLE timeseries (time_h DOUBLE, step_h DOUBLE, pool_id INTEGER, capacity_gpus DOUBLE,
    allocated_gpus DOUBLE, it_power_mw DOUBLE, facility_power_mw DOUBLE);
CREATE TABLE queue (time_h DOUBLE, queued_jobs BIGINT, queued_gpus BIGINT, running_jobs BIGINT);
CREATE TABLE jobs (job_id BIGINT, name VARCHAR, tenant VARCHAR, priority INTEGER, arrival_h DOUBLE,
    gpus INTEGER, work_gpu_h DOUBLE, gpu_types VARCHAR, state VARCHAR, fail_reason VARCHAR,
    first_start_h DOUBLE, end_h DOUBLE, wait_h DOUBLE, jct_h DOUBLE, preemptions INTEGER,
    work_done_gpu_h DOUBLE);
CREATE TABLE allocations (job_id BIGINT, pool_id INTEGER, gpus INTEGER, start_h DOUBLE,
    end_h DOUBLE, speed DOUBLE, ended_by VARCHAR);
INSERT INTO sites VALUES ('earth-a', 52.0, 4.0, 0.05, 1.2);
INSERT INTO pools VALUES
    (0, 'earth-a/h100', 'earth-a', 'H100', 8, 1.0, 700, 100),
    (1, 'earth-a/a100', 'earth-a', 'A100', 4, 0.5, 400, 60);
INSERT INTO timeseries
    SELECT t * 0.5, 0.5, p, cap, alloc, alloc * w * 1e-6, alloc * w * 1.2e-6
    FROM range(6) r(t),
         (VALUES (0, 8.0, 700.0), (1, 4.0, 400.0)) v(p, cap, w),
         LATERAL (SELECT CASE WHEN t < 4 THEN cap / 2 ELSE 0.0 END AS alloc);
INSERT INTO queue SELECT t * 0.5, CASE WHEN t < 5 THEN 1 ELSE 0 END, 16, CASE WHEN t < 4 THEN 1 ELSE 0 END
    FROM range(6) r(t);
INSERT INTO allocations VALUES (1, 0, 4, 0.0, 2.0, 1.0, 'completed');
"""

JOBS_WITH_COMPLETION = """
INSERT INTO jobs VALUES
    (1, 'train-a', 't1', 0, 0.0, 4, 8.0, 'H100', 'completed', NULL, 0.25, 2.0, 0.25, 2.0, 0, 8.0),
    (2, 'train-b', 't1', 0, 0.5, 16, 64.0, 'H100', 'queued', NULL, NULL, NULL, NULL, NULL, 0, 0.0),
    (3, 'train-c', 't2', 1, 1.0, 2, 4.0, 'A100', 'failed', 'node fault', 1.5, 2.5, 0.5, NULL, 1, 1.0);
INSERT INTO summary VALUES ('runs/tiny', '{scenario}', 7, 'fifo', 3.0, 3, 1, 1, 0, 1,
    36.0, 12.0, 0.3333333333, 0.25, 0.375, 2.0, 2.5, 0.0123456, 0.0067, 1, 42);
"""

JOBS_NONE_COMPLETED = """
INSERT INTO jobs VALUES
    (2, 'train-b', 't1', 0, 0.5, 16, 64.0, 'H100', 'queued', NULL, NULL, NULL, NULL, NULL, 0, 0.0);
INSERT INTO summary VALUES ('runs/tiny', '{scenario}', 7, 'fifo', 3.0, 1, 0, 0, 0, 1,
    36.0, 0.0, 0.0, 0.0, NULL, NULL, NULL, 0.0, 0.0, 0, 5);
"""


def make_db(path: pathlib.Path, jobs_sql: str) -> pathlib.Path:
    """A tiny run store: 2 pools at 1 site, 6 ticks of 0.5 h, the given jobs."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    con.execute(jobs_sql.format(scenario=SCENARIO))
    con.close()
    return path


@pytest.fixture
def db(tmp_path: pathlib.Path) -> pathlib.Path:
    return make_db(tmp_path / "run.duckdb", JOBS_WITH_COMPLETION)


def test_report_is_self_contained(db: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "report.html"
    write_report(db, out)
    assert out.is_file()
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Scenario name appears, HTML-escaped, and never raw.
    assert "tiny &lt;test&gt; &amp; co" in page
    assert SCENARIO not in page
    # plotly.js bundle embedded exactly once (its version banner), no external scripts.
    assert len(re.findall(r"\* plotly\.js v\d+\.\d+\.\d+", page)) == 1
    assert re.search(r"<script[^>]*\bsrc\s*=", page) is None
    assert 'src="https://cdn' not in page
    assert "cdn.plot.ly/plotly" not in page
    # All five figures, with fixed ids.
    for div_id in ("utilization", "queue", "job-times", "power", "gpu-hours"):
        assert page.count(f'id="orbitgrid-{div_id}"') == 1
    assert page.count("Plotly.newPlot(") == 5


def test_summary_table_formatting(db: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "report.html"
    write_report(db, out)
    page = out.read_text(encoding="utf-8")
    table = page[page.index('<table class="summary">') : page.index("</table>")]
    # Every summary column has a row, except run_dir (where the folder lies is not a result).
    assert table.count("<tr>") == 20 and "run_dir" not in table
    assert "<td>allocation_utilization</td><td>33.33 %</td>" in table
    assert "<td>effective_utilization</td><td>25 %</td>" in table
    assert "<td>energy_mwh</td><td>0.01235</td>" in table
    assert "<td>seed</td><td>7</td>" in table
    assert "<td>policy</td><td>fifo</td>" in table


def test_report_is_byte_identical(db: pathlib.Path, tmp_path: pathlib.Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    write_report(db, a)
    write_report(db, b)
    assert a.read_bytes() == b.read_bytes()
    # An identical run stored in another file also gives the same bytes.
    other = make_db(tmp_path / "other.duckdb", JOBS_WITH_COMPLETION)
    c = tmp_path / "c.html"
    write_report(other, c)
    assert c.read_bytes() == a.read_bytes()


def test_report_without_completed_jobs(tmp_path: pathlib.Path) -> None:
    db = make_db(tmp_path / "empty.duckdb", JOBS_NONE_COMPLETED)
    out = tmp_path / "report.html"
    write_report(db, out)
    page = out.read_text(encoding="utf-8")
    assert "no job started" in page
    assert "no job completed" in page
    # NULL summary values shown as a dash, not "None".
    assert "<td>mean_jct_h</td><td>—</td>" in page
    assert "<td>None</td>" not in page


def test_report_with_empty_tables(tmp_path: pathlib.Path) -> None:
    db = tmp_path / "bare.duckdb"
    con = duckdb.connect(str(db))
    con.execute(SCHEMA)
    con.execute("DELETE FROM timeseries; DELETE FROM queue; DELETE FROM sites; DELETE FROM pools")
    con.close()
    out = tmp_path / "sub" / "report.html"
    write_report(db, out)
    page = out.read_text(encoding="utf-8")
    assert "no time series recorded" in page
    assert "no queue samples recorded" in page
    assert "no power recorded" in page


def test_long_run_is_downsampled(tmp_path: pathlib.Path) -> None:
    """20 000 ticks and 50 000 jobs: series averaged into buckets, page stays small."""
    db = make_db(tmp_path / "long.duckdb", JOBS_WITH_COMPLETION)
    con = duckdb.connect(str(db))
    con.execute(
        """
        DELETE FROM timeseries; DELETE FROM queue; DELETE FROM jobs;
        INSERT INTO timeseries SELECT t * 0.1, 0.1, p, 8.0, (t % 9)::DOUBLE, 0.001, 0.0012
            FROM range(20000) r(t), (VALUES (0), (1)) v(p);
        INSERT INTO queue SELECT t * 0.1, t % 7, t % 5, t % 3 FROM range(20000) r(t);
        INSERT INTO jobs SELECT i, 'j', 't', 0, 0.0, 1, 1.0, 'H100', 'completed', NULL,
            (i % 100) * 0.1, 1.0 + (i % 50), (i % 100) * 0.1, 1.0 + (i % 50), 0, 1.0
            FROM range(50000) r(i);
        """
    )
    con.close()
    out = tmp_path / "report.html"
    write_report(db, out)
    page = out.read_text(encoding="utf-8")
    assert page.count("mean over 0.4 h buckets (20000 time steps)") == 3
    bundle = re.search(r"<script type=\"text/javascript\">(.*?)</script>", page, re.S)
    assert bundle is not None
    assert len(page) - len(bundle.group(1)) < 1_000_000


INFERENCE_SQL = """
ALTER TABLE summary ADD COLUMN requests BIGINT;
UPDATE summary SET requests = 30;
CREATE TABLE latency_by_city (city VARCHAR, lat_deg DOUBLE, lon_deg DOUBLE, requests BIGINT,
    ttft_p50_ms DOUBLE);
INSERT INTO latency_by_city VALUES ('Dublin', 53.35, -6.26, 10, 120.0), ('Lagos', 6.45, 3.4, 20, 180.0);
CREATE TABLE inference_network (sat INTEGER, lat_deg DOUBLE, lon_deg DOUBLE, replica BOOLEAN);
INSERT INTO inference_network VALUES (0, 10.0, 20.0, true), (1, 12.0, 25.0, false);
CREATE TABLE inference_links (a INTEGER, b INTEGER);
INSERT INTO inference_links VALUES (0, 1);
"""


def _newplot_args(page: str, div_id: str) -> tuple[list, dict]:
    """The data and layout that the page passes to Plotly.newPlot for `div_id`."""
    call = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', page)
    assert call is not None
    dec = json.JSONDecoder()
    data, end = dec.raw_decode(page, call.end())
    layout, _ = dec.raw_decode(page, re.compile(r",\s*").match(page, end).end())
    return data, layout


def test_inference_map_draws_packaged_coastline_offline(tmp_path: pathlib.Path) -> None:
    """The world map's coastline is our own line trace (Natural Earth 1:110m), drawn first;
    no plotly base layer is on, so plotly.js never fetches its topojson from the CDN."""
    db = make_db(tmp_path / "inf.duckdb", JOBS_WITH_COMPLETION)
    con = duckdb.connect(str(db))
    con.execute(INFERENCE_SQL)
    con.close()
    out = tmp_path / "report.html"
    write_report(db, out)
    page = out.read_text(encoding="utf-8")
    assert page.count('id="orbitgrid-inference-map"') == 1
    data, layout = _newplot_args(page, "orbitgrid-inference-map")
    coast = data[0]
    assert coast["type"] == "scattergeo" and coast["mode"] == "lines" and coast["name"] == "coastline"
    assert coast["hoverinfo"] == "skip" and coast["showlegend"] is False
    lon = coast["lon"]
    if isinstance(lon, dict):  # plotly >= 6: base64 typed array
        lon = np.frombuffer(base64.b64decode(lon["bdata"]), dtype=lon["dtype"])
    lon = np.asarray(lon, dtype=float)
    assert lon.size == 5128 + 133 and int(np.isnan(lon).sum()) == 133
    assert [t["name"] for t in data[1:]] == ["laser links", "satellites", "replica satellites", "cities"]
    # No base layer that plotly.js would fetch topojson for; no trace located by name.
    geo = layout["geo"]
    shown = sorted(k for k, v in geo.items() if k.startswith("show") and v is True)
    assert shown == ["showframe"], shown
    for layer in ("showcoastlines", "showland", "showcountries", "showocean", "showlakes", "showrivers"):
        assert geo[layer] is False
    assert all("locationmode" not in t and "locations" not in t for t in data)
    assert "topojsonURL" not in page.split("Plotly.newPlot(", 1)[1]
