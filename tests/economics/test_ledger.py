"""The tenants' ledger (economics/ledger.py): billing by hand, SLA credits at the guarantee,
the ledger's GPU-hours against the allocation log, and reservations honoured by the
scheduler over their term."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.economics.ledger import Usage, build_ledger, credit_percent, month_edges_s
from orbitgrid.engine.run import simulate
from orbitgrid.scenario import ContractSpec, load_scenario

H = 3600.0


def _usage(alloc: list[tuple[int, float, float, float]], jobs: list[tuple[int, float, float, float]],
           run_end_h: float, tenants=("a", "b"), steps=((0.0, 1.0),), util=(0.0,)) -> Usage:
    """alloc: (job, GPUs, start h, end h); jobs: (tenant, GPUs, submitted h, ended h); steps:
    the step edges in hours as (start, end) pairs; util: the fleet utilisation per step."""
    a = np.array(alloc, dtype=np.float64).reshape(-1, 4)
    j = np.array(jobs, dtype=np.float64).reshape(-1, 4)
    edges = np.array([steps[0][0]] + [e for _, e in steps]) * H
    return Usage(
        job=a[:, 0].astype(np.int64), gpus=a[:, 1], start_s=a[:, 2] * H, end_s=a[:, 3] * H,
        gpu_type=np.zeros(a.shape[0], dtype=np.int64), job_tenant=j[:, 0].astype(np.int64), tenant_names=tuple(tenants),
        job_gpus=j[:, 1], job_submit_s=j[:, 2] * H, job_end_s=j[:, 3] * H, gpu_type_names=("H100",),
        step_edges_s=edges, step_utilization=np.asarray(util, dtype=np.float64), run_end_s=run_end_h * H,
    )


def _ledger(contracts: list[dict], usage: Usage, start="2024-02-01T00:00:00", gpus=None):
    specs = [ContractSpec(**c) for c in contracts]
    edges, labels = month_edges_s(start, usage.run_end_s)
    g = gpus if gpus is not None else [c.gpus or 0 for c in specs]
    table, summary = build_ledger(specs, usage, edges, labels, g)
    return table.to_pylist(), summary


def test_month_edges_follow_the_calendar_in_utc():
    """2024-01-31T12:00 + 48 h: 12 h of January, 36 h of February (leap year irrelevant)."""
    edges, labels = month_edges_s("2024-01-31T12:00:00", 48 * H)
    assert labels == ["2024-01", "2024-02"]
    assert edges.tolist() == [0.0, 12 * H, 48 * H]


@pytest.mark.parametrize(("availability", "percent"), [
    # guarantee 99% at 10%, a tier below 95% at 30% (the shape of the AWS Compute SLA)
    (1.0, 0.0), (0.99, 0.0),  # meeting the guarantee exactly owes nothing
    (0.98999, 10.0), (0.95, 10.0), (0.9499, 30.0), (0.0, 30.0), (None, 0.0),  # no demand: no credit
])
def test_credit_is_owed_exactly_below_the_guarantee(availability, percent):
    assert credit_percent(availability, [(0.99, 10.0), (0.95, 30.0)]) == percent


def test_reserved_bill_by_hand():
    """Tenant a reserves 2 GPUs at 3 USD/GPU-h for a 10-h run in February 2024, guarantee
    99%, 10% credit. Its jobs: job 0 (1 GPU) submitted at 0, runs 0-10; job 1 (2 GPUs)
    submitted at 0, waits until 4, runs 4-10. Demand 3 GPUs over 0-10, capped at R = 2:
    20 GPU-h asked within the reservation. Used: 1 GPU on 0-4, 3 on 4-10; within R:
    1 x 4 + 2 x 6 = 16 GPU-h; availability 16 / 20 = 0.8 < 0.99: credit 10% of the fee.
    Fee 2 x 10 x 3 = 60 USD; overage (4 + 18) - 16 = 6 GPU-h x 3 = 18 USD; charge 78,
    credit 6, net 72."""
    u = _usage(alloc=[(0, 1, 0, 10), (1, 2, 4, 10)], jobs=[(0, 1, 0, 10), (0, 2, 0, 10)], run_end_h=10)
    rows, summary = _ledger([{"tenant": "a", "kind": "reserved", "gpus": 2, "usd_per_gpu_hour": 3.0,
                              "availability_guarantee": 0.99}], u)
    a = rows[0]
    assert a["gpu_hours"] == pytest.approx(22.0)
    assert a["covered_gpu_hours"] == pytest.approx(16.0)
    assert a["demand_gpu_hours"] == pytest.approx(20.0)
    assert a["availability"] == pytest.approx(0.8)
    assert a["reserved_fee_usd"] == pytest.approx(60.0)
    assert a["overage_gpu_hours"] == pytest.approx(6.0)
    assert a["usage_usd"] == pytest.approx(18.0)
    assert a["credit_usd"] == pytest.approx(6.0)
    assert a["net_usd"] == pytest.approx(72.0)
    assert summary["revenue_usd"] == pytest.approx(72.0)
    assert summary["sla_credits_usd"] == pytest.approx(6.0)
    assert rows[1]["tenant"] == "b" and rows[1]["contract"] == "none" and rows[1]["net_usd"] == 0.0


def test_a_monthly_fee_is_prorated_by_the_calendar_month():
    """12,000 USD a month for 1 GPU, a 48-h run from 2024-02-28: 48 h of February's 696 h
    (29 days) -> 12,000 x 48 / 696 = 827.586 USD; nobody used it, so no demand, no credit."""
    u = _usage(alloc=[], jobs=[(1, 1, 0, 1)], run_end_h=48)
    rows, _ = _ledger([{"tenant": "a", "kind": "reserved", "gpus": 1, "usd_per_month": 12_000.0,
                        "availability_guarantee": 0.99}], u, start="2024-02-28T00:00:00")
    assert rows[0]["reserved_fee_usd"] == pytest.approx(12_000.0 * 48 / 696)
    assert rows[0]["availability"] is None and rows[0]["credit_usd"] == 0.0


def test_term_limits_the_reservation():
    """2 GPUs from hour 2 for 3 h at 1 USD: reserved 6 GPU-h; the tenant's 1 GPU used over
    0-10 is covered only on 2-5 (3 GPU-h), the other 7 GPU-h are overage at 1 USD."""
    u = _usage(alloc=[(0, 1, 0, 10)], jobs=[(0, 1, 0, 10)], run_end_h=10)
    rows, _ = _ledger([{"tenant": "a", "kind": "reserved", "gpus": 2, "usd_per_gpu_hour": 1.0,
                        "start_h": 2, "term_h": 3}], u)
    assert rows[0]["reserved_gpu_hours"] == pytest.approx(6.0)
    assert rows[0]["covered_gpu_hours"] == pytest.approx(3.0)
    assert rows[0]["net_usd"] == pytest.approx(6.0 + 7.0)


def test_on_demand_and_spot_clearing_by_hand():
    """b on demand at 2.5 USD: 2 GPUs for 4 h = 20 USD. a on spot clearing between 1 and 3
    USD: steps 0-1 h at 50% utilisation (2 USD) and 1-2 h at 100% (3 USD); 2 GPUs over
    0.5-1.5 h: 2 x 0.5 x 2 + 2 x 0.5 x 3 = 5 USD."""
    u = _usage(alloc=[(0, 2, 0.5, 1.5), (1, 2, 0, 4)], jobs=[(0, 2, 0, 2), (1, 2, 0, 4)], run_end_h=4,
               steps=((0.0, 1.0), (1.0, 2.0), (2.0, 4.0)), util=(0.5, 1.0, 0.0))
    rows, summary = _ledger([
        {"tenant": "a", "kind": "spot", "clearing": {"min_usd_per_gpu_hour": 1.0, "max_usd_per_gpu_hour": 3.0}},
        {"tenant": "b", "kind": "on_demand", "usd_per_gpu_hour": {"H100": 2.5}},
    ], u)
    assert rows[0]["usage_usd"] == pytest.approx(5.0)
    assert rows[1]["usage_usd"] == pytest.approx(20.0)
    assert summary["revenue_by_tenant"] == pytest.approx({"a": 5.0, "b": 20.0})


SCENARIO = """
name: contracts
simulation: {{duration_h: 300, tick_s: 3600, seed: 3, start: "2024-01-30T00:00:00"}}
sites:
  - name: lab
    location: {{lat_deg: 0, lon_deg: 0}}
    power_cap_mw: 10
    pue: 1.1
    pools: [{{name: h, gpu: H100, count: 32}}]
workload:
  generator:
    arrival_rate_per_h: 3
    gpus_per_job: {{min: 4, max: 4}}
    duration_h: {{median_h: 4, sigma: 0.8, max_h: 40}}
    tenants: [{{name: acme, weight: 1}}, {{name: spotty, weight: 3}}]
policy: {{name: {policy}}}
contracts:
{contracts}
"""

RESERVED = """  - {tenant: acme, kind: reserved, gpus: 16, usd_per_gpu_hour: 2.0, availability_guarantee: 0.999}
  - {tenant: spotty, kind: spot, usd_per_gpu_hour: 0.9}
"""


def _run(tmp_path, contracts=RESERVED, policy="reserved"):
    (tmp_path / "s.yaml").write_text(SCENARIO.format(policy=policy, contracts=contracts))
    return simulate(load_scenario(tmp_path / "s.yaml"))


def test_ledger_gpu_hours_equal_the_allocations(tmp_path):
    r = _run(tmp_path)
    alloc = r.tables["allocations"].to_pydict()
    logged = sum(g * (e - s) for g, s, e in zip(alloc["gpus"], alloc["start_h"], alloc["end_h"]))
    ledger = r.tables["ledger"].to_pylist()
    assert {row["month"] for row in ledger} == {"2024-01", "2024-02"}
    assert sum(row["gpu_hours"] for row in ledger) == pytest.approx(logged, rel=1e-12)
    assert r.summary["revenue_usd"] == pytest.approx(sum(row["net_usd"] for row in ledger))


def test_reserved_capacity_goes_to_its_tenant_while_it_has_demand(tmp_path):
    """32 GPUs, demand of about 3 x 4 x 4 = 48 GPUs (over capacity), acme holds 16: under the
    reserved policy, whenever acme asks for GPUs it has min(demand, 16) of them (availability
    1 in every month) and spot work is preempted to make room; under FIFO it does not."""
    r = _run(tmp_path)
    acme = [row for row in r.tables["ledger"].to_pylist() if row["tenant"] == "acme"]
    assert all(row["demand_gpu_hours"] > 100 for row in acme)
    assert [row["availability"] for row in acme] == pytest.approx([1.0] * len(acme), abs=1e-12)
    assert r.summary["sla_credits_usd"] == 0.0
    assert r.summary["preemptions"] > 0
    # the same contracts under FIFO: acme waits behind spot work
    fifo = _run(tmp_path, policy="fifo")
    acme_fifo = sum(row["gpu_hours"] for row in fifo.tables["ledger"].to_pylist() if row["tenant"] == "acme")
    assert acme_fifo < sum(row["gpu_hours"] for row in acme)


def test_credit_follows_availability_in_a_run(tmp_path):
    """A 100% guarantee (credit 25%) is missed in a month only when acme's availability is
    below 1; with the pool cut to 8 GPUs for 50 h, acme (16 reserved) loses GPU-hours."""
    contracts = """  - {tenant: acme, kind: reserved, gpus: 16, usd_per_gpu_hour: 2.0, availability_guarantee: 1.0, credit_percent: 25}
  - {tenant: spotty, kind: spot, usd_per_gpu_hour: 0.9}
"""
    text = SCENARIO.format(policy="reserved", contracts=contracts).replace(
        "count: 32}", "count: 32, outages: [{start_h: 60, duration_h: 50, gpus: 24}]}")
    (tmp_path / "s.yaml").write_text(text)
    r = simulate(load_scenario(tmp_path / "s.yaml"))
    rows = [row for row in r.tables["ledger"].to_pylist() if row["tenant"] == "acme"]
    for row in rows:
        missed = row["availability"] is not None and row["availability"] < 1.0
        assert row["credit_usd"] == pytest.approx(0.25 * row["reserved_fee_usd"] if missed else 0.0)
    assert any(row["availability"] < 1.0 for row in rows)


def test_a_reservation_ignored_by_the_policy_is_billed_and_credited(tmp_path):
    """Under FIFO nobody guarantees acme's 16 GPUs: it is billed the same take-or-pay fee, and
    its availability falls below the reserved policy's 1.0, so credits are owed."""
    r = _run(tmp_path, policy="fifo")
    acme = [row for row in r.tables["ledger"].to_pylist() if row["tenant"] == "acme"]
    assert sum(row["reserved_gpu_hours"] for row in acme) == pytest.approx(16 * r.summary["end_h"])
    assert min(row["availability"] for row in acme) < 0.999
    assert r.summary["sla_credits_usd"] > 0.0


@pytest.mark.parametrize(("contracts", "field", "message"), [
    ("  - {tenant: acme, kind: on_demand, usd_per_gpu_hour: 1}\n  - {tenant: acme, kind: spot, usd_per_gpu_hour: 1}\n",
     "contracts[1].tenant", "already has a contract"),
    ("  - {tenant: acne, kind: on_demand, usd_per_gpu_hour: 1}\n", "contracts[0].tenant", "no tenant named 'acne'"),
    ("  - {tenant: acme, kind: on_demand}\n", "contracts[0]", "needs usd_per_gpu_hour"),
    ("  - {tenant: acme, kind: spot, usd_per_gpu_hour: 1, gpus: 4}\n", "contracts[0]", "reserved contracts only"),
    ("  - {tenant: acme, kind: on_demand, usd_per_gpu_hour: {H1000: 2}}\n", "contracts[0].usd_per_gpu_hour.H1000",
     "unknown GPU type"),
])
def test_bad_contracts_get_one_line_each(tmp_path, contracts, field, message):
    (tmp_path / "s.yaml").write_text(SCENARIO.format(policy="fifo", contracts=contracts))
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert res.exit_code == 2, res.output
    assert field in res.output and message in res.output
    assert "s.yaml:" in res.output and "Traceback" not in res.output


def test_invoice_prints_each_tenant_and_refuses_unknown_ones(tmp_path):
    r_dir = tmp_path / "runs"
    (tmp_path / "s.yaml").write_text(SCENARIO.format(policy="reserved", contracts=RESERVED))
    res = CliRunner().invoke(app, ["run", str(tmp_path / "s.yaml"), "--out", str(r_dir), "--no-report"])
    assert res.exit_code == 0, res.output
    run_dir = next(r_dir.iterdir())
    res = CliRunner().invoke(app, ["invoice", str(run_dir), "--tenant", "acme"])
    assert res.exit_code == 0 and "invoice: acme, reserved" in res.output and "2024-02" in res.output
    res = CliRunner().invoke(app, ["invoice", str(run_dir), "--json", "--month", "2024-01"])
    rows = __import__("json").loads(res.output)
    assert {row["tenant"] for row in rows} == {"acme", "spotty"} and all(row["month"] == "2024-01" for row in rows)
    res = CliRunner().invoke(app, ["invoice", str(run_dir), "--tenant", "nobody"])
    assert res.exit_code == 2 and "no tenant 'nobody'" in res.output and "Traceback" not in res.output
    assert not math.isnan(rows[0]["net_usd"])
    from orbitgrid.results.report import write_report

    write_report(run_dir / "results.duckdb", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert 'id="orbitgrid-revenue"' in page and "Revenue by tenant and month" in page


def test_spot_jobs_may_be_paused(tmp_path):
    """The workload says no job may be paused; a spot contract makes its tenant's jobs
    preemptible (and only those)."""
    text = SCENARIO.format(policy="reserved", contracts=RESERVED).replace(
        "    tenants:", "    preemptible_share: 0.0\n    tenants:")
    (tmp_path / "s.yaml").write_text(text)
    jobs = simulate(load_scenario(tmp_path / "s.yaml")).tables["jobs"].to_pydict()
    by_tenant = {t: {p for tt, p in zip(jobs["tenant"], jobs["preemptible"]) if tt == t} for t in ("acme", "spotty")}
    assert by_tenant == {"acme": {False}, "spotty": {True}}


def test_plan_margin_against_the_ledger(tmp_path):
    """`plan --revenue RUN`: the fleet's revenue is the ledger's net revenue annualised over
    the run (x 8760 / end_h; one fleet, same GPUs, so no scaling), and the margin is that less
    the plan's annualised cost."""
    import json

    (tmp_path / "s.yaml").write_text(SCENARIO.format(policy="reserved", contracts=RESERVED))
    res = CliRunner().invoke(app, ["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "runs"), "--no-report"])
    assert res.exit_code == 0, res.output
    run_dir = next((tmp_path / "runs").iterdir())
    from orbitgrid.results.store import read_summary

    summary = read_summary(run_dir)
    res = CliRunner().invoke(app, ["plan", str(tmp_path / "s.yaml"), "--revenue", str(run_dir), "--json"])
    assert res.exit_code == 0, res.output
    lab = json.loads(res.output)["fleets"][0]
    expected = summary["revenue_usd"] * 8760.0 / summary["end_h"]
    assert lab["revenue_usd_per_year"] == pytest.approx(expected, rel=1e-12)
    assert lab["margin_usd_per_year"] == pytest.approx(expected - lab["annualised_usd_per_year"], rel=1e-12)
    res = CliRunner().invoke(app, ["plan", str(tmp_path / "s.yaml"), "--revenue", str(tmp_path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
