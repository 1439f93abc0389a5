"""Policies chosen by name. A user's own policy is one `@register_policy("name")` away."""

from __future__ import annotations

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


def _load_builtins() -> None:
    # importing the modules runs their @register_policy decorators
    from orbitgrid.policies import backfill, fifo  # noqa: F401
