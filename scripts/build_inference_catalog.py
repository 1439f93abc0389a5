"""Build the small packaged inference data in src/orbitgrid/catalog/inference/ from the
shared data folder (run once; the package never reads the shared folder).

    python scripts/build_inference_catalog.py ../shared/data

* mlenergy_chat_runs.csv: the ML.ENERGY v3 runs of the `lm-arena-chat` task (chat
  serving, 328 runs, H100 and B200), a subset of columns, values unchanged (Apache-2.0).
* azure_conv.csv.gz / azure_code.csv.gz: Azure LLM inference trace 2023 (CC-BY 4.0):
  arrival offset from the first request (s, 3 decimals), context tokens, generated tokens.
* mooncake_conv.csv.gz: Mooncake FAST'25 conversation trace (Apache-2.0): timestamp (ms
  in the trace, written as s), input length, output length; hash ids dropped.
* vidur_arxiv.csv.gz: the first 10,000 rows of Vidur's arXiv summarisation lengths (MIT):
  prefill and decode tokens (no arrival times).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from datetime import datetime
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "orbitgrid" / "catalog" / "inference"
COLS = ["nickname", "model_id", "gpu_model", "num_gpus", "max_num_seqs", "weight_precision", "total_params_billions",
        "activated_params_billions", "avg_batch_size", "avg_output_len", "avg_power_watts", "energy_per_token_joules",
        "energy_per_request_joules", "output_throughput_tokens_per_sec", "median_itl_ms", "p99_itl_ms"]


def _write_gz(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: byte-identical rebuilds
        f.write(buf.getvalue().encode())


def main(data: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [r for r in csv.DictReader(open(data / "energy" / "mlenergy_v3_llm_runs.csv")) if r["task"] == "lm-arena-chat"]
    with open(OUT / "mlenergy_chat_runs.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLS)
        for r in rows:
            w.writerow([r[c] for c in COLS])
    for kind in ("conv", "code"):
        src = list(csv.DictReader(open(data / "traces" / "azure_llm_2023" / f"AzureLLMInferenceTrace_{kind}.csv")))
        t = [datetime.fromisoformat(r["TIMESTAMP"][:26]) for r in src]
        t0 = t[0]
        _write_gz(OUT / f"azure_{kind}.csv.gz", ["arrival_s", "input_tokens", "output_tokens"],
                  [[f"{(ti - t0).total_seconds():.3f}", r["ContextTokens"], r["GeneratedTokens"]] for ti, r in zip(t, src)])
    out = []
    for line in open(data / "traces" / "mooncake" / "conversation_trace.jsonl"):
        j = json.loads(line)
        out.append([f"{j['timestamp'] / 1000.0:.3f}", j["input_length"], j["output_length"]])
    _write_gz(OUT / "mooncake_conv.csv.gz", ["arrival_s", "input_tokens", "output_tokens"], out)
    src = csv.DictReader(open(data / "traces" / "vidur_processed_traces" / "arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv"))
    rows = [[r["num_prefill_tokens"], r["num_decode_tokens"]] for _, r in zip(range(10_000), src)]
    _write_gz(OUT / "vidur_arxiv.csv.gz", ["input_tokens", "output_tokens"], rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"))
