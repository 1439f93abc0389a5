"""Browser tests of `orbitgrid serve`: two small real runs, the server in a subprocess and
Debian's Chromium driven by Playwright. Skipped as a whole where /usr/bin/chromium or the
playwright package is missing (`make test` installs Chromium when it can).

Every page a test opens is watched for JavaScript errors (console errors and uncaught
exceptions); a test fails on any, except failed loads it declares expected (a 4xx it
provokes on purpose). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from lab import SATELLITE  # tests/lab.py

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HERE = Path(__file__).parent
SCREENSHOTS = HERE.parents[1] / "test-artifacts" / "screenshots"
SERVER_START_S = 30.0


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium; `make test` does it as root)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=f"browser tests: {reason}"))



# two tiny scenarios: a ground site alone, and a site with a 53° shell (the orbit map and globe)
GROUND = """
name: ground-lab
simulation: {duration_h: 4, tick_s: 600, seed: 0}
sites:
  - name: lab
    location: {lat_deg: 47.6, lon_deg: -122.3}
    power_cap_mw: 1
    pue: 1.2
    pools:
      - {name: lab-h100, gpu: H100, count: 16}
workload:
  reference_gpu: H100
  generator: {arrival_rate_per_h: 6, gpus_per_job: {min: 1, max: 8}, duration_h: {median_h: 0.5, sigma: 0.5, max_h: 2}}
"""
ORBITAL = f"""
name: orbit-lab
simulation: {{duration_h: 4, start: "2026-05-01T00:00:00", tick_s: 300, seed: 1}}
sites:
  - name: ashburn
    location: {{lat_deg: 39.0, lon_deg: -77.5}}
    power_cap_mw: 1
    pue: 1.2
    pools:
      - {{name: ashburn-h100, gpu: H100, count: 8}}
constellations:
  - name: inclined
    shell: {{altitude_km: 550, inclination_deg: 53, planes: 2, sats_per_plane: 4, phasing: 1}}
    satellite: {SATELLITE}
    eclipse_policy: power_off
workload:
  reference_gpu: H100
  generator: {{arrival_rate_per_h: 3, gpus_per_job: {{min: 1, max: 4}}, duration_h: {{median_h: 0.5, sigma: 0.5, max_h: 2}}}}
"""


def _write_run(runs_dir: Path, path: Path, text: str) -> str:
    from orbitgrid.engine.run import simulate
    from orbitgrid.results.store import new_run_name, write_run
    from orbitgrid.scenario import load_scenario

    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    loaded = load_scenario(path)
    seed = loaded.scenario.simulation.seed
    result = simulate(loaded, seed)
    name = new_run_name(loaded.scenario.name, seed, datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    run = write_run(runs_dir, name, result.tables, result.summary, loaded.text,
                    {"scenario_file": str(path), "seed": seed, "policy": loaded.scenario.policy.name}, write_report=False)
    return run.name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, str]:
    """The two runs' names, in a fresh runs folder: {"ground": ..., "orbital": ..., "dir": ...}."""
    root = tmp_path_factory.mktemp("browser")
    runs_dir, src = root / "runs", root / "src"
    src.mkdir()
    return {"ground": _write_run(runs_dir, src / "ground.yaml", GROUND),
            "orbital": _write_run(runs_dir, src / "orbital.yaml", ORBITAL),
            "dir": str(runs_dir)}


@pytest.fixture(scope="session")
def server(runs, tmp_path_factory) -> str:
    """`orbitgrid serve --runs DIR --port PORT` in a subprocess; its base URL once it answers."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "orbitgrid", "serve", "--runs", runs["dir"], "--port", str(port)],
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"orbitgrid serve exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(url + "/", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"orbitgrid serve did not answer on {url} within {SERVER_START_S:g} s: "
                            f"{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and its workers
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    """A fresh page (1280 x 900, downloads accepted) whose JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, base_url=server)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []

    # answers the app gives on purpose (a 4xx for bad input) that Chromium logs as failed
    # loads; a test adds the paths it provokes (the app serves a favicon, so none by default).
    pg.expected_http = set()

    def on_console(msg) -> None:
        url = msg.location.get("url", "")
        expected = msg.text.startswith("Failed to load resource") and url.endswith(tuple(pg.expected_http))
        if msg.type == "error" and not expected:
            errors.append(f"console {msg.type}: {msg.text} ({url})")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    pg.js_errors = errors
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on {request.node.name}: " + " | ".join(errors)


@pytest.fixture
def shot(page):
    """shot(name): save the page as test-artifacts/screenshots/NAME.png (full page)."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
