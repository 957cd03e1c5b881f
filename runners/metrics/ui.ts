/**
 * The run's web UI, served from the runner's process (`--ui-port`): one page with the pipeline's plan
 * (transforms grouped in a box per fused stage, laid out in the browser by elkjs, each showing its live
 * rows, rows per second and watermark), live throughput, busy time, backpressure and watermark per
 * transform, the checkpoint history, recent errors and the run's options. Everything is served from
 * here (no CDN; elkjs from node_modules): the page reads `/api/graph` once and polls `/api/status`
 * (JSON) every second. A portable run shows the job as its runner reports it (see `portable/job-view.ts`).
 */
import * as fs from "node:fs";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../sdk/time";
import type { LiveMetrics } from "./live";
import { pathOf, serveHttp, type MetricsServer } from "./server";

/** What the UI shows of a run beyond its live metrics. */
export interface UiRun {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The plan as SVG (laid out on the server; the page's fallback when its own layout fails). */
  readonly graphSvg: string;
  /** The plan as data, laid out by the page. */
  readonly graph: UiGraph;
  /** The run's options, as shown. */
  readonly options: Readonly<Record<string, unknown>>;
  /** A portable run: the job as the runner reports it. */
  readonly job?: () => UiJob;
}

/** A portable job as the UI shows it: the runner, the job's id and state, and its latest messages. */
export interface UiJob {
  readonly runner: string;
  readonly jobId: string;
  /** As the job service reports it: `STOPPED`, `STARTING`, `RUNNING`, `DONE`, `FAILED`, … */
  readonly state: string;
  readonly messages: readonly { readonly at: number; readonly importance: string; readonly text: string }[];
}

/** The plan as the page draws it: transforms with their kind and fused stage, and the edges between them. */
export interface UiGraph {
  readonly nodes: readonly { readonly name: string; readonly kind: string; readonly stage: number }[];
  /** `exchange` names how a stage receives the edge's rows when it enters another stage (forward, by key, …). */
  readonly edges: readonly { readonly from: string; readonly to: string; readonly exchange: string | null }[];
}

/** The browser build of elkjs (layered layout), served at `/assets/elk.js`. */
const elkScript = (): string => fs.readFileSync(require.resolve("elkjs/lib/elk.bundled.js"), "utf8");

/** The run's status as `/api/status` answers it. */
export interface UiStatus {
  readonly pipeline: string;
  readonly state: LiveMetrics["state"];
  readonly startedAt: number;
  readonly now: number;
  readonly restarts: number;
  readonly failures: number;
  readonly errors: LiveMetrics["errors"];
  /** The latest rows sent to dead-letter outputs, oldest first. */
  readonly deadLetters: ReturnType<LiveMetrics["deadLetters"]>;
  readonly checkpoints: { readonly completed: number; readonly failed: number; readonly recent: { readonly durationMs: number; readonly sizeBytes: number }[] };
  /** Per transform, over its instances: totals, instances reporting, and the slowest watermark (ms) when it is a time. */
  readonly transforms: { readonly transform: string; readonly stage: number | null; readonly instances: number; readonly watermark: number | null; readonly rowsIn: number; readonly rowsOut: number; readonly bytesOut: number; readonly processingMs: number; readonly backpressureMs: number; readonly deadLetterRows: number }[];
  readonly options: Readonly<Record<string, unknown>>;
  /** A portable run's job. */
  readonly job?: UiJob;
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
    deadLetters: live.deadLetters(),
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
    ...(run.job ? { job: run.job() } : {}),
  };
}

/** Serves the UI of `live` on `host:port`; its URL is the page. */
export function serveUi(live: LiveMetrics, run: UiRun, port: number, host = "127.0.0.1"): Promise<MetricsServer> {
  const page = uiPage(run.pipeline);
  const elk = elkScript();
  const graph = JSON.stringify(run.graph);
  return serveHttp(
    (req, res) => {
      const p = pathOf(req);
      if (p === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
      else if (p === "/graph.svg") res.writeHead(200, { "content-type": "image/svg+xml" }).end(run.graphSvg);
      else if (p === "/assets/elk.js") res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "max-age=3600" }).end(elk);
      else if (p === "/api/graph") res.writeHead(200, { "content-type": "application/json" }).end(graph);
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
#errors li,#dead-letters td.row{font-family:monospace;white-space:pre-wrap;text-align:left}
#graph svg{display:block} #graph .stage rect{fill:none;stroke:#8a9bb8;stroke-dasharray:5 4} #graph .node rect{stroke:#6a7fa8}
#graph text{font-size:12px} #graph .name{font-weight:bold} #graph .live{fill:#1f6f3f} #graph .edge{fill:none;stroke:#555}
</style></head>
<body>
<header><h1>${escapeHtml(pipeline)}</h1><span id="state">…</span><span id="elapsed"></span><span id="totals"></span></header>
<main>
<section id="job-section" hidden><h2>Job</h2><p id="job"></p><ul id="job-messages"><li class="muted">no messages</li></ul></section>
<section><h2>Plan <span class="muted">(a box per fused stage)</span></h2><div id="graph" class="muted">laying out…</div></section>
<section><h2>Transforms</h2><table id="transforms"><thead><tr><th>transform</th><th>stage</th><th>instances</th><th>rows in</th><th>rows out</th><th>rows/s out</th><th>bytes out</th><th>busy</th><th>backpressure</th><th>dead letters</th><th>watermark</th><th>lag</th></tr></thead><tbody></tbody></table></section>
<section><h2>Checkpoints</h2><p id="checkpoint-summary" class="muted">none</p><table id="checkpoints"><thead><tr><th>#</th><th>took</th><th>size</th></tr></thead><tbody></tbody></table></section>
<section><h2>Recent errors</h2><ul id="errors"><li class="muted">none</li></ul></section>
<section><h2>Dead-letter samples</h2><table id="dead-letters"><thead><tr><th>when</th><th>transform</th><th>row</th></tr></thead><tbody><tr><td class="muted">none</td></tr></tbody></table></section>
<section><h2>Options</h2><table id="options"><tbody></tbody></table></section>
</main>
<script src="/assets/elk.js"></script>
<script>
"use strict";
const PALETTE = ["#e3edfb", "#e6f5e3", "#fbeee0", "#f1e6f8", "#e0f4f4", "#f8e3e8"];
const SVG = "http://www.w3.org/2000/svg";
const svgEl = (name, attrs, parent) => { const e = document.createElementNS(SVG, name); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v)); if (parent) parent.appendChild(e); return e; };
const short = (name) => name.length > 34 ? "…" + name.slice(-33) : name;
const liveText = new Map();
/** Lays the plan out with elkjs (a compound node per fused stage) and draws it as SVG. */
async function drawGraph() {
  const g = await (await fetch("/api/graph")).json();
  const stages = [...new Set(g.nodes.map((n) => n.stage))].sort((a, b) => a - b);
  const layout = await new ELK().layout({
    id: "root",
    layoutOptions: { "elk.algorithm": "layered", "elk.direction": "DOWN", "elk.hierarchyHandling": "INCLUDE_CHILDREN", "elk.layered.spacing.nodeNodeBetweenLayers": "40", "elk.spacing.nodeNode": "24", "elk.padding": "[top=12,left=12,bottom=12,right=12]" },
    children: stages.map((s) => ({ id: "stage " + s, layoutOptions: { "elk.padding": "[top=26,left=12,bottom=12,right=12]" }, children: g.nodes.filter((n) => n.stage === s).map((n) => ({ id: n.name, width: 240, height: 62 })) })),
    edges: g.edges.map((e, i) => ({ id: "e" + i, sources: [e.from], targets: [e.to] })),
  });
  const box = document.getElementById("graph"); box.replaceChildren(); box.className = "";
  const svg = svgEl("svg", { width: layout.width, height: layout.height, viewBox: "0 0 " + layout.width + " " + layout.height }, box);
  svgEl("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#555" }, svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" }, svgEl("defs", {}, svg)));
  const origin = new Map([["root", { x: 0, y: 0 }]]);
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  for (const st of layout.children) {
    const s = Number(st.id.slice(6));
    origin.set(st.id, { x: st.x, y: st.y });
    const sg = svgEl("g", { class: "stage", "data-stage": s }, svg);
    svgEl("rect", { x: st.x, y: st.y, width: st.width, height: st.height, rx: 10 }, sg);
    svgEl("text", { x: st.x + 10, y: st.y + 17, fill: "#4a5d80" }, sg).textContent = st.id;
    for (const n of st.children) {
      const x = st.x + n.x, y = st.y + n.y;
      const ng = svgEl("g", { class: "node", "data-transform": n.id }, svg);
      svgEl("title", {}, ng).textContent = n.id + " (" + byName.get(n.id).kind + "), stage " + s;
      svgEl("rect", { x, y, width: n.width, height: n.height, rx: 8, fill: PALETTE[s % PALETTE.length] }, ng);
      svgEl("text", { x: x + 10, y: y + 18, class: "name" }, ng).textContent = short(n.id);
      svgEl("text", { x: x + 10, y: y + 34, fill: "#555" }, ng).textContent = byName.get(n.id).kind;
      liveText.set(n.id, svgEl("text", { x: x + 10, y: y + 51, class: "live" }, ng));
    }
  }
  for (const e of layout.edges) {
    const o = origin.get(e.container) || { x: 0, y: 0 };
    const info = g.edges[Number(e.id.slice(1))];
    for (const sec of e.sections || []) {
      const pts = [sec.startPoint, ...(sec.bendPoints || []), sec.endPoint].map((p) => (p.x + o.x) + "," + (p.y + o.y));
      svgEl("polyline", { class: "edge", points: pts.join(" "), "stroke-width": info.exchange ? 2.5 : 1.2, "marker-end": "url(#arrow)" }, svg);
      if (info.exchange && info.exchange !== "forward") svgEl("text", { x: sec.endPoint.x + o.x + 6, y: sec.endPoint.y + o.y - 8, fill: "#a33" }, svg).textContent = info.exchange;
    }
  }
}
const fmt = (n) => n >= 1e9 ? (n / 1e9).toFixed(2) + "G" : n >= 1e6 ? (n / 1e6).toFixed(2) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(Math.round(n));
const bytes = (n) => n >= 1e9 ? (n / 1e9).toFixed(2) + " GB" : n >= 1e6 ? (n / 1e6).toFixed(1) + " MB" : n >= 1e3 ? (n / 1e3).toFixed(1) + " kB" : n + " B";
const secs = (ms) => (ms / 1000).toFixed(1) + " s";
const cell = (tr, text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); };
let previous = null;
function render(s) {
  const state = document.getElementById("state");
  state.textContent = s.job ? s.job.state : s.state; state.className = "state-" + s.state;
  if (s.job) {
    document.getElementById("job-section").hidden = false;
    document.getElementById("job").textContent = s.job.runner + " job " + (s.job.jobId || "(not submitted yet)") + " · " + s.job.state;
    if (s.job.messages.length > 0) {
      const list = document.getElementById("job-messages"); list.replaceChildren();
      for (const m of s.job.messages.slice(-20).reverse()) { const li = document.createElement("li"); li.textContent = new Date(m.at).toISOString() + "  [" + m.importance + "] " + m.text; list.appendChild(li); }
    }
  }
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
    const live = liveText.get(t.transform);
    if (live) live.textContent = fmt(t.rowsOut) + " rows" + (before && dt > 0 ? " · " + fmt((t.rowsOut - before.rowsOut) / dt) + "/s" : "") + (t.watermark === null ? "" : " · wm " + new Date(t.watermark).toISOString().slice(11, 19));
  }
  document.getElementById("checkpoint-summary").textContent = s.checkpoints.completed + " completed, " + s.checkpoints.failed + " failed";
  const cps = document.querySelector("#checkpoints tbody"); cps.replaceChildren();
  s.checkpoints.recent.forEach((c, i) => { const tr = document.createElement("tr"); cell(tr, String(s.checkpoints.completed - s.checkpoints.recent.length + i + 1)); cell(tr, c.durationMs + " ms"); cell(tr, bytes(c.sizeBytes)); cps.appendChild(tr); });
  const errors = document.getElementById("errors");
  if (s.errors.length > 0) { errors.replaceChildren(); for (const e of s.errors.slice().reverse()) { const li = document.createElement("li"); li.textContent = new Date(e.at).toISOString() + "  " + e.message; errors.appendChild(li); } }
  if (s.deadLetters.length > 0) {
    const dl = document.querySelector("#dead-letters tbody"); dl.replaceChildren();
    for (const d of s.deadLetters.slice(-10).reverse()) { const tr = document.createElement("tr"); cell(tr, new Date(d.at).toISOString()); cell(tr, d.transform); cell(tr, d.row, "row"); dl.appendChild(tr); }
  }
  const opts = document.querySelector("#options tbody"); opts.replaceChildren();
  for (const [k, v] of Object.entries(s.options)) { const tr = document.createElement("tr"); cell(tr, k); cell(tr, typeof v === "string" ? v : JSON.stringify(v)); opts.appendChild(tr); }
  previous = s;
}
async function poll() {
  try { const r = await fetch("/api/status", { cache: "no-store" }); if (r.ok) render(await r.json()); }
  catch { document.getElementById("state").textContent = "ended (the runner stopped serving)"; return; }
  setTimeout(poll, 1000);
}
drawGraph().catch((e) => { const box = document.getElementById("graph"); box.innerHTML = '<img src="/graph.svg" alt="the plan">'; console.error("layout failed", e); }).finally(poll);
</script>
</body></html>
`;
}
