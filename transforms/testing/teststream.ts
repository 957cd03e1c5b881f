/**
 * TestStream: a source scripted as a sequence of events — elements with timestamps, watermark
 * advances, processing-time advances — that drives the direct runner deterministically. The run's
 * processing-time clock is simulated (it starts at 0 and moves only when the stream says so), so
 * tests of triggers and timers never sleep.
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
import { durationMs, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../sdk/time";
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

/** One scripted event. */
export type TestStreamEvent<T> =
  | { readonly kind: "elements"; readonly elements: readonly TimestampedValue<T>[] }
  | { readonly kind: "watermark"; readonly to: number }
  | { readonly kind: "processingTime"; readonly advanceBy: number };

/**
 * A scripted stream. Build it with `testStream<T>()` and the chained event methods; apply it to a
 * pipeline like any source. Elements given without a timestamp take the stream's current watermark.
 * The stream ends with the watermark at infinity, whether or not the script says so.
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
    private readonly events: readonly TestStreamEvent<T>[],
    private readonly watermark: number,
    private readonly schema: arrow.Schema | null,
  ) {
    super("TestStream");
  }

  /** An empty script; the schema is inferred from the elements unless declared. */
  static create<T>(options?: { schema?: RowSchema<T> | arrow.Schema }): TestStream<T> {
    return new TestStream<T>([], MIN_TIMESTAMP, arrowSchemaOf(options?.schema));
  }

  /** The scripted events, in order. */
  get script(): readonly TestStreamEvent<T>[] {
    return this.events;
  }

  /** Adds elements; bare values take the current watermark as their timestamp. */
  addElements(...elements: (T | TimestampedValue<T>)[]): TestStream<T> {
    const items = elements.map((e) => (isTimestamped(e) ? { value: e.value, timestamp: e.timestamp } : { value: e, timestamp: this.watermark }));
    for (const it of items) {
      if (!Number.isFinite(it.timestamp) || it.timestamp < MIN_TIMESTAMP || it.timestamp > MAX_TIMESTAMP) {
        throw new PipelineConstructionError({
          code: "BL_TEST_STREAM_TIMESTAMP",
          value: it.timestamp,
          rule: `element timestamps must be finite ms between ${MIN_TIMESTAMP} and ${MAX_TIMESTAMP}`,
          fix: "pass timestamped(value, ms) with a valid timestamp",
        });
      }
    }
    return new TestStream<T>([...this.events, { kind: "elements", elements: items }], this.watermark, this.schema);
  }

  /** Advances the watermark (ms or a Date); it may not move back. */
  advanceWatermarkTo(to: number | Date): TestStream<T> {
    const ms = to instanceof Date ? to.getTime() : to;
    if (!(ms >= this.watermark)) {
      throw new PipelineConstructionError({
        code: "BL_TEST_STREAM_WATERMARK_BACKWARDS",
        value: ms,
        rule: `the watermark may only advance; it is already at ${this.watermark}`,
        fix: "advance to a time at or after the previous watermark",
      });
    }
    return new TestStream<T>([...this.events, { kind: "watermark", to: Math.min(ms, MAX_TIMESTAMP) }], ms, this.schema);
  }

  /** Advances the watermark to infinity: every window fires its final pane. */
  advanceWatermarkToInfinity(): TestStream<T> {
    return this.advanceWatermarkTo(MAX_TIMESTAMP);
  }

  /** Advances the simulated processing-time clock by a positive duration (ms or "5m"). */
  advanceProcessingTime(by: number | string): TestStream<T> {
    const ms = durationMs(by);
    if (!(ms > 0)) {
      throw new PipelineConstructionError({
        code: "BL_TEST_STREAM_PROCESSING_TIME",
        value: by,
        rule: "processing time advances by a positive duration",
        fix: 'pass a duration such as 60000 or "1m"',
      });
    }
    return new TestStream<T>([...this.events, { kind: "processingTime", advanceBy: ms }], this.watermark, this.schema);
  }

  expand(_input: PBegin, ctx: ExpandContext): PCollection<T> {
    const values = this.events.flatMap((e) => (e.kind === "elements" ? e.elements.map((x) => x.value) : []));
    let schema = this.schema;
    if (!schema) {
      if (values.length === 0) {
        throw new PipelineConstructionError({
          code: "BL_CANNOT_INFER_SCHEMA",
          where: ctx.name,
          rule: "a TestStream without elements has no schema to infer",
          fix: "declare it: testStream({ schema: schema({ ... }) })",
        });
      }
      schema = inferSchema(values, ctx.name);
    }
    const batches = this.events.map((e) => (e.kind === "elements" ? rowsToRecordBatch(e.elements.map((x) => x.value), schema!, ctx.name) : null));
    const payload: JsonValue = { source: "test_stream", events: this.events.map((e) => describe(e)) };
    return ctx.primitive({
      urn: READ_URN,
      payload: { source: "test_stream", events: payload.events },
      inputs: {},
      outputs: { main: { schema, bounded: false } },
      fn: new TestStreamSource(this.events, batches),
    }).main;
  }
}

function describe<T>(e: TestStreamEvent<T>): JsonValue {
  if (e.kind === "elements") return { kind: e.kind, count: e.elements.length, timestamps: e.elements.map((x) => x.timestamp) };
  return e.kind === "watermark" ? { kind: e.kind, to: e.to } : { kind: e.kind, advanceBy: e.advanceBy };
}

/** Starts a TestStream script. */
export function testStream<T>(options?: { schema?: RowSchema<T> | arrow.Schema }): TestStream<T> {
  return TestStream.create<T>(options);
}

/** The source behind a TestStream: one part, whose position is the index of the next event. */
export class TestStreamSource<T> implements BoundedSource {
  readonly boundedness = "unbounded" as const;
  readonly simulatedClock = true;

  constructor(
    private readonly events: readonly TestStreamEvent<T>[],
    private readonly batches: readonly (arrow.RecordBatch | null)[],
  ) {}

  async split(): Promise<JsonValue[]> {
    return [0];
  }

  async *read(_part: JsonValue, from: JsonValue | null): AsyncIterable<SourceChunk> {
    let clock = 0;
    let watermark = MIN_TIMESTAMP;
    const start = typeof from === "number" ? from : 0;
    for (let i = 0; i < this.events.length; i++) {
      const e = this.events[i];
      // Replaying up to a resume position rebuilds the clock and watermark without re-emitting.
      const replay = i < start;
      if (i === start && start > 0) yield { watermark, processingTime: clock, position: start };
      if (e.kind === "elements") {
        if (replay) continue;
        const data = this.batches[i]!;
        const batch: ElementBatch = { data, timestamps: Float64Array.from(e.elements, (x) => x.timestamp), windows: GLOBAL_WINDOWS };
        yield { batch, position: i + 1 };
      } else if (e.kind === "watermark") {
        watermark = Math.max(watermark, e.to);
        if (!replay) yield { watermark, position: i + 1 };
      } else {
        clock += e.advanceBy;
        if (!replay) yield { processingTime: clock, position: i + 1 };
      }
    }
    if (watermark < MAX_TIMESTAMP) yield { watermark: MAX_TIMESTAMP, position: this.events.length };
  }
}
