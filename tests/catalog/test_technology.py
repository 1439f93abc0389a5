"""The packaged technology catalogue: every figure sourced and dated, assumptions marked,
and the published numbers it was built from."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from orbitgrid.catalog import load_accelerators
from orbitgrid.catalog.accelerators import SourcedValue
from orbitgrid.catalog.technology import (
    DEFAULT_ARRAY, DEFAULT_BATTERY, DEFAULT_BUS, DEFAULT_RADIATOR, ArrayPreset,
    TechnologyCatalogue, load_technology,
)

DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
SECTIONS = ("arrays", "radiators", "batteries", "buses", "compute_payloads", "reference_designs")


def _every_figure(cat: TechnologyCatalogue):
    for section in SECTIONS:
        for name, preset in getattr(cat, section).items():
            for field, value in preset:
                if isinstance(value, SourcedValue):
                    yield f"{section}.{name}.{field}", value


def test_every_figure_has_a_value_source_date_and_confidence():
    figures = list(_every_figure(load_technology()))
    assert len(figures) > 40
    for where, sv in figures:
        assert sv.value is not None, where
        assert sv.source and sv.source != "user input", where
        assert sv.date and DATE.match(sv.date), where
        assert sv.confidence in ("high", "medium", "low"), where


def test_assumptions_are_marked_and_low_confidence():
    assumed = [(w, sv) for w, sv in _every_figure(load_technology()) if sv.source.startswith("assumed")]
    assert assumed, "the catalogue has assumptions; they must say so"
    for where, sv in assumed:
        assert sv.confidence == "low", where
    # the figures recalled from SMAD (not re-checked) are low confidence too
    for where, sv in _every_figure(load_technology()):
        if "Space Mission Analysis and Design" in sv.source:
            assert sv.confidence == "low", where


def test_every_preset_has_a_description_and_the_defaults_exist():
    cat = load_technology()
    for section in ("arrays", "radiators", "batteries", "buses", "reference_designs"):
        for name, preset in getattr(cat, section).items():
            assert preset.description, f"{section}.{name}"
    assert DEFAULT_ARRAY in cat.arrays and DEFAULT_RADIATOR in cat.radiators
    assert DEFAULT_BATTERY in cat.batteries and DEFAULT_BUS in cat.buses


def test_compute_payloads_name_catalogued_accelerators():
    assert set(load_technology().compute_payloads) <= set(load_accelerators())


def test_published_values():
    cat = load_technology()
    # NVIDIA DGX H100/H200 User Guide: 287.6 lbs (130.45 kg) for 8 GPUs
    assert cat.compute_payloads["H100"].server_kg_per_gpu.value == pytest.approx(130.45 / 8, abs=1e-3)
    # NVIDIA DGX A100 datasheet: 271.5 lbs (123.16 kg) for 8 GPUs
    assert cat.compute_payloads["A100"].server_kg_per_gpu.value == pytest.approx(123.16 / 8, abs=1e-3)
    # DGX GB200 NVL72: 1.36 t for 72 GPUs (Tom's Hardware after ServeTheHome, GTC 2024)
    assert cat.compute_payloads["GB200"].server_kg_per_gpu.value == pytest.approx(1360 / 72, abs=1e-3)
    # iROSA: about 30% cells, 20 kW and 340 kg a wing; ISS original arrays 14%
    assert cat.arrays["irosa"].cell_efficiency.value == 0.30
    assert cat.arrays["irosa"].specific_power_w_kg.value == pytest.approx(20_000 / 340, abs=0.05)
    assert cat.arrays["silicon-rigid"].cell_efficiency.value == 0.14
    # NASA NTRS 20150006022: state-of-the-art flexible blankets about 150 W/kg
    assert cat.arrays["blanket-iii-v"].specific_power_w_kg.value == 150
    # ISS HRS: 2,475 lb per radiator ORU; six of them reject 70 kW (SAE 951651)
    hrs = cat.radiators["iss-hrs"]
    assert hrs.unit_mass_kg.value == pytest.approx(2475 * 0.45359237, abs=0.5)
    assert hrs.unit_heat_rejection_w.value == pytest.approx(70_000 / 6, abs=1)
    # Saft: 120 Wh/kg battery level (2006); VES180 160 Wh/kg cell level, LEO at 30% DoD
    assert cat.batteries["saft-li-ion"].battery_wh_kg == 120
    assert cat.batteries["saft-ves180"].specific_energy_wh_kg.value == 160
    assert cat.batteries["saft-ves180"].depth_of_discharge.value == 0.30
    # Starlink V2 Mini as reported (REFERENCE.md)
    v2 = cat.reference_designs["starlink-v2-mini"]
    assert (v2.bus_power_w.value, v2.mass_kg.value, v2.array_area_m2.value) == (27_000, 740, 116)


def test_bad_presets_are_refused():
    good = load_technology().arrays[DEFAULT_ARRAY].model_dump()
    bad = dict(good, cell_efficiency=dict(good["cell_efficiency"], value=1.3))
    with pytest.raises(ValidationError):
        ArrayPreset.model_validate(bad)
    missing = dict(good, packing_factor=dict(good["packing_factor"], value=None))
    with pytest.raises(ValidationError):
        ArrayPreset.model_validate(missing)
