"""`orbitgrid run --policy a,b`: the same scenario and seed under several policies."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import TINY, _assert_user_error, _lines, orbitgrid

from orbitgrid.results.compare import comparison_rows


def test_policies_compared_side_by_side(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    proc = orbitgrid("run", "tiny.yaml", "--policy", "fifo,backfill", "--json", "--out", "OUT", "--seed", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    both = json.loads(_lines(proc.stdout)[0])
    assert list(both) == ["fifo", "backfill"]
    # one complete run folder per policy, each a normal run of that policy, plus the page
    folders = sorted(p for p in (tmp_path / "OUT").iterdir() if p.is_dir())
    assert [f.name.split("_seed")[0] for f in folders] == ["tiny-cli_backfill", "tiny-cli_fifo"]
    pages = list((tmp_path / "OUT").glob("*_comparison.html"))
    assert len(pages) == 1 and not list((tmp_path / "OUT").glob(".*partial*"))
    page = pages[0].read_text(encoding="utf-8")
    assert page.count('id="orbitgrid-compare-') == 2 and "report.html" in page
    # the same jobs, only the policy differs; each run equals a plain run of that policy
    assert both["fifo"]["jobs_submitted"] == both["backfill"]["jobs_submitted"]
    alone = orbitgrid("run", "tiny.yaml", "--json", "--out", "ALONE", "--seed", "3", cwd=tmp_path)  # backfill
    single = json.loads(_lines(alone.stdout)[0])
    for key in ("jobs_completed", "allocation_utilization", "mean_wait_h", "energy_mwh"):
        assert both["backfill"][key] == single[key]
    # backfill never waits longer on average than FIFO on the same jobs (Lifka 1995)
    assert both["backfill"]["mean_wait_h"] <= both["fifo"]["mean_wait_h"]


def test_bad_policy_list(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    for arg, says in (("fifo,fiffo", "unknown policy 'fiffo'"), ("fifo,fifo", "name each policy once"), (",", "no policy")):
        lines = _assert_user_error(orbitgrid("run", "tiny.yaml", "--policy", arg, "--out", "OUT", cwd=tmp_path))
        assert len(lines) == 1 and says in lines[0]
    assert not (tmp_path / "OUT").exists()


def test_comparison_rows_keep_the_order_and_skip_absent_keys() -> None:
    rows = comparison_rows({"a": {"mean_jct_h": 2.0, "jobs_submitted": 5}, "b": {"jobs_submitted": 5}})
    assert rows == [("jobs_submitted", [5, 5]), ("mean_jct_h", [2.0, None])]
