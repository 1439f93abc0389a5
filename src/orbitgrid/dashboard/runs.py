"""Run folders under the dashboard's runs folder: discovery, safe name resolution, summaries.

A run is named by its folder's name, one path component. Names with a separator, `..`,
a leading dot (the store's hidden `.NAME.partial-PID` folders) or a symlink that leaves the
runs folder are refused before anything is opened, so a request cannot read outside it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from orbitgrid.results.store import DB_NAME, SCENARIO_NAME, read_summary

# the summary keys shown in the runs list, in this order (absent ones are left blank)
KEY_FIGURES = (
    "jobs_submitted", "jobs_completed", "allocation_utilization", "mean_wait_h", "p99_jct_h",
    "energy_mwh", "energy_cost_usd", "revenue_usd",
)
_STAMP = re.compile(r"_(\d{8}T\d{6}Z)(?:-\d+)?$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$")


class RunLookupError(Exception):
    """A run name that is refused (status 400) or names no run (status 404)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def resolve_run(runs_dir: Path, name: str) -> Path:
    """The folder of run `name` inside `runs_dir`; RunLookupError if unsafe or not a complete run."""
    if not _NAME.match(name) or ".." in name:
        raise RunLookupError(400, f"{name!r} is not a run name (one folder name: letters, digits, '._-', "
                                  "no path separators, no leading dot)")
    root = runs_dir.resolve()
    folder = runs_dir / name
    if not (folder / DB_NAME).is_file():
        raise RunLookupError(404, f"no run {name!r} in {runs_dir} (hint: GET /api/runs lists them)")
    if not (folder.resolve().is_relative_to(root) and (folder / DB_NAME).resolve().is_relative_to(root)):
        raise RunLookupError(400, f"run {name!r} points outside the runs folder")
    return folder


def run_date(folder: Path) -> str:
    """When the run was written, ISO 8601 UTC: the stamp in its name, else the database's mtime."""
    m = _STAMP.search(folder.name)
    if m:
        dt = datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    else:
        dt = datetime.fromtimestamp((folder / DB_NAME).stat().st_mtime, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RunEntry:
    name: str
    scenario: str
    date: str
    status: str  # "complete", or "unreadable" for a folder whose database cannot be read
    policy: str | None
    seed: int | None
    figures: dict[str, object]
    message: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "scenario": self.scenario, "date": self.date, "status": self.status,
                "policy": self.policy, "seed": self.seed, "figures": self.figures, "message": self.message}


class RunIndex:
    """The runs of one folder, each summary read once per change of its database (cached by mtime)."""

    def __init__(self, runs_dir: Path):
        self.runs_dir = runs_dir
        self._cache: dict[str, tuple[float, RunEntry]] = {}
        self._lock = threading.Lock()

    def list(self) -> list[RunEntry]:
        """Every complete run folder directly inside the runs folder, newest first."""
        if not self.runs_dir.is_dir():
            return []
        entries = []
        for folder in self.runs_dir.iterdir():
            if folder.name.startswith(".") or not (folder / DB_NAME).is_file():
                continue
            try:
                resolve_run(self.runs_dir, folder.name)
            except RunLookupError:
                continue
            entries.append(self.entry(folder))
        return sorted(entries, key=lambda e: (e.date, e.name), reverse=True)

    def entry(self, folder: Path) -> RunEntry:
        mtime = (folder / DB_NAME).stat().st_mtime
        with self._lock:
            hit = self._cache.get(folder.name)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        try:
            summary = read_summary(folder)
            entry = RunEntry(
                name=folder.name, scenario=str(summary.get("scenario") or ""), date=run_date(folder),
                status="complete", policy=summary.get("policy"), seed=summary.get("seed"),
                figures={k: summary.get(k) for k in KEY_FIGURES},
            )
        except Exception as exc:  # a damaged database: listed, flagged, never fatal to the page
            entry = RunEntry(name=folder.name, scenario="", date=run_date(folder), status="unreadable",
                             policy=None, seed=None, figures={}, message=str(exc).splitlines()[0])
        with self._lock:
            self._cache[folder.name] = (mtime, entry)
        return entry


def scenario_files(runs_dir: Path) -> list[Path]:
    """Scenario files a new run may start from: *.yaml / *.yml directly in the runs folder and
    each run's own scenario.yaml."""
    if not runs_dir.is_dir():
        return []
    found = [p for p in sorted(runs_dir.iterdir())
             if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")]
    found += [p / SCENARIO_NAME for p in sorted(runs_dir.iterdir())
              if not p.name.startswith(".") and (p / SCENARIO_NAME).is_file() and (p / DB_NAME).is_file()]
    return found
