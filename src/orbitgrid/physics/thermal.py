"""Radiators in low Earth orbit: net flux, equilibrium temperature, sizing, a lumped transient.

Net flux per radiating side (REFERENCE.md; Gilmore, Spacecraft Thermal Control Handbook,
vol. 1, 2nd ed., ch. 2; SMAD ch. 11):

    q_net = ε σ T⁴ − α S cos θ − α a S F_E K_a − ε q_IR F_E

T radiator temperature, ε infrared emissivity, α solar absorptivity, S solar irradiance,
θ sun angle from the radiator normal (cos θ ≤ 0 means the sun is behind it), a Earth
albedo, q_IR Earth's outgoing infrared, F_E the view factor to Earth and K_a the albedo
geometry factor (1 under the sub-solar point, less elsewhere). Positive q_net leaves.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.physics.constants import R_EARTH_KM, STEFAN_BOLTZMANN_W_M2_K4

EARTH_IR_W_M2 = 237.0  # mean outgoing longwave at the top of the atmosphere (NASA TFAWS practice)
EARTH_ALBEDO = 0.30  # mean Bond albedo (same)


def view_factor_nadir_plate(altitude_km: np.ndarray | float) -> np.ndarray:
    """View factor from a flat plate facing the Earth's centre: F_E = (R / (R + h))²."""
    return (R_EARTH_KM / (R_EARTH_KM + np.asarray(altitude_km, dtype=float))) ** 2


def absorbed_w_m2(
    absorptivity: float,
    emissivity: float,
    solar_w_m2: np.ndarray | float,
    cos_sun: np.ndarray | float,
    view_factor_earth: np.ndarray | float,
    albedo: float = EARTH_ALBEDO,
    albedo_factor: np.ndarray | float = 1.0,
    earth_ir_w_m2: float = EARTH_IR_W_M2,
) -> np.ndarray:
    """Environmental heat absorbed per m² of one side: direct sun, albedo and Earth IR."""
    direct = absorptivity * np.asarray(solar_w_m2) * np.maximum(np.asarray(cos_sun, dtype=float), 0.0)
    reflected = absorptivity * albedo * np.asarray(solar_w_m2) * np.asarray(view_factor_earth) * np.asarray(albedo_factor)
    infrared = emissivity * earth_ir_w_m2 * np.asarray(view_factor_earth)
    return direct + reflected + infrared


def net_flux_w_m2(temperature_k: np.ndarray | float, emissivity: float, absorbed: np.ndarray | float) -> np.ndarray:
    """Heat leaving one side per m²: ε σ T⁴ less what the environment puts in."""
    t = np.asarray(temperature_k, dtype=float)
    return emissivity * STEFAN_BOLTZMANN_W_M2_K4 * t**4 - np.asarray(absorbed)


def radiator_area_m2(
    heat_w: np.ndarray | float, temperature_k: np.ndarray | float, emissivity: float,
    absorbed: np.ndarray | float = 0.0, sides: int = 1,
) -> np.ndarray:
    """Area that rejects `heat_w` at `temperature_k`; infinite where the environment
    puts in as much as the radiator can emit. `sides` is 1 (body-mounted) or 2 (a fin
    radiating from both faces, each seeing the same environment)."""
    if sides not in (1, 2):
        raise ValueError("sides must be 1 or 2")
    q = net_flux_w_m2(temperature_k, emissivity, absorbed)
    with np.errstate(divide="ignore"):
        return np.where(q > 0, np.asarray(heat_w, dtype=float) / (sides * q), np.inf)


def equilibrium_temperature_k(
    heat_w: np.ndarray | float, area_m2: np.ndarray | float, emissivity: float,
    absorbed: np.ndarray | float = 0.0, sides: int = 1,
) -> np.ndarray:
    """Steady temperature at which `area_m2` rejects `heat_w` plus what it absorbs."""
    flux = np.asarray(heat_w, dtype=float) / (sides * np.asarray(area_m2, dtype=float)) + np.asarray(absorbed)
    return (flux / (emissivity * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25


def rejectable_heat_w(
    max_temperature_k: np.ndarray | float, area_m2: np.ndarray | float, emissivity: float,
    absorbed: np.ndarray | float = 0.0, sides: int = 1,
) -> np.ndarray:
    """The most heat the radiator can shed without exceeding `max_temperature_k` (≥ 0):
    GPUs must throttle to stay under it."""
    q = net_flux_w_m2(max_temperature_k, emissivity, absorbed)
    return np.maximum(q, 0.0) * sides * np.asarray(area_m2, dtype=float)


def lumped_temperature_k(
    t0_k: np.ndarray, heat_w: np.ndarray, dt_s: float, heat_capacity_j_k: float, area_m2: float,
    emissivity: float, absorbed: np.ndarray | float = 0.0, sides: int = 1, substeps: int = 10,
) -> np.ndarray:
    """Temperature series of a lumped radiator + payload mass: C dT/dt = Q_in − A q_net(T).

    `heat_w` has time on its last axis (any leading axes, e.g. satellites); `absorbed`
    broadcasts to it. Integrated with `substeps` explicit Euler steps per `dt_s` (stable
    while dt_s / substeps is well under the time constant C / (4 ε σ A T³)).
    Returns temperatures at the end of each step, same shape as `heat_w`."""
    heat = np.asarray(heat_w, dtype=float)
    absorbed = np.broadcast_to(np.asarray(absorbed, dtype=float), heat.shape)
    temps = np.empty_like(heat)
    t = np.asarray(t0_k, dtype=float) * np.ones(heat.shape[:-1])
    h = dt_s / substeps
    for k in range(heat.shape[-1]):  # time steps; satellites are vectorised
        for _ in range(substeps):
            q_out = sides * area_m2 * net_flux_w_m2(t, emissivity, absorbed[..., k])
            t = t + h * (heat[..., k] - q_out) / heat_capacity_j_k
        temps[..., k] = t
    return temps


def _emitted_and_slope_w(temperature_k: np.ndarray, area_m2: float, emissivity: float, sides: int) -> tuple[np.ndarray, np.ndarray]:
    """Heat radiated, sides · A ε σ T⁴, and its slope in T, 4 sides · A ε σ T³."""
    t = np.asarray(temperature_k, dtype=float)
    k = sides * area_m2 * emissivity * STEFAN_BOLTZMANN_W_M2_K4
    return k * t**4, 4.0 * k * t**3


def lumped_step_k(
    t0_k: np.ndarray, heat_w: np.ndarray, dt_s: float, heat_capacity_j_k: float, area_m2: float,
    emissivity: float, absorbed: np.ndarray | float = 0.0, sides: int = 1,
) -> np.ndarray:
    """Temperature after one step of C dT/dt = Q + sides·A·absorbed − sides·A ε σ T⁴,
    by linearised backward Euler (the emission expanded about T0): stable for any step,
    so a physics tick of minutes can carry a radiator whose time constant is shorter."""
    emitted, slope = _emitted_and_slope_w(t0_k, area_m2, emissivity, sides)
    gain = np.asarray(heat_w, dtype=float) + sides * area_m2 * np.asarray(absorbed, dtype=float) - emitted
    return np.asarray(t0_k, dtype=float) + dt_s * gain / (heat_capacity_j_k + dt_s * slope)


def lumped_heat_limit_w(
    t0_k: np.ndarray, max_temperature_k: float, dt_s: float, heat_capacity_j_k: float, area_m2: float,
    emissivity: float, absorbed: np.ndarray | float = 0.0, sides: int = 1,
) -> np.ndarray:
    """The most internal heat that keeps `lumped_step_k` at or under `max_temperature_k`
    at the end of the step (≥ 0): a warm radiator's thermal mass buys a short burst above
    its steady rating, a hot one must shed heat first."""
    emitted, slope = _emitted_and_slope_w(t0_k, area_m2, emissivity, sides)
    limit = ((max_temperature_k - np.asarray(t0_k, dtype=float)) * (heat_capacity_j_k + dt_s * slope) / dt_s
             - sides * area_m2 * np.asarray(absorbed, dtype=float) + emitted)
    return np.maximum(limit, 0.0)
