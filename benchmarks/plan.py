"""`orbitgrid plan` benchmark (issue 6's targets): wall time of the whole command on
examples/earth-vs-orbit.yaml, deterministic and with Monte Carlo samples, each in a fresh
process (the sun-synchronous sizing propagates a year once per process, so every case
pays it), through the CLI as a user runs it.

    .venv/bin/python benchmarks/plan.py
    .venv/bin/python benchmarks/plan.py --samples 1000,10000,100000 --repeat 3

Targets (issue 6): plan under 2 s; --samples 10000 under 30 s.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

from _machine import cpu_model  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "earth-vs-orbit.yaml"
ORBITGRID = [sys.executable, "-m", "orbitgrid"]


def time_case(samples: int, repeat: int) -> float:
    best = float("inf")
    cmd = ORBITGRID + ["plan", str(EXAMPLE), "--json"] + (["--samples", str(samples), "--seed", "1"] if samples else [])
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"plan failed: {done.stderr.strip()}")
        best = min(best, wall)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", default="0,10000", help="comma-separated sample counts (0: no samples)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the best wall time is shown")
    args = ap.parse_args()
    import numpy

    print(f"# orbitgrid plan on {EXAMPLE.relative_to(ROOT)}")
    print(f"# {cpu_model()}; Python {platform.python_version()}; numpy {numpy.__version__}")
    print(f"{'case':<32} {'wall s':>8} {'target s':>9}")
    for n in (int(x) for x in args.samples.split(",")):
        wall = time_case(n, args.repeat)
        name = "plan" if n == 0 else f"plan --samples {n:,}"
        target = "2" if n == 0 else "30" if n <= 10_000 else "-"
        print(f"{name:<32} {wall:>8.2f} {target:>9}")


if __name__ == "__main__":
    main()
