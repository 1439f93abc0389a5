"""Sizing a compute satellite: from GPUs, an orbit and technology choices to array area,
radiator area, battery, mass by subsystem, kW of compute per tonne and launch cost.

Backs `orbitgrid size`. Pure functions of numbers or numpy arrays (they broadcast), SI
units unless a name says otherwise; the one exception is `orbit_light` for a
sun-synchronous orbit, which propagates a year to find its longest eclipse.

The model, for the orbit with the longest eclipse of the year (a period T split into a
sunlit part t_s and an eclipse t_e):

- Loads. In sunlight the GPUs (their busy power, host share included) plus the bus. In
  eclipse the same with `ride_through`, the bus alone with `power_off`.
- Solar array (SMAD ch. 11 energy balance over one orbit): the array must carry the
  sunlit load and recharge what the battery gave, through the power path η_p and the
  battery's charge η_c and discharge η_d efficiencies:

      P_EOL · t_s · η_p = P_s · t_s + P_e · t_e / (η_c η_d)

  Its end-of-life output per m², facing the sun, is
  S · η_cell · packing · I_d · cos θ · (1 − d)^years, so A = P_EOL / that. The wing's
  mass is its beginning-of-life output over the technology's specific power (W/kg).
- Battery (REFERENCE.md; SMAD eq. 11-6): E = P_e t_e / (DoD · η_d), mass E / (Wh/kg).
- Radiator (thermal.py): all electrical load in sunlight becomes heat; the area rejects it
  at a radiator temperature against the environment's absorbed flux, edge-on to the sun
  and edge-on to the Earth by default (view factor of a plate whose normal is horizontal).
- Mass: payload (server mass per GPU) + array + battery + radiator, the bus a fixed share
  of the dry mass, optional propellant as a share of the total (wet) mass. kW of compute per
  tonne is the payload's IT power over the total mass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from orbitgrid.physics import orbits, sun, thermal
from orbitgrid.physics.constants import R_EARTH_KM, SOLAR_CONSTANT_W_M2
from orbitgrid.physics.solar_power import array_power_w, battery_for_eclipse_wh

ECLIPSE_MODES = ("ride_through", "power_off")


# ---------------------------------------------------------------------------- the orbit

@dataclass(frozen=True)
class OrbitLight:
    """The sizing orbit: its period and its longest eclipse in the year."""

    period_s: float
    eclipse_s: float
    method: str

    @property
    def sunlit_s(self) -> float:
        return self.period_s - self.eclipse_s


def worst_eclipse_s(altitude_km: np.ndarray | float) -> np.ndarray:
    """Eclipse of a circular orbit at beta = 0, the longest any inclination meets in a
    year (its node sweeps the sun through the orbit plane): t_e = T · f(β=0) with
    f = (1/π) acos(√(h² + 2Rh) / (R + h)) (REFERENCE.md; Vallado; SMAD ch. 5)."""
    h = np.asarray(altitude_km, dtype=float)
    return orbits.orbital_period_s(h) * sun.eclipse_fraction_cylindrical(h, 0.0)


@lru_cache(maxsize=64)
def _sso_worst_eclipse_s(altitude_km: float, ltan_h: float, start: str, step_s: float) -> float:
    from orbitgrid.orbit_summary import orbit_summary

    s = orbit_summary(altitude_km, None, ltan_h=ltan_h, start=start, days=365.0, step_s=step_s)
    return float(s["max_eclipse_min"]) * 60.0


def orbit_light(
    altitude_km: float, inclination_deg: float | None = None, ltan_h: float | None = None,
    start: str = "2026-01-01T00:00:00", step_s: float = 30.0,
) -> OrbitLight:
    """Period and longest eclipse. With an inclination: the closed form at beta = 0 (any
    non-sun-synchronous orbit passes through it within the year). Sun-synchronous
    (`inclination_deg=None`, node at local time `ltan_h`): beta stays in a band set by
    the LTAN, so the longest eclipse of a propagated year (`orbit_summary`, cylindrical
    shadow, `step_s` resolution) is used; for a dawn-dusk orbit it is far shorter than
    at beta = 0, and zero if the orbit never meets the shadow."""
    period = float(orbits.orbital_period_s(altitude_km))
    if inclination_deg is not None:
        return OrbitLight(period, float(worst_eclipse_s(altitude_km)), "closed form at beta = 0")
    ltan = 18.0 if ltan_h is None else float(ltan_h)
    ecl = _sso_worst_eclipse_s(float(altitude_km), ltan, start, float(step_s))
    return OrbitLight(period, ecl, f"longest eclipse of a propagated year, SSO LTAN {ltan:g} h")


# ---------------------------------------------------------------------------- power

def array_required_w(
    sunlit_load_w: np.ndarray | float, eclipse_load_w: np.ndarray | float,
    sunlit_s: np.ndarray | float, eclipse_s: np.ndarray | float,
    path_efficiency: float, charge_efficiency: float, discharge_efficiency: float,
) -> np.ndarray:
    """End-of-life array output in sunlight that balances one orbit:
    (P_s t_s + P_e t_e / (η_c η_d)) / (η_p t_s)."""
    ps, pe = np.asarray(sunlit_load_w, dtype=float), np.asarray(eclipse_load_w, dtype=float)
    ts, te = np.asarray(sunlit_s, dtype=float), np.asarray(eclipse_s, dtype=float)
    return (ps * ts + pe * te / (charge_efficiency * discharge_efficiency)) / (path_efficiency * ts)


def array_output_w_m2(
    cell_efficiency: np.ndarray | float, packing_factor: float, inherent_degradation: float,
    degradation_per_year: float, life_years: np.ndarray | float,
    irradiance_w_m2: float = SOLAR_CONSTANT_W_M2, cos_incidence: float = 1.0,
) -> np.ndarray:
    """Electrical output per m² of array after `life_years`:
    S η_cell · packing · I_d · cos θ · (1 − d)^years (SMAD ch. 11; `solar_power.array_power_w`)."""
    eff = np.asarray(cell_efficiency, dtype=float) * packing_factor * inherent_degradation
    return array_power_w(1.0, eff, irradiance_w_m2, cos_incidence,
                         degradation_per_year=degradation_per_year, age_years=life_years)


def battery_capacity_wh(eclipse_load_w: np.ndarray | float, eclipse_s: np.ndarray | float,
                        depth_of_discharge: float, discharge_efficiency: float) -> np.ndarray:
    """Nameplate energy that carries the eclipse load: E = P t / (DoD η) (REFERENCE.md)."""
    return battery_for_eclipse_wh(eclipse_load_w, eclipse_s, depth_of_discharge, discharge_efficiency)


# ---------------------------------------------------------------------------- heat

def view_factor_edge_on_plate(altitude_km: np.ndarray | float) -> np.ndarray:
    """View factor to the Earth from one face of a plate whose normal is horizontal (its
    edge towards the Earth), at H = (R + h)/R: F = (1/π)[atan(1/√(H² − 1)) − √(H² − 1)/H²]
    (plane element tilted 90° to a sphere; Howell's catalogue of configuration factors).
    About 0.24 at 650 km against 0.82 for a nadir-facing plate."""
    H = (R_EARTH_KM + np.asarray(altitude_km, dtype=float)) / R_EARTH_KM
    s = np.sqrt(H**2 - 1.0)
    return (np.arctan(1.0 / s) - s / H**2) / np.pi


def radiator_absorbed_w_m2(
    absorptivity: float, emissivity: float, altitude_km: np.ndarray | float,
    view_factor_earth: np.ndarray | float | None = None, cos_sun: float = 0.0,
    irradiance_w_m2: float = SOLAR_CONSTANT_W_M2, albedo_factor: float = 1.0,
) -> np.ndarray:
    """Environmental heat one face absorbs in the hot case: edge-on to the sun
    (`cos_sun` 0), albedo at the sub-solar value (`albedo_factor` 1) and Earth IR, with
    the edge-on view factor unless `view_factor_earth` is given (`thermal.absorbed_w_m2`)."""
    f = view_factor_edge_on_plate(altitude_km) if view_factor_earth is None else view_factor_earth
    return thermal.absorbed_w_m2(absorptivity, emissivity, irradiance_w_m2, cos_sun, f,
                                 albedo_factor=albedo_factor)


def radiator_area_for_heat_m2(
    heat_w: np.ndarray | float, temperature_k: np.ndarray | float, emissivity: float,
    absorbed_w_m2: np.ndarray | float, sides: int,
) -> np.ndarray:
    """Panel area (one face) that rejects `heat_w`: Q / (sides (ε σ T⁴ − absorbed));
    infinite where the environment puts in as much as the panel emits (`thermal`)."""
    return thermal.radiator_area_m2(heat_w, temperature_k, emissivity, absorbed_w_m2, sides)


# ---------------------------------------------------------------------------- mass

def bus_mass_kg(other_kg: np.ndarray | float, mass_fraction: float) -> np.ndarray:
    """Bus mass when the bus is `mass_fraction` of the dry mass: m_other · f / (1 − f)."""
    return np.asarray(other_kg, dtype=float) * mass_fraction / (1.0 - mass_fraction)


@dataclass(frozen=True)
class Technology:
    """Plain numbers for one set of technology choices (see `catalog/technology.yaml`)."""

    cell_efficiency: float
    packing_factor: float
    inherent_degradation: float
    degradation_per_year: float
    array_specific_power_w_kg: float
    radiator_areal_mass_kg_m2: float
    radiator_emissivity: float
    radiator_absorptivity: float
    radiator_sides: int
    battery_wh_kg: float
    depth_of_discharge: float
    charge_efficiency: float
    discharge_efficiency: float
    bus_mass_fraction: float
    path_efficiency: float

    @classmethod
    def from_presets(cls, array, radiator, battery, bus, radiator_sides: int | None = None) -> "Technology":
        """From catalogue presets (`ArrayPreset`, `RadiatorPreset`, `BatteryPreset`, `BusPreset`)."""
        return cls(
            cell_efficiency=array.cell_efficiency.value,
            packing_factor=array.packing_factor.value,
            inherent_degradation=array.inherent_degradation.value,
            degradation_per_year=array.degradation_per_year.value,
            array_specific_power_w_kg=array.specific_power_w_kg.value,
            radiator_areal_mass_kg_m2=radiator.areal_mass_kg_m2.value,
            radiator_emissivity=radiator.emissivity.value,
            radiator_absorptivity=radiator.absorptivity.value,
            radiator_sides=radiator.sides if radiator_sides is None else radiator_sides,
            battery_wh_kg=battery.battery_wh_kg,
            depth_of_discharge=battery.depth_of_discharge.value,
            charge_efficiency=battery.charge_efficiency.value,
            discharge_efficiency=battery.discharge_efficiency.value,
            bus_mass_fraction=bus.mass_fraction.value,
            path_efficiency=bus.power_path_efficiency.value,
        )


@dataclass(frozen=True)
class SizingResult:
    """One satellite (or an array of them, when inputs were arrays). Powers in W, energy
    in Wh, areas in m², masses in kg, times in s."""

    compute_w: np.ndarray  # payload IT power: GPUs × busy power (host share included)
    bus_power_w: np.ndarray
    sunlit_load_w: np.ndarray
    eclipse_load_w: np.ndarray
    period_s: np.ndarray
    eclipse_s: np.ndarray
    array_required_w: np.ndarray  # end of life, in sunlight
    array_w_m2: np.ndarray  # end of life
    array_area_m2: np.ndarray
    array_bol_w: np.ndarray
    battery_wh: np.ndarray
    radiator_heat_w: np.ndarray
    radiator_net_flux_w_m2: np.ndarray  # per face
    radiator_area_m2: np.ndarray  # panel (one face)
    mass_payload_kg: np.ndarray
    mass_array_kg: np.ndarray
    mass_battery_kg: np.ndarray
    mass_radiator_kg: np.ndarray
    mass_bus_kg: np.ndarray
    mass_propellant_kg: np.ndarray
    mass_dry_kg: np.ndarray
    mass_total_kg: np.ndarray
    compute_kw_per_tonne: np.ndarray
    launch_cost_usd: np.ndarray

    def as_dict(self) -> dict[str, object]:
        """Python floats for scalars (for JSON and tables), lists for arrays."""
        out: dict[str, object] = {}
        for key, value in asdict(self).items():
            arr = np.asarray(value, dtype=float)
            out[key] = float(arr) if arr.ndim == 0 else arr.tolist()
        return out


def size_satellite(
    gpus: np.ndarray | float,
    gpu_power_w: np.ndarray | float,
    payload_kg_per_gpu: np.ndarray | float,
    bus_power_w: np.ndarray | float,
    period_s: np.ndarray | float,
    eclipse_s: np.ndarray | float,
    altitude_km: np.ndarray | float,
    tech: Technology,
    radiator_temperature_k: np.ndarray | float = 320.0,
    eclipse_mode: str = "ride_through",
    life_years: np.ndarray | float = 5.0,
    propellant_fraction: float = 0.0,
    launch_usd_per_kg: np.ndarray | float = 0.0,
    irradiance_w_m2: float = SOLAR_CONSTANT_W_M2,
    view_factor_earth: np.ndarray | float | None = None,
) -> SizingResult:
    """Size one compute satellite (see the module docstring for the model). Raises
    ValueError for an impossible case: a radiator too cold for its environment, a
    propellant fraction outside [0, 1), an unknown eclipse mode."""
    if eclipse_mode not in ECLIPSE_MODES:
        raise ValueError(f"eclipse_mode must be one of {', '.join(ECLIPSE_MODES)}")
    if not 0.0 <= propellant_fraction < 1.0:
        raise ValueError("propellant_fraction must be in [0, 1)")
    compute = np.asarray(gpus, dtype=float) * np.asarray(gpu_power_w, dtype=float)
    bus = np.asarray(bus_power_w, dtype=float) + 0.0 * compute
    sunlit_load = compute + bus
    eclipse_load = sunlit_load if eclipse_mode == "ride_through" else bus
    period = np.asarray(period_s, dtype=float)
    ecl = np.asarray(eclipse_s, dtype=float)
    sunlit = period - ecl

    required = array_required_w(sunlit_load, eclipse_load, sunlit, ecl, tech.path_efficiency,
                                tech.charge_efficiency, tech.discharge_efficiency)
    w_m2 = array_output_w_m2(tech.cell_efficiency, tech.packing_factor, tech.inherent_degradation,
                             tech.degradation_per_year, life_years, irradiance_w_m2)
    area = required / w_m2
    bol = area * array_output_w_m2(tech.cell_efficiency, tech.packing_factor, tech.inherent_degradation,
                                   0.0, 0.0, irradiance_w_m2)
    battery = battery_capacity_wh(eclipse_load, ecl, tech.depth_of_discharge, tech.discharge_efficiency)

    absorbed = radiator_absorbed_w_m2(tech.radiator_absorptivity, tech.radiator_emissivity, altitude_km,
                                      view_factor_earth, irradiance_w_m2=irradiance_w_m2)
    net = thermal.net_flux_w_m2(radiator_temperature_k, tech.radiator_emissivity, absorbed)
    if np.any(net <= 0):
        raise ValueError("the radiator is too cold to reject any heat in this environment: raise its temperature")
    rad_area = radiator_area_for_heat_m2(sunlit_load, radiator_temperature_k, tech.radiator_emissivity,
                                         absorbed, tech.radiator_sides)

    m_payload = np.asarray(gpus, dtype=float) * np.asarray(payload_kg_per_gpu, dtype=float)
    m_array = bol / tech.array_specific_power_w_kg
    m_battery = battery / tech.battery_wh_kg
    m_radiator = rad_area * tech.radiator_areal_mass_kg_m2
    other = m_payload + m_array + m_battery + m_radiator
    m_bus = bus_mass_kg(other, tech.bus_mass_fraction)
    dry = other + m_bus
    m_prop = dry * propellant_fraction / (1.0 - propellant_fraction)  # propellant share of the wet mass
    total = dry + m_prop
    return SizingResult(
        compute_w=compute, bus_power_w=bus, sunlit_load_w=sunlit_load, eclipse_load_w=eclipse_load,
        period_s=period + 0.0 * compute, eclipse_s=ecl + 0.0 * compute,
        array_required_w=required, array_w_m2=w_m2 + 0.0 * compute, array_area_m2=area, array_bol_w=bol,
        battery_wh=battery, radiator_heat_w=sunlit_load, radiator_net_flux_w_m2=net + 0.0 * compute,
        radiator_area_m2=rad_area,
        mass_payload_kg=m_payload, mass_array_kg=m_array, mass_battery_kg=m_battery,
        mass_radiator_kg=m_radiator, mass_bus_kg=m_bus, mass_propellant_kg=m_prop,
        mass_dry_kg=dry, mass_total_kg=total,
        compute_kw_per_tonne=(compute / 1000.0) / (total / 1000.0),
        launch_cost_usd=total * np.asarray(launch_usd_per_kg, dtype=float),
    )


def eclipse_fraction_worst(altitude_km: np.ndarray | float) -> np.ndarray:
    """Eclipse fraction at beta = 0 (the closed form of `sun.eclipse_fraction_cylindrical`)."""
    return sun.eclipse_fraction_cylindrical(np.asarray(altitude_km, dtype=float), 0.0)


__all__ = [
    "ECLIPSE_MODES", "OrbitLight", "SizingResult", "Technology", "array_output_w_m2", "array_required_w",
    "battery_capacity_wh", "bus_mass_kg", "eclipse_fraction_worst", "orbit_light", "radiator_absorbed_w_m2",
    "radiator_area_for_heat_m2", "size_satellite", "view_factor_edge_on_plate", "worst_eclipse_s",
]
