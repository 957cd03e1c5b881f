/**
 * ParDo: the element-wise primitive. Row functions (map, flatMap, filter), DoFns with a lifecycle,
 * tagged outputs and side inputs, and batch functions over whole Arrow RecordBatches all become one
 * primitive, `beamline:transform:pardo:v1`, whose runtime object a runner finds by transform name.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch, PaneInfo } from "./batch";
import type { DoFn, SideInputView } from "./dofn";
import { PipelineConstructionError } from "./errors";
import type { JsonValue } from "./graph";
import type { PCollection } from "./pcollection";
import type { RowSchema } from "./schema";
import { isStateful, type StateSpec, type StateSpecs, type TimeDomain, type TimerSpecs } from "./state";
import { kvTypes } from "./kv";
import { PTransform, type ExpandContext } from "./transform";
import type { Window } from "./window";

/** The URN of Beamline's ParDo. */
export const PARDO_URN = "beamline:transform:pardo:v1";

/** The payload of a {@link PARDO_URN} transform. */
export interface ParDoPayload {
  /** Which kind of function the runtime object holds (`dofn`, `map`, `flatMap`, `filter`, `batch`, `columnar`). */
  readonly kind: ParDoFn["kind"];
  /** Its output tags, `main` first. */
  readonly outputs: string[];
  /** Its side inputs by name: the view's kind and whether it has a default. */
  readonly sideInputs: Readonly<Record<string, { readonly kind: SideInputView<unknown>["kind"]; readonly hasDefault: boolean }>>;
  /** Present and true when the DoFn declares state or timers: runners partition its input by key. */
  readonly stateful?: true;
  /** A stateful DoFn's state cells by name, with their kind. */
  readonly state?: Readonly<Record<string, StateSpec<unknown>["kind"]>>;
  /** A stateful DoFn's timers by name, with their time domain. */
  readonly timers?: Readonly<Record<string, TimeDomain>>;
  /** What a transform built on ParDo adds (expressions, join keys, …). */
  readonly [extra: string]: JsonValue | undefined;
}

/** What a row function may read about its row besides the row itself. */
export interface ElementInfo {
  readonly timestamp: number;
  readonly window: Window;
  readonly pane: PaneInfo;
}

/** Emits whole batches from an internal columnar function. */
export type BatchEmit = (tag: string, batch: ElementBatch) => void;

/** The runtime object of a ParDo. */
export type ParDoFn =
  | { readonly kind: "dofn"; readonly dofn: DoFn<any, any>; readonly sideInputs: Record<string, SideInputView<any>> }
  | { readonly kind: "map"; readonly fn: (row: any, info: ElementInfo) => unknown }
  | { readonly kind: "flatMap"; readonly fn: (row: any, info: ElementInfo) => Iterable<unknown> }
  | { readonly kind: "filter"; readonly fn: (row: any, info: ElementInfo) => boolean }
  | { readonly kind: "batch"; readonly fn: (batch: arrow.RecordBatch) => arrow.RecordBatch }
  | { readonly kind: "columnar"; readonly fn: (batch: ElementBatch, emit: BatchEmit) => void };

/** Options every element-wise transform takes. */
export interface ElementwiseOptions<O> {
  /** The output schema; inferred from the first output rows when absent. */
  readonly schema?: RowSchema<O> | arrow.Schema;
}

/** The Arrow schema of a declared schema option. */
export function arrowSchemaOf(s: RowSchema<unknown> | arrow.Schema | undefined | null): arrow.Schema | null {
  if (!s) return null;
  return "arrow" in s && (s as RowSchema).arrow ? (s as RowSchema).arrow : (s as arrow.Schema);
}

/** A ParDo with its outputs declared up front. */
export class ParDo<I, Tags extends string> extends PTransform<PCollection<I>, Record<Tags, PCollection<any>>> {
  constructor(
    label: string,
    private readonly fn: ParDoFn,
    private readonly outputs: Record<Tags, arrow.Schema | null>,
    private readonly extraPayload: { [k: string]: JsonValue } = {},
  ) {
    super(label);
    if (!("main" in outputs)) {
      throw new PipelineConstructionError({
        code: "BL_NO_MAIN_OUTPUT",
        value: Object.keys(outputs),
        rule: 'a ParDo must have a "main" output',
        fix: 'declare outputs as { main: …, other: … }',
      });
    }
  }

  expand(input: PCollection<I>, ctx: ExpandContext): Record<Tags, PCollection<any>> {
    const inputs: Record<string, PCollection<any>> = { main: input };
    const side: Record<string, ParDoPayload["sideInputs"][string]> = {};
    const stateful = this.fn.kind === "dofn" && isStateful(this.fn.dofn) ? statefulPayload(this.fn.dofn, this.fn.sideInputs, input, ctx.name) : {};
    if (this.fn.kind === "dofn") {
      for (const [name, view] of Object.entries(this.fn.sideInputs)) {
        inputs[`side:${name}`] = view.pcollection;
        side[name] = { kind: view.kind, hasDefault: view.hasDefault };
      }
    }
    return ctx.primitive({
      urn: PARDO_URN,
      payload: { kind: this.fn.kind, outputs: Object.keys(this.outputs), sideInputs: side, ...stateful, ...this.extraPayload } satisfies ParDoPayload as JsonValue,
      inputs,
      outputs: Object.fromEntries(Object.entries(this.outputs).map(([tag, schema]) => [tag, { schema: schema as arrow.Schema | null }])) as Record<
        Tags,
        { schema: arrow.Schema | null }
      >,
      fn: this.fn,
    });
  }
}

/**
 * The payload part of a stateful ParDo: `stateful: true` (runners partition its input by key) and the
 * declared state cells and timers, after checking what a stateful DoFn needs.
 */
function statefulPayload(dofn: DoFn<any, any>, sideInputs: Record<string, SideInputView<any>>, input: PCollection<any>, name: string): Pick<ParDoPayload, "stateful" | "state" | "timers"> {
  const where = `transform "${name}"`;
  const stateSpecs: StateSpecs = dofn.state ?? {};
  const timerSpecs: TimerSpecs = dofn.timers ?? {};
  if (input.schema && !kvTypes(input.schema)) {
    throw new PipelineConstructionError({
      code: "BL_STATEFUL_NOT_KV",
      where,
      value: input.schema.fields.map((f) => f.name),
      rule: "a DoFn with state or timers needs {key, value} rows: state and timers are kept per key",
      fix: "map the rows to { key, value } first",
    });
  }
  if (Object.keys(timerSpecs).length > 0 && typeof dofn.onTimer !== "function") {
    throw new PipelineConstructionError({
      code: "BL_TIMER_WITHOUT_ONTIMER",
      where,
      value: Object.keys(timerSpecs),
      rule: "the DoFn declares timers but no onTimer method to call when they fire",
      fix: "add onTimer(name, ctx) { … } to the DoFn",
    });
  }
  if (Object.keys(sideInputs).length > 0) {
    throw new PipelineConstructionError({
      code: "BL_STATEFUL_SIDE_INPUTS",
      where,
      value: Object.keys(sideInputs),
      rule: "a DoFn with state or timers cannot read side inputs yet",
      fix: "join the side data into the keyed input first (for example with coGroupByKey), or move the side input to a stateless step",
    });
  }
  const bad = [
    ...Object.entries(stateSpecs).filter(([, v]) => !v || typeof v !== "object" || !["value", "bag", "combining", "map", "set", "orderedList"].includes(v.kind)),
    ...Object.entries(timerSpecs).filter(([, v]) => !v || typeof v !== "object" || (v.domain !== "event" && v.domain !== "processing")),
  ].map(([k]) => k);
  if (bad.length > 0) {
    throw new PipelineConstructionError({
      code: "BL_BAD_STATE_SPEC",
      where,
      value: bad,
      rule: "these state or timer declarations are not made with state.* or timer.*",
      fix: "declare state: { n: state.value<number>() } and timers: { t: timer.eventTime() }",
    });
  }
  return {
    stateful: true,
    state: Object.fromEntries(Object.entries(stateSpecs).map(([k, v]) => [k, v.kind])),
    timers: Object.fromEntries(Object.entries(timerSpecs).map(([k, v]) => [k, v.domain])),
  };
}

/** Applies a row function to every row. */
export function map<I, O>(fn: (row: I, info: ElementInfo) => O, options?: ElementwiseOptions<O>): PTransform<PCollection<I>, PCollection<O>> {
  return single<I, O>("Map", { kind: "map", fn }, arrowSchemaOf(options?.schema));
}

/** Applies a function that returns zero or more rows for every row. */
export function flatMap<I, O>(
  fn: (row: I, info: ElementInfo) => Iterable<O>,
  options?: ElementwiseOptions<O>,
): PTransform<PCollection<I>, PCollection<O>> {
  return single<I, O>("FlatMap", { kind: "flatMap", fn }, arrowSchemaOf(options?.schema));
}

/** Keeps the rows for which the predicate is true. The schema is unchanged. */
export function filter<I>(fn: (row: I, info: ElementInfo) => boolean): PTransform<PCollection<I>, PCollection<I>> {
  return new (class extends PTransform<PCollection<I>, PCollection<I>> {
    expand(input: PCollection<I>, ctx: ExpandContext): PCollection<I> {
      return new ParDo<I, "main">("Filter", { kind: "filter", fn }, { main: input.schema }).expand(input, ctx).main;
    }
  })("Filter");
}

/** Applies a function to whole Arrow RecordBatches; the fastest way to run custom columnar code. */
export function mapBatches<I, O>(
  fn: (batch: arrow.RecordBatch) => arrow.RecordBatch,
  options?: ElementwiseOptions<O>,
): PTransform<PCollection<I>, PCollection<O>> {
  return single<I, O>("MapBatches", { kind: "batch", fn }, arrowSchemaOf(options?.schema));
}

/** Options of {@link parDo}. */
export interface ParDoOptions<Tags extends string> {
  /** Schemas of the outputs (`main` plus any tagged ones); null or absent to infer. */
  readonly outputs?: { readonly [K in Tags]?: RowSchema<any> | arrow.Schema | null };
  /** Side inputs by name, read with `ctx.sideInput(name)`. */
  readonly sideInputs?: Record<string, SideInputView<any>>;
}

/**
 * Applies a DoFn with a single main output. A DoFn that declares `state` or `timers` runs keyed over
 * `{key, value}` rows (see sdk/state.ts).
 */
export function parDo<I, O, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(
  dofn: DoFn<I, O, S, Tm>,
  options?: { sideInputs?: Record<string, SideInputView<any>>; schema?: RowSchema<O> | arrow.Schema },
): PTransform<PCollection<I>, PCollection<O>> {
  return single<I, O>("ParDo", { kind: "dofn", dofn, sideInputs: options?.sideInputs ?? {} }, arrowSchemaOf(options?.schema));
}

/** Applies a DoFn with tagged outputs; returns a record of PCollections, `main` among them. */
export function parDoWithOutputs<I, Tags extends string, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(
  dofn: DoFn<I, any, S, Tm>,
  options: ParDoOptions<Tags> & { outputs: { readonly [K in Tags]?: RowSchema<any> | arrow.Schema | null } },
): PTransform<PCollection<I>, Record<Tags | "main", PCollection<any>>> {
  const outputs = { main: null } as Record<Tags | "main", arrow.Schema | null>;
  for (const [tag, s] of Object.entries(options.outputs)) outputs[tag as Tags] = arrowSchemaOf(s as RowSchema<unknown> | null);
  return new ParDo<I, Tags | "main">("ParDo", { kind: "dofn", dofn, sideInputs: options.sideInputs ?? {} }, outputs);
}

/** @internal A ParDo running an internal columnar function (expressions, timestamps, windowing). */
export function columnar<I, O>(
  label: string,
  fn: (batch: ElementBatch, emit: BatchEmit) => void,
  schema: arrow.Schema | null,
  payload: { [k: string]: JsonValue } = {},
): PTransform<PCollection<I>, PCollection<O>> {
  return single<I, O>(label, { kind: "columnar", fn }, schema, payload);
}

function single<I, O>(
  label: string,
  fn: ParDoFn,
  schema: arrow.Schema | null,
  payload: { [k: string]: JsonValue } = {},
): PTransform<PCollection<I>, PCollection<O>> {
  return new (class extends PTransform<PCollection<I>, PCollection<O>> {
    expand(input: PCollection<I>, ctx: ExpandContext): PCollection<O> {
      return new ParDo<I, "main">(label, fn, { main: schema }, payload).expand(input, ctx).main;
    }
  })(label);
}
