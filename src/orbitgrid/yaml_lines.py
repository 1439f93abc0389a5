"""YAML loading that remembers where every key and item came from, so errors can name a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orbitgrid.errors import InputError, Problem

PathKey = tuple[str | int, ...]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that records duplicate keys instead of silently keeping the last one."""


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], dups: list[tuple[PathKey, int]]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = path + (key,)
            if key in seen:
                dups.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, dups)
            # the key's own line is the best place to point at for the item
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, dups)


def format_path(path: PathKey) -> str:
    """`('sites', 0, 'pools', 1, 'count')` -> `sites[0].pools[1].count`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LineMap:
    """Maps a path into the document to the line it was written on."""

    def __init__(self, lines: dict[PathKey, int]):
        self._lines = lines

    def line_of(self, path: PathKey) -> int | None:
        """The line of the longest prefix of `path` that is in the file."""
        for cut in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


def load_yaml_with_lines(file: Path) -> tuple[Any, LineMap]:
    """Parse `file`; raise InputError (with the line) for a missing file or bad YAML."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(name, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(name, None, "", "is a folder, not a scenario file")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, None, "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise InputError([Problem(name, None, "", f"cannot read: {exc.strerror}")]) from None
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem and exc.context_mark is not None:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise InputError([Problem(name, line, "yaml", f"{problem}", "check indentation, colons and quotes")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, None, "yaml", str(exc).splitlines()[0])]) from None
    lines: dict[PathKey, int] = {}
    dups: list[tuple[PathKey, int]] = []
    if node is not None:
        _walk(node, (), lines, dups)
    if dups:
        raise InputError(
            [Problem(name, line, format_path(path), "duplicate key", "each key may appear once") for path, line in dups]
        )
    return data, LineMap(lines)
