"""Policies chosen by name. A user's own policy is one `@register_policy("name")` away;
a package can make its policies available to every scenario through an entry point:

    [project.entry-points."orbitgrid.policies"]
    mine = "mypackage.policies"
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Callable

_POLICIES: dict[str, type] = {}


def register_policy(name: str) -> Callable[[type], type]:
    """Class decorator: make a policy available to scenarios as `policy: {name: NAME}`."""

    def wrap(cls: type) -> type:
        if name in _POLICIES and _POLICIES[name] is not cls:
            raise ValueError(f"a policy named {name!r} is already registered")
        cls.name = name
        _POLICIES[name] = cls
        return cls

    return wrap


def get_policy(name: str) -> type:
    _load_builtins()
    return _POLICIES[name]


def names() -> list[str]:
    _load_builtins()
    return sorted(_POLICIES)


_plugins_loaded = False


def _load_builtins() -> None:
    """Import the built-in policies, then any installed package's entry points in the
    group `orbitgrid.policies` (importing a module runs its @register_policy)."""
    global _plugins_loaded
    from orbitgrid.policies import backfill, fifo, gavel, las, pack, reserved, sjf  # noqa: F401

    if not _plugins_loaded:
        _plugins_loaded = True
        for entry in entry_points(group="orbitgrid.policies"):
            entry.load()
