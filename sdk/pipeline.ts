/**
 * A pipeline under construction: applies transforms, names them uniquely and deterministically, and
 * records the graph plus the runtime objects (DoFns, sources, sinks) runners find by transform name.
 */
import type * as arrow from "apache-arrow";
import { PipelineConstructionError } from "./errors";
import { fingerprint, GraphPCollection, GraphTransform, JsonValue, PipelineGraph } from "./graph";
import { PCollection } from "./pcollection";
import { schemaFromJson, schemaToJson } from "./schema";
import { ExpandContext, OutputSpec, PBegin, PrimitiveSpec, PTransform, PValue, TransformLike } from "./transform";
import { canonicalJson } from "./graph";
import { DEFAULT_WINDOWING, WindowingStrategy } from "./window";

/** URN of a composite that no runner needs to recognise. */
export const COMPOSITE_URN = "beamline:transform:composite:v1";

interface MutableTransform {
  uniqueName: string;
  urn: string;
  payload: JsonValue;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  subtransforms: string[];
  parent: string | null;
  primitive: boolean;
}

/** A pipeline: a graph of transforms over PCollections. */
export class Pipeline {
  private readonly transforms = new Map<string, MutableTransform>();
  private readonly pcollections = new Map<string, GraphPCollection>();
  private readonly schemas = new Map<string, arrow.Schema | null>();
  private readonly strategies = new Map<string, WindowingStrategy>();
  private readonly strategyIds = new Map<string, string>();
  private readonly roots: string[] = [];
  private readonly fns = new Map<string, unknown>();
  private readonly stack: MutableTransform[] = [];
  private readonly begin = new PBegin(this);

  /** Applies a root transform (a source such as `create` or `readText`). */
  apply<O extends PValue>(t: TransformLike<PBegin, O>): O;
  /** Applies a root transform under the given name. */
  apply<O extends PValue>(name: string, t: TransformLike<PBegin, O>): O;
  apply<O extends PValue>(a: string | TransformLike<PBegin, O>, b?: TransformLike<PBegin, O>): O {
    return typeof a === "string" ? this.applyTransform(this.begin, b!, a) : this.applyTransform(this.begin, a);
  }

  /** Applies any transform to any input; `PCollection.apply` lands here. */
  applyTransform<I extends PValue, O extends PValue>(input: I, t: TransformLike<I, O>, name?: string): O {
    const parent = this.stack[this.stack.length - 1] ?? null;
    const label = name ?? (t instanceof PTransform ? t.label : t.name || "Transform");
    const uniqueName = this.uniqueName(parent, label, name !== undefined);
    const node: MutableTransform = {
      uniqueName,
      urn: COMPOSITE_URN,
      payload: null,
      inputs: {},
      outputs: {},
      subtransforms: [],
      parent: parent ? parent.uniqueName : null,
      primitive: false,
    };
    for (const [tag, pc] of pvalueEntries(input, "input")) {
      if (pc.pipeline !== this) {
        throw new PipelineConstructionError({
          code: "BL_FOREIGN_PCOLLECTION",
          where: `transform "${uniqueName}"`,
          value: pc.id,
          rule: "an input PCollection belongs to another Pipeline",
          fix: "build the whole graph on one Pipeline object",
        });
      }
      node.inputs[tag] = pc.id;
    }
    this.transforms.set(uniqueName, node);
    if (parent) parent.subtransforms.push(uniqueName);
    else this.roots.push(uniqueName);

    const ctx: ExpandContext = {
      pipeline: this,
      name: uniqueName,
      primitive: <Tags extends string>(spec: PrimitiveSpec<Tags>) => this.declarePrimitive(node, spec),
      annotate: (urn: string, payload: JsonValue, fn?: unknown) => {
        node.urn = urn;
        node.payload = payload;
        if (fn !== undefined) this.fns.set(uniqueName, fn);
      },
    };
    this.stack.push(node);
    const before = { transforms: new Set(this.transforms.keys()), pcollections: new Set(this.pcollections.keys()) };
    before.transforms.delete(uniqueName);
    let output: O;
    try {
      output = t instanceof PTransform ? t.expand(input, ctx) : t(input, ctx);
    } catch (e) {
      // Roll back what the failed transform added, so the pipeline stays runnable.
      for (const name of [...this.transforms.keys()]) {
        if (!before.transforms.has(name)) {
          this.transforms.delete(name);
          this.fns.delete(name);
        }
      }
      for (const id of [...this.pcollections.keys()]) {
        if (!before.pcollections.has(id)) {
          this.pcollections.delete(id);
          this.schemas.delete(id);
        }
      }
      if (parent) parent.subtransforms.splice(parent.subtransforms.indexOf(uniqueName), 1);
      else this.roots.splice(this.roots.indexOf(uniqueName), 1);
      throw e;
    } finally {
      this.stack.pop();
    }
    if (!node.primitive) {
      if (node.subtransforms.length === 0) {
        throw new PipelineConstructionError({
          code: "BL_EMPTY_TRANSFORM",
          where: `transform "${uniqueName}"`,
          rule: "applied no transform and declared no primitive",
          fix: "return the result of applying transforms to the input from expand()",
        });
      }
      for (const [tag, pc] of pvalueEntries(output, "output")) node.outputs[tag] = pc.id;
    }
    return output;
  }

  private uniqueName(parent: MutableTransform | null, label: string, explicit: boolean): string {
    if (label.includes("/")) {
      throw new PipelineConstructionError({
        code: "BL_BAD_NAME",
        value: label,
        rule: 'transform names may not contain "/" (it separates composite levels)',
        fix: "rename the transform without slashes",
      });
    }
    const prefix = parent ? `${parent.uniqueName}/` : "";
    let name = `${prefix}${label}`;
    if (this.transforms.has(name)) {
      if (explicit) {
        throw new PipelineConstructionError({
          code: "BL_DUPLICATE_NAME",
          value: name,
          rule: "a transform with this name was already applied; names must be unique and stable",
          fix: `give this one another name, e.g. .apply("${label}2", …)`,
        });
      }
      let k = 2;
      while (this.transforms.has(`${prefix}${label}${k}`)) k++;
      name = `${prefix}${label}${k}`;
    }
    return name;
  }

  private declarePrimitive<Tags extends string>(node: MutableTransform, spec: PrimitiveSpec<Tags>): Record<Tags, PCollection<any>> {
    if (node.primitive || node.subtransforms.length > 0) {
      throw new PipelineConstructionError({
        code: "BL_BAD_PRIMITIVE",
        where: `transform "${node.uniqueName}"`,
        rule: "a primitive must declare itself once and apply no other transform",
        fix: "split it into a composite of primitives",
      });
    }
    node.primitive = true;
    node.urn = spec.urn;
    node.payload = spec.payload;
    node.inputs = {};
    for (const [tag, pc] of Object.entries(spec.inputs)) node.inputs[tag] = pc.id;
    if (spec.fn !== undefined) this.fns.set(node.uniqueName, spec.fn);
    const mainInputs = Object.entries(spec.inputs).filter(([tag]) => !tag.startsWith("side:")).map(([, pc]) => pc);
    const out = {} as Record<Tags, PCollection<any>>;
    for (const [tag, o] of Object.entries(spec.outputs) as [Tags, OutputSpec][]) {
      const id = `${node.uniqueName}.${tag}`;
      const windowing = o.windowing ?? (mainInputs[0] ? this.windowingOf(mainInputs[0].id) : DEFAULT_WINDOWING);
      const bounded = o.bounded ?? mainInputs.every((pc) => this.graphPCollection(pc.id).bounded);
      this.pcollections.set(id, {
        id,
        producer: node.uniqueName,
        schema: o.schema ? schemaToJson(o.schema) : null,
        bounded,
        windowing: this.strategyId(windowing),
      });
      this.schemas.set(id, o.schema);
      node.outputs[tag] = id;
      out[tag] = new PCollection(this, id);
    }
    return out;
  }

  private strategyId(w: WindowingStrategy): string {
    const key = canonicalJson(w);
    let id = this.strategyIds.get(key);
    if (!id) {
      id = `w${this.strategyIds.size}`;
      this.strategyIds.set(key, id);
      this.strategies.set(id, w);
    }
    return id;
  }

  /** @internal The graph entry of a PCollection. */
  graphPCollection(id: string): GraphPCollection {
    const pc = this.pcollections.get(id);
    if (!pc) throw new Error(`internal: unknown PCollection ${id}`);
    return pc;
  }

  /** The schema of a PCollection, or null if inferred at run time. */
  schemaOf(id: string): arrow.Schema | null {
    return this.schemas.get(id) ?? null;
  }

  /** The windowing strategy of a PCollection. */
  windowingOf(id: string): WindowingStrategy {
    return this.strategies.get(this.graphPCollection(id).windowing)!;
  }

  /** The runtime object registered for a transform (its DoFn, source, sink…). */
  fn<T = unknown>(transformName: string): T {
    if (!this.fns.has(transformName)) throw new Error(`internal: transform "${transformName}" has no runtime object`);
    return this.fns.get(transformName) as T;
  }

  /** A plain, serializable snapshot of the graph. */
  graph(): PipelineGraph {
    const transforms: Record<string, GraphTransform> = {};
    for (const [name, t] of this.transforms) {
      transforms[name] = {
        uniqueName: t.uniqueName,
        urn: t.urn,
        payload: t.payload,
        inputs: { ...t.inputs },
        outputs: { ...t.outputs },
        subtransforms: [...t.subtransforms],
        parent: t.parent,
      };
    }
    const pcollections: Record<string, GraphPCollection> = {};
    for (const [id, pc] of this.pcollections) pcollections[id] = pc;
    const windowingStrategies: Record<string, WindowingStrategy> = {};
    for (const [id, w] of this.strategies) windowingStrategies[id] = w;
    return JSON.parse(JSON.stringify({ transforms, pcollections, windowingStrategies, roots: this.roots }));
  }

  /** The fingerprint of the graph; equal for equal constructions. */
  fingerprint(): string {
    return fingerprint(this.graph());
  }
}

/** Lists the PCollections in a PValue with their tags. */
export function pvalueEntries(v: PValue, what: string): [string, PCollection<any>][] {
  if (v === undefined || v === null || v instanceof PBegin) return [];
  if (v instanceof PCollection) return [["main", v]];
  if (Array.isArray(v)) return v.map((pc, i) => [String(i), pc]);
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    for (const [tag, pc] of entries) {
      if (!(pc instanceof PCollection)) {
        throw new PipelineConstructionError({
          code: "BL_BAD_PVALUE",
          value: tag,
          rule: `every member of a transform's ${what} must be a PCollection`,
          fix: "return a PCollection, an array or a record of PCollections",
        });
      }
    }
    return entries as [string, PCollection<any>][];
  }
  throw new PipelineConstructionError({
    code: "BL_BAD_PVALUE",
    value: v,
    rule: `a transform's ${what} must be a PCollection, an array or a record of them`,
    fix: "return PCollections from expand()",
  });
}

/** Rebuilds the Arrow schema of a graph PCollection. */
export function graphSchema(pc: GraphPCollection): arrow.Schema | null {
  return pc.schema ? schemaFromJson(pc.schema) : null;
}
