/**
 * `beamline graph PIPELINE`: the direct runner's plan of a pipeline as a picture — every transform it
 * executes, grouped by the fused stage it runs in, with the PCollections between them and how each
 * stage receives its input (forward, by key, to one instance). As Graphviz DOT, and as SVG laid out
 * here in layers (no Graphviz needed): a transform's layer is one more than its producers' deepest.
 */
import type { PipelineGraph } from "../../../sdk/graph";
import type { Exchange, Plan } from "./planner";

/** An edge of the plan: from the producer of a PCollection to one of its consumers. */
interface PlanEdge {
  readonly from: string;
  readonly to: string;
  readonly tag: string;
  /** How the consumer's stage receives it, when the edge enters another stage. */
  readonly exchange: Exchange | null;
}

/** The last segment of a URN that names the transform's kind, e.g. `group_by_key` or `pardo`. */
function kindOf(urn: string): string {
  const parts = urn.split(":");
  return parts.length >= 2 ? parts[parts.length - 2] : urn;
}

function edgesOf(plan: Plan): PlanEdge[] {
  const stageOf = new Map(plan.nodes.map((n) => [n.transform.uniqueName, n.stage]));
  const producer = new Map<string, string>();
  for (const n of plan.nodes) for (const pc of Object.values(n.transform.outputs)) producer.set(pc, n.transform.uniqueName);
  const out: PlanEdge[] = [];
  for (const n of plan.nodes) {
    const to = n.transform.uniqueName;
    for (const [tag, pc] of Object.entries(n.transform.inputs)) {
      const from = producer.get(pc);
      if (from === undefined) continue;
      const entry = stageOf.get(from) !== stageOf.get(to) ? plan.stages[n.stage].inputs.find((i) => i.pcollection === pc)?.exchange ?? "forward" : null;
      out.push({ from, to, tag, exchange: entry });
    }
  }
  return out;
}

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** The plan as Graphviz DOT: a cluster per fused stage; edges between stages labelled with their exchange. */
export function planDot(graph: PipelineGraph, plan: Plan): string {
  const lines = ["digraph pipeline {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const s of plan.stages) {
    lines.push(`  subgraph cluster_${s.id} {`, `    label=${quote(`stage ${s.id}`)};`, '    style="rounded,dashed";');
    for (const name of s.nodes) lines.push(`    ${quote(name)} [label=${quote(`${name}\n${kindOf(graph.transforms[name].urn)}`)}];`);
    lines.push("  }");
  }
  for (const e of edgesOf(plan)) {
    const attrs = [...(e.tag !== "main" && e.tag !== "input" ? [`taillabel=${quote(e.tag)}`] : []), ...(e.exchange ? [`label=${quote(e.exchange)}`, "style=bold"] : [])];
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)}${attrs.length > 0 ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const PALETTE = ["#e3edfb", "#e6f5e3", "#fbeee0", "#f1e6f8", "#e0f4f4", "#f8e3e8"];

/** The plan as a standalone SVG: transforms in layers top to bottom, colored by fused stage. */
export function planSvg(graph: PipelineGraph, plan: Plan): string {
  const edges = edgesOf(plan);
  const layer = new Map<string, number>();
  for (const n of plan.nodes) {
    const name = n.transform.uniqueName;
    const inputs = edges.filter((e) => e.to === name).map((e) => layer.get(e.from) ?? 0);
    layer.set(name, inputs.length === 0 ? 0 : Math.max(...inputs) + 1);
  }
  const rows: string[][] = [];
  for (const n of plan.nodes) (rows[layer.get(n.transform.uniqueName)!] ??= []).push(n.transform.uniqueName);
  const W = 220;
  const H = 44;
  const GAP_X = 40;
  const GAP_Y = 56;
  const width = Math.max(...rows.map((r) => r.length)) * (W + GAP_X) + GAP_X;
  const height = rows.length * (H + GAP_Y) + GAP_Y;
  const pos = new Map<string, { x: number; y: number }>();
  rows.forEach((r, i) => {
    const offset = (width - r.length * (W + GAP_X) + GAP_X) / 2;
    r.forEach((name, j) => pos.set(name, { x: offset + j * (W + GAP_X), y: GAP_Y + i * (H + GAP_Y) }));
  });
  const stageOf = new Map(plan.nodes.map((n) => [n.transform.uniqueName, n.stage]));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
  ];
  for (const e of edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const [x1, y1, x2, y2] = [a.x + W / 2, a.y + H, b.x + W / 2, b.y];
    out.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#555" stroke-width="${e.exchange ? 2.5 : 1.2}" marker-end="url(#arrow)"/>`);
    if (e.exchange) out.push(`<text x="${(x1 + x2) / 2 + 6}" y="${(y1 + y2) / 2}" fill="#a33">${escape(e.exchange)}</text>`);
  }
  for (const [name, p] of pos) {
    const stage = stageOf.get(name)!;
    out.push(
      `<g><title>${escape(`${name} (${graph.transforms[name].urn}), stage ${stage}`)}</title>`,
      `<rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="8" fill="${PALETTE[stage % PALETTE.length]}" stroke="#6a7fa8"/>`,
      `<text x="${p.x + W / 2}" y="${p.y + 18}" text-anchor="middle" font-weight="bold">${escape(name.length > 32 ? `…${name.slice(-31)}` : name)}</text>`,
      `<text x="${p.x + W / 2}" y="${p.y + 34}" text-anchor="middle" fill="#555">${escape(`${kindOf(graph.transforms[name].urn)} · stage ${stage}`)}</text></g>`,
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
