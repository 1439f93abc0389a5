"""Inference services (issue 7, part 2): replicas of a model on pools and satellites, request
streams from cities, routing policies, FIFO replica queues, latency and energy per request.

* ``models``: replica performance (decode throughput, inter-token latency, J/token) from the
  packaged ML.ENERGY v3 chat runs; prefill from the accelerator's peak FLOP/s.
* ``requests``: packaged traces (Azure LLM 2023, Mooncake) and the population / daily-cycle
  generator over the 1,000 cities.
* ``queueing``: the FIFO closed form D_n = C_n + max_{k<=n}(A_k - C_{k-1}) per replica.
* ``network_rtt``: round-trip time per (city, placement) per network tick.
* ``routing_policies``: nearest, least_loaded, latency_target, sun_following (a registry).
* ``serve``: ties them together; per-request arrays and the summary keys.

See docs/inference.md.
"""
