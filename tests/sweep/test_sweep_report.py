"""The report's arithmetic: the Pareto front and the tornado's swings, on tables made by hand."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from orbitgrid.sweep.report import pareto_mask, swings


def brute_front(x, y, minimize):
    xs, ys = (x if minimize[0] else -x), (y if minimize[1] else -y)
    keep = []
    for i in range(x.size):
        beaten = any((xs[j] <= xs[i] and ys[j] <= ys[i] and (xs[j] < xs[i] or ys[j] < ys[i] or j < i))
                     for j in range(x.size) if j != i)
        keep.append(not beaten)
    return np.array(keep)


@pytest.mark.parametrize("minimize", [(True, True), (True, False), (False, True), (False, False)])
def test_pareto_mask_equals_the_definition(minimize):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 12, 300).astype(float)  # many ties, on purpose
    y = rng.integers(0, 12, 300).astype(float)
    assert np.array_equal(pareto_mask(x, y, minimize), brute_front(x, y, minimize))


def test_pareto_mask_small_case():
    x = np.array([1.0, 2.0, 3.0, 2.0, 4.0])
    y = np.array([5.0, 3.0, 1.0, 4.0, 1.0])
    assert pareto_mask(x, y, (True, True)).tolist() == [True, True, True, False, False]


def test_swings_are_the_spread_of_group_means():
    rows = {
        "point_index": list(range(8)),
        "status": ["ok"] * 7 + ["failed"],
        "policy.name": ["fifo", "fifo", "sjf", "sjf", "las", "las", "las", "sjf"],
        "rate": [10, 20, 10, 20, 10, 20, 20, 10],
        "wait": [1.0, 3.0, 0.5, 0.7, 2.0, 2.0, 5.0, 100.0],  # the failed row must not count
    }
    con = duckdb.connect()
    con.register("points", pa.table(rows))
    out = {s["factor"]: s for s in swings(con, ["policy.name", "rate"], "wait")}
    # policy means: fifo 2.0, sjf 0.6, las 3.0
    assert out["policy.name"]["low"] == pytest.approx(0.6) and out["policy.name"]["high"] == pytest.approx(3.0)
    assert (out["policy.name"]["low_at"], out["policy.name"]["high_at"]) == ("sjf", "las")
    # rate means: 10 -> (1 + 0.5 + 2) / 3, 20 -> (3 + 0.7 + 2 + 5) / 4
    assert out["rate"]["low"] == pytest.approx(3.5 / 3) and out["rate"]["high"] == pytest.approx(10.7 / 4)
    assert [s["factor"] for s in swings(con, ["policy.name", "rate"], "wait")] == ["policy.name", "rate"]


def test_a_sampled_factor_is_cut_into_five_equal_bins():
    x = np.arange(50, dtype=float)
    con = duckdb.connect()
    con.register("points", pa.table({"point_index": np.arange(50), "status": ["ok"] * 50, "x": x, "y": 2 * x}))
    (s,) = swings(con, ["x"], "y")
    assert s["groups"] == 5
    assert s["low"] == pytest.approx(2 * np.mean(x[:10])) and s["high"] == pytest.approx(2 * np.mean(x[40:]))
    assert s["low_at"] == "0–9" and s["high_at"] == "40–49"
