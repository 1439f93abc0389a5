"""Hourly grid series per zone: wholesale price (USD/MWh) and carbon intensity (gCO2eq/kWh,
direct and life-cycle), read from CSV and put on the simulation's ticks.

Formats (those of `../shared/data/energy/`, from HewlettPackard/green-dcc):

* prices: `Datetime (UTC),Datetime (Local),Price (USD/MWh)`, e.g.
  `2024-03-10 10:00:00+00:00,2024-03-10 03:00:00-07:00,46.90`. The local column carries the
  zone's UTC offset on each row, so daylight-saving changes come from the file, not from a
  time-zone database.
* carbon: Electricity Maps' hourly export, `Datetime (UTC)`, `Zone Id`,
  `Carbon Intensity gCO₂eq/kWh (direct)`, `Carbon Intensity gCO₂eq/kWh (LCA)`, and other
  columns that are not read. Times are UTC.

Each row is one hour starting at its UTC time; rows must run in order, one hour apart, with
finite values (prices may be negative). A bad row gives `FILE:LINE: column: message`.
A year of three US zones (CAISO, ERCOT, PJM; 2024) is packaged (`catalog/grid/`, attribution
in DATA_SOURCES.md); any other zone is read from a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orbitgrid.errors import InputError, Problem

HOUR_S = 3600
PRICE_COLUMNS = ("Datetime (UTC)", "Datetime (Local)", "Price (USD/MWh)")
CARBON_TIME = "Datetime (UTC)"
CARBON_DIRECT = "Carbon Intensity gCO₂eq/kWh (direct)"
CARBON_LCA = "Carbon Intensity gCO₂eq/kWh (LCA)"
PACKAGED_ZONES = ("US-CAL-CISO", "US-MIDA-PJM", "US-TEX-ERCO")
PACKAGED_YEARS = (2024,)


@dataclass(frozen=True)
class HourlySeries:
    """One value per hour: `values[i]` holds from `start_s[i]` (UTC, s since 1970) for an hour."""

    zone: str
    quantity: str  # "price_usd_per_mwh", "carbon_direct_g_per_kwh", "carbon_lca_g_per_kwh"
    start_s: np.ndarray  # int64
    values: np.ndarray  # float64
    utc_offset_s: np.ndarray | None = None  # int64 local offset of each hour, where the file gives it

    @property
    def end_s(self) -> int:
        return int(self.start_s[-1]) + HOUR_S

    def local_hour(self) -> np.ndarray:
        """Local hour of day (0-23) of each row; needs the file's local times."""
        if self.utc_offset_s is None:
            raise ValueError(f"{self.zone}: the file gives no local time")
        return ((self.start_s + self.utc_offset_s) // HOUR_S) % 24

    def on_ticks(self, tick_start_s: np.ndarray, tick_s: float | np.ndarray) -> np.ndarray:
        """The time-weighted mean over each tick [t, t + tick_s) (one width, or one per tick):
        the hourly value itself for ticks within an hour, the average of the hours it spans
        for longer ones. Raises ValueError for a tick outside the series."""
        t = np.asarray(tick_start_s, dtype=np.float64)
        if t.size == 0:
            return np.zeros(0)
        width = np.broadcast_to(np.asarray(tick_s, dtype=np.float64), t.shape)
        lo, hi = float(self.start_s[0]), float(self.end_s)
        if t.min() < lo or (t + width).max() > hi:
            raise ValueError(f"{self.zone} {self.quantity}: the series covers {_iso(lo)} to {_iso(hi)}, "
                             f"the run {_iso(t.min())} to {_iso((t + width).max())}")
        edges = np.append(self.start_s, self.end_s).astype(np.float64)
        area = np.concatenate([[0.0], np.cumsum(self.values * HOUR_S)])  # integral up to each edge
        return (np.interp(t + width, edges, area) - np.interp(t, edges, area)) / width


def read_prices(path: Path, display_name: str | None = None, zone: str | None = None) -> HourlySeries:
    """An hourly price file (USD/MWh) with UTC and local times."""
    name = display_name or str(path)
    table = _read(path, name)
    _need(table, PRICE_COLUMNS, name)
    start = _utc_seconds(table.column(PRICE_COLUMNS[0]), name, PRICE_COLUMNS[0])
    local = _text(table.column(PRICE_COLUMNS[1]))
    offset = _offsets_s(local, name)
    values = _numbers(table.column(PRICE_COLUMNS[2]), name, PRICE_COLUMNS[2])
    _hourly(start, name, PRICE_COLUMNS[0])
    # the local column must say the same instant as the UTC one
    local_naive = _seconds(pc.utf8_slice_codeunits(local, 0, 19), name, PRICE_COLUMNS[1])
    bad = np.flatnonzero(local_naive - offset != start)
    if bad.size:
        raise InputError([Problem(name, int(bad[0]) + 2, PRICE_COLUMNS[1],
                                  f"{local[int(bad[0])].as_py()!r} is not the UTC time's instant")])
    return HourlySeries(zone or Path(name).name.split("_")[0], "price_usd_per_mwh", start, values, offset)


def read_carbon(path: Path, display_name: str | None = None) -> tuple[HourlySeries, HourlySeries]:
    """An Electricity Maps hourly file: (direct, life-cycle) carbon intensity, gCO2eq/kWh."""
    name = display_name or str(path)
    table = _read(path, name)
    _need(table, (CARBON_TIME, CARBON_DIRECT, CARBON_LCA), name)
    start = _utc_seconds(table.column(CARBON_TIME), name, CARBON_TIME)
    _hourly(start, name, CARBON_TIME)
    direct = _numbers(table.column(CARBON_DIRECT), name, CARBON_DIRECT)
    lca = _numbers(table.column(CARBON_LCA), name, CARBON_LCA)
    for col, v in ((CARBON_DIRECT, direct), (CARBON_LCA, lca)):
        neg = np.flatnonzero(v < 0)
        if neg.size:
            raise InputError([Problem(name, int(neg[0]) + 2, col, f"negative carbon intensity {v[neg[0]]:g}")])
    zone = (table.column("Zone Id")[0].as_py() if "Zone Id" in table.column_names and table.num_rows
            else Path(name).name.split("_")[0])
    return (HourlySeries(zone, "carbon_direct_g_per_kwh", start, direct),
            HourlySeries(zone, "carbon_lca_g_per_kwh", start, lca))


def packaged_prices(zone: str, year: int = 2024) -> HourlySeries:
    """A packaged zone's hourly prices (see PACKAGED_ZONES)."""
    return read_prices(_packaged(zone, year, "price"), f"catalog/grid/{zone}_{year}_price.csv", zone)


def packaged_carbon(zone: str, year: int = 2024) -> tuple[HourlySeries, HourlySeries]:
    """A packaged zone's hourly carbon intensity, (direct, life-cycle)."""
    return read_carbon(_packaged(zone, year, "carbon"), f"catalog/grid/{zone}_{year}_carbon.csv")


# --- reading ------------------------------------------------------------------------------

def _packaged(zone: str, year: int, kind: str) -> Path:
    if zone not in PACKAGED_ZONES or year not in PACKAGED_YEARS:
        raise InputError([Problem("grid", None, "zone", f"no packaged {kind} data for {zone} {year}",
                                  f"packaged: {', '.join(PACKAGED_ZONES)} for {', '.join(map(str, PACKAGED_YEARS))}; "
                                  "give other zones by path")])
    return Path(str(resources.files("orbitgrid").joinpath(f"catalog/grid/{zone}_{year}_{kind}.csv")))


def _read(path: Path, name: str) -> pa.Table:
    try:
        # times stay text (they are parsed and checked here); the rest is typed by pyarrow
        text = {c: pa.string() for c in (PRICE_COLUMNS[0], PRICE_COLUMNS[1], "Zone Id")}
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=True),
                              read_options=pacsv.ReadOptions(encoding="utf8"))
    except FileNotFoundError:
        raise InputError([Problem(name, None, "", "file not found")]) from None
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        line = _line_of(str(exc))
        raise InputError([Problem(name, line, "", f"unreadable CSV ({str(exc).splitlines()[0]})")]) from None


def _line_of(message: str) -> int | None:
    import re

    m = re.search(r"[Rr]ow #(\d+)", message)
    return int(m.group(1)) if m else None


def _need(table: pa.Table, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError([Problem(name, 1, missing[0], "missing column", "columns needed: " + ", ".join(columns))])
    if table.num_rows == 0:
        raise InputError([Problem(name, 2, "", "no data rows")])


_UTC_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\+00:00|Z)?$"
_LOCAL_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"


def _text(column) -> pa.Array:
    """A column as one string array."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())


def _first_mismatch(text: pa.Array, pattern: str) -> int | None:
    """Index of the first value (null included) that does not match `pattern`, else None."""
    ok = pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else None


def _seconds(text: pa.Array, name: str, col: str) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS' values (already checked for shape) as seconds since 1970; a date
    numpy cannot read (2024-02-30) is found and named."""
    values = text.to_numpy(zero_copy_only=False)
    try:
        return values.astype("datetime64[s]").astype(np.int64)
    except ValueError:
        for i, v in enumerate(values):  # only to name the line
            try:
                np.datetime64(v, "s")
            except ValueError:
                raise InputError([Problem(name, i + 2, col, f"not a date and time: {v!r}")]) from None
        raise


def _utc_seconds(column, name: str, col: str) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS' with an optional '+00:00': seconds since 1970 (UTC)."""
    text = _text(column)
    i = _first_mismatch(text, _UTC_TIME)
    if i is not None:
        raise InputError([Problem(name, i + 2, col, f"not a UTC time 'YYYY-MM-DD HH:MM:SS': {text[i].as_py()!r}")])
    return _seconds(pc.utf8_slice_codeunits(text, 0, 19), name, col)


def _offsets_s(local: pa.Array, name: str) -> np.ndarray:
    """The UTC offset written at the end of each local time ('...-07:00'), in seconds."""
    i = _first_mismatch(local, _LOCAL_TIME)
    if i is not None:
        raise InputError([Problem(name, i + 2, PRICE_COLUMNS[1],
                                  f"not a local time with its offset 'YYYY-MM-DD HH:MM:SS±HH:MM': {local[i].as_py()!r}")])
    sign = np.where(pc.utf8_slice_codeunits(local, 19, 20).to_numpy(zero_copy_only=False) == "-", -1, 1)
    hours = pc.cast(pc.utf8_slice_codeunits(local, 20, 22), pa.int64()).to_numpy()
    minutes = pc.cast(pc.utf8_slice_codeunits(local, 23, 25), pa.int64()).to_numpy()
    return sign * (hours * 3600 + minutes * 60)


def _numbers(column, name: str, col: str) -> np.ndarray:
    values = pc.cast(column, pa.float64(), safe=False) if pa.types.is_floating(column.type) or pa.types.is_integer(column.type) \
        else None
    if values is None:
        text = column.to_pylist()
        out = np.empty(len(text))
        for i, v in enumerate(text):
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                raise InputError([Problem(name, i + 2, col, f"not a number: {v!r}")]) from None
    else:
        out = values.to_numpy(zero_copy_only=False).astype(np.float64)
        nulls = np.flatnonzero(pc.is_null(column).to_numpy(zero_copy_only=False))
        if nulls.size:
            raise InputError([Problem(name, int(nulls[0]) + 2, col, "empty")])
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        raise InputError([Problem(name, int(bad[0]) + 2, col, f"not a finite number: {out[bad[0]]!r}")])
    return out


def _hourly(start: np.ndarray, name: str, col: str) -> None:
    step = np.diff(start)
    bad = np.flatnonzero(step != HOUR_S)
    if bad.size:
        i = int(bad[0]) + 1  # the row that breaks the hourly run
        what = "repeats or goes back" if step[bad[0]] <= 0 else f"leaves a gap of {step[bad[0]] / HOUR_S:g} h"
        raise InputError([Problem(name, i + 2, col, f"{_iso(start[i])} {what} after {_iso(start[i - 1])}",
                                  "rows must be consecutive hours")])


def _iso(t_s: float) -> str:
    return str(np.datetime64(int(t_s), "s")).replace("T", " ")
