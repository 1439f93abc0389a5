"""Sweeps and Monte Carlo over a scenario (`orbitgrid sweep`, docs/sweep.md).

A sweep file names a base scenario and the values to give fields of it, by their path
(`sites.0.pools.1.count`): a grid, a list of explicit cases, random or Latin-hypercube
samples, and seeds. Every combination is a point; every point is one run folder, written
through the results store. The sweep then writes one table of every point's parameters
and summary (Parquet and DuckDB) and a report page.

    spec.py     the sweep file: pydantic model, one-line errors, values and samples
    apply.py    set a value at a path of the scenario and validate it like the loader does
    points.py   the points: every assignment applied, validated up front, deterministic ids
    shared.py   worlds many points share: built once, read-only, reused or put in Ray's store
    runner.py   running the points: in this process, or as Ray tasks; progress and Ctrl-C
    results.py  the points table from the run folders (Parquet + DuckDB)
    report.py   the sweep's offline report page
    command.py  what `orbitgrid sweep` does, start to finish
"""
