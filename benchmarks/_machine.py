"""What the benchmarks share: the CPU's name, a process's peak memory, a fresh process per case."""

from __future__ import annotations

import platform
import sys


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo where there is one, else what platform reports."""
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            return names[0]
    except OSError:
        pass
    return platform.processor() or "?"


def peak_rss_bytes() -> int:
    """This process's peak resident memory (ru_maxrss: bytes on macOS, KiB on Linux)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run_in_fresh_process(target, *args):
    """Call `target(*args, conn)` in a spawned process and return what it sends on `conn`:
    each case gets its own interpreter, so its peak memory is its own."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=target, args=(*args, child))
    p.start()
    out = parent.recv()
    p.join()
    return out
