"""What every trace importer shares: file-level errors, the schemas, and docs/traces.md keeping up with them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orbitgrid.errors import InputError
from orbitgrid.workload.traces import FORMATS, JOB_SCHEMA, THROUGHPUT_SCHEMA, read_trace
from orbitgrid.workload.traces import schema as schema_module

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "traces.md"


def test_unknown_format() -> None:
    with pytest.raises(InputError) as info:
        read_trace("slurm", "x.csv")
    assert info.value.first_line() == ("traces: FORMAT: unknown format 'slurm' (hint: one of philly, gavel, pollux, "
                                       "tiresias, alibaba, gavel-throughputs)")


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_file_and_folder(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(InputError) as info:
        read_trace(fmt, tmp_path / "none.csv")
    assert info.value.first_line() == f"{tmp_path / 'none.csv'}: cannot read: No such file or directory"
    with pytest.raises(InputError) as info:
        read_trace(fmt, tmp_path)
    assert info.value.first_line() == f"{tmp_path}: is a folder, not a trace file"


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_file_is_one_line(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_trace(fmt, path)
    assert len(info.value.problems) == 1
    assert info.value.first_line().startswith(str(path))


@pytest.mark.parametrize("fmt", FORMATS)
def test_not_utf8_names_the_line(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "latin1"
    path.write_bytes(b"a,b\nc,d\n\xe9t\xe9\n")
    with pytest.raises(InputError) as info:
        read_trace(fmt, path)
    assert info.value.first_line().startswith(f"{path}:3: not UTF-8 text")


def test_display_name_replaces_the_path(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("timestamp,duration,num_gpus\n2017-10-09 07:01:55,-1,1\n")
    with pytest.raises(InputError) as info:
        read_trace("philly", path, display_name="philly.csv")
    assert info.value.first_line().startswith("philly.csv:2: duration:")


def test_schema_docstring_names_every_column() -> None:
    doc = schema_module.__doc__
    for name in JOB_SCHEMA.names:
        assert re.search(rf"^  {name}\b", doc, re.M), name


def test_docs_cover_every_format_and_column() -> None:
    text = DOC.read_text()
    for fmt in FORMATS:
        assert f"### {fmt}:" in text, fmt
    for name in JOB_SCHEMA.names + THROUGHPUT_SCHEMA.names:
        assert f"`{name}`" in text, name
    for fmt in FORMATS:  # every module docstring cites the upstream file it matched
        module = __import__(f"orbitgrid.workload.traces.{fmt.replace('-', '_')}", fromlist=["x"])
        assert "Matched against" in module.__doc__, fmt
