"""Gavel: the msr and physical-cluster job traces, and the throughput matrix as a long table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orbitgrid.errors import InputError
from orbitgrid.workload.traces import THROUGHPUT_SCHEMA, read_trace

DATA = Path(__file__).parents[1] / "data" / "traces"
MSR = DATA / "gavel_msr_6214e9_excerpt.trace"
PHYSICAL = DATA / "gavel_physical_small_test_excerpt.trace"
THROUGHPUTS = DATA / "gavel_simulation_throughputs_excerpt.json"


def test_msr_trace_seven_fields_by_hand() -> None:
    table, report = read_trace("gavel", MSR)
    assert (report.rows_read, report.rows_written) == (8, 8)
    rows = table.to_pylist()
    # line 1: Transformer (batch size 128) ... -step 1 20851471 0.000000 1
    assert rows[0]["job_id"] == "0" and rows[0]["source_line"] == 1
    assert rows[0]["job_type"] == "Transformer (batch size 128)" and rows[0]["batch_size"] == 128
    assert rows[0]["work"] == 20851471.0 and rows[0]["work_unit"] == "steps"
    assert rows[0]["arrival_s"] == 0.0 and rows[0]["gpus"] == 1.0
    assert rows[0]["duration_s"] is None and rows[0]["priority"] is None
    # line 3: Transformer (batch size 256), 6619155 steps, at 266566 s
    assert rows[2]["work"] == 6619155.0 and rows[2]["arrival_s"] == 266566.0 and rows[2]["batch_size"] == 256
    # line 7: LM (batch size 5) with scale factor 4: four GPUs
    assert rows[6]["job_type"] == "LM (batch size 5)" and rows[6]["gpus"] == 4.0
    assert rows[6]["work"] == 735215900.0 and rows[6]["arrival_s"] == 786808.0
    assert [r["job_id"] for r in rows] == [str(i) for i in range(8)]
    assert report.stats["gpu_hours"] is None
    assert report.stats["span_s"] == 1243820.0


def test_physical_cluster_ten_fields() -> None:
    table, _ = read_trace("gavel", PHYSICAL)
    rows = table.to_pylist()
    assert len(rows) == 4
    # line 1: Transformer (batch size 128), 346 steps, scale factor 2, priority 1, SLO -1, arrival 0
    assert rows[0]["work"] == 346.0 and rows[0]["gpus"] == 2.0 and rows[0]["priority"] == 1.0
    assert rows[0]["arrival_s"] == 0.0
    assert rows[1]["job_type"] == "Recommendation (batch size 8192)" and rows[1]["work"] == 36.0


def _edit(tmp_path: Path, source: Path, line_no: int, column: int, value: str) -> Path:
    lines = source.read_text().splitlines()
    fields = lines[line_no - 1].split("\t")
    fields[column] = value
    lines[line_no - 1] = "\t".join(fields)
    path = tmp_path / source.name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("line_no", "column", "value", "expected"),
    [
        (3, 4, "many", "total_steps: not an integer: 'many'"),
        (4, 4, "0", "total_steps: must be > 0, got 0"),
        (5, 6, "0", "scale_factor: must be >= 1 (GPUs), got 0"),
        (6, 5, "-6.0", "arrival_time: must be >= 0 s, got -6.0"),
        (2, 3, "2", "needs_data_dir: must be 0 or 1, got 2"),
    ],
)
def test_bad_msr_rows(tmp_path: Path, line_no: int, column: int, value: str, expected: str) -> None:
    path = _edit(tmp_path, MSR, line_no, column, value)
    with pytest.raises(InputError) as info:
        read_trace("gavel", path)
    assert info.value.first_line().startswith(f"{path}:{line_no}: {expected}")


def test_line_with_other_field_count_and_skip_bad(tmp_path: Path) -> None:
    lines = MSR.read_text().splitlines()
    lines[4] = "\t".join(lines[4].split("\t")[:6])  # line 5 loses its scale factor
    path = tmp_path / "short.trace"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_trace("gavel", path)
    assert info.value.first_line().startswith(f"{path}:5: 6 fields, the first line has 7")
    table, report = read_trace("gavel", path, skip_bad=True)
    assert (report.rows_read, report.rows_written, report.rows_skipped) == (8, 7, 1)
    assert table.column("job_id").to_pylist() == ["0", "1", "2", "3", "5", "6", "7"]


def test_unknown_layout(tmp_path: Path) -> None:
    path = tmp_path / "five.trace"
    path.write_text("a\tb\tc\td\te\n")
    with pytest.raises(InputError) as info:
        read_trace("gavel", path)
    assert info.value.first_line().startswith(f"{path}:1: 5 tab-separated fields: expected 7 or 9 or 10")


# ------------------------------------------------------------------ throughputs


def test_throughput_matrix_long_table() -> None:
    table, report = read_trace("gavel-throughputs", THROUGHPUTS)
    assert table.schema.remove_metadata() == THROUGHPUT_SCHEMA
    assert (report.rows_read, report.rows_written) == (12, 12)
    rows = table.to_pylist()
    iso = rows[0]
    assert (iso["worker_type"], iso["consolidated"], iso["job_type"], iso["scale_factor"]) == (
        "k80", True, "ResNet-18 (batch size 16)", 1)
    assert iso["throughput"] == 4.795294551566172 and iso["colocated_job_type"] is None
    assert iso["colocated_throughput"] is None and iso["source_line"] == 4
    pair = rows[1]  # k80: ResNet-18 bs16 beside ResNet-18 bs32: [2.539979567443098, 3.1201925448827033]
    assert pair["colocated_job_type"] == "ResNet-18 (batch size 32)" and pair["colocated_scale_factor"] == 1
    assert pair["throughput"] == 2.539979567443098 and pair["colocated_throughput"] == 3.1201925448827033
    assert pair["source_line"] == 5
    # a zero throughput is data (ResNet-50 bs128 on two K80s does not fit), not an error
    r50 = rows[3]
    assert (r50["job_type"], r50["scale_factor"], r50["throughput"], r50["source_line"]) == (
        "ResNet-50 (batch size 128)", 2, 0.0, 15)
    unc = [r for r in rows if r["worker_type"] == "v100_unconsolidated"]
    assert len(unc) == 6 and not any(r["consolidated"] for r in unc)
    assert unc[0]["throughput"] == 32.353384328946916 and unc[0]["source_line"] == 28
    assert report.stats == {"worker_types": 2, "job_types": 2, "isolated": 4, "colocated": 8}


def test_throughput_errors(tmp_path: Path) -> None:
    data = json.loads(THROUGHPUTS.read_text())
    data["k80"]["('ResNet-18 (batch size 16)', 1)"]["null"] = -1.0
    data["v100_unconsolidated"]["ResNet-50 bs128"] = {"null": 3.0}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data, indent=4))
    with pytest.raises(InputError) as info:
        read_trace("gavel-throughputs", path)
    assert info.value.first_line().startswith(
        f"{path}:4: k80 > ('ResNet-18 (batch size 16)', 1) > null: throughput must be a number >= 0 (steps/s), got -1.0")
    table, report = read_trace("gavel-throughputs", path, skip_bad=True)
    assert (report.rows_read, report.rows_written, report.rows_skipped) == (13, 11, 2)
    assert [p.line for p in report.skipped] == [4, 49]  # the bad key's line
    assert "job type key must look like" in report.skipped[1].message


def test_throughput_json_syntax_error_line(tmp_path: Path) -> None:
    text = THROUGHPUTS.read_text().splitlines()
    text[5] = text[5].rstrip(",")  # line 6 loses its comma
    path = tmp_path / "broken.json"
    path.write_text("\n".join(text))
    with pytest.raises(InputError) as info:
        read_trace("gavel-throughputs", path)
    assert info.value.first_line().startswith(f"{path}:7: not valid JSON")
