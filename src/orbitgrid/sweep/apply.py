"""Set a value at a path of a scenario (`sites.0.pools.1.count`) and check the result
exactly as `load_scenario` checks a file: the same pydantic model, the same checks across
fields, the same messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orbitgrid.errors import Problem
from orbitgrid.scenario import LoadedScenario, scenario_from_data
from orbitgrid.yaml_lines import LineMap, PathKey

from orbitgrid.sweep.spec import split_path


class PathError(ValueError):
    """A parameter path that does not lead anywhere in the scenario."""


def tree_copy(data: Any) -> Any:
    """A copy of YAML data with nothing shared. YAML anchors (`*sat`) make one dict appear
    in two places; setting a field of one must not change the other, so unlike
    copy.deepcopy this does not keep the sharing."""
    if isinstance(data, dict):
        return {k: tree_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [tree_copy(v) for v in data]
    return data


def key_path(path: str, data: Any) -> PathKey:
    """The path as the line map keys it: list positions as ints (`('sites', 0, 'pue')`)."""
    out: list[str | int] = []
    node = data
    for part in split_path(path):
        if isinstance(node, list) and part.isdigit():
            out.append(int(part))
            node = node[int(part)] if int(part) < len(node) else None
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return tuple(out)


def get_at(data: Any, path: str, default: Any = None) -> Any:
    """The value at `path`, or `default` where the path leads nowhere."""
    node = data
    for part in split_path(path):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def set_at(data: Any, path: str, value: Any) -> None:
    """Set `value` at `path` in place. Every step but the last must exist (a list item by
    its index); the last may be a field the base file leaves at its default."""
    parts = split_path(path)
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, list):
            if not part.isdigit():
                raise PathError(f"{where} is a list: index it by number (0 to {len(node) - 1}), not {part!r}")
            k = int(part)
            if k >= len(node):
                raise PathError(f"{where} has {len(node)} item(s): no index {k}")
        elif isinstance(node, dict):
            k = part
            if k not in node and not last:
                known = ", ".join(map(str, node)) or "none"
                raise PathError(f"no field {part!r} in {where} (it has: {known})")
        else:
            raise PathError(f"{where} is a single value ({node!r}), it has no field {part!r}")
        if last:
            node[k] = value
        else:
            node = node[k]


def scenario_text(data: dict) -> str:
    """The point's scenario as YAML, keys in the base file's order: what its run folder keeps."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def load_scenario_data(data: dict, base_file: Path, lines: LineMap, text: str) -> LoadedScenario:
    """Validate scenario `data` (a changed copy of `base_file`'s) as `load_scenario` would,
    relative paths resolving against the base file's folder; InputError with the base
    file's lines."""
    return scenario_from_data(data, base_file, lines, text)


def blame(problem: Problem, values: dict[str, Any], data: Any) -> str | None:
    """Which varied path a scenario problem lies in (the longest one containing it), if any."""
    hit = None
    for path in values:
        key = ".".join(str(p) for p in key_path(path, data))
        flat = problem.path.replace("[", ".").replace("]", "")
        if (flat == key or flat.startswith(key + ".")) and (hit is None or len(path) > len(hit)):
            hit = path
    return hit
