"""Sweep benchmark: N points of examples/quickstart.yaml (arrival rate and seed drawn by a
Latin hypercube), run four ways, each writing the same run folders:

  loop     a plain Python loop: plan the points, then simulate + write_run one after another
  here     `orbitgrid sweep --workers 1` (in this process, no Ray): adds the table and report
  ray-1    `orbitgrid sweep --workers 1` forced onto a local Ray with one worker
  ray-2    a local Ray with two workers

Wall times include everything each way does (Ray's start-up too; planning and validating
the points for the sweeps; the loop's planning is not timed; a one-point warm-up runs
first, untimed). Speed-up and overhead per point are against the loop. `--orbit-points K` adds the saving of shared worlds: K points
of examples/orbit.yaml that differ only in policy and checkpoint interval (one world), in
this process with and without sharing.

    .venv/bin/python benchmarks/sweep.py                        # 200 points (long: ~8 s a point here)
    .venv/bin/python benchmarks/sweep.py --points 24 --modes loop,here,ray-2
    .venv/bin/python benchmarks/sweep.py --points 0 --orbit-points 4 --orbit-duration-h 168
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "orbitgrid" / "examples"
MODES = ("loop", "here", "ray-1", "ray-2")


def quickstart_sweep(folder: Path, points: int, duration_h: float | None) -> Path:
    grid = f"grid:\n  simulation.duration_h: [{duration_h}]\n" if duration_h else ""
    text = (f"name: bench\nbase: {EXAMPLES / 'quickstart.yaml'}\n{grid}"
            f"samples:\n  method: lhs\n  n: {points}\n  seed: 1\n  params:\n"
            "    workload.generator.arrival_rate_per_h: {uniform: [90, 150]}\n"
            "    simulation.seed: {integer: [1, 1000000]}\n")
    path = folder / "bench-sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def orbit_sweep(folder: Path, points: int, duration_h: float | None) -> Path:
    policies = ["fifo", "backfill"]  # the quick ones: a point's time is then mostly its world's
    intervals = [0.5, 1, 2, 4, 8, 16]
    cases = "\n".join(f"  - {{policy.name: {policies[i % 2]}, workload.checkpoint_interval_h: {intervals[i // 2 % 6]}}}"
                      for i in range(points))
    grid = f"grid:\n  simulation.duration_h: [{duration_h}]\n" if duration_h else ""
    text = f"name: bench-orbit\nbase: {EXAMPLES / 'orbit.yaml'}\n{grid}list:\n{cases}\n"
    path = folder / "bench-orbit.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def plain_loop(sweep: Path, out: Path) -> float:
    """Simulate and write every point one after another; seconds (planning not counted)."""
    from orbitgrid.engine.run import simulate
    from orbitgrid.results.store import write_run
    from orbitgrid.sweep.points import plan_points
    from orbitgrid.sweep.spec import load_sweep

    plan = plan_points(load_sweep(sweep))
    started = time.perf_counter()
    for pt in plan.points:
        result = simulate(pt.loaded, pt.seed)
        write_run(out, pt.point_id, result.tables, result.summary, pt.loaded.text, {"seed": pt.seed}, write_report=False)
    return time.perf_counter() - started


def by_sweep(sweep: Path, out: Path, workers: int, force_ray: bool, share: bool = True) -> float:
    from rich.console import Console

    from orbitgrid.sweep.command import sweep_command

    quiet = Console(file=io.StringIO())
    address = None
    if force_ray:  # --workers 1 means "in this process": start the one-worker Ray here instead
        import logging

        import ray

        started = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        try:
            code = sweep_command(sweep, out, max(workers, 2), address, False, False, False, quiet, quiet, share)
        finally:
            ray.shutdown()
    else:
        started = time.perf_counter()
        code = sweep_command(sweep, out, workers, address, False, False, False, quiet, quiet, share)
    if code != 0:
        raise SystemExit(f"sweep exited {code}")
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=200, help="quickstart points (0: skip)")
    ap.add_argument("--duration-h", type=float, default=None, help="shorten the quickstart week to this many hours")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES))
    ap.add_argument("--orbit-points", type=int, default=0, help="orbit points for the shared-world saving (0: skip)")
    ap.add_argument("--orbit-duration-h", type=float, default=None, help="shorten the orbit example's 30 days")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    bad = [m for m in modes if m not in MODES]
    if bad:
        ap.error(f"unknown mode {bad[0]!r}")
    import orbitgrid

    print(f"orbitgrid {orbitgrid.__version__}, Python {platform.python_version()}, {cpu_model()}, "
          f"{os.cpu_count()} CPUs visible")
    with tempfile.TemporaryDirectory(prefix="orbitgrid-bench-sweep-") as tmp:
        root = Path(tmp)
        if args.points:
            # warm up: the first simulate of a process imports and compiles what the rest reuse
            plain_loop(quickstart_sweep(root, 1, 1.0), root / "warm-up")
            sweep = quickstart_sweep(root, args.points, args.duration_h)
            rows = []
            for mode in modes:
                out = root / mode
                if mode == "loop":
                    wall = plain_loop(sweep, out)
                elif mode == "here":
                    wall = by_sweep(sweep, out, 1, force_ray=False)
                else:
                    wall = by_sweep(sweep, out, int(mode[-1]), force_ray=mode == "ray-1")
                rows.append((mode, wall))
                print(f"  {mode}: {wall:.1f} s", file=sys.stderr)
                shutil.rmtree(out, ignore_errors=True)
            loop = dict(rows).get("loop")
            what = f"quickstart, {args.points} points" + (f", {args.duration_h:g} h each" if args.duration_h else ", 168 h each")
            print(f"\n{what}\n{'mode':<7}{'points':>8}{'wall s':>10}{'s/point':>10}{'speed-up':>10}{'overhead s/pt':>15}")
            for mode, wall in rows:
                speed = f"{loop / wall:.2f}" if loop else "-"
                over = f"{(wall - loop) / args.points:+.3f}" if loop else "-"
                print(f"{mode:<7}{args.points:>8}{wall:>10.1f}{wall / args.points:>10.2f}{speed:>10}{over:>15}")
        if args.orbit_points:
            sweep = orbit_sweep(root, args.orbit_points, args.orbit_duration_h)
            days = f"{args.orbit_duration_h:g} h" if args.orbit_duration_h else "720 h"
            world_s, own_s, shared_s = world_saving(sweep)
            print(f"\norbit example ({days}), one point, best of 3 / 2 / 2 in this process:")
            print(f"  build_world {world_s:.2f} s; simulate with its own world {own_s:.2f} s, "
                  f"with a shared read-only one {shared_s:.2f} s: sharing saves {own_s - shared_s:.2f} s "
                  f"({100 * (1 - shared_s / own_s):.0f}%) of each point after the first")
            walls = {}
            for share in (False, True):
                out = root / f"orbit-{share}"
                walls[share] = by_sweep(sweep, out, 1, force_ray=False, share=share)
                shutil.rmtree(out, ignore_errors=True)
            print(f"orbit sweep, {args.orbit_points} points (fifo and backfill x checkpoint intervals), one world:")
            print(f"{'worlds':<16}{'wall s':>10}{'s/point':>10}")
            for share, label in ((False, "one per point"), (True, "shared")):
                print(f"{label:<16}{walls[share]:>10.1f}{walls[share] / args.orbit_points:>10.2f}")


def world_saving(sweep: Path) -> tuple[float, float, float]:
    """(build_world s, simulate s with its own world, simulate s with a shared frozen one)
    for the sweep's first point, each the best of a few tries, interleaved."""
    from orbitgrid.engine.run import simulate
    from orbitgrid.sweep.points import plan_points
    from orbitgrid.sweep.shared import make_world
    from orbitgrid.sweep.spec import load_sweep

    pt = plan_points(load_sweep(sweep)).points[0]
    sc, base = pt.loaded.scenario, pt.loaded.base_dir

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    world_s = min(timed(lambda: make_world(sc, base, pt.seed)) for _ in range(3))
    world = make_world(sc, base, pt.seed)
    own, shared = [], []
    for _ in range(2):
        own.append(timed(lambda: simulate(pt.loaded, pt.seed)))
        shared.append(timed(lambda: simulate(pt.loaded, pt.seed, world=world)))
    return world_s, min(own), min(shared)

if __name__ == "__main__":
    main()
