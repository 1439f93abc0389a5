"""Running the points: one after another in this process (`--workers 1`, no Ray), or as
Ray tasks on a local Ray started here or on a cluster (`--address`).

Each point simulates and writes its own run folder through the results store (complete or
absent) and returns only a small outcome: ok, or failed with its error on one line. A
point that fails does not stop the others. Worlds that several points share are built
once (shared.py): in this process by a cache, on Ray by one task whose result every point
task reads from the object store.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from orbitgrid.errors import InputError
from orbitgrid.scenario import LoadedScenario

from orbitgrid.sweep.shared import WorldCache, make_world, shared_keys


# set by the sweep's Ctrl-C handler (command.py): an error raised while it lands (DuckDB, for
# one, turns a KeyboardInterrupt into its own exception) is the interruption, not a failed point
INTERRUPTED = threading.Event()


@dataclass(frozen=True)
class PointTask:
    """What a point needs to run anywhere: plain data, pickled to Ray workers."""

    point_id: str
    index: int
    values: dict[str, Any]
    seed: int
    loaded: LoadedScenario
    world_key: str
    points_dir: str  # absolute: Ray workers need not share the driver's working folder
    sweep_name: str
    write_report: bool = False


@dataclass(frozen=True)
class Outcome:
    point_id: str
    ok: bool
    error: str | None
    wall_s: float


OnDone = Callable[[Outcome], None]


class RayStartError(RuntimeError):
    """Ray could not be started or reached (a bad --address)."""


def one_line(exc: BaseException) -> str:
    """An exception as the one line the points table keeps."""
    cause = getattr(exc, "cause", None)  # a RayTaskError wraps the point's own exception
    if isinstance(cause, BaseException) and cause is not exc:
        return one_line(cause)
    if isinstance(exc, InputError):
        return exc.first_line()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_point(task: PointTask, world=None, progress=None) -> Outcome:
    """Simulate one point and write its run folder `points_dir/point_id`; never raises for a
    failed point (KeyboardInterrupt and the like pass through, leaving no partial folder).
    `progress` is simulate's callback (here: the sweep's progress bar, redrawn from this
    thread)."""
    from orbitgrid.engine.run import simulate
    from orbitgrid.results.store import write_run

    started = time.perf_counter()
    try:
        result = simulate(task.loaded, task.seed, progress=progress, world=world)
        sim_s = time.perf_counter() - started
        sc = task.loaded.scenario
        info = {
            "scenario_file": str(task.loaded.file), "seed": task.seed, "policy": sc.policy.name,
            "simulate_wall_s": round(sim_s, 3), "sweep": task.sweep_name, "sweep_point_id": task.point_id,
            "sweep_point_index": task.index, "sweep_parameters": task.values, "shared_world": world is not None,
        }
        write_run(Path(task.points_dir), task.point_id, result.tables, result.summary, task.loaded.text, info,
                  write_report=task.write_report)
    except Exception as exc:  # noqa: BLE001 - any failure of one point is that point's result
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt from None
        return Outcome(task.point_id, False, one_line(exc), time.perf_counter() - started)
    return Outcome(task.point_id, True, None, time.perf_counter() - started)


def run_here(tasks: list[PointTask], on_done: OnDone, tick: Callable[[], None] | None = None) -> int:
    """Run every task in this process, grouped by world so each shared World is built once
    and dropped after its last point; returns how many shared worlds were built. `tick` is
    called often while a point runs (to redraw a progress bar without a thread of its own)."""
    progress = (lambda *_: tick()) if tick is not None else None
    cache = WorldCache([t.world_key for t in tasks])
    for task in sorted(tasks, key=lambda t: (t.world_key, t.index)):
        sc = task.loaded.scenario
        try:
            world = cache.take(task.world_key, sc, task.loaded.base_dir, task.seed)
        except Exception as exc:  # noqa: BLE001 - the world of this point (and its key) fails
            on_done(Outcome(task.point_id, False, one_line(exc), 0.0))
            continue
        on_done(run_point(task, world, progress))
    return cache.built


def run_on_ray(tasks: list[PointTask], on_done: OnDone, workers: int | None, address: str | None,
               tick: Callable[[], None] | None = None) -> int:
    """Run the tasks as Ray tasks; returns how many shared worlds were built. A local Ray
    is started with `workers` CPUs unless one is running in this process already (and
    is then left running); `address` connects to a cluster instead, where at most
    `workers` points are in flight (None: the cluster's CPUs). Ctrl-C cancels every task still running (each
    removes its partial folder) and re-raises."""
    import ray

    started_here = False
    if not ray.is_initialized():
        quiet = dict(logging_level=logging.ERROR, log_to_driver=False)
        if address:
            check_reachable(address)
        try:
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, **quiet)
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError, ...
            raise RayStartError(f"cannot start or reach Ray{' at ' + address if address else ''}: {one_line(exc)}") from None
        started_here = True
    try:
        return _drive(ray, tasks, on_done, workers or int(ray.cluster_resources().get("CPU", 1)), tick)
    finally:
        if started_here:
            ray.shutdown()


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """RayStartError unless HOST:PORT (or ray://HOST:PORT) answers a TCP connection: Ray
    itself retries an unreachable head for minutes, logging as it goes."""
    import socket

    hostport = address.removeprefix("ray://").rsplit("/", 1)[0]
    if address == "auto" or ":" not in hostport:
        return  # `auto` finds a local cluster (or fails at once); let Ray resolve the rest
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise RayStartError(f"cannot reach Ray at {address}: {reason}") from None


def _drive(ray, tasks: list[PointTask], on_done: OnDone, workers: int, tick: Callable[[], None] | None) -> int:
    """Submit tasks with at most 2 x workers in flight, report each as it finishes (and
    call `tick` at least once a second while waiting)."""
    point_fn = ray.remote(num_cpus=1, max_retries=1)(run_point)
    world_fn = ray.remote(num_cpus=1, max_retries=1)(make_world)
    shared = shared_keys([t.world_key for t in tasks])
    worlds: dict[str, Any] = {}
    window = max(2 * workers, 2)
    queue: Iterable[PointTask] = iter(sorted(tasks, key=lambda t: t.index))
    pending: dict[Any, PointTask] = {}
    try:
        while True:
            for task in queue:
                world = None
                if task.world_key in shared:
                    if task.world_key not in worlds:
                        worlds[task.world_key] = world_fn.remote(task.loaded.scenario, task.loaded.base_dir, task.seed)
                    world = worlds[task.world_key]
                pending[point_fn.remote(task, world)] = task
                if len(pending) >= window:
                    break
            if not pending:
                return len(worlds)
            done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            if tick is not None:
                tick()
            for ref in done:
                task = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayError as exc:  # a worker crashed, or the shared world failed
                    outcome = Outcome(task.point_id, False, one_line(exc), 0.0)
                on_done(outcome)
    except KeyboardInterrupt:
        _cancel(ray, list(pending))
        raise


def _cancel(ray, refs: list) -> None:
    """Interrupt running tasks (KeyboardInterrupt inside them: write_run removes its partial
    folder) and wait a little for them to stop."""
    for ref in refs:
        try:
            ray.cancel(ref, force=False)
        except Exception:  # noqa: BLE001 - already finished or gone
            pass
    if refs:
        try:
            ray.wait(refs, num_returns=len(refs), timeout=10.0)
        except Exception:  # noqa: BLE001
            pass
