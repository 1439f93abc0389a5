"""Worlds shared between points: keyed on what builds them, read-only, and giving the same
results as a world each point builds for itself."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.engine.run import simulate
from orbitgrid.sweep.points import plan_points
from orbitgrid.sweep.shared import WorldCache, is_frozen, make_world
from orbitgrid.sweep.spec import load_sweep


@pytest.fixture
def orbit_plan(sweep_file):
    return plan_points(load_sweep(sweep_file("""
        name: orbit-policies
        base: tiny-orbit.yaml
        grid:
          policy.name: [fifo, backfill]
          workload.generator.arrival_rate_per_h: [10, 40]
        seeds: [3, 4]
    """)))


def test_world_key_follows_the_world_inputs_only(orbit_plan, sweep_file):
    by = {(pt.values["policy.name"], pt.values["workload.generator.arrival_rate_per_h"], pt.seed): pt.world_key
          for pt in orbit_plan.points}
    # policy and arrival rate do not change the fleet: one world per seed
    assert len({by[("fifo", 10, 3)], by[("backfill", 10, 3)], by[("backfill", 40, 3)]}) == 1
    assert by[("fifo", 10, 3)] != by[("fifo", 10, 4)]  # the seed draws the orbital faults
    other = plan_points(load_sweep(sweep_file("name: s\nbase: tiny-orbit.yaml\n"
                                              "grid: {constellations.0.satellite.battery_wh: [40000, 20000]}\n")))
    assert other.points[0].world_key == by[("fifo", 10, 3)]  # 40000 Wh is the base's own
    assert other.points[1].world_key != other.points[0].world_key


def test_a_shared_read_only_world_gives_the_same_results(orbit_plan):
    pt = next(p for p in orbit_plan.points if p.values["policy.name"] == "backfill" and p.seed == 3
              and p.values["workload.generator.arrival_rate_per_h"] == 40)
    world = make_world(pt.loaded.scenario, pt.loaded.base_dir, pt.seed)
    assert is_frozen(world) and world.orbital_pools.size > 0
    with pytest.raises(ValueError, match="read-only"):
        world.orbital_usable[0, 0] = 0
    own = simulate(pt.loaded, pt.seed).summary
    assert own["fault_hits"] > 0 and own["orbital_gpu_hours_available"] > 0
    first = simulate(pt.loaded, pt.seed, world=world).summary
    again = simulate(pt.loaded, pt.seed, world=world).summary  # nothing leaked from the first run
    assert own == first == again


def test_the_cache_builds_each_shared_world_once_and_lets_it_go(orbit_plan):
    pts = orbit_plan.points
    cache = WorldCache([p.world_key for p in pts])
    worlds = [cache.take(p.world_key, p.loaded.scenario, p.loaded.base_dir, p.seed)
              for p in sorted(pts, key=lambda p: (p.world_key, p.index))]
    assert cache.built == 2  # two seeds, four points each
    assert len({id(w) for w in worlds}) == 2
    assert not cache._worlds  # every world dropped after its last point
    lone = WorldCache(["a", "b"])  # no key used twice: each point builds its own
    p = pts[0]
    assert lone.take("a", p.loaded.scenario, p.loaded.base_dir, p.seed) is None
    assert np.array_equal(worlds[0].installed, make_world(p.loaded.scenario, p.loaded.base_dir, p.seed).installed)
