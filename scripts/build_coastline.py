"""Build the packaged coastline from Natural Earth's 1:110m coastline GeoJSON.

    python scripts/build_coastline.py path/to/ne_110m_coastline.geojson

Reads `ne_110m_coastline.geojson` (Natural Earth, public domain; "Made with Natural Earth.
Free vector and raster map data @ naturalearthdata.com") and writes
`src/orbitgrid/catalog/coastline_110m.csv`: header `lon_deg,lat_deg`, one row per vertex
with the coordinates exactly as written in the source, and an empty row (`,`) between
polylines. Every polyline of every (Multi)LineString feature is kept, in file order.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/orbitgrid/catalog/coastline_110m.csv"


def polylines(geojson: dict) -> list[list[tuple[Decimal, Decimal]]]:
    """Every polyline of every LineString / MultiLineString feature, in file order."""
    lines = []
    for feature in geojson["features"]:
        geom = feature["geometry"]
        if geom["type"] == "LineString":
            lines.append(geom["coordinates"])
        elif geom["type"] == "MultiLineString":
            lines.extend(geom["coordinates"])
        else:
            raise ValueError(f"unexpected geometry type {geom['type']!r}")
    return [[(pt[0], pt[1]) for pt in line] for line in lines]


def _fmt(x: Decimal) -> str:
    return format(x, "f")  # as written in the source, no float round trip


def to_csv(lines: list[list[tuple[Decimal, Decimal]]]) -> str:
    rows = ["lon_deg,lat_deg"]
    for i, line in enumerate(lines):
        if i:
            rows.append(",")
        rows.extend(f"{_fmt(lon)},{_fmt(lat)}" for lon, lat in line)
    return "\n".join(rows) + "\n"


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        geojson = json.load(f, parse_float=Decimal, parse_int=Decimal)
    lines = polylines(geojson)
    OUT.write_text(to_csv(lines), encoding="utf-8")
    print(f"wrote {OUT}: {len(lines)} polylines, {sum(map(len, lines))} vertices")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
