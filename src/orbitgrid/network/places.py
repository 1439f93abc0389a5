"""Packaged places: the 1,000 most populous cities and the 261 Starlink gateways.

* ``catalog/network/cities_top1000.csv``: Hypatia's list of the 1,000 most populous
  cities (snkas/hypatia, ``paper/satellite_networks_state/input_data``, MIT licence),
  ranked by estimated 2025 population; rank 0 is the most populous.
* ``catalog/network/starlink_gateways.csv``: 261 Starlink gateway sites collected by
  StarPerf (SpaceNetLab/StarPerf_Simulator, ``config/ground_stations``, BSD-2-Clause).
  ``uplink_field`` / ``downlink_field`` are StarPerf's ``Uplink_Ghz`` / ``Downlink_Ghz``
  columns, kept verbatim: their unit is not documented there, so they are not used as rates.

Attribution: ``orbitgrid/DATA_SOURCES.md``. Nothing here reads outside the package.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class Place:
    """A named point: a city, a gateway, a coordinate, or a satellite (``sat_index``)."""

    name: str
    kind: str  # "city" | "gateway" | "coordinates" | "satellite"
    lat_deg: float = float("nan")
    lon_deg: float = float("nan")
    sat_index: int | None = None


@dataclass(frozen=True)
class PlaceTable:
    """Places of one kind as arrays (index i is one place)."""

    names: tuple[str, ...]
    lat_deg: np.ndarray
    lon_deg: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


class PlaceError(ValueError):
    """An unknown or malformed place; ``hint`` says what would have worked."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("orbitgrid.catalog").joinpath("network", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def load_cities() -> PlaceTable:
    """The 1,000 most populous cities, most populous first (Hypatia's list)."""
    rows = _read("cities_top1000.csv")
    return PlaceTable(
        tuple(r["name"] for r in rows),
        np.array([float(r["lat_deg"]) for r in rows]),
        np.array([float(r["lon_deg"]) for r in rows]),
    )


@lru_cache(maxsize=1)
def load_gateways() -> PlaceTable:
    """The 261 Starlink gateways of StarPerf, named ``GS<n> (<description>)``."""
    rows = _read("starlink_gateways.csv")
    return PlaceTable(
        tuple(f"{r['id']} ({r['description']})" for r in rows),
        np.array([float(r["lat"]) for r in rows]),
        np.array([float(r["lon"]) for r in rows]),
    )


def _norm(text: str) -> str:
    """Case-, accent- and punctuation-blind form: 'Sankt-Peterburg' -> 'sankt peterburg',
    'St. Petersburg' -> 'saint petersburg'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").casefold()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"\bst\b", "saint", text)


@lru_cache(maxsize=1)
def _city_aliases() -> dict[str, int]:
    """alias -> rank of the most populous city with it: the whole name, the part before
    a parenthesis and the part inside ('Moskva-(Moscow)': 'moskva moscow', 'moskva', 'moscow')."""
    aliases: dict[str, int] = {}
    for i, name in enumerate(load_cities().names):
        forms = [name, re.sub(r"\(.*?\)", "", name)] + re.findall(r"\((.*?)\)", name)
        for form in forms:
            key = _norm(form)
            if key:
                aliases.setdefault(key, i)
    return aliases


def find_city(text: str) -> int:
    """Rank of the city named ``text``: an exact alias, else the most populous city whose
    alias starts with it as whole words ('New York' -> 'New-York-Newark'). Raises
    PlaceError with the closest names as the hint."""
    key = _norm(text)
    aliases = _city_aliases()
    if key in aliases:
        return aliases[key]
    prefixed = [i for alias, i in aliases.items() if key and alias.startswith(key + " ")]
    if prefixed:
        return min(prefixed)
    close = difflib.get_close_matches(key, list(aliases), n=3, cutoff=0.6)
    names = load_cities().names
    hint = "did you mean " + " or ".join(repr(names[aliases[c]]) for c in dict.fromkeys(close)) + "?" if close else \
        "a city among the 1,000 most populous, a gateway (GS12), 'lat,lon' or sat:N"
    raise PlaceError(f"unknown place {text!r}", hint)


_COORDS = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?)\s*,\s*([-+]?\d+(?:\.\d*)?)\s*$")
_GATEWAY = re.compile(r"^gs(\d+)$", re.IGNORECASE)
_SAT = re.compile(r"^sat:(?:(\d+)|(\d+)/(\d+))$", re.IGNORECASE)


def parse_place(text: str, planes: int | None = None, sats_per_plane: int | None = None) -> Place:
    """A place from its name: 'lat,lon' (degrees), 'GS12' (a Starlink gateway), 'sat:N' or
    'sat:PLANE/SLOT' (a satellite of the shell, 0-based; needs ``planes`` and
    ``sats_per_plane``), else a city name (``find_city``)."""
    if m := _COORDS.match(text):
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 360.0):
            raise PlaceError(f"coordinates out of range: {text!r}", "latitude -90..90, longitude -180..360")
        return Place(f"{lat:g},{lon:g}", "coordinates", lat, lon)
    if m := _GATEWAY.match(text.strip()):
        gw = load_gateways()
        k = int(m.group(1)) - 1
        if not 0 <= k < len(gw):
            raise PlaceError(f"no gateway {text!r}", f"GS1 .. GS{len(gw)}")
        return Place(gw.names[k], "gateway", float(gw.lat_deg[k]), float(gw.lon_deg[k]))
    if m := _SAT.match(text.strip()):
        if planes is None or sats_per_plane is None:
            raise PlaceError(f"a satellite ({text!r}) needs a shell", "give --shell")
        n = planes * sats_per_plane
        idx = int(m.group(1)) if m.group(1) is not None else int(m.group(2)) * sats_per_plane + int(m.group(3))
        if m.group(1) is None and not (int(m.group(2)) < planes and int(m.group(3)) < sats_per_plane):
            raise PlaceError(f"no satellite {text!r} in a {planes} x {sats_per_plane} shell",
                             f"planes 0..{planes - 1}, slots 0..{sats_per_plane - 1}")
        if not 0 <= idx < n:
            raise PlaceError(f"no satellite {text!r} in a shell of {n}", f"sat:0 .. sat:{n - 1}")
        p, s = divmod(idx, sats_per_plane)
        return Place(f"sat:{idx} (plane {p}, slot {s})", "satellite", sat_index=idx)
    i = find_city(text)
    cities = load_cities()
    return Place(cities.names[i], "city", float(cities.lat_deg[i]), float(cities.lon_deg[i]))
