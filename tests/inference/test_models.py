"""Replica performance from ML.ENERGY v3: the measured values come back where measured."""

from __future__ import annotations

import pytest

from orbitgrid.inference import models


def test_llama8b_h100_reproduces_the_published_j_per_token() -> None:
    """REFERENCE.md (ML.ENERGY v3, H100, GPU energy only): Llama 8B about 0.077 J/token at
    9.0k tokens/s. That is the batch-256 run of Llama 3.1 8B Instruct on 1 x H100 in the
    leaderboard's lm-arena-chat data (0.0766 J/token, 9,010 tokens/s, median ITL 26.1 ms)."""
    p = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 256, 989.4)
    assert p.j_per_token == pytest.approx(0.077, abs=0.001)
    assert p.throughput_tok_s == pytest.approx(9000, rel=0.01)
    assert p.itl_s == pytest.approx(0.0261, abs=0.0002)


def test_llama70b_h100_4gpu() -> None:
    """REFERENCE.md: 70B on 4 H100 about 0.48 J/token: the batch-256 run (0.479 J/token)."""
    p = models.replica_perf("Llama 3.1 70B Instruct", "H100", 4, 256, 989.4)
    assert p.j_per_token == pytest.approx(0.48, abs=0.005)


def test_interpolation_is_in_log_batch() -> None:
    """Between the batch-128 (7,037 tok/s) and batch-192 (8,223 tok/s) runs of Llama 3.1 8B
    on H100, batch sqrt(128 x 192) = 156.8 sits halfway in log2: about 7,630 tok/s (a linear
    interpolation in batch would give 7,581 at the same point, which fails)."""
    lo = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 128, 989.4).throughput_tok_s
    hi = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 192, 989.4).throughput_tok_s
    mid = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, (128 * 192) ** 0.5, 989.4).throughput_tok_s
    assert mid == pytest.approx((lo + hi) / 2, rel=1e-12)
    assert 7600 < mid < 7660


def test_prefill_rate_and_service_time() -> None:
    """Prefill at 0.5 x 989.4 TFLOP/s over 2 x 8e9 FLOPs a token = 30,919 tokens/s; a request
    of 1,000 in / 100 out at batch 256 holds the replica 1000/30918.75 + 100/9009.6 s."""
    p = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 256, 989.4)
    assert p.prefill_tok_s == pytest.approx(30918.75)
    assert float(p.service_s(1000, 100)) == pytest.approx(1000 / 30918.75 + 100 / p.throughput_tok_s)


def test_unknown_configuration_raises() -> None:
    with pytest.raises(KeyError):
        models.replica_perf("Llama 3.1 8B Instruct", "H100", 3, 64, 989.4)
