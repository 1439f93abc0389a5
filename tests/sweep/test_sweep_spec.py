"""The sweep file and its points: values, samples, paths, and one-line errors at the right line."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.errors import InputError
from orbitgrid.sweep.apply import PathError, get_at, set_at, tree_copy
from orbitgrid.sweep.points import plan_points
from orbitgrid.sweep.spec import grid_values, load_sweep, parse_distribution, unit_samples


def plan(sweep_file, text):
    return plan_points(load_sweep(sweep_file(text)))


def errors(sweep_file, text) -> list[str]:
    with pytest.raises(InputError) as info:
        plan(sweep_file, text)
    return info.value.all_lines()


def test_blocks_multiply_in_a_fixed_order(sweep_file):
    p = plan(sweep_file, """
        name: s
        base: tiny.yaml
        grid:
          policy.name: [fifo, sjf]
          workload.generator.arrival_rate_per_h: {linspace: [10, 30, 3]}
        list:
          - {sites.0.pue: 1.1}
          - sites[0].pue: 1.3
            sites.0.pools.1.count: 72
        seeds: {count: 2, start: 5}
    """)
    assert len(p.points) == 2 * 3 * 2 * 2
    assert p.params == ["policy.name", "workload.generator.arrival_rate_per_h", "sites.0.pue", "sites.0.pools.1.count"]
    first, last = p.points[0], p.points[-1]
    assert (first.values, first.seed) == ({"policy.name": "fifo", "workload.generator.arrival_rate_per_h": 10,
                                           "sites.0.pue": 1.1, "sites.0.pools.1.count": 36}, 5)  # 36: the base's
    assert (last.values, last.seed) == ({"policy.name": "sjf", "workload.generator.arrival_rate_per_h": 30,
                                         "sites.0.pue": 1.3, "sites.0.pools.1.count": 72}, 6)
    sc = last.loaded.scenario
    assert (sc.policy.name, sc.workload.generator.arrival_rate_per_h, sc.sites[0].pue, sc.sites[0].pools[1].count) == \
        ("sjf", 30, 1.3, 72)
    assert sc.sites[0].pools[0].count == 64  # untouched
    assert len({pt.point_id for pt in p.points}) == len(p.points)


def test_point_ids_follow_the_scenario_not_the_order(sweep_file):
    a = plan(sweep_file, "name: s\nbase: tiny.yaml\ngrid: {policy.name: [fifo, sjf, las]}\nseeds: [1, 2]\n")
    b = plan(sweep_file, "name: s\nbase: tiny.yaml\ngrid: {policy.name: [las, fifo, sjf]}\nseeds: [2, 1]\n")
    ids = lambda p: {(pt.values["policy.name"], pt.seed): pt.point_id for pt in p.points}  # noqa: E731
    assert ids(a) == ids(b)
    assert [pt.index for pt in b.points] == list(range(6))


def test_no_seeds_block_runs_the_scenarios_own_seed(sweep_file):
    p = plan(sweep_file, "name: s\nbase: tiny.yaml\ngrid: {simulation.seed: [4, 9]}\n")
    assert [pt.seed for pt in p.points] == [4, 9]


def test_linspace_and_logspace():
    assert grid_values({"linspace": [60, 180, 3]}) == [60, 120, 180]
    assert all(isinstance(v, int) for v in grid_values({"linspace": [60, 180, 3]}))
    assert grid_values({"linspace": [0.5, 1.0, 3]}) == [0.5, 0.75, 1.0]
    assert np.allclose(grid_values({"logspace": [100, 10000, 3]}), [100, 1000, 10000])
    with pytest.raises(ValueError, match="count"):
        grid_values({"linspace": [1, 2, 0]})


def test_latin_hypercube_hits_every_stratum_once():
    u = unit_samples("lhs", 10, 3, seed=7)
    assert u.shape == (10, 3)
    for d in range(3):  # one sample in each tenth of every dimension
        assert sorted(np.floor(u[:, d] * 10).astype(int)) == list(range(10))
    assert np.array_equal(u, unit_samples("lhs", 10, 3, seed=7))
    assert not np.array_equal(u, unit_samples("lhs", 10, 3, seed=8))
    r = unit_samples("random", 1000, 1, seed=1)
    assert 0.45 < r.mean() < 0.55


def test_distributions_map_uniforms_to_values():
    u = np.array([0.0, 0.25, 0.5, 0.999])
    assert parse_distribution({"uniform": [2, 6]}).at(u) == [2.0, 3.0, 4.0, pytest.approx(5.996)]
    assert parse_distribution({"integer": [1, 4]}).at(u) == [1, 2, 3, 4]
    assert parse_distribution({"choice": ["fifo", "sjf"]}).at(u) == ["fifo", "fifo", "sjf", "sjf"]
    assert parse_distribution({"loguniform": [1, 100]}).at(np.array([0.5]))[0] == pytest.approx(10.0)
    assert parse_distribution({"lognormal": {"median": 3, "sigma": 0.5}}).at(np.array([0.5]))[0] == pytest.approx(3.0)
    assert parse_distribution({"triangular": [0, 0, 1]}).at(np.array([0.25]))[0] == pytest.approx(1 - np.sqrt(0.75))
    with pytest.raises(ValueError, match="must not decrease"):
        parse_distribution({"uniform": [3, 1]})


def test_samples_are_reproducible_and_inside_their_range(sweep_file):
    text = """
        name: s
        base: tiny.yaml
        samples:
          n: 8
          seed: 11
          params:
            sites.0.pue: {uniform: [1.1, 1.5]}
            sites.0.pools.0.count: {integer: [32, 128]}
    """
    a, b = plan(sweep_file, text), plan(sweep_file, text)
    pues = [pt.values["sites.0.pue"] for pt in a.points]
    assert pues == [pt.values["sites.0.pue"] for pt in b.points]
    assert all(1.1 <= x <= 1.5 for x in pues) and len(set(pues)) == 8
    counts = [pt.loaded.scenario.sites[0].pools[0].count for pt in a.points]
    assert all(32 <= c <= 128 and isinstance(c, int) for c in counts)


def test_set_at_unshares_yaml_anchors():
    shared = {"gpus": 16}
    data = tree_copy({"constellations": [{"satellite": shared}, {"satellite": shared}]})
    set_at(data, "constellations.0.satellite.gpus", 8)
    assert get_at(data, "constellations.0.satellite.gpus") == 8
    assert get_at(data, "constellations.1.satellite.gpus") == 16
    with pytest.raises(PathError, match="has 2 item"):
        set_at(data, "constellations.2.satellite.gpus", 1)
    with pytest.raises(PathError, match="no field 'sat'"):
        set_at(data, "constellations.0.sat.gpus", 1)


def test_a_path_that_leads_nowhere_names_its_line(sweep_file):
    lines = errors(sweep_file, "name: s\nbase: tiny.yaml\ngrid:\n  policy.name: [fifo]\n  sites.3.pue: [1.1]\n")
    assert len(lines) == 1
    assert lines[0].endswith("sweep.yaml:5: grid.sites.3.pue: sites.3.pue: sites has 1 item(s): no index 3 "
                             "(hint: paths are fields of the base scenario: sites.0.pools.1.count, policy.name, "
                             "workload.generator.arrival_rate_per_h)")


def test_a_value_that_breaks_the_scenario_names_its_own_line(sweep_file):
    lines = errors(sweep_file, """
        name: s
        base: tiny.yaml
        grid:
          policy.name: [fifo, fifoo, sjf]
          sites.0.pools.0.count: [64, -1]
    """)
    assert any(line.endswith("sweep.yaml:4: grid.policy.name[1]: 'fifoo' makes the scenario invalid: "
                             "policy.name: unknown policy 'fifoo' (hint: did you mean 'fifo'?)") for line in lines), lines
    assert any("sweep.yaml:5: grid.sites.0.pools.0.count[1]: -1 makes the scenario invalid: "
               "sites[0].pools[0].count:" in line for line in lines), lines
    assert len(lines) == 2  # each problem once, though several points share it


@pytest.mark.parametrize("text, expected", [
    ("name: s\nbase: tiny.yaml\ngrd: {policy.name: [fifo]}\n", "sweep.yaml:3: grd: unknown field (hint: did you mean 'grid'?)"),
    ("name: a b\nbase: tiny.yaml\n", "sweep.yaml:1: name: not a folder name: 'a b'"),
    ("name: s\nbase: nowhere.yaml\n", "sweep.yaml:2: base: file not found:"),
    ("name: s\nbase: tiny.yaml\ngrid: {policy.name: []}\n", "sweep.yaml:3: grid.policy.name: an empty list"),
    ("name: s\nbase: tiny.yaml\ngrid: {policy.name: fifo}\n", "sweep.yaml:3: grid.policy.name: give a list of values"),
    ("name: s\nbase: tiny.yaml\ngrid:\n  policy: [{name: fifo}]\n  policy.name: [sjf]\n",
     "sweep.yaml:5: grid.policy.name: policy.name lies inside policy"),
    ("name: s\nbase: tiny.yaml\ngrid: {sites.0.pue: [1.2]}\nlist: [{sites.0.pue: 1.3}]\n",
     "sweep.yaml:4: list[0].sites.0.pue: sites.0.pue is also set in grid"),
    ("name: s\nbase: tiny.yaml\nseeds: [1, 1]\n", "points 0 and 1 are the same scenario and seed"),
    ("name: s\nbase: tiny.yaml\nsamples: {n: 3, params: {sites.0.pue: {normal: [1, 2]}}}\n",
     "sweep.yaml:3: samples.params.sites.0.pue: give one of {uniform: ...}"),
    ("name: s\nbase: tiny.yaml\nseeds: {count: 0}\n", "sweep.yaml:3: seeds.count: Input should be greater than or equal to 1"),
])
def test_bad_sweep_files_get_one_located_line(sweep_file, text, expected):
    lines = errors(sweep_file, text)
    assert expected in lines[0], lines


@pytest.mark.parametrize("example, points, worlds", [("sweep-quickstart.yaml", 18, 2), ("sweep-orbit.yaml", 6, 1)])
def test_packaged_example_sweeps_plan(example, points, worlds):
    from pathlib import Path

    import orbitgrid

    p = plan_points(load_sweep(Path(orbitgrid.__file__).parent / "examples" / example))
    assert len(p.points) == points and len({pt.world_key for pt in p.points}) == worlds
