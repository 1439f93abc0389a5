"""Reserved capacity over spot work: tenants with a reservation get their GPUs back at once,
by preempting spot gangs; everything else runs on what is left, and may be preempted.

What it follows:

* Apache Hadoop YARN's CapacityScheduler with preemption (hadoop.apache.org, "Hadoop: Capacity
  Scheduler", and its ProportionalCapacityPreemptionPolicy): each queue is guaranteed a
  capacity; a queue below its guarantee with work waiting takes containers back from queues
  running beyond theirs, the most recently allocated first.
* Kubernetes pod priority and preemption (kubernetes.io, "Pod Priority and Preemption"): a
  pending pod of a higher PriorityClass evicts pods of lower ones, on the node where the
  fewest and lowest-priority victims make room; pods of equal priority never evict each other.
* Cloud spot / preemptible capacity (e.g. Amazon EC2 Spot Instances, reclaimed when
  on-demand capacity needs them): spot work runs on spare capacity and is interrupted first.

Semantics. `reserved_gpus` maps tenant names to GPUs guaranteed (PolicySpec; a tenant not
listed has none); reserved contracts (scenario `contracts`, economics/ledger.py) add GPUs
over their term only (`set_reservation_terms`): when a term begins or ends, the next pass
judges every job again. At every pass each job is in one of two classes:

* **guaranteed** (class 0): a queued job of a tenant whose running GPUs plus its gang stay
  within the tenant's reservation. Within a pass a tenant's queued jobs are taken in queue
  order (priority, then arrival) and each one counted guaranteed also counts against the
  reservation for those behind it (first fit: a gang too large for what is left is spot,
  a smaller one behind it may still be guaranteed). A running gang is guaranteed if, taking
  its tenant's running gangs by the time their current run began (earliest first, first
  fit), it fits in the reservation.
* **spot** (class 1): every other job: tenants without a reservation, and work beyond a
  tenant's reservation (queued or running).

Guaranteed jobs are served first, first in first out within the class (priority, then
arrival); then spot jobs, the same way. A job that fits in the free GPUs starts there (the
view's usual placement). A guaranteed job that does not fit preempts running spot gangs:
taking them lowest priority and most recently arrived first, the first training domain where
they (with its free GPUs) make room wins, and those of them not needed after all are spared
(`priority_pass.py`, which `sjf` and `las` share: rank = (class, -priority, arrival, job id),
class as above). This is not an exact fewest-victims search: the newest gangs go first. A guaranteed job
never preempts another guaranteed job, and spot work never preempts anything. A job that
finds no room is passed over, and the GPUs go to later jobs (first in first out with
skipping, no reservation and no backfill: a large spot gang can wait long behind a stream of
smaller ones). Preempted gangs keep or lose their work as `workload.on_preemption` says (the
engine does it) and pay `restart_overhead_s` when they start again; they rejoin the queue at
their place and may start again elsewhere in the same pass.

Reservations are not admission control: their sum may exceed the fleet (or what a tenant's
type set can use). Then guaranteed jobs of different tenants wait for one another in queue
order, as they never preempt each other. Reserved tenant names are checked against the
generator's tenants when the scenario loads, and against the job table's tenants (a job
file or a trace) when the run starts: an unknown name is an InputError naming
`policy.reserved_gpus`.

Simplified: a reservation is a count of GPUs of any type the tenant's jobs accept, not a
share of particular pools or types; guarantees are checked per job, not per tenant over
time (no fair share of what is left, no preemption grace period or minimum run time:
YARN's `preemption.max_wait_before_kill` and Kubernetes' graceful termination are instant
here). Cost per pass: a sort of the queued and running jobs, a few numpy passes per reserved
tenant, and `priority_pass.py`'s loop; after a pass that started and stopped nothing, with
only arrivals since, only the newcomers are judged (`_only_arrivals`), unless one of them
would have to preempt.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.errors import InputError, Problem
from orbitgrid.policies.base import ClusterView, Decision
from orbitgrid.policies.priority_pass import priority_pass
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec

GUARANTEED, SPOT = 0, 1


def first_fit(gangs: np.ndarray, room: int) -> np.ndarray:
    """Bool per gang, in the order given: does it fit in what `room` has left once the gangs
    before it that fitted are counted? (Runs of gangs that all fit are taken at once.)"""
    fits = np.zeros(gangs.size, dtype=bool)
    pos = 0
    while room > 0 and pos < gangs.size:
        cum = np.cumsum(gangs[pos:])
        k = int(np.searchsorted(cum, room, side="right"))  # the next k all fit
        if k:
            fits[pos : pos + k] = True
            room -= int(cum[k - 1])
            pos += k
        smaller = np.flatnonzero(gangs[pos:] <= room)  # skip those too large for what is left
        if smaller.size == 0:
            break
        pos += int(smaller[0])
    return fits


def classify(
    view: ClusterView, queued: np.ndarray, running: np.ndarray, held: np.ndarray, reservation: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(guaranteed per queued job, guaranteed per running job, GPUs each tenant runs): see
    the module docstring. `queued` must be in queue order (priority, then arrival), `running`
    ascending, `held` the GPUs each running job holds; `reservation` (one entry per tenant of
    the job table) is in GPUs."""
    jobs = view.jobs
    q_ok = np.zeros(queued.size, dtype=bool)
    r_ok = np.zeros(running.size, dtype=bool)
    tr = jobs.tenant[running]
    used = np.bincount(tr, weights=held, minlength=reservation.size).astype(np.int64)
    tenants = np.flatnonzero(reservation > 0)
    if tenants.size == 0:
        return q_ok, r_ok, used
    tq = jobs.tenant[queued]
    gq = jobs.gpus[queued].astype(np.int64)
    started = view.run_start_s(running) if running.size else np.zeros(0)
    for t in tenants.tolist():
        mine = np.flatnonzero(tr == t)
        if mine.size:
            mine = mine[np.argsort(started[mine], kind="stable")]  # earliest run first (then job id)
            r_ok[mine] = first_fit(held[mine], int(reservation[t]))
        room = int(reservation[t]) - int(used[t])
        if room > 0:
            mine = np.flatnonzero(tq == t)  # in queue order
            if mine.size:
                q_ok[mine] = first_fit(gq[mine], room)
    return q_ok, r_ok, used


@register_policy("reserved")
class ReservedPolicy:
    preemptive = True

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.restart_overhead_s = float(spec.restart_overhead_s)
        self.reserved_gpus = dict(spec.reserved_gpus)
        self.terms: dict[str, np.ndarray] = {}  # tenant -> (k, 3): start_s, end_s, GPUs (contracts)
        self._n = -1
        self._used: np.ndarray | None = None  # GPUs each tenant runs once the last pass applies

    def set_reservation_terms(self, terms: dict[str, list[tuple[float, float, int]]]) -> None:
        """Reservations that hold only over a term (reserved contracts, economics/ledger.py):
        from start_s to end_s a tenant has that many more GPUs guaranteed."""
        self.terms = {t: np.asarray(rows, dtype=np.float64).reshape(-1, 3) for t, rows in terms.items()}
        self._n = -1

    def _reservation_now(self, now_s: float) -> np.ndarray:
        """The base reservation plus the terms running at `now_s`, by tenant index."""
        if not self.terms:
            return self.base_reservation
        extra = np.array([
            float(rows[(rows[:, 0] <= now_s) & (now_s < rows[:, 1]), 2].sum()) if (rows := self.terms.get(t)) is not None else 0.0
            for t in self.tenant_names
        ])
        return self.base_reservation + extra.astype(np.int64)

    def _setup(self, view: ClusterView) -> None:
        jobs = view.jobs
        known = list(jobs.tenants)
        unknown = [name for name in self.reserved_gpus if name not in known]
        if unknown:
            raise InputError([
                Problem("scenario", None, f"policy.reserved_gpus.{name}", f"no job has the tenant {name!r}",
                        "tenants of the jobs: " + ", ".join(sorted(known)))
                for name in unknown
            ])
        n = self._n = len(jobs)
        self.tenant_names = list(jobs.tenants)
        self.base_reservation = np.array([self.reserved_gpus.get(t, 0) for t in jobs.tenants], dtype=np.int64)
        self.reservation = self._reservation_now(view.now_s)
        # each job's place in queue order (priority, then arrival, then job id): fixed
        by_queue = np.lexsort((np.arange(n), jobs.arrival_s, -jobs.priority.astype(np.int64)))
        self.order = np.empty(n, dtype=np.int64)
        self.order[by_queue] = np.arange(n)
        self.rank = np.zeros(n, dtype=np.int64)
        self.klass = np.zeros(n, dtype=np.int64)
        self._used = None

    def decide(self, view: ClusterView) -> Decision:
        jobs = view.jobs
        if self._n != len(jobs):
            self._setup(view)
        if self.terms:
            now = self._reservation_now(view.now_s)
            if not np.array_equal(now, self.reservation):  # a term began or ended: judge everything again
                self.reservation = now
                self._used = None
        if view.quiet and self._used is not None:
            quick = self._only_arrivals(view)
            if quick is not None:
                return quick
        queued = view.queued_jobs()
        if queued.size == 0:
            self._used = None
            return Decision()
        queued = queued[np.argsort(self.order[queued], kind="stable")]  # queue order
        running = view.running_jobs()
        held = view.running_gpus(running)  # an elastic job: the gang it started with
        q_ok, r_ok, used = classify(view, queued, running, held, self.reservation)
        # rank: class (guaranteed, then spot), then queue order; all distinct
        n = self._n
        self.rank[queued] = np.where(q_ok, 0, n) + self.order[queued]
        self.rank[running] = np.where(r_ok, 0, n) + self.order[running]
        self.klass[queued] = np.where(q_ok, GUARANTEED, SPOT)
        self.klass[running] = np.where(r_ok, GUARANTEED, SPOT)
        queued_sorted = np.concatenate([queued[q_ok], queued[~q_ok]])
        starts, preempted = priority_pass(view, queued_sorted, running, self.rank, self.klass, True)
        # what each tenant runs once the decision applies (for the next pass, if quiet)
        if preempted:
            gone = np.asarray(preempted, dtype=np.int64)
            np.subtract.at(used, jobs.tenant[gone], held[np.searchsorted(running, gone)])
        for placement in starts:
            used[jobs.tenant[placement.job]] += int(placement.gpus.sum())
        self._used = used
        started = {p.job for p in starts}
        self._waiting = np.array([j for j in queued[q_ok].tolist() if j not in started], dtype=np.int64)
        return Decision(start=starts, preempt=preempted)

    def _only_arrivals(self, view: ClusterView) -> Decision | None:
        """A pass after one that started and stopped nothing, with only arrivals since: every
        verdict on the jobs that waited then stands (none is closer to a start, none more
        guaranteed), so only the newcomers are judged, in queue order: a spot newcomer starts
        if it fits; a guaranteed one (its tenant's first fit counts the guaranteed jobs still
        waiting ahead of it) too, if it is the only one and fits without preempting. Else
        None: a full pass."""
        jobs = view.jobs
        new = np.asarray(view.new_jobs, dtype=np.int64)
        if new.size:
            queued = view.queued_jobs()
            at = np.minimum(np.searchsorted(queued, new), max(queued.size - 1, 0))
            new = new[queued[at] == new] if queued.size else new[:0]  # not those that failed on arrival
            new = new[np.argsort(self.order[new], kind="stable")]  # queue order
        tenant = jobs.tenant[new]
        guaranteed = np.zeros(new.size, dtype=bool)
        reserved = np.flatnonzero(self.reservation[tenant] > 0)
        if reserved.size:
            waiting = self._waiting
            room = self.reservation - self._used
            for k in reserved.tolist():
                job, t = int(new[k]), int(tenant[k])
                ahead = waiting[(jobs.tenant[waiting] == t) & (self.order[waiting] < self.order[job])]
                gang = int(jobs.gpus[job])
                if int(jobs.gpus[ahead].sum()) + gang <= room[t]:
                    guaranteed[k] = True
                    room[t] -= gang
            if guaranteed.sum() > 1:
                return None
        starts = []
        if guaranteed.any():
            placement = view.find_placement(int(new[guaranteed][0]))
            if placement is None:
                return None  # it would preempt
            view.take(placement)
            starts.append(placement)
        if view.free_total > 0:
            for job in new[~guaranteed].tolist():
                placement = view.find_placement(job)
                if placement is not None:
                    view.take(placement)
                    starts.append(placement)
        if starts:
            self._used = None  # the next pass is a full one
        return Decision(start=starts)
