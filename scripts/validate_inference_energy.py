"""Validation: ML.ENERGY v3's measured J/token and throughput reproduced by orbitgrid's
replica model, for every chat run we model (docs/validation.md, "Inference energy").

    .venv/bin/python scripts/validate_inference_energy.py ../shared/data/energy/mlenergy_v3_llm_runs.csv

For each lm-arena-chat run of the leaderboard's CSV (read here, from the path given; the
package reads only its own copy), the replica model at that model, GPU, GPU count and batch
size gives J/token and tokens/s; then one replica is driven at saturation through
``serve`` (requests of the run's mean output length, arriving faster than it can serve) and
the served J/token and throughput are compared with the measurement.
"""

from __future__ import annotations

import csv
import sys

import numpy as np

from orbitgrid.catalog.accelerators import load_accelerators
from orbitgrid.inference import models, requests as rq, serve as S


def main(path: str) -> None:
    acc = load_accelerators()
    rows = [r for r in csv.DictReader(open(path)) if r["task"] == "lm-arena-chat"]
    worst_j = worst_x = 0.0
    seen: dict[tuple, int] = {}
    for r in rows:
        key = (r["nickname"], r["gpu_model"], r["num_gpus"], r["max_num_seqs"])
        seen[key] = seen.get(key, 0) + 1
    repeated = {k for k, v in seen.items() if v > 1}
    for key in sorted(repeated):
        vals = [float(r["energy_per_token_joules"]) for r in rows
                if (r["nickname"], r["gpu_model"], r["num_gpus"], r["max_num_seqs"]) == key]
        print(f"measured twice: {key}: J/token {', '.join(f'{v:.4f}' for v in vals)} (the model takes the mean)")
    for r in rows:
        if (r["nickname"], r["gpu_model"], r["num_gpus"], r["max_num_seqs"]) in repeated:
            continue
        peak = float(acc[r["gpu_model"]].bf16_tflops.value)
        p = models.replica_perf(r["nickname"], r["gpu_model"], int(r["num_gpus"]), int(r["max_num_seqs"]), peak)
        worst_j = max(worst_j, abs(p.j_per_token / float(r["energy_per_token_joules"]) - 1))
        worst_x = max(worst_x, abs(p.throughput_tok_s / float(r["output_throughput_tokens_per_sec"]) - 1))
    print(f"{len(rows) - sum(seen[k] for k in repeated)} chat runs measured once: largest relative difference, J/token {worst_j:.2e}, tokens/s {worst_x:.2e}")
    print(f"{'run':<48}{'measured J/tok':>15}{'served J/tok':>13}{'measured tok/s':>15}{'served tok/s':>13}")
    picks = [("Llama 3.1 8B Instruct", "H100", 1, 256), ("Llama 3.1 70B Instruct", "H100", 4, 256),
             ("Llama 3.1 405B Instruct FP8", "H100", 8, 256), ("Llama 3.1 8B Instruct", "B200", 1, 256),
             ("Qwen 3 32B", "H100", 2, 128)]
    for model, gpu, n, b in picks:
        r = next(x for x in rows if (x["nickname"], x["gpu_model"], int(x["num_gpus"]), int(x["max_num_seqs"])) == (model, gpu, n, b))
        fp8 = r["weight_precision"].startswith("fp8")
        peak = float((acc[gpu].fp8_tflops if fp8 else acc[gpu].bf16_tflops).value)
        perf = models.replica_perf(model, gpu, n, b, peak)
        out_len = int(round(float(r["avg_output_len"])))
        k = 2000
        service = float(perf.service_s(1, out_len))
        arr = np.arange(k) * service * 0.5  # twice as fast as it serves: saturated
        reqs = rq.Requests(arr, np.zeros(k, int), np.ones(k, int), np.full(k, out_len))
        setup = S.ServiceSetup("v", perf, [S.Placement("here", "site", 1, 0.0, 35.6895, 139.69171)],
                               S.RequestSetup(tokens="fixed", cities=1))
        res = S.serve(setup, float(arr[-1] + 1), np.datetime64("2026-01-01"), 3600.0, 1.0, np.random.default_rng(0), reqs)
        a = res.arrays
        span = (a["arrival_s"] + (a["wait_ms"] / 1000.0)).max() + service - a["arrival_s"].min()
        served_x = a["output_tokens"].sum() / span
        served_j = a["energy_j"].sum() / a["output_tokens"].sum()
        label = f"{model}, {n} x {gpu}, batch {b}"
        print(f"{label:<48}{float(r['energy_per_token_joules']):>15.4f}{served_j:>13.4f}"
              f"{float(r['output_throughput_tokens_per_sec']):>15.0f}{served_x:>13.0f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/energy/mlenergy_v3_llm_runs.csv")
