"""Packaged world coastline for maps that must draw offline.

`catalog/coastline_110m.csv` is Natural Earth's 1:110m coastline (public domain; "Made with
Natural Earth. Free vector and raster map data @ naturalearthdata.com"), converted by
`scripts/build_coastline.py`: one `lon_deg,lat_deg` row per vertex and an empty row (`,`)
between polylines. plotly.js fetches its own base-map topojson from a CDN whenever a geo
base layer is shown, so the report keeps those off and draws this as a line trace.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

COASTLINE_FILE = "coastline_110m.csv"


@lru_cache(maxsize=1)
def _coastline() -> tuple[np.ndarray, np.ndarray]:
    text = resources.files("orbitgrid.catalog").joinpath(COASTLINE_FILE).read_text("utf-8")
    rows = text.splitlines()
    if not rows or rows[0].strip() != "lon_deg,lat_deg":
        raise ValueError(f"{COASTLINE_FILE}: expected header 'lon_deg,lat_deg'")
    lon, lat = [], []
    for row in rows[1:]:
        a, _, b = row.strip().partition(",")
        if a == "" and b == "":  # polyline break
            lon.append(np.nan)
            lat.append(np.nan)
        else:
            lon.append(float(a))
            lat.append(float(b))
    lon_a, lat_a = np.array(lon), np.array(lat)
    lon_a.flags.writeable = False
    lat_a.flags.writeable = False
    return lon_a, lat_a


def coastline_lon_lat() -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (degrees) of the world coastline, NaN between polylines,
    ready for a plotly `mode="lines"` trace (NaN breaks the line). Read once and cached;
    the arrays are read-only."""
    return _coastline()
