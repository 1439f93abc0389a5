// orbitgrid dashboard: the little behaviour each page needs. No framework, no CDN.
"use strict";

const PLOT_CONFIG = { displaylogo: false, responsive: true };

async function getJSON(url, options) {
  // a GET the page asked for before plotly.js loaded (pages.py: PREFETCH) is taken once
  const early = !options && window.PREFETCH ? window.PREFETCH[url] : undefined;
  if (early) delete window.PREFETCH[url];
  const r = await (early || fetch(url, options));
  let body = null;
  try { body = await r.json(); } catch (e) { body = { detail: r.statusText }; }
  if (!r.ok) { const err = new Error(body.detail || r.statusText); err.status = r.status; err.body = body; throw err; }
  return body;
}

function exportButtons() {
  for (const b of document.querySelectorAll("button.export-png, button.export-svg")) {
    b.addEventListener("click", () => {
      const div = document.getElementById(b.dataset.fig);
      const format = b.classList.contains("export-png") ? "png" : "svg";
      const run = document.body.dataset.run || "figure";
      Plotly.downloadImage(div, { format: format, filename: run + "_" + b.dataset.fig, width: 1200, height: 600 });
    });
  }
}

// --- runs list --------------------------------------------------------------------

function runsPage() {
  const table = document.getElementById("runs-table");
  const tbody = table.tBodies[0];
  const filter = document.getElementById("runs-filter");
  const compare = document.getElementById("compare-button");
  let sortKey = null, ascending = true;
  for (const th of table.querySelectorAll("th[data-sort]")) {
    th.addEventListener("click", () => {
      ascending = sortKey === th.dataset.sort ? !ascending : true;
      sortKey = th.dataset.sort;
      const col = th.cellIndex, numeric = th.dataset.type === "number";
      const rows = Array.from(tbody.rows);
      rows.sort((a, b) => {
        const va = a.cells[col].dataset.value, vb = b.cells[col].dataset.value;
        let c;
        if (numeric) {
          const na = va === "" ? -Infinity : parseFloat(va), nb = vb === "" ? -Infinity : parseFloat(vb);
          c = na - nb;
        } else { c = va.localeCompare(vb); }
        return ascending ? c : -c;
      });
      for (const r of rows) tbody.appendChild(r);
      for (const h of table.querySelectorAll("th[data-sort]")) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  }
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const r of tbody.rows) {
      const text = r.textContent.toLowerCase();
      r.style.display = words.every(w => text.includes(w)) ? "" : "none";
    }
  });
  const picked = () => Array.from(document.querySelectorAll("input.compare-pick:checked")).map(c => c.value);
  for (const c of document.querySelectorAll("input.compare-pick")) {
    c.addEventListener("change", () => { compare.disabled = picked().length < 2; });
  }
  compare.addEventListener("click", () => {
    const names = picked();
    if (names.length >= 2) window.location.href = "/compare?runs=" + names.map(encodeURIComponent).join(",");
  });
}

// --- run page ---------------------------------------------------------------------

let coastline = null;

function webglAvailable() {
  try {
    const c = document.createElement("canvas");
    return !!(window.WebGLRenderingContext && (c.getContext("webgl") || c.getContext("experimental-webgl")));
  } catch (e) { return false; }
}

function orbitTraces(snap) {
  return [
    { type: "scattergeo", mode: "lines", name: "coastline", lon: coastline.lon, lat: coastline.lat,
      line: { width: 0.6, color: "rgb(150,150,150)" }, hoverinfo: "skip", showlegend: false },
    { type: "scattergeo", mode: "lines", name: "terminator", lon: snap.terminator.lon, lat: snap.terminator.lat,
      line: { width: 2, color: "#444", dash: "dash" }, hoverinfo: "skip" },
    { type: "scattergeo", mode: "lines", name: "ground tracks (one orbit ahead)", lon: snap.tracks.lon,
      lat: snap.tracks.lat, line: { width: 1, color: "rgba(99,110,250,0.45)" }, hoverinfo: "skip" },
    { type: "scattergeo", mode: "markers", name: "sunlit", lon: snap.sunlit.lon, lat: snap.sunlit.lat,
      text: snap.sunlit.constellation, marker: { size: 5, color: "#f5a623" },
      hovertemplate: "%{text}<br>%{lat:.2f}°, %{lon:.2f}°<extra>sunlit</extra>" },
    { type: "scattergeo", mode: "markers", name: "in shadow", lon: snap.in_shadow.lon, lat: snap.in_shadow.lat,
      text: snap.in_shadow.constellation, marker: { size: 5, color: "#2c3e70" },
      hovertemplate: "%{text}<br>%{lat:.2f}°, %{lon:.2f}°<extra>in shadow</extra>" },
    { type: "scattergeo", mode: "markers", name: "sub-solar point", lon: [snap.subsolar.lon], lat: [snap.subsolar.lat],
      marker: { size: 12, color: "#ffd700", symbol: "star", line: { color: "#a67c00", width: 1 } } },
  ];
}

function geoLayout(projection, title, extra) {
  return Object.assign({
    title: { text: title },
    height: projection === "orthographic" ? 560 : 520,
    margin: { l: 10, r: 10, t: 60, b: 10 },
    legend: { orientation: "h", y: -0.02 },
    geo: {
      projection: { type: projection }, showcoastlines: false, showland: false, showcountries: false,
      showocean: false, showlakes: false, showrivers: false, showframe: true,
      lataxis: { showgrid: true, dtick: 30 }, lonaxis: { showgrid: true, dtick: 30 },
    },
  }, extra || {});
}

async function drawOrbit(run, t_h, hasGlobe) {
  const snap = await getJSON(`/api/runs/${encodeURIComponent(run)}/orbit?t_h=${t_h}`);
  document.getElementById("time-label").textContent = snap.time_utc + " (" + (+snap.t_h).toFixed(2) + " h)";
  const n = snap.sunlit.lat.length + snap.in_shadow.lat.length;
  const title = `${n} satellites at ${snap.time_utc}: ${snap.sunlit.lat.length} sunlit, ${snap.in_shadow.lat.length} in shadow`;
  await Plotly.react("fig-orbit-map", orbitTraces(snap), geoLayout("natural earth", title), PLOT_CONFIG);
  if (hasGlobe) {
    const globe = geoLayout("orthographic", "Globe (drag to turn)");
    globe.geo.projection.rotation = { lon: snap.subsolar.lon, lat: Math.max(-60, Math.min(60, snap.subsolar.lat)) };
    const old = document.getElementById("fig-globe");
    if (old.layout && old.layout.geo && old.layout.geo.projection && old.layout.geo.projection.rotation) {
      globe.geo.projection.rotation = old.layout.geo.projection.rotation;  // keep the user's view
    }
    await Plotly.react("fig-globe", orbitTraces(snap), globe, PLOT_CONFIG);
  }
  return snap;
}

async function runPage() {
  const run = document.body.dataset.run;
  exportButtons();
  const tasks = [];
  for (const div of document.querySelectorAll("div.figure[data-key]")) {
    tasks.push(getJSON(`/api/runs/${encodeURIComponent(run)}/figures/${div.dataset.key}`)
      .then(fig => Plotly.newPlot(div, fig.data, fig.layout, PLOT_CONFIG))
      .catch(err => { div.innerHTML = `<p class="error">${err.message}</p>`; }));
  }
  const slider = document.getElementById("time-slider");
  if (slider) {
    const globeDiv = document.getElementById("fig-globe");
    const hasGlobe = webglAvailable();
    if (!hasGlobe) {
      globeDiv.innerHTML = '<p id="globe-unavailable">The 3-D globe needs WebGL, which this browser does not offer.</p>';
    }
    tasks.push(getJSON("/api/coastline").then(c => { coastline = c; return drawOrbit(run, 0, hasGlobe); })
      .then(snap => { slider.step = Math.max(+slider.step, snap.step_h); })
      .catch(err => { document.getElementById("fig-orbit-map").innerHTML = `<p class="error">${err.message}</p>`; }));
    let pending = null, busy = false;
    const update = async () => {
      if (busy) return;
      busy = true;
      while (pending !== null) {
        const t = pending; pending = null;
        try { await drawOrbit(run, t, hasGlobe); } catch (err) { document.getElementById("time-label").textContent = err.message; }
      }
      busy = false;
    };
    slider.addEventListener("input", () => { pending = slider.value; update(); });
  }
  await Promise.all(tasks);
  document.body.dataset.ready = "1";
}

// --- compare ----------------------------------------------------------------------

function comparePage() {
  const box = document.getElementById("only-diff");
  box.addEventListener("change", () => {
    for (const r of document.querySelectorAll("#compare-table tbody tr")) {
      r.style.display = box.checked && !r.classList.contains("differs") ? "none" : "";
    }
  });
}

// --- new run ----------------------------------------------------------------------

function newPage() {
  const pick = document.getElementById("scenario-pick");
  const fileInput = document.getElementById("scenario-file");
  const text = document.getElementById("scenario-text");
  const errors = document.getElementById("errors");
  const bar = document.getElementById("progress-bar");
  const status = document.getElementById("progress-status");
  const detail = document.getElementById("progress-detail");
  const result = document.getElementById("result");
  const startBtn = document.getElementById("start-button");
  const cancelBtn = document.getElementById("cancel-button");
  let source = "", fileName = null, jobId = null, events = null;

  pick.addEventListener("change", async () => {
    source = pick.value;
    fileName = null;
    fileInput.value = "";
    if (!source) return;
    const s = await getJSON("/api/scenarios/" + encodeURIComponent(source));
    text.value = s.text;
    showProblems([]);
  });
  fileInput.addEventListener("change", async () => {
    const f = fileInput.files[0];
    if (!f) return;
    source = ""; pick.value = ""; fileName = f.name;
    text.value = await f.text();
    showProblems([]);
  });

  function form() {
    const fd = new FormData();
    if (fileName) fd.append("file", new Blob([text.value], { type: "application/x-yaml" }), fileName);
    else fd.append("text", text.value);
    if (source) fd.append("source", source);
    const seed = document.getElementById("seed").value;
    if (seed !== "") fd.append("seed", seed);
    return fd;
  }

  function markLine(line) {
    const lines = text.value.split("\n");
    let start = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1] || "").length);
    const lh = parseFloat(getComputedStyle(text).lineHeight) || 16;
    text.scrollTop = Math.max(0, (line - 4) * lh);
  }

  function showProblems(problems, okText) {
    errors.innerHTML = "";
    for (const p of problems) {
      const li = document.createElement("li");
      li.className = "error";
      li.dataset.line = p.line == null ? "" : String(p.line);
      li.dataset.field = p.field || "";
      li.textContent = p.text;
      if (p.line) li.addEventListener("click", () => markLine(p.line));
      errors.appendChild(li);
    }
    if (okText) { const li = document.createElement("li"); li.className = "ok"; li.textContent = okText; errors.appendChild(li); }
    if (problems.length && problems[0].line) markLine(problems[0].line);
  }

  function problemsOf(err) {
    if (err.body && err.body.problems) return err.body.problems;
    return [{ line: null, field: "", text: err.message }];
  }

  document.getElementById("validate-button").addEventListener("click", async () => {
    try {
      const r = await getJSON("/api/validate", { method: "POST", body: form() });
      const s = r.scenario;
      showProblems([], `ok: ${s.name}, ${s.sites} site(s), ${s.gpus.toLocaleString()} GPUs` +
        (s.constellations ? `, ${s.constellations} constellation(s)` : "") + `, policy ${s.policy}, ${s.duration_h} h`);
    } catch (err) { showProblems(problemsOf(err)); }
  });

  function setState(job) {
    bar.value = job.fraction;
    detail.textContent = job.end_h ? `${job.sim_h.toFixed(1)} / ${job.end_h.toFixed(1)} h simulated, ${job.events.toLocaleString()} events` : "";
    status.textContent = job.status;
    const over = ["done", "failed", "cancelled"].includes(job.status);
    cancelBtn.disabled = over;
    startBtn.disabled = !over;
    if (job.status === "done") {
      bar.value = 1;
      result.innerHTML = "";
      const a = document.createElement("a");
      a.id = "open-result"; a.href = "/runs/" + encodeURIComponent(job.run); a.textContent = "open " + job.run;
      result.appendChild(a);
    } else if (job.status === "failed") {
      result.textContent = job.message || "failed";
    } else if (job.status === "cancelled") {
      result.textContent = "cancelled: no run folder written";
    }
  }

  function watch(id) {
    jobId = id;
    if (events) events.close();
    events = new EventSource(`/api/jobs/${id}/events`);
    const handler = ev => {
      const job = JSON.parse(ev.data);
      setState(job);
      if (ev.type !== "progress") { events.close(); events = null; }
    };
    for (const name of ["progress", "done", "failed", "cancelled"]) events.addEventListener(name, handler);
    events.onerror = () => {
      // the stream broke (server restart, proxy): fall back to one poll
      if (events) { events.close(); events = null; }
      getJSON(`/api/jobs/${id}`).then(setState).catch(() => {});
    };
  }

  startBtn.addEventListener("click", async () => {
    result.textContent = "";
    try {
      const job = await getJSON("/api/jobs", { method: "POST", body: form() });
      showProblems([]);
      setState(job);
      watch(job.id);
    } catch (err) { showProblems(problemsOf(err)); status.textContent = "failed"; }
  });
  cancelBtn.addEventListener("click", async () => {
    if (!jobId) return;
    try { setState(await getJSON(`/api/jobs/${jobId}/cancel`, { method: "POST" })); } catch (err) { result.textContent = err.message; }
  });
  if (document.body.dataset.job) {
    getJSON(`/api/jobs/${document.body.dataset.job}`).then(job => { setState(job); if (!["done", "failed", "cancelled"].includes(job.status)) watch(job.id); });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "runs") runsPage();
  else if (page === "run") runPage();
  else if (page === "compare") comparePage();
  else if (page === "new") newPage();
});
