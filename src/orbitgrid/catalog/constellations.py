"""Named constellation presets: the Walker shells of public filings (`starlink-gen1`, `kuiper`, ...)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field


class ShellSpec(BaseModel):
    """A Walker-delta shell i:T/P/F: `planes` planes of `sats_per_plane`, phasing F."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    altitude_km: float = Field(gt=100)
    inclination_deg: float = Field(ge=0, le=180)
    planes: int = Field(gt=0)
    sats_per_plane: int = Field(gt=0)
    phasing: int = Field(ge=0)

    @property
    def n_sat(self) -> int:
        return self.planes * self.sats_per_plane


class ConstellationPreset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    source: str
    shells: list[ShellSpec]

    @property
    def n_sat(self) -> int:
        return sum(s.n_sat for s in self.shells)


@lru_cache(maxsize=1)
def load_constellation_presets() -> dict[str, ConstellationPreset]:
    text = resources.files("orbitgrid.catalog").joinpath("constellations.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {name: ConstellationPreset.model_validate(p) for name, p in data["presets"].items()}
