"""The work a fleet is given: training jobs from a generator, a job file or a public trace."""

from __future__ import annotations

from orbitgrid.scenario import LoadedScenario
from orbitgrid.workload.csv_jobs import read_jobs_csv
from orbitgrid.workload.generator import generate_jobs
from orbitgrid.workload.jobs import ANY_GPU, JobTable, concat_jobs

__all__ = ["ANY_GPU", "JobTable", "build_jobs"]


def build_jobs(loaded: LoadedScenario, seed: int) -> JobTable:
    """All the scenario's jobs (generated and from its job file), in arrival order."""
    sc = loaded.scenario
    parts = []
    if sc.workload.generator is not None:
        parts.append(generate_jobs(sc.workload.generator, sc.simulation.duration_h, seed))
    if sc.workload.csv is not None:
        path = loaded.resolve(sc.workload.csv)
        parts.append(read_jobs_csv(path, set(sc.accelerator_table())))
    if sc.workload.trace is not None:
        from orbitgrid.workload.trace_jobs import jobs_from_trace

        table = sc.accelerator_table()
        speeds = {name: acc.bf16_tflops.value for name, acc in table.items() if acc.bf16_tflops.value}
        trace = sc.workload.trace
        jobs, _ = jobs_from_trace(trace, loaded.resolve(trace.file), speeds, sc.workload.reference_gpu,
                                  throughputs_path=loaded.resolve(trace.throughputs) if trace.throughputs else None)
        parts.append(jobs)
    return concat_jobs(parts)
