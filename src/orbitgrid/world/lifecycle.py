"""Lives of compute satellites: GPU failures, satellite losses, deorbits and replacements,
and the radiation upsets met along the way, drawn before a run from the scenario's seed.

Each satellite slot holds a satellite from t = 0 (aged `age_years`, spread over
`age_spread_years`). A satellite's life ends at the first of
  - end of life: `design_life_years`, or the drag lifetime of its orbit from its mass,
    drag area and C_D (physics/decay.py, to re-entry) if that is shorter; a planned
    deorbit: its GPUs leave service at the next tick, the scheduler preempts gracefully;
  - a bus failure (constant rate, physics/faults.py): the satellite is lost with every
    GPU still alive on it, a fault hit on its pool.
Its GPUs fail one by one before that, with a hazard that grows with the dose taken
(physics/faults.py): each failure is a hit of one GPU. With `replacement`, a new
satellite (age 0, all GPUs) takes the slot `launch_delay_days` after the loss, and lives
its own life. Losses take GPUs out of the capacity table at the next tick; hits reach the
engine at their exact times, where the work on the GPUs hit is rolled back or killed.

Upsets (`SeuSampler`): a Poisson number per satellite and tick, at the GPU rate times the
GPUs alive, raised inside the South Atlantic Anomaly, each at a uniform time within the
tick. By default the rate follows each satellite's dose (Suncatcher's interrupts per rad),
split between inside and outside the SAA by the share of time this orbit spends in it, so
the mean over an orbit is the dose-derived rate. They cost no capacity (a reset takes seconds), only the work on the GPU hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.physics import decay, faults, orbits, radiation
from orbitgrid.scenario import ConstellationSpec, FaultSpec
from orbitgrid.world.satellites import SatelliteSet

SECONDS_PER_YEAR = 365.25 * 86400.0
FAULT, END_OF_LIFE = 0, 1


def fault_rates(spec: FaultSpec) -> dict[str, float | None]:
    """The scenario's fault rates, each defaulting to physics/faults.py's sourced value
    (the upset rate: None, meaning from each satellite's dose, see `seu_rate_per_gpu_day`)."""
    pick = lambda given, default: float(default if given is None else given)  # noqa: E731
    return {
        "seu_per_gpu_day": None if spec.seu_per_gpu_day is None else float(spec.seu_per_gpu_day),
        "saa_multiplier": pick(spec.saa_multiplier, faults.SAA_MULTIPLIER),
        "gpu_failure_per_year": pick(spec.gpu_failure_per_year, faults.BASE_GPU_FAILURE_RATE_PER_YEAR),
        "gpu_failure_per_year_per_krad": pick(spec.gpu_failure_per_year_per_krad, faults.GPU_FAILURE_RATE_PER_YEAR_PER_KRAD),
        "bus_failure_per_year": pick(spec.bus_failure_per_year, faults.BUS_FAILURE_RATE_PER_YEAR),
    }


def dose_rad_per_year(con: ConstellationSpec, sats: SatelliteSet) -> np.ndarray:
    """Yearly dose of each satellite behind the constellation's shielding (physics/radiation.py);
    an InputError naming the constellation where the dose model does not reach."""
    try:
        return np.broadcast_to(radiation.dose_rad_per_year(
            sats.inclination_deg, con.faults.shielding_mm_al, sats.altitude_km), (sats.n_sat,)).copy()
    except ValueError as exc:
        raise InputError([Problem("scenario", None, f"constellations[{con.name}].faults",
                                  f"no dose model for this orbit: {exc}")]) from None


def seu_rate_per_gpu_day(rates: dict, dose_rad_year: np.ndarray, saa_multiplier: float,
                         saa_time_fraction: float) -> np.ndarray:
    """Upset rate outside the SAA per GPU-day, per satellite: the scenario's, or the
    Suncatcher per-rad interrupt rates (physics/faults.py) times each satellite's own
    dose, split so that `saa_time_fraction` of the time at `saa_multiplier` times the
    outside rate gives that mean: outside = mean / (1 − f + m f)."""
    if rates["seu_per_gpu_day"] is not None:
        return np.full(dose_rad_year.shape, rates["seu_per_gpu_day"])
    mean = faults.INTERRUPTS_PER_RAD * dose_rad_year / 365.25
    return mean / (1.0 - saa_time_fraction + saa_multiplier * saa_time_fraction)


SAA_SAMPLE_SATELLITES = 64
SAA_SAMPLE_DAYS = 3.0  # the SAA sits still under the turning Earth: days, not an orbit, to average it
SAA_SAMPLE_STEP_S = 60.0


def saa_time_fraction(sats: SatelliteSet, jd0: float) -> float:
    """Share of time the set's satellites spend in the SAA: up to 64 of them, evenly
    picked, over three days at 60 s (about 2 × 10⁵ samples)."""
    idx = np.unique(np.linspace(0, sats.n_sat - 1, min(sats.n_sat, SAA_SAMPLE_SATELLITES)).astype(np.int64))
    t = np.arange(0.0, SAA_SAMPLE_DAYS * 86400.0, SAA_SAMPLE_STEP_S)
    jd = jd0 + t / 86400.0
    r, ok = sats.positions(jd0, t, idx)
    return float(in_saa_eci(r, jd).sum() / max(int(ok.sum()), 1))


def in_saa_eci(r_eci_km: np.ndarray, jd: np.ndarray) -> np.ndarray:
    """(S, T) whether satellites at ECI positions (S, T, 3) at Julian dates (T,) are over
    the South Atlantic Anomaly; False where a position is missing (NaN)."""
    valid = np.isfinite(r_eci_km).all(axis=-1)
    lat, lon, _ = orbits.ecef_to_geodetic_deg(orbits.eci_to_ecef(np.where(valid[..., None], r_eci_km, 0.0), jd[None, :]))
    return faults.in_saa(lat, lon) & valid


def life_years(con: ConstellationSpec, altitude_km: np.ndarray) -> np.ndarray:
    """Planned life of each satellite: design life, or drag lifetime if shorter; inf if neither."""
    sat = con.satellite
    life = np.full(altitude_km.shape, np.inf if sat.design_life_years is None else float(sat.design_life_years))
    if sat.mass_kg is not None:
        alt_1km, where = np.unique(np.round(altitude_km), return_inverse=True)  # TLE sets: one integral per km
        days = np.atleast_1d(decay.lifetime_days(alt_1km, sat.drag_coefficient, sat.drag_area_m2, sat.mass_kg))
        life = np.minimum(life, days[where.ravel()] / 365.25)
    return life


@dataclass
class Lives:
    """Alive GPUs per satellite on the tick grid (as events, expanded chunk by chunk), the
    permanent fault hits, the ages of the satellites in their slots, and counts."""

    n_sat: int
    gpus: int
    times_s: np.ndarray
    event_sat: np.ndarray  # alive-GPU changes: satellite, first tick they apply at, change
    event_tick: np.ndarray
    event_delta: np.ndarray
    event_kind: np.ndarray  # FAULT or END_OF_LIFE: what took the GPUs (or what a replacement gives back)
    hit_time_s: np.ndarray
    hit_sat: np.ndarray
    hit_gpus: np.ndarray
    gen_start_s: list[np.ndarray]  # per generation (S,): start time (inf: none), age at start
    gen_age_years: list[np.ndarray]
    counts: dict[str, int] = field(default_factory=dict)

    def alive(self, lo: int, n: int) -> np.ndarray:
        """(S, n) GPUs alive at ticks lo .. lo + n - 1."""
        return self._level(lo, n, np.ones(self.event_sat.size, dtype=bool))

    def down_end_of_life(self, lo: int, n: int) -> np.ndarray:
        """(S, n) GPUs out of service because their satellite was deorbited at end of life
        and not (yet) replaced: the rest of `gpus - alive` is down to faults."""
        return -self._level(lo, n, self.event_kind == END_OF_LIFE)

    def _level(self, lo: int, n: int, which: np.ndarray) -> np.ndarray:
        before = which & (self.event_tick < lo)
        base = np.zeros(self.n_sat, dtype=np.int64)
        np.add.at(base, self.event_sat[before], self.event_delta[before])
        inside = which & (self.event_tick >= lo) & (self.event_tick < lo + n)
        block = np.zeros((self.n_sat, n), dtype=np.int64)
        np.add.at(block, (self.event_sat[inside], self.event_tick[inside] - lo), self.event_delta[inside])
        return base[:, None] + np.cumsum(block, axis=1)

    def age_years_at(self, t_s: float) -> np.ndarray:
        """Age of the satellite in each slot at time t (of the newest one started by then)."""
        age = np.zeros(self.n_sat)
        for start, age0 in zip(self.gen_start_s, self.gen_age_years):
            live = start <= t_s
            age[live] = age0[live] + (t_s - start[live]) / SECONDS_PER_YEAR
        return age


def plan_lives(con: ConstellationSpec, sats: SatelliteSet, times_s: np.ndarray, horizon_s: float,
               rng: np.random.Generator, dose_rad_year: np.ndarray | None = None) -> Lives | None:
    """Every satellite's life over the run, generation by generation; None when the
    constellation has no faults, no end of life and no replacements to model."""
    sat = con.satellite
    n, g = sats.n_sat, sat.gpus
    life = life_years(con, sats.altitude_km)
    if con.faults is None and not np.isfinite(life).any():
        return None
    rates = fault_rates(con.faults) if con.faults is not None else None
    if rates is not None:
        dose_krad_year = (dose_rad_per_year(con, sats) if dose_rad_year is None else dose_rad_year) / 1000.0
    age = sat.age_years + (rng.uniform(0.0, sat.age_spread_years, n) if sat.age_spread_years > 0 else np.zeros(n))
    start = np.zeros(n)
    ev_sat, ev_time, ev_delta, ev_kind = [np.arange(n)], [np.zeros(n)], [np.full(n, g)], [np.zeros(n, dtype=np.int8)]
    hit_t, hit_s, hit_n = [], [], []
    gen_start, gen_age = [], []
    counts = {"gpu_failures": 0, "satellites_lost": 0, "deorbits": 0, "replacements": 0}
    slots = np.arange(n)
    prev_left = np.zeros(n, dtype=np.int64)  # GPUs a slot's last satellite still had at its end
    prev_kind = np.full(n, FAULT, dtype=np.int8)
    while slots.size:  # one generation of satellites per pass, each vectorised over its slots
        s0, a0 = start[slots], age[slots]
        full_start = np.full(n, np.inf)
        full_start[slots] = s0
        full_age = np.zeros(n)
        full_age[slots] = a0
        gen_start.append(full_start)
        gen_age.append(full_age)
        eol_s = s0 + np.maximum(life[slots] - a0, 0.0) * SECONDS_PER_YEAR
        if rates is not None:
            bus_s = s0 + faults.bus_failure_times_years(rng, slots.size, rates["bus_failure_per_year"]) * SECONDS_PER_YEAR
            gpu_s = s0[:, None] + faults.failure_times_years(
                rng, slots.size * g, rates["gpu_failure_per_year"], rates["gpu_failure_per_year_per_krad"],
                np.repeat(dose_krad_year[slots], g), np.repeat(a0, g),
            ).reshape(slots.size, g) * SECONDS_PER_YEAR
        else:
            bus_s = np.full(slots.size, np.inf)
            gpu_s = np.full((slots.size, g), np.inf)
        end_s = np.minimum(eol_s, bus_s)
        # GPUs failing while their satellite flies and the run lasts: a hit each, one GPU less
        fails = (gpu_s < end_s[:, None]) & (gpu_s < horizon_s)
        row, _ = np.nonzero(fails)
        hit_t.append(gpu_s[fails])
        hit_s.append(slots[row])
        hit_n.append(np.ones(row.size, dtype=np.int64))
        ev_sat.append(slots[row])
        ev_time.append(gpu_s[fails])
        ev_delta.append(np.full(row.size, -1))
        ev_kind.append(np.full(row.size, FAULT, dtype=np.int8))
        counts["gpu_failures"] += int(row.size)
        # the end of each satellite inside the run: what is left of its GPUs goes
        ends = end_s < horizon_s
        left = g - fails.sum(axis=1)
        lost = ends & (bus_s < eol_s)
        hit_t.append(end_s[lost])
        hit_s.append(slots[lost])
        hit_n.append(left[lost])
        ev_sat.append(slots[ends])
        ev_time.append(end_s[ends])
        ev_delta.append(-left[ends])
        ev_kind.append(np.where(lost[ends], FAULT, END_OF_LIFE).astype(np.int8))
        counts["satellites_lost"] += int(lost.sum())
        counts["deorbits"] += int((ends & ~lost).sum())
        if con.replacement is None:
            break
        prev_left[slots[ends]] = left[ends]
        prev_kind[slots[ends]] = np.where(lost[ends], FAULT, END_OF_LIFE)
        slots = slots[ends]
        start[slots] = end_s[ends] + con.replacement.launch_delay_days * 86400.0
        age[slots] = 0.0
        slots = slots[start[slots] < horizon_s]
        # a new satellite gives back what the last one's end took, and its failed GPUs
        ev_sat += [slots, slots]
        ev_time += [start[slots], start[slots]]
        ev_delta += [prev_left[slots], g - prev_left[slots]]
        ev_kind += [prev_kind[slots], np.full(slots.size, FAULT, dtype=np.int8)]
        counts["replacements"] += int(slots.size)
    ev_time_all = np.concatenate(ev_time)
    # a change applies from the first tick at or after it (t = 0 for the first satellites)
    tick = np.searchsorted(times_s, ev_time_all, side="left")
    keep = tick < times_s.size
    return Lives(
        n_sat=n, gpus=g, times_s=times_s,
        event_sat=np.concatenate(ev_sat)[keep].astype(np.int64), event_tick=tick[keep].astype(np.int64),
        event_delta=np.concatenate(ev_delta)[keep].astype(np.int64),
        event_kind=np.concatenate(ev_kind)[keep].astype(np.int8),
        hit_time_s=np.concatenate(hit_t), hit_sat=np.concatenate(hit_s).astype(np.int64),
        hit_gpus=np.concatenate(hit_n).astype(np.int64),
        gen_start_s=gen_start, gen_age_years=gen_age, counts=counts,
    )


class SeuSampler:
    """Draws radiation upsets chunk by chunk (positions are only known then)."""

    def __init__(self, con: ConstellationSpec, sats: SatelliteSet, rng: np.random.Generator, horizon_s: float,
                 jd0: float, dose_rad_year: np.ndarray | None = None):
        rates = fault_rates(con.faults)
        dose = dose_rad_per_year(con, sats) if dose_rad_year is None else dose_rad_year
        self.saa_multiplier = rates["saa_multiplier"]
        self.saa_time_fraction = saa_time_fraction(sats, jd0)
        self.rate_per_gpu_day = seu_rate_per_gpu_day(rates, dose, self.saa_multiplier, self.saa_time_fraction)
        self.rng = rng
        self.horizon_s = horizon_s

    def sample(self, r_eci_km: np.ndarray, jd: np.ndarray, t_s: np.ndarray, step_s: float,
               alive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times s, satellite, GPUs hit) of the upsets in ticks `t_s` of satellites at `r_eci_km`."""
        in_saa = in_saa_eci(r_eci_km, jd)
        # each satellite's own rate, folded into its GPU count against a unit rate
        exposure = np.broadcast_to(np.asarray(alive, dtype=float), in_saa.shape) * self.rate_per_gpu_day[:, None]
        counts = faults.seu_counts(self.rng, exposure, 1.0, self.saa_multiplier, in_saa, step_s)
        sat, k = np.nonzero(counts)
        times = t_s[k] + self.rng.uniform(0.0, step_s, k.size)
        keep = times < self.horizon_s
        return times[keep], sat[keep], counts[sat, k][keep]
