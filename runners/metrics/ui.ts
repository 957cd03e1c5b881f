/**
 * The run's web UI, served from the runner's process (`--ui-port`): one page with the pipeline's plan
 * (an SVG, transforms colored by fused stage), live throughput, busy time, backpressure and watermark
 * per transform, the checkpoint history, recent errors and the run's options. Everything is served
 * from here (no CDN): the page polls `/api/status` (JSON) every second.
 */
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../sdk/time";
import type { LiveMetrics } from "./live";
import { pathOf, serveHttp, type MetricsServer } from "./server";

/** What the UI shows of a run beyond its live metrics. */
export interface UiRun {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The plan as SVG. */
  readonly graphSvg: string;
  /** The run's options, as shown. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The run's status as `/api/status` answers it. */
export interface UiStatus {
  readonly pipeline: string;
  readonly state: LiveMetrics["state"];
  readonly startedAt: number;
  readonly now: number;
  readonly restarts: number;
  readonly failures: number;
  readonly errors: LiveMetrics["errors"];
  readonly checkpoints: { readonly completed: number; readonly failed: number; readonly recent: { readonly durationMs: number; readonly sizeBytes: number }[] };
  /** Per transform, over its instances: totals, instances reporting, and the slowest watermark (ms) when it is a time. */
  readonly transforms: { readonly transform: string; readonly stage: number | null; readonly instances: number; readonly watermark: number | null; readonly rowsIn: number; readonly rowsOut: number; readonly bytesOut: number; readonly processingMs: number; readonly backpressureMs: number; readonly deadLetterRows: number }[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** The status of a run now. */
export function uiStatus(live: LiveMetrics, run: UiRun): UiStatus {
  const totals = live.totals();
  const watermarks = new Map<string, number>();
  const instances = new Map<string, number>();
  for (const r of live.transforms()) {
    instances.set(r.transform, (instances.get(r.transform) ?? 0) + 1);
    if (r.watermark !== undefined) watermarks.set(r.transform, Math.min(watermarks.get(r.transform) ?? Infinity, r.watermark));
  }
  const cp = live.checkpoints();
  const recent = cp.durationsMs.map((durationMs, i) => ({ durationMs, sizeBytes: cp.sizesBytes[i] })).slice(-20);
  return {
    pipeline: run.pipeline,
    state: live.state,
    startedAt: live.startedAt,
    now: Date.now(),
    restarts: live.restarts,
    failures: live.failures,
    errors: live.errors,
    checkpoints: { completed: cp.completed, failed: cp.failed, recent },
    transforms: [...totals].map(([transform, t]) => {
      const wm = watermarks.get(transform);
      return {
        transform,
        stage: live.stageOf.get(transform) ?? null,
        instances: instances.get(transform) ?? 0,
        watermark: wm !== undefined && wm > MIN_TIMESTAMP && wm < MAX_TIMESTAMP ? wm : null,
        rowsIn: t.rowsIn,
        rowsOut: t.rowsOut,
        bytesOut: t.bytesOut,
        processingMs: t.processingMs,
        backpressureMs: t.backpressureMs,
        deadLetterRows: t.deadLetterRows,
      };
    }),
    options: run.options,
  };
}

/** Serves the UI of `live` on `host:port`; its URL is the page. */
export function serveUi(live: LiveMetrics, run: UiRun, port: number, host = "127.0.0.1"): Promise<MetricsServer> {
  const page = uiPage(run.pipeline);
  return serveHttp(
    (req, res) => {
      const p = pathOf(req);
      if (p === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
      else if (p === "/graph.svg") res.writeHead(200, { "content-type": "image/svg+xml" }).end(run.graphSvg);
      else if (p === "/api/status") res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(uiStatus(live, run)));
      else return false;
      return true;
    },
    port,
    host,
    "--ui-port",
  );
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The page: static HTML, its style and its script inline. */
function uiPage(pipeline: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(pipeline)} · Beamline</title>
<style>
body{font:14px/1.4 system-ui,Helvetica,Arial,sans-serif;margin:0;color:#1d2733;background:#f6f8fb}
header{background:#1f3a5f;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0} main{padding:16px 20px;display:grid;gap:16px}
section{background:#fff;border:1px solid #d9e0ea;border-radius:8px;padding:12px 16px;overflow:auto}
h2{font-size:15px;margin:0 0 8px} table{border-collapse:collapse;width:100%} th,td{padding:4px 8px;text-align:right;border-bottom:1px solid #eef1f5;white-space:nowrap}
th:first-child,td:first-child{text-align:left} .state-running{color:#7fd37f} .state-failed{color:#ff8a8a} .muted{color:#6b7785}
#errors li{font-family:monospace;white-space:pre-wrap}
</style></head>
<body>
<header><h1>${escapeHtml(pipeline)}</h1><span id="state">…</span><span id="elapsed"></span><span id="totals"></span></header>
<main>
<section><h2>Plan</h2><div id="graph"><img src="/graph.svg" alt="the pipeline's plan"></div></section>
<section><h2>Transforms</h2><table id="transforms"><thead><tr><th>transform</th><th>stage</th><th>instances</th><th>rows in</th><th>rows out</th><th>rows/s out</th><th>bytes out</th><th>busy</th><th>backpressure</th><th>dead letters</th><th>watermark</th><th>lag</th></tr></thead><tbody></tbody></table></section>
<section><h2>Checkpoints</h2><p id="checkpoint-summary" class="muted">none</p><table id="checkpoints"><thead><tr><th>#</th><th>took</th><th>size</th></tr></thead><tbody></tbody></table></section>
<section><h2>Recent errors</h2><ul id="errors"><li class="muted">none</li></ul></section>
<section><h2>Options</h2><table id="options"><tbody></tbody></table></section>
</main>
<script>
"use strict";
const fmt = (n) => n >= 1e9 ? (n / 1e9).toFixed(2) + "G" : n >= 1e6 ? (n / 1e6).toFixed(2) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(Math.round(n));
const bytes = (n) => n >= 1e9 ? (n / 1e9).toFixed(2) + " GB" : n >= 1e6 ? (n / 1e6).toFixed(1) + " MB" : n >= 1e3 ? (n / 1e3).toFixed(1) + " kB" : n + " B";
const secs = (ms) => (ms / 1000).toFixed(1) + " s";
const cell = (tr, text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); };
let previous = null;
function render(s) {
  const state = document.getElementById("state");
  state.textContent = s.state; state.className = "state-" + s.state;
  document.getElementById("elapsed").textContent = secs(s.now - s.startedAt);
  document.getElementById("totals").textContent = s.restarts + " restarts · " + s.checkpoints.completed + " checkpoints";
  const body = document.querySelector("#transforms tbody"); body.replaceChildren();
  const dt = previous ? (s.now - previous.now) / 1000 : 0;
  for (const t of s.transforms) {
    const before = previous && previous.transforms.find((x) => x.transform === t.transform);
    const tr = document.createElement("tr"); tr.dataset.transform = t.transform;
    cell(tr, t.transform); cell(tr, t.stage === null ? "" : String(t.stage)); cell(tr, String(t.instances));
    cell(tr, fmt(t.rowsIn)); cell(tr, fmt(t.rowsOut), "rows-out");
    cell(tr, before && dt > 0 ? fmt((t.rowsOut - before.rowsOut) / dt) : "");
    cell(tr, bytes(t.bytesOut));
    cell(tr, before && dt > 0 ? Math.round((100 * (t.processingMs - before.processingMs)) / (1000 * dt)) + "%" : secs(t.processingMs));
    cell(tr, secs(t.backpressureMs)); cell(tr, fmt(t.deadLetterRows));
    cell(tr, t.watermark === null ? "" : new Date(t.watermark).toISOString());
    cell(tr, t.watermark === null ? "" : secs(s.now - t.watermark));
    body.appendChild(tr);
  }
  document.getElementById("checkpoint-summary").textContent = s.checkpoints.completed + " completed, " + s.checkpoints.failed + " failed";
  const cps = document.querySelector("#checkpoints tbody"); cps.replaceChildren();
  s.checkpoints.recent.forEach((c, i) => { const tr = document.createElement("tr"); cell(tr, String(s.checkpoints.completed - s.checkpoints.recent.length + i + 1)); cell(tr, c.durationMs + " ms"); cell(tr, bytes(c.sizeBytes)); cps.appendChild(tr); });
  const errors = document.getElementById("errors");
  if (s.errors.length > 0) { errors.replaceChildren(); for (const e of s.errors.slice().reverse()) { const li = document.createElement("li"); li.textContent = new Date(e.at).toISOString() + "  " + e.message; errors.appendChild(li); } }
  const opts = document.querySelector("#options tbody"); opts.replaceChildren();
  for (const [k, v] of Object.entries(s.options)) { const tr = document.createElement("tr"); cell(tr, k); cell(tr, typeof v === "string" ? v : JSON.stringify(v)); opts.appendChild(tr); }
  previous = s;
}
async function poll() {
  try { const r = await fetch("/api/status", { cache: "no-store" }); if (r.ok) render(await r.json()); }
  catch { document.getElementById("state").textContent = "ended (the runner stopped serving)"; return; }
  setTimeout(poll, 1000);
}
poll();
</script>
</body></html>
`;
}
