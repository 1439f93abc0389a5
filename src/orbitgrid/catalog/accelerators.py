"""The accelerator catalogue: one entry per chip, every figure with its source and date."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Confidence = Literal["high", "medium", "low"]


class SourcedValue(BaseModel):
    """A number and where it came from. `value` is None where no figure is published."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float | None = Field(default=None, ge=0)
    source: str = "user input"
    date: str | None = None
    confidence: Confidence = "medium"
    note: str | None = None


class SourcedRange(BaseModel):
    """A low..high range (prices, rents) and where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    low: float = Field(ge=0)
    high: float = Field(ge=0)
    source: str = "user input"
    date: str | None = None
    confidence: Confidence = "medium"
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "SourcedRange":
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self


def _sourced(value: object) -> object:
    """Let a user write a bare number where the catalogue writes {value, source, date}."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"value": float(value), "source": "user input"}
    return value


def _ranged(value: object) -> object:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return {"low": value[0], "high": value[1], "source": "user input"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"low": value, "high": value, "source": "user input"}
    return value


_SOURCED_FIELDS = (
    "bf16_tflops",
    "fp8_tflops",
    "memory_gb",
    "memory_bandwidth_tb_s",
    "tdp_w",
    "server_power_per_gpu_w",
    "idle_power_w",
)
_RANGE_FIELDS = ("purchase_price_usd", "rent_usd_per_gpu_hour")


class PowerCapCurve(BaseModel):
    """Measured throughput under a board power cap: (cap as a share of TDP, throughput as a
    share of uncapped), increasing in the cap; linear between points, 1 at and above a cap of
    1. Without one, physics/power_cap.py's model is used."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    points: list[tuple[float, float]] = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> "PowerCapCurve":
        caps = [c for c, _ in self.points]
        if any(not (0.0 < c <= 1.0) for c in caps) or any(b <= a for a, b in zip(caps, caps[1:])):
            raise ValueError("caps must lie in (0, 1] and increase strictly")
        if any(not (0.0 <= s <= 1.0) for _, s in self.points):
            raise ValueError("throughput shares must lie in [0, 1]")
        return self


class Accelerator(BaseModel):
    """One accelerator (per GPU or per chip, never per board or rack).

    `bf16_tflops` (dense) sets a job's relative speed; `server_power_per_gpu_w` is
    the IT power drawn per busy GPU including its share of the host, used for energy
    at the meter; `tdp_w` is the chip alone.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    full_name: str | None = None
    vendor: str | None = None
    release_date: str | None = None
    bf16_tflops: SourcedValue
    fp8_tflops: SourcedValue | None = None
    memory_gb: SourcedValue | None = None
    memory_bandwidth_tb_s: SourcedValue | None = None
    tdp_w: SourcedValue | None = None
    server_power_per_gpu_w: SourcedValue | None = None
    idle_power_w: SourcedValue | None = None
    purchase_price_usd: SourcedRange | None = None
    rent_usd_per_gpu_hour: SourcedRange | None = None
    power_cap_curve: PowerCapCurve | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_numbers(cls, data: object) -> object:
        if isinstance(data, dict):
            data = dict(data)
            for key in _SOURCED_FIELDS:
                if key in data:
                    data[key] = _sourced(data[key])
            for key in _RANGE_FIELDS:
                if key in data:
                    data[key] = _ranged(data[key])
        return data

    @model_validator(mode="after")
    def _needs_speed(self) -> "Accelerator":
        if self.bf16_tflops.value is None or self.bf16_tflops.value <= 0:
            raise ValueError("bf16_tflops must be a positive number: it sets the job speed")
        return self

    @property
    def busy_power_w(self) -> float | None:
        """IT power per busy GPU: the server share where published, else the chip TDP."""
        for field in (self.server_power_per_gpu_w, self.tdp_w):
            if field is not None and field.value is not None:
                return field.value
        return None


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    accelerators: dict[str, Accelerator]


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The packaged catalogue (`catalog/accelerators.yaml`), parsed once."""
    text = resources.files("orbitgrid.catalog").joinpath("accelerators.yaml").read_text("utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))


def load_accelerators() -> dict[str, Accelerator]:
    """Packaged accelerators by short name (`H100`, `GB200`, ...)."""
    return dict(load_catalogue().accelerators)
