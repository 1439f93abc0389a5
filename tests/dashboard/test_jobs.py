"""Runs started from the dashboard: a worker process, progress as server-sent events, the
server answering while it runs, and cancellation that leaves no folder behind."""

from __future__ import annotations

import json
import time

from tests.dashboard.conftest import short_scenario


def _events(client, job_id, stop_after_first_progress=False):
    """(event, data) pairs of the job's event stream, until it ends."""
    out = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))
                if event != "progress" or (stop_after_first_progress and out[-1][1]["sim_h"] > 0):
                    break
    return out


def _wait_end(client, job_id, timeout_s=120.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


def test_run_from_text_streams_progress_and_writes_the_folder(client, runs_dir, tmp_path):
    text = short_scenario("quickstart", 24, tmp_path).read_text()
    r = client.post("/api/jobs", data={"text": text, "seed": "7"})
    assert r.status_code == 202
    job_id = r.json()["id"]
    # the server answers other requests while the worker simulates
    t0 = time.perf_counter()
    assert client.get("/api/runs").status_code == 200
    assert time.perf_counter() - t0 < 2.0
    events = _events(client, job_id)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done", events[-1]
    final = events[-1][1]
    assert final["fraction"] == 1.0 and final["sim_h"] >= 24.0
    sims = [d["sim_h"] for k, d in events if k == "progress"]
    assert sims == sorted(sims)
    run = final["run"]
    assert run.startswith("quickstart_seed7_")
    meta = client.get(f"/api/runs/{run}").json()
    assert meta["summary"]["seed"] == 7 and meta["run_info"]["started_from"] == "dashboard"
    assert not list(runs_dir.glob(".*partial*"))


def test_cancel_leaves_no_folder(client, runs_dir):
    before = sorted(p.name for p in runs_dir.iterdir())
    r = client.post("/api/jobs", data={"source": "example:quickstart.yaml"})  # ~10 s of simulation
    job_id = r.json()["id"]
    _events(client, job_id, stop_after_first_progress=True)
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    job = _wait_end(client, job_id)
    assert job["status"] == "cancelled" and job["run"] is None
    assert sorted(p.name for p in runs_dir.iterdir()) == before  # no folder, no .partial
    events = _events(client, job_id)
    assert events == [("cancelled", events[0][1])]


def test_a_scenario_the_engine_rejects_fails_with_one_line(client, runs_dir, tmp_path):
    from orbitgrid.dashboard.jobs import JobManager

    before = sorted(p.name for p in runs_dir.iterdir())
    manager = JobManager(runs_dir)
    missing = tmp_path / "gone.yaml"  # validated once, then removed before the worker reads it
    job = manager.start(missing, "gone.yaml", None)
    deadline = time.monotonic() + 60
    while job.status not in ("done", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.status == "failed" and job.message.startswith("gone.yaml")
    assert sorted(p.name for p in runs_dir.iterdir()) == before
