"""GPU sharing: fractional-GPU jobs packed onto whole GPUs of a pool.

A fractional job (JobTable.gpu_milli below 1000, a gang of one) uses that many thousandths
of one GPU, as the pods of Alibaba's 2023 GPU-sharing trace do (Weng et al., "Beware of
Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent",
USENIX ATC 2023). A shared GPU is opened (it becomes allocated, a whole GPU) when a
fractional job finds no open GPU of its pool with room, and closed when its last job
leaves. A job goes to the open GPU whose room fits it most tightly (best fit), so a pool's
GPUs fragment as the trace's mix of shares comes and goes; jobs do not move between GPUs.
Jobs sharing a GPU do not slow each other (no interference model).
"""

from __future__ import annotations

MILLI = 1000


class SharedGpus:
    """Open shared GPUs per pool: each GPU's free thousandths and the jobs on it."""

    def __init__(self, n_pools: int):
        self.free: list[list[int]] = [[] for _ in range(n_pools)]  # per pool, per open GPU
        self.jobs: list[list[list[int]]] = [[] for _ in range(n_pools)]
        self.where: dict[int, tuple[int, int]] = {}  # job -> (pool, index of its GPU)
        self.milli_of: dict[int, int] = {}
        self._with_room = 0  # open GPUs with some room left: read on every scheduling pass

    def best_fit(self, pool: int, milli: int) -> int:
        """Index of the open GPU of `pool` with the least room that still holds `milli`; -1 if none."""
        best, best_free = -1, MILLI + 1
        for i, f in enumerate(self.free[pool]):
            if milli <= f < best_free:
                best, best_free = i, f
        return best

    def max_room(self, pool: int) -> int:
        """The most thousandths any open GPU of the pool has free (0 if none is open)."""
        return max(self.free[pool], default=0)

    def has_room(self) -> bool:
        """Whether any open shared GPU of any pool has room left."""
        return self._with_room > 0

    def _set_free(self, pool: int, i: int, free: int) -> None:
        """Set a GPU's free thousandths (-1: closed), keeping the count of GPUs with room."""
        self._with_room += (free > 0) - (self.free[pool][i] > 0)
        self.free[pool][i] = free

    def place(self, job: int, pool: int, milli: int) -> bool:
        """Put the job on the best-fitting open GPU of the pool, or on a newly opened one.
        Returns True when a GPU was opened (the caller allocates it)."""
        i = self.best_fit(pool, milli)
        opened = i < 0
        if opened:
            i = self._open(pool)
        self._set_free(pool, i, self.free[pool][i] - milli)
        self.jobs[pool][i].append(job)
        self.where[job] = (pool, i)
        self.milli_of[job] = milli
        return opened

    def release(self, job: int) -> tuple[int, bool]:
        """Take the job off its GPU. Returns (pool, whether the GPU closed: the caller frees it)."""
        pool, i = self.where.pop(job)
        self.jobs[pool][i].remove(job)
        closed = not self.jobs[pool][i]
        # a closed slot (-1) stays, empty, for the next GPU this pool opens
        self._set_free(pool, i, -1 if closed else self.free[pool][i] + self.milli_of[job])
        del self.milli_of[job]
        return pool, closed

    def open_gpus(self, pool: int) -> list[list[int]]:
        """The jobs on each open GPU of the pool."""
        return [jobs for jobs in self.jobs[pool] if jobs]

    def _open(self, pool: int) -> int:
        for i, f in enumerate(self.free[pool]):
            if f < 0:  # a closed slot
                self._set_free(pool, i, MILLI)
                return i
        self.free[pool].append(-1)
        self.jobs[pool].append([])
        self._set_free(pool, len(self.free[pool]) - 1, MILLI)
        return len(self.free[pool]) - 1
