"""Scenario input errors: each names the file, the exact line and the field path, never a traceback.

Every test starts from VALID (line numbers in the comments on the right) and changes one thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitgrid.errors import InputError, Problem
from orbitgrid.scenario import LoadedScenario, load_scenario

REPO = Path(__file__).resolve().parents[1]

VALID = """\
name: tiny
simulation:
  duration_h: 2
sites:
  - name: s1
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 5
    pue: 1.2
    pools:
      - name: p1
        gpu: H100
        count: 64
workload:
  reference_gpu: H100
  generator:
    arrival_rate_per_h: 10
    gpus_per_job: {min: 1, max: 16}
policy:
  name: fifo
"""
# line numbers in VALID, so the expectations below read as what they mean
L_NAME, L_SIMULATION, L_DURATION = 1, 2, 3
L_POWER_CAP, L_PUE, L_POOLS, L_GPU, L_COUNT = 7, 8, 9, 11, 12
L_REFERENCE, L_GENERATOR, L_GPUS_PER_JOB, L_POLICY_NAME = 14, 15, 17, 19


def _line(text: str, start: str) -> int:
    """1-based number of the first line of `text` that starts with `start` (after indentation)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(start):
            return number
    raise AssertionError(f"no line starts with {start!r}")


def test_line_constants_match_the_valid_scenario() -> None:
    assert _line(VALID, "name: tiny") == L_NAME
    assert _line(VALID, "simulation:") == L_SIMULATION
    assert _line(VALID, "duration_h:") == L_DURATION
    assert _line(VALID, "power_cap_mw:") == L_POWER_CAP
    assert _line(VALID, "pue:") == L_PUE
    assert _line(VALID, "pools:") == L_POOLS
    assert _line(VALID, "gpu: H100") == L_GPU
    assert _line(VALID, "count:") == L_COUNT
    assert _line(VALID, "reference_gpu:") == L_REFERENCE
    assert _line(VALID, "generator:") == L_GENERATOR
    assert _line(VALID, "gpus_per_job:") == L_GPUS_PER_JOB
    assert _line(VALID, "name: fifo") == L_POLICY_NAME


def _write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def _problems(tmp_path: Path, text: str) -> tuple[Path, list[Problem]]:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert problems, "an InputError must carry at least one problem"
    for problem in problems:
        assert problem.file == str(path)
    return path, problems


def _first(tmp_path: Path, text: str) -> Problem:
    return _problems(tmp_path, text)[1][0]


# ---------------------------------------------------------------- valid input


def test_valid_scenario_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID)
    loaded = load_scenario(path)
    assert isinstance(loaded, LoadedScenario)
    sc = loaded.scenario
    assert sc.name == "tiny"
    assert sc.simulation.duration_h == 2
    assert [p.count for p in sc.sites[0].pools] == [64]
    assert sc.sites[0].pools[0].gpu == "H100"
    assert sc.workload.generator is not None
    assert sc.workload.generator.gpus_per_job.max == 16
    assert sc.policy.name == "fifo"
    assert loaded.text == VALID
    assert loaded.base_dir == tmp_path


def test_valid_scenario_accepts_a_path_string(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID)
    assert load_scenario(str(path)).scenario.name == "tiny"


@pytest.mark.parametrize("example", ["examples/quickstart.yaml", "src/orbitgrid/examples/quickstart.yaml"])
def test_packaged_quickstart_validates(example: str) -> None:
    loaded = load_scenario(REPO / example)
    sc = loaded.scenario
    assert sc.name == "quickstart"
    assert sc.policy.name == "backfill"
    assert sum(p.count for s in sc.sites for p in s.pools) == 2048 + 1152


def test_csv_workload_that_exists_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "jobs_ok.csv").write_text("arrival_h,gpus,work_gpu_h\n0,1,1\n", encoding="utf-8")
    text = _edit("  generator:\n", "  csv: jobs_ok.csv\n  generator:\n")
    loaded = load_scenario(_write(tmp_path, text))
    assert loaded.scenario.workload.csv == "jobs_ok.csv"
    assert loaded.resolve("jobs_ok.csv") == tmp_path / "jobs_ok.csv"


# ---------------------------------------------------------------- unknown keys


def test_unknown_top_level_key_with_hint(tmp_path: Path) -> None:
    text = _edit("simulation:\n", "descripton: hello\nsimulation:\n")
    problem = _first(tmp_path, text)
    assert problem.line == 2
    assert problem.path == "descripton"
    assert "unknown field" in problem.message
    assert problem.hint is not None and "did you mean 'description'" in problem.hint


def test_misspelt_required_top_level_key_is_named_with_hint(tmp_path: Path) -> None:
    text = _edit("simulation:\n", "simulaton:\n")
    _, problems = _problems(tmp_path, text)
    by_path = {p.path: p for p in problems}
    typo = by_path["simulaton"]
    assert typo.line == L_SIMULATION
    assert "unknown field" in typo.message
    assert typo.hint is not None and "'simulation'" in typo.hint
    # and the real field is reported missing
    assert "field required" in by_path["simulation"].message


def test_misspelt_required_key_is_the_first_problem(tmp_path: Path) -> None:
    # `run` shows only the first problem: it must be the typo, which explains the missing field too
    problem = _first(tmp_path, _edit("simulation:\n", "simulaton:\n"))
    assert problem.line == L_SIMULATION
    assert problem.path == "simulaton"
    assert problem.hint is not None and "did you mean 'simulation'" in problem.hint


def test_unknown_nested_key_in_pool(tmp_path: Path) -> None:
    text = _edit("        count: 64\n", "        count: 64\n        cont: 5\n")
    problem = _first(tmp_path, text)
    assert problem.line == L_COUNT + 1
    assert problem.path == "sites[0].pools[0].cont"
    assert "unknown field" in problem.message
    assert problem.hint is not None and "'count'" in problem.hint


def test_unknown_key_in_flow_mapping(tmp_path: Path) -> None:
    text = _edit("{lat_deg: 0, lon_deg: 0}", "{lat_deg: 0, lon_deg: 0, alt_m: 5}")
    problem = _first(tmp_path, text)
    assert problem.line == 6
    assert problem.path == "sites[0].location.alt_m"
    assert "unknown field" in problem.message


# ---------------------------------------------------------------- wrong values


def test_wrong_type_count(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("count: 64", "count: lots"))
    assert problem.line == L_COUNT
    assert problem.path == "sites[0].pools[0].count"
    assert "integer" in problem.message
    assert "'lots'" in problem.message


def test_negative_power_cap(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("power_cap_mw: 5", "power_cap_mw: -5"))
    assert problem.line == L_POWER_CAP
    assert problem.path == "sites[0].power_cap_mw"
    assert "greater than 0" in problem.message
    assert "-5" in problem.message


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_non_finite_power_cap(tmp_path: Path, value: str) -> None:
    problem = _first(tmp_path, _edit("power_cap_mw: 5", f"power_cap_mw: {value}"))
    assert problem.line == L_POWER_CAP
    assert problem.path == "sites[0].power_cap_mw"
    assert f"(got {value[1:]})" in problem.message or f"(got {value})" in problem.message
    if value == ".nan":
        assert problem.message == "not a number (got .nan)"


def test_pue_below_one(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("pue: 1.2", "pue: 0.9"))
    assert problem.line == L_PUE
    assert problem.path == "sites[0].pue"
    assert "greater than or equal to 1" in problem.message
    assert "0.9" in problem.message


def test_unknown_gpu_type_with_hint(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("        gpu: H100", "        gpu: H10"))
    assert problem.line == L_GPU
    assert problem.path == "sites[0].pools[0].gpu"
    assert "unknown GPU type" in problem.message and "'H10'" in problem.message
    assert problem.hint is not None and "H100" in problem.hint


def test_unknown_reference_gpu(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("reference_gpu: H100", "reference_gpu: X999"))
    assert problem.line == L_REFERENCE
    assert problem.path == "workload.reference_gpu"
    assert "unknown GPU type" in problem.message and "'X999'" in problem.message
    # nothing is close: the hint lists what is known
    assert problem.hint is not None and "H100" in problem.hint


def test_unknown_gpu_in_generator_types(tmp_path: Path) -> None:
    text = _edit(
        "    gpus_per_job: {min: 1, max: 16}\n",
        "    gpus_per_job: {min: 1, max: 16}\n    gpu_types:\n      - {types: [H100, B20O]}\n",
    )
    problem = _first(tmp_path, text)
    assert problem.line == L_GPUS_PER_JOB + 2
    assert problem.path == "workload.generator.gpu_types[0].types[1]"
    assert "'B20O'" in problem.message
    assert problem.hint is not None and "B200" in problem.hint


def test_missing_required_simulation(tmp_path: Path) -> None:
    text = _edit("simulation:\n  duration_h: 2\n", "")
    problem = _first(tmp_path, text)
    assert problem.path == "simulation"
    assert "field required" in problem.message
    assert problem.line == 1  # a missing top-level field points at the top of the file


def test_missing_required_nested_field(tmp_path: Path) -> None:
    text = _edit("    power_cap_mw: 5\n", "")
    problem = _first(tmp_path, text)
    assert problem.path == "sites[0].power_cap_mw"
    assert "field required" in problem.message
    assert problem.line == 5  # the site's first line


def test_workload_csv_that_does_not_exist(tmp_path: Path) -> None:
    text = _edit("  generator:\n", "  csv: no_such_jobs.csv\n  generator:\n")
    problem = _first(tmp_path, text)
    assert problem.line == L_GENERATOR
    assert problem.path == "workload.csv"
    assert "file not found" in problem.message and "no_such_jobs.csv" in problem.message
    assert problem.hint is not None and "relative to the scenario file" in problem.hint


def test_workload_csv_is_resolved_beside_the_scenario_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "jobs_here.csv").write_text("arrival_h,gpus,work_gpu_h\n0,1,1\n", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    text = _edit("  generator:\n", "  csv: jobs_here.csv\n  generator:\n")
    path = _write(sub, text)
    monkeypatch.chdir(tmp_path)  # the csv exists in the cwd, but not beside the scenario
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.problems[0].path == "workload.csv"


def test_unknown_policy_name(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("name: fifo", "name: fifa"))
    assert problem.line == L_POLICY_NAME
    assert problem.path == "policy.name"
    assert "unknown policy" in problem.message and "'fifa'" in problem.message
    assert problem.hint is not None and "fifo" in problem.hint


def test_outage_larger_than_pool(tmp_path: Path) -> None:
    text = _edit(
        "        count: 64\n",
        "        count: 64\n        outages:\n          - {start_h: 0, duration_h: 1, gpus: 100}\n",
    )
    problem = _first(tmp_path, text)
    assert problem.line == L_COUNT + 2
    assert problem.path == "sites[0].pools[0].outages[0].gpus"
    assert "100" in problem.message and "64" in problem.message


def test_gpus_per_job_max_below_min(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("{min: 1, max: 16}", "{min: 16, max: 4}"))
    assert problem.line == L_GPUS_PER_JOB
    assert problem.path == "workload.generator.gpus_per_job"
    assert "max (4) is below min (16)" in problem.message


def test_duplicate_site_name(tmp_path: Path) -> None:
    second_site = (
        "  - name: s1\n    location: {lat_deg: 1, lon_deg: 1}\n    power_cap_mw: 5\n    pue: 1.2\n"
        "    pools:\n      - name: p2\n        gpu: H100\n        count: 8\n"
    )
    text = _edit("workload:\n", second_site + "workload:\n")
    problem = _first(tmp_path, text)
    assert problem.line == 13
    assert problem.path == "sites[1].name"
    assert "duplicate site name 's1'" in problem.message


def test_all_problems_are_listed_in_line_order(tmp_path: Path) -> None:
    text = _edit("name: fifo", "name: fifa")
    text = _edit("count: 64", "count: lots", text)
    text = _edit("pue: 1.2", "pue: 0.5", text)
    _, problems = _problems(tmp_path, text)
    # pydantic problems stop the load before the cross-field checks (policy name) run
    assert [(p.line, p.path) for p in problems] == [
        (L_PUE, "sites[0].pue"),
        (L_COUNT, "sites[0].pools[0].count"),
    ]


def test_first_line_counts_the_rest(tmp_path: Path) -> None:
    text = _edit("count: 64", "count: lots")
    text = _edit("pue: 1.2", "pue: 0.5", text)
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    first = info.value.first_line()
    assert first.startswith(f"{path}:{L_PUE}: sites[0].pue: ")
    assert first.endswith("[and 1 more: run `orbitgrid validate` to list all]")
    assert info.value.all_lines()[1].startswith(f"{path}:{L_COUNT}: sites[0].pools[0].count: ")


# ---------------------------------------------------------------- YAML itself


def test_yaml_bad_indentation(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("    pue: 1.2", "   pue: 1.2"))
    assert problem.line == L_PUE
    assert problem.path == "yaml"
    assert problem.hint is not None and "indentation" in problem.hint


def test_yaml_unclosed_bracket(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("{min: 1, max: 16}", "[min: 1, max: 16"))
    # PyYAML notices the missing `]` on the next line, where `policy:` is read as a list item
    assert problem.line == L_GPUS_PER_JOB + 1
    assert problem.path == "yaml"
    assert "']'" in problem.message


def test_yaml_tab_indentation(tmp_path: Path) -> None:
    problem = _first(tmp_path, _edit("    pue: 1.2", "\tpue: 1.2"))
    assert problem.line == L_PUE
    assert problem.path == "yaml"
    assert "\\t" in problem.message


def test_duplicate_key(tmp_path: Path) -> None:
    text = _edit("    pue: 1.2\n", "    pue: 1.2\n    pue: 1.3\n")
    problem = _first(tmp_path, text)
    assert problem.line == L_PUE + 1  # the second occurrence
    assert problem.path == "sites[0].pue"
    assert "duplicate key" in problem.message


def test_duplicate_key_in_flow_mapping(tmp_path: Path) -> None:
    text = _edit("{lat_deg: 0, lon_deg: 0}", "{lat_deg: 0, lat_deg: 1, lon_deg: 0}")
    problem = _first(tmp_path, text)
    assert problem.line == 6
    assert problem.path == "sites[0].location.lat_deg"
    assert "duplicate key" in problem.message


def test_duplicate_top_level_keys_are_all_listed(tmp_path: Path) -> None:
    text = VALID + "name: again\npolicy:\n  name: backfill\n"
    _, problems = _problems(tmp_path, text)
    assert [(p.line, p.path) for p in problems] == [(20, "name"), (21, "policy")]
    assert all("duplicate key" in p.message for p in problems)


def test_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_scenario(missing)
    (problem,) = info.value.problems
    assert problem.file == str(missing)
    assert problem.line is None
    assert "file not found" in problem.message
    assert str(problem) == f"{missing}: file not found"


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_scenario(tmp_path)
    assert "folder" in info.value.problems[0].message


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert "UTF-8" in info.value.problems[0].message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    problem = _first(tmp_path, text)
    assert problem.line == 1
    assert "mapping" in problem.message


@pytest.mark.parametrize("text", ["- name: tiny\n- simulation: {}\n", "just a string\n", "42\n"])
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    problem = _first(tmp_path, text)
    assert problem.line == 1
    assert problem.path == ""
    assert "mapping" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "line", "path"),
    [
        ("count: 64", "count: true", L_COUNT, "sites[0].pools[0].count"),
        ("count: 64", "count: yes", L_COUNT, "sites[0].pools[0].count"),
        ("power_cap_mw: 5", "power_cap_mw: true", L_POWER_CAP, "sites[0].power_cap_mw"),
        ("pue: 1.2", "pue: false", L_PUE, "sites[0].pue"),
    ],
)
def test_boolean_is_not_a_number(tmp_path: Path, old: str, new: str, line: int, path: str) -> None:
    # YAML reads true/yes as booleans; they must not quietly become 1 (or 0)
    problem = _first(tmp_path, _edit(old, new))
    assert (problem.line, problem.path) == (line, path)
    assert "boolean" in problem.message


def test_absurd_pool_size_is_rejected(tmp_path: Path) -> None:
    # beyond int32 the results tables would wrap the count silently
    problem = _first(tmp_path, _edit("count: 64", "count: 99999999999"))
    assert (problem.line, problem.path) == (L_COUNT, "sites[0].pools[0].count")
    assert "less than or equal" in problem.message


def test_a_single_gpu_type_may_be_written_without_brackets(tmp_path: Path) -> None:
    from orbitgrid.scenario import GpuTypeChoice

    assert GpuTypeChoice.model_validate({"types": "H100"}).types == ["H100"]
    assert GpuTypeChoice.model_validate({"types": "any"}).types == "any"


def test_unknown_gpu_is_listed_beside_shape_errors(tmp_path: Path) -> None:
    """A bad pue (shape) and an unknown GPU (a name) in one file: validate lists both."""
    from orbitgrid.errors import InputError
    from orbitgrid.scenario import load_scenario

    path = tmp_path / "two.yaml"
    path.write_text(
        "name: t\nsimulation: {duration_h: 1}\nsites:\n  - name: a\n    location: {lat_deg: 0, lon_deg: 0}\n"
        "    power_cap_mw: 1\n    pue: 0.9\n    pools: [{name: p, gpu: H10, count: 8}]\n"
        "workload: {generator: {arrival_rate_per_h: 5}}\n"
    )
    with pytest.raises(InputError) as info:
        load_scenario(path)
    found = [(p.line, p.path) for p in info.value.problems]
    assert found == [(7, "sites[0].pue"), (8, "sites[0].pools[0].gpu")]
    assert "did you mean 'H100'" in info.value.problems[1].hint
