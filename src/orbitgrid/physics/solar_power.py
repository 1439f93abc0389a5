"""Solar arrays and batteries of a compute satellite: power made, stored, and left for GPUs.

Array output (SMAD ch. 11): P = S · A · η · cos θ · illumination · (1 + k_T (T − 28 °C)) ·
(1 − d)^years, with S the irradiance, θ the angle of incidence, k_T the cell temperature
coefficient (negative) and d the yearly degradation. Battery sized for an eclipse:
E = P t / (DoD · η) (REFERENCE.md; SMAD eq. 11-6). The battery step keeps an exact energy
ledger: energy in = energy used + change in stored energy + losses, every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELL_REFERENCE_TEMPERATURE_C = 28.0  # AM0 rating temperature of space cells (ISO 15387; SMAD)


def array_power_w(
    area_m2: np.ndarray | float,
    efficiency: np.ndarray | float,
    irradiance_w_m2: np.ndarray | float,
    cos_incidence: np.ndarray | float = 1.0,
    illumination: np.ndarray | float = 1.0,
    cell_temperature_c: np.ndarray | float = CELL_REFERENCE_TEMPERATURE_C,
    temperature_coefficient_per_k: float = 0.0,
    degradation_per_year: float = 0.0,
    age_years: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Electrical power of an array; zero in umbra and when the sun is behind the panel."""
    cos_t = np.maximum(np.asarray(cos_incidence, dtype=float), 0.0)
    temp = 1.0 + temperature_coefficient_per_k * (np.asarray(cell_temperature_c) - CELL_REFERENCE_TEMPERATURE_C)
    aged = (1.0 - degradation_per_year) ** np.asarray(age_years, dtype=float)
    return (
        np.asarray(area_m2) * np.asarray(efficiency) * np.asarray(irradiance_w_m2)
        * cos_t * np.asarray(illumination) * np.maximum(temp, 0.0) * aged
    )


def battery_for_eclipse_wh(load_w: np.ndarray | float, eclipse_s: np.ndarray | float,
                           depth_of_discharge: float, discharge_efficiency: float) -> np.ndarray:
    """Battery capacity that carries `load_w` through an eclipse: E = P t / (DoD η)."""
    return np.asarray(load_w) * np.asarray(eclipse_s) / 3600.0 / (depth_of_discharge * discharge_efficiency)


@dataclass(frozen=True)
class Battery:
    capacity_wh: float
    depth_of_discharge: float  # usable share of capacity, 0..1
    charge_efficiency: float  # stored / drawn from the bus while charging
    discharge_efficiency: float  # delivered to the bus / taken from storage
    max_charge_w: float  # bus power into the battery, at most
    max_discharge_w: float  # power delivered to the bus, at most

    @property
    def floor_wh(self) -> float:
        return self.capacity_wh * (1.0 - self.depth_of_discharge)


@dataclass(frozen=True)
class BatteryStep:
    """One step for many batteries at once; all arrays in watts (averages over the step)
    except `soc_wh`. Ledger: supply = used + charge_in + spilled; deficit = from_battery + unmet."""

    soc_wh: np.ndarray
    delivered_w: np.ndarray  # load served (from supply and battery)
    charge_in_w: np.ndarray  # bus power into the battery
    from_battery_w: np.ndarray  # power the battery delivered to the bus
    spilled_w: np.ndarray  # surplus that could not be stored
    unmet_w: np.ndarray  # load that could not be served
    loss_w: np.ndarray  # charge and discharge losses


def battery_step(battery: Battery, soc_wh: np.ndarray, supply_w: np.ndarray, load_w: np.ndarray, dt_s: float) -> BatteryStep:
    """Serve `load_w` from `supply_w` for `dt_s`, charging with the surplus and discharging
    for the deficit within the rate and depth-of-discharge limits."""
    soc = np.asarray(soc_wh, dtype=float)
    supply = np.asarray(supply_w, dtype=float)
    load = np.asarray(load_w, dtype=float)
    h = dt_s / 3600.0
    surplus = np.maximum(supply - load, 0.0)
    deficit = np.maximum(load - supply, 0.0)
    room_wh = np.maximum(battery.capacity_wh - soc, 0.0)
    charge_in = np.minimum.reduce([surplus, np.full_like(surplus, battery.max_charge_w), room_wh / (battery.charge_efficiency * h)])
    available_wh = np.maximum(soc - battery.floor_wh, 0.0)
    from_batt = np.minimum.reduce([deficit, np.full_like(deficit, battery.max_discharge_w), available_wh * battery.discharge_efficiency / h])
    stored_change_wh = charge_in * battery.charge_efficiency * h - from_batt / battery.discharge_efficiency * h
    loss = charge_in * (1 - battery.charge_efficiency) + from_batt * (1 / battery.discharge_efficiency - 1)
    return BatteryStep(
        soc_wh=soc + stored_change_wh,
        delivered_w=np.minimum(load, supply) + from_batt,
        charge_in_w=charge_in,
        from_battery_w=from_batt,
        spilled_w=surplus - charge_in,
        unmet_w=deficit - from_batt,
        loss_w=loss,
    )
