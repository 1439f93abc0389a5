"""The Philly-derived job list (philly.csv of Sia and Pollux): values read by hand from the excerpt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orbitgrid.errors import InputError
from orbitgrid.workload.traces import JOB_SCHEMA, read_trace, trace_metadata

DATA = Path(__file__).parents[1] / "data" / "traces"
EXCERPT = DATA / "philly_excerpt.csv"


def _rows(table):
    return table.to_pylist()


def test_excerpt_values_by_hand() -> None:
    table, report = read_trace("philly", EXCERPT)
    assert table.schema.remove_metadata() == JOB_SCHEMA
    assert (report.rows_read, report.rows_written, report.rows_skipped) == (12, 12, 0)
    rows = _rows(table)
    # row 3 (file line 4): 2017-09-29 07:58:32,860662.0,1,860662.0,6c71a0 -- the earliest submission
    r = rows[2]
    assert r["job_id"] == "2" and r["source_line"] == 4
    assert r["arrival_s"] == 0.0
    assert r["duration_s"] == 860662.0
    assert r["gpus"] == 1.0 and r["gpu_milli"] == 1000
    assert r["tenant"] == "6c71a0"
    assert r["duration_hw"] is None and r["gpu_type"] is None and r["work"] is None
    assert r["source_format"] == "philly"
    # row 1: 2017-10-09 07:01:55 is 10 days less 56 min 37 s after 2017-09-29 07:58:32
    assert rows[0]["arrival_s"] == 864000.0 - 3397.0
    assert rows[0]["duration_s"] == 66.0 and rows[0]["tenant"] == "11cb48"
    # row 11 (line 12): 2017-10-07 01:11:39, 8 GPUs: 8 days less 6 h 46 min 53 s
    assert rows[10]["arrival_s"] == 8 * 86400.0 - (6 * 3600 + 46 * 60 + 53)
    assert rows[10]["gpus"] == 8.0 and rows[10]["duration_s"] == 193256.0 and rows[10]["source_line"] == 12
    # row 12 (line 13): 2017-12-12 21:38:32 on 128 GPUs: 74 days and 13 h 40 min
    assert rows[11]["arrival_s"] == 74 * 86400.0 + 13 * 3600 + 40 * 60
    assert rows[11]["gpus"] == 128.0
    # file order is kept, job ids are the data-row index
    assert [r["job_id"] for r in rows] == [str(i) for i in range(12)]
    assert [r["source_line"] for r in rows] == list(range(2, 14))


def test_report_stats_and_metadata() -> None:
    table, report = read_trace("philly", EXCERPT)
    gpu_seconds = (66 + 2951 + 860662 + 2759 + 2766 + 2775 + 2802 + 64 + 2859 + 2987) + 193256 * 8 + 7673 * 128
    assert report.stats["gpu_hours"] == pytest.approx(gpu_seconds / 3600.0)
    assert report.stats["span_s"] == 74 * 86400.0 + 13 * 3600 + 40 * 60
    assert report.stats["arrival_origin"] == "2017-09-29 07:58:32"
    assert report.stats["tenants"] == 4  # 11cb48, 6214e9, 6c71a0, ee9e8c
    meta = trace_metadata(table)
    assert meta["format"] == "philly" and meta["arrival_origin"] == "2017-09-29 07:58:32"
    assert "12 GB and 24 GB" in meta["duration_hardware"]
    line = report.stats_line()
    assert "jobs 12" in line and "GPU-hours 947" in line and "from 2017-09-29 07:58:32" in line


def _bad(tmp_path: Path, line_no: int, new_line: str) -> Path:
    lines = EXCERPT.read_text().splitlines()
    lines[line_no - 1] = new_line
    path = tmp_path / "philly.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("line_no", "text", "expected"),
    [
        (5, "2017-10-09 06:13:36,-5,1,-5,6214e9", "duration: must be >= 0 s, got -5"),
        (6, "2017-10-09 06:16:03,soon,1,2766.0,6214e9", "duration: not a number: 'soon'"),
        (7, "2017-10-09 06:14:53,2775.0,0,0,6214e9", "num_gpus: must be > 0, got 0"),
        (7, "2017-10-09 06:14:53,2775.0,1.5,0,6214e9", "num_gpus: not an integer: '1.5'"),
        (8, "2017-10-32 06:15:13,2802.0,1,2802.0,6214e9",
         "timestamp: bad timestamp '2017-10-32 06:15:13' (expected YYYY-MM-DD HH:MM:SS)"),
        (9, ",64.0,1,64.0,11cb48", "timestamp: missing value"),
        (10, "2017-10-09 06:00:52,2859.0,1,6214e9", "4 fields, the header has 5"),
        (11, "2017-10-09 06:11:13,2987.0,2,2987.0,6214e9", "gpu_time: 2987.0 is not duration × num_gpus = 5974"),
        (4, "2017-09-29 07:58:32,nan,1,860662.0,6c71a0", "duration: not a number: 'nan'"),
    ],
)
def test_bad_row_names_file_line_column(tmp_path: Path, line_no: int, text: str, expected: str) -> None:
    path = _bad(tmp_path, line_no, text)
    with pytest.raises(InputError) as info:
        read_trace("philly", path)
    (problem,) = info.value.problems
    assert info.value.first_line().startswith(f"{path}:{line_no}: {expected}")
    assert problem.line == line_no
    assert "--skip-bad" in (problem.hint or "")


def test_first_bad_row_wins_and_skip_bad_counts(tmp_path: Path) -> None:
    lines = EXCERPT.read_text().splitlines()
    lines[8] = "2017-10-09 07:00:41,64.0,0,0,11cb48"  # line 9: zero GPUs
    lines[4] = "2017-10-09 06:13:36,-1,1,-1,6214e9"  # line 5: negative duration
    lines[11] = "2017-10-07 01:11:39,193256.0"  # line 12: too few fields
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_trace("philly", path)
    assert info.value.first_line() == (f"{path}:5: duration: must be >= 0 s, got -1 "
                                       "(hint: 3 bad rows in all; --skip-bad leaves them out)")
    table, report = read_trace("philly", path, skip_bad=True)
    assert (report.rows_read, report.rows_written, report.rows_skipped) == (12, 9, 3)
    assert [p.line for p in report.skipped] == [5, 9, 12]
    assert report.skipped_line() == "skipped 3 bad row(s) at lines 5, 9, 12 (first: duration: must be >= 0 s, got -1)"
    # ids stay those of the full file; the origin is the earliest row kept
    assert table.column("job_id").to_pylist() == ["0", "1", "2", "4", "5", "6", "8", "9", "11"]
    assert table.column("source_line").to_pylist() == [2, 3, 4, 6, 7, 8, 10, 11, 13]
    assert table.column("arrival_s").to_pylist()[2] == 0.0


def test_blank_lines_crlf_bom_and_quotes_keep_line_numbers(tmp_path: Path) -> None:
    text = EXCERPT.read_text().splitlines()
    # a BOM, CRLF endings, a blank line after the header and a quoted field: the slow path
    body = [text[0], "", *text[1:4], '2017-10-09 06:16:03,2766.0,1,2766.0,"6214e9"', *text[5:]]
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(body).encode() + b"\r\n")
    table, _ = read_trace("philly", path)
    assert table.num_rows == 12
    assert table.column("source_line").to_pylist()[:5] == [3, 4, 5, 6, 7]
    assert table.column("tenant").to_pylist()[4] == "6214e9"
    # and a bad value after the blank line is still found at its own line
    body[6] = "2017-10-09 06:14:53,-3,1,2775.0,6214e9"
    path.write_bytes("\r\n".join(body).encode() + b"\r\n")
    with pytest.raises(InputError) as info:
        read_trace("philly", path)
    assert info.value.problems[0].line == 7


def test_wrong_header_names_the_expected_columns(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("time,duration,gpus\n2017-10-09 07:01:55,66.0,1\n")
    with pytest.raises(InputError) as info:
        read_trace("philly", path)
    assert info.value.first_line() == (
        f"{path}:1: header: missing columns timestamp, num_gpus: expected columns timestamp,duration,num_gpus "
        "(optional: gpu_time,cluster), found time,duration,gpus")


def test_header_only_gives_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("timestamp,duration,num_gpus,gpu_time,cluster\n")
    table, report = read_trace("philly", path)
    assert table.num_rows == 0 and report.rows_read == 0
    assert report.stats["span_s"] is None


def test_large_file_takes_the_fast_path(tmp_path: Path) -> None:
    """A 60,000-row file imports in well under a second (the full Philly trace is 82,247 rows)."""
    import time

    rows = EXCERPT.read_text().splitlines()
    body = rows[1:] * 5000
    path = tmp_path / "big.csv"
    path.write_text(rows[0] + "\n" + "\n".join(body) + "\n")
    started = time.perf_counter()
    table, report = read_trace("philly", path)
    assert time.perf_counter() - started < 5.0
    assert table.num_rows == 60000
    np.testing.assert_array_equal(table.column("source_line").to_numpy()[-3:], [59999, 60000, 60001])
