"""Orbit benchmark: satellite-steps per second, wall time and peak memory of our circular J2
propagator with a cylindrical sunlight test, against SGP4 (``sgp4``'s C++ ``SatrecArray``), for
10^3 to 10^6 satellites over one day at 60 s steps.

The shell is a Walker 53 deg, 550 km shell (F = 1), the same for both: for SGP4 each satellite
is a Satrec initialised (``sgp4init``, WGS-72) with the shell's elements, e = 1e-4, no drag.
Every case runs in a fresh process (multiprocessing, spawn), so its peak RSS (ru_maxrss) is its
own; only the propagation (and sunlight test) is timed, not building the shell.

- ours + sun: float32 positions from ``propagate_chunks`` (satellite blocks x time chunks, so
  memory stays flat), and for every satellite and step the cylindrical shadow test
  r.s < 0 and |r|^2 - (r.s)^2 < R^2 (``sun.in_shadow_cylindrical``'s test, fused into float32
  in-place operations here), summed into sunlit steps per satellite.
- ours: the positions alone.
- sgp4: ``SatrecArray.sgp4`` over the same times in chunks (it returns float64 positions and
  velocities); no sunlight test, so the ratio flatters SGP4 slightly.

    .venv/bin/python benchmarks/orbit.py                 # the full table (about 3 min on 2 cores)
    .venv/bin/python benchmarks/orbit.py --quick         # 10^3 and 10^4 satellites only
    .venv/bin/python benchmarks/orbit.py --sgp4-max 1e6  # also SGP4 at 10^6 (about 10 min more)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time
from dataclasses import dataclass

from _machine import cpu_model, peak_rss_bytes  # benchmarks/_machine.py (run as a script)

SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
SGP4_MAX_DEFAULT = 100_000  # SGP4 at 10^6 x 1440 steps takes about 10 minutes: extrapolated
STEPS = 1440  # one day
STEP_S = 60.0
ALTITUDE_KM, INCLINATION_DEG = 550.0, 53.0
EPOCH = "2025-12-07T00:00:00"
# Work in blocks of satellites x time steps, so memory stays flat whatever the shell: one
# float32 plane of a block (4 bytes x SAT_BLOCK x CHUNK_STEPS) is 1.3 MB, near a core's 2 MB
# L2 cache. Fewer satellites take longer chunks (same block size, fewer Python calls), in
# whole 20-minute anchor cells of the propagator.
SAT_BLOCK = 16_384
CHUNK_STEPS = 20
SGP4_CHUNK_STEPS = 60
KINDS = ("ours+sun", "ours", "sgp4")
WARM_UP_SATS = 100  # each case first runs this many satellites, untimed


@dataclass
class Case:
    kind: str
    n_sat: int


# --- the shell ----------------------------------------------------------------------------
def shell_layout(n_sat: int) -> tuple[int, int]:
    """(planes, satellites per plane) with planes x per plane = n_sat, planes <= per plane."""
    planes = int(n_sat**0.5)
    while n_sat % planes:
        planes -= 1
    return planes, n_sat // planes


def build_shell(n_sat: int):
    from orbitgrid.physics.orbits import walker_shell

    planes, per_plane = shell_layout(n_sat)
    return walker_shell(planes, per_plane, 1, INCLINATION_DEG, ALTITUDE_KM)


def build_satrecs(n_sat: int):
    """The shell as SGP4 satellites: sgp4init with its elements (e = 1e-4, argp 0, M = u0, no
    drag) and the two-body mean motion of 550 km. Not timed."""
    import numpy as np
    from sgp4.api import WGS72, Satrec, SatrecArray

    from orbitgrid.physics.orbits import julian_date, mean_motion_rad_s

    w = build_shell(n_sat)
    epoch_1950 = float(julian_date(np.datetime64(EPOCH))) - 2433281.5  # sgp4init counts days from 1949-12-31 0h
    n_rad_min = float(mean_motion_rad_s(w.a_km[0])) * 60.0
    sats = []
    for k in range(n_sat):  # building the test input, one Satrec per satellite
        s = Satrec()
        s.sgp4init(WGS72, "i", k % 99999, epoch_1950, 0.0, 0.0, 0.0, 1e-4, 0.0,
                   float(w.inclination_rad[k]), float(w.u0_rad[k]), n_rad_min, float(w.raan0_rad[k]))  # fmt: skip
        sats.append(s)
    return SatrecArray(sats)


# --- the timed work -----------------------------------------------------------------------
def run_ours(n_sat: int, with_sun: bool) -> dict:
    """Positions (and sunlit steps) of the shell over one day; returns what the check needs."""
    import numpy as np

    from orbitgrid.physics.constants import R_EARTH_KM
    from orbitgrid.physics.orbits import julian_date, propagate_chunks
    from orbitgrid.physics.sun import sun_direction_eci

    w = build_shell(n_sat)
    t_s = np.arange(STEPS) * STEP_S
    t0 = time.perf_counter()
    sun = sun_direction_eci(float(julian_date(np.datetime64(EPOCH))) + t_s / 86400.0).astype(np.float32)
    r2 = np.float32(R_EARTH_KM**2)
    lit_steps = np.zeros(n_sat, dtype=np.int64)
    block = min(SAT_BLOCK, n_sat)
    chunk = min(STEPS, max(CHUNK_STEPS, SAT_BLOCK * CHUNK_STEPS // block // CHUNK_STEPS * CHUNK_STEPS))
    # scratch laid out as the positions are (time-major: r[..., 0] is a (sats, steps) view of
    # a (steps, sats) buffer), so that every operation runs over contiguous memory
    along, perp2, tmp = (np.empty((chunk, block), dtype=np.float32) for _ in range(3))
    dark, behind = (np.empty((chunk, block), dtype=bool) for _ in range(2))
    checksum = 0.0
    for i0 in range(0, n_sat, block):
        k = slice(i0, min(i0 + block, n_sat))
        j0 = 0
        for t_chunk, r in propagate_chunks(w.a_km[k], w.inclination_rad[k], w.raan0_rad[k], w.u0_rad[k], t_s, chunk):
            j1 = j0 + t_chunk.shape[0]
            if not with_sun:
                checksum += float(r[0, 0, 0])
                j0 = j1
                continue
            n, m = r.shape[0], r.shape[1]
            a, p, q, d, b = (v[:m, :n].T for v in (along, perp2, tmp, dark, behind))
            x, y, z = r[..., 0], r[..., 1], r[..., 2]
            s = sun[j0:j1]
            np.multiply(x, s[:, 0], out=a)  # r . s, no unit vectors built
            a += np.multiply(y, s[:, 1], out=q)
            a += np.multiply(z, s[:, 2], out=q)
            np.multiply(x, x, out=p)  # |r|^2 - (r . s)^2: squared distance from the Sun line
            p += np.multiply(y, y, out=q)
            p += np.multiply(z, z, out=q)
            p -= np.multiply(a, a, out=q)
            np.less(p, r2, out=d)
            d &= np.less(a, 0.0, out=b)
            lit_steps[k] += m - np.count_nonzero(d, axis=1)
            j0 = j1
    wall = time.perf_counter() - t0
    peak_mb = peak_rss_bytes() / 2**20  # before the check below
    if not with_sun:
        return {"wall_s": wall, "peak_rss_mb": peak_mb, "lit_fraction": None, "checksum": checksum}
    # not timed: the fused float32 test against sun.in_shadow_cylindrical on float64 positions
    from orbitgrid.physics.orbits import propagate_circular_eci_km
    from orbitgrid.physics.sun import in_shadow_cylindrical

    m = min(n_sat, 256)
    r64 = propagate_circular_eci_km(w.a_km[:m], w.inclination_rad[:m], w.raan0_rad[:m], w.u0_rad[:m], t_s, np.float64)
    ref = STEPS - in_shadow_cylindrical(r64, sun.astype(np.float64)).sum(axis=1)
    return {"wall_s": wall, "peak_rss_mb": peak_mb, "lit_fraction": float(lit_steps.mean() / STEPS), "checksum": checksum,
            "sun_check": int(np.abs(ref - lit_steps[:m]).sum())}  # fmt: skip


def run_sgp4(n_sat: int) -> dict:
    import numpy as np

    from orbitgrid.physics.orbits import julian_date
    from orbitgrid.physics.tle import split_jd

    array = build_satrecs(n_sat)
    t_s = np.arange(STEPS) * STEP_S
    jd0 = float(julian_date(np.datetime64(EPOCH)))
    t0 = time.perf_counter()
    errors = 0
    for j0 in range(0, STEPS, SGP4_CHUNK_STEPS):
        whole, frac = split_jd(jd0, t_s[j0 : j0 + SGP4_CHUNK_STEPS] / 86400.0)
        err, r, v = array.sgp4(whole, frac)
        errors += int(np.count_nonzero(err))
        del r, v
    return {"wall_s": time.perf_counter() - t0, "sgp4_errors": errors}


def _child(case: Case, conn) -> None:
    try:
        import numpy  # noqa: F401  (imports before the baseline RSS)
        import sgp4.api  # noqa: F401

        import orbitgrid.physics.orbits  # noqa: F401
        import orbitgrid.physics.sun  # noqa: F401

        base = peak_rss_bytes()
        if case.kind == "sgp4":
            run_sgp4(WARM_UP_SATS)  # first calls (imports, allocator) out of the timing
            got = run_sgp4(case.n_sat)
        else:
            run_ours(WARM_UP_SATS, with_sun=case.kind == "ours+sun")
            got = run_ours(case.n_sat, with_sun=case.kind == "ours+sun")
        got.setdefault("peak_rss_mb", peak_rss_bytes() / 2**20)
        got.update(status="ok", base_rss_mb=base / 2**20)
        conn.send(got)
    except BaseException as exc:  # report any crash as the case's result
        import traceback

        conn.send({"status": f"error: {type(exc).__name__}: {exc}", "trace": traceback.format_exc()})
    finally:
        conn.close()


def run_case(case: Case, max_seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    parent, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case, child_end), daemon=True)
    proc.start()
    child_end.close()
    got = {"status": f"timeout (> {max_seconds:g} s)"}
    try:
        if parent.poll(max_seconds):
            try:
                got = parent.recv()
            except EOFError:
                got = {"status": "crashed"}
        else:
            proc.kill()
    finally:
        proc.join(timeout=30)
        parent.close()
    if got.get("status") == "crashed":
        got["status"] = f"crashed (exit code {proc.exitcode})"
    if got.get("trace"):
        print(got["trace"], file=sys.stderr, flush=True)
    return got


# --- output -------------------------------------------------------------------------------
def machine_info() -> str:
    import numpy
    import sgp4

    from sgp4.api import accelerated

    cpu = cpu_model()
    return (
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}); "
        f"python {platform.python_version()}, numpy {numpy.__version__}, sgp4 {sgp4.__version__} "
        f"(C++ accelerated: {accelerated})"
    )


def render(rows: list[tuple[Case, dict]]) -> str:
    rate = {(c.kind, c.n_sat): c.n_sat * STEPS / r["wall_s"] for c, r in rows if r.get("status") == "ok"}
    lines = [
        "| propagator | satellites | sat-steps | wall (s) | sat-steps/s | peak RSS (MB) | x SGP4 | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c, r in rows:
        if r.get("status") != "ok":
            lines.append(f"| {c.kind} | {c.n_sat:,} | {c.n_sat * STEPS:,} | - | - | - | - | {r.get('status')} |")
            continue
        sgp = rate.get(("sgp4", c.n_sat))
        ratio = f"{rate[(c.kind, c.n_sat)] / sgp:.1f}" if sgp and c.kind != "sgp4" else "-"
        sgp_runs = sorted(n for kind, n in rate if kind == "sgp4" and n < c.n_sat)
        if sgp is None and c.kind != "sgp4" and sgp_runs:  # against the largest SGP4 run
            ratio = f"~{rate[(c.kind, c.n_sat)] / rate[('sgp4', sgp_runs[-1])]:.1f} (vs {sgp_runs[-1]:,})"
        note = ""
        if r.get("lit_fraction") is not None:
            note = f"sunlit {r['lit_fraction']:.3f}; {r['sun_check']} of 256 x {STEPS} steps differ from in_shadow_cylindrical"
        if r.get("sgp4_errors"):
            note = f"{r['sgp4_errors']} SGP4 errors"
        lines.append(
            f"| {c.kind} | {c.n_sat:,} | {c.n_sat * STEPS:,} | {r['wall_s']:.2f} | {rate[(c.kind, c.n_sat)]:,.0f} "
            f"| {r['peak_rss_mb']:,.0f} | {ratio} | {note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10^3 and 10^4 satellites only")
    ap.add_argument("--sizes", help="comma-separated satellite counts, e.g. 1e3,1e6")
    ap.add_argument("--kinds", default=",".join(KINDS), help="of %(default)s")
    ap.add_argument("--sgp4-max", type=float, default=SGP4_MAX_DEFAULT, help="largest SGP4 case (default: %(default)g)")
    ap.add_argument("--max-seconds", type=float, default=1200.0, help="per case (default: %(default)g)")
    args = ap.parse_args(argv)
    sizes = [int(float(x)) for x in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise SystemExit(f"--kinds: unknown {bad} (known: {', '.join(KINDS)})")
    print(machine_info())
    print(f"shell: Walker {INCLINATION_DEG:g} deg, {ALTITUDE_KM:g} km, F = 1; one day at {STEP_S:g} s ({STEPS} steps) "
          f"from {EPOCH} UTC; ours float32, single-threaded, in blocks of {SAT_BLOCK:,} satellites x {CHUNK_STEPS} steps "
          f"(fewer satellites: longer chunks); "
          f"SGP4 in chunks of {SGP4_CHUNK_STEPS} steps; peak RSS = ru_maxrss of a fresh process per case", flush=True)  # fmt: skip
    rows: list[tuple[Case, dict]] = []
    for n in sizes:
        for kind in kinds:
            if kind == "sgp4" and n > args.sgp4_max:
                continue
            case = Case(kind, n)
            got = run_case(case, args.max_seconds)
            rows.append((case, got))
            wall = f"{got['wall_s']:.2f} s" if "wall_s" in got else got.get("status")
            print(f"  {kind:9s} {n:>9,}: {wall}", file=sys.stderr, flush=True)
    print(render(rows))
    sgp = {c.n_sat: c.n_sat * STEPS / r["wall_s"] for c, r in rows if c.kind == "sgp4" and r.get("status") == "ok"}
    if sgp and any(n > args.sgp4_max for n in sizes):
        n_top = max(sgp)
        for n in sizes:
            if n > args.sgp4_max:
                print(f"SGP4 at {n:,} satellites not run: at its {n_top:,}-satellite rate ({sgp[n_top]:,.0f} sat-steps/s, "
                      f"linear in satellites) it would take about {n * STEPS / sgp[n_top]:,.0f} s; "
                      f"its float64 positions and velocities would need chunks (48 bytes per sat-step)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
