"""Reading delimited trace files fast, and still naming the line of every bad value.

The fast path hands the whole file to `pyarrow.csv` with every column read as text, and
works out each record's line number from the newline positions (numpy). Conversions
and checks are vectorised: each check is a boolean mask over the records, with the column
it concerns and a message for a given record. Only when pyarrow refuses the file (a row
with the wrong number of fields, quoting it cannot map back to lines) does a row-by-row
reader (`csv`) take over, to find the bad rows and their lines; the checks that follow
are the same in both paths.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orbitgrid.errors import InputError, Problem

_FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INT_RE = r"^[+-]?\d{1,18}$"


def fail(file: str, line: int | None, column: str, message: str, hint: str | None = None) -> InputError:
    return InputError([Problem(file, line, column, message, hint)])


def read_bytes(path: Path, file: str) -> bytes:
    """The file's bytes, or one line saying why not (missing, a folder, unreadable)."""
    try:
        if path.is_dir():
            raise fail(file, None, "", "is a folder, not a trace file")
        return path.read_bytes()
    except OSError as exc:
        raise fail(file, None, "", f"cannot read: {exc.strerror or exc}") from None


def decode(raw: bytes, file: str) -> tuple[bytes, str]:
    """(bytes without a UTF-8 byte-order mark, the same as text); a non-UTF-8 byte names its line."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(file, line, "", f"not UTF-8 text ({exc.reason})") from None


@dataclass
class Cells:
    """The text of each wanted column for every well-formed record, with where it came from."""

    columns: dict[str, pa.Array]  # name -> string array (only columns present in the file)
    lines: np.ndarray  # int64: the file line of each record
    record: np.ndarray  # int64: 0-based index among all data records (bad ones included)
    structural: list[Problem] = field(default_factory=list)  # records dropped before any column was read
    rows_read: int = 0  # data records, well-formed or not

    def __len__(self) -> int:
        return int(self.lines.shape[0])

    def has(self, name: str) -> bool:
        return name in self.columns

    def raw(self, name: str, i: int) -> str:
        return self.columns[name][i].as_py()


def _record_lines(raw: bytes, skip: int) -> np.ndarray:
    """1-based numbers of the non-empty lines (an empty line, or a lone CR, holds no record)."""
    if not raw:
        return np.zeros(0, np.int64)
    buf = np.frombuffer(raw, np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(raw)]))
    length = ends - starts
    has_cr = np.zeros(length.shape, bool)
    nonzero = length > 0
    has_cr[nonzero] = buf[ends[nonzero] - 1] == 13
    length = length - has_cr
    numbers = np.flatnonzero(length > 0).astype(np.int64) + 1
    return numbers[skip:]


def split_header(text: str, file: str, delimiter: str, required: Sequence[str], optional: Sequence[str]) -> list[str]:
    """The names on line 1, checked: every required column present, none named twice."""
    first = text.split("\n", 1)[0].rstrip("\r")
    expected = ",".join(required) + (f" (optional: {','.join(optional)})" if optional else "")
    if not first.strip():
        raise fail(file, 1, "header", f"expected the column names {expected}, found an empty line")
    try:
        header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    except csv.Error as exc:
        raise fail(file, 1, "header", f"unreadable ({exc}); expected columns {expected}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise fail(file, 1, "header", f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                   f"expected columns {expected}, found {','.join(header)}")
    repeated = [c for i, c in enumerate(header) if c and c in header[:i]]
    if repeated:
        raise fail(file, 1, repeated[0], "column named twice")
    return header


def read_delimited(
    file: str,
    raw: bytes,
    text: str,
    names: list[str],
    wanted: Sequence[str],
    *,
    delimiter: str = ",",
    has_header: bool = True,
    quoting: bool = True,
) -> Cells:
    """Every record's cells for the `wanted` columns (those of `names` present), fast if the file allows.

    `names` are the columns in file order (from the header, or given for a headerless file).
    Records with the wrong number of fields are left out and listed in `structural`.
    """
    width = len(names)
    take = [i for i, n in enumerate(names) if n in wanted]
    lines = _record_lines(raw, 1 if has_header else 0)
    if not (quoting and b'"' in raw):  # quotes may hide newlines: then only the slow path knows the lines
        try:
            table = pacsv.read_csv(
                pa.BufferReader(raw),
                read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(width)],
                                               skip_rows=1 if has_header else 0),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"' if quoting else False,
                                                  newlines_in_values=False, ignore_empty_lines=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={f"c{i}": pa.string() for i in range(width)},
                    include_columns=[f"c{i}" for i in take],
                    strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowException):
            table = None
        if table is not None and table.num_rows == len(lines):
            columns = {names[i]: table.column(f"c{i}").combine_chunks() for i in take}
            n = table.num_rows
            return Cells(columns, lines, np.arange(n, dtype=np.int64), [], n)
    return _read_slowly(file, text, names, take, delimiter, has_header, quoting)


def _read_slowly(file: str, text: str, names: list[str], take: list[int], delimiter: str,
                 has_header: bool, quoting: bool) -> Cells:
    width = len(names)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE)
    values: list[list[str]] = [[] for _ in take]
    lines: list[int] = []
    records: list[int] = []
    structural: list[Problem] = []
    record = 0
    try:
        if has_header:
            next(reader, None)
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) != width:
                what = "the header has" if has_header else "the first line has"
                plural = "s" if len(row) != 1 else ""
                structural.append(Problem(file, line, "", f"{len(row)} field{plural}, {what} {width}"))
            else:
                for k, i in enumerate(take):
                    values[k].append(row[i])
                lines.append(line)
                records.append(record)
            record += 1
    except csv.Error as exc:
        raise fail(file, reader.line_num, "", f"malformed CSV ({exc})") from None
    columns = {names[i]: pa.array(values[k], pa.string()) for k, i in enumerate(take)}
    return Cells(columns, np.asarray(lines, np.int64), np.asarray(records, np.int64), structural, record)


class Checks:
    """The bad records and why: masks in order of precedence, each with its column and a message."""

    def __init__(self, cells: Cells, file: str):
        self.cells = cells
        self.file = file
        self.n = len(cells)
        self.items: list[tuple[np.ndarray, str, Callable[[int], str]]] = []

    def flag(self, mask, column: str, message: Callable[[int], str]) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.items.append((mask, column, message))

    def bad(self) -> np.ndarray:
        out = np.zeros(self.n, bool)
        for mask, _, _ in self.items:
            out |= mask
        return out

    def count(self) -> int:
        return int(self.bad().sum()) + len(self.cells.structural)

    def problems(self, limit: int) -> list[Problem]:
        """The first `limit` problems in file order (one per bad record: its first failed check)."""
        bad_rows = np.flatnonzero(self.bad())[:limit]
        found: list[Problem] = list(self.cells.structural[:limit])
        for i in bad_rows:
            for mask, column, message in self.items:
                if mask[i]:
                    found.append(Problem(self.file, int(self.cells.lines[i]), column, message(int(i))))
                    break
        found.sort(key=lambda p: p.line or 0)
        return found[:limit]

    # ------------------------------------------------------------------ converters

    def text(self, name: str) -> pa.Array | None:
        """The column's text, trimmed; None if the file has no such column."""
        if not self.cells.has(name):
            return None
        return pc.utf8_trim_whitespace(self.cells.columns[name])

    def required_text(self, name: str) -> pa.Array:
        """The column's trimmed text, flagging empty cells as missing values."""
        values = self.text(name)
        self.flag(pc.equal(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False), name, lambda i: "missing value")
        return values

    def number(self, name: str, *, integer: bool = False, required: bool = True) -> np.ndarray:
        """float64 values of a numeric column (NaN where missing or bad); bad cells are flagged.

        An empty cell is an error in a required column and NaN in an optional one; a
        column the file lacks is all NaN.
        """
        s = self.text(name)
        if s is None:
            return np.full(self.n, np.nan)
        empty = pc.equal(pc.utf8_length(s), 0).to_numpy(zero_copy_only=False)
        ok = pc.match_substring_regex(s, _INT_RE if integer else _FLOAT_RE).to_numpy(zero_copy_only=False)
        if required:
            self.flag(empty, name, lambda i: "missing value")
        kind = "an integer" if integer else "a number"
        self.flag(~ok & ~empty, name, lambda i: f"not {kind}: {self.cells.raw(name, i).strip()!r}")
        safe = pc.if_else(pa.array(ok), s, "0")
        if integer:
            safe = pc.replace_substring_regex(safe, r"^\+", "")
        try:
            values = pc.cast(safe, pa.int64() if integer else pa.float64()).to_numpy(zero_copy_only=False)
            values = values.astype(np.float64)
        except (pa.ArrowInvalid, pa.ArrowException):  # out of range for arrow's parser: one by one
            values = np.array([float(v) for v in safe.to_pylist()])
        values[~ok] = np.nan
        if not integer:
            self.flag(ok & ~np.isfinite(values), name,
                      lambda i: f"not a finite number: {self.cells.raw(name, i).strip()!r}")
        return values

    def at_least(self, values: np.ndarray, name: str, minimum: float, strict: bool, what: str = "") -> None:
        """Flag finite values below `minimum` (or equal to it when `strict`)."""
        with np.errstate(invalid="ignore"):
            low = values <= minimum if strict else values < minimum
        low &= np.isfinite(values)
        sign = ">" if strict else ">="
        self.flag(low, name, lambda i: f"must be {sign} {minimum:g}{what}, got {self.cells.raw(name, i).strip()}")


def empty_to_null(arr: pa.Array) -> pa.Array:
    """Empty strings become nulls."""
    return pc.if_else(pc.equal(pc.utf8_length(arr), 0), pa.scalar(None, pa.string()), arr)


def open_csv(raw: bytes, file: str, required: Sequence[str], optional: Sequence[str] = ()) -> tuple[Cells, Checks]:
    """A comma-separated trace with a header: its cells and an empty set of checks."""
    raw, text = decode(raw, file)
    header = split_header(text, file, ",", required, optional)
    cells = read_delimited(file, raw, text, header, tuple(required) + tuple(optional))
    return cells, Checks(cells, file)
