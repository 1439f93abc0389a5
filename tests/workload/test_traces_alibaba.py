"""Alibaba GPU 2023 pod lists: fractional GPUs, GPU-type constraints, QoS classes, CPU-only pods left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitgrid.errors import InputError
from orbitgrid.workload.traces import read_trace

DATA = Path(__file__).parents[1] / "data" / "traces"
PODS = DATA / "alibaba_gpuspec33_excerpt.csv"
MULTIGPU = DATA / "alibaba_multigpu20_excerpt.csv"


def _by_name(table) -> dict[str, dict]:
    return {r["job_id"]: r for r in table.to_pylist()}


def test_pods_by_hand() -> None:
    table, report = read_trace("alibaba", PODS)
    # 18 pods; openb-pod-0005 (line 7) asks for no GPU and is left out
    assert (report.rows_read, report.rows_written, report.rows_skipped, report.rows_filtered) == (18, 17, 0, 1)
    assert report.filtered_reason == "CPU-only pods, num_gpu 0"
    pods = _by_name(table)
    assert "openb-pod-0005" not in pods
    # line 3: openb-pod-0001,6000,12288,1,460,,LS,Running,427061,12902960,427061: 46% of one GPU
    p = pods["openb-pod-0001"]
    assert (p["gpus"], p["gpu_milli"], p["arrival_s"], p["duration_s"]) == (0.46, 460, 427061.0, 12902960.0 - 427061.0)
    assert (p["qos"], p["status"], p["gpu_type"], p["source_line"]) == ("LS", "Running", None, 3)
    # line 11: two acceptable types, so the hardware of the duration is not known
    p = pods["openb-pod-0009"]
    assert p["gpu_type"] == "V100M16|V100M32" and p["duration_hw"] is None
    # line 14: T4 only; scheduled 6595531, deleted 10959245
    p = pods["openb-pod-0012"]
    assert (p["gpu_type"], p["duration_hw"], p["duration_s"], p["arrival_s"]) == ("T4", "T4", 4363714.0, 6588193.0)
    # line 17: an 8-GPU Burstable pod on G2 that succeeded
    p = pods["openb-pod-0017"]
    assert (p["gpus"], p["gpu_milli"], p["qos"], p["status"], p["duration_s"]) == (
        8.0, 1000, "Burstable", "Succeeded", 10769854.0 - 9437497.0)
    # line 18: a Failed best-effort pod that ran 182 s
    assert pods["openb-pod-0033"]["duration_s"] == 182.0 and pods["openb-pod-0033"]["qos"] == "BE"
    # line 19: Pending, never scheduled: no duration
    p = pods["openb-pod-0061"]
    assert p["status"] == "Pending" and p["duration_s"] is None and p["arrival_s"] == 10001278.0
    assert report.stats["jobs_without_duration"] == 1
    assert "left out 1 (CPU-only pods, num_gpu 0)" in report.summary_line()


def test_list_without_times() -> None:
    table, report = read_trace("alibaba", MULTIGPU)
    assert (report.rows_read, report.rows_written, report.rows_filtered) == (6, 5, 1)
    assert table.column("arrival_s").null_count == 5 and table.column("duration_s").null_count == 5
    assert table.column("gpus").to_pylist() == [1.0, 0.46, 1.0, 0.46, 1.0]
    assert report.stats["span_s"] is None and report.stats["gpu_hours"] is None
    assert "span n/a (no arrival times)" in report.stats_line()


@pytest.mark.parametrize(
    ("pod", "replace", "by", "expected"),
    [
        ("openb-pod-0012", ",T4,", ",H100,",
         "gpu_spec: unknown GPU type 'H100' (known: A10, G1, G2, G3, P100, T4, V100M16, V100M32)"),
        ("openb-pod-0001", ",460,", ",1460,", "gpu_milli: must be <= 1000 (thousandths of one GPU), got 1460"),
        ("openb-pod-0001", ",1,460,", ",1,0,", "gpu_milli: must be > 0 for a pod with num_gpu 1, got 0 (zero GPUs)"),
        ("openb-pod-0017", ",8,1000,", ",8,500,",
         "gpu_milli: a fraction of a GPU (500) only for a single-GPU pod, this one asks for 8"),
        ("openb-pod-0033", ",9965645,", ",9965000,",
         "deletion_time: 9965000 is before scheduled_time 9965463 (negative duration)"),
        ("openb-pod-0002", ",1,1000,", ",-1,1000,", "num_gpu: must be >= 0, got -1"),
    ],
)
def test_bad_pods(tmp_path: Path, pod: str, replace: str, by: str, expected: str) -> None:
    lines = PODS.read_text().splitlines()
    line_no = next(i for i, line in enumerate(lines, 1) if line.startswith(pod + ","))
    assert replace in lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(replace, by, 1)
    path = tmp_path / "pods.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_trace("alibaba", path)
    assert info.value.first_line().startswith(f"{path}:{line_no}: {expected}")
    table, report = read_trace("alibaba", path, skip_bad=True)
    assert report.rows_skipped == 1 and report.skipped[0].line == line_no
    assert pod not in table.column("job_id").to_pylist()
