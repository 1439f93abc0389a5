"""The scenario: the one way in. Pydantic models, the YAML loader, and every check of user input.

Every mistake is reported as `FILE:LINE: field.path: message (hint)`; nothing downstream
re-validates what passes here.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from orbitgrid.catalog.accelerators import Accelerator, load_accelerators
from orbitgrid.errors import InputError, Problem
from orbitgrid.yaml_lines import LineMap, PathKey, format_path, load_yaml_with_lines

def _not_bool(value: object) -> object:
    """YAML reads `yes`/`true` as booleans; pydantic would quietly take them as 1."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {str(value).lower()}")
    return value


NoBool = BeforeValidator(_not_bool)
Number = Annotated[float, NoBool, Field(allow_inf_nan=False)]
PositiveFloat = Annotated[float, NoBool, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, NoBool, Field(ge=0, allow_inf_nan=False)]
Int = Annotated[int, NoBool]
MAX_GPUS = 100_000_000  # a gang or pool beyond this is a typo, not a fleet


def _check_iso(value: str) -> str:
    """An ISO 8601 time numpy can read (UTC)."""
    import numpy as np

    try:
        stamp = np.datetime64(value, "s")
    except ValueError:
        stamp = np.datetime64("NaT")
    if np.isnat(stamp) or len(value) < 10:
        raise ValueError(f"not an ISO 8601 time: {value!r} (e.g. 2024-07-16T19:00:00, UTC)")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_Model):
    lat_deg: Number = Field(ge=-90, le=90)
    lon_deg: Number = Field(ge=-180, le=180)


class Outage(_Model):
    """GPUs of a pool out of service for a while (maintenance, a failed PDU, a drill)."""

    start_h: NonNegFloat
    duration_h: PositiveFloat
    gpus: Int = Field(gt=0, le=MAX_GPUS)


class PoolSpec(_Model):
    """One kind of accelerator in one place: a hall of a data centre."""

    name: str = Field(min_length=1)
    gpu: str = Field(min_length=1, description="accelerator name from the catalogue or `accelerators`")
    count: Int = Field(gt=0, le=MAX_GPUS)
    busy_power_w: PositiveFloat | None = Field(
        default=None, description="IT power per busy GPU; default: the catalogue's server share, else its TDP"
    )
    idle_power_w: NonNegFloat | None = Field(default=None, description="IT power per idle GPU; default: catalogue")
    power_cap: float | None = Field(
        default=None, ge=0.3, le=1.0,
        description="a standing board power cap, share of the GPU's TDP (nvidia-smi -pl); none: uncapped",
    )
    outages: list[Outage] = Field(default_factory=list)


class GridSpec(_Model):
    """The grid zone a site buys from: hourly price and carbon-intensity series (grid/series.py)."""

    zone: str | None = Field(default=None, description="a packaged zone (US-CAL-CISO, US-TEX-ERCO, US-MIDA-PJM; 2024)")
    prices: str | None = Field(default=None, description="hourly price file (USD/MWh), relative to the scenario file")
    carbon: str | None = Field(default=None, description="hourly carbon file (Electricity Maps), relative to the scenario")

    @model_validator(mode="after")
    def _some_series(self) -> "GridSpec":
        if self.zone is None and self.prices is None and self.carbon is None:
            raise ValueError("give a packaged `zone`, or `prices` and/or `carbon` files")
        return self


class PueCurve(_Model):
    """PUE that follows the outside temperature: an hourly temperature file and (deg C, PUE)
    points, linear between them and flat beyond (grid/pue.py)."""

    temperature: str = Field(min_length=1, description="hourly outside temperature file (Datetime (UTC),Temperature (C))")
    points: list[tuple[Number, Annotated[float, NoBool, Field(ge=1.0, le=3.0, allow_inf_nan=False)]]] = Field(
        min_length=1, max_length=1000, description="(temperature_c, pue) pairs, temperature increasing"
    )

    @field_validator("points")
    @classmethod
    def _increasing(cls, value: list) -> list:
        if any(b[0] <= a[0] for a, b in zip(value, value[1:])):
            raise ValueError("temperatures must increase strictly")
        return value


class GasSpec(_Model):
    """On-site gas turbines (grid/dispatch.py): run when cheaper than the grid, or beyond its cap."""

    capacity_mw: PositiveFloat
    heat_rate_mmbtu_per_mwh: PositiveFloat = Field(description="fuel per MWh generated (EIA: ~9-11 simple cycle, ~6.5-7.5 combined)")
    fuel_usd_per_mmbtu: NonNegFloat
    variable_om_usd_per_mwh: NonNegFloat = 0.0
    # US EPA, Emission Factors for Greenhouse Gas Inventories (natural gas)
    co2_kg_per_mmbtu: NonNegFloat = 53.06


class SolarSpec(_Model):
    """On-site PV: an hourly capacity-factor profile, or the clear-sky bound at the site (grid/solar.py)."""

    capacity_mw: PositiveFloat
    profile: str | None = Field(default=None, description="hourly capacity-factor file; none: clear sky at the site")
    # NREL PVWatts v5 defaults: 14% system losses, 96% inverter efficiency: 0.86 x 0.96
    derate: float = Field(default=0.8256, gt=0.0, le=1.0, description="clear sky only: AC output per unit of irradiance")


class BatterySpec(_Model):
    """On-site storage, dispatched against the hourly price (grid/dispatch.py)."""

    energy_mwh: PositiveFloat
    power_mw: PositiveFloat
    round_trip_efficiency: float = Field(default=0.85, gt=0.0, le=1.0)
    initial_soc: float = Field(default=0.5, ge=0.0, le=1.0)


class OnsiteSpec(_Model):
    gas: GasSpec | None = None
    solar: SolarSpec | None = None
    battery: BatterySpec | None = None


class _Shed(_Model):
    """How much to shed: a number of MW, a share of the power drawn when the event was
    announced, or a level to come down to."""

    shed_mw: PositiveFloat | None = None
    shed_percent: float | None = Field(default=None, gt=0.0, le=100.0)
    limit_mw: NonNegFloat | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> "_Shed":
        given = [k for k in ("shed_mw", "shed_percent", "limit_mw") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of shed_mw, shed_percent, limit_mw" + (f" (got {', '.join(given)})" if given else ""))
        return self


class CurtailmentEvent(_Shed):
    """One curtailment the grid operator calls: from `start` (UTC) or `start_h`, for `duration_h`."""

    start: str | None = Field(default=None, description="UTC, ISO 8601")
    start_h: NonNegFloat | None = Field(default=None, description="hours from simulation.start")
    duration_h: PositiveFloat
    notice_h: NonNegFloat = Field(default=0.0, description="how long before the start it is announced")

    @field_validator("start")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        return None if value is None else _check_iso(value)

    @model_validator(mode="after")
    def _one_start(self) -> "CurtailmentEvent":
        if (self.start is None) == (self.start_h is None):
            raise ValueError("give exactly one of start (UTC) and start_h")
        return self


class PriceTrigger(_Shed):
    """Curtail whenever the zone's hourly price is above a threshold (an event per run of such hours)."""

    above_usd_per_mwh: Number
    notice_h: NonNegFloat = Field(default=0.0, description="how long before each such run of hours it is known")


class DemandResponsePayment(_Model):
    """The programme's terms: a capacity payment for the MW committed, an energy payment
    per MWh shed, and a penalty per MWh not shed when called."""

    committed_mw: NonNegFloat = 0.0
    capacity_usd_per_mw_month: NonNegFloat = 0.0
    energy_usd_per_mwh: NonNegFloat | Literal["price"] = Field(
        default=0.0, description="per MWh below the baseline during events; `price`: the zone's hourly price"
    )
    penalty_usd_per_mwh: NonNegFloat = Field(default=0.0, description="per MWh above the event's target")


class DemandResponseSpec(_Model):
    """A demand-response programme: events from the scenario, a file or a price rule; met by
    power-capping GPUs, pausing preemptible work and holding back new starts."""

    events: list[CurtailmentEvent] = Field(default_factory=list, max_length=100_000)
    events_file: str | None = Field(
        default=None, description="CSV: start (UTC),duration_h and one of shed_mw/shed_percent/limit_mw, optional notice_h"
    )
    price_trigger: PriceTrigger | None = None
    min_power_cap: float = Field(
        default=1.0, ge=0.3, le=1.0,
        description="GPU boards may be power-capped to this share of their TDP in an event; 1: no capping, pause only",
    )
    # physics/power_cap.py: 3 from P ~ f V^2 with V ~ f; deep caps lose more (voltage floor)
    power_cap_exponent: PositiveFloat = Field(
        default=3.0, le=10.0, description="throughput kept = (cap share of the power swing) ** (1 / this)"
    )
    payment: DemandResponsePayment = Field(default_factory=DemandResponsePayment)

    @model_validator(mode="after")
    def _some_events(self) -> "DemandResponseSpec":
        if not self.events and self.events_file is None and self.price_trigger is None:
            raise ValueError("give `events`, an `events_file` or a `price_trigger`")
        return self


class SiteSpec(_Model):
    """A terrestrial data centre as the grid sees it: a power cap, a PUE, halls of GPUs."""

    name: str = Field(min_length=1)
    location: Location
    power_cap_mw: PositiveFloat
    pue: Number = Field(ge=1.0, le=3.0, description="power usage effectiveness, facility / IT power")
    pools: list[PoolSpec] = Field(min_length=1)
    grid: GridSpec | None = Field(default=None, description="the zone's hourly price and carbon; none: not counted")
    # WUE (The Green Grid, 2011): litres of water used on site per kWh of IT energy; about 0.4
    # industry-wide (REFERENCE.md)
    water_l_per_kwh: NonNegFloat | None = Field(default=None, description="on-site water per IT kWh (WUE); none: not counted")
    pue_curve: PueCurve | None = Field(default=None, description="PUE from the outside temperature, instead of `pue`")
    onsite: OnsiteSpec | None = Field(default=None, description="on-site gas turbines, solar and batteries")
    demand_response: DemandResponseSpec | None = Field(default=None, description="a curtailment programme the site is in")


class GpuCountDistribution(_Model):
    """Bounded Pareto over [min, max] GPUs, optionally rounded to a power of two."""

    min: Int = Field(default=1, gt=0, le=MAX_GPUS)
    max: Int = Field(default=256, gt=0, le=MAX_GPUS)
    pareto_alpha: PositiveFloat = 1.0
    power_of_two: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> "GpuCountDistribution":
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        if self.power_of_two and 2 ** math.ceil(math.log2(self.min)) > self.max:
            raise ValueError(f"no power of two lies in [{self.min}, {self.max}]; set power_of_two: false")
        return self


class DurationDistribution(_Model):
    """Log-normal runtime on reference GPUs, in hours, capped at `max_h`."""

    median_h: PositiveFloat = 1.0
    sigma: NonNegFloat = 1.5
    max_h: PositiveFloat = 500.0
    min_h: PositiveFloat = 1.0 / 60.0

    @model_validator(mode="after")
    def _ordered(self) -> "DurationDistribution":
        if self.max_h < self.min_h:
            raise ValueError(f"max_h ({self.max_h}) is below min_h ({self.min_h})")
        if not self.min_h <= self.median_h <= self.max_h:
            raise ValueError(f"median_h ({self.median_h}) is outside [min_h, max_h] = [{self.min_h}, {self.max_h}]")
        return self


class GpuTypeChoice(_Model):
    types: list[str] | Literal["any"] = "any"
    weight: PositiveFloat = 1.0

    @field_validator("types", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value: object) -> object:
        """`types: H100` means `types: [H100]`."""
        return [value] if isinstance(value, str) and value != "any" else value


class PriorityChoice(_Model):
    value: Int = Field(default=0, ge=-(10**9), le=10**9)
    weight: PositiveFloat = 1.0


class TenantChoice(_Model):
    name: str = Field(min_length=1)
    weight: PositiveFloat = 1.0
    priority: Int | None = Field(default=None, ge=-(10**9), le=10**9,
                                 description="every job of this tenant gets this priority (else drawn from priorities)")


class EmpiricalJobs(_Model):
    """Gang sizes and durations drawn jointly from a packaged public trace's distribution."""

    name: Literal["philly"] = Field(description="philly: Microsoft's Philly cluster (Jeon et al., ATC 2019)")
    gpus_scale: Int = Field(default=1, gt=0, le=MAX_GPUS, description="multiply every gang size by this")
    max_gpus: Int | None = Field(default=None, gt=0, le=MAX_GPUS, description="cap gang sizes (after scaling)")
    duration_scale: PositiveFloat = Field(default=1.0, description="multiply every duration by this")


class GeneratorSpec(_Model):
    """Synthetic training jobs: Poisson arrivals, heavy-tailed sizes and runtimes."""

    arrival_rate_per_h: PositiveFloat
    jobs: Int | None = Field(default=None, gt=0, le=10**9, description="stop after this many jobs")
    start_h: NonNegFloat = 0.0
    end_h: PositiveFloat | None = Field(default=None, description="last arrival; default: simulation.duration_h")
    gpus_per_job: GpuCountDistribution = Field(default_factory=GpuCountDistribution)
    duration_h: DurationDistribution = Field(default_factory=DurationDistribution)
    gpu_types: list[GpuTypeChoice] = Field(default_factory=lambda: [GpuTypeChoice()], min_length=1)
    priorities: list[PriorityChoice] = Field(default_factory=lambda: [PriorityChoice()], min_length=1)
    tenants: list[TenantChoice] = Field(default_factory=lambda: [TenantChoice(name="default")], min_length=1)
    empirical: EmpiricalJobs | None = Field(
        default=None, description="sizes and durations from a trace's distribution, instead of gpus_per_job and duration_h"
    )
    elastic_share: float = Field(default=0.0, ge=0.0, le=1.0, description="share of jobs that are elastic")
    elastic_min_fraction: float = Field(
        default=0.5, gt=0.0, le=1.0, description="an elastic job accepts ceil(this x gpus) GPUs or more"
    )
    preemptible_share: float = Field(default=1.0, ge=0.0, le=1.0, description="share of jobs a curtailment may pause")
    deferrable_share: float = Field(default=0.0, ge=0.0, le=1.0, description="share of jobs that may start later")
    deferrable_window_h: PositiveFloat = Field(default=24.0, description="a deferrable job may start this long after submission")

    @model_validator(mode="after")
    def _one_size_model(self) -> "GeneratorSpec":
        if self.empirical is not None and {"gpus_per_job", "duration_h"} & self.model_fields_set:
            raise ValueError("give `empirical` or `gpus_per_job`/`duration_h`, not both")
        return self


class TraceSpec(_Model):
    """Jobs from a public trace (`orbitgrid traces import` reads the same formats)."""

    format: Literal["philly", "gavel", "pollux", "tiresias", "alibaba"]
    file: str = Field(min_length=1, description="trace file, relative to the scenario file")
    measured_on: str | None = Field(default=None, description="GPU the trace's durations ran on; default: reference_gpu")
    start_h: NonNegFloat = Field(default=0.0, description="trace hour that becomes the simulation's hour 0")
    arrival_scale: PositiveFloat = Field(default=1.0, description="arrivals come this many times faster")
    limit: Int | None = Field(default=None, gt=0, le=10**9, description="the first N jobs (after start_h)")
    gpu_types: dict[str, str] = Field(default_factory=dict, description="trace GPU-type names -> catalogue names")
    skip_bad: bool = Field(default=False, description="leave malformed rows out (counted) instead of stopping")
    throughputs: str | None = Field(
        default=None,
        description="Gavel throughput matrix (simulation_throughputs.json), relative to the scenario file: "
                    "each job's speed on each GPU type; required for format gavel",
    )

    @model_validator(mode="after")
    def _throughputs_for_gavel(self) -> "TraceSpec":
        if self.format == "gavel" and self.throughputs is None:
            raise ValueError("a Gavel trace gives steps, not run times: name its throughput matrix in `throughputs`")
        if self.throughputs is not None and self.format != "gavel":
            raise ValueError("`throughputs` (a Gavel matrix) goes with format gavel only")
        return self


class WorkloadSpec(_Model):
    reference_gpu: str = Field(default="H100", description="job work is in GPU-hours of this accelerator")
    generator: GeneratorSpec | None = None
    csv: str | None = Field(default=None, description="job file, relative to the scenario file")
    trace: TraceSpec | None = Field(default=None, description="jobs from a public trace")
    checkpoint_interval_h: PositiveFloat | None = Field(
        default=None, description="running gangs checkpoint this often; none: a fault loses all work done"
    )
    on_fault: Literal["rollback", "kill"] = Field(
        default="rollback", description="a gang hit by a fault goes back to its last checkpoint and queues again, or fails"
    )
    on_preemption: Literal["keep", "rollback"] = Field(
        default="keep", description="a preempted gang keeps its work (checkpoint on suspend) or goes back to its last checkpoint"
    )

    @model_validator(mode="after")
    def _some_work(self) -> "WorkloadSpec":
        if self.generator is None and self.csv is None and self.trace is None:
            raise ValueError("give a `generator`, a `csv` job file, a `trace`, or several")
        return self


class CarbonAwareSpec(_Model):
    """When (and where) deferrable jobs start, decided at submission from a forecast of the
    grid signal (grid/carbon_aware.py): temporal (Let's Wait Awhile), spatial across sites
    (with data transfer), a CICS-style daily cap on flexible capacity, or home (no shifting:
    the baseline with the same home sites)."""

    mode: Literal["temporal", "spatial", "cics", "home"] = Field(
        description="temporal, spatial or cics shifting; home: each deferrable job at its home site, "
                    "started at submission (the baseline the others are measured against)"
    )
    signal: Literal["carbon", "price"] = "carbon"
    forecast_noise: float = Field(default=0.0, ge=0.0, le=1.0, description="relative error of the forecast, per hour (normal)")
    data_gb_per_gpu: NonNegFloat = Field(default=0.0, description="spatial: data a job moves to another site, per GPU")
    transfer_gbps: PositiveFloat = Field(default=10.0, description="spatial: bandwidth between sites")
    transfer_usd_per_gb: NonNegFloat = Field(default=0.0, description="spatial: price of moving a GB between sites")
    cics_flexible_cap: float = Field(default=0.5, gt=0.0, le=1.0, description="cics: most of a site's GPUs flexible work gets in an hour")
    cics_margin: float = Field(default=0.1, ge=0.0, le=10.0, description="cics: the day's budget is (1 + this) x its flexible demand")


class PolicySpec(_Model):
    name: str = "fifo"
    allow_mixed_gangs: bool = Field(
        default=True, description="a gang may span GPU types within a site, running at its slowest member's speed"
    )
    backfill_depth: Int = Field(default=100, gt=0, le=10**6, description="queued jobs examined per backfill pass")
    mixed_gang_penalty: float = Field(
        default=0.0, ge=0, lt=1, allow_inf_nan=False,
        description="a gang spanning GPU types runs at its slowest member's speed times (1 - this)",
    )
    preemptive: bool = Field(
        default=False, description="sjf: preempt running jobs with more time left (shortest remaining time first)"
    )
    restart_overhead_s: NonNegFloat = Field(
        default=0.0, description="a gang started again after a preemption does no work for this long"
    )
    schedule_interval_s: PositiveFloat | None = Field(
        default=None, description="the policy decides only at multiples of this (a periodic scheduler); none: at every event"
    )
    las_preempt_within_queue: bool = Field(
        default=False, description="las: a waiting job may preempt a later job of its own queue (Pollux's Tiresias)"
    )
    # Tiresias' simulator (github.com/SymbioticLab/Tiresias, simulator/jobs.py): 3 queues,
    # queue_limit [3250, 7200, ...] GPU-seconds, of which 3 queues use the first two
    las_thresholds_gpu_h: list[PositiveFloat] = Field(
        default_factory=lambda: [3250.0 / 3600.0, 7200.0 / 3600.0], min_length=1, max_length=64,
        description="las: attained service (GPU-hours) at which a job drops to the next queue",
    )
    las_promote_knob: PositiveFloat | None = Field(
        default=None, description="las: back to the top queue after waiting knob x its run time; none: never"
    )
    # Gavel (Narayanan et al., OSDI 2020; github.com/stanford-futuredata/gavel)
    gavel_objective: Literal["max_min_fairness", "min_makespan", "finish_time_fairness"] = Field(
        default="max_min_fairness", description="gavel: what the allocation LP optimises"
    )
    # the --interval default of Gavel's simulation sweeps (scripts/sweeps/run_sweep_continuous.py)
    gavel_round_s: PositiveFloat = Field(
        default=360.0, description="gavel: round length; gangs start and stop only at round boundaries"
    )
    # false: Gavel's heterogeneity-agnostic baselines (its MaxMinFairnessPolicy, "LAS" in
    # the paper, sets every job's throughput on every type to 1 before the same LP)
    gavel_heterogeneity_aware: bool = Field(
        default=True, description="gavel: the LP sees each job's throughput per GPU type; false: all types alike"
    )
    gavel_priority_weights: dict[int, PositiveFloat] = Field(
        default_factory=dict, max_length=1000,
        description="gavel (max_min_fairness): weight of the jobs of each priority; unlisted: 1",
    )
    # YARN's capacity scheduler with preemption; Kubernetes priority classes; spot instances
    carbon_aware: CarbonAwareSpec | None = Field(
        default=None, description="carbon- or price-aware starts for deferrable jobs; none: they start when they can"
    )
    reserved_gpus: dict[Annotated[str, Field(min_length=1)], Annotated[Int, Field(ge=0, le=MAX_GPUS)]] = Field(
        default_factory=dict, max_length=10_000,
        description="reserved: GPUs guaranteed to each tenant; their jobs within it preempt spot work",
    )

    @field_validator("las_thresholds_gpu_h")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError("thresholds must increase strictly")
        return value


class _OrbitInput(_Model):
    """A circular orbit: altitude and either an inclination or sun-synchronous at an LTAN."""

    altitude_km: float = Field(ge=160, le=36_000, allow_inf_nan=False)
    inclination_deg: Number | None = Field(default=None, ge=0, le=180)
    sso: bool = Field(default=False, description="sun-synchronous: inclination from the J2 nodal rate")
    ltan_h: Number = Field(default=18.0, ge=0, le=24, description="with sso: local time of the ascending node")
    raan0_deg: Number = Field(default=0.0, ge=0, lt=360, description="first plane's node, when not sso")

    def _check_orbit(self) -> None:
        if self.sso == (self.inclination_deg is not None):
            raise ValueError("give either inclination_deg or sso: true")
        if self.sso and self.altitude_km > 5_900:
            raise ValueError("no sun-synchronous orbit above about 5,970 km")


class ShellInput(_OrbitInput):
    """A Walker-delta shell: `planes` planes of `sats_per_plane` satellites, phasing F."""

    planes: Int = Field(gt=0, le=10_000)
    sats_per_plane: Int = Field(gt=0, le=10_000)
    phasing: Int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _one_inclination(self) -> "ShellInput":
        self._check_orbit()
        if self.phasing >= self.planes:
            raise ValueError(f"phasing ({self.phasing}) must be below planes ({self.planes})")
        return self


class FormationInput(_OrbitInput):
    """Formation clusters: `clusters` tight groups of `satellites` each, flying within
    `radius_km` of their cluster's centre, the centres evenly spaced along one orbit. A
    cluster is one pool and one training domain (its satellites are close enough for a
    tight optical interconnect)."""

    clusters: Int = Field(default=1, gt=0, le=10_000)
    satellites: Int = Field(gt=0, le=10_000, description="satellites per cluster")
    radius_km: float = Field(gt=0, le=100, allow_inf_nan=False, description="all satellites within this of the centre")
    link_gbps: PositiveFloat | None = Field(default=None, description="optical link rate between neighbours (reported)")

    @model_validator(mode="after")
    def _one_inclination(self) -> "FormationInput":
        self._check_orbit()
        return self


class TleInput(_Model):
    """Real satellites from a two-line-element file, propagated with SGP4."""

    file: str = Field(min_length=1, description="TLE file, relative to the scenario file")
    name_prefix: str | None = Field(default=None, description="keep only satellites whose name starts with this")
    limit: Int | None = Field(default=None, gt=0, le=1_000_000, description="keep only the first N (after the prefix)")


class SatelliteSpec(_Model):
    """One compute satellite: GPUs, power system and radiator (sizes, not a catalogue entry)."""

    gpu: str = Field(min_length=1)
    gpus: Int = Field(gt=0, le=100_000)
    gpu_power_w: PositiveFloat | None = Field(default=None, description="per busy GPU with host share; default: catalogue")
    bus_power_w: NonNegFloat
    array_area_m2: PositiveFloat
    cell_efficiency: float = Field(gt=0, le=1, allow_inf_nan=False)
    array_degradation_per_year: float = Field(default=0.0, ge=0, lt=1, allow_inf_nan=False)
    array_tracking: Literal["two_axis", "single_axis", "orbit_normal"] = Field(
        default="two_axis", description="faces the sun; turns about the orbit normal; fixed along the orbit normal"
    )
    array_temperature_c: float = Field(default=28.0, ge=-150, le=200, allow_inf_nan=False)
    array_temperature_coefficient_per_k: float = Field(default=0.0, ge=-0.05, le=0.0, allow_inf_nan=False)
    battery_wh: PositiveFloat
    depth_of_discharge: float = Field(gt=0, le=1, allow_inf_nan=False)
    charge_efficiency: float = Field(gt=0, le=1, allow_inf_nan=False)
    discharge_efficiency: float = Field(gt=0, le=1, allow_inf_nan=False)
    max_charge_w: PositiveFloat
    max_discharge_w: PositiveFloat
    radiator_area_m2: PositiveFloat
    radiator_sides: Literal[1, 2] = 2
    emissivity: float = Field(gt=0, le=1, allow_inf_nan=False)
    absorptivity: float = Field(ge=0, le=1, allow_inf_nan=False)
    max_radiator_temperature_k: PositiveFloat
    radiator_heat_capacity_j_per_k: PositiveFloat | None = Field(
        default=None, description="thermal mass of radiator and payload: a lumped transient; none: steady state"
    )
    mass_kg: PositiveFloat | None = Field(default=None, description="for drag decay (with drag_area_m2)")
    drag_area_m2: PositiveFloat | None = Field(default=None, description="mean area facing the flow, for drag decay")
    drag_coefficient: PositiveFloat = Field(default=2.2, le=10)
    design_life_years: PositiveFloat | None = Field(default=None, description="deorbited at this age at the latest")
    age_years: NonNegFloat = Field(default=0.0, description="age of the satellites at the start")
    age_spread_years: NonNegFloat = Field(default=0.0, description="ages spread uniformly over [age, age + spread]")

    @model_validator(mode="after")
    def _drag_pair(self) -> "SatelliteSpec":
        if (self.mass_kg is None) != (self.drag_area_m2 is None):
            raise ValueError("give both mass_kg and drag_area_m2 for drag decay, or neither")
        return self


class FaultSpec(_Model):
    """Radiation and failures of compute satellites; defaults in physics/faults.py, with sources."""

    shielding_mm_al: float = Field(default=5.0, ge=0.05, le=20.0, allow_inf_nan=False,
                                   description="aluminium around the GPUs, for the dose (the SPENVIS table's range)")
    seu_per_gpu_day: NonNegFloat | None = Field(default=None, description="upsets that stop a GPU's work, outside the SAA")
    saa_multiplier: PositiveFloat | None = Field(default=None, description="upset rate inside the South Atlantic Anomaly, x")
    gpu_failure_per_year: NonNegFloat | None = Field(default=None, description="permanent GPU failures at zero dose")
    gpu_failure_per_year_per_krad: NonNegFloat | None = Field(default=None, description="added per krad(Si) of dose")
    bus_failure_per_year: NonNegFloat | None = Field(default=None, description="satellite losses (bus failures)")


class ReplacementSpec(_Model):
    """Satellites that fail or reach end of life are replaced by new ones after a delay."""

    launch_delay_days: NonNegFloat = Field(description="from loss to the replacement's first service")


class ThrottleSpec(_Model):
    """eclipse_policy: throttle. In shadow every GPU is power-capped to `power_fraction` of
    its draw and runs at speed = power_fraction ** speed_exponent."""

    power_fraction: float = Field(default=0.5, gt=0, le=1, allow_inf_nan=False)
    speed_exponent: float = Field(default=0.75, gt=0, le=3, allow_inf_nan=False)


class ConstellationSpec(_Model):
    """Compute satellites: Walker shells, a public filing's preset, formation clusters or
    real satellites from TLEs. Each plane, cluster, satellite or the whole constellation is a pool."""

    name: str = Field(min_length=1)
    shell: ShellInput | None = None
    preset: str | None = Field(default=None, description="named shells of a public filing, e.g. starlink-gen1")
    formation: FormationInput | None = None
    tle: TleInput | None = None
    satellite: SatelliteSpec
    eclipse_policy: Literal["ride_through", "throttle", "power_off"] = "ride_through"
    throttle: ThrottleSpec = Field(default_factory=ThrottleSpec)
    thermal_policy: Literal["throttle", "idle"] = Field(
        default="throttle", description="too hot: cap every GPU's power (down to throttle.power_fraction), or idle some"
    )
    pool_per: Literal["plane", "constellation", "satellite", "cluster"] | None = Field(
        default=None, description="default: plane for shells and presets, cluster for formations, constellation for TLEs"
    )
    faults: FaultSpec | None = Field(default=None, description="radiation upsets and failures; none: no faults")
    replacement: ReplacementSpec | None = Field(default=None, description="replace lost satellites; none: not replaced")

    @model_validator(mode="after")
    def _one_geometry(self) -> "ConstellationSpec":
        given = [k for k in ("shell", "preset", "formation", "tle") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of shell, preset, formation and tle" + (f" (got {', '.join(given)})" if given else ""))
        allowed = {"shell": ("plane", "constellation", "satellite"), "preset": ("plane", "constellation", "satellite"),
                   "formation": ("cluster", "satellite"), "tle": ("constellation", "satellite")}[given[0]]
        if self.pool_per is not None and self.pool_per not in allowed:
            raise ValueError(f"pool_per {self.pool_per!r} does not apply to a {given[0]}; use one of {', '.join(allowed)}")
        return self

    @property
    def pools_by(self) -> str:
        """What one pool is: the explicit choice, else the natural unit of the geometry."""
        if self.pool_per is not None:
            return self.pool_per
        return "cluster" if self.formation else "constellation" if self.tle else "plane"


class CreditTier(_Model):
    """An SLA credit: when a month's availability falls below `below`, this share of the
    month's reserved fee is credited back (the deepest tier reached applies)."""

    below: float = Field(gt=0.0, le=1.0, description="availability (0-1) below which the credit is owed")
    credit_percent: float = Field(gt=0.0, le=100.0, description="credit, percent of the month's reserved fee")


class SiteShare(_Model):
    site: str = Field(min_length=1)
    share: float = Field(gt=0.0, le=1.0, description="share of the site's installed GPUs (of `gpu_type` if given)")


class SpotClearing(_Model):
    """Spot price from demand: min + (max - min) x the fleet's allocated share of its capacity, each step."""

    min_usd_per_gpu_hour: NonNegFloat
    max_usd_per_gpu_hour: NonNegFloat

    @model_validator(mode="after")
    def _ordered(self) -> "SpotClearing":
        if self.max_usd_per_gpu_hour < self.min_usd_per_gpu_hour:
            raise ValueError("max_usd_per_gpu_hour is below min_usd_per_gpu_hour")
        return self


PricePerGpuHour = NonNegFloat | dict[Annotated[str, Field(min_length=1)], NonNegFloat]


class ContractSpec(_Model):
    """What one tenant pays for the GPU-hours its jobs use (economics/ledger.py).

    reserved: take-or-pay for `gpus` (or a `site_share`) over its term, GPU-hours beyond it
    at `overage_usd_per_gpu_hour`, SLA credits when the month's availability misses the
    guarantee; on_demand: GPU-hours used x price; spot: GPU-hours used x price, or the
    clearing price of each step."""

    tenant: str = Field(min_length=1, description="a tenant of the jobs, or * for every tenant without a contract")
    kind: Literal["reserved", "on_demand", "spot"]
    usd_per_gpu_hour: PricePerGpuHour | None = Field(
        default=None, description="price per GPU-hour: one number, or per GPU type (H100: 2.4, ...)")
    usd_per_month: NonNegFloat | None = Field(default=None, description="reserved: a flat fee per month for the whole reservation")
    gpus: Int | None = Field(default=None, gt=0, le=MAX_GPUS, description="reserved: GPUs reserved")
    site_share: SiteShare | None = Field(default=None, description="reserved: a share of a site's GPUs instead of `gpus`")
    gpu_type: str | None = Field(default=None, description="reserved: only GPU-hours on this type count against the reservation")
    start_h: NonNegFloat = Field(default=0.0, description="reserved: start of the term, hours from the run start")
    term_h: PositiveFloat | None = Field(default=None, description="reserved: length of the term; none: to the end of the run")
    overage_usd_per_gpu_hour: NonNegFloat | None = Field(
        default=None, description="reserved: GPU-hours beyond the reservation; default: the reservation's hourly rate")
    availability_guarantee: float | None = Field(default=None, gt=0.0, le=1.0,
                                                 description="reserved: monthly availability promised (0-1)")
    credit_percent: float = Field(default=10.0, gt=0.0, le=100.0,
                                  description="reserved: credit when availability is below the guarantee, percent of the month's fee")
    credit_tiers: list[CreditTier] = Field(default_factory=list, description="reserved: deeper credits below lower availability")
    clearing: SpotClearing | None = Field(default=None, description="spot: the price follows the fleet's allocation each step")

    @model_validator(mode="after")
    def _fits_kind(self) -> "ContractSpec":
        reserved_only = ("usd_per_month", "gpus", "site_share", "gpu_type", "term_h", "overage_usd_per_gpu_hour",
                         "availability_guarantee")
        if self.kind != "reserved":
            given = [k for k in reserved_only if getattr(self, k) is not None] + (["credit_tiers"] if self.credit_tiers else [])
            if given:
                raise ValueError(f"{', '.join(given)} apply to reserved contracts only")
            if self.start_h:
                raise ValueError("start_h applies to reserved contracts only")
        if self.kind != "spot" and self.clearing is not None:
            raise ValueError("clearing applies to spot contracts only")
        if self.kind == "reserved":
            if (self.gpus is None) == (self.site_share is None):
                raise ValueError("a reserved contract needs exactly one of gpus and site_share")
            if (self.usd_per_gpu_hour is None) == (self.usd_per_month is None):
                raise ValueError("a reserved contract needs exactly one of usd_per_gpu_hour and usd_per_month")
            if isinstance(self.usd_per_gpu_hour, dict):
                raise ValueError("a reservation's usd_per_gpu_hour is one number (its GPUs' rate)")
            if self.credit_tiers and self.availability_guarantee is None:
                raise ValueError("credit_tiers need availability_guarantee")
            if self.availability_guarantee is not None:
                for tier in self.credit_tiers:
                    if tier.below > self.availability_guarantee:
                        raise ValueError(f"a credit tier below {tier.below} lies above the guarantee {self.availability_guarantee}")
        elif self.usd_per_gpu_hour is None and self.clearing is None:
            raise ValueError(f"a {self.kind} contract needs usd_per_gpu_hour" + (" or clearing" if self.kind == "spot" else ""))
        return self


def _cost(lower: float = 0.0, upper: float = math.inf):
    """An economics input: a number, or {uniform: [lo, hi]} | {triangular: [lo, mode, hi]} |
    {lognormal: {median: m, sigma: s}} (economics/distributions.py), within [lower, upper]."""

    def parse(value: object) -> object:
        from orbitgrid.economics.distributions import parse_uncertain

        return None if value is None else parse_uncertain(value, lower, upper)

    return Annotated[object, BeforeValidator(parse)]


Cost = _cost()
Share = _cost(0.0, 1.0)


class LaunchPlanSpec(_Model):
    """How an orbital fleet is launched: a catalogue vehicle and/or its price and payload,
    and, for the build-out, a cadence and a price that falls over the years (economics/launch.py)."""

    vehicle: str | None = Field(default=None, description="launcher from catalog/economics.yaml; default starship-target")
    usd_per_kg: Cost = Field(default=None, description="price to LEO in the first year; default: the vehicle's")
    payload_t: _cost(1e-3) = Field(default=None, description="payload per launch, t; default: the vehicle's")
    launches_per_year: NonNegFloat | list[NonNegFloat] | None = Field(
        default=None, description="cadence for the build-out: one number, or one per year from start_year")
    start_year: Int = Field(default=2027, ge=1957, le=2200)
    growth_years: Int = Field(default=10, gt=0, le=100, description="years of build-out to tabulate")
    price_decline_per_year: float | None = Field(default=None, ge=0.0, lt=1.0, allow_inf_nan=False,
                                                 description="price falls by this share each year")
    target_usd_per_kg: NonNegFloat | None = Field(default=None, description="price reached at target_year (log-linear)")
    target_year: Int | None = Field(default=None, ge=1957, le=2200)

    @model_validator(mode="after")
    def _one_curve(self) -> "LaunchPlanSpec":
        if (self.target_usd_per_kg is None) != (self.target_year is None):
            raise ValueError("give target_usd_per_kg and target_year together")
        if self.target_year is not None and self.price_decline_per_year is not None:
            raise ValueError("give price_decline_per_year or a target, not both")
        if self.target_year is not None and self.target_year <= self.start_year:
            raise ValueError(f"target_year ({self.target_year}) must be after start_year ({self.start_year})")
        return self


TERRESTRIAL_COST_FIELDS = ("power_plant_usd_per_kw", "electrical_usd_per_w", "mechanical_usd_per_w", "civil_usd_per_w",
                           "network_usd_per_w", "energy_usd_per_mwh", "fuel_usd_per_mmbtu", "heat_rate_btu_per_kwh",
                           "fuel_om_usd_per_mwh")
ORBITAL_COST_FIELDS = ("sizing", "satellite_power_kw", "specific_power_w_kg", "sun_fraction", "degradation_per_year",
                       "bus_usd_per_w", "bus_usd_per_kg", "launch", "ground_segment_usd", "ground_ops_usd_per_year",
                       "design_life_years", "array", "radiator", "battery", "bus", "radiator_temperature_k")


class FleetEconomicsSpec(_Model):
    """Cost inputs of one fleet (a site or a constellation, by name); anything not given
    comes from catalog/economics.yaml. Every cost input may be a distribution."""

    fleet: str = Field(min_length=1, description="name of a site or a constellation")
    delivered_power_mw: PositiveFloat | None = Field(
        default=None, description="size the fleet to deliver this average IT power; none: the fleet as the scenario builds it")
    utilization: Share = Field(default=None, description="share of the delivered GPU-hours used (energy, $/MWh, $/GPU-hour)")
    gpu_price_usd: Cost = Field(default=None, description="per GPU; default: middle of the catalogue's purchase price")
    gpu_failure_per_year: Share = Field(default=None, description="GPUs replaced each year, share")
    gpu_replacement_basis: Literal["gpus", "hardware", "attrition"] | None = Field(
        default=None, description="failed GPUs replaced at GPU capex, or at all hardware (McCalip); attrition "
                                  "(constellations): not replaced, the fleet is sized so that its mean over the years "
                                  "delivers; default: gpus for sites, attrition for constellations")
    ops_share_per_year: Share = Field(default=None, description="operations each year, share of hardware capex")
    nre_usd: Cost = Field(default=None, description="non-recurring engineering, at the start")
    # terrestrial
    power_plant_usd_per_kw: Cost = Field(default=None, description="on-site plant per kW of generating capacity")
    electrical_usd_per_w: Cost = None
    mechanical_usd_per_w: Cost = None
    civil_usd_per_w: Cost = None
    network_usd_per_w: Cost = None
    energy_usd_per_mwh: Cost = Field(default=None, description="flat energy price; default: gas, else the zone's mean price")
    fuel_usd_per_mmbtu: Cost = Field(default=None, description="default: the site's onsite.gas, else the catalogue")
    heat_rate_btu_per_kwh: _cost(1.0) = Field(default=None, description="default: the site's onsite.gas, else the catalogue")
    fuel_om_usd_per_mwh: Cost = Field(default=None, description="variable O&M per MWh generated")
    # orbital
    sizing: Literal["physics", "explicit"] = Field(
        default="physics", description="physics: size the satellite (physics/sizing.py); explicit: the inputs below")
    satellite_power_kw: _cost(1e-6) = Field(default=None, description="explicit: power per satellite")
    specific_power_w_kg: _cost(1e-6) = Field(default=None, description="explicit: satellite W per kg at launch")
    sun_fraction: _cost(1e-6, 1.0) = Field(default=None, description="explicit: share of time in sunlight")
    degradation_per_year: _cost(0.0, 0.999) = Field(default=None, description="explicit: array output lost per year")
    bus_usd_per_w: Cost = Field(default=None, description="satellite (without GPUs) per W of satellite power")
    bus_usd_per_kg: Cost = Field(default=None, description="satellite (without GPUs) per kg of dry mass less payload")
    launch: LaunchPlanSpec = Field(default_factory=LaunchPlanSpec)
    ground_segment_usd: Cost = None
    ground_ops_usd_per_year: Cost = None
    design_life_years: PositiveFloat | None = Field(default=None, le=50, description="satellites rebuilt at this age")
    array: str | None = Field(default=None, description="physics: technology.yaml array preset")
    radiator: str | None = None
    battery: str | None = None
    bus: str | None = None
    radiator_temperature_k: float | None = Field(default=None, ge=150, le=600, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_bus_price(self) -> "FleetEconomicsSpec":
        if self.bus_usd_per_w is not None and self.bus_usd_per_kg is not None:
            raise ValueError("give bus_usd_per_w or bus_usd_per_kg, not both")
        return self


class EconomicsSpec(_Model):
    """Cost of ownership of the fleets, for `orbitgrid plan` (economics/plan.py)."""

    years: float = Field(default=5.0, gt=0, le=50, allow_inf_nan=False, description="analysis period")
    discount_rate: _cost(0.0, 1.0) = Field(default=None, description="per year; default: the catalogue's 0.08")
    reference: str | None = Field(default=None, description="the site break-even compares with; default: the first site")
    fleets: list[FleetEconomicsSpec] = Field(default_factory=list, max_length=10_000)


def _economics_problems(sc: "Scenario", add) -> None:
    """Economics: fleets that exist, once each; fields that fit the fleet's kind; known
    catalogue names."""
    eco = sc.economics
    if eco is None:
        return
    from orbitgrid.catalog.economics import load_economics
    from orbitgrid.catalog.technology import load_technology

    sites = [s.name for s in sc.sites]
    cons = [c.name for c in sc.constellations]
    if eco.reference is not None and eco.reference not in sites:
        add(("economics", "reference"), f"no site named {eco.reference!r}", _suggest(eco.reference, sites or ["(none)"]))
    seen: dict[str, int] = {}
    cat, tech = load_economics(), load_technology()
    for k, f in enumerate(eco.fleets):
        base = ("economics", "fleets", k)
        if f.fleet not in sites and f.fleet not in cons:
            add(base + ("fleet",), f"no site or constellation named {f.fleet!r}", _suggest(f.fleet, sites + cons))
            continue
        if f.fleet in seen:
            add(base + ("fleet",), f"fleet {f.fleet!r} already has costs (economics.fleets[{seen[f.fleet]}])")
        seen.setdefault(f.fleet, k)
        given = f.model_fields_set
        wrong = [n for n in (ORBITAL_COST_FIELDS if f.fleet in sites else TERRESTRIAL_COST_FIELDS) if n in given]
        if wrong:
            add(base + (wrong[0],), f"applies to {'constellations' if f.fleet in sites else 'sites'} only, "
                f"and {f.fleet!r} is a {'site' if f.fleet in sites else 'constellation'}")
        if f.fleet in sites and f.gpu_replacement_basis == "attrition":
            add(base + ("gpu_replacement_basis",), "attrition applies to constellations only: a site replaces failed GPUs",
                "gpus or hardware")
        if f.fleet in cons:
            if f.launch.vehicle is not None and f.launch.vehicle not in cat.launchers:
                add(base + ("launch", "vehicle"), f"unknown launcher {f.launch.vehicle!r}", _suggest(f.launch.vehicle, list(cat.launchers)))
            for key, table in (("array", tech.arrays), ("radiator", tech.radiators), ("battery", tech.batteries), ("bus", tech.buses)):
                name = getattr(f, key)
                if name is not None and name not in table:
                    add(base + (key,), f"unknown {key} preset {name!r}", _suggest(name, list(table)))
            if f.sizing == "physics":
                explicit = [n for n in ("satellite_power_kw", "specific_power_w_kg", "sun_fraction", "degradation_per_year") if n in given]
                if explicit:
                    add(base + (explicit[0],), "applies to sizing: explicit only", "set sizing: explicit, or drop it")
                if sc.constellations[cons.index(f.fleet)].tle is not None:
                    add(base + ("sizing",), "a TLE constellation has no design orbit to size a satellite for",
                        "set sizing: explicit")


class InferenceSloSpec(_Model):
    """Latency targets of a service: a request meets its SLO when every target given holds."""

    ttft_ms: PositiveFloat | None = Field(default=None, description="time to first token, network RTT included")
    e2e_ms: PositiveFloat | None = Field(default=None, description="arrival to last token, network RTT included")


class ReplicaGroupSpec(_Model):
    """Replicas of a service in one place: a site (or one of its pools) or a constellation."""

    site: str | None = Field(default=None, description="a site's name")
    pool: str | None = Field(default=None, description="a pool's name (its site is the place)")
    constellation: str | None = Field(default=None, description="a constellation with a shell or preset")
    count: Int = Field(gt=0, le=1_000_000, description="replicas")
    usd_per_gpu_hour: NonNegFloat = Field(default=0.0, description="what a GPU-hour here costs (latency_target)")

    @model_validator(mode="after")
    def _one_place(self) -> "ReplicaGroupSpec":
        given = [k for k in ("site", "pool", "constellation") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of site, pool and constellation" + (f" (got {', '.join(given)})" if given else ""))
        return self


class DailyCycleSpec(_Model):
    """Request rate over the day in each city's local solar time: 1 + amplitude cos(2 pi (h - peak_local_h) / 24)."""

    amplitude: Number = Field(default=0.5, ge=0, le=1)
    peak_local_h: Number = Field(default=20.0, ge=0, lt=24)


class InferenceRequestsSpec(_Model):
    """Where requests come from: generated over the cities, or a packaged trace replayed."""

    arrivals: Literal["population", "trace"] = Field(default="population")
    per_day: PositiveFloat | None = Field(default=None, le=1e9, description="expected requests a day (population)")
    tokens: Literal["azure_conv", "azure_code", "mooncake_conv", "vidur_arxiv", "fixed"] = Field(default="azure_conv")
    input_tokens: Int = Field(default=1000, gt=0, le=10_000_000, description="with tokens: fixed")
    output_tokens: Int = Field(default=200, gt=0, le=10_000_000, description="with tokens: fixed")
    cities: Int = Field(default=1000, ge=1, le=1000, description="the N most populous cities")
    population_file: str | None = Field(
        default=None, description="CSV city,population: requests from these cities in proportion to these "
        "populations (default: the N most populous cities by the rank-size rule)")
    daily_cycle: DailyCycleSpec = Field(default_factory=DailyCycleSpec)
    speedup: PositiveFloat = Field(default=1.0, le=1e6, description="trace arrivals: time compressed by this")

    @model_validator(mode="after")
    def _consistent(self) -> "InferenceRequestsSpec":
        if self.arrivals == "population" and self.per_day is None:
            raise ValueError("generated arrivals need per_day")
        if self.arrivals == "trace" and self.per_day is not None:
            raise ValueError("a replayed trace sets its own rate; leave out per_day (use speedup)")
        if self.population_file is not None and "cities" in self.model_fields_set:
            raise ValueError("a population_file names its own cities; leave out cities")
        if self.arrivals == "trace" and self.tokens in ("fixed", "vidur_arxiv"):
            raise ValueError("a replayed trace needs a trace with arrival times in tokens (azure_conv, azure_code, mooncake_conv)")
        return self


class ReplicaMoveSpec(_Model):
    """Replicas moved from one site (or pool) of a service to another at a time, at a cost."""

    at_h: NonNegFloat = Field(description="hours from the run's start")
    source: str = Field(min_length=1, description="a site or pool the service has replicas at")
    target: str = Field(min_length=1, description="a site or pool the service has replicas at")
    count: Int = Field(gt=0, le=1_000_000)
    downtime_s: NonNegFloat = Field(default=600.0, description="moving replicas serve nowhere for this long")
    usd_per_replica: NonNegFloat = Field(default=0.0, description="cost of moving one replica")


class InferenceServiceSpec(_Model):
    """A tenant's model served from replicas on sites and constellations."""

    name: str = Field(min_length=1)
    model: str = Field(min_length=1, description="an ML.ENERGY v3 model, e.g. 'Llama 3.1 8B Instruct'")
    gpu: str = Field(min_length=1, description="H100 or B200 (measured)")
    gpus_per_replica: Int = Field(gt=0, le=64)
    batch_size: PositiveFloat = Field(default=64.0, le=100_000, description="max sequences in a batch")
    replicas: list[ReplicaGroupSpec] = Field(min_length=1)
    routing: Literal["nearest", "least_loaded", "latency_target", "sun_following"] = "nearest"
    latency_target_ms: PositiveFloat | None = Field(default=None, description="RTT target of latency_target")
    window_s: PositiveFloat = Field(default=60.0, le=86_400, description="least_loaded's window")
    slo: InferenceSloSpec = Field(default_factory=InferenceSloSpec)
    requests: InferenceRequestsSpec
    moves: list[ReplicaMoveSpec] = Field(default_factory=list, description="replicas moved between sites, at a cost")

    @model_validator(mode="after")
    def _target(self) -> "InferenceServiceSpec":
        if self.routing == "latency_target" and self.latency_target_ms is None:
            raise ValueError("routing latency_target needs latency_target_ms")
        return self


class InferenceSpec(_Model):
    """Inference services served to the world's cities."""

    services: list[InferenceServiceSpec] = Field(min_length=1)
    network_tick_s: Number = Field(default=300.0, ge=10.0, le=86_400.0, description="RTTs recomputed this often")
    route_factor: Number = Field(default=1.5, ge=1.0, le=5.0, description="fibre route over great circle")
    min_elevation_deg: Number | None = Field(default=None, ge=0, lt=90, description="user terminals; default by constellation family")


class SimulationSpec(_Model):
    duration_h: PositiveFloat
    start: str = Field(default="2026-01-01T00:00:00", description="UTC start time (ISO 8601): sets the sun")
    tick_s: Number = Field(default=300.0, ge=1.0, le=86400.0, allow_inf_nan=False)
    seed: Int = Field(default=0, ge=0, le=2**63 - 1)
    drain: bool = Field(default=False, description="after the last arrival, run on until every job has ended")
    drain_limit_h: PositiveFloat | None = Field(default=None, description="stop draining after this long")

    @field_validator("start")
    @classmethod
    def _iso_time(cls, value: str) -> str:
        return _check_iso(value)


class Scenario(_Model):
    """A whole scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    simulation: SimulationSpec
    accelerators: dict[str, Accelerator] = Field(default_factory=dict)
    sites: list[SiteSpec] = Field(default_factory=list)
    constellations: list[ConstellationSpec] = Field(default_factory=list)
    workload: WorkloadSpec
    policy: PolicySpec = Field(default_factory=PolicySpec)
    economics: EconomicsSpec | None = Field(default=None, description="costs of the fleets, for `orbitgrid plan`")
    contracts: list[ContractSpec] = Field(default_factory=list, description="what each tenant pays: reserved, on-demand, spot")
    inference: InferenceSpec | None = Field(default=None, description="inference services: models, replicas, request streams")

    @model_validator(mode="after")
    def _some_fleet(self) -> "Scenario":
        if not self.sites and not self.constellations:
            raise ValueError("give at least one of `sites` and `constellations`")
        if self.constellations and self.simulation.drain and self.simulation.drain_limit_h is None:
            raise ValueError("with constellations, drain needs simulation.drain_limit_h: orbital capacity is "
                             "tabulated before the run, to duration_h + drain_limit_h")
        return self

    @field_validator("accelerators")
    @classmethod
    def _no_empty_names(cls, value: dict[str, Accelerator]) -> dict[str, Accelerator]:
        for key in value:
            if not key.strip():
                raise ValueError("accelerator names may not be empty")
        return value

    def accelerator_table(self) -> dict[str, Accelerator]:
        """The catalogue with the scenario's own accelerators added (and overriding)."""
        table = load_accelerators()
        table.update(self.accelerators)
        return table


class LoadedScenario(BaseModel):
    """A validated scenario and where it came from (relative paths resolve against `base_dir`)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    scenario: Scenario
    file: Path
    text: str

    @property
    def base_dir(self) -> Path:
        return self.file.parent

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path


def _friendly(err: dict) -> tuple[str, str | None]:
    """Pydantic's message, plus what the user wrote and a hint for the common cases."""
    kind = err.get("type", "")
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
    hint = None
    if kind == "extra_forbidden":
        msg = "unknown field"
    elif kind == "missing":
        msg = "field required"
    elif isinstance(err.get("input"), float) and err["input"] != err["input"]:
        msg = "not a number (got .nan)"
    elif "input" in err and kind not in ("model_type", "dict_type", "list_type") and not isinstance(
        err["input"], (dict, list)
    ):
        msg = f"{msg} (got {err['input']!r})"
    return msg, hint


def _clean_loc(loc: tuple) -> PathKey:
    """Drop pydantic's internal union/validator tags from an error location."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part in ("function-after", "literal", "list", "str")):
            continue
        out.append(part)
    return tuple(out)


def _suggest(name: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known: " + ", ".join(sorted(known))


def _extra_hint(path: PathKey, fields_by_parent: dict[str, list[str]]) -> str | None:
    """For an unknown key, the nearest field name its parent does have."""
    parents = [part for part in path[:-1] if isinstance(part, str)]
    fields = fields_by_parent.get(parents[-1] if parents else "", [])
    close = difflib.get_close_matches(str(path[-1]), fields, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


_FIELDS_BY_PARENT: dict[str, list[str]] = {
    "": list(Scenario.model_fields),
    "simulation": list(SimulationSpec.model_fields),
    "workload": list(WorkloadSpec.model_fields),
    "generator": list(GeneratorSpec.model_fields),
    "policy": list(PolicySpec.model_fields),
    "location": list(Location.model_fields),
    "gpus_per_job": list(GpuCountDistribution.model_fields),
    "duration_h": list(DurationDistribution.model_fields),
    "sites": list(SiteSpec.model_fields),
    "pools": list(PoolSpec.model_fields),
    "outages": list(Outage.model_fields),
    "gpu_types": list(GpuTypeChoice.model_fields),
    "priorities": list(PriorityChoice.model_fields),
    "tenants": list(TenantChoice.model_fields),
    "inference": list(InferenceSpec.model_fields),
    "services": list(InferenceServiceSpec.model_fields),
    "replicas": list(ReplicaGroupSpec.model_fields),
    "requests": list(InferenceRequestsSpec.model_fields),
    "slo": list(InferenceSloSpec.model_fields),
    "daily_cycle": list(DailyCycleSpec.model_fields),
    "moves": list(ReplicaMoveSpec.model_fields),
}


def _pydantic_problems(exc: ValidationError, file: str, lines: LineMap) -> list[Problem]:
    problems = []
    for err in exc.errors():
        path = _clean_loc(err["loc"])
        msg, hint = _friendly(err)
        if err.get("type") == "extra_forbidden" and path:
            hint = _extra_hint(path, _FIELDS_BY_PARENT)
        problems.append(Problem(file, lines.line_of(path), format_path(path), msg, hint))
    return problems


def _reference_problems(loaded: LoadedScenario, lines: LineMap) -> list[Problem]:
    """Checks across fields: names that must exist, be unique, or fit together."""
    from orbitgrid.policies import registry  # late import: policies import the world model

    sc = loaded.scenario
    file = str(loaded.file)
    table = sc.accelerator_table()
    known = list(table)
    problems: list[Problem] = []

    def add(path: PathKey, message: str, hint: str | None = None) -> None:
        problems.append(Problem(file, lines.line_of(path), format_path(path), message, hint))

    def check_gpu(path: PathKey, name: str) -> None:
        if name not in table:
            add(path, f"unknown GPU type {name!r}", _suggest(name, known))

    site_names: set[str] = set()
    pool_names: set[str] = set()
    for i, site in enumerate(sc.sites):
        if site.name in site_names:
            add(("sites", i, "name"), f"duplicate site name {site.name!r}", "site names must be unique")
        site_names.add(site.name)
        for j, pool in enumerate(site.pools):
            base = ("sites", i, "pools", j)
            if pool.name in pool_names:
                add(base + ("name",), f"duplicate pool name {pool.name!r}", "pool names must be unique across sites")
            pool_names.add(pool.name)
            check_gpu(base + ("gpu",), pool.gpu)
            if pool.gpu in table and pool.busy_power_w is None and table[pool.gpu].busy_power_w is None:
                add(
                    base + ("gpu",),
                    f"{pool.gpu} has no published power figure",
                    "set busy_power_w for this pool",
                )
            busy_w = pool.busy_power_w if pool.busy_power_w is not None else (
                table[pool.gpu].busy_power_w if pool.gpu in table else None
            )
            idle_w = pool.idle_power_w
            if idle_w is not None and busy_w is not None and idle_w > busy_w:
                add(base + ("idle_power_w",), f"idle draw {idle_w:g} W is above the busy draw {busy_w:g} W")
            for k, outage in enumerate(pool.outages):
                if outage.gpus > pool.count:
                    add(base + ("outages", k, "gpus"), f"{outage.gpus} GPUs out of a pool of {pool.count}")

    from orbitgrid.catalog.constellations import load_constellation_presets

    presets = load_constellation_presets()
    for i, con in enumerate(sc.constellations):
        base = ("constellations", i)
        if con.name in site_names:
            add(base + ("name",), f"duplicate name {con.name!r}", "constellation and site names must be unique")
        site_names.add(con.name)
        check_gpu(base + ("satellite", "gpu"), con.satellite.gpu)
        if con.satellite.gpu in table and con.satellite.gpu_power_w is None and table[con.satellite.gpu].busy_power_w is None:
            add(base + ("satellite", "gpu"), f"{con.satellite.gpu} has no published power figure", "set satellite.gpu_power_w")
        if con.preset is not None and con.preset not in presets:
            add(base + ("preset",), f"unknown preset {con.preset!r}", _suggest(con.preset, list(presets)))
        if con.faults is not None and con.tle is None:
            from orbitgrid.physics.orbits import sso_inclination_deg
            from orbitgrid.physics.radiation import dose_rad_per_year

            orbit_list = [con.shell or con.formation] if con.preset is None else (
                presets[con.preset].shells if con.preset in presets else [])
            for orbit in orbit_list:
                inc = float(sso_inclination_deg(orbit.altitude_km)) if getattr(orbit, "sso", False) else orbit.inclination_deg
                try:
                    dose_rad_per_year(inc, con.faults.shielding_mm_al, orbit.altitude_km)
                except ValueError as exc:
                    add(base + ("faults",), f"no dose model for {orbit.altitude_km:g} km, {inc:.1f}°: {exc}",
                        "faults need 300-1200 km and 30-150° inclination (550 km: any), 0.05-20 mm of aluminium")
                    break
        if con.tle is not None:
            path = loaded.resolve(con.tle.file)
            if not path.is_file():
                add(base + ("tle", "file"), f"file not found: {path}", "paths are relative to the scenario file")
            else:
                from orbitgrid.physics.tle import read_tle_file

                try:
                    names, _, sats = read_tle_file(path)
                except InputError as exc:  # the TLE file's own lines, FILE:LINE each
                    problems.extend(exc.problems)
                else:
                    prefix = con.tle.name_prefix
                    keep = [k for k, n in enumerate(names) if prefix is None or n.startswith(prefix)][: con.tle.limit]
                    if not keep:
                        add(base + ("tle", "name_prefix"), f"no satellite in {path.name} has a name starting {prefix!r}")
                    elif con.faults is not None:
                        problems.extend(_tle_dose_problems(con, [names[k] for k in keep], [sats[k] for k in keep],
                                                           file, lines.line_of(base + ("faults",)), base))

    wl = sc.workload
    check_gpu(("workload", "reference_gpu"), wl.reference_gpu)
    if wl.generator is not None:
        gen = wl.generator
        for k, choice in enumerate(gen.gpu_types):
            if choice.types != "any":
                if not choice.types:
                    add(("workload", "generator", "gpu_types", k, "types"), "empty list", 'use "any" or name types')
                for m, name in enumerate(choice.types):
                    check_gpu(("workload", "generator", "gpu_types", k, "types", m), name)
        end_h = gen.end_h if gen.end_h is not None else sc.simulation.duration_h
        if end_h <= gen.start_h:
            add(("workload", "generator", "end_h"), f"end_h ({end_h}) is not after start_h ({gen.start_h})")
    from orbitgrid.grid.accounting import uncovered
    from orbitgrid.grid.series import PACKAGED_ZONES

    for k, site in enumerate(sc.sites):
        if site.grid is None:
            continue
        if site.grid.zone is not None and site.grid.zone not in PACKAGED_ZONES:
            add(("sites", k, "grid", "zone"), f"no packaged zone {site.grid.zone!r}",
                _suggest(site.grid.zone, list(PACKAGED_ZONES)) or "give other zones' files as `prices` and `carbon`")
        for key in ("prices", "carbon"):
            rel = getattr(site.grid, key)
            if rel is not None and not loaded.resolve(rel).is_file():
                add(("sites", k, "grid", key), f"file not found: {loaded.resolve(rel)}", "paths are relative to the scenario file")
        if not problems:  # the run's hours must lie within the zone's series
            gap = uncovered(loaded, k)
            if gap:
                add(("sites", k, "grid"), gap, "set simulation.start and duration_h within the series")
    for k, site in enumerate(sc.sites):
        files = []
        if site.pue_curve is not None:
            files.append((("sites", k, "pue_curve", "temperature"), site.pue_curve.temperature))
        if site.onsite is not None and site.onsite.solar is not None and site.onsite.solar.profile is not None:
            files.append((("sites", k, "onsite", "solar", "profile"), site.onsite.solar.profile))
        dr = site.demand_response
        if dr is not None and dr.events_file is not None:
            files.append((("sites", k, "demand_response", "events_file"), dr.events_file))
        for path_key, rel in files:
            if not loaded.resolve(rel).is_file():
                add(path_key, f"file not found: {loaded.resolve(rel)}", "paths are relative to the scenario file")
            else:  # read now, so that `validate` reports a bad row as the run would
                found, gap = _file_problems(loaded, path_key, loaded.resolve(rel), rel)
                problems.extend(found)
                if gap:
                    add(path_key, gap, "set simulation.start and duration_h within the file")
        if dr is not None and dr.price_trigger is not None and (site.grid is None or (site.grid.zone is None and site.grid.prices is None)):
            add(("sites", k, "demand_response", "price_trigger"), "a price rule needs the site's hourly prices",
                "give the site a grid `zone` or a `prices` file")
        if dr is not None and dr.payment.energy_usd_per_mwh == "price" and (site.grid is None or (site.grid.zone is None and site.grid.prices is None)):
            add(("sites", k, "demand_response", "payment", "energy_usd_per_mwh"), "paid at the price, but the site has no prices",
                "give the site a grid `zone` or a `prices` file")
        if site.pue_curve is not None and not problems:
            gap = _temperature_gap(loaded, k)
            if gap:
                add(("sites", k, "pue_curve", "temperature"), gap, "set simulation.start and duration_h within the file")
    carbon_aware = sc.policy.carbon_aware
    if carbon_aware is not None:
        need = "prices" if carbon_aware.signal == "price" else "carbon"
        lacking = [site.name for site in sc.sites if site.grid is None
                   or (site.grid.zone is None and getattr(site.grid, need) is None)]
        if lacking:
            add(("policy", "carbon_aware", "signal"), f"the {carbon_aware.signal} signal needs every site's {need} series; "
                f"{', '.join(lacking)} has none", "give each site a grid `zone` or a file")
    if wl.csv is not None:
        path = loaded.resolve(wl.csv)
        if not path.is_file():
            add(("workload", "csv"), f"file not found: {path}", "paths are relative to the scenario file")
    if wl.trace is not None:
        path = loaded.resolve(wl.trace.file)
        if not path.is_file():
            add(("workload", "trace", "file"), f"file not found: {path}", "paths are relative to the scenario file")
        if wl.trace.throughputs is not None and not loaded.resolve(wl.trace.throughputs).is_file():
            add(("workload", "trace", "throughputs"), f"file not found: {loaded.resolve(wl.trace.throughputs)}",
                "paths are relative to the scenario file")
        if wl.trace.measured_on is not None:
            check_gpu(("workload", "trace", "measured_on"), wl.trace.measured_on)
        for trace_name, gpu in wl.trace.gpu_types.items():
            check_gpu(("workload", "trace", "gpu_types", trace_name), gpu)
    if sc.policy.name not in registry.names():
        add(("policy", "name"), f"unknown policy {sc.policy.name!r}", _suggest(sc.policy.name, registry.names()))
    if sc.policy.reserved_gpus and wl.generator is not None and wl.csv is None and wl.trace is None:
        # only generated jobs: every tenant is known now (a job file's or a trace's tenants
        # are checked by the `reserved` policy when the run starts)
        tenant_names = [t.name for t in wl.generator.tenants]
        for tenant in sc.policy.reserved_gpus:
            if tenant not in tenant_names:
                add(("policy", "reserved_gpus", tenant), f"no tenant named {tenant!r} in workload.generator.tenants",
                    _suggest(tenant, tenant_names))
    _contract_problems(sc, add, check_gpu)
    _inference_problems(sc, add, check_gpu)
    for i, svc in enumerate(sc.inference.services if sc.inference is not None else []):
        rel = svc.requests.population_file
        if rel is None:
            continue
        path = loaded.resolve(rel)
        if not path.is_file():
            add(("inference", "services", i, "requests", "population_file"), f"file not found: {path}",
                "paths are relative to the scenario file")
            continue
        from orbitgrid.inference.requests import read_city_populations

        try:
            read_city_populations(path)
        except InputError as exc:  # the file's own lines, FILE:LINE each
            problems.extend(exc.problems)
    _economics_problems(sc, add)
    return problems


def _contract_problems(sc: Scenario, add, check_gpu) -> None:
    """Contracts: one per tenant, known tenants (generated jobs), sites and GPU types."""
    seen: dict[str, int] = {}
    generated = sc.workload.generator is not None and sc.workload.csv is None and sc.workload.trace is None
    tenant_names = [t.name for t in sc.workload.generator.tenants] if generated else []
    site_names = [site.name for site in sc.sites]
    for k, c in enumerate(sc.contracts):
        if c.tenant in seen:
            add(("contracts", k, "tenant"), f"tenant {c.tenant!r} already has a contract (contracts[{seen[c.tenant]}])",
                "one contract per tenant; a reservation bills what goes beyond it at overage_usd_per_gpu_hour")
        seen.setdefault(c.tenant, k)
        if generated and c.tenant != "*" and c.tenant not in tenant_names:
            add(("contracts", k, "tenant"), f"no tenant named {c.tenant!r} in workload.generator.tenants",
                _suggest(c.tenant, tenant_names))
        if c.kind == "reserved" and c.tenant in sc.policy.reserved_gpus:
            add(("contracts", k, "tenant"), f"tenant {c.tenant!r} is also reserved in policy.reserved_gpus",
                "give the reservation once: the contract (billed) or policy.reserved_gpus (not billed)")
        if c.kind == "reserved" and c.tenant == "*":
            add(("contracts", k, "tenant"), "a reservation names its tenant", None)
        if c.site_share is not None and c.site_share.site not in site_names:
            add(("contracts", k, "site_share", "site"), f"no site named {c.site_share.site!r}", _suggest(c.site_share.site, site_names))
        if c.gpu_type is not None:
            check_gpu(("contracts", k, "gpu_type"), c.gpu_type)
        if isinstance(c.usd_per_gpu_hour, dict):
            for gpu in c.usd_per_gpu_hour:
                check_gpu(("contracts", k, "usd_per_gpu_hour", gpu), gpu)


MAX_INFERENCE_REQUESTS = 50_000_000  # per service: about 5 GB of per-request arrays
MAX_NETWORK_TICKS = 20_000  # orbital RTT tables (one graph search per tick and shell, ~50 ms each)


def _inference_problems(sc: "Scenario", add, check_gpu) -> None:
    """Inference: measured model configurations, places that exist, shells to route over."""
    from orbitgrid.inference import models

    if sc.inference is None:
        return
    sites = [s.name for s in sc.sites]
    pools = [p.name for s in sc.sites for p in s.pools]
    cons = {c.name: c for c in sc.constellations}
    ticks = math.ceil(sc.simulation.duration_h * 3600.0 / sc.inference.network_tick_s)
    if ticks > MAX_NETWORK_TICKS and any(g.constellation for s in sc.inference.services for g in s.replicas):
        add(("inference", "network_tick_s"), f"{ticks:,} network ticks over the run: more than {MAX_NETWORK_TICKS:,} "
            "graph searches per shell", f"raise network_tick_s to at least {math.ceil(sc.simulation.duration_h * 3600.0 / MAX_NETWORK_TICKS)}")
    names: set[str] = set()
    for i, svc in enumerate(sc.inference.services):
        base = ("inference", "services", i)
        if svc.name in names:
            add(base + ("name",), f"duplicate service name {svc.name!r}", "service names must be unique")
        names.add(svc.name)
        known = models.model_names()
        if svc.model not in known:
            add(base + ("model",), f"no ML.ENERGY measurement of model {svc.model!r}", _suggest(svc.model, known))
        else:
            cfg = models.configs(svc.model)
            if (svc.gpu, svc.gpus_per_replica) not in cfg:
                add(base + ("gpus_per_replica",) if svc.gpu in {g for g, _ in cfg} else base + ("gpu",),
                    f"{svc.model} was not measured on {svc.gpus_per_replica} x {svc.gpu}",
                    "measured: " + ", ".join(f"{n} x {g}" for g, n in cfg))
            else:
                b = models.batch_sizes(svc.model, svc.gpu, svc.gpus_per_replica)
                if not b[0] <= svc.batch_size <= b[-1]:
                    add(base + ("batch_size",), f"batch_size {svc.batch_size:g} is outside the measured {b[0]}..{b[-1]}",
                        "measured: " + ", ".join(map(str, b)))
        check_gpu(base + ("gpu",), svc.gpu)
        for j, g in enumerate(svc.replicas):
            rb = base + ("replicas", j)
            if g.site is not None and g.site not in sites:
                add(rb + ("site",), f"no site named {g.site!r}", _suggest(g.site, sites) if sites else None)
            if g.pool is not None and g.pool not in pools:
                add(rb + ("pool",), f"no pool named {g.pool!r}", _suggest(g.pool, pools) if pools else None)
            if g.constellation is not None:
                con = cons.get(g.constellation)
                if con is None:
                    add(rb + ("constellation",), f"no constellation named {g.constellation!r}",
                        _suggest(g.constellation, list(cons)) if cons else None)
                elif con.shell is None and con.preset is None:
                    add(rb + ("constellation",), f"constellation {g.constellation!r} has no Walker shell to route over",
                        "replicas need a constellation with `shell` or `preset`")
                else:
                    first = con.shell if con.shell is not None else _first_preset_shell(con.preset)
                    n_sat = first.planes * first.sats_per_plane if first is not None else None
                    if n_sat is not None and g.count > n_sat:
                        what = "a shell" if con.shell is not None else f"{con.preset}'s first shell"
                        add(rb + ("count",), f"{g.count} replicas on {what} of {n_sat} satellites", "at most one a satellite")
                    # a replica holds GPUs of one satellite (inference/serve.py: serving_holds)
                    if con.satellite.gpu != svc.gpu:
                        add(rb + ("constellation",), f"{g.constellation!r} carries {con.satellite.gpu}, the service runs on {svc.gpu}",
                            "replicas run on their satellite's GPUs")
                    elif svc.gpus_per_replica > con.satellite.gpus:
                        add(base + ("gpus_per_replica",), f"{svc.gpus_per_replica} GPUs a replica; a satellite of "
                            f"{g.constellation!r} has {con.satellite.gpus}", "a replica sits on one satellite")
        ground: dict[str, int] = {}
        held: dict[str, int] = {}  # place -> replicas at the start (sites, pools and constellations)
        room: dict[str, tuple[int, tuple]] = {}  # place -> (most replicas it can hold, its field path)
        for j, g in enumerate(svc.replicas):
            place = g.site or g.pool or g.constellation
            if place in held:
                add(base + ("replicas", j), f"{place!r} appears twice in this service's replicas", "give it once, with the total count")
            held[place] = held.get(place, 0) + g.count
            if g.constellation is None:
                ground[place] = ground.get(place, 0) + g.count
                # ground replicas hold GPUs of the service's type at their place (engine/run.py)
                if g.pool is not None:
                    have = sum(p.count for site in sc.sites for p in site.pools if p.name == g.pool and p.gpu == svc.gpu)
                else:
                    have = sum(p.count for site in sc.sites if site.name == g.site for p in site.pools if p.gpu == svc.gpu)
                if (g.site in sites or g.pool in pools) and g.count * svc.gpus_per_replica > have:
                    add(base + ("replicas", j, "count"),
                        f"{g.count} replicas x {svc.gpus_per_replica} {svc.gpu} need {g.count * svc.gpus_per_replica} GPUs; "
                        f"{place!r} has {have} {svc.gpu}", "replicas hold GPUs of the service's type where they sit")
                elif g.site in sites or g.pool in pools:
                    room[place] = (have // svc.gpus_per_replica, base + ("replicas", j, "count"))
            elif g.constellation in cons:
                con = cons[g.constellation]
                first = con.shell if con.shell is not None else _first_preset_shell(con.preset)
                if first is not None:
                    room[place] = (first.planes * first.sats_per_plane, base + ("replicas", j, "count"))
        usable = []
        for k, mv in enumerate(svc.moves):
            mb = base + ("moves", k)
            ok = True
            for fld in ("source", "target"):
                name = getattr(mv, fld)
                if name not in held:
                    ok = False
                    add(mb + (fld,), f"{name!r} is not a site, pool or constellation of this service's replicas",
                        _suggest(name, list(held)) if held else None)
            if mv.at_h >= sc.simulation.duration_h:
                add(mb + ("at_h",), f"at_h {mv.at_h:g} is not before the run's end ({sc.simulation.duration_h:g} h)")
            if ok and mv.source == mv.target:
                add(mb + ("target",), "a move needs two different places")
                ok = False
            if ok:
                usable.append(k)
        if usable:
            from orbitgrid.inference.serve import replica_timeline

            moves = [(svc.moves[k].at_h * 3600.0, svc.moves[k].downtime_s, svc.moves[k].source, svc.moves[k].target,
                      svc.moves[k].count) for k in usable]
            _, over_time, short = replica_timeline(held, moves)
            if short is not None:
                k = usable[short]
                add(base + ("moves", k, "count"),
                    f"moves {svc.moves[k].count} replicas from {svc.moves[k].source!r}, which holds fewer then",
                    "replicas in transit arrive downtime_s after their move")
            for place, (most, path) in room.items():  # a site's GPUs, a shell's satellites (one replica each)
                if int(over_time[place].max()) > most and held[place] <= most:
                    what = "satellites" if place in cons else f"replicas' worth of {svc.gpu}"
                    add(path, f"moves bring {place!r} to {int(over_time[place].max())} replicas; it has room for {most} "
                        f"({what})", "move fewer replicas there")
        r = svc.requests
        if r.arrivals == "trace":
            from orbitgrid.inference.requests import TRACES, load_trace

            expected = load_trace(r.tokens).arrival_s.size * sc.simulation.duration_h * r.speedup if r.tokens in TRACES else 0
        else:
            expected = (r.per_day or 0.0) * sc.simulation.duration_h / 24.0
        if expected > MAX_INFERENCE_REQUESTS:
            add(base + ("requests",), f"about {expected:,.0f} requests: more than {MAX_INFERENCE_REQUESTS:,} are not held in memory",
                "lower per_day (or speedup), or shorten the run")
        if svc.routing == "sun_following" and not any(g.constellation for g in svc.replicas):
            add(base + ("routing",), "sun_following needs replicas on a constellation", "use nearest")


def _file_problems(loaded: LoadedScenario, path_key: PathKey, path: Path, display: str) -> tuple[list[Problem], str | None]:
    """The row-by-row problems of a site's events file or solar profile, and why a profile
    does not cover the run (the temperature file is read for its coverage elsewhere)."""
    import numpy as np

    try:
        if path_key[-1] == "events_file":
            from orbitgrid.grid.demand_response import read_events

            read_events(path, display)
        elif path_key[-1] == "profile":
            from orbitgrid.grid.series import _iso
            from orbitgrid.grid.solar import read_capacity_factor

            series = read_capacity_factor(path, display)
            sc = loaded.scenario
            t0 = float(np.datetime64(sc.simulation.start, "s").astype(np.int64))
            t1 = t0 + sc.simulation.duration_h * 3600.0
            if t0 < series.start_s[0] or t1 > series.end_s:
                return [], (f"the profile covers {_iso(series.start_s[0])} to {_iso(series.end_s)}, "
                            f"the run {_iso(t0)} to {_iso(t1)}")
    except InputError as exc:
        return list(exc.problems), None
    return [], None


def _temperature_gap(loaded: LoadedScenario, k: int) -> str | None:
    """Why site k's temperature file does not cover the run, or None (read errors are
    reported as the file is read)."""
    import numpy as np

    from orbitgrid.grid.pue import read_temperature
    from orbitgrid.grid.series import _iso

    sc = loaded.scenario
    rel = sc.sites[k].pue_curve.temperature
    series = read_temperature(loaded.resolve(rel), rel)
    t0 = float(np.datetime64(sc.simulation.start, "s").astype(np.int64))
    t1 = t0 + sc.simulation.duration_h * 3600.0
    if t0 < series.start_s[0] or t1 > series.end_s:
        return f"the temperatures cover {_iso(series.start_s[0])} to {_iso(series.end_s)}, the run {_iso(t0)} to {_iso(t1)}"
    return None


def _tle_dose_problems(con, names, sats, file, line, base) -> list[Problem]:
    """Satellites of a TLE constellation with faults that the dose model does not reach."""
    import numpy as np

    from orbitgrid.physics.constants import R_EARTH_KM
    from orbitgrid.physics.radiation import dose_model_covers
    from orbitgrid.physics.tle import mean_elements_for_circular

    a_km, inc_rad, _, _ = mean_elements_for_circular(sats)
    alt, inc = a_km - R_EARTH_KM, np.degrees(inc_rad)
    bad = np.flatnonzero(~dose_model_covers(inc, alt))
    if not bad.size:
        return []
    k = int(bad[0])
    return [Problem(file, line, format_path(base + ("faults",)),
                    f"{len(bad)} of {len(sats)} satellites are outside the dose model, e.g. {names[k]} at "
                    f"{alt[k]:.0f} km, {inc[k]:.1f}°",
                    "the model covers 300-1200 km and 30-150° (550 km: any); select satellites with "
                    "tle.name_prefix or tle.limit, or drop faults")]


def _raw_gpu_name_problems(data: dict, file: str, lines: LineMap) -> list[Problem]:
    """Unknown pool GPU types, found in the raw file so that they are listed together with
    shape errors (the full cross-field checks need a valid model)."""
    own = data.get("accelerators")
    table = set(load_accelerators()) | (set(own) if isinstance(own, dict) else set())
    problems = []
    sites = data.get("sites")
    for i, site in enumerate(sites if isinstance(sites, list) else []):
        pools = site.get("pools") if isinstance(site, dict) else None
        for j, pool in enumerate(pools if isinstance(pools, list) else []):
            gpu = pool.get("gpu") if isinstance(pool, dict) else None
            if isinstance(gpu, str) and gpu and gpu not in table:
                path = ("sites", i, "pools", j, "gpu")
                problems.append(
                    Problem(file, lines.line_of(path), format_path(path), f"unknown GPU type {gpu!r}", _suggest(gpu, sorted(table)))
                )
    return problems


def load_scenario(file: str | Path) -> LoadedScenario:
    """Read, parse and check a scenario file; raise InputError listing every problem found."""
    path = Path(file)
    data, lines = load_yaml_with_lines(path)
    name = str(path)
    if not isinstance(data, dict):
        raise InputError([Problem(name, 1, "", "a scenario is a mapping of fields (name, simulation, sites, ...)")])
    return scenario_from_data(data, path, lines, path.read_text(encoding="utf-8"))


def scenario_from_data(data: dict, file: Path, lines: LineMap, text: str) -> LoadedScenario:
    """Validate parsed scenario `data` as if read from `file` (whose lines `lines` maps, and
    against whose folder relative paths resolve): the checks of `load_scenario`, also used on
    the changed copies a sweep makes (sweep/apply.py)."""
    name = str(file)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, name, lines) + _raw_gpu_name_problems(data, name, lines)
        # a misspelt key shows as "unknown field" and "field required": the first explains both
        problems.sort(key=lambda p: (p.message == "field required", p.line or 0))
        raise InputError(problems) from None
    loaded = LoadedScenario(scenario=scenario, file=Path(file), text=text)
    problems = _reference_problems(loaded, lines)
    if problems:
        problems.sort(key=lambda p: (p.line or 0))
        raise InputError(problems)
    return loaded


def _first_preset_shell(preset: str | None):
    """The first shell of a known preset (the one inference replicas route over), else None."""
    from orbitgrid.catalog.constellations import load_constellation_presets

    found = load_constellation_presets().get(preset) if preset is not None else None
    return found.shells[0] if found is not None else None
