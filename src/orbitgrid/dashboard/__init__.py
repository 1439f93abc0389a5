"""The web dashboard behind `orbitgrid serve`: pages and a JSON API over a folder of runs.

`create_app(runs_dir, token=None)` builds the FastAPI app (app.py). Each module has one job:
runs.py finds run folders and resolves names safely, queries.py aggregates a run in DuckDB
into small figure JSON, orbit.py places a run's satellites at a time, jobs.py runs scenarios
in worker processes, pages.py writes the HTML.
"""


def create_app(*args, **kwargs):
    """`orbitgrid.dashboard.app.create_app`, imported on first use (FastAPI loads only then)."""
    from orbitgrid.dashboard.app import create_app as make

    return make(*args, **kwargs)
