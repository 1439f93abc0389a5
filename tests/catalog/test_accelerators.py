"""The packaged accelerator catalogue: presence, reference values, provenance.

The expected values below are the figures of the project's reference table
(dense, no sparsity), each traced to its original source in a comment. The tests
read only the installed package, never the reference material.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest
from pydantic import ValidationError

from orbitgrid.catalog import SourcedRange, SourcedValue, load_accelerators
from orbitgrid.catalog.accelerators import Accelerator, load_catalogue

REQUIRED = ("A100", "H100", "H200", "B200", "GB200", "GB300", "MI300X", "TPU-v6e", "TPU7x")
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
SOURCED_FIELDS = (
    "bf16_tflops",
    "fp8_tflops",
    "memory_gb",
    "memory_bandwidth_tb_s",
    "tdp_w",
    "server_power_per_gpu_w",
    "idle_power_w",
)
RANGE_FIELDS = ("purchase_price_usd", "rent_usd_per_gpu_hour")


@pytest.fixture(scope="module")
def cat() -> dict[str, Accelerator]:
    return load_accelerators()


def _value(cat, chip: str, field: str) -> float | None:
    sourced = getattr(cat[chip], field)
    return None if sourced is None else sourced.value


def test_catalogue_version_is_one():
    assert load_catalogue().version == 1


@pytest.mark.parametrize("chip", REQUIRED)
def test_required_chip_present_with_speed(cat, chip):
    assert chip in cat
    assert cat[chip].bf16_tflops.value > 0
    assert cat[chip].full_name and cat[chip].vendor


def test_v100_present_for_philly_and_gavel_traces(cat):
    # NVIDIA Tesla V100 datasheet via Epoch AI ML Hardware: 125 TFLOPS FP16 tensor (no BF16 on Volta).
    assert cat["V100"].bf16_tflops.value == pytest.approx(125)
    assert cat["V100"].fp8_tflops.value is None


# (chip, field, expected, tolerance): the reference table, each row's original source in the comment.
REFERENCE_VALUES = [
    # NVIDIA A100 datasheet via Epoch AI ML Hardware (2025-11): 312 TFLOPS BF16, 80 GB, 2.04 TB/s, 400 W.
    ("A100", "bf16_tflops", 312, 0.5),
    ("A100", "memory_gb", 80, 0),
    ("A100", "memory_bandwidth_tb_s", 2.04, 0.01),
    ("A100", "tdp_w", 400, 0),
    # NVIDIA H100 Tensor Core GPU datasheet via Epoch: 989 TFLOPS BF16, 1,979 FP8, 80 GB, 3.35 TB/s, 700 W.
    ("H100", "bf16_tflops", 989, 1),
    ("H100", "fp8_tflops", 1979, 1),
    ("H100", "memory_gb", 80, 0),
    ("H100", "memory_bandwidth_tb_s", 3.35, 0.001),
    ("H100", "tdp_w", 700, 0),
    # NVIDIA H200 datasheet (SC23): 989 TFLOPS BF16, 1,979 FP8, 141 GB HBM3e, 4.8 TB/s, 700 W.
    ("H200", "bf16_tflops", 989, 1),
    ("H200", "fp8_tflops", 1979, 1),
    ("H200", "memory_gb", 141, 0),
    ("H200", "memory_bandwidth_tb_s", 4.8, 0.001),
    ("H200", "tdp_w", 700, 0),
    # NVIDIA Blackwell B200 datasheet via Epoch: 2,250 BF16, 4,500 FP8, 1,000 W.
    ("B200", "bf16_tflops", 2250, 1),
    ("B200", "fp8_tflops", 4500, 1),
    ("B200", "tdp_w", 1000, 0),
    # NVIDIA GB200 NVL2 specifications via Epoch (per GPU): 2,500 BF16, 5,000 FP8, 186 GB, 8 TB/s, 1,200 W.
    ("GB200", "bf16_tflops", 2500, 1),
    ("GB200", "fp8_tflops", 5000, 1),
    ("GB200", "memory_gb", 186, 0),
    ("GB200", "memory_bandwidth_tb_s", 8, 0.001),
    ("GB200", "tdp_w", 1200, 0),
    # NVIDIA Blackwell Ultra datasheet via Epoch (per GPU): 2,500 BF16, 5,000 FP8, 8 TB/s, 1,400 W.
    ("GB300", "bf16_tflops", 2500, 1),
    ("GB300", "fp8_tflops", 5000, 1),
    ("GB300", "memory_bandwidth_tb_s", 8, 0.001),
    ("GB300", "tdp_w", 1400, 0),
    # AMD Instinct MI300X data sheet via Epoch: 1,307 BF16, 2,615 FP8, 192 GB, 5.3 TB/s, 750 W.
    ("MI300X", "bf16_tflops", 1307, 1),
    ("MI300X", "fp8_tflops", 2615, 1),
    ("MI300X", "memory_gb", 192, 0),
    ("MI300X", "memory_bandwidth_tb_s", 5.3, 0.001),
    ("MI300X", "tdp_w", 750, 0),
    # Google Cloud TPU v6e documentation via Epoch: 918 BF16, 32 GB, 1.6 TB/s (1,638 GBps).
    ("TPU-v6e", "bf16_tflops", 918, 0.5),
    ("TPU-v6e", "memory_gb", 32, 0),
    ("TPU-v6e", "memory_bandwidth_tb_s", 1.6, 0.05),
    # Google Cloud TPU7x documentation / Ironwood announcement via Epoch: 2,307 BF16, 4,614 FP8, 192, 7.37 TB/s.
    ("TPU7x", "bf16_tflops", 2307, 0.5),
    ("TPU7x", "fp8_tflops", 4614, 0.5),
    ("TPU7x", "memory_gb", 192, 0),
    ("TPU7x", "memory_bandwidth_tb_s", 7.37, 0.001),
]


@pytest.mark.parametrize(("chip", "field", "expected", "tol"), REFERENCE_VALUES)
def test_reference_value(cat, chip, field, expected, tol):
    got = _value(cat, chip, field)
    assert got is not None, f"{chip}.{field} is empty"
    assert got == pytest.approx(expected, abs=tol), f"{chip}.{field}: {got} != {expected}"


def test_b200_memory_and_bandwidth_within_reference_ranges(cat):
    # Reference table: B200 180-192 GB and 7.7-8 TB/s (datasheet 180 GB / 7.7 TB/s; GTC 2024 192 GB / 8 TB/s).
    assert 180 <= cat["B200"].memory_gb.value <= 192
    assert 7.7 <= cat["B200"].memory_bandwidth_tb_s.value <= 8.0


def test_gb300_memory_within_reference_range(cat):
    # Reference table: GB300 279-288 GB per GPU (NVIDIA Blackwell Ultra: 288 GB HBM3e; Epoch 287.5e9 B).
    assert 279 <= cat["GB300"].memory_gb.value <= 288


def test_chips_without_fp8_are_null_with_a_note(cat):
    # Ampere and Volta have no FP8 tensor cores (NVIDIA A100 and V100 datasheets).
    for chip in ("A100", "V100"):
        fp8 = cat[chip].fp8_tflops
        assert fp8 is not None and fp8.value is None
        assert fp8.note


def test_fp8_never_slower_than_bf16(cat):
    for name, acc in cat.items():
        if acc.fp8_tflops is not None and acc.fp8_tflops.value is not None:
            assert acc.fp8_tflops.value >= acc.bf16_tflops.value, name


def test_dense_not_sparse(cat):
    # Dense FP8 is twice dense BF16 on Hopper and Blackwell; a sparse figure would be four times.
    for chip in ("H100", "H200", "B200", "GB200", "GB300", "MI300X"):
        ratio = cat[chip].fp8_tflops.value / cat[chip].bf16_tflops.value
        assert ratio == pytest.approx(2.0, rel=0.01), chip


def test_server_power_is_system_maximum_over_gpus(cat):
    # NVIDIA DGX H100/H200 User Guide: 10.2 kW max for 8 GPUs.
    assert cat["H100"].server_power_per_gpu_w.value == pytest.approx(10_200 / 8)
    assert cat["H200"].server_power_per_gpu_w.value == pytest.approx(10_200 / 8)
    # NVIDIA DGX A100 User Guide: 6.5 kW max for 8 GPUs.
    assert cat["A100"].server_power_per_gpu_w.value == pytest.approx(6_500 / 8)
    # NVIDIA DGX B200 User Guide: 14.3 kW max for 8 GPUs.
    assert cat["B200"].server_power_per_gpu_w.value == pytest.approx(14_300 / 8)
    # GB200 NVL72: about 120-132 kW per 72-GPU rack.
    assert 120_000 / 72 - 1 <= cat["GB200"].server_power_per_gpu_w.value <= 132_000 / 72 + 1


def test_busy_power_uses_server_share(cat):
    # busy_power_w prefers the server share: H100 = 10.2 kW / 8 = 1275 W, not the 700 W TDP.
    assert cat["H100"].busy_power_w == pytest.approx(1275)
    assert cat["B200"].busy_power_w == pytest.approx(1787.5)


def test_server_share_exceeds_chip_tdp(cat):
    for name, acc in cat.items():
        srv, tdp = acc.server_power_per_gpu_w, acc.tdp_w
        if srv is not None and srv.value is not None and tdp is not None and tdp.value is not None:
            assert srv.value > tdp.value, name


def test_unpublished_power_left_empty_with_note(cat):
    # No vendor system maximum for GB300 NVL72, the MI300X platform or TPU hosts; no TPU v6e chip power.
    for chip in ("GB300", "MI300X", "TPU-v6e", "TPU7x"):
        srv = cat[chip].server_power_per_gpu_w
        assert srv is not None and srv.value is None and srv.note, chip
    assert cat["TPU-v6e"].tdp_w.value is None
    assert cat["TPU-v6e"].busy_power_w is None


def test_tpu7x_tdp_is_epoch_value_with_low_confidence(cat):
    # Epoch AI lists 980 W; Google has not published it, so it is kept with low confidence and a note.
    tdp = cat["TPU7x"].tdp_w
    assert tdp.value == pytest.approx(980)
    assert tdp.confidence == "low"
    assert tdp.note


def _sourced_items(cat):
    for name, acc in cat.items():
        for field in SOURCED_FIELDS:
            sourced = getattr(acc, field)
            if sourced is not None:
                yield name, field, sourced


def test_every_value_is_sourced_and_dated(cat):
    checked = 0
    for name, field, sourced in _sourced_items(cat):
        assert isinstance(sourced, SourcedValue)
        if sourced.value is None:
            assert sourced.note, f"{name}.{field}: empty value needs a note"
            continue
        checked += 1
        assert sourced.source and sourced.source.strip(), f"{name}.{field}: no source"
        assert sourced.source != "user input", f"{name}.{field}: packaged value marked as user input"
        assert sourced.date and DATE.match(sourced.date), f"{name}.{field}: bad date {sourced.date!r}"
        assert sourced.confidence in ("high", "medium", "low")
    assert checked >= 50


def test_ranges_are_ordered_sourced_and_dated(cat):
    rents = 0
    for name, acc in cat.items():
        for field in RANGE_FIELDS:
            rng = getattr(acc, field)
            if rng is None:
                continue
            assert isinstance(rng, SourcedRange)
            assert 0 < rng.low <= rng.high, f"{name}.{field}"
            assert rng.source and rng.source != "user input", f"{name}.{field}"
            assert rng.date and DATE.match(rng.date), f"{name}.{field}: bad date {rng.date!r}"
            rents += field == "rent_usd_per_gpu_hour"
    assert rents >= 7


def test_rent_bands_match_reference(cat):
    # 2025-26 on-demand market bands, $/GPU-hour (sources named in each entry).
    assert (cat["A100"].rent_usd_per_gpu_hour.low, cat["A100"].rent_usd_per_gpu_hour.high) == (0.8, 1.5)
    assert (cat["H100"].rent_usd_per_gpu_hour.low, cat["H100"].rent_usd_per_gpu_hour.high) == (1.5, 3.0)
    assert (cat["H200"].rent_usd_per_gpu_hour.low, cat["H200"].rent_usd_per_gpu_hour.high) == (2.5, 4.5)
    assert (cat["B200"].rent_usd_per_gpu_hour.low, cat["B200"].rent_usd_per_gpu_hour.high) == (4.5, 6.0)
    assert cat["GB200"].rent_usd_per_gpu_hour.low == pytest.approx(4.5, abs=0.1)
    # Newer chips rent for more per GPU-hour than older ones.
    mid = {c: (cat[c].rent_usd_per_gpu_hour.low + cat[c].rent_usd_per_gpu_hour.high) / 2 for c in ("A100", "H100", "H200", "B200")}
    assert mid["A100"] < mid["H100"] < mid["H200"] < mid["B200"]


def test_units_are_per_chip_not_per_board_or_rack(cat):
    for name, acc in cat.items():
        assert acc.bf16_tflops.value < 5_000, name  # TFLOP/s per chip, not PFLOP/s per rack
        assert acc.memory_gb.value < 1_000, name  # GB per chip
        assert acc.memory_bandwidth_tb_s.value < 20, name  # TB/s per chip
        if acc.server_power_per_gpu_w is not None and acc.server_power_per_gpu_w.value is not None:
            assert acc.server_power_per_gpu_w.value < 5_000, name  # W per GPU, not per system


def test_catalogue_entry_rejects_bad_range():
    entry = load_catalogue().accelerators["H100"].model_dump()
    entry["rent_usd_per_gpu_hour"] = {"low": 3.0, "high": 1.5, "source": "x", "date": "2026-01"}
    with pytest.raises(ValidationError):
        Accelerator.model_validate(entry)


def test_data_sources_attribution_is_packaged():
    text = resources.files("orbitgrid").joinpath("DATA_SOURCES.md").read_text("utf-8")
    assert "https://epoch.ai/data/machine-learning-hardware" in text
    assert "CC BY 4.0" in text or "Creative Commons Attribution 4.0" in text
