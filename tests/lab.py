"""One-site scenarios for the tests worked out by hand: a site "lab" at (0, 0), 10 MW, PUE 1,
one tick an hour, jobs from `jobs.csv`, the H100 as reference GPU; and the run's rows."""

from __future__ import annotations


def lab_scenario(pools: str, policy: str = "{name: fifo}", horizon_h: float = 20, workload: str = "",
                 name: str = "by-hand") -> str:
    """The scenario text. `pools`: the YAML lines of the pools (as `pool` writes them);
    `workload`: extra keys of the workload mapping (", on_preemption: rollback")."""
    return f"""
name: {name}
simulation: {{duration_h: {horizon_h}, tick_s: 3600, seed: 0}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    pools:
{pools}
workload: {{reference_gpu: H100, csv: jobs.csv{workload}}}
policy: {policy}
"""


def pool(name: str, gpu: str, count: int, busy_power_w: float | None = None, idle_power_w: float | None = None) -> str:
    """One line of `pools`."""
    power = "".join(f", {key}: {value:g}" for key, value in (("busy_power_w", busy_power_w),
                                                             ("idle_power_w", idle_power_w)) if value is not None)
    return f"      - {{name: {name}, gpu: {gpu}, count: {count}{power}}}"


def job_rows(result) -> list[dict]:
    """The jobs table as dicts, in job order."""
    return result.tables["jobs"].to_pylist()


def alloc_rows(result, job: int) -> list[tuple]:
    """One job's allocation rows as (start_h, end_h, ended_by), in time order."""
    rows = [a for a in result.tables["allocations"].to_pylist() if a["job_id"] == job]
    return [(a["start_h"], a["end_h"], a["ended_by"]) for a in sorted(rows, key=lambda a: a["start_h"])]


# a small compute satellite (4 H100) as the block of a constellation's `satellite:` key
# (the browser tests' and the CZML tests' tiny orbital runs)
SATELLITE = """
      gpu: H100
      gpus: 4
      bus_power_w: 500
      array_area_m2: 30
      cell_efficiency: 0.3
      battery_wh: 10000
      depth_of_discharge: 0.8
      charge_efficiency: 0.95
      discharge_efficiency: 0.95
      max_charge_w: 8000
      max_discharge_w: 8000
      radiator_area_m2: 20
      radiator_sides: 2
      emissivity: 0.9
      absorptivity: 0.2
      max_radiator_temperature_k: 330"""
