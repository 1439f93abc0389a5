"""Ideal carbon saved by temporal shifting, per zone and window (grid/shifting.py), in the
manner of "Let's Wait Awhile" (Wiesner et al., Middleware 2021): one-hour jobs submitted
every hour, each free to start up to W hours later at the best hour (perfect forecast).

    .venv/bin/python scripts/carbon_shifting.py                       # the packaged 2024 zones
    .venv/bin/python scripts/carbon_shifting.py ../shared/data/energy/carbon --year 2024
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from orbitgrid.errors import InputError
from orbitgrid.grid.series import PACKAGED_ZONES, packaged_carbon, read_carbon
from orbitgrid.grid.shifting import shifting_savings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, help="Electricity Maps files <ZONE>_<YEAR>_hourly.csv")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--windows", default="2,8,24", help="hours of delay allowed (default %(default)s)")
    ap.add_argument("--job-h", type=int, default=1, help="job length in hours (default 1)")
    a = ap.parse_args(argv)
    windows = [int(w) for w in a.windows.split(",")]
    try:
        if a.folder:
            zones = [(p.name.split("_")[0], read_carbon(p)) for p in sorted(a.folder.glob(f"*_{a.year}_hourly.csv"))]
        else:
            zones = [(z, packaged_carbon(z, a.year)) for z in PACKAGED_ZONES]
    except InputError as exc:
        print(exc.first_line(), file=sys.stderr)
        return 2
    table = Table(title=f"Ideal carbon saved by shifting {a.job_h}-h jobs, {a.year} (direct intensity)")
    for col in ["zone", "mean g/kWh"] + [f"≤ {w} h delay" for w in windows]:
        table.add_column(col, justify="right")
    for zone, (direct, _) in zones:
        table.add_row(zone, f"{direct.values.mean():.0f}",
                      *[f"{100 * shifting_savings(direct, a.job_h, w):.1f}%" for w in windows])
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
