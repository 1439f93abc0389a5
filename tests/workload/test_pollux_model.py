"""Pollux's job progress model (`orbitgrid.workload.pollux_model`), worked by hand from the
packaged bert traces (tests/data/pollux/bert: the six validation files, the rows of
placements 4, 24, 44, 444, 4444 and the scalability rows at 6 nodes x 24 GPUs), then a
small Pollux workload through orbitgrid's `las` as `scripts/replay_pollux.py` sets it up.

bert (applications.py: max_epochs 2): validated batch sizes 12..384, so init_batch_size
= 12 and max_batch_size = 384; local batch sizes 4..12, so max_local_bsz = 12. Epoch ends
P(1) = 7387.0 and P(2) = 14774.0: the smallest `progress` of rows 1 and 2 over the six
files (both from validation-12.csv). Each epoch lasts (P(e+1) - P(e)) x T / gain_e.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.workload import pollux_model as pm

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parents[1] / "data" / "pollux"


@pytest.fixture(scope="module")
def bert() -> pm.Application:
    return pm.load_application(DATA / "bert")


def _gain(sqr: float, var: float, scale: float) -> float:
    return (var + sqr) / (var / scale + sqr)


def test_bert_trace_settings(bert):
    assert (bert.init_batch_size, bert.max_batch_size, bert.min_local_bsz, bert.max_local_bsz) == (12, 384, 4, 12)
    assert bert.max_epochs == 2
    assert bert.epoch_ends().tolist() == [0.0, 7387.0, 14774.0]


def test_bert_8_gpus_batch_384_by_hand(bert):
    """8 GPUs, batch 384: placement (4, 4) = "44". local = 384/8 = 48; accum_steps =
    ceil(48/12) - 1 = 3; atomic = ceil(48/4) = 12 (cap floor(384/32) = 12); batch 384.

    placements.csv "44,12": step 2.538950562477112 s, sync 1.6628430938720702 s, so
    T = 2.538950562477112 + 3 x 0.8761075... = 5.167272968292236 s.
    validation-384.csv (batch 384 was validated: no interpolation), scale 384/12 = 32:
      epoch 0: sqr 6509198881259.403, var 6086044601707605.0 -> gain 30.974137661606225
      epoch 1: sqr 43032304393.29889, var 45868579275033.31  -> gain 31.096465402109605
    epochs: 7387 x T / gain = 1232.339244881994 s and 1227.4914503365142 s;
    sum 2459.8306952185085 s, or 1232 + 1227 = 2459 s rounded per epoch (Job.step).
    """
    assert pm.batch_split(bert, 8, 384) == (12, 3, 384)
    assert pm.placement_id(pm.consolidated_placement(8)) == "44"
    step, sync = pm.step_times(bert, (4, 4), 12)
    assert (step, sync) == (2.538950562477112, 1.6628430938720702)
    sqr, var = pm.grad_stats(bert, 384)
    assert _gain(sqr[0], var[0], 32) == pytest.approx(30.974137661606225, rel=1e-12)
    assert _gain(sqr[1], var[1], 32) == pytest.approx(31.096465402109605, rel=1e-12)
    assert pm.epoch_times_s(bert, 8, 384) == pytest.approx([1232.339244881994, 1227.4914503365142], rel=1e-12)
    assert pm.run_time_s(bert, 8, 384, whole_seconds=False) == pytest.approx(2459.8306952185085, rel=1e-12)
    assert pm.run_time_s(bert, 8, 384) == 2459.0


def test_bert_6_gpus_interpolates_in_batch_and_local_batch(bert):
    """6 GPUs, batch 384: placement (4, 2) = "24". local = ceil(384/6) = 64; accum_steps =
    ceil(64/12) - 1 = 5; atomic = ceil(64/6) = 11, capped at floor(384/36) = 10; batch
    6 x 10 x 6 = 360 (not 384).

    Step time at local batch 10, 2/3 of the way from "24,8" (2.3712867945432663,
    1.7320438232421873) to "24,11" (2.3917264491319656, 1.5968457107543945): step
    2.384913230935733, sync 1.6419117482503254; T = step + 5 (step - sync) = 6.09992064436277 s.
    Gradient statistics at 360, 7/8 of the way from batch 192 to 384, scale 360/12 = 30:
      epoch 0: sqr 7625112247067.047, var 6112419613876274.0 -> gain 28.953845341465424
      epoch 1: sqr 38917409457.93132, var 49263747616656.19  -> gain 29.328627926774935
    epochs 1556.273899666661 + 1536.3866974073865 = 3092.6605970740475 s; 1556 + 1536 =
    3092 s rounded (what Pollux's own Job.step loop gives for this job, run out of tree).
    """
    assert pm.batch_split(bert, 6, 384) == (10, 5, 360)
    step, sync = pm.step_times(bert, (4, 2), 10)
    assert step == pytest.approx(2.384913230935733, rel=1e-12)
    assert sync == pytest.approx(1.6419117482503254, rel=1e-12)
    assert pm.step_times(bert, (2, 4), 10) == pm.step_times(bert, (4, 2), 10)  # same rotation
    sqr, var = pm.grad_stats(bert, 360)
    assert sqr == pytest.approx([7625112247067.047, 38917409457.93132], rel=1e-12)
    assert var == pytest.approx([6112419613876274.0, 49263747616656.19], rel=1e-12)
    assert pm.epoch_times_s(bert, 6, 384) == pytest.approx([1556.273899666661, 1536.3866974073865], rel=1e-12)
    assert pm.run_time_s(bert, 6, 384) == 3092.0


def test_bert_24_gpus_uses_the_scalability_rows(bert):
    """24 GPUs = 6 full nodes: placement "444444" is not in placements.csv, so the step
    time comes from scalability.csv at (6 nodes, 24 GPUs). local 16, accum_steps 1, atomic
    8, batch 384; "6,24,8": step 1.8052041232585907, sync 1.1635310401916505; T = 2 x step
    - sync = 2.4468772063255306 s; gains as for 8 GPUs (batch 384): epochs
    583.553999810995 + 581.2584063621736 s -> 584 + 581 = 1165 s."""
    assert pm.consolidated_placement(24) == (4,) * 6
    assert pm.batch_split(bert, 24, 384) == (8, 1, 384)
    assert pm.step_times(bert, (4,) * 6, 8) == (1.8052041232585907, 1.1635310401916505)
    assert pm.epoch_times_s(bert, 24, 384) == pytest.approx([583.553999810995, 581.2584063621736], rel=1e-12)
    assert pm.run_time_s(bert, 24, 384) == 1165.0


def test_placements_and_batch_rules():
    assert pm.consolidated_placement(1) == (1,)
    assert pm.consolidated_placement(6) == (4, 2)
    assert pm.consolidated_placement(12) == (4, 4, 4)
    assert pm.placement_id((4, 2)) == "24"
    assert pm.placement_id((1, 3, 1)) == "113"
    assert pm.placement_id((3, 0, 1)) == "13"
    # one replica above the initial batch size accumulates at least once (update_local_bsz):
    # ncf's settings (init 256, local batch and batch up to 32768) at 1 GPU x 32768
    ncf = pm.Application("ncf", np.array([256, 32768]), np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)),
                         1, 256, 32768, 32, 32768, {}, {})
    assert pm.batch_split(ncf, 1, 32768) == (16384, 1, 32768)
    assert pm.batch_split(ncf, 1, 256) == (256, 0, 256)


def test_refuses_what_was_not_measured(bert):
    with pytest.raises(ValueError, match="not measured"):
        pm.step_times(bert, (4,) * 5, 8)  # 5 nodes x 20 GPUs: no rows in the packaged excerpt
    with pytest.raises(ValueError, match="outside the measured"):
        pm.step_times(bert, (4, 4), 13)
    with pytest.raises(ValueError, match="outside the validated"):
        pm.grad_stats(bert, 400)
    with pytest.raises(ValueError, match="unknown Pollux application"):
        pm.load_application(DATA / "bert", "resnet")


def _load_script():
    """scripts/ is not a package: load the file as a module."""
    name = "_orbitgrid_script_replay_pollux"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "replay_pollux.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_replay_three_bert_jobs_on_16_gpus(bert):
    """The first three bert jobs of workload-6 on 16 GPUs under las (16 GPU-h threshold,
    30 s restart), each busy for its run time + 30 s of start-up:

      bert-4   t=735,  8 GPUs: 2459 + 30 = 2489 s, runs at once: JCT 2489
      bert-10  t=2438, 6 GPUs: 3092 + 30 = 3122 s, fits beside it: ends 5560, JCT 3122
      bert-13  t=2735, 16 GPUs: 1324 + 30 = 1354 s (placements.csv "4444" at 12, accum 1):
               2 GPUs free; both others are in queue 0 too (8 x 2000 s and 6 x 297 s held,
               far below 16 GPU-h), so it waits for bert-10: starts 5560, ends 6914, JCT 4179
    Mean (2489 + 3122 + 4179) / 3 = 3263.33 s. Pollux's Tiresias would do the same here
    (bert-13 is last in queue 0's order)."""
    rp = _load_script()
    wl = rp.read_workload(DATA / "workload-6_bert.csv")
    assert len(wl["name"]) == 15
    three = {k: v[:3] for k, v in wl.items()}
    r = rp.replay({"bert": bert}, three, "workload-6", 1.0, gpus=16)
    assert r["busy_s"] == {"bert-4": 2489.0, "bert-10": 3122.0, "bert-13": 1354.0}
    assert r["jct_s"] == pytest.approx({"bert-4": 2489.0, "bert-10": 3122.0, "bert-13": 4179.0}, abs=1e-6)
    assert r["preemptions"] == 0


def test_replay_bert_workload_on_64_gpus_never_queues(bert):
    """All 15 bert jobs of workload-6 on Pollux's 64 GPUs: with each busy for its time
    alone, at most 30 GPUs are ever busy together, so none waits and every JCT is the
    job's own time alone."""
    rp = _load_script()
    wl = rp.read_workload(DATA / "workload-6_bert.csv")
    r = rp.replay({"bert": bert}, wl, "workload-6", 1.0, gpus=64)
    assert r["completed"] == 15
    assert r["jct_s"] == pytest.approx(r["busy_s"], abs=1e-6)
    expected = {6: 3122.0, 8: 2489.0, 12: 1624.0, 16: 1354.0}  # run time + 30 s per GPU count
    assert r["busy_s"] == {n: expected[g] for n, g in zip(wl["name"].tolist(), wl["num_replicas"].tolist())}
