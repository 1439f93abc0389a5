"""The pass that priority policies (`sjf`, `las`) share: list scheduling in priority order,
preempting strictly lower-priority gangs when a job cannot otherwise start.

Every job has a `rank` (its place in priority order: smaller runs first, all distinct) and
a `klass` (coarser: ranks sorted ascending have non-decreasing classes). A queued job may
preempt a running gang only of a strictly larger class, so jobs of one class never preempt
one another (Tiresias: FIFO within a queue; SRTF: only a strictly shorter job preempts).

Queued jobs are taken in rank order. A job that fits in the free GPUs starts there (the
view's usual placement). One that does not fit looks for victims among the running gangs
of larger class, lowest priority first, counting in each training domain the GPUs they
hold on pools the job may use; the first domain where free plus freed GPUs reach the gang
size wins (so the victims are the lowest-priority ones that make room), and victims not
needed after all are spared, highest priority first. A job that finds no room is passed
over (no reservation); the GPUs go to the next job. Preempted gangs rejoin the candidates
at their own rank, so one that fits elsewhere starts again in the same pass.

Cost per pass: the sorts, O(1) per queued job passed over (a gang size that found no
room for a type set rules out larger ones of that set behind it: free plus preemptible
GPUs only shrink along the pass), and O(running) per job that preempts.
"""

from __future__ import annotations

import heapq

import numpy as np

from orbitgrid.policies.base import ClusterView, Placement


def priority_pass(
    view: ClusterView,
    queued: np.ndarray,
    running: np.ndarray,
    rank: np.ndarray,
    klass: np.ndarray,
    preempt: bool,
) -> tuple[list[Placement], list[int]]:
    """Start and preempt in priority order. `queued` must be sorted by `rank`; `rank` and
    `klass` are indexed by job (only the entries of `queued` and `running` are read).
    Returns (placements, preempted jobs); the view has taken and preempted them."""
    jobs = view.jobs
    min_gang = view.min_gang()
    starts: list[Placement] = []
    preempted: list[int] = []
    victims = _Victims(view, running[np.argsort(-rank[running], kind="stable")] if preempt else running[:0])
    neg_class = -klass[victims.jobs]  # non-decreasing: victims of larger class come first
    no_room: dict[int, int] = {}  # type set -> smallest gang size that found no room
    again: list[tuple[int, int]] = []  # preempted gangs, to try again: (rank, job)
    order = queued.tolist()
    i = 0
    while True:
        if again and (i >= len(order) or again[0][0] < rank[order[i]]):
            job = heapq.heappop(again)[1]
        elif i < len(order):
            job = order[i]
            i += 1
        else:
            break
        n = int(min_gang[job])  # an elastic job needs room for its smallest gang only
        ts = int(jobs.type_set[job])
        if n >= no_room.get(ts, n + 1):
            continue
        m = int(np.searchsorted(neg_class, -klass[job], side="left"))  # victims of larger class
        if view.free_total <= 0 and m == 0:
            break  # nothing free, nothing to preempt, for this job and every later one
        if n > view.free_total + victims.upper_bound(m):
            no_room[ts] = n
            continue
        placement = view.find_placement(job) if n <= view.free_total else None
        if placement is None and m:
            chosen = victims.choose(job, m)
            if chosen:
                for v in chosen:
                    view.preempt(v)
                    preempted.append(v)
                    heapq.heappush(again, (int(rank[v]), v))
                placement = view.find_placement(job)
                if placement is None:  # cannot happen: the chosen domain has room now
                    raise AssertionError(f"job {job}: no placement after preempting {chosen}")
        if placement is None:
            no_room[ts] = n
            continue
        view.take(placement)
        starts.append(placement)
    return starts, preempted


class _Victims:
    """The running gangs a pass may preempt, lowest priority first, with what each holds."""

    def __init__(self, view: ClusterView, victims: np.ndarray):
        self.view = view
        self.jobs = victims
        self.alive = np.ones(victims.size, dtype=bool)
        # GPUs held by the first k victims (those preempted in the pass still counted: a bound)
        self.cum_gpus = np.concatenate([[0], np.cumsum(view.running_gpus(victims))])
        self._pos: np.ndarray | None = None  # (job, pool, GPUs) rows of their gangs
        self._usable: dict[int, np.ndarray] = {}  # type set -> GPUs each holds on its pools

    def upper_bound(self, m: int) -> int:
        return int(self.cum_gpus[m])

    def _rows(self) -> None:
        job, self._pool, self._gpus = self.view.running_pieces()
        by_id = np.argsort(self.jobs)
        self._pos = by_id[np.searchsorted(self.jobs[by_id], job)]  # victim index of each row
        self.domain = np.zeros(self.jobs.size, dtype=np.int64)
        self.domain[self._pos] = self.view.world.domain[self._pool]  # a gang is within one domain

    def choose(self, job: int, m: int) -> list[int] | None:
        """The gangs among the first `m` to stop so that `job` fits: those of the training
        domain where the fewest lowest-priority gangs make room, less any not needed after
        all (highest priority spared first). None if no domain has room."""
        view, jobs = self.view, self.view.jobs
        if self._pos is None:
            self._rows()
        ts = int(jobs.type_set[job])
        mask = view.type_set_masks()[ts]
        usable = self._usable.get(ts)
        if usable is None:
            usable = self._usable[ts] = np.bincount(
                self._pos, weights=self._gpus * mask[self._pool], minlength=self.jobs.size
            ).astype(np.int64)
        idx = np.flatnonzero((usable[:m] > 0) & self.alive[:m])
        if idx.size == 0:
            return None
        n = int(view.min_gang()[job])
        ok_pools = np.flatnonzero(mask)
        free_in = np.bincount(view.world.domain[ok_pools], weights=view.free[ok_pools], minlength=view.world.n_domains)
        dom, got = self.domain[idx], usable[idx]
        # GPUs freed in each victim's domain by it and the lower-priority ones before it
        by_dom = np.argsort(dom, kind="stable")
        run = np.cumsum(got[by_dom])
        first = np.r_[True, dom[by_dom][1:] != dom[by_dom][:-1]]
        run -= np.repeat(run[first] - got[by_dom][first], np.diff(np.r_[np.flatnonzero(first), dom.size]))
        freed = np.empty_like(run)
        freed[by_dom] = run
        enough = free_in[dom] + freed >= n
        if not enough.any():
            return None
        k = int(np.argmax(enough))
        d = dom[k]
        members = [(int(idx[j]), int(got[j])) for j in range(k + 1) if dom[j] == d]
        need, total, chosen = n - int(free_in[d]), int(freed[k]), []
        for pos, g in reversed(members):
            if total - g >= need:
                total -= g  # not needed after all
            else:
                chosen.append(pos)
        self.alive[chosen] = False
        return [int(self.jobs[pos]) for pos in reversed(chosen)]
