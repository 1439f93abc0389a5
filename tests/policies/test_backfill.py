"""EASY backfill keeps its promise, and its shortcuts change no decision."""

from __future__ import annotations

import math

import numpy as np
import pytest

import orbitgrid.engine.simulator as simulator
import orbitgrid.policies.backfill as backfill
from orbitgrid.engine import simulate

LOADED = """
name: loaded
simulation: {duration_h: 48, tick_s: 600, seed: 3}
sites:
  - name: a
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 100
    pue: 1.1
    pools:
      - {name: h100, gpu: H100, count: 256}
      - {name: gb200, gpu: GB200, count: 144}
workload:
  generator:
    arrival_rate_per_h: 40
    gpus_per_job: {min: 1, max: 256, pareto_alpha: 0.9}
    duration_h: {median_h: 1.0, sigma: 1.5, max_h: 24}
    gpu_types:
      - {types: any, weight: 0.6}
      - {types: [H100], weight: 0.2}
      - {types: [GB200], weight: 0.2}
policy: {name: backfill}
"""


@pytest.fixture
def loaded(write_scenario):
    return write_scenario(LOADED)


def test_reserved_head_starts_no_later_than_promised(loaded, monkeypatch):
    """With exact runtimes and no capacity changes, the head starts by its shadow time
    (Mu'alem & Feitelson 2001: EASY never delays the first queued job)."""
    promised: dict[int, float] = {}
    real_reserve = backfill.reserve

    def spy(view, job):
        res = real_reserve(view, job)
        promised.setdefault(job, res.shadow_s)
        return res

    monkeypatch.setattr(backfill, "reserve", spy)
    r = simulate(loaded)
    starts = r.tables["jobs"].column("first_start_h").to_numpy(zero_copy_only=False) * 3600
    checked = 0
    for job, shadow_s in promised.items():
        if math.isfinite(shadow_s) and not np.isnan(starts[job]):
            assert starts[job] <= shadow_s + 1e-6, job
            checked += 1
    assert checked > 10  # the scenario really makes jobs wait


def test_cached_reservation_equals_a_fresh_one(loaded, monkeypatch):
    mismatches = []
    real = backfill.EasyBackfillPolicy._backfill

    def check(self, view, head, rest, placements):
        res = self._reservation
        if res is not None and res.job == head and res.version == view.state_version and not placements:
            fresh = backfill.reserve(view, head)
            if (fresh.shadow_s, fresh.extra) != (res.shadow_s, res.extra):
                mismatches.append((view.now_s, head))
        return real(self, view, head, rest, placements)

    monkeypatch.setattr(backfill.EasyBackfillPolicy, "_backfill", check)
    simulate(loaded)
    assert mismatches == []


@pytest.mark.parametrize("policy", ["backfill", "fifo"])
def test_quiet_passes_decide_as_full_passes(write_scenario, monkeypatch, policy):
    loaded = write_scenario(LOADED.replace("name: backfill", f"name: {policy}"))
    fast = simulate(loaded)
    real = simulator.Simulator._schedule

    def always_full(self):
        self._changes_at_pass = -1  # never quiet
        return real(self)

    monkeypatch.setattr(simulator.Simulator, "_schedule", always_full)
    full = simulate(loaded)
    assert fast.tables["allocations"].equals(full.tables["allocations"])


def test_backfill_beats_fifo_on_waiting(write_scenario):
    fifo = simulate(write_scenario(LOADED.replace("name: backfill", "name: fifo"), name="f.yaml"))
    easy = simulate(write_scenario(LOADED, name="b.yaml"))
    assert easy.summary["mean_wait_h"] < fifo.summary["mean_wait_h"]
    assert easy.summary["gpu_hours_allocated"] >= fifo.summary["gpu_hours_allocated"]
