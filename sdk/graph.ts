/**
 * The pipeline graph: a plain, JSON-serializable description of a pipeline, with a fingerprint.
 * Runners work from this alone (URNs and payloads); user functions are found by transform name.
 */
import { createHash } from "node:crypto";
import type { SchemaJson } from "./schema/arrow-type";
import type { WindowingStrategy } from "./window";

/** JSON values, the only things a payload may hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** One transform: a primitive (no subtransforms) or a composite. */
export interface GraphTransform {
  /** The unique, stable name: the names of its enclosing composites and its own, joined by "/". */
  readonly uniqueName: string;
  /** What it does, e.g. `beam:transform:group_by_key:v1` or `beamline:transform:pardo:v1`. */
  readonly urn: string;
  /** Its parameters, as JSON. */
  readonly payload: JsonValue;
  /** Local input tags to PCollection ids. Side inputs use tags starting with `side:`. */
  readonly inputs: Record<string, string>;
  /** Local output tags to PCollection ids. */
  readonly outputs: Record<string, string>;
  /** Unique names of direct subtransforms (composites only), in application order. */
  readonly subtransforms: string[];
  /** The enclosing composite, or null at top level. */
  readonly parent: string | null;
}

/** One PCollection. */
export interface GraphPCollection {
  readonly id: string;
  /** The transform that produces it. */
  readonly producer: string;
  /** Its Arrow schema, or null when it is inferred from the data at run time. */
  readonly schema: SchemaJson | null;
  /** Whether it is finite. */
  readonly bounded: boolean;
  /** Id of its windowing strategy in {@link PipelineGraph.windowingStrategies}. */
  readonly windowing: string;
}

/** A whole pipeline. */
export interface PipelineGraph {
  readonly transforms: Record<string, GraphTransform>;
  readonly pcollections: Record<string, GraphPCollection>;
  readonly windowingStrategies: Record<string, WindowingStrategy>;
  /** Top-level transforms, in application order. */
  readonly roots: string[];
}

/** Deterministic JSON: object keys sorted. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
      return out;
    }
    return v;
  });
}

/** The SHA-256 fingerprint of a graph: equal graphs, equal fingerprints, whatever the key order. */
export function fingerprint(graph: PipelineGraph): string {
  return createHash("sha256").update(canonicalJson(graph)).digest("hex");
}

/** Whether a transform is a primitive (has no subtransforms). */
export function isPrimitive(t: GraphTransform): boolean {
  return t.subtransforms.length === 0;
}

/** Transforms in topological order of their leaves' data dependencies; composites are skipped. */
export function primitivesInOrder(graph: PipelineGraph): GraphTransform[] {
  const out: GraphTransform[] = [];
  const visit = (name: string) => {
    const t = graph.transforms[name];
    if (isPrimitive(t)) out.push(t);
    else t.subtransforms.forEach(visit);
  };
  graph.roots.forEach(visit);
  return out; // application order is already a topological order: inputs exist before use
}

/** Consumers of each PCollection: transform name and input tag, leaves only. */
export function consumers(graph: PipelineGraph, leaves: readonly GraphTransform[]): Map<string, { transform: string; tag: string }[]> {
  const m = new Map<string, { transform: string; tag: string }[]>();
  for (const id of Object.keys(graph.pcollections)) m.set(id, []);
  for (const t of leaves) {
    for (const [tag, pc] of Object.entries(t.inputs)) m.get(pc)!.push({ transform: t.uniqueName, tag });
  }
  return m;
}
