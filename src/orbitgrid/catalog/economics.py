"""The economics catalogue: launchers, satellite buses, terrestrial capex buckets, fuel,
grid energy, operations shares and financing, every figure with its source, date and
confidence (`catalog/economics.yaml`; `DATA_SOURCES.md` lists the sources).

Backs `orbitgrid plan` (`economics/plan.py`). GPU prices come from the accelerator
catalogue (`purchase_price_usd`).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orbitgrid.catalog.accelerators import SourcedValue


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = ""

    def sourced(self) -> dict[str, SourcedValue]:
        return {k: v for k, v in self if isinstance(v, SourcedValue)}

    @model_validator(mode="after")
    def _values(self) -> "_Entry":
        for name, sv in self.sourced().items():
            if sv.value is None:
                raise ValueError(f"{name}: an economics figure needs a value")
        return self


class Launcher(_Entry):
    usd_per_kg: SourcedValue
    payload_t: SourcedValue


class Bus(_Entry):
    usd_per_w: SourcedValue
    specific_power_w_kg: SourcedValue
    power_kw: SourcedValue


class TerrestrialCapex(_Entry):
    power_plant_usd_per_kw: SourcedValue
    electrical_usd_per_w: SourcedValue
    mechanical_usd_per_w: SourcedValue
    civil_usd_per_w: SourcedValue
    network_usd_per_w: SourcedValue


class Fuel(_Entry):
    usd_per_mmbtu: SourcedValue
    heat_rate_btu_per_kwh: SourcedValue
    om_usd_per_mwh: SourcedValue


class GridEnergy(_Entry):
    usd_per_mwh: SourcedValue


class EconomicsCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = Field(ge=1)
    launchers: dict[str, Launcher]
    buses: dict[str, Bus]
    terrestrial: dict[str, TerrestrialCapex]
    fuel: dict[str, Fuel]
    grid: dict[str, GridEnergy]
    operations: dict[str, SourcedValue]
    financing: dict[str, SourcedValue]

    def every_figure(self):
        """(where, SourcedValue) for every figure, for provenance checks."""
        for group in ("launchers", "buses", "terrestrial", "fuel", "grid"):
            for name, entry in getattr(self, group).items():
                for field, sv in entry.sourced().items():
                    yield f"{group}.{name}.{field}", sv
        for group in ("operations", "financing"):
            for name, sv in getattr(self, group).items():
                yield f"{group}.{name}", sv

    def value(self, group: str, name: str) -> float:
        """A plain figure of `operations` or `financing`."""
        return float(getattr(self, group)[name].value)


DEFAULT_LAUNCHER = "starship-target"
SIZE_LAUNCHER = "falcon-9"  # `orbitgrid size`: what a launch costs today
DEFAULT_BUS = "starlink-v2-mini"
DEFAULT_TERRESTRIAL = "mccalip-2025"
DEFAULT_FUEL = "henry-hub-2025"
DEFAULT_GRID = "flat-price"


@lru_cache(maxsize=1)
def load_economics() -> EconomicsCatalogue:
    """The packaged catalogue (`catalog/economics.yaml`), parsed once."""
    text = resources.files("orbitgrid.catalog").joinpath("economics.yaml").read_text("utf-8")
    return EconomicsCatalogue.model_validate(yaml.safe_load(text))
