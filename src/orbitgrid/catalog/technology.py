"""The technology catalogue: solar arrays, radiators, batteries, buses, payload mass per GPU,
and published design points (launch prices: catalog/economics.yaml), every figure with its source, date and confidence.

Backs `orbitgrid size` (`physics/sizing.py`). The values live in `catalog/technology.yaml`;
`DATA_SOURCES.md` lists the sources.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orbitgrid.catalog.accelerators import SourcedValue


def _need(*fields: tuple[str, SourcedValue | None]) -> None:
    for name, sv in fields:
        if sv is not None and sv.value is None:
            raise ValueError(f"{name}: a technology figure needs a value")


def _fraction(name: str, sv: SourcedValue, low_open: bool = True) -> None:
    v = sv.value
    if v is None or not ((0.0 < v) if low_open else (0.0 <= v)) or v > 1.0:
        raise ValueError(f"{name} must be in {'(0' if low_open else '[0'}, 1], got {v}")


class _Preset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str

    def sourced(self) -> dict[str, SourcedValue]:
        """Every sourced figure of the preset, by field name."""
        return {k: v for k, v in self if isinstance(v, SourcedValue)}


class ArrayPreset(_Preset):
    """A solar-array technology: cells and the wing that carries them."""

    cell_efficiency: SourcedValue
    specific_power_w_kg: SourcedValue
    packing_factor: SourcedValue
    inherent_degradation: SourcedValue
    degradation_per_year: SourcedValue

    @model_validator(mode="after")
    def _check(self) -> "ArrayPreset":
        _need(*self.sourced().items())
        for name in ("cell_efficiency", "packing_factor", "inherent_degradation"):
            _fraction(name, getattr(self, name))
        _fraction("degradation_per_year", self.degradation_per_year, low_open=False)
        if self.specific_power_w_kg.value <= 0:
            raise ValueError("specific_power_w_kg must be positive")
        return self


class RadiatorPreset(_Preset):
    """A radiator technology: panel mass per m², surface finish, faces that radiate."""

    areal_mass_kg_m2: SourcedValue
    emissivity: SourcedValue
    absorptivity: SourcedValue
    sides: Literal[1, 2]
    unit_mass_kg: SourcedValue | None = None  # a flown unit, where published
    unit_heat_rejection_w: SourcedValue | None = None

    @model_validator(mode="after")
    def _check(self) -> "RadiatorPreset":
        _need(*self.sourced().items())
        _fraction("emissivity", self.emissivity)
        _fraction("absorptivity", self.absorptivity, low_open=False)
        if self.areal_mass_kg_m2.value <= 0:
            raise ValueError("areal_mass_kg_m2 must be positive")
        return self


class BatteryPreset(_Preset):
    """A battery technology. `specific_energy_wh_kg` × `packaging_factor` is the
    battery-level nameplate energy per kg."""

    specific_energy_wh_kg: SourcedValue
    packaging_factor: SourcedValue
    depth_of_discharge: SourcedValue
    charge_efficiency: SourcedValue
    discharge_efficiency: SourcedValue

    @model_validator(mode="after")
    def _check(self) -> "BatteryPreset":
        _need(*self.sourced().items())
        for name in ("packaging_factor", "depth_of_discharge", "charge_efficiency", "discharge_efficiency"):
            _fraction(name, getattr(self, name))
        if self.specific_energy_wh_kg.value <= 0:
            raise ValueError("specific_energy_wh_kg must be positive")
        return self

    @property
    def battery_wh_kg(self) -> float:
        return float(self.specific_energy_wh_kg.value * self.packaging_factor.value)


class BusPreset(_Preset):
    """Everything that is not payload, array, battery or radiator."""

    mass_fraction: SourcedValue
    power_fraction_of_payload: SourcedValue
    power_path_efficiency: SourcedValue

    @model_validator(mode="after")
    def _check(self) -> "BusPreset":
        _need(*self.sourced().items())
        if not 0.0 <= self.mass_fraction.value < 1.0:
            raise ValueError("mass_fraction must be in [0, 1)")
        if self.power_fraction_of_payload.value < 0:
            raise ValueError("power_fraction_of_payload must be ≥ 0")
        _fraction("power_path_efficiency", self.power_path_efficiency)
        return self


class ComputePayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    server_kg_per_gpu: SourcedValue

    @model_validator(mode="after")
    def _check(self) -> "ComputePayload":
        if not self.server_kg_per_gpu.value:
            raise ValueError("server_kg_per_gpu must be positive")
        return self


class ReferenceDesign(_Preset):
    """A published satellite to check the sizing against (figures as reported)."""

    bus_power_w: SourcedValue
    mass_kg: SourcedValue
    array_area_m2: SourcedValue


class TechnologyCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = Field(ge=1)
    arrays: dict[str, ArrayPreset]
    radiators: dict[str, RadiatorPreset]
    batteries: dict[str, BatteryPreset]
    buses: dict[str, BusPreset]
    compute_payloads: dict[str, ComputePayload]
    reference_designs: dict[str, ReferenceDesign]


DEFAULT_ARRAY = "blanket-iii-v"
DEFAULT_RADIATOR = "al-nh3-heat-pipe"
DEFAULT_BATTERY = "saft-li-ion"
DEFAULT_BUS = "generic-leo"


@lru_cache(maxsize=1)
def load_technology() -> TechnologyCatalogue:
    """The packaged catalogue (`catalog/technology.yaml`), parsed once."""
    text = resources.files("orbitgrid.catalog").joinpath("technology.yaml").read_text("utf-8")
    return TechnologyCatalogue.model_validate(yaml.safe_load(text))
