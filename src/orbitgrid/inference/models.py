"""Replica performance from the ML.ENERGY v3 leaderboard's chat runs (packaged subset:
``catalog/inference/mlenergy_chat_runs.csv``, Apache-2.0; see DATA_SOURCES.md).

One ML.ENERGY run is one model served by vLLM on ``num_gpus`` GPUs of one type with at most
``max_num_seqs`` sequences in a batch, on the LM Arena chat prompts; it reports the output
token throughput of the whole replica, the median inter-token latency (ITL) and the GPU
energy per output token (GPU energy only; prefill energy is inside it, since the energy of
the whole run is divided by the tokens generated).

A replica run at batch size b (a measured ``max_num_seqs``, or between two: linear
interpolation in log2 b of throughput, ITL and J/token) is modelled as:

* decode: each request's tokens come at the measured median ITL; the replica as a whole
  emits the measured output throughput X(b) tokens/s;
* prefill: 2 x active parameters x input tokens FLOPs at ``PREFILL_MFU`` of the GPUs' peak
  dense BF16 (FP8 for FP8 weights) FLOP/s: ML.ENERGY v3 publishes no time to first token, so
  this is an assumption (compute-bound prefill, Kaplan et al. 2020's 2N FLOPs per token);
* energy: output tokens x measured J/token at b.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

# Share of peak FLOP/s that prefill reaches: an assumption (prefill of long prompts is
# compute-bound; 0.5 is a typical measured MFU for large-batch prefill in vLLM/Sarathi-Serve
# reports). Not from ML.ENERGY.
PREFILL_MFU = 0.5


@dataclass(frozen=True)
class Run:
    model: str
    gpu: str
    num_gpus: int
    batch: int
    precision: str
    total_params_b: float
    active_params_b: float
    throughput_tok_s: float
    j_per_token: float
    median_itl_ms: float
    avg_power_w: float


@lru_cache(maxsize=1)
def load_runs() -> tuple[Run, ...]:
    """The packaged ML.ENERGY v3 chat runs."""
    text = resources.files("orbitgrid.catalog").joinpath("inference", "mlenergy_chat_runs.csv").read_text("utf-8")
    out = []
    for r in csv.DictReader(io.StringIO(text)):
        out.append(Run(r["nickname"], r["gpu_model"], int(r["num_gpus"]), int(r["max_num_seqs"]), r["weight_precision"],
                       float(r["total_params_billions"]), float(r["activated_params_billions"]),
                       float(r["output_throughput_tokens_per_sec"]), float(r["energy_per_token_joules"]),
                       float(r["median_itl_ms"]), float(r["avg_power_watts"])))
    return tuple(out)


def model_names() -> list[str]:
    return sorted({r.model for r in load_runs()})


def configs(model: str) -> list[tuple[str, int]]:
    """(gpu, gpus per replica) measured for a model."""
    return sorted({(r.gpu, r.num_gpus) for r in load_runs() if r.model == model})


def batch_sizes(model: str, gpu: str, num_gpus: int) -> list[int]:
    return sorted({r.batch for r in load_runs() if (r.model, r.gpu, r.num_gpus) == (model, gpu, num_gpus)})


@dataclass(frozen=True)
class ReplicaPerf:
    """What one replica does at one batch size."""

    model: str
    gpu: str
    num_gpus: int
    batch: float
    throughput_tok_s: float  # all sequences together
    itl_s: float  # per sequence
    j_per_token: float
    prefill_tok_s: float  # input tokens per second of prefill
    active_params_b: float

    def prefill_s(self, input_tokens):
        return np.asarray(input_tokens, dtype=np.float64) / self.prefill_tok_s

    def service_s(self, input_tokens, output_tokens):
        """Time the request holds the replica's capacity: prefill, then its tokens at the
        replica's whole throughput (the replica as a single fluid server of rate X(b))."""
        return self.prefill_s(input_tokens) + np.asarray(output_tokens, dtype=np.float64) / self.throughput_tok_s


def replica_perf(model: str, gpu: str, num_gpus: int, batch: float, peak_tflops: float) -> ReplicaPerf:
    """Performance at ``batch`` (interpolated in log2 batch between measured runs; clamped to
    the measured range). ``peak_tflops``: one GPU's dense peak at the weights' precision."""
    runs = sorted((r for r in load_runs() if (r.model, r.gpu, r.num_gpus) == (model, gpu, num_gpus)), key=lambda r: r.batch)
    if not runs:
        raise KeyError(f"no ML.ENERGY run of {model!r} on {num_gpus} x {gpu}")
    # a configuration measured more than once (two in the chat data: Qwen 3 30B A3B on 2 x
    # H100 at batch 256 and 512) counts as the mean of its runs
    sizes = sorted({r.batch for r in runs})
    mean = lambda attr: [float(np.mean([getattr(r, attr) for r in runs if r.batch == bs])) for bs in sizes]  # noqa: E731
    b = np.log2(sizes)
    x = float(np.log2(batch))
    interp = lambda vals: float(np.interp(x, b, vals))  # noqa: E731
    active = runs[0].active_params_b
    prefill = PREFILL_MFU * peak_tflops * 1e12 * num_gpus / (2.0 * active * 1e9)
    return ReplicaPerf(model, gpu, num_gpus, float(batch), interp(mean("throughput_tok_s")),
                       interp(mean("median_itl_ms")) / 1000.0, interp(mean("j_per_token")), prefill, active)
