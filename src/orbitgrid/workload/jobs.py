"""Training jobs as columns of numpy arrays: one row per job, ids are row numbers in arrival order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANY_GPU = "any"


@dataclass(frozen=True)
class JobTable:
    """Every submitted job. Work is in GPU-seconds of the scenario's reference GPU.

    `type_sets[k]` is a sorted tuple of acceptable GPU type names, or `("any",)`;
    `type_set[j]` indexes it. Names come from a job file; generated jobs have none.

    Speed classes: by default a job runs on a GPU at the GPU's catalogue speed relative to
    the reference GPU, whatever the job. A job with `speed_class[j] = c >= 0` instead runs
    at `class_speed[c, g]` on GPU type `class_gpus[g]` (per GPU, relative to the reference
    GPU: a measured throughput matrix such as Gavel's), and at catalogue speed on a type
    whose entry is NaN. -1: catalogue speeds.

    Elastic jobs: `min_gpus[j] < gpus[j]` means job j may start on any gang size from
    `min_gpus[j]` to `gpus[j]` (chosen at each start, then fixed until the gang stops), its
    rate proportional to the size (linear scaling). None: every job is rigid.

    Fractional jobs: `gpu_milli[j] < 1000` (with a gang of one) means job j uses that many
    thousandths of one GPU, sharing the GPU with other such jobs (engine/sharing.py); its
    work is in reference-GPU-seconds like any other, done at gpu_milli/1000 x speed.
    None: every job uses whole GPUs.

    Flexibility (grid/: demand response and carbon-aware shifting): `preemptible[j]` false
    means job j may not be paused to meet a curtailment (None: every job may); a job with
    `window_s[j] > 0` is deferrable: it may start as late as `window_s[j]` after it was
    submitted (None or 0: it starts as soon as it can). When a carbon-aware decision holds
    a deferrable job back, `arrival_s` is when it is released to the scheduler and
    `submit_s` when it was submitted (None: they are the same); waits count from submission.
    `type_set_site[k]`, where given, ties type set k to one site (spatial shifting).
    """

    arrival_s: np.ndarray  # float64
    gpus: np.ndarray  # int32, gang size
    work_ref_gpu_s: np.ndarray  # float64, reference-GPU-seconds of work
    type_set: np.ndarray  # int32 index into type_sets
    priority: np.ndarray  # int32, larger runs first
    tenant: np.ndarray  # int32 index into tenants
    type_sets: tuple[tuple[str, ...], ...]
    tenants: tuple[str, ...]
    names: tuple[str, ...] | None = None
    speed_class: np.ndarray | None = None  # int32 (N), -1 for catalogue speeds
    class_gpus: tuple[str, ...] = ()
    class_speed: np.ndarray | None = None  # float64 (C, len(class_gpus)); NaN: catalogue
    min_gpus: np.ndarray | None = None  # int32 (N), smallest gang an elastic job accepts
    gpu_milli: np.ndarray | None = None  # int32 (N), thousandths of a GPU; 1000: whole GPUs
    preemptible: np.ndarray | None = None  # bool (N); None: every job may be paused
    window_s: np.ndarray | None = None  # float64 (N), deferral window; 0: not deferrable
    submit_s: np.ndarray | None = None  # float64 (N), submission when released later
    type_set_site: tuple[str | None, ...] | None = None  # per type set: the one site it may use

    def __len__(self) -> int:
        return int(self.arrival_s.shape[0])

    def type_set_label(self, k: int) -> str:
        label = "|".join(self.type_sets[k])
        site = self.type_set_site[k] if self.type_set_site is not None else None
        return label if site is None else f"{label}@{site}"

    def submitted_s(self) -> np.ndarray:
        """When each job was submitted (its arrival unless a carbon-aware hold released it later)."""
        return self.arrival_s if self.submit_s is None else self.submit_s

    def may_pause(self) -> np.ndarray:
        """Bool per job: may a curtailment pause it?"""
        return np.ones(len(self), dtype=bool) if self.preemptible is None else self.preemptible

    def windows_s(self) -> np.ndarray:
        """Each job's deferral window in seconds (0: not deferrable)."""
        return np.zeros(len(self)) if self.window_s is None else self.window_s

    @property
    def n_speed_classes(self) -> int:
        return 0 if self.class_speed is None else int(self.class_speed.shape[0])

    def min_gang(self) -> np.ndarray:
        """Each job's smallest acceptable gang (its gang size unless elastic)."""
        return self.gpus if self.min_gpus is None else self.min_gpus

    def milli(self) -> np.ndarray:
        """Thousandths of a GPU each job uses per GPU of its gang (1000 unless fractional)."""
        return np.full(len(self), 1000, dtype=np.int32) if self.gpu_milli is None else self.gpu_milli

    def speed_classes(self) -> np.ndarray:
        """Each job's speed class, -1 for catalogue speeds (an array even when there are none)."""
        if self.speed_class is None:
            return np.full(len(self), -1, dtype=np.int32)
        return self.speed_class


def concat_jobs(tables: list[JobTable]) -> JobTable:
    """Merge job tables into one, sorted by arrival (stable), with shared type-set and tenant lists."""
    tables = [t for t in tables if len(t)]
    if not tables:
        return empty_jobs()
    type_sets: dict[tuple[str, ...], int] = {}
    tenants: dict[str, int] = {}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("arrival_s", "gpus", "work", "ts", "prio", "tenant")}
    names: list[str] = []
    has_names = any(t.names is not None for t in tables)
    next_generated = 0
    class_gpus = tuple(sorted({g for t in tables for g in t.class_gpus}))
    class_rows: list[np.ndarray] = []
    for t in tables:
        cls = t.speed_classes()
        if t.n_speed_classes:
            rows = np.full((t.n_speed_classes, len(class_gpus)), np.nan)
            rows[:, [class_gpus.index(g) for g in t.class_gpus]] = t.class_speed
            offset = sum(r.shape[0] for r in class_rows)
            class_rows.append(rows)
            cls = np.where(cls >= 0, cls + offset, -1).astype(np.int32)
        parts.setdefault("cls", []).append(cls)
        parts.setdefault("min", []).append(t.min_gang())
        parts.setdefault("milli", []).append(t.milli())
        parts.setdefault("pause", []).append(t.may_pause())
        parts.setdefault("window", []).append(t.windows_s())
        ts_map = np.array([type_sets.setdefault(s, len(type_sets)) for s in t.type_sets], dtype=np.int32)
        tn_map = np.array([tenants.setdefault(s, len(tenants)) for s in t.tenants], dtype=np.int32)
        parts["arrival_s"].append(t.arrival_s)
        parts["gpus"].append(t.gpus)
        parts["work"].append(t.work_ref_gpu_s)
        parts["ts"].append(ts_map[t.type_set])
        parts["prio"].append(t.priority)
        parts["tenant"].append(tn_map[t.tenant])
        if has_names:
            if t.names is not None:
                names.extend(t.names)
            else:
                names.extend(f"gen-{next_generated + i}" for i in range(len(t)))
                next_generated += len(t)
    arrival = np.concatenate(parts["arrival_s"])
    order = np.argsort(arrival, kind="stable")
    return JobTable(
        arrival_s=arrival[order],
        gpus=np.concatenate(parts["gpus"])[order],
        work_ref_gpu_s=np.concatenate(parts["work"])[order],
        type_set=np.concatenate(parts["ts"])[order],
        priority=np.concatenate(parts["prio"])[order],
        tenant=np.concatenate(parts["tenant"])[order],
        type_sets=tuple(type_sets),
        tenants=tuple(tenants),
        names=tuple(names[i] for i in order) if has_names else None,
        speed_class=np.concatenate(parts["cls"])[order] if class_rows else None,
        class_gpus=class_gpus if class_rows else (),
        class_speed=np.concatenate(class_rows) if class_rows else None,
        min_gpus=np.concatenate(parts["min"])[order] if any(t.min_gpus is not None for t in tables) else None,
        gpu_milli=np.concatenate(parts["milli"])[order] if any(t.gpu_milli is not None for t in tables) else None,
        preemptible=np.concatenate(parts["pause"])[order] if any(t.preemptible is not None for t in tables) else None,
        window_s=np.concatenate(parts["window"])[order] if any(t.window_s is not None for t in tables) else None,
    )


def empty_jobs() -> JobTable:
    return JobTable(
        arrival_s=np.zeros(0),
        gpus=np.zeros(0, np.int32),
        work_ref_gpu_s=np.zeros(0),
        type_set=np.zeros(0, np.int32),
        priority=np.zeros(0, np.int32),
        tenant=np.zeros(0, np.int32),
        type_sets=((ANY_GPU,),),
        tenants=("default",),
    )


def take_jobs(jobs: JobTable, index: np.ndarray) -> JobTable:
    """The jobs a bool mask keeps, or those an integer index picks in its order (type-set and
    tenant lists kept as they are)."""
    pick = np.asarray(index)
    names = tuple(np.asarray(jobs.names, dtype=object)[pick].tolist()) if jobs.names is not None else None
    return JobTable(
        arrival_s=jobs.arrival_s[pick],
        gpus=jobs.gpus[pick],
        work_ref_gpu_s=jobs.work_ref_gpu_s[pick],
        type_set=jobs.type_set[pick],
        priority=jobs.priority[pick],
        tenant=jobs.tenant[pick],
        type_sets=jobs.type_sets,
        tenants=jobs.tenants,
        names=names,
        speed_class=jobs.speed_class[pick] if jobs.speed_class is not None else None,
        class_gpus=jobs.class_gpus,
        class_speed=jobs.class_speed,
        min_gpus=jobs.min_gpus[pick] if jobs.min_gpus is not None else None,
        gpu_milli=jobs.gpu_milli[pick] if jobs.gpu_milli is not None else None,
        preemptible=jobs.preemptible[pick] if jobs.preemptible is not None else None,
        window_s=jobs.window_s[pick] if jobs.window_s is not None else None,
        submit_s=jobs.submit_s[pick] if jobs.submit_s is not None else None,
        type_set_site=jobs.type_set_site,
    )
