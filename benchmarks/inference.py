"""Inference benchmark: one million requests routed and served (target: under 60 s).

A day of requests from the 1,000 most populous cities (rates by population and an evening
peak in local time, the Azure LLM 2023 conversation trace's token counts), Llama 3.1 8B
Instruct on 1 x H100 at batch 128 (ML.ENERGY v3), replicas at two terrestrial sites and on
a 72 x 22 shell at 550 km (one replica on every sixth satellite), network RTTs every 300 s,
for each routing policy: requests generated, RTT tables built, routed, queued (FIFO closed
form), metrics and store tables computed. Each policy runs in a fresh process so that the
peak memory is its own.

    .venv/bin/python benchmarks/inference.py                 # 1,000,000 requests, all policies
    .venv/bin/python benchmarks/inference.py --requests 200000 --policies nearest
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from _machine import cpu_model, peak_rss_bytes, run_in_fresh_process  # benchmarks/_machine.py


def one(policy: str, n_requests: int, conn) -> None:
    from orbitgrid.inference import models, network_rtt, serve as S

    t0 = time.perf_counter()
    perf = models.replica_perf("Llama 3.1 8B Instruct", "H100", 1, 128, 989.4)
    placements = [
        S.Placement("ashburn", "site", 48, 2.0, 39.04, -77.49),
        S.Placement("frankfurt", "site", 48, 2.5, 50.11, 8.68),
        S.Placement("shell-550", "orbit", 264, 6.0, shell=network_rtt.ShellGeometry(72, 22, 1, 53.0, 550.0, 0.0, 25.0)),
    ]
    setup = S.ServiceSetup("chat", perf, placements, S.RequestSetup(per_day=n_requests, tokens="azure_conv"),
                           policy=policy, ttft_slo_ms=500.0, e2e_slo_ms=20000.0, latency_target_ms=60.0)
    out = S.serve(setup, 86400.0, np.datetime64("2026-03-21T00:00:00"), 300.0, 1.5, np.random.default_rng(1))
    t_serve = time.perf_counter() - t0
    summ = S.summary([out])
    S.tables([out])
    wall = time.perf_counter() - t0
    conn.send({"wall_s": wall, "serve_s": t_serve, "peak_mib": peak_rss_bytes() / 2**20, **summ})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=1_000_000, help="expected requests in the day")
    ap.add_argument("--policies", default="nearest,least_loaded,latency_target,sun_following")
    args = ap.parse_args()
    print(f"# {cpu_model()}, Python {platform.python_version()}, numpy {np.__version__}")
    print(f"{'policy':<16}{'requests':>10}{'wall s':>9}{'serve s':>9}{'peak MiB':>10}{'TTFT p50':>10}{'E2E p99':>10}"
          f"{'RTT p50':>9}{'met SLO':>9}{'J/token':>9}")
    for policy in args.policies.split(","):
        r = run_in_fresh_process(one, policy, args.requests)
        print(f"{policy:<16}{r['requests']:>10,}{r['wall_s']:>9.1f}{r['serve_s']:>9.1f}{r['peak_mib']:>10.0f}"
              f"{r['ttft_p50_ms']:>10.1f}{r['e2e_p99_ms']:>10.0f}{r['network_rtt_p50_ms']:>9.1f}"
              f"{r['requests_met_slo'] / r['requests']:>9.4f}{r['j_per_token']:>9.4f}")


if __name__ == "__main__":
    main()
