"""Runs started from the dashboard: each in its own worker process, watched by a thread.

The worker ('spawn' start method: a fresh interpreter, nothing shared with the server's
threads) loads the scenario, calls `simulate` with a progress callback and writes the run
folder with the results store, sending ("progress", sim h, end h, events), ("stage", text),
("done", run name) or ("failed", one line) over a queue. The server's event loop never runs
a simulation, so pages stay responsive while a run goes.

Cancelling sends SIGTERM: the worker turns it into KeyboardInterrupt, exactly as `orbitgrid
run` does, so `write_run` removes its hidden `.NAME.partial-PID` folder; if the worker has not
gone within KILL_AFTER_S it is killed, and the watcher removes any partial folder the dead
process left (it knows the pid). A crashed worker is cleaned up the same way. A run folder
is therefore complete or absent, whatever happens to the worker.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

KILL_AFTER_S = 5.0
PROGRESS_EVERY_S = 0.2  # the worker sends progress at most this often
TERMINAL = ("done", "failed", "cancelled")


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def worker_main(scenario_path: str, display_name: str, seed: int | None, runs_dir: str, out: mp.Queue) -> None:
    """Entry point of the worker process: one run, reported over `out`."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        from orbitgrid.engine import simulate
        from orbitgrid.errors import InputError
        from orbitgrid.results.store import new_run_name, write_run
        from orbitgrid.scenario import load_scenario

        out.put(("stage", "loading"))
        try:
            loaded = load_scenario(scenario_path)
        except InputError as exc:
            out.put(("failed", exc.first_line().replace(scenario_path, display_name)))
            return
        sc = loaded.scenario
        seed_used = sc.simulation.seed if seed is None else seed
        last = [0.0]

        def progress(sim_s: float, end_s: float, events: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or sim_s >= end_s:
                last[0] = now
                out.put(("progress", sim_s / 3600.0, end_s / 3600.0, int(events)))

        out.put(("stage", "simulating"))
        wall0 = time.perf_counter()
        try:
            result = simulate(loaded, seed_used, progress)
        except InputError as exc:
            out.put(("failed", exc.first_line().replace(scenario_path, display_name)))
            return
        out.put(("stage", "writing"))
        run_dir = write_run(
            Path(runs_dir), new_run_name(sc.name, seed_used), result.tables, result.summary, loaded.text,
            {"scenario_file": display_name, "seed": seed_used, "policy": sc.policy.name,
             "simulate_wall_s": round(time.perf_counter() - wall0, 3), "started_from": "dashboard"},
        )
        out.put(("done", run_dir.name))
    except KeyboardInterrupt:  # cancelled: write_run has removed its partial folder
        out.put(("cancelled", "cancelled"))
    except Exception as exc:  # a bug or an engine self-check: one line, no folder
        out.put(("failed", f"run aborted, no run folder written: {type(exc).__name__}: {exc}"))


@dataclass
class Job:
    """One run started from the page, as the API shows it."""

    id: str
    scenario: str
    status: str = "starting"  # starting, loading, simulating, writing, done, failed, cancelled
    sim_h: float = 0.0
    end_h: float = 0.0
    events: int = 0
    run: str | None = None
    message: str | None = None
    started: float = field(default_factory=time.time)
    version: int = 0  # bumped on every change, for the event stream
    process: object = field(default=None, repr=False)
    cancel_requested: bool = False

    def as_json(self) -> dict[str, object]:
        fraction = min(1.0, self.sim_h / self.end_h) if self.end_h > 0 else (1.0 if self.status == "done" else 0.0)
        return {"id": self.id, "scenario": self.scenario, "status": self.status, "sim_h": self.sim_h,
                "end_h": self.end_h, "fraction": fraction, "events": self.events, "run": self.run,
                "message": self.message, "started": self.started}


class JobManager:
    """Starts, watches and cancels worker processes; keeps every job of this server's life."""

    def __init__(self, runs_dir: Path, max_running: int = 2):
        self.runs_dir = runs_dir
        self.max_running = max_running
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ctx = mp.get_context("spawn")

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self.jobs.values() if j.status not in TERMINAL]

    def start(self, scenario_path: Path, display_name: str, seed: int | None, cleanup: Path | None = None) -> Job:
        """Start a worker on `scenario_path`; `cleanup` (a temporary folder) goes when it ends."""
        if len(self.running()) >= self.max_running:
            raise RuntimeError(f"{self.max_running} runs are already going (hint: wait, or cancel one)")
        job = Job(id=uuid.uuid4().hex[:12], scenario=display_name)
        out = self._ctx.Queue()
        proc = self._ctx.Process(target=worker_main, name=f"orbitgrid-run-{job.id}", daemon=True,
                                 args=(str(scenario_path), display_name, seed, str(self.runs_dir), out))
        job.process = proc
        with self._lock:
            self.jobs[job.id] = job
        proc.start()
        threading.Thread(target=self._watch, args=(job, proc, out, cleanup), daemon=True,
                         name=f"watch-{job.id}").start()
        return job

    def _update(self, job: Job, **changes) -> None:
        with self._changed:
            for k, v in changes.items():
                setattr(job, k, v)
            job.version += 1
            self._changed.notify_all()

    def _watch(self, job: Job, proc, out, cleanup: Path | None) -> None:
        final: tuple | None = None
        while final is None:
            try:
                msg = out.get(timeout=0.2)
            except queue_mod.Empty:
                if not proc.is_alive():  # gone without a last word: drain, then call it
                    try:
                        msg = out.get(timeout=0.5)
                    except queue_mod.Empty:
                        code = proc.exitcode
                        final = ("cancelled", "cancelled") if job.cancel_requested else \
                            ("failed", f"the worker process ended unexpectedly (exit code {code}); no run folder written")
                        break
                else:
                    continue
            kind = msg[0]
            if kind == "progress":
                self._update(job, status="simulating", sim_h=msg[1], end_h=msg[2], events=msg[3])
            elif kind == "stage":
                self._update(job, status=msg[1])
            else:
                final = msg
        proc.join(timeout=KILL_AFTER_S)
        if proc.is_alive():
            proc.kill()
            proc.join()
        self._remove_partials(proc.pid)
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        kind, detail = final
        if job.cancel_requested and kind != "done":
            self._update(job, status="cancelled", message="cancelled: no run folder written")
        elif kind == "done":
            self._update(job, status="done", run=detail, sim_h=max(job.sim_h, job.end_h))
        else:
            self._update(job, status=kind, message=detail)

    def _remove_partials(self, pid: int | None) -> None:
        """Remove what a dead worker may have left: the store's hidden `.NAME.partial-PID`."""
        if pid is None or not self.runs_dir.is_dir():
            return
        for p in self.runs_dir.glob(f".*.partial-{pid}"):
            shutil.rmtree(p, ignore_errors=True)

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status in TERMINAL:
            return job
        job.cancel_requested = True
        proc = job.process
        if proc is not None and proc.is_alive():
            proc.terminate()  # SIGTERM -> KeyboardInterrupt in the worker

            def kill_late() -> None:
                proc.join(KILL_AFTER_S)
                if proc.is_alive():
                    proc.kill()

            threading.Thread(target=kill_late, daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self.jobs:
                raise KeyError(job_id)
            return self.jobs[job_id]

    def wait_change(self, job: Job, seen_version: int, timeout_s: float) -> int:
        """Block until `job` changes past `seen_version` or the timeout passes; its version."""
        with self._changed:
            self._changed.wait_for(lambda: job.version != seen_version, timeout=timeout_s)
            return job.version

    def shutdown(self) -> None:
        """Cancel every running job (the server is stopping): no worker outlives it."""
        for job in self.running():
            self.cancel(job.id)
        for job in list(self.jobs.values()):
            proc = job.process
            if proc is not None:
                proc.join(KILL_AFTER_S + 1.0)
