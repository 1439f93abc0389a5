"""A gang across GPU generations: the slowest member's speed, less a communication penalty."""

from __future__ import annotations

import pytest

from orbitgrid.engine import simulate

SITE = """
name: mixed
simulation: {{duration_h: 4, tick_s: 60}}
sites:
  - name: s
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: h100, gpu: H100, count: 4}}
      - {{name: gb200, gpu: GB200, count: 4}}
workload: {{reference_gpu: H100, csv: jobs.csv}}
policy: {{name: fifo, mixed_gang_penalty: {penalty}}}
"""


@pytest.mark.parametrize("penalty,end_h", [(0.0, 1.0), (0.2, 1.25)])
def test_mixed_gang_runs_at_the_slowest_speed_less_the_penalty(write_scenario, penalty, end_h):
    # 8 GPUs x 8 H100-GPU-h on 4 H100 + 4 GB200: speed min(1, 2.53) = 1, so 1 h; with a 20%
    # penalty 0.8 of that: 8 / (8 x 0.8) = 1.25 h
    r = simulate(write_scenario(SITE.format(penalty=penalty), "arrival_h,gpus,work_gpu_h\n0,8,8\n"))
    job = r.tables["jobs"].to_pylist()[0]
    assert job["end_h"] == pytest.approx(end_h)
    assert [a["speed"] for a in r.tables["allocations"].to_pylist()] == pytest.approx([1.0 - penalty] * 2)


def test_a_gang_on_one_type_pays_no_penalty(write_scenario):
    # 4 GPUs fit on the GB200 pool alone (the fastest single pool): 8 / (4 x 2500/989.4) h
    r = simulate(write_scenario(SITE.format(penalty=0.5), "arrival_h,gpus,work_gpu_h\n0,4,8\n"))
    assert r.tables["jobs"].to_pylist()[0]["end_h"] == pytest.approx(8 / (4 * 2500 / 989.4))
