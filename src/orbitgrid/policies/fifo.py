"""First in, first out: start queued jobs in order; the first that does not fit blocks the rest.

The baseline of every scheduling study (and the default of most batch systems before
backfilling; Feitelson et al., "Parallel job scheduling: a status report", JSSPP 2004).
"""

from __future__ import annotations

from orbitgrid.policies.base import ClusterView, Placement
from orbitgrid.policies.registry import register_policy
from orbitgrid.scenario import PolicySpec


@register_policy("fifo")
class FifoPolicy:
    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.restart_overhead_s = spec.restart_overhead_s  # paid after a preemption (lost capacity)
        self._blocked_head: int | None = None

    def decide(self, view: ClusterView) -> list[Placement]:
        if view.quiet and view.queue_head(1) == [self._blocked_head]:
            return []  # only arrivals behind a head that still does not fit
        placements: list[Placement] = []
        start, size = 0, 4  # the head is usually blocked: look a little way at first
        while True:
            batch = view.queue_head(start + size)[start:]
            size *= 4
            if not batch:
                self._blocked_head = None
                return placements
            for job in batch:
                placement = view.find_placement(job)
                if placement is None:
                    self._blocked_head = job
                    return placements
                view.take(placement)
                placements.append(placement)
            start += len(batch)
