"""Ground inference replicas hold GPUs of their pools: the training run cannot use them
(engine/run.py: _hold_serving_gpus; inference/serve.py: serving_holds)."""

from __future__ import annotations

from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.engine.run import simulate
from orbitgrid.scenario import load_scenario

SCENARIO = """
name: holds
simulation: {{duration_h: 6, tick_s: 3600, seed: 0, start: "2026-03-21T00:00:00"}}
sites:
  - name: lab
    location: {{lat_deg: 35.6895, lon_deg: 139.69171}}
    power_cap_mw: 10
    pue: 1.0
    pools:
      - {{name: a, gpu: H100, count: 4}}
      - {{name: b, gpu: H100, count: 8}}
workload:
  reference_gpu: H100
  generator: {{arrival_rate_per_h: 1, jobs: 1, gpus_per_job: {{min: 1, max: 1}}}}
policy: {{name: fifo}}
inference:
  services:
    - name: chat
      model: Llama 3.1 8B Instruct
      gpu: H100
      gpus_per_replica: 1
      batch_size: 256
      replicas: [{{site: lab, count: {count}}}]
      requests: {{arrivals: population, per_day: 100, tokens: fixed, input_tokens: 10, output_tokens: 10, cities: 3}}
{moves}"""


def _run(tmp_path, count: int, moves: str = ""):
    (tmp_path / "s.yaml").write_text(SCENARIO.format(count=count, moves=moves))
    return simulate(load_scenario(tmp_path / "s.yaml"))


def test_site_replicas_take_gpus_from_its_pools_in_order(tmp_path):
    """6 one-GPU replicas at a site with pools a (4 H100) and b (8 H100): a gives all 4,
    b gives 2, so the training run sees 0 and 6 GPUs in service all run long."""
    ts = _run(tmp_path, 6).tables["timeseries"].to_pydict()
    by_pool = {p: [c for pid, c in zip(ts["pool_id"], ts["in_service_gpus"]) if pid == p] for p in (0, 1)}
    assert set(by_pool[0]) == {0} and set(by_pool[1]) == {6}


def test_too_many_replicas_is_one_line(tmp_path):
    """13 replicas x 1 H100 on a site of 12 H100: refused at validation, exit 2."""
    (tmp_path / "s.yaml").write_text(SCENARIO.format(count=13, moves=""))
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert res.exit_code == 2
    assert "inference.services[0].replicas[0].count" in res.output and "has 12 H100" in res.output


def test_no_replicas_leaves_the_pools_alone(tmp_path):
    """Without an inference section every GPU stays with training (12 in service)."""
    text = SCENARIO.format(count=1, moves="").split("inference:")[0]
    (tmp_path / "s.yaml").write_text(text)
    ts = simulate(load_scenario(tmp_path / "s.yaml")).tables["timeseries"].to_pydict()
    assert set(ts["in_service_gpus"][:2]) == {4, 8}


def test_moves_carry_their_gpus(tmp_path):
    """Two sites of 4 H100; 3 replicas at lab, 1 at lab2; 2 move from lab to lab2 at hour 3
    (no downtime): lab has 1 GPU in service for hours 0-2 and 3 after; lab2 3, then 1."""
    text = SCENARIO.format(count=3, moves="      moves: [{at_h: 3, source: lab, target: lab2, count: 2, downtime_s: 0}]\n")
    text = text.replace("      - {name: b, gpu: H100, count: 8}\n", "").replace(
        "workload:", "  - name: lab2\n    location: {lat_deg: 34.69, lon_deg: 135.5}\n    power_cap_mw: 10\n    pue: 1.0\n"
        "    pools:\n      - {name: c, gpu: H100, count: 4}\nworkload:").replace(
        "replicas: [{site: lab, count: 3}]", "replicas: [{site: lab, count: 3}, {site: lab2, count: 1}]")
    (tmp_path / "s.yaml").write_text(text)
    ts = simulate(load_scenario(tmp_path / "s.yaml")).tables["timeseries"].to_pydict()
    rows = sorted(zip(ts["time_h"], ts["pool_id"], ts["in_service_gpus"]))
    lab = [c for t, p, c in rows if p == 0]
    lab2 = [c for t, p, c in rows if p == 1]
    assert lab[:6] == [1, 1, 1, 3, 3, 3] and lab2[:6] == [3, 3, 3, 1, 1, 1]
