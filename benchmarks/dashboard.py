"""Dashboard benchmark: time to first byte of the run page and time to full render (every data
endpoint the page calls answered, and in headless Chromium every figure drawn) for runs of
10^4 and 10^6 jobs, against a real uvicorn server.

The run folders are synthesised, not simulated (simulating 10^6 jobs takes minutes): a real
24-hour quickstart run is simulated once, and its tables are scaled with their schema kept,
row by row: jobs and allocations repeated to N jobs over a 30-day horizon with fresh ids and
arrival times spread over it, the per-step tables (timeseries, queue) repeated day after day
to 30 days at the run's 300 s step. The summary is the real run's with its counts scaled.

    python benchmarks/dashboard.py                 # 10^4 and 10^6 jobs
    python benchmarks/dashboard.py --jobs 10000    # one size
    python benchmarks/dashboard.py --repeat 5

Each row is the median of --repeat loads after one warm-up load (which opens the database
file for the first time and is reported separately as "cold").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
DAYS = 30


def _small_run(work: Path):
    from orbitgrid.engine import simulate
    from orbitgrid.scenario import load_scenario

    text = (ROOT / "src/orbitgrid/examples/quickstart.yaml").read_text().replace("duration_h: 168 ", "duration_h: 24 ", 1)
    path = work / "quickstart_24h.yaml"
    path.write_text(text)
    loaded = load_scenario(path)
    return loaded, simulate(loaded)


def _repeat_days(table: pa.Table, days: int) -> pa.Table:
    """A per-step table of one day repeated `days` times, time_h shifted by 24 h each."""
    parts = []
    for d in range(days):
        t = table.set_column(table.schema.get_field_index("time_h"), "time_h",
                             pa.array(table["time_h"].to_numpy() + 24.0 * d))
        parts.append(t)
    return pa.concat_tables(parts)


def scale_tables(tables: dict[str, pa.Table], n_jobs: int, seed: int = 1) -> dict[str, pa.Table]:
    """The small run's tables grown to `n_jobs` jobs over DAYS days, schema unchanged."""
    rng = np.random.default_rng(seed)
    out = dict(tables)
    jobs = tables["jobs"]
    pick = rng.integers(0, jobs.num_rows, n_jobs)
    big = jobs.take(pa.array(pick))
    shift = np.sort(rng.uniform(0.0, 24.0 * (DAYS - 1), n_jobs)) - big["arrival_h"].to_numpy(zero_copy_only=False)
    for col in ("arrival_h", "released_h", "first_start_h", "end_h"):
        i = big.schema.get_field_index(col)
        values = big[col].to_numpy(zero_copy_only=False).astype(np.float64)
        big = big.set_column(i, col, pa.array(values + shift, type=pa.float64(), from_pandas=True))
    big = big.set_column(big.schema.get_field_index("job_id"), "job_id", pa.array(np.arange(n_jobs, dtype=np.int64)))
    out["jobs"] = big
    alloc = tables["allocations"]
    per_job = alloc.num_rows / jobs.num_rows
    n_alloc = int(round(per_job * n_jobs))
    a = alloc.take(pa.array(rng.integers(0, alloc.num_rows, n_alloc)))
    a = a.set_column(a.schema.get_field_index("job_id"), "job_id",
                     pa.array(np.sort(rng.integers(0, n_jobs, n_alloc)).astype(np.int64)))
    out["allocations"] = a
    for name in ("timeseries", "queue"):
        out[name] = _repeat_days(tables[name], DAYS)
    return out


def build_run(runs_dir: Path, n_jobs: int, loaded, result) -> str:
    from orbitgrid.results.store import write_run

    tables = scale_tables(result.tables, n_jobs)
    summary = dict(result.summary)
    summary.update(jobs_submitted=n_jobs, horizon_h=24.0 * DAYS, end_h=24.0 * DAYS)
    name = f"bench_{n_jobs}_jobs"
    write_run(runs_dir, name, tables, summary, loaded.text, {"seed": 1, "synthetic": f"scaled to {n_jobs} jobs"},
              write_report=False)
    return name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(client, base: str, name: str) -> dict[str, float]:
    """One page load: TTFB and whole page, then every figure endpoint at once (as the browser does)."""
    t0 = time.perf_counter()
    async with client.stream("GET", f"{base}/runs/{name}") as r:
        first = None
        async for _ in r.aiter_raw():
            first = first or time.perf_counter()
        r.raise_for_status()
    page = time.perf_counter()
    meta = (await client.get(f"{base}/api/runs/{name}")).json()
    urls = [f"{base}/api/runs/{name}/figures/{k}" for k in meta["figures"]]

    async def one(url):
        s = time.perf_counter()
        resp = await client.get(url)
        resp.raise_for_status()
        return url.rsplit("/", 1)[1], time.perf_counter() - s, len(resp.content)

    results = await asyncio.gather(*(one(u) for u in urls))
    end = time.perf_counter()
    row = {"ttfb_s": first - t0, "page_s": page - t0, "full_render_s": end - t0}
    for key, dt, size in results:
        row[f"{key}_s"] = dt
        row[f"{key}_kb"] = size / 1024
    return row


def _render_s(page, url: str) -> float:
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    return time.perf_counter() - t0


def _browser(base: str, names: dict[int, str], sizes: list[int], repeat: int) -> None:
    """Full render in a real browser: headless Chromium opens the run page and waits until
    the page marks every figure drawn (body[data-ready="1"]); skipped without a browser."""
    chromium = Path("/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\n# browser render: skipped (playwright is not installed)")
        return
    if not chromium.exists():
        print("\n# browser render: skipped (no /usr/bin/chromium)")
        return
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=args)
        try:
            for n in sizes:
                fresh, warm = [], []
                for _ in range(repeat):
                    # a new profile each time: nothing cached (a first visit)
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    fresh.append(_render_s(page, f"{base}/runs/{names[n]}"))
                    page.close()
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                _render_s(page, f"{base}/runs/{names[n]}")  # one visit fills the cache (plotly.js, compiled)
                for _ in range(repeat):
                    warm.append(_render_s(page, f"{base}/runs/{names[n]}"))
                context.close()
                print(f"\n{n:,} jobs in Chromium until every figure is drawn, median of {repeat}: "
                      f"first visit {statistics.median(fresh):.3f} s, later visits {statistics.median(warm):.3f} s")
        finally:
            browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", default="10000,1000000", help="job counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(float(x)) for x in args.jobs.split(",")]
    import duckdb
    import fastapi
    import httpx

    print(f"# orbitgrid dashboard benchmark: {platform.machine()} {os.cpu_count()} cores, python "
          f"{platform.python_version()}, duckdb {duckdb.__version__}, fastapi {fastapi.__version__}")
    with tempfile.TemporaryDirectory(prefix="orbitgrid-dash-bench-") as tmp:
        work = Path(tmp)
        runs = work / "runs"
        t = time.perf_counter()
        loaded, result = _small_run(work)
        names = {}
        for n in sizes:
            t = time.perf_counter()
            names[n] = build_run(runs, n, loaded, result)
            print(f"# built {names[n]} in {time.perf_counter() - t:.1f} s "
                  f"({(runs / names[n] / 'results.duckdb').stat().st_size / 2**20:.0f} MiB)")
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", "import sys, uvicorn; from orbitgrid.dashboard.app import create_app; "
             f"uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port={port}, log_level='warning')", str(runs)])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{base}/api/runs", timeout=1.0)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)

            async def bench():
                async with httpx.AsyncClient(timeout=60.0) as client:
                    for n in sizes:
                        cold = await _load(client, base, names[n])
                        rows = [await _load(client, base, names[n]) for _ in range(args.repeat)]
                        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                        figs = [k[:-2] for k in med if k.endswith("_s") and k not in ("ttfb_s", "page_s", "full_render_s")]
                        print(f"\n{n:,} jobs: cold full render {cold['full_render_s']:.3f} s; median of {args.repeat}:")
                        print(f"  {'TTFB /runs/NAME':<28} {med['ttfb_s']:.3f} s")
                        print(f"  {'full render (all figures)':<28} {med['full_render_s']:.3f} s")
                        for k in figs:
                            print(f"  {'figure ' + k:<28} {med[k + '_s']:.3f} s  {med[k + '_kb']:7.1f} kB")

            asyncio.run(bench())
            _browser(base, names, sizes, args.repeat)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
