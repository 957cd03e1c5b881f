/**
 * A pipeline as a picture: its transforms, each with its kind and the fused stage it runs in, and the
 * edges between them with how a stage receives its input (forward, by key, to one instance). As
 * Graphviz DOT, and as SVG laid out here in layers (no Graphviz needed): a transform's layer is one
 * more than its producers' deepest. The direct runner draws its plan with it (`beamline graph`, the web
 * UI); a portable run draws the plain graph, which the runner fuses itself.
 */
import { isPrimitive, type PipelineGraph } from "../../sdk/graph";

/** A transform as a picture shows it. */
export interface PictureNode {
  readonly name: string;
  readonly urn: string;
  /** The last segment of its URN that names its kind, e.g. `group_by_key` or `pardo`. */
  readonly kind: string;
  readonly stage: number;
}

/** An edge: from the producer of a PCollection to one of its consumers. */
export interface PictureEdge {
  readonly from: string;
  readonly to: string;
  readonly tag: string;
  /** How the consumer's stage receives it, when the edge enters another stage. */
  readonly exchange: string | null;
}

/** The transforms in topological order, and the edges between them. */
export interface GraphPicture {
  readonly nodes: readonly PictureNode[];
  readonly edges: readonly PictureEdge[];
}

/** The last segment of a URN that names the transform's kind, e.g. `group_by_key` or `pardo`. */
export function kindOf(urn: string): string {
  const parts = urn.split(":");
  return parts.length >= 2 ? parts[parts.length - 2] : urn;
}

/** The primitive transforms of a plain graph, in order, all in stage 0 (a runner that fuses them itself). */
export function graphPicture(graph: PipelineGraph): GraphPicture {
  const order: string[] = [];
  const visit = (name: string) => {
    const t = graph.transforms[name];
    if (isPrimitive(t)) order.push(name);
    else t.subtransforms.forEach(visit);
  };
  graph.roots.forEach(visit);
  const producer = new Map<string, string>();
  for (const name of order) for (const pc of Object.values(graph.transforms[name].outputs)) producer.set(pc, name);
  const edges: PictureEdge[] = [];
  for (const to of order) {
    for (const [tag, pc] of Object.entries(graph.transforms[to].inputs)) {
      const from = producer.get(pc);
      if (from !== undefined) edges.push({ from, to, tag, exchange: null });
    }
  }
  return { nodes: order.map((name) => ({ name, urn: graph.transforms[name].urn, kind: kindOf(graph.transforms[name].urn), stage: 0 })), edges };
}

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** The picture as Graphviz DOT: a cluster per fused stage; edges between stages labelled with their exchange. */
export function pictureDot(picture: GraphPicture): string {
  const lines = ["digraph pipeline {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const stage of [...new Set(picture.nodes.map((n) => n.stage))]) {
    lines.push(`  subgraph cluster_${stage} {`, `    label=${quote(`stage ${stage}`)};`, '    style="rounded,dashed";');
    for (const n of picture.nodes.filter((x) => x.stage === stage)) lines.push(`    ${quote(n.name)} [label=${quote(`${n.name}\n${n.kind}`)}];`);
    lines.push("  }");
  }
  for (const e of picture.edges) {
    const attrs = [...(e.tag !== "main" && e.tag !== "input" ? [`taillabel=${quote(e.tag)}`] : []), ...(e.exchange ? [`label=${quote(e.exchange)}`, "style=bold"] : [])];
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)}${attrs.length > 0 ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const PALETTE = ["#e3edfb", "#e6f5e3", "#fbeee0", "#f1e6f8", "#e0f4f4", "#f8e3e8"];

/** The picture as a standalone SVG: transforms in layers top to bottom, colored by fused stage. */
export function pictureSvg(picture: GraphPicture): string {
  const { edges } = picture;
  const layer = new Map<string, number>();
  for (const n of picture.nodes) {
    const name = n.name;
    const inputs = edges.filter((e) => e.to === name).map((e) => layer.get(e.from) ?? 0);
    layer.set(name, inputs.length === 0 ? 0 : Math.max(...inputs) + 1);
  }
  const rows: string[][] = [];
  for (const n of picture.nodes) (rows[layer.get(n.name)!] ??= []).push(n.name);
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
  const byName = new Map(picture.nodes.map((n) => [n.name, n]));
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
    const { stage, urn, kind } = byName.get(name)!;
    out.push(
      `<g><title>${escape(`${name} (${urn}), stage ${stage}`)}</title>`,
      `<rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="8" fill="${PALETTE[stage % PALETTE.length]}" stroke="#6a7fa8"/>`,
      `<text x="${p.x + W / 2}" y="${p.y + 18}" text-anchor="middle" font-weight="bold">${escape(name.length > 32 ? `…${name.slice(-31)}` : name)}</text>`,
      `<text x="${p.x + W / 2}" y="${p.y + 34}" text-anchor="middle" fill="#555">${escape(`${kind} · stage ${stage}`)}</text></g>`,
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
