"""The points of a sweep: each assignment applied to the base scenario and validated
before any point runs, with an id that names its run folder.

A point's id is a hash of its scenario text and seed, so it finds its folder again when
the sweep is resumed, whatever order the sweep file lists its values in; a point whose
base scenario changed is a new point.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from orbitgrid.errors import InputError, Problem
from orbitgrid.scenario import LoadedScenario, load_scenario
from orbitgrid.yaml_lines import format_path, load_yaml_with_lines

from orbitgrid.sweep.apply import PathError, blame, get_at, load_scenario_data, scenario_text, set_at, tree_copy
from orbitgrid.sweep.shared import world_inputs, world_key
from orbitgrid.sweep.spec import LoadedSweep, assignments

ID_CHARS = 12  # hex digits of sha-256: 48 bits, no collision in any sweep that fits a disk


@dataclass(frozen=True)
class Point:
    index: int
    point_id: str
    values: dict[str, Any]  # every varied path's value here (the base's where this point leaves it)
    seed: int
    loaded: LoadedScenario
    world_key: str


@dataclass(frozen=True)
class Plan:
    sweep: LoadedSweep
    base: LoadedScenario
    params: list[str]  # the varied paths, in the sweep file's order
    points: list[Point]


def point_id(text: str, seed: int) -> str:
    return hashlib.sha256(f"{text}\n# seed {seed}\n".encode("utf-8")).hexdigest()[:ID_CHARS]


def plan_points(sweep: LoadedSweep) -> Plan:
    """Every point of the sweep, validated; InputError naming the sweep file's line of each
    value that leads nowhere or makes the scenario invalid (each problem once)."""
    base_file = sweep.base_file
    try:
        base = load_scenario(base_file)
    except InputError as exc:
        if any(p.file == str(base_file) and p.line is None for p in exc.problems):
            raise InputError([sweep.problem(("base",), f"{exc.problems[0].message}: {base_file}",
                                            "the base scenario's path is relative to the sweep file")]) from None
        raise
    raw, lines = load_yaml_with_lines(base_file)
    todo = assignments(sweep)
    params = list(dict.fromkeys(p for a in todo for p in a.values))
    problems: dict[str, Problem] = {}  # by text: each problem once however many points share it
    built: dict[str, tuple[str, LoadedScenario | None, str]] = {}  # values -> (text, validated, world inputs)
    by_text: dict[str, LoadedScenario | None] = {}
    points: list[Point] = []
    seen: dict[str, int] = {}
    for index, a in enumerate(todo):
        values_key = json.dumps(a.values, sort_keys=True, default=repr)  # seeds of one setting share it
        if values_key not in built:
            text, loaded = _build(sweep, a, raw, lines, base_file, problems, by_text)
            built[values_key] = (text, loaded, world_inputs(loaded.scenario) if loaded is not None else "")
        text, loaded, inputs = built[values_key]
        if loaded is None:
            continue
        seed = loaded.scenario.simulation.seed if a.seed is None else a.seed
        pid = point_id(text, seed)
        if pid in seen:
            p = sweep.problem(a.sources[next(iter(a.values))] if a.values else ("seeds",),
                              f"points {seen[pid]} and {index} are the same scenario and seed",
                              "a value or seed is listed twice")
            problems.setdefault(str(p), p)
            continue
        seen[pid] = index
        values = {path: a.values[path] if path in a.values else get_at(raw, path) for path in params}
        points.append(Point(index, pid, values, seed, loaded, world_key(inputs, seed)))
    if problems:
        raise InputError(list(problems.values()))
    return Plan(sweep, base, params, points)


def _build(sweep: LoadedSweep, a, raw, lines, base_file, problems: dict, by_text: dict) -> tuple[str, LoadedScenario | None]:
    """One assignment applied to the base and validated (once per distinct scenario text);
    its problems go into `problems`, located in the sweep file."""
    data = tree_copy(raw)
    for path, value in a.values.items():
        try:
            set_at(data, path, value)
        except PathError as exc:
            src = a.sources[path]
            p = sweep.problem(src[:2] if src[0] == "grid" else src, f"{path}: {exc}", "paths are fields of the base "
                              "scenario: sites.0.pools.1.count, policy.name, workload.generator.arrival_rate_per_h")
            problems.setdefault(str(p), p)
            return "", None
    text = scenario_text(data)
    if text not in by_text:
        try:
            by_text[text] = load_scenario_data(data, base_file, lines, text)
        except InputError as exc:
            by_text[text] = None
            for p in _located(sweep, exc, a.values, a.sources, data):
                problems.setdefault(str(p), p)
    return text, by_text[text]


def _located(sweep: LoadedSweep, exc: InputError, values: dict, sources: dict, data) -> list[Problem]:
    """A point's scenario problems, each at the sweep file's line of the value behind it
    (or, where no one value is, at the point's first value, naming the base file's line)."""
    out = []
    for p in exc.problems:
        path = blame(p, values, data)
        if path is not None:
            msg = f"{values[path]!r} makes the scenario invalid: {p.path}: {p.message}"
            out.append(sweep.problem(sources[path], msg, p.hint))
            continue
        first = next(iter(values), None)
        where = f"{p.file}:{p.line}" if p.line else p.file
        setting = ", ".join(f"{k}={v!r}" for k, v in values.items())
        out.append(Problem(str(sweep.file), sweep.lines.line_of(sources[first]) if first else None,
                           format_path(sources[first]) if first else "base",
                           f"with {setting}: {where}: {p.path}: {p.message}", p.hint))
    return out
