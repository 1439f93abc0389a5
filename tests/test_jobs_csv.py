"""Job CSV files: parsed into a JobTable, or rejected with `FILE:LINE: column: message` on the first bad row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orbitgrid.errors import InputError, Problem
from orbitgrid.workload.csv_jobs import read_jobs_csv
from orbitgrid.workload.jobs import ANY_GPU

KNOWN = {"H100", "A100", "GB200"}

HEADER = "arrival_h,gpus,work_gpu_h"


def _write(tmp_path: Path, text: str, name: str = "jobs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problem(tmp_path: Path, text: str, display_name: str | None = None) -> tuple[Path, Problem]:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_jobs_csv(path, KNOWN, display_name)
    (problem,) = info.value.problems  # the first bad row only
    return path, problem


# ---------------------------------------------------------------- valid files


def test_valid_file_all_columns(tmp_path: Path) -> None:
    text = (
        "job_id,arrival_h,gpus,work_gpu_h,gpu_types,priority,tenant\n"
        "pretrain,0,64,128,H100,10,lab-a\n"
        "finetune,0.5,8,2.5,H100|A100,0,lab-b\n"
        "eval,1.25,1,0.25,,-3,\n"
        "sweep,2,16,4,A100|H100,,lab-a\n"
        "anything,3,2,1,any,1,lab-b\n"
    )
    jobs = read_jobs_csv(_write(tmp_path, text), KNOWN)
    assert len(jobs) == 5
    np.testing.assert_allclose(jobs.arrival_s, [0.0, 1800.0, 4500.0, 7200.0, 10800.0])
    assert jobs.arrival_s.dtype == np.float64
    np.testing.assert_array_equal(jobs.gpus, [64, 8, 1, 16, 2])
    # work is in reference-GPU-seconds: GPU-hours * 3600
    np.testing.assert_allclose(jobs.work_ref_gpu_s, [128 * 3600.0, 2.5 * 3600.0, 900.0, 4 * 3600.0, 3600.0])
    # type sets are sorted and shared; empty and "any" mean any type
    assert jobs.type_sets == (("H100",), ("A100", "H100"), (ANY_GPU,))
    np.testing.assert_array_equal(jobs.type_set, [0, 1, 2, 1, 2])
    assert [jobs.type_set_label(k) for k in jobs.type_set] == ["H100", "A100|H100", "any", "A100|H100", "any"]
    # blank priority is 0
    np.testing.assert_array_equal(jobs.priority, [10, 0, -3, 0, 1])
    # blank tenant is "default"
    assert jobs.tenants == ("lab-a", "lab-b", "default")
    np.testing.assert_array_equal(jobs.tenant, [0, 1, 2, 0, 1])
    assert [jobs.tenants[t] for t in jobs.tenant] == ["lab-a", "lab-b", "default", "lab-a", "lab-b"]
    assert jobs.names == ("pretrain", "finetune", "eval", "sweep", "anything")


def test_valid_file_required_columns_only(tmp_path: Path) -> None:
    # column order is free, spaces around values and header names are ignored, blank lines skipped
    text = "gpus, work_gpu_h ,arrival_h\n 4 ,1, 0\n\n2,0.5,1\n"
    jobs = read_jobs_csv(_write(tmp_path, text), KNOWN)
    np.testing.assert_allclose(jobs.arrival_s, [0.0, 3600.0])
    np.testing.assert_array_equal(jobs.gpus, [4, 2])
    np.testing.assert_allclose(jobs.work_ref_gpu_s, [3600.0, 1800.0])
    assert jobs.type_sets == ((ANY_GPU,),)
    np.testing.assert_array_equal(jobs.type_set, [0, 0])
    np.testing.assert_array_equal(jobs.priority, [0, 0])
    assert jobs.tenants == ("default",)
    np.testing.assert_array_equal(jobs.tenant, [0, 0])
    # without job_id, a job is named by its row number (the blank line counts as a line)
    assert jobs.names == ("1", "3")


def test_header_only_gives_no_jobs(tmp_path: Path) -> None:
    jobs = read_jobs_csv(_write(tmp_path, HEADER + "\n"), KNOWN)
    assert len(jobs) == 0
    assert jobs.type_sets == ((ANY_GPU,),)
    assert jobs.tenants == ("default",)


# ---------------------------------------------------------------- bad values


def test_non_numeric_gpus_on_line_3(tmp_path: Path) -> None:
    path, problem = _problem(tmp_path, f"{HEADER}\n0,8,1\n0.5,eight,1\n1,4,1\n")
    assert problem.file == str(path)
    assert problem.line == 3
    assert problem.path == "gpus"
    assert "not an integer" in problem.message and "'eight'" in problem.message
    assert str(problem) == f"{path}:3: gpus: not an integer: 'eight'"


def test_fractional_gpus(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,2.5,1\n")
    assert (problem.line, problem.path) == (2, "gpus")
    assert "not an integer" in problem.message


@pytest.mark.parametrize("gpus", ["0", "-4"])
def test_gpus_must_be_positive(tmp_path: Path, gpus: str) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,1,1\n0,2,1\n0,{gpus},1\n")
    assert (problem.line, problem.path) == (4, "gpus")
    assert "must be > 0" in problem.message


def test_negative_arrival(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,1,1\n-0.5,1,1\n")
    assert problem.line == 3
    assert problem.path == "arrival_h"
    assert "must be >= 0" in problem.message and "-0.5" in problem.message


def test_zero_arrival_is_fine(tmp_path: Path) -> None:
    jobs = read_jobs_csv(_write(tmp_path, f"{HEADER}\n0,1,1\n"), KNOWN)
    assert jobs.arrival_s.tolist() == [0.0]


def test_zero_work(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,1,1\n1,1,1\n2,1,0\n")
    assert problem.line == 4
    assert problem.path == "work_gpu_h"
    assert "must be > 0" in problem.message


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_work(tmp_path: Path, value: str) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,1,{value}\n")
    assert (problem.line, problem.path) == (2, "work_gpu_h")
    assert "finite" in problem.message


def test_non_numeric_priority(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER},priority\n0,1,1,high\n")
    assert (problem.line, problem.path) == (2, "priority")
    assert "not an integer" in problem.message and "'high'" in problem.message


def test_unknown_gpu_type(tmp_path: Path) -> None:
    text = f"{HEADER},gpu_types\n0,1,1,H100\n1,1,1,A100|H10\n"
    path, problem = _problem(tmp_path, text)
    assert problem.line == 3
    assert problem.path == "gpu_types"
    assert "unknown GPU type 'H10'" in problem.message
    assert problem.hint is not None and "H100" in problem.hint
    assert str(problem).startswith(f"{path}:3: gpu_types: unknown GPU type 'H10'")


def test_display_name_is_used_in_problems(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,x,1\n", display_name="workload/jobs.csv")
    assert problem.file == "workload/jobs.csv"
    assert str(problem).startswith("workload/jobs.csv:2: gpus: ")


# ---------------------------------------------------------------- bad structure


def test_missing_required_column(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, "arrival_h,work_gpu_h\n0,1\n")
    assert problem.line == 1
    assert problem.path == "gpus"
    assert "missing column" in problem.message
    assert problem.hint is not None and "arrival_h,gpus,work_gpu_h" in problem.hint


def test_wrong_field_count(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,1,1\n0,1,1\n1,2\n")
    assert problem.line == 4
    assert "2 fields" in problem.message and "header has 3" in problem.message


def test_too_many_fields(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER}\n0,1,1,7\n")
    assert problem.line == 2
    assert "4 fields" in problem.message


def test_unknown_column(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER},walltime_h\n0,1,1,5\n")
    assert problem.line == 1
    assert problem.path == "walltime_h"
    assert "unknown column" in problem.message
    assert problem.hint is not None and "tenant" in problem.hint


def test_empty_file(tmp_path: Path) -> None:
    path, problem = _problem(tmp_path, "")
    assert problem.line == 1
    assert "empty file" in problem.message
    assert problem.hint is not None and "arrival_h,gpus,work_gpu_h" in problem.hint
    assert str(problem).startswith(f"{path}:1: empty file")


def test_file_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_jobs_csv(tmp_path / "none.csv", KNOWN)
    (problem,) = info.value.problems
    assert problem.line is None
    assert "cannot read" in problem.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_bytes(f"{HEADER}\n0,1,1\n".encode() + b"1,1,\xff\n")
    with pytest.raises(InputError) as info:
        read_jobs_csv(path, KNOWN)
    assert "utf-8" in info.value.problems[0].message.lower()


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_bytes(f"{HEADER}\n0,1,1\n".encode() + b"1,1,\xff\n")
    with pytest.raises(InputError) as info:
        read_jobs_csv(path, KNOWN)
    assert info.value.problems[0].line == 3



def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    # spreadsheets ("CSV UTF-8") start the file with a byte-order mark
    path = tmp_path / "jobs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\n0,2,1\n".encode())
    jobs = read_jobs_csv(path, KNOWN)
    assert jobs.gpus.tolist() == [2]
    assert jobs.arrival_s.tolist() == [0.0]


def test_duplicate_column_is_rejected(tmp_path: Path) -> None:
    _, problem = _problem(tmp_path, f"{HEADER},gpus\n0,1,1,8\n")
    assert (problem.line, problem.path) == (1, "gpus")
    assert "twice" in problem.message


@pytest.mark.parametrize(
    ("text", "column"),
    [
        (f"{HEADER},priority\n0,1,1,9999999999\n", "priority"),
        (f"{HEADER},priority\n0,1,1,-9999999999\n", "priority"),
        (f"{HEADER}\n0,99999999999,1\n", "gpus"),
    ],
)
def test_huge_integers_are_an_input_error(tmp_path: Path, text: str, column: str) -> None:
    # beyond int32 the arrays would overflow: a user error on the row, not a crash
    _, problem = _problem(tmp_path, text)
    assert (problem.line, problem.path) == (2, column)
    assert "must be" in problem.message
