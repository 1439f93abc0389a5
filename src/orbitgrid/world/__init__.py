"""Sites and pools: the fleet as the scheduler sees it."""

from orbitgrid.world.pools import World, build_world

__all__ = ["World", "build_world"]
