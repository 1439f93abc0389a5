"""The dashboard's pages and JSON API, through FastAPI's test client, on small real runs."""

from __future__ import annotations

import json
import math
import os
import sys
import warnings

import duckdb
import numpy as np
import pytest

from orbitgrid.dashboard import queries
from orbitgrid.results.store import read_summary


def _count(runs_dir, run, sql):
    con = duckdb.connect(str(runs_dir / run / "results.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_runs_list_has_every_run_with_its_summary_figures(client, runs_dir):
    body = client.get("/api/runs").json()
    by_name = {r["name"]: r for r in body["runs"]}
    assert {"quick_a", "quick_b", "orbit6"} <= set(by_name)
    s = read_summary(runs_dir / "quick_b")
    assert by_name["quick_b"]["seed"] == 2
    assert by_name["quick_b"]["figures"]["jobs_completed"] == s["jobs_completed"]
    assert by_name["quick_b"]["figures"]["allocation_utilization"] == pytest.approx(s["allocation_utilization"])
    page = client.get("/").text
    for name in by_name:
        assert f'<tr class="run-row" data-run="{name}">' in page
        assert f'<a class="run-link" href="/runs/{name}">' in page
        assert f'<input class="compare-pick" type="checkbox" value="{name}"' in page
    for needle in ('id="runs-table"', 'id="runs-filter"', 'id="compare-button"', '<a id="new-run-link" href="/new">',
                   'data-sort="scenario"'):
        assert needle in page


def test_run_page_and_every_figure(client, runs_dir):
    meta = client.get("/api/runs/quick_a").json()
    assert meta["figures"] == ["utilization", "power", "queue", "job-times"]
    assert meta["summary"]["seed"] == 1 and not meta["orbital"]
    page = client.get("/runs/quick_a").text
    assert '<table id="summary"' in page
    for key in meta["figures"]:
        assert f'<div class="figure" id="fig-{key}"' in page
        assert f'<button class="export-png" data-fig="fig-{key}">' in page
        assert f'<button class="export-svg" data-fig="fig-{key}">' in page
        fig = client.get(f"/api/runs/quick_a/figures/{key}").json()
        assert fig["data"] and "layout" in fig
    assert '<a class="export-csv" href="/api/runs/quick_a/tables/jobs.csv">' in page
    assert 'id="time-slider"' not in page
    # the job-time histograms count exactly the started and the completed jobs
    fig = client.get("/api/runs/quick_a/figures/job-times").json()
    counts = [sum(np.asarray(_decode(t["y"]))) for t in fig["data"]]
    assert counts == [_count(runs_dir, "quick_a", "SELECT count(*) FROM jobs WHERE first_start_h IS NOT NULL"),
                      _count(runs_dir, "quick_a", "SELECT count(*) FROM jobs WHERE state = 'completed'")]
    # one utilisation trace per pool, the values in percent of usable GPUs
    util = client.get("/api/runs/quick_a/figures/utilization").json()["data"]
    assert [t["name"] for t in util] == ["hall-a-h100", "hall-b-gb200"]
    first = _count(runs_dir, "quick_a", "SELECT 100 * allocated_gpus / capacity_gpus FROM timeseries "
                                        "WHERE pool_id = 0 ORDER BY time_h LIMIT 1")
    assert _decode(util[0]["y"])[0] == pytest.approx(first, rel=1e-6)
    assert client.get("/api/runs/quick_a/figures/latency").status_code == 404
    assert "no figure 'latency'" in client.get("/api/runs/quick_a/figures/latency").json()["detail"]


def _decode(values):
    """A plotly JSON array: a plain list, or {dtype, bdata} base64."""
    if isinstance(values, dict):
        import base64

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return values


def test_time_series_are_bucketed_in_sql_to_at_most_max_points():
    con = duckdb.connect()
    n = 10_000  # steps of 0.1 h; allocated = step index, capacity 10 000
    con.execute(f"""CREATE TABLE timeseries AS SELECT i * 0.1 AS time_h, 0.1 AS step_h, 0 AS pool_id,
                     10000.0 AS capacity_gpus, 10000.0 AS in_service_gpus, CAST(i AS DOUBLE) AS allocated_gpus,
                     1.0 AS it_power_mw, 1.2 AS facility_power_mw FROM range({n}) t(i)""")
    con.execute("CREATE TABLE pools AS SELECT 0 AS pool_id, 'p' AS pool, 's' AS site")
    fig = queries.utilization_figure(con)
    y = np.asarray(fig.data[0].y, dtype=np.float64)
    assert len(y) <= queries.MAX_POINTS + 1  # + the held last value
    # 10 000 steps in 2 000 buckets: 5 steps each, mean allocated of bucket k = 5k + 2
    assert y[0] == pytest.approx(100 * 2 / 10000)
    assert y[1999] == pytest.approx(100 * (5 * 1999 + 2) / 10000)
    hist = queries.histogram(con, "timeseries", "allocated_gpus")
    assert hist is not None and hist[1].sum() == n and len(hist[1]) == 60  # min(60 bins, sqrt(10 000))


def test_tables_as_csv(client, runs_dir):
    r = client.get("/api/runs/quick_a/tables/jobs.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().split("\n")
    assert lines[0].startswith('"job_id","name"')
    assert len(lines) - 1 == _count(runs_dir, "quick_a", "SELECT count(*) FROM jobs")
    r = client.get("/api/runs/quick_a/tables/secrets.csv")
    assert r.status_code == 404 and "no table 'secrets'" in r.json()["detail"]


def test_orbit_positions_sunlight_and_terminator(client, runs_dir):
    page = client.get("/runs/orbit6").text
    for needle in ('<input type="range" id="time-slider"', 'id="time-label"', 'id="fig-orbit-map"', 'id="fig-globe"'):
        assert needle in page
    snap = client.get("/api/runs/orbit6/orbit", params={"t_h": 3.0}).json()
    assert snap["time_utc"] == "2026-05-01T03:00:00Z"
    n_sat = len(snap["sunlit"]["lat"]) + len(snap["in_shadow"]["lat"])
    from orbitgrid.dashboard.orbit import fleet_of

    assert n_sat == sum(s.n_sat for _, s in fleet_of(runs_dir / "orbit6").sets)
    assert snap["in_shadow"]["lat"] and snap["sunlit"]["lat"]  # the 53° shell has a night side
    # the Sun's declination on 1 May is about +15.0° (Astronomical Almanac)
    assert snap["subsolar"]["lat"] == pytest.approx(15.0, abs=0.3)
    # at 03:00 UTC the Sun stands over 135° E less the equation of time (+2.9 min on 1 May: 0.73°)
    assert snap["subsolar"]["lon"] == pytest.approx(135.0 - 0.73, abs=0.3)
    lat0, lon0 = map(math.radians, (snap["subsolar"]["lat"], snap["subsolar"]["lon"]))
    for la, lo in zip(snap["terminator"]["lat"], snap["terminator"]["lon"]):
        if la is None:
            continue
        la, lo = math.radians(la), math.radians(lo)
        cos_d = math.sin(lat0) * math.sin(la) + math.cos(lat0) * math.cos(la) * math.cos(lo - lon0)
        assert math.degrees(math.acos(max(-1.0, min(1.0, cos_d)))) == pytest.approx(90.0, abs=0.01)
    # shadowed satellites are on the night side: over 90° of arc from the sub-solar point
    for la, lo in zip(snap["in_shadow"]["lat"], snap["in_shadow"]["lon"]):
        la, lo = math.radians(la), math.radians(lo)
        cos_d = math.sin(lat0) * math.sin(la) + math.cos(lat0) * math.cos(la) * math.cos(lo - lon0)
        assert cos_d < 0.0
    bad = client.get("/api/runs/orbit6/orbit", params={"t_h": 99})
    assert bad.status_code == 422 and "t_h: must be between 0 and 6 h" in bad.json()["detail"]
    r = client.get("/api/runs/quick_a/orbit", params={"t_h": 1})
    assert r.status_code == 404 and "no orbital fleet" in r.json()["detail"]


def test_czml_link_is_501_without_the_export_module(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "orbitgrid.export.czml", None)  # import now fails
    r = client.get("/api/runs/orbit6/czml")
    assert r.status_code == 501 and "CZML export is not available" in r.json()["detail"]


def test_compare_marks_the_differences(client):
    page = client.get("/compare", params={"runs": "quick_a,quick_b"}).text
    assert '<table id="compare-table">' in page
    body = client.get("/api/compare", params={"runs": "quick_a,quick_b"}).json()
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["seed"]["values"] == [1, 2] and rows["seed"]["differ"]
    assert rows["scenario"]["differ"] is False and rows["horizon_h"]["differ"] is False
    n_diff = sum(r["differ"] for r in body["rows"])
    assert page.count('<tr class="differs">') == n_diff
    assert page.count('<td class="diff">') == 2 * n_diff
    r = client.get("/compare", params={"runs": "quick_a,ghost"})
    assert r.status_code == 404 and "no run &#x27;ghost&#x27;" in r.text
    assert client.get("/api/compare", params={"runs": "quick_a,ghost"}).status_code == 404


@pytest.mark.parametrize("name, status", [
    ("%2E%2E", 400), (".quick_a", 400), ("quick_a%2F..%2F..", 404), ("ghost", 404), ("%2Fetc%2Fpasswd", 404),
])
def test_unsafe_or_unknown_run_names(client, name, status):
    r = client.get(f"/api/runs/{name}")
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    assert client.get(f"/runs/{name}").status_code == status


def test_symlink_out_of_the_runs_folder_is_refused(client, runs_dir, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(runs_dir / "quick_a" / "results.duckdb", outside / "results.duckdb")  # looks like a run
    link = runs_dir / "sneaky"
    os.symlink(outside, link)
    try:
        r = client.get("/api/runs/sneaky")
        assert r.status_code == 400 and "outside the runs folder" in r.json()["detail"]
        assert "sneaky" not in {x["name"] for x in client.get("/api/runs").json()["runs"]}
    finally:
        link.unlink()


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_validate_reports_problems_with_line_and_field_and_writes_nothing(client, runs_dir):
    before = _listing(runs_dir)
    text = "name: bad\nsimulation:\n  duration_h: -5\n  tick_s: 300\n"
    r = client.post("/api/validate", data={"text": text})
    assert r.status_code == 422
    first = r.json()["problems"][0]
    assert (first["file"], first["line"], first["field"]) == ("pasted.yaml", 3, "simulation.duration_h")
    assert r.json()["detail"].startswith("pasted.yaml:3: simulation.duration_h:")
    r = client.post("/api/validate", files={"file": ("mine.yaml", b"name: [unclosed\n")})
    assert r.status_code == 422 and r.json()["problems"][0]["file"] == "mine.yaml"
    r = client.post("/api/jobs", data={"text": text})
    assert r.status_code == 422 and r.json()["problems"][0]["line"] == 3
    assert _listing(runs_dir) == before
    ok = client.post("/api/validate", data={"source": "example:quickstart.yaml"}).json()
    assert ok["scenario"]["gpus"] == 2048 + 1152


def test_oversized_upload_is_413_and_writes_nothing(client, runs_dir):
    before = _listing(runs_dir)
    r = client.post("/api/validate", files={"file": ("big.yaml", b"#" * (1024 * 1024 + 1))})
    assert r.status_code == 413 and "upload limit of 1,048,576 bytes" in r.json()["detail"]
    r = client.post("/api/jobs", data={"text": "#" * (2 * 1024 * 1024)})
    assert r.status_code == 413
    assert _listing(runs_dir) == before


def test_scenarios_to_pick_and_bad_picks(client):
    ids = [s["id"] for s in client.get("/api/scenarios").json()["scenarios"]]
    assert "example:quickstart.yaml" in ids and "runs:quick_a/scenario.yaml" in ids
    assert not [i for i in ids if i.startswith("example:sweep-")]  # sweep files are not scenarios
    assert "duration_h: 12" in client.get("/api/scenarios/runs:quick_a%2Fscenario.yaml").json()["text"]
    r = client.get("/api/scenarios/runs:..%2F..%2Fetc%2Fpasswd")
    assert r.status_code == 404
    page = client.get("/new").text
    for needle in ('id="scenario-pick"', 'id="scenario-file"', 'id="scenario-text"', 'id="validate-button"',
                   'id="errors"', 'id="start-button"', 'id="cancel-button"', 'id="progress-bar"',
                   'id="progress-status"'):
        assert needle in page


def test_cross_site_post_is_refused(client):
    r = client.post("/api/validate", data={"source": "example:quickstart.yaml"},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_unknown_job(client):
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.post("/api/jobs/nope/cancel").status_code == 404
    assert client.get("/api/jobs/nope/events").status_code == 404


def test_offline_assets_are_served(client):
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    coast = client.get("/api/coastline").json()
    assert len(coast["lon"]) == len(coast["lat"]) > 1000
    assert client.get("/openapi.json").json()["info"]["title"] == "orbitgrid dashboard"


def test_api_docs_page_loads_swagger_from_this_server(client):
    """/docs names only this server's own swagger files (no CDN), and they are served."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/static/swagger-ui-bundle.js" in page.text
    js = client.get("/static/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 500_000 and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/swagger-ui.css").status_code == 200


def test_token_is_required_on_every_request(runs_dir):
    from fastapi.testclient import TestClient

    from orbitgrid.dashboard.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        c = TestClient(create_app(runs_dir, token="s3cret"))
    for path in ("/", "/runs/quick_a", "/api/runs", "/static/app.js", "/api/jobs/x/events", "/openapi.json"):
        r = c.get(path)
        assert r.status_code == 401, path
    assert "needs its token" in c.get("/api/runs").json()["detail"]
    assert c.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/api/runs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    r = c.get("/", params={"token": "s3cret"})  # the browser's way in: then a cookie
    assert r.status_code == 200 and "orbitgrid_token" in r.headers["set-cookie"]
    assert c.get("/static/app.js").status_code == 200  # the cookie carries it now
    assert c.post("/api/validate", data={"source": "example:quickstart.yaml"}).status_code == 200


def test_figure_keys_of_an_orbital_run(client):
    meta = client.get("/api/runs/orbit6").json()
    assert meta["orbital"] and "orbital-capacity" in meta["figures"]
    fig = client.get("/api/runs/orbit6/figures/power").json()
    assert "lowest charge" in fig["layout"]["title"]["text"]
    s = meta["summary"]
    assert f"{100 * s['battery_min_soc']:.1f} %" in fig["layout"]["title"]["text"]
    json.dumps(meta)  # NaN-free
    # the battery figure: per constellation a mean and a lowest-satellite trace, and its
    # lowest point is the summary's battery_min_soc (the same satellites, the same ticks)
    assert "battery" in meta["figures"]
    bat = client.get("/api/runs/orbit6/figures/battery").json()
    lows = [y for tr in bat["data"] if tr["name"].endswith("lowest satellite") for y in _ys(tr) if y is not None]
    assert len([tr for tr in bat["data"] if tr["name"].endswith(" mean")]) == 3
    assert min(lows) == pytest.approx(100 * s["battery_min_soc"], abs=1e-9)


def _ys(trace: dict) -> list:
    """A trace's y values from plotly JSON (a list, or a typed array {dtype, bdata})."""
    y = trace["y"]
    if isinstance(y, dict):
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return list(y)
