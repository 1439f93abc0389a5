"""The packaged Natural Earth 1:110m coastline (`catalog/coastline_110m.csv`).

Source: Natural Earth `ne_110m_coastline.geojson` (public domain), read from the public
repository gisalgs/data at commit eada4af5bff8dc658fda950cb03ad68a21b9213c (146,440
characters). Counted while reading it: 134 features, each a MultiLineString of one
polyline, so 134 polylines and 5,128 vertices in all (133 of the features are
featurecla "Coastline", the last one "Country"; all are kept).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from orbitgrid.catalog.coastlines import coastline_lon_lat

POLYLINES = 134
VERTICES = 5128



def test_counts_match_the_source() -> None:
    lon, lat = coastline_lon_lat()
    assert lon.shape == lat.shape == (VERTICES + POLYLINES - 1,)
    assert np.array_equal(np.isnan(lon), np.isnan(lat))
    assert int(np.isnan(lon).sum()) == POLYLINES - 1
    assert int((~np.isnan(lon)).sum()) == VERTICES
    assert not np.isnan(lon[0]) and not np.isnan(lon[-1])
    assert not np.any(np.isnan(lon[1:]) & np.isnan(lon[:-1]))  # no empty polyline


def test_csv_layout() -> None:
    text = resources.files("orbitgrid.catalog").joinpath("coastline_110m.csv").read_text("utf-8")
    rows = text.splitlines()
    assert rows[0] == "lon_deg,lat_deg"
    assert rows.count(",") == POLYLINES - 1
    assert len(rows) == 1 + VERTICES + POLYLINES - 1
    for row in rows[1:]:
        if row != ",":
            for x in row.split(","):
                assert len(x.partition(".")[2]) <= 5, row  # at most 5 decimals, as in the source


def test_known_vertices() -> None:
    lon, lat = coastline_lon_lat()
    # First vertex of the first polyline (an Antarctic island), as read.
    assert (lon[0], lat[0]) == (-163.7129, -78.59567)
    # Ireland: the second polyline, first vertex -6.19788, 53.86757, closed ring of 12 vertices.
    breaks = np.flatnonzero(np.isnan(lon))
    ireland = slice(breaks[0] + 1, breaks[1])
    assert (lon[ireland][0], lat[ireland][0]) == (-6.19788, 53.86757)
    assert (lon[ireland][-1], lat[ireland][-1]) == (-6.19788, 53.86757)
    assert breaks[1] - breaks[0] - 1 == 12
    # Last vertex of the file (the last feature), as read.
    assert (lon[-1], lat[-1]) == (-106.6, 73.6)


def test_ranges_and_cache() -> None:
    lon, lat = coastline_lon_lat()
    ok = ~np.isnan(lon)
    assert np.all((lon[ok] >= -180) & (lon[ok] <= 180))
    assert np.all((lat[ok] >= -90) & (lat[ok] <= 90))
    assert lon[ok].min() == -180.0 and lon[ok].max() == 180.0
    again = coastline_lon_lat()
    assert again[0] is lon and again[1] is lat
    assert not lon.flags.writeable
