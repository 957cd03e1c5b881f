/**
 * TestStream: a source scripted as a sequence of events — elements with timestamps, watermark
 * advances, processing-time advances — that drives a run deterministically, as Beam's TestStream
 * does. A stream may have several outputs (tags), each with its own watermark, like Beam's tagged
 * TestStream events. On the direct runner processing time is a simulated clock that starts at 0 and
 * moves only when a stream says so, so tests of triggers and timers never sleep; several TestStreams
 * in one pipeline share that clock, each script being a timeline of its own that starts at 0: at each
 * instant the streams deliver their events in pipeline order, and the clock moves to the earliest
 * time a stream advances to once every stream got there or ended (see the direct runner's
 * `execution/simulated-clock.ts`).
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../sdk/batch";
import { GLOBAL_WINDOWS } from "../../sdk/batch";
import { PipelineConstructionError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import { arrowSchemaOf } from "../../sdk/pardo";
import type { PCollection } from "../../sdk/pcollection";
import { rowsToRecordBatch } from "../../sdk/rows";
import { inferSchema, RowSchema } from "../../sdk/schema";
import { READ_URN, type BoundedSource, type SourceChunk } from "../../sdk/source";
import type { TimestampedValue } from "../../sdk/state";
import { durationMs, formatTimestamp, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../sdk/time";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";

export type { TimestampedValue } from "../../sdk/state";

/** A value with an event timestamp (ms, or a Date), for {@link TestStream.addElements}. */
export function timestamped<T>(value: T, timestamp: number | Date): TimestampedValue<T> {
  const ts = timestamp instanceof Date ? timestamp.getTime() : timestamp;
  return { value, timestamp: ts, [TIMESTAMPED]: true } as TimestampedValue<T>;
}

const TIMESTAMPED = Symbol("beamline.timestamped");

function isTimestamped<T>(x: T | TimestampedValue<T>): x is TimestampedValue<T> {
  return typeof x === "object" && x !== null && (x as { [TIMESTAMPED]?: boolean })[TIMESTAMPED] === true;
}

/** The output tag of a TestStream with one output. */
export const TEST_STREAM_MAIN_TAG = "main";

/** One scripted event; elements and watermarks belong to one output tag. */
export type TestStreamEvent<T> =
  | { readonly kind: "elements"; readonly tag: string; readonly elements: readonly TimestampedValue<T>[] }
  | { readonly kind: "watermark"; readonly tag: string; readonly to: number }
  | { readonly kind: "processingTime"; readonly advanceBy: number };

/** A script under construction: its events and each tag's current watermark. Immutable. */
class Script {
  constructor(
    readonly events: readonly TestStreamEvent<any>[],
    private readonly watermarks: ReadonlyMap<string, number>,
  ) {}

  watermarkOf(tag: string): number {
    return this.watermarks.get(tag) ?? MIN_TIMESTAMP;
  }

  /** Beam's rule: timestamps in [min, max) — an element at +infinity could never be on time. */
  addElements(tag: string, elements: readonly unknown[]): Script {
    const items = elements.map((e) => (isTimestamped(e) ? { value: e.value, timestamp: e.timestamp } : { value: e, timestamp: this.watermarkOf(tag) }));
    for (const it of items) {
      if (!Number.isFinite(it.timestamp) || it.timestamp < MIN_TIMESTAMP || it.timestamp >= MAX_TIMESTAMP) {
        throw new PipelineConstructionError({
          code: "BL_TEST_STREAM_TIMESTAMP",
          value: it.timestamp,
          rule: `element timestamps must be finite ms at or after ${MIN_TIMESTAMP} and before ${MAX_TIMESTAMP} (+infinity)`,
          fix: "pass timestamped(value, ms) with a timestamp before +infinity (the end of the global window is the latest useful one)",
        });
      }
    }
    return new Script([...this.events, { kind: "elements", tag, elements: items }], this.watermarks);
  }

  advanceWatermarkTo(tag: string, to: number | Date, toInfinity = false): Script {
    const ms = to instanceof Date ? to.getTime() : to;
    const current = this.watermarkOf(tag);
    if (!(ms >= current)) {
      throw new PipelineConstructionError({
        code: "BL_TEST_STREAM_WATERMARK_BACKWARDS",
        value: ms,
        rule: `the watermark may only advance; it is already at ${formatTimestamp(current)}`,
        fix: "advance to a time at or after the previous watermark",
      });
    }
    if (ms >= MAX_TIMESTAMP && !toInfinity) {
      throw new PipelineConstructionError({
        code: "BL_TEST_STREAM_WATERMARK_INFINITY",
        value: ms,
        rule: "advanceWatermarkTo takes a time before +infinity",
        fix: "call advanceWatermarkToInfinity() to end the stream's data",
      });
    }
    const watermarks = new Map(this.watermarks).set(tag, ms);
    return new Script([...this.events, { kind: "watermark", tag, to: ms }], watermarks);
  }

  advanceProcessingTime(by: number | string): Script {
    const ms = durationMs(by);
    if (!(ms > 0)) {
      throw new PipelineConstructionError({
        code: "BL_TEST_STREAM_PROCESSING_TIME",
        value: by,
        rule: "processing time advances by a positive duration",
        fix: 'pass a duration such as 60000 or "1m"',
      });
    }
    return new Script([...this.events, { kind: "processingTime", advanceBy: ms }], this.watermarks);
  }
}

/** Declared schemas of a TestStream's outputs, by tag. */
type Schemas = Readonly<Record<string, RowSchema<any> | arrow.Schema | undefined>>;

/**
 * Declares the primitive of a script with outputs `tags`: each output's schema is declared or
 * inferred from its elements.
 */
function expandScript(script: Script, tags: readonly string[], schemas: Schemas, ctx: ExpandContext): Record<string, PCollection<any>> {
  const outputs: Record<string, { schema: arrow.Schema; bounded: false }> = {};
  for (const tag of tags) {
    const values = script.events.flatMap((e) => (e.kind === "elements" && e.tag === tag ? e.elements.map((x) => x.value) : []));
    let schema = arrowSchemaOf(schemas[tag]);
    if (!schema) {
      if (values.length === 0) {
        throw new PipelineConstructionError({
          code: "BL_CANNOT_INFER_SCHEMA",
          where: ctx.name,
          value: tag,
          rule: `a TestStream output without elements has no schema to infer`,
          fix: "declare it: testStream({ schema: schema({ ... }) }), or taggedTestStream(tags, { schemas: { tag: schema({ ... }) } })",
        });
      }
      schema = inferSchema(values, `${ctx.name} (${tag})`);
    }
    outputs[tag] = { schema, bounded: false };
  }
  const batches = script.events.map((e) => (e.kind === "elements" ? rowsToRecordBatch(e.elements.map((x) => x.value), outputs[e.tag].schema, ctx.name) : null));
  return ctx.primitive({
    urn: READ_URN,
    payload: { source: "test_stream", tags: [...tags], events: script.events.map((e) => describe(e)) },
    inputs: {},
    outputs,
    fn: new TestStreamSource(script.events, batches, tags),
  });
}

function describe<T>(e: TestStreamEvent<T>): JsonValue {
  if (e.kind === "elements") return { kind: e.kind, tag: e.tag, count: e.elements.length, timestamps: e.elements.map((x) => x.timestamp) };
  return e.kind === "watermark" ? { kind: e.kind, tag: e.tag, to: e.to } : { kind: e.kind, advanceBy: e.advanceBy };
}

/**
 * A scripted stream with one output. Build it with `testStream<T>()` and the chained event methods;
 * apply it to a pipeline like any source. Elements given without a timestamp take the stream's
 * current watermark. The stream ends with the watermark at infinity, whether or not the script says so.
 *
 * @example
 * const scores = p.apply(testStream<{ team: string; score: number }>()
 *   .advanceWatermarkTo(0)
 *   .addElements(timestamped({ team: "blue", score: 3 }, 3_000))
 *   .advanceProcessingTime("10m")
 *   .advanceWatermarkToInfinity());
 */
export class TestStream<T> extends PTransform<PBegin, PCollection<T>> {
  private constructor(
    private readonly steps: Script,
    private readonly schema: RowSchema<T> | arrow.Schema | undefined,
  ) {
    super("TestStream");
  }

  /** An empty script; the schema is inferred from the elements unless declared. */
  static create<T>(options?: { schema?: RowSchema<T> | arrow.Schema }): TestStream<T> {
    return new TestStream<T>(new Script([], new Map()), options?.schema);
  }

  /** The scripted events, in order. */
  get script(): readonly TestStreamEvent<T>[] {
    return this.steps.events;
  }

  /** Adds elements; bare values take the current watermark as their timestamp. */
  addElements(...elements: (T | TimestampedValue<T>)[]): TestStream<T> {
    return new TestStream<T>(this.steps.addElements(TEST_STREAM_MAIN_TAG, elements), this.schema);
  }

  /** Advances the watermark (ms or a Date, before +infinity); it may not move back. */
  advanceWatermarkTo(to: number | Date): TestStream<T> {
    return new TestStream<T>(this.steps.advanceWatermarkTo(TEST_STREAM_MAIN_TAG, to), this.schema);
  }

  /** Advances the watermark to infinity: every window fires its final pane. */
  advanceWatermarkToInfinity(): TestStream<T> {
    return new TestStream<T>(this.steps.advanceWatermarkTo(TEST_STREAM_MAIN_TAG, MAX_TIMESTAMP, true), this.schema);
  }

  /** Advances the simulated processing-time clock by a positive duration (ms or "5m"). */
  advanceProcessingTime(by: number | string): TestStream<T> {
    return new TestStream<T>(this.steps.advanceProcessingTime(by), this.schema);
  }

  expand(_input: PBegin, ctx: ExpandContext): PCollection<T> {
    return expandScript(this.steps, [TEST_STREAM_MAIN_TAG], { [TEST_STREAM_MAIN_TAG]: this.schema }, ctx)[TEST_STREAM_MAIN_TAG];
  }
}

/** Starts a TestStream script. */
export function testStream<T>(options?: { schema?: RowSchema<T> | arrow.Schema }): TestStream<T> {
  return TestStream.create<T>(options);
}

/** The PCollections of a tagged TestStream, by tag. */
export type TaggedOutputs<O> = { readonly [K in keyof O]: PCollection<O[K]> };

/**
 * A scripted stream with several outputs, as Beam's TestStream with tagged events: elements and
 * watermark advances name their output, each output has its own watermark, and processing time is
 * one clock for all. Applying it gives a PCollection per tag. Elements given without a timestamp
 * take their output's current watermark; every output ends with its watermark at infinity.
 *
 * @example
 * const { letters, numbers } = p.apply(taggedTestStream<{ letters: string; numbers: number }>(["letters", "numbers"])
 *   .advanceWatermarkTo("letters", 5)
 *   .addElements("letters", timestamped("a", 6))
 *   .advanceWatermarkTo("numbers", 20)
 *   .addElements("numbers", timestamped(1, 21)));
 */
export class TaggedTestStream<O extends Record<string, unknown>> extends PTransform<PBegin, TaggedOutputs<O>> {
  /** @internal Use {@link taggedTestStream}. */
  constructor(
    private readonly tags: readonly (keyof O & string)[],
    private readonly steps: Script,
    private readonly schemas: { readonly [K in keyof O]?: RowSchema<O[K]> | arrow.Schema },
  ) {
    super("TestStream");
  }

  /** The scripted events, in order. */
  get script(): readonly TestStreamEvent<O[keyof O]>[] {
    return this.steps.events;
  }

  /** Adds elements to output `tag`; bare values take that output's current watermark as their timestamp. */
  addElements<K extends keyof O & string>(tag: K, ...elements: (O[K] | TimestampedValue<O[K]>)[]): TaggedTestStream<O> {
    return this.next(this.steps.addElements(this.known(tag), elements));
  }

  /** Advances the watermark of output `tag` (ms or a Date, before +infinity); it may not move back. */
  advanceWatermarkTo(tag: keyof O & string, to: number | Date): TaggedTestStream<O> {
    return this.next(this.steps.advanceWatermarkTo(this.known(tag), to));
  }

  /** Advances the watermark of output `tag`, or of every output when absent, to infinity. */
  advanceWatermarkToInfinity(tag?: keyof O & string): TaggedTestStream<O> {
    let s = this.steps;
    for (const t of tag === undefined ? this.tags : [this.known(tag)]) s = s.advanceWatermarkTo(t, MAX_TIMESTAMP, true);
    return this.next(s);
  }

  /** Advances the simulated processing-time clock by a positive duration (ms or "5m"). */
  advanceProcessingTime(by: number | string): TaggedTestStream<O> {
    return this.next(this.steps.advanceProcessingTime(by));
  }

  expand(_input: PBegin, ctx: ExpandContext): TaggedOutputs<O> {
    return expandScript(this.steps, this.tags, this.schemas as Schemas, ctx) as TaggedOutputs<O>;
  }

  private next(steps: Script): TaggedTestStream<O> {
    return new TaggedTestStream<O>(this.tags, steps, this.schemas);
  }

  private known(tag: string): string {
    if (!this.tags.includes(tag)) {
      throw new PipelineConstructionError({
        code: "BL_TEST_STREAM_TAG",
        value: tag,
        rule: `a tagged TestStream's events name one of its outputs: ${this.tags.join(", ")}`,
        fix: "declare the tag in taggedTestStream([...tags]) or use a declared one",
      });
    }
    return tag;
  }
}

/**
 * Starts a TestStream script with outputs `tags` (Beam's tagged TestStream); schemas are inferred
 * from each output's elements unless declared.
 */
export function taggedTestStream<O extends Record<string, unknown>>(
  tags: readonly (keyof O & string)[],
  options?: { schemas?: { readonly [K in keyof O]?: RowSchema<O[K]> | arrow.Schema } },
): TaggedTestStream<O> {
  if (tags.length === 0 || new Set(tags).size !== tags.length) {
    throw new PipelineConstructionError({
      code: "BL_TEST_STREAM_TAG",
      value: [...tags],
      rule: "a tagged TestStream has at least one output, each tag once",
      fix: 'name its outputs once each: taggedTestStream(["letters", "numbers"])',
    });
  }
  return new TaggedTestStream<O>(tags, new Script([], new Map()), options?.schemas ?? {});
}

/**
 * The source behind a TestStream: one part, whose position is the index of the next event. A stream
 * with several outputs reports each output's watermark apart, and as its own the slowest of them.
 */
export class TestStreamSource<T> implements BoundedSource {
  readonly boundedness = "unbounded" as const;
  readonly simulatedClock = true;

  constructor(
    private readonly events: readonly TestStreamEvent<T>[],
    private readonly batches: readonly (arrow.RecordBatch | null)[],
    private readonly tags: readonly string[] = [TEST_STREAM_MAIN_TAG],
  ) {}

  async split(): Promise<JsonValue[]> {
    return [0];
  }

  async *read(_part: JsonValue, from: JsonValue | null): AsyncIterable<SourceChunk> {
    const tagged = this.tags.length > 1;
    const marks: Record<string, number> = Object.fromEntries(this.tags.map((t) => [t, MIN_TIMESTAMP]));
    /** The watermark chunk for the marks so far: the slowest output's, and each output's when tagged. */
    const watermarks = () => {
      const watermark = Math.min(...Object.values(marks));
      return tagged ? { watermark, watermarks: { ...marks } } : { watermark };
    };
    let clock = 0;
    const start = typeof from === "number" ? from : 0;
    for (let i = 0; i < this.events.length; i++) {
      const e = this.events[i];
      // Replaying up to a resume position rebuilds the clock and watermarks without re-emitting.
      const replay = i < start;
      if (i === start && start > 0) yield { ...watermarks(), processingTime: clock, position: start };
      if (e.kind === "elements") {
        if (replay) continue;
        const data = this.batches[i]!;
        const batch: ElementBatch = { data, timestamps: Float64Array.from(e.elements, (x) => x.timestamp), windows: GLOBAL_WINDOWS };
        yield { tag: e.tag, batch, position: i + 1 };
      } else if (e.kind === "watermark") {
        marks[e.tag] = Math.max(marks[e.tag], e.to);
        if (!replay) yield { ...watermarks(), position: i + 1 };
      } else {
        clock += e.advanceBy;
        if (!replay) yield { processingTime: clock, position: i + 1 };
      }
    }
    if (Object.values(marks).some((m) => m < MAX_TIMESTAMP)) {
      for (const t of this.tags) marks[t] = MAX_TIMESTAMP;
      yield { ...watermarks(), position: this.events.length };
    }
  }
}
