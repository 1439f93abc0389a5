"""Generation packing: keep each gang on one GPU generation, and span generations only when
that finishes sooner than waiting for one generation to have room.

The idea: a data-parallel gang steps in lockstep, so a gang spread over GPU types runs at its
slowest member's speed (the model of `World.gang_speed`), and worse still once
cross-generation communication is counted (`mixed_gang_penalty`). Heterogeneity-aware
schedulers therefore give a job one accelerator type at a time: Gavel (Narayanan et al.,
"Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads", OSDI 2020)
allocates each job time shares of GPU types, running it on one type per round; Sia (Jayaram
Subramanya et al., "Sia: Heterogeneity-aware, goodput-optimized ML-cluster scheduling",
SOSP 2023) matches each job to a GPU type and count, weighing the options by the job's
estimated throughput on each. The view's usual
placement fills the fastest GPUs first, so a gang that no single pool holds may straddle,
say, H200 and H100 pools and run at the H100's speed less the penalty, although the H100
pools together had room for it.

Semantics. Jobs are taken in queue order (priority, then arrival). For each job:

1. If some training domain has room for the whole gang on one GPU type (any number of
   pools of that type), it starts there: the fastest such type for the job, then the
   (domain, type) group with the fewest free GPUs (best fit); within the group, the pool
   with the fewest free GPUs that holds the gang, else the pools with the most free first.
   This holds even when a mixed gang of faster generations would be quicker (a single
   slower type is preferred, as the view's placement prefers a single pool).
2. Otherwise, if a mixed-type placement exists now (the view's `find_placement`, whose speed
   already includes `mixed_gang_penalty`), its expected finish, now + remaining work /
   (gang x mixed speed) (+ restart overhead owed), is compared with waiting: for each
   (domain, type) group the job may use, the earliest time running gangs (as expected to
   end: the view's release profile, as EASY backfill estimates) leave room for the gang
   there, plus remaining work / (gang x that type's speed) (+ overhead). The job starts mixed
   only if that finishes strictly sooner than the best single-type wait; otherwise it waits.
3. The first job that starts neither way blocks the queue, like FIFO, but with EASY
   backfilling behind it (Lifka 1995; Mu'alem & Feitelson 2001; `backfill.py`'s
   reservation and rules): when it waits for a single type, the reservation is on that
   (domain, type) group at the time it has room; when nothing can hold it now, on the
   single-type group where it would finish first if any group ever has room for it, else
   `backfill.reserve`'s earliest room in any domain. Later jobs (each placed by rules 1 and
   2) may start if they end before the reserved time or leave the head its spare GPUs.
   Backfilling examines the jobs behind the head among the first `backfill_depth` of the
   queue, as `backfill` does (the jobs that start in order are not limited): with
   `backfill_depth: 1` there is no backfilling, and the order is plain FIFO.

Simplified: runtimes are exact (the simulator knows each job's work and speed), as in
`backfill`; the wait estimate trusts running gangs to end on time (outages and preemptions
are not foreseen) and ignores jobs queued behind; the mixed-or-wait choice is made per job
and per pass, greedily (no joint optimisation over the queue as Sia's ILP does, no
goodput/throughput model beyond the catalogue's or the job's per-type speed, no elastic
resizing); a (domain, type) group is a GPU type within a training domain, not a rack or an
NVLink domain. Elastic and fractional jobs (where the job table has them) are placed as
the view places them, without the single-type rule. With `allow_mixed_gangs: false` no
placement is mixed and `pack` is EASY backfill with single-type placement by type then fit,
and reservations on the single-type group where the head would finish first.

Cost per pass: as EASY backfill, plus, for each job that has no single-type room now, the
single-type wait (each group's release profile once per pass, updated as placements are
taken) and, unless waiting beats even a mixed gang on the job's fastest GPUs, the view's
placement search. Only newcomers are judged after a pass that started nothing, as in
`backfill`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.policies.backfill import Reservation, charge_spare, keeps_promise, may_backfill, reserve
from orbitgrid.policies.base import ClusterView, Placement
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec


class TypeGroups:
    """The (training domain, GPU type) groups of a world's pools: a gang within one group is
    on one generation. Built once per world."""

    def __init__(self, world) -> None:
        names = sorted(set(world.pool_gpu))
        type_id = np.array([names.index(g) for g in world.pool_gpu], dtype=np.int64)
        key = world.domain.astype(np.int64) * len(names) + type_id
        _, gid = np.unique(key, return_inverse=True)  # group of each pool
        self.gid = gid.astype(np.int64).ravel()
        self.n = int(self.gid.max()) + 1 if self.gid.size else 0
        self.pools = [np.flatnonzero(self.gid == g) for g in range(self.n)]
        self.masks = np.zeros((self.n, self.gid.size), dtype=bool)
        self.masks[self.gid, np.arange(self.gid.size)] = True
        self._by_gid = np.argsort(self.gid, kind="stable")
        self._starts = np.r_[0, np.cumsum(np.bincount(self.gid, minlength=self.n))[:-1]]
        self._kinds: dict[tuple[int, bytes], JobKind] = {}

    def min_per_group(self, per_pool: np.ndarray) -> np.ndarray:
        """(G) the smallest of `per_pool` over each group's pools."""
        return np.minimum.reduceat(per_pool[self._by_gid], self._starts)

    def sum_per_group(self, per_pool: np.ndarray) -> np.ndarray:
        return np.bincount(self.gid, weights=per_pool, minlength=self.n)

    def kind(self, view: ClusterView, job: int) -> "JobKind":
        """What placement needs to know of a job besides its size: the same for every job of
        one type set and one row of speeds, so kept."""
        ts = int(view.jobs.type_set[job])
        speed_of = view.pool_speed(job)
        key = (ts, speed_of.tobytes())
        kind = self._kinds.get(key)
        if kind is None:
            acceptable = view.type_set_masks()[ts].astype(np.float64)
            mine = np.flatnonzero(self.sum_per_group(acceptable) > 0)
            speed = self.min_per_group(speed_of)[mine]
            order = np.argsort(-speed, kind="stable")
            top = float(speed_of[acceptable > 0].max(initial=0.0))
            kind = self._kinds[key] = JobKind(ts, acceptable, mine[order], speed[order], speed_of.copy(), top)
        return kind


@dataclass(frozen=True)
class JobKind:
    type_set: int
    acceptable: np.ndarray  # float (P): 1 on the pools the type set may use
    groups: np.ndarray  # the (domain, type) groups it may use, fastest for the job first
    speeds: np.ndarray  # the job's speed on each of them
    speed_of: np.ndarray  # the job's speed on each pool
    top_speed: float  # its fastest pool's


@dataclass
class Wait:
    """The best single-type option later: group `group` has room at `start_s`, the job would
    finish at `finish_s`, and `extra` GPUs of the group are spare then (inf/-1: never)."""

    start_s: float = math.inf
    finish_s: float = math.inf
    group: int = -1
    extra: int = 0


class _Pass:
    """What one pass learns and reuses. Free GPUs only shrink along a pass (pack preempts
    nothing), so a gang size that found no room for a type set rules out larger ones; each
    group's release profile, and when a gang size would have room in each group, hold until
    a placement is taken."""

    def __init__(self, view: ClusterView, groups: TypeGroups):
        self.view = view
        self.groups = groups
        self.no_single: dict[int, int] = {}  # type set -> smallest gang with no single-type room
        self.no_room: dict[int, int] = {}  # type set -> smallest gang with no room at all
        self._profile: dict[int, list] = {}  # group -> [times, GPUs, cumulated GPUs or None]
        self._rooms: dict[tuple[int, int], list[tuple[int, float, int]]] = {}

    def take(self, placement: Placement) -> None:
        view = self.view
        view.take(placement)
        self._rooms.clear()
        if self._profile:  # the view now counts the placement's GPUs free again at its end
            end_s = view.now_s + view.runtime_s(placement)
            for p, gpus in zip(placement.pools.tolist(), placement.gpus.tolist()):
                prof = self._profile.get(int(self.groups.gid[p]))
                if prof is not None:
                    at = int(np.searchsorted(prof[0], end_s, side="right"))
                    prof[0] = np.insert(prof[0], at, end_s)
                    prof[1] = np.insert(prof[1], at, gpus)
                    prof[2] = None

    def profile(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, GPUs free by then) at which running gangs free GPUs of group g, soonest
        first: the view's release profile (placements taken in this pass included)."""
        prof = self._profile.get(g)
        if prof is None:
            times, gpus = self.view.release_profile(self.groups.masks[g])
            prof = self._profile[g] = [times, gpus, None]
        if prof[2] is None:
            prof[2] = np.cumsum(prof[1])
        return prof[0], prof[2]

    def rooms(self, kind: JobKind, n: int) -> list[tuple[int, float, int]]:
        """(group index in kind.groups, when it has room for n GPUs, GPUs spare then) for each
        group of the job's that ever has, if running gangs end as expected."""
        key = (id(kind), n)  # kinds are kept for the run: one per type set and row of speeds
        out = self._rooms.get(key)
        if out is None:
            view = self.view
            group_free = self.groups.sum_per_group(view.free * kind.acceptable)
            out = []
            for k, g in enumerate(kind.groups.tolist()):
                if group_free[g] >= n:  # room now (not when the job had none: only a reservation asks)
                    out.append((k, view.now_s, int(group_free[g]) - n))
                    continue
                times, cum = self.profile(g)
                total = int(group_free[g]) + cum
                i = int(np.searchsorted(total, n))
                if i < times.size:
                    last = int(np.searchsorted(times, times[i], side="right")) - 1  # all that free up then
                    out.append((k, max(float(times[i]), view.now_s), int(total[last]) - n))
            self._rooms[key] = out
        return out


def single_type_placement(
    view: ClusterView, groups: TypeGroups, job: int, cache: _Pass | None = None
) -> Placement | None:
    """Where the gang would go now on one GPU type within one training domain (rule 1 of the
    module docstring), or None if no (domain, type) group has room."""
    n = int(view.jobs.gpus[job])
    if n > view.free_total:
        return None
    kind = groups.kind(view, job)
    if cache is not None and n >= cache.no_single.get(kind.type_set, n + 1):
        return None
    group_free = groups.sum_per_group(view.free * kind.acceptable)[kind.groups]  # fastest first
    ok = np.flatnonzero(group_free >= n)
    if ok.size == 0:
        if cache is not None:
            cache.no_single[kind.type_set] = n
        return None
    best = ok[kind.speeds[ok] == kind.speeds[ok[0]]]  # the fastest with room; then the tightest fit
    g = int(kind.groups[best[np.argmin(group_free[best])]])
    pools, speed_of = groups.pools[g], kind.speed_of
    if pools.size == 1:
        p = int(pools[0])
        return Placement(job, np.array([p]), np.array([n]), float(speed_of[p]))
    free = view.free[pools]
    holds = np.flatnonzero(free >= n)
    if holds.size:
        p = int(pools[holds[np.argmin(free[holds])]])
        return Placement(job, np.array([p]), np.array([n]), float(speed_of[p]))
    order = np.argsort(-free, kind="stable")
    pools, free = pools[order], free[order]
    cum = np.cumsum(free)
    used = int(np.searchsorted(cum, n)) + 1
    gpus = free[:used].copy()
    gpus[-1] -= int(cum[used - 1]) - n
    return Placement(job, pools[:used], gpus, float(speed_of[pools[:used]].min()))


def earliest_single_type(view: ClusterView, groups: TypeGroups, job: int, cache: _Pass | None = None) -> Wait:
    """The single-type option that finishes first if the job waits for room (rule 2): the
    time a group has room, plus the job's run there (remaining work / (gang x the type's
    speed), and any restart overhead it owes: the view's `runtime_s`)."""
    cache = cache or _Pass(view, groups)
    n = int(view.jobs.gpus[job])
    kind = groups.kind(view, job)
    best = Wait()
    for k, start_s, extra in cache.rooms(kind, n):
        speed = float(kind.speeds[k])
        if speed <= 0:
            continue
        g = int(kind.groups[k])
        finish_s = start_s + view.runtime_s(Placement(job, groups.pools[g][:1], np.array([n]), speed))
        if finish_s < best.finish_s:
            best = Wait(start_s, finish_s, g, extra)
    return best


@register_policy("pack")
class PackPolicy:
    def __init__(self, spec: PolicySpec) -> None:
        self.depth = spec.backfill_depth
        self.restart_overhead_s = spec.restart_overhead_s  # paid after a preemption (lost capacity)
        self._groups: TypeGroups | None = None
        self._world = None
        self._n = -1
        self._reservation: Reservation | None = None
        self._blocked_head: int | None = None

    def _setup(self, view: ClusterView) -> None:
        jobs = view.jobs
        self._n = len(jobs)
        # jobs of a fixed gang of whole GPUs; elastic and fractional jobs are placed as the
        # view places them
        self._plain = (jobs.min_gang() == jobs.gpus) & (jobs.milli() >= 1000)

    def choose(
        self, view: ClusterView, job: int, cache: _Pass, res: Reservation | None = None
    ) -> tuple[Placement | None, Wait | None]:
        """(placement to start now, or None; and the single-type wait, when it was weighed).
        With `res`, a mixed placement that would break the reservation is not weighed."""
        if not self._plain[job]:
            return view.find_placement(job), None
        single = single_type_placement(view, self._groups, job, cache)
        if single is not None:
            return single, None
        ts, n = int(view.jobs.type_set[job]), int(view.jobs.gpus[job])
        if n >= cache.no_room.get(ts, n + 1):
            return None, None
        if res is not None and not view.fits(np.array([job]))[0]:
            return None, None  # no room now (a head is told its wait below)
        wait = earliest_single_type(view, self._groups, job, cache)
        if math.isfinite(wait.finish_s):
            # a mixed gang is no faster than the fastest pool less the penalty: if waiting
            # beats even that, the placement need not be looked for
            kind = self._groups.kind(view, job)
            best = kind.top_speed * (1.0 - float(view.world.mixed_gang_penalty))
            if best <= 0 or wait.finish_s <= view.now_s + view.runtime_s(
                Placement(job, self._groups.pools[wait.group][:1], np.array([n]), best)
            ):
                return None, wait
        mixed = view.find_placement(job)
        if mixed is None:
            cache.no_room[ts] = n
            return None, wait
        if res is not None and not keeps_promise(view, res, mixed):
            return None, wait
        if view.now_s + view.runtime_s(mixed) < wait.finish_s:
            return mixed, wait
        return None, wait

    def decide(self, view: ClusterView) -> list[Placement]:
        if self._world is not view.world:
            self._world, self._groups = view.world, TypeGroups(view.world)
        if self._n != len(view.jobs):
            self._setup(view)
        cache = _Pass(view, self._groups)
        if view.quiet and self._blocked_head is not None and view.queue_head(1) == [self._blocked_head]:
            # only arrivals since the last pass: the head still has no room, or a mixed start
            # now would finish later than before (its wait is unchanged); judge the newcomers
            new = set(view.new_jobs)
            fresh = [j for j in view.queue_head(self.depth) if j in new]  # in queue order
            return self._backfill(view, cache, self._blocked_head, None, np.asarray(fresh, dtype=np.int64), [])
        placements: list[Placement] = []
        head: int | None = None
        head_wait: Wait | None = None
        window = view.queue_head(self.depth)
        start, size = 0, self.depth
        batch = window
        while head is None and batch:  # in order while jobs start, as FIFO, beyond the window too
            for job in batch:
                placement, head_wait = self.choose(view, job, cache)
                if placement is None:
                    head = job
                    break
                cache.take(placement)
                placements.append(placement)
                start += 1
            else:
                if len(batch) < size:
                    break  # that was the whole queue
                size *= 4
                batch = view.queue_head(start + size)[start:]
        self._blocked_head = head
        if placements:
            self._reservation = None  # jobs started ahead of the head used GPUs it counted on
        if head is None or start + 1 >= len(window):
            return placements
        # backfill: the rest of the first `backfill_depth` jobs of the queue
        rest = np.asarray(window[start + 1 :], dtype=np.int64)
        return self._backfill(view, cache, head, head_wait, rest, placements)

    def _reserve(self, view: ClusterView, cache: _Pass, head: int, wait: Wait | None) -> Reservation:
        """The head's reservation: on the single-type group it would wait for (`wait`, if this
        pass weighed it), if any group ever has room for it, else the earliest room in any
        domain (EASY backfill's)."""
        if wait is None and self._plain[head]:
            wait = earliest_single_type(view, self._groups, head, cache)
        if wait is not None and math.isfinite(wait.start_s):
            pools = self._groups.masks[wait.group].copy()
            return Reservation(head, view.state_version, wait.start_s, wait.extra, pools)
        return reserve(view, head)

    def _backfill(
        self, view: ClusterView, cache: _Pass, head: int, head_wait: Wait | None, rest: np.ndarray,
        placements: list[Placement],
    ) -> list[Placement]:
        """Start those of `rest` (in order) that pack places now without delaying `head`."""
        if rest.size == 0:
            return placements
        candidates = rest[view.fits(rest)] if rest.size > 4 else rest
        if candidates.size == 0:
            return placements
        res = self._reservation
        if res is None or res.job != head or res.version != view.state_version:
            res = self._reservation = self._reserve(view, cache, head, head_wait)
        for job in may_backfill(view, res, candidates).tolist():
            if view.free_total <= 0:
                break
            placement, _ = self.choose(view, int(job), cache, res)
            if placement is None or not keeps_promise(view, res, placement):
                continue
            charge_spare(view, res, placement)
            cache.take(placement)
            placements.append(placement)
        return placements
