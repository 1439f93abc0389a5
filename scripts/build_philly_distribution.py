"""Build the packaged Philly job distribution from the Philly-derived trace given on the command line.

    python scripts/build_philly_distribution.py ../shared/data/traces/philly_derived_sia/philly.csv

Writes `src/orbitgrid/catalog/philly_jobs.csv`: for each gang size in the trace, how many
jobs had it and 51 quantiles (every 2%) of their durations in seconds. The generator's
`empirical: {name: philly}` draws a gang size by its share of jobs and a duration from that
size's quantile function, so sizes and durations keep their joint shape (big gangs run
longer in Philly) without shipping the trace. Source: Microsoft's Philly traces (Jeon et
al., USENIX ATC 2019; CC BY 4.0) in the derived per-job file of the Sia artifact.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src/orbitgrid/catalog/philly_jobs.csv"
QUANTILES = np.linspace(0.0, 1.0, 51)


def main(path: str) -> None:
    from orbitgrid.workload.traces import read_trace

    table, _ = read_trace("philly", path)
    gpus = table.column("gpus").to_numpy().astype(int)
    duration = table.column("duration_s").to_numpy(zero_copy_only=False).astype(float)
    lines = ["gpus,jobs," + ",".join(f"q{round(q * 100):03d}" for q in QUANTILES)]
    for size in np.unique(gpus):
        d = duration[gpus == size]
        q = np.quantile(d, QUANTILES)
        lines.append(f"{size},{d.size}," + ",".join(f"{x:.6g}" for x in q))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(lines) - 1} gang sizes, {gpus.size} jobs")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
