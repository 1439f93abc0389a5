"""Build the packaged dose table from the SPENVIS outputs in a folder given on the command line.

    python scripts/build_spenvis_table.py ../shared/data/orbit/spenvis_550km

Reads one SPENVIS SHIELDOSE-2 summary per inclination (files named `<inclination>.txt`,
5-year mission, 550 km circular orbit, AP8-MIN / AE8-MAX) and writes
`src/orbitgrid/catalog/spenvis_dose_550km.csv`: inclination, aluminium thickness, and the
5-year dose in rad(Si) in total and by source.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/orbitgrid/catalog/spenvis_dose_550km.csv"
ROW = re.compile(r"^\s*([0-9.E+-]+),\s*([0-9.E+-]+),\s*([0-9.E+-]+),\s*([0-9.E+-]+),\s*([0-9.E+-]+)\s*$")


def main(folder: str) -> None:
    rows = []
    for path in sorted(Path(folder).glob("*.txt"), key=lambda p: float(p.stem)):
        text = path.read_text(encoding="latin-1")
        if "'MIS_DUR',  1, 1.825000E+03,'days'" not in text:
            raise SystemExit(f"{path}: not a 5-year (1825-day) mission")
        for line in text.splitlines():
            m = ROW.match(line)
            if m:
                rows.append((float(path.stem), *(float(x) for x in m.groups())))
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["inclination_deg", "al_mm", "dose_5y_total_rad", "dose_5y_electrons_rad",
                      "dose_5y_bremsstrahlung_rad", "dose_5y_trapped_protons_rad"])
        for row in rows:
            out.writerow([f"{row[0]:g}"] + [f"{v:.4E}" for v in row[1:]])
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
