"""Worlds that many points share, built once.

`build_world` turns the fleet into pools; with constellations that includes the orbital
tables (sunlight, battery, radiator, faults over every tick), seconds of work per run that
do not depend on the policy or the jobs. Points whose world-making inputs are equal get
one World: reused in this process, or built by one Ray task and read by every point from
Ray's object store. The World is made read-only (as Ray's store makes it anyway), so a
point that tried to change it would fail loudly rather than leak into the next point.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np

from orbitgrid.scenario import Scenario
from orbitgrid.world.pools import World, build_world

# what build_world reads (world/pools.py, world/orbital.py): the fleet and its clock; the
# seed draws the orbital faults. Keying on more than it reads is safe, on less is not.
WORLD_FIELDS = {"simulation", "accelerators", "sites", "constellations"}


def world_inputs(sc: Scenario) -> str:
    """Every input but the seed that decides the World of scenario `sc`, as canonical JSON."""
    parts = sc.model_dump(mode="json", include=WORLD_FIELDS)
    parts["simulation"].pop("seed", None)  # the seed the run uses goes into the key instead
    parts["_"] = {
        "reference_gpu": sc.workload.reference_gpu,
        "allow_mixed_gangs": sc.policy.allow_mixed_gangs,
        "mixed_gang_penalty": sc.policy.mixed_gang_penalty,
    }
    return json.dumps(parts, sort_keys=True)


def world_key(sc: Scenario | str, seed: int) -> str:
    """A hash of every input that decides the World of scenario `sc` (or its world_inputs)
    run with `seed`."""
    inputs = sc if isinstance(sc, str) else world_inputs(sc)
    return hashlib.sha256(f"{inputs}\n{int(seed)}".encode("utf-8")).hexdigest()[:16]


def freeze(world: World) -> World:
    """Make every array of `world` read-only (in place) and return it."""
    def lock(value: object) -> None:
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        elif isinstance(value, (tuple, list)):  # cap_curves: per pool None or (caps, shares)
            for item in value:
                lock(item)

    for value in vars(world).values():
        lock(value)
    return world


def make_world(sc: Scenario, base_dir: Path, seed: int) -> World:
    """The read-only World of one key (also the body of the Ray task that builds it)."""
    return freeze(build_world(sc, base_dir, seed))


def shared_keys(keys: list[str]) -> set[str]:
    """The keys that more than one point uses: only those are worth building apart."""
    return {k for k, n in Counter(keys).items() if n > 1}


class WorldCache:
    """In-process sharing: a key's World is built at its first point and dropped after its
    last, so memory holds only the worlds still to be used."""

    def __init__(self, keys: list[str]):
        self._left = Counter(k for k in keys if k in shared_keys(keys))
        self._worlds: dict[str, World] = {}
        self.built = 0

    def take(self, key: str, sc: Scenario, base_dir: Path, seed: int) -> World | None:
        """The shared World for a point of `key` (None: the point builds its own)."""
        if key not in self._left:
            return None
        world = self._worlds.get(key)
        if world is None:
            world = self._worlds[key] = make_world(sc, base_dir, seed)
            self.built += 1
        self._left[key] -= 1
        if self._left[key] == 0:
            del self._left[key]
            self._worlds.pop(key, None)
        return world


def is_frozen(world: World) -> bool:
    """Whether every array of `world` is read-only (for the tests)."""
    arrays = [v for v in vars(world).values() if isinstance(v, np.ndarray)]
    return all(not a.flags.writeable for a in arrays)

