"""The dashboard's FastAPI app: pages and a JSON API over one folder of run folders.

`create_app(runs_dir, token=None)` is the factory `orbitgrid serve` hands to uvicorn.
Every read goes through runs.resolve_run (no path outside the runs folder is ever opened)
and every aggregation runs in DuckDB (queries.py). Runs started from the page go to worker
processes (jobs.py). Bad requests get a 4xx with a JSON body {"detail": one clear line}
(pages: a short HTML page) and change nothing. With a token, every request must carry it:
`Authorization: Bearer TOKEN`, or `?token=TOKEN` once (the browser then keeps a cookie).
"""

from __future__ import annotations

import hmac
import io
import json
import math
import re
import shutil
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import duckdb
from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from orbitgrid.dashboard import pages, queries
from orbitgrid.dashboard.jobs import TERMINAL, JobManager
from orbitgrid.dashboard.runs import KEY_FIGURES, RunIndex, RunLookupError, resolve_run, scenario_files
from orbitgrid.errors import InputError
from orbitgrid.results.store import REPORT_NAME, open_run, read_summary

UPLOAD_LIMIT_BYTES = 1024 * 1024  # a scenario file, uploaded or pasted: 1 MiB at most
COOKIE = "orbitgrid_token"
STATIC_DIR = Path(__file__).parent / "static"
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
CSV_BATCH_ROWS = 65_536
SSE_KEEPALIVE_S = 15.0
_SAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")


SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def _swagger_dir() -> Path:
    """Swagger UI's files from the installed swagger-ui-bundle package (no CDN)."""
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def _plotly_js() -> Path:
    """plotly.min.js from the installed plotly package (the same build plotly.py writes)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _api_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def _problems_json(exc: InputError, tmp_dir: Path | None, display: str) -> list[dict[str, Any]]:
    """Problems of a scenario given as text, with the temporary file's name replaced by the
    name the user gave (file, line, field, message, hint, and the one-line text)."""
    out = []
    for p in exc.problems:
        file = p.file
        message = p.message
        if tmp_dir is not None:
            file = file.replace(str(tmp_dir / display), display).replace(str(tmp_dir) + "/", "")
            message = message.replace(str(tmp_dir) + "/", "")
        line = f"{file}:{p.line}" if p.line else file
        what = f"{p.path}: {message}" if p.path else message
        out.append({"file": file, "line": p.line, "field": p.path, "message": message, "hint": p.hint,
                    "text": f"{line}: {what}" + (f" (hint: {p.hint})" if p.hint else "")})
    return out


def _invalid(exc: InputError, tmp_dir: Path | None, display: str) -> JSONResponse:
    """422 with every problem, and as `detail` the first one's line (as `orbitgrid run` prints it)."""
    problems = _problems_json(exc, tmp_dir, display)
    more = f" [and {len(problems) - 1} more]" if len(problems) > 1 else ""
    return JSONResponse({"detail": problems[0]["text"] + more, "problems": problems}, status_code=422)


def _check_scenario(path: Path) -> dict[str, Any]:
    """What `orbitgrid validate` checks: the scenario, then its job file or trace; a short
    description of the fleet. InputError on any problem."""
    from orbitgrid.scenario import load_scenario
    from orbitgrid.workload.csv_jobs import read_jobs_csv

    loaded = load_scenario(path)
    sc = loaded.scenario
    if sc.workload.csv is not None:
        read_jobs_csv(loaded.resolve(sc.workload.csv), set(sc.accelerator_table()))
    if sc.workload.trace is not None:
        from orbitgrid.workload import build_jobs

        build_jobs(loaded, sc.simulation.seed)
    return {"name": sc.name, "sites": len(sc.sites), "gpus": sum(p.count for s in sc.sites for p in s.pools),
            "constellations": len(sc.constellations), "policy": sc.policy.name,
            "duration_h": sc.simulation.duration_h, "seed": sc.simulation.seed}


def _values_differ(values: list[Any]) -> bool:
    first = values[0]
    for v in values[1:]:
        if isinstance(first, float) and isinstance(v, float):
            if math.isnan(first) and math.isnan(v):
                continue
            if not math.isclose(first, v, rel_tol=1e-9, abs_tol=0.0):
                return True
        elif v != first:
            return True
    return False


def compare_rows(summaries: dict[str, dict[str, Any]]) -> list[tuple[str, list[Any], bool]]:
    """(key, value per run, whether they differ) for every summary key any run has, in order."""
    keys: list[str] = []
    for s in summaries.values():
        keys += [k for k in s if k not in keys and k != "run_dir"]
    return [(k, vals, _values_differ(vals)) for k in keys for vals in [[s.get(k) for s in summaries.values()]]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def create_app(runs_dir: Path | str, token: str | None = None, upload_limit_bytes: int = UPLOAD_LIMIT_BYTES,
               max_running: int = 2) -> FastAPI:
    """The dashboard over `runs_dir` (created if missing). With `token`, every request needs it."""
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    index = RunIndex(runs_dir)
    manager = JobManager(runs_dir, max_running=max_running)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await run_in_threadpool(manager.shutdown)

    app = FastAPI(
        title="orbitgrid dashboard",
        version="1",
        description="Runs, figures, tables, orbits and new runs over one folder of orbitgrid run folders. "
                    f"Scenario uploads: at most {upload_limit_bytes:,} bytes. See docs/dashboard.md.",
        lifespan=lifespan,
        docs_url=None,  # served below from the swagger-ui-bundle package: /docs works offline
        redoc_url=None,
    )
    app.state.runs_dir = runs_dir
    app.state.jobs = manager

    # --- guard: token, cross-site posts, body size --------------------------------

    @app.middleware("http")
    async def guard(request: Request, call_next):
        is_api = request.url.path.startswith("/api/") or request.url.path == "/openapi.json"
        from_query = False
        if token is not None:
            auth = request.headers.get("authorization", "")
            supplied = auth[7:] if auth.lower().startswith("bearer ") else None
            if supplied is None and "token" in request.query_params:
                supplied, from_query = request.query_params["token"], True
            if supplied is None:
                supplied = request.cookies.get(COOKIE)
            if supplied is None or not hmac.compare_digest(supplied.encode(), token.encode()):
                message = ("this dashboard needs its token: send 'Authorization: Bearer TOKEN', "
                           "or open the page once with ?token=TOKEN")
                if is_api:
                    return JSONResponse({"detail": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
                return HTMLResponse(pages.error_page(401, message), status_code=401)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            host = request.headers.get("host", "")
            if origin and origin != "null" and origin.split("://", 1)[-1] != host:
                return _api_error(403, f"cross-site request from {origin} refused")
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > upload_limit_bytes + 64 * 1024:
                return _api_error(413, f"request body of {int(length):,} bytes is over the upload limit of "
                                       f"{upload_limit_bytes:,} bytes")
        response = await call_next(request)
        if from_query:
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(RunLookupError)
    async def _lookup(request: Request, exc: RunLookupError):
        if request.url.path.startswith("/api/"):
            return _api_error(exc.status, exc.message)
        return HTMLResponse(pages.error_page(exc.status, exc.message), status_code=exc.status)

    # --- helpers -------------------------------------------------------------------

    def run_dir_of(name: str) -> Path:
        return resolve_run(runs_dir, name)

    def run_meta(folder: Path) -> dict[str, Any]:
        con = open_run(folder)
        try:
            con.execute("SET threads = 2")
            summary = dict(zip([d[0] for d in con.execute("SELECT * FROM summary").description],
                               con.execute("SELECT * FROM summary").fetchone()))
            info = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM run_info").fetchall()}
            figures = queries.available_figures(con, summary)
            tables = sorted(queries.tables_in(con))
        finally:
            con.close()
        return {"name": folder.name, "summary": summary, "run_info": info, "figures": figures, "tables": tables,
                "orbital": summary.get("orbital_gpu_hours_available") is not None,
                "report": (folder / REPORT_NAME).is_file()}

    def picks() -> list[dict[str, Any]]:
        out = [{"id": f"example:{p.name}", "label": f"example: {p.name}", "path": p}
               for p in sorted(EXAMPLES_DIR.glob("*.yaml")) if not p.name.startswith("sweep-")]  # sweeps are not scenarios
        for p in scenario_files(runs_dir):
            rel = p.relative_to(runs_dir).as_posix()
            out.append({"id": f"runs:{rel}", "label": f"runs folder: {rel}", "path": p})
        return out

    def pick_path(pick_id: str) -> Path:
        for p in picks():
            if p["id"] == pick_id:
                return p["path"]
        raise HTTPException(404, f"no scenario {pick_id!r} to pick (hint: GET /api/scenarios lists them)")

    async def scenario_input(text: Optional[str], file: Optional[UploadFile], source: Optional[str]
                             ) -> tuple[Path, str, Path | None]:
        """(path to load, name to show, temporary folder to remove afterwards or None)."""
        if file is not None and file.filename:
            data = await file.read(upload_limit_bytes + 1)
            display = _SAFE_FILE.sub("-", Path(file.filename).name).strip("-.") or "upload.yaml"
        elif text:
            data = text.encode("utf-8")
            display = (pick_path(source).name if source else "pasted.yaml")
        elif source:
            path = pick_path(source)
            return path, str(path.relative_to(runs_dir) if path.is_relative_to(runs_dir) else path.name), None
        else:
            raise HTTPException(422, "give a scenario: a file, its text, or a source to pick")
        if len(data) > upload_limit_bytes:
            raise HTTPException(413, f"the scenario is over the upload limit of {upload_limit_bytes:,} bytes")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(422, f"{display}: not UTF-8 text (byte {exc.start})") from None
        tmp = Path(tempfile.mkdtemp(prefix="orbitgrid-scenario-"))
        (tmp / display).write_bytes(data)
        return tmp / display, display, tmp

    # --- pages ---------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_runs() -> HTMLResponse:
        runs = [r.as_json() for r in index.list()]
        jobs = [j.as_json() for j in manager.running()]
        return HTMLResponse(pages.runs_page(runs, jobs, KEY_FIGURES))

    @app.get("/runs/{name}", response_class=HTMLResponse, include_in_schema=False)
    def page_run(name: str) -> HTMLResponse:
        meta = run_meta(run_dir_of(name))
        s = meta["summary"]
        duration = float(s.get("horizon_h") or s.get("end_h") or 0.0)
        return HTMLResponse(pages.run_page(name, s, meta["run_info"], meta["figures"], meta["tables"],
                                           meta["orbital"], duration, duration / 2000.0 if duration else 1.0))

    @app.get("/runs/{name}/report", include_in_schema=False)
    def page_report(name: str):
        folder = run_dir_of(name)
        if not (folder / REPORT_NAME).is_file():
            return HTMLResponse(pages.error_page(404, f"run {name!r} was written without a report (--no-report)"),
                                status_code=404)
        return FileResponse(folder / REPORT_NAME, media_type="text/html")

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def page_compare(runs: str = "") -> HTMLResponse:
        names = [n for n in runs.split(",") if n]
        if len(names) < 2:
            return HTMLResponse(pages.error_page(400, "compare needs two or more runs: /compare?runs=A,B"), 400)
        summaries = {n: read_summary(run_dir_of(n)) for n in names}
        return HTMLResponse(pages.compare_page(names, compare_rows(summaries)))

    @app.get("/new", response_class=HTMLResponse, include_in_schema=False)
    def page_new(job: Optional[str] = None) -> HTMLResponse:
        return HTMLResponse(pages.new_page([{"id": p["id"], "label": p["label"]} for p in picks()],
                                           upload_limit_bytes, job))

    # --- static ----------------------------------------------------------------------

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():  # browsers ask for it on every page; a 404 would show as a console error
        return FileResponse(_swagger_dir() / "favicon-32x32.png", media_type="image/png",
                            headers={"Cache-Control": "max-age=86400"})

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def page_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title}: API",
                                   swagger_js_url="/static/swagger-ui-bundle.js", swagger_css_url="/static/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon-32x32.png")

    @app.get("/static/{file}", include_in_schema=False)
    def static(file: str):
        if file == "plotly.min.js":
            path = _plotly_js()
        elif file in ("app.js", "app.css"):
            path = STATIC_DIR / file
        elif file in SWAGGER_FILES:
            path = _swagger_dir() / file
        else:
            raise HTTPException(404, f"no static file {file!r}")
        media = {"js": "text/javascript", "css": "text/css", "png": "image/png"}[file.rsplit(".", 1)[-1]]
        return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=3600"})

    # --- API: runs -----------------------------------------------------------------

    @app.get("/api/runs", tags=["runs"], summary="Every run in the folder, newest first, and runs going")
    def api_runs() -> dict[str, Any]:
        return {"runs_dir": str(runs_dir), "runs": [_jsonable(r.as_json()) for r in index.list()],
                "jobs": [j.as_json() for j in manager.running()]}

    @app.get("/api/runs/{name}", tags=["runs"], summary="A run's summary, run info, figure keys and tables")
    def api_run(name: str) -> dict[str, Any]:
        return _jsonable(run_meta(run_dir_of(name)))

    @app.get("/api/runs/{name}/figures/{key}", tags=["runs"],
             summary="One figure as plotly JSON ({data, layout}), aggregated in DuckDB")
    def api_figure(name: str, key: str) -> Response:
        folder = run_dir_of(name)
        con = open_run(folder)
        try:
            con.execute("SET threads = 2")
            summary = dict(zip([d[0] for d in con.execute("SELECT * FROM summary").description],
                               con.execute("SELECT * FROM summary").fetchone()))
            try:
                body = queries.figure_json(con, key, summary)
            except queries.UnknownFigure:
                keys = queries.available_figures(con, summary)
                raise HTTPException(404, f"run {name!r} has no figure {key!r} (hint: one of {', '.join(keys)})") from None
        finally:
            con.close()
        return Response(body, media_type="application/json")

    @app.get("/api/runs/{name}/tables/{table}.csv", tags=["runs"], summary="A results table as CSV (streamed)")
    def api_table_csv(name: str, table: str) -> StreamingResponse:
        folder = run_dir_of(name)
        con = open_run(folder)
        have = queries.tables_in(con)
        if table not in have:
            con.close()
            raise HTTPException(404, f"run {name!r} has no table {table!r} (hint: one of {', '.join(sorted(have))})")
        return StreamingResponse(_csv_stream(con, table), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="{name}_{table}.csv"'})

    @app.get("/api/runs/{name}/orbit", tags=["orbit"],
             summary="Satellites' sub-points, sunlit or in shadow, ground tracks and the terminator at t_h")
    def api_orbit(name: str, t_h: float = Query(0.0, description="hours after the run's start")) -> dict[str, Any]:
        from orbitgrid.dashboard import orbit

        folder = run_dir_of(name)
        try:
            return orbit.snapshot(folder, t_h)
        except InputError as exc:
            status = 404 if exc.problems and exc.problems[0].path == "constellations" else 422
            raise HTTPException(status, exc.first_line()) from None

    @app.get("/api/coastline", tags=["orbit"], summary="Natural Earth 1:110m coastline (lon, lat; null between lines)")
    def api_coastline() -> Response:
        from orbitgrid.catalog.coastlines import coastline_lon_lat

        lon, lat = coastline_lon_lat()
        as_list = lambda a: [None if math.isnan(v) else round(float(v), 3) for v in a]  # noqa: E731
        return Response(json.dumps({"lon": as_list(lon), "lat": as_list(lat)}), media_type="application/json",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/api/runs/{name}/czml", tags=["orbit"], summary="The orbital fleet as CZML for Cesium")
    def api_czml(name: str) -> Response:
        folder = run_dir_of(name)
        try:
            from orbitgrid.export.czml import build_czml
        except ImportError:
            raise HTTPException(501, "CZML export is not available in this installation "
                                     "(orbitgrid.export.czml is missing)") from None
        try:
            doc = build_czml(folder)
        except InputError as exc:
            raise HTTPException(422, exc.first_line()) from None
        return Response(json.dumps(doc), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.czml"'})

    @app.get("/api/compare", tags=["runs"], summary="Two or more runs' summaries side by side, differences flagged")
    def api_compare(runs: str = Query(..., description="run names, comma-separated")) -> dict[str, Any]:
        names = [n for n in runs.split(",") if n]
        if len(names) < 2:
            raise HTTPException(422, "compare needs two or more runs: ?runs=A,B")
        summaries = {n: read_summary(run_dir_of(n)) for n in names}
        return {"runs": names, "rows": [{"key": k, "values": _jsonable(v), "differ": d}
                                        for k, v, d in compare_rows(summaries)]}

    # --- API: scenarios and jobs -----------------------------------------------------

    @app.get("/api/scenarios", tags=["new runs"], summary="Scenarios a run can start from")
    def api_scenarios() -> dict[str, Any]:
        return {"scenarios": [{"id": p["id"], "label": p["label"]} for p in picks()],
                "upload_limit_bytes": upload_limit_bytes}

    @app.get("/api/scenarios/{pick_id:path}", tags=["new runs"], summary="One pickable scenario's text")
    def api_scenario(pick_id: str) -> dict[str, Any]:
        path = pick_path(pick_id)
        return {"id": pick_id, "name": path.name, "text": path.read_text(encoding="utf-8")}

    @app.post("/api/validate", tags=["new runs"], summary="Check a scenario; 422 lists every problem with its line")
    async def api_validate(text: Optional[str] = Form(None), file: Optional[UploadFile] = File(None),
                           source: Optional[str] = Form(None)) -> JSONResponse:
        path, display, tmp = await scenario_input(text, file, source)
        try:
            info = await run_in_threadpool(_check_scenario, path)
        except InputError as exc:
            return _invalid(exc, tmp, display)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        return JSONResponse({"ok": True, "scenario": info})

    @app.post("/api/jobs", tags=["new runs"], status_code=202,
              summary="Validate, then run a scenario in a worker process; 422 with the problems if invalid")
    async def api_start(text: Optional[str] = Form(None), file: Optional[UploadFile] = File(None),
                        source: Optional[str] = Form(None), seed: Optional[int] = Form(None)) -> JSONResponse:
        if seed is not None and not 0 <= seed < 2**63:
            raise HTTPException(422, "seed: must be between 0 and 2^63 - 1")
        path, display, tmp = await scenario_input(text, file, source)
        try:
            await run_in_threadpool(_check_scenario, path)
        except InputError as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            return _invalid(exc, tmp, display)
        try:
            job = manager.start(path, display, seed, cleanup=tmp)
        except RuntimeError as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise HTTPException(429, str(exc)) from None
        return JSONResponse(job.as_json(), status_code=202)

    @app.get("/api/jobs", tags=["new runs"], summary="Runs started from this server")
    def api_jobs() -> dict[str, Any]:
        return {"jobs": [j.as_json() for j in list(manager.jobs.values())]}

    def job_of(job_id: str):
        try:
            return manager.get(job_id)
        except KeyError:
            raise HTTPException(404, f"no job {job_id!r} (hint: GET /api/jobs lists them)") from None

    @app.get("/api/jobs/{job_id}", tags=["new runs"], summary="One job's state and progress")
    def api_job(job_id: str) -> dict[str, Any]:
        return job_of(job_id).as_json()

    @app.post("/api/jobs/{job_id}/cancel", tags=["new runs"], summary="Stop a job: no run folder is left")
    def api_cancel(job_id: str) -> dict[str, Any]:
        job_of(job_id)
        return manager.cancel(job_id).as_json()

    @app.get("/api/jobs/{job_id}/events", tags=["new runs"],
             summary="Server-sent events: 'progress' while it runs, then one of 'done', 'failed', 'cancelled'")
    async def api_events(job_id: str, request: Request) -> StreamingResponse:
        job = job_of(job_id)

        async def stream():
            seen = -1
            while True:
                state = job.as_json()
                seen = job.version if seen != job.version else seen
                event = state["status"] if state["status"] in TERMINAL else "progress"
                yield f"event: {event}\ndata: {json.dumps(state)}\n\n"
                if event != "progress":
                    return
                before = seen
                seen = await run_in_threadpool(manager.wait_change, job, before, SSE_KEEPALIVE_S)
                if await request.is_disconnected():
                    return
                if seen == before:
                    yield ": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return _api_error(exc.status_code, str(exc.detail))
        return HTMLResponse(pages.error_page(exc.status_code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError):
        if request.url.path.startswith("/api/"):
            return _api_error(422, exc.first_line())
        return HTMLResponse(pages.error_page(422, exc.first_line()), status_code=422)

    return app


def _csv_stream(con: duckdb.DuckDBPyConnection, table: str) -> Iterator[bytes]:
    """A table as CSV, batch by batch (memory stays flat for 10^6 rows); closes `con`."""
    import pyarrow.csv as pacsv

    try:
        reader = con.sql(f'SELECT * FROM "{table}"').to_arrow_reader(CSV_BATCH_ROWS)
        buf = io.BytesIO()
        writer = pacsv.CSVWriter(buf, reader.schema)
        for batch in reader:
            writer.write_batch(batch)
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        writer.close()
        if buf.getvalue():
            yield buf.getvalue()
    finally:
        con.close()
