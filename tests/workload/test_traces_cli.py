"""`orbitgrid traces import FORMAT FILE [-o OUT] [--skip-bad]`: exit codes, one-line errors, atomic output."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import orbitgrid.workload.traces as traces
from orbitgrid.cli import app
from orbitgrid.workload.traces import read_trace, trace_metadata, write_parquet

DATA = Path(__file__).parents[1] / "data" / "traces"
PHILLY = DATA / "philly_excerpt.csv"

EXCERPTS = [
    ("philly", "philly_excerpt.csv", 12),
    ("gavel", "gavel_msr_6214e9_excerpt.trace", 8),
    ("gavel", "gavel_physical_small_test_excerpt.trace", 4),
    ("gavel-throughputs", "gavel_simulation_throughputs_excerpt.json", 12),
    ("pollux", "pollux_workload-1_excerpt.csv", 8),
    ("tiresias", "tiresias_60_job_excerpt.csv", 8),
    ("alibaba", "alibaba_gpuspec33_excerpt.csv", 17),
    ("alibaba", "alibaba_multigpu20_excerpt.csv", 5),
]


def _invoke(*args: str):
    return CliRunner().invoke(app, ["traces", "import", *args])


def _bad_philly(tmp_path: Path) -> Path:
    lines = PHILLY.read_text().splitlines()
    lines[4] = "2017-10-09 06:13:36,-5,1,-5,6214e9"  # line 5
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("fmt", "name", "rows"), EXCERPTS)
def test_every_format_imports(tmp_path: Path, fmt: str, name: str, rows: int) -> None:
    out = tmp_path / "out.parquet"
    result = _invoke(fmt, str(DATA / name), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {rows:,}, skipped 0" in result.stdout and f"-> {out}" in result.stdout
    written = pq.read_table(out)
    assert written.num_rows == rows
    assert trace_metadata(written)["format"] == fmt
    expected, _ = read_trace(fmt, DATA / name)
    assert written.equals(expected)


def test_summary_lines(tmp_path: Path) -> None:
    out = tmp_path / "philly.parquet"
    result = _invoke("philly", str(PHILLY), "--output", str(out))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{PHILLY}: philly: read 12 rows, wrote 12, skipped 0 -> {out} (")
    assert lines[1] == ("jobs 12 | GPU-hours 947 | span 74.6 d from 2017-09-29 07:58:32 | GPUs per job 1-128 "
                        "| 4 tenants")


def test_default_output_is_the_file_name_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke("philly", str(PHILLY))
    assert result.exit_code == 0
    assert (tmp_path / "philly_excerpt.parquet").is_file()


def test_bad_row_exit_2_one_line_and_no_output(tmp_path: Path) -> None:
    path = _bad_philly(tmp_path)
    out = tmp_path / "out.parquet"
    result = _invoke("philly", str(path), "-o", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"{path}:5: duration: must be >= 0 s, got -5 "
                             "(hint: the only bad row; --skip-bad leaves it out)\n")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_failed_import_leaves_an_existing_output_alone(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    out.write_bytes(b"an earlier import")
    result = _invoke("philly", str(_bad_philly(tmp_path)), "-o", str(out))
    assert result.exit_code == 2
    assert out.read_bytes() == b"an earlier import"


def test_skip_bad_counts_and_names_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = _invoke("philly", str(_bad_philly(tmp_path)), "-o", str(out), "--skip-bad")
    assert result.exit_code == 0
    assert "read 12 rows, wrote 11, skipped 1" in result.stdout
    assert "skipped 1 bad row(s) at lines 5 (first: duration: must be >= 0 s, got -5)" in result.stdout
    assert pq.read_table(out).num_rows == 11


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["slurm", "x.csv"], "traces import: FORMAT: unknown format 'slurm' (hint: one of philly, gavel, pollux, "
                             "tiresias, alibaba, gavel-throughputs)"),
        (["philly", "no/such/file.csv"], "no/such/file.csv: cannot read: No such file or directory"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert list(tmp_path.iterdir()) == []


def test_wrong_header_and_unwritable_output(tmp_path: Path) -> None:
    result = _invoke("pollux", str(PHILLY), "-o", str(tmp_path / "x.parquet"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"{PHILLY}:1: header: missing columns name, time, application, num_replicas, "
                                    "batch_size: expected columns name,time,application,num_replicas,batch_size")
    result = _invoke("philly", str(PHILLY), "-o", str(tmp_path / "nowhere" / "x.parquet"))
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path / 'nowhere' / 'x.parquet'}: cannot write: no folder {tmp_path / 'nowhere'}\n"


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails half way leaves neither the output nor its temporary file."""
    table, _ = read_trace("philly", PHILLY)
    real = pq.write_table

    def half_then_fail(tbl, where, **kwargs):
        real(tbl.slice(0, 3), where, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(traces.pq, "write_table", half_then_fail)
    out = tmp_path / "out.parquet"
    with pytest.raises(OSError):
        write_parquet(table, out)
    assert list(tmp_path.iterdir()) == []
    result = _invoke("philly", str(PHILLY), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"{out}: cannot write: No space left on device\n"
    assert list(tmp_path.iterdir()) == []

    def interrupted(tbl, where, **kwargs):
        real(tbl.slice(0, 3), where, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(traces.pq, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_parquet(table, out)
    assert list(tmp_path.iterdir()) == []
