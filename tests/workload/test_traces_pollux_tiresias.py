"""Pollux workloads and Tiresias job traces: values read by hand from the excerpts."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitgrid.errors import InputError
from orbitgrid.workload.traces import read_trace

DATA = Path(__file__).parents[1] / "data" / "traces"
POLLUX = DATA / "pollux_workload-1_excerpt.csv"
TIRESIAS = DATA / "tiresias_60_job_excerpt.csv"


def test_pollux_by_hand() -> None:
    table, report = read_trace("pollux", POLLUX)
    assert (report.rows_read, report.rows_written) == (8, 8)
    rows = table.to_pylist()
    # line 5: deepspeech2-3,262,deepspeech2,12,640
    r = rows[3]
    assert (r["job_id"], r["arrival_s"], r["job_type"], r["gpus"], r["batch_size"], r["source_line"]) == (
        "deepspeech2-3", 262.0, "deepspeech2", 12.0, 640, 5)
    # no duration and no work: a Pollux job runs until its model converges
    assert r["duration_s"] is None and r["work"] is None
    assert rows[0]["arrival_s"] == 107.0  # times are kept as written, not moved to 0
    assert report.stats["gpu_hours"] is None and report.stats["span_s"] == 1282.0 - 107.0


@pytest.mark.parametrize(
    ("line_no", "text", "expected"),
    [
        (3, "deepspeech2-1,110,resnet,6,320",
         "application: unknown application 'resnet' (known: bert, cifar10, deepspeech2, imagenet, ncf, yolov3)"),
        (4, "ncf-2,135,ncf,0,32768", "num_replicas: must be > 0, got 0"),
        (6, "cifar10-4,-356,cifar10,16,4096", "time: must be >= 0 s, got -356"),
    ],
)
def test_pollux_bad_rows(tmp_path: Path, line_no: int, text: str, expected: str) -> None:
    lines = POLLUX.read_text().splitlines()
    lines[line_no - 1] = text
    path = tmp_path / "w.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_trace("pollux", path)
    assert info.value.first_line().startswith(f"{path}:{line_no}: {expected}")


def test_tiresias_by_hand_with_crlf() -> None:
    assert b"\r\n" in TIRESIAS.read_bytes()  # the original's line endings
    table, report = read_trace("tiresias", TIRESIAS)
    assert (report.rows_read, report.rows_written) == (8, 8)
    rows = table.to_pylist()
    # line 3: 1,8,30,133,vgg11,147,23
    r = rows[1]
    assert (r["job_id"], r["gpus"], r["arrival_s"], r["work"], r["work_unit"], r["job_type"], r["duration_s"]) == (
        "1", 8.0, 30.0, 133.0, "iterations", "vgg11", 147.0)
    assert r["source_line"] == 3 and r["duration_hw"] is None
    # GPU-hours: sum of num_gpu x duration over the 8 jobs
    gpu_s = 1 * 164 + 8 * 147 + 2 * 127 + 1 * 121 + 4 * 121 + 8 * 138 + 1 * 121 + 2 * 124
    assert report.stats["gpu_hours"] == pytest.approx(gpu_s / 3600.0)
    assert report.stats["span_s"] == 204.0


def test_tiresias_errors(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text("job_id,num_gpu,submit_time\n0,1,0\n")
    with pytest.raises(InputError) as info:
        read_trace("tiresias", path)
    assert info.value.first_line() == (
        f"{path}:1: header: missing column duration: expected columns job_id,num_gpu,submit_time,duration "
        "(optional: iterations,model_name,interval), found job_id,num_gpu,submit_time")
    lines = TIRESIAS.read_text().splitlines()
    lines[3] = "2,2,53,157,inception4,-127,26"
    path.write_text("\n".join(lines))
    with pytest.raises(InputError) as info:
        read_trace("tiresias", path)
    assert info.value.first_line().startswith(f"{path}:4: duration: must be >= 0 s, got -127")
    table, report = read_trace("tiresias", path, skip_bad=True)
    assert report.rows_skipped == 1 and table.num_rows == 7
