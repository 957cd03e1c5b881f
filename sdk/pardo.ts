/**
 * ParDo: the element-wise primitive. Row functions (map, flatMap, filter), DoFns with a lifecycle,
 * tagged outputs and side inputs, and batch functions over whole Arrow RecordBatches all become one
 * primitive, `beamline:transform:pardo:v1`, whose runtime object a runner finds by transform name.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch, PaneInfo } from "./batch";
import { DEAD_LETTER_TAG, deadLetterSchema, type DeadLetter, type WithDeadLetters } from "./dead-letter";
import type { DoFn, SideInputView } from "./dofn";
import { failureHandlingPayload, resolveFailureHandling, type DeadLetterLimits, type FailureHandling, type FailureOptions } from "./element-failures";
import { PipelineConstructionError, UnsupportedFeatureError } from "./errors";
import type { JsonValue } from "./graph";
import type { PCollection } from "./pcollection";
import type { RowSchema } from "./schema";
import { isStateful, type StateSpec, type StateSpecs, type TimeDomain, type TimerSpecs } from "./state";
import { kvTypes } from "./kv";
import { PTransform, type ExpandContext } from "./transform";
import type { RetryPolicy } from "./retry";
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
  /** Retries and dead letters, when asked for (the retry policy without its `retryIf` function). */
  readonly failures?: JsonValue;
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

/** The runtime object of a ParDo: its function, and how it handles elements the function throws on. */
export type ParDoFn = (
  | { readonly kind: "dofn"; readonly dofn: DoFn<any, any>; readonly sideInputs: Record<string, SideInputView<any>> }
  | { readonly kind: "map"; readonly fn: (row: any, info: ElementInfo) => unknown }
  | { readonly kind: "flatMap"; readonly fn: (row: any, info: ElementInfo) => Iterable<unknown> }
  | { readonly kind: "filter"; readonly fn: (row: any, info: ElementInfo) => boolean }
  | { readonly kind: "batch"; readonly fn: (batch: arrow.RecordBatch) => arrow.RecordBatch }
  | { readonly kind: "columnar"; readonly fn: (batch: ElementBatch, emit: BatchEmit) => void }
) & { readonly failures?: FailureHandling };

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

/**
 * A ParDo with its outputs declared up front. With dead letters (`withDeadLetter()`, or the option
 * `deadLetter: true`) it has a `deadLetter` output too, in the one dead-letter schema.
 */
export class ParDo<I, Tags extends string> extends PTransform<PCollection<I>, Record<Tags, PCollection<any>>> {
  constructor(
    label: string,
    private readonly fn: ParDoFn,
    private readonly outputs: Record<Tags, arrow.Schema | null>,
    private readonly extraPayload: { [k: string]: JsonValue } = {},
    private readonly failureOptions?: FailureOptions,
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

  /** The same ParDo, routing elements its function throws on to a `deadLetter` output (see {@link FailureOptions}). */
  withDeadLetter(options: DeadLetterLimits & { readonly retry?: RetryPolicy } = {}): ParDo<I, Tags | typeof DEAD_LETTER_TAG> {
    const outputs = this.outputs as Record<Tags | typeof DEAD_LETTER_TAG, arrow.Schema | null>;
    return new ParDo(this.label, this.fn, outputs, this.extraPayload, { ...this.failureOptions, ...options, deadLetter: true });
  }

  /** The same ParDo, retrying an element its function throws on under `policy` first. */
  withRetry(policy: RetryPolicy): ParDo<I, Tags> {
    return new ParDo(this.label, this.fn, this.outputs, this.extraPayload, { ...this.failureOptions, retry: policy });
  }

  expand(input: PCollection<I>, ctx: ExpandContext): Record<Tags, PCollection<any>> {
    const failures = resolveFailureHandling(this.failureOptions, `transform "${ctx.name}"`);
    if (failures) checkFailureHandling(this.fn, this.outputs, failures, ctx.name);
    const outputs: Record<string, arrow.Schema | null> = failures?.deadLetter ? { ...this.outputs, [DEAD_LETTER_TAG]: deadLetterSchema.arrow } : this.outputs;
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
      payload: {
        kind: this.fn.kind,
        outputs: Object.keys(outputs),
        sideInputs: side,
        ...stateful,
        ...(failures ? { failures: failureHandlingPayload(failures) } : {}),
        ...this.extraPayload,
      } satisfies ParDoPayload as JsonValue,
      inputs,
      outputs: Object.fromEntries(Object.entries(outputs).map(([tag, schema]) => [tag, { schema }])) as Record<Tags, { schema: arrow.Schema | null }>,
      fn: failures ? { ...this.fn, failures } : this.fn,
    });
  }
}

/** Refuses failure handling where it cannot work: a stateful DoFn, an internal function, a taken output tag. */
function checkFailureHandling(fn: ParDoFn, outputs: Record<string, unknown>, failures: FailureHandling, name: string): void {
  const where = `transform "${name}"`;
  if (fn.kind === "columnar" || (fn.kind === "dofn" && isStateful(fn.dofn))) {
    throw new UnsupportedFeatureError({
      code: "BL_DEAD_LETTER_UNSUPPORTED",
      where,
      value: fn.kind === "dofn" ? "a DoFn with state or timers" : "a built-in columnar transform",
      rule: "retries and dead letters apply to stateless element-wise functions: a failed attempt of a stateful DoFn may have changed its state",
      fix: "catch errors inside the DoFn and emit bad elements to a tagged output of your own, or move the failing call to a stateless step before it",
    });
  }
  if (failures.deadLetter && DEAD_LETTER_TAG in outputs) {
    throw new PipelineConstructionError({
      code: "BL_DEAD_LETTER_TAG_TAKEN",
      where,
      value: DEAD_LETTER_TAG,
      rule: "the transform declares an output of its own named like the dead-letter output",
      fix: "rename that output",
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

/** Options of an element-wise transform with dead letters. */
export type WithDeadLetterOptions = FailureOptions & { readonly deadLetter: true };

/**
 * A single-output element-wise transform (map, flatMap, filter, mapBatches, parDo). `withDeadLetter()`
 * turns it into one with `{ main, deadLetter }` outputs (as Beam Python's `with_exception_handling`);
 * `withRetry()` retries an element its function throws on first.
 */
export class ElementwiseTransform<I, O> extends PTransform<PCollection<I>, PCollection<O>> {
  constructor(
    label: string,
    private readonly fn: ParDoFn,
    /** The output schema: declared, null to infer, or `input` for the input's. */
    private readonly schema: arrow.Schema | null | "input",
    private readonly payload: { [k: string]: JsonValue } = {},
    private readonly failureOptions?: FailureOptions,
  ) {
    super(label);
  }

  /** @internal The ParDo it expands to over `input`. */
  pardo(input: PCollection<I>): ParDo<I, "main" | typeof DEAD_LETTER_TAG> {
    return new ParDo(this.label, this.fn, { main: this.schema === "input" ? input.schema : this.schema } as Record<"main" | typeof DEAD_LETTER_TAG, arrow.Schema | null>, this.payload, this.failureOptions);
  }

  expand(input: PCollection<I>, ctx: ExpandContext): PCollection<O> {
    return this.pardo(input).expand(input, ctx).main;
  }

  /** The same transform, routing elements its function throws on to a `deadLetter` output instead of failing the run. */
  withDeadLetter(options: DeadLetterLimits & { readonly retry?: RetryPolicy } = {}): DeadLetteredTransform<I, O> {
    return new DeadLetteredTransform(new ElementwiseTransform(this.label, this.fn, this.schema, this.payload, { ...this.failureOptions, ...options, deadLetter: true }));
  }

  /** The same transform, retrying an element its function throws on under `policy` before failing the run. */
  withRetry(policy: RetryPolicy): ElementwiseTransform<I, O> {
    return new ElementwiseTransform(this.label, this.fn, this.schema, this.payload, { ...this.failureOptions, retry: policy });
  }
}

/** An element-wise transform with dead letters: its result is `{ main, deadLetter }`. */
export class DeadLetteredTransform<I, O> extends PTransform<PCollection<I>, WithDeadLetters<O>> {
  constructor(private readonly inner: ElementwiseTransform<I, O>) {
    super(inner.label);
  }

  expand(input: PCollection<I>, ctx: ExpandContext): WithDeadLetters<O> {
    const out = this.inner.pardo(input).expand(input, ctx);
    return { main: out.main, deadLetter: out[DEAD_LETTER_TAG] as PCollection<DeadLetter> };
  }

  /** The same transform, retrying an element its function throws on under `policy` before dead-lettering it. */
  withRetry(policy: RetryPolicy): DeadLetteredTransform<I, O> {
    return new DeadLetteredTransform(this.inner.withRetry(policy));
  }
}

/** Makes an element-wise transform, with dead letters when the options ask for them. */
function elementwise<I, O>(label: string, fn: ParDoFn, schema: arrow.Schema | null | "input", options: FailureOptions | undefined): ElementwiseTransform<I, O> | DeadLetteredTransform<I, O> {
  const t = new ElementwiseTransform<I, O>(label, fn, schema, {}, options);
  return options?.deadLetter === true ? new DeadLetteredTransform(t) : t;
}

/** Applies a row function to every row. */
export function map<I, O>(fn: (row: I, info: ElementInfo) => O, options: ElementwiseOptions<O> & WithDeadLetterOptions): DeadLetteredTransform<I, O>;
/** Applies a row function to every row; `{ deadLetter: true }` routes rows it throws on to a `deadLetter` output. */
export function map<I, O>(fn: (row: I, info: ElementInfo) => O, options?: ElementwiseOptions<O> & FailureOptions & { readonly deadLetter?: false }): ElementwiseTransform<I, O>;
export function map<I, O>(fn: (row: I, info: ElementInfo) => O, options?: ElementwiseOptions<O> & FailureOptions): ElementwiseTransform<I, O> | DeadLetteredTransform<I, O> {
  return elementwise<I, O>("Map", { kind: "map", fn }, arrowSchemaOf(options?.schema), options);
}

/** Applies a function that returns zero or more rows for every row. */
export function flatMap<I, O>(fn: (row: I, info: ElementInfo) => Iterable<O>, options: ElementwiseOptions<O> & WithDeadLetterOptions): DeadLetteredTransform<I, O>;
/** Applies a function that returns zero or more rows for every row; `{ deadLetter: true }` routes rows it throws on aside. */
export function flatMap<I, O>(fn: (row: I, info: ElementInfo) => Iterable<O>, options?: ElementwiseOptions<O> & FailureOptions & { readonly deadLetter?: false }): ElementwiseTransform<I, O>;
export function flatMap<I, O>(fn: (row: I, info: ElementInfo) => Iterable<O>, options?: ElementwiseOptions<O> & FailureOptions): ElementwiseTransform<I, O> | DeadLetteredTransform<I, O> {
  return elementwise<I, O>("FlatMap", { kind: "flatMap", fn }, arrowSchemaOf(options?.schema), options);
}

/** Keeps the rows for which the predicate is true. The schema is unchanged. */
export function filter<I>(fn: (row: I, info: ElementInfo) => boolean, options: WithDeadLetterOptions): DeadLetteredTransform<I, I>;
/** Keeps the rows for which the predicate is true; `{ deadLetter: true }` routes rows it throws on aside. */
export function filter<I>(fn: (row: I, info: ElementInfo) => boolean, options?: FailureOptions & { readonly deadLetter?: false }): ElementwiseTransform<I, I>;
export function filter<I>(fn: (row: I, info: ElementInfo) => boolean, options?: FailureOptions): ElementwiseTransform<I, I> | DeadLetteredTransform<I, I> {
  return elementwise<I, I>("Filter", { kind: "filter", fn }, "input", options);
}

/**
 * Applies a function to whole Arrow RecordBatches; the fastest way to run custom columnar code. With
 * `{ deadLetter: true }`, a batch the function throws on is run again row by row (a batch of one row
 * each), and the rows it still throws on go to the `deadLetter` output.
 */
export function mapBatches<I, O>(fn: (batch: arrow.RecordBatch) => arrow.RecordBatch, options: ElementwiseOptions<O> & WithDeadLetterOptions): DeadLetteredTransform<I, O>;
/** Applies a function to whole Arrow RecordBatches. */
export function mapBatches<I, O>(fn: (batch: arrow.RecordBatch) => arrow.RecordBatch, options?: ElementwiseOptions<O> & FailureOptions & { readonly deadLetter?: false }): ElementwiseTransform<I, O>;
export function mapBatches<I, O>(fn: (batch: arrow.RecordBatch) => arrow.RecordBatch, options?: ElementwiseOptions<O> & FailureOptions): ElementwiseTransform<I, O> | DeadLetteredTransform<I, O> {
  return elementwise<I, O>("MapBatches", { kind: "batch", fn }, arrowSchemaOf(options?.schema), options);
}

/** Options of {@link parDo}. */
export interface ParDoOptions<Tags extends string> {
  /** Schemas of the outputs (`main` plus any tagged ones); null or absent to infer. */
  readonly outputs?: { readonly [K in Tags]?: RowSchema<any> | arrow.Schema | null };
  /** Side inputs by name, read with `ctx.sideInput(name)`. */
  readonly sideInputs?: Record<string, SideInputView<any>>;
}

/** Options of {@link parDo}. */
export interface SingleParDoOptions<O> extends FailureOptions {
  /** Side inputs by name, read with `ctx.sideInput(name)`. */
  readonly sideInputs?: Record<string, SideInputView<any>>;
  /** The output schema; inferred from the first output rows when absent. */
  readonly schema?: RowSchema<O> | arrow.Schema;
}

/**
 * Applies a DoFn with a single main output. A DoFn that declares `state` or `timers` runs keyed over
 * `{key, value}` rows (see sdk/state.ts).
 */
export function parDo<I, O, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(dofn: DoFn<I, O, S, Tm>, options: SingleParDoOptions<O> & { readonly deadLetter: true }): DeadLetteredTransform<I, O>;
/** Applies a DoFn with a single main output; `{ deadLetter: true }` routes rows `process` throws on to a `deadLetter` output. */
export function parDo<I, O, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(dofn: DoFn<I, O, S, Tm>, options?: SingleParDoOptions<O> & { readonly deadLetter?: false }): ElementwiseTransform<I, O>;
export function parDo<I, O, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(dofn: DoFn<I, O, S, Tm>, options?: SingleParDoOptions<O>): ElementwiseTransform<I, O> | DeadLetteredTransform<I, O> {
  return elementwise<I, O>("ParDo", { kind: "dofn", dofn, sideInputs: options?.sideInputs ?? {} }, arrowSchemaOf(options?.schema), options);
}

/** Applies a DoFn with tagged outputs and a `deadLetter` output for the rows `process` throws on. */
export function parDoWithOutputs<I, Tags extends string, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(
  dofn: DoFn<I, any, S, Tm>,
  options: ParDoOptions<Tags> & FailureOptions & { outputs: { readonly [K in Tags]?: RowSchema<any> | arrow.Schema | null }; readonly deadLetter: true },
): ParDo<I, Tags | "main" | typeof DEAD_LETTER_TAG>;
/** Applies a DoFn with tagged outputs; returns a record of PCollections, `main` among them. */
export function parDoWithOutputs<I, Tags extends string, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(
  dofn: DoFn<I, any, S, Tm>,
  options: ParDoOptions<Tags> & FailureOptions & { outputs: { readonly [K in Tags]?: RowSchema<any> | arrow.Schema | null }; readonly deadLetter?: false },
): ParDo<I, Tags | "main">;
export function parDoWithOutputs<I, Tags extends string, S extends StateSpecs = {}, Tm extends TimerSpecs = {}>(
  dofn: DoFn<I, any, S, Tm>,
  options: ParDoOptions<Tags> & FailureOptions & { outputs: { readonly [K in Tags]?: RowSchema<any> | arrow.Schema | null } },
): ParDo<I, string> {
  const outputs = { main: null } as Record<Tags | "main", arrow.Schema | null>;
  for (const [tag, s] of Object.entries(options.outputs)) outputs[tag as Tags] = arrowSchemaOf(s as RowSchema<unknown> | null);
  const { outputs: _o, sideInputs: _s, ...failureOptions } = options;
  return new ParDo<I, Tags | "main">("ParDo", { kind: "dofn", dofn, sideInputs: options.sideInputs ?? {} }, outputs, {}, failureOptions);
}

/** @internal A ParDo running an internal columnar function (expressions, timestamps, windowing). */
export function columnar<I, O>(
  label: string,
  fn: (batch: ElementBatch, emit: BatchEmit) => void,
  schema: arrow.Schema | null,
  payload: { [k: string]: JsonValue } = {},
): PTransform<PCollection<I>, PCollection<O>> {
  return new ElementwiseTransform<I, O>(label, { kind: "columnar", fn }, schema, payload);
}
