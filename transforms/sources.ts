/**
 * Generated sources: a sequence of numbers (bounded, or unbounded at a rate, with event timestamps)
 * and a periodic impulse in processing time. Both report watermarks and positions like any source,
 * so a checkpoint resumes them exactly.
 */
import * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS } from "../sdk/batch";
import { OptionError } from "../sdk/errors";
import type { JsonValue } from "../sdk/graph";
import type { PCollection } from "../sdk/pcollection";
import { scalarSchema, t } from "../sdk/schema";
import { READ_URN, type BoundedSource, type ReadContext, type SourceChunk } from "../sdk/source";
import { durationMs, MIN_TIMESTAMP } from "../sdk/time";
import { PBegin, PTransform, type ExpandContext } from "../sdk/transform";
import { fixedWindows } from "../sdk/window";
import { windowInto } from "./windowing";

const NUMBER_SCHEMA = scalarSchema(t.float64()).arrow;

/** Options of {@link generateSequence}. */
export interface GenerateSequenceOptions {
  /** The first number. Default 0. */
  readonly from?: number;
  /** One past the last number; absent for an unbounded sequence. */
  readonly to?: number;
  /** Elements per second of processing time; absent for as fast as possible. */
  readonly ratePerSecond?: number;
  /**
   * Event time: element `i` gets `start + (i - from) * interval` ms, and the watermark follows the
   * last element emitted. Absent: the processing time of emission when a rate is set, else the
   * minimum timestamp (as for other bounded sources).
   */
  readonly eventTime?: { readonly start?: number | Date; readonly interval: number | string };
  /** Rows per batch. Default 8192. */
  readonly batchSize?: number;
}

/** A batch of bare numbers over `values`, without copying. */
function numberBatch(values: Float64Array): arrow.RecordBatch {
  const n = values.length;
  const column = arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: 0, data: values });
  return new arrow.RecordBatch(NUMBER_SCHEMA, arrow.makeData({ type: new arrow.Struct(NUMBER_SCHEMA.fields), length: n, nullCount: 0, children: [column] }));
}

interface Part {
  readonly from: number;
  readonly to: number | null;
}

/** The source of {@link generateSequence}; a part is a range `[from, to)`, its position the next number. */
export class SequenceSource implements BoundedSource {
  readonly boundedness: "bounded" | "unbounded";

  constructor(private readonly o: Required<Pick<GenerateSequenceOptions, "from" | "batchSize">> & GenerateSequenceOptions) {
    this.boundedness = o.to === undefined ? "unbounded" : "bounded";
  }

  async split(desiredParts: number): Promise<JsonValue[]> {
    const { from, to, ratePerSecond } = this.o;
    if (to === undefined || ratePerSecond !== undefined || desiredParts <= 1) return [{ from, to: to ?? null }];
    const n = Math.max(1, Math.min(desiredParts, Math.ceil((to - from) / this.o.batchSize)));
    const step = Math.ceil((to - from) / n);
    const parts: JsonValue[] = [];
    for (let lo = from; lo < to; lo += step) parts.push({ from: lo, to: Math.min(to, lo + step) });
    return parts;
  }

  async *read(part: JsonValue, position: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const p = part as unknown as Part;
    const end = p.to ?? Infinity;
    const { ratePerSecond, batchSize, eventTime, from } = this.o;
    const start = eventTime ? toMs(eventTime.start ?? 0) : 0;
    const interval = eventTime ? durationMs(eventTime.interval) : 0;
    let next = typeof position === "number" ? position : p.from;
    const t0 = ctx ? ctx.processingTime() : Date.now();
    const first = next;
    while (next < end) {
      if (ctx?.cancelled) return;
      let hi = Math.min(end, next + batchSize);
      if (ratePerSecond !== undefined) {
        const elapsed = (ctx ? ctx.processingTime() : Date.now()) - t0;
        const due = first + Math.floor((elapsed * ratePerSecond) / 1000);
        if (due <= next) {
          const wait = Math.max(1, Math.ceil(((next + 1 - first) * 1000) / ratePerSecond - elapsed));
          if (!(await pause(ctx, wait))) return;
          continue;
        }
        hi = Math.min(hi, due + 1);
      }
      const n = hi - next;
      const values = new Float64Array(n);
      const timestamps = new Float64Array(n);
      const now = ctx ? ctx.processingTime() : Date.now();
      for (let i = 0; i < n; i++) {
        values[i] = next + i;
        timestamps[i] = eventTime ? start + (next + i - from) * interval : ratePerSecond !== undefined ? now : MIN_TIMESTAMP;
      }
      const data = numberBatch(values);
      next = hi;
      if (p.to !== null) ctx?.reportBacklog?.(`${p.from}-${p.to}`, { records: end - next });
      const watermark = eventTime || ratePerSecond !== undefined ? timestamps[n - 1] : undefined;
      yield { batch: { data, timestamps, windows: GLOBAL_WINDOWS }, position: next, ...(watermark !== undefined ? { watermark } : {}) };
    }
  }
}

/** Waits `ms` on the run's clock (or the wall clock outside a run); false when the run was cancelled. */
async function pause(ctx: ReadContext | undefined, ms: number): Promise<boolean> {
  if (ctx) return ctx.sleep(ms);
  await new Promise((r) => setTimeout(r, ms));
  return true;
}

function toMs(x: number | Date): number {
  return x instanceof Date ? x.getTime() : x;
}

/**
 * The numbers `from, from + 1, …` up to `to` (exclusive), or forever when `to` is absent, optionally
 * paced at a rate and stamped with event times.
 */
export function generateSequence(options: GenerateSequenceOptions = {}): PTransform<PBegin, PCollection<number>> {
  const from = options.from ?? 0;
  const batchSize = options.batchSize ?? 8192;
  const bad = (value: unknown, rule: string, fix: string) => new OptionError({ code: "BL_GENERATE_SEQUENCE", where: "generateSequence", value, rule, fix });
  if (!Number.isSafeInteger(from)) throw bad(from, "from must be a safe integer", "pass an integer such as 0");
  if (options.to !== undefined && !(Number.isSafeInteger(options.to) && options.to >= from)) throw bad(options.to, `to must be an integer at or after from (${from})`, "pass a larger to, or leave it out for an unbounded sequence");
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) throw bad(options.ratePerSecond, "ratePerSecond must be positive", "pass a number of elements per second such as 1000");
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw bad(batchSize, "batchSize must be a positive integer", "pass e.g. 8192");
  if (options.eventTime && !(durationMs(options.eventTime.interval) >= 0)) throw bad(options.eventTime.interval, "the event-time interval must be a non-negative duration", 'pass e.g. 1000 or "1s"');
  const source = new SequenceSource({ ...options, from, batchSize });
  return new (class extends PTransform<PBegin, PCollection<number>> {
    expand(_input: PBegin, ctx: ExpandContext): PCollection<number> {
      return ctx.primitive({
        urn: READ_URN,
        payload: { source: "sequence", from, to: options.to ?? null, ratePerSecond: options.ratePerSecond ?? null },
        inputs: {},
        outputs: { main: { schema: NUMBER_SCHEMA, bounded: options.to !== undefined } },
        fn: source,
      }).main as PCollection<number>;
    }
  })("GenerateSequence");
}

/** Options of {@link periodicImpulse}. */
export interface PeriodicImpulseOptions {
  /** Time between impulses (ms or a duration such as "1s"). */
  readonly interval: number | string;
  /** Processing time of the first impulse; default: when the run starts. */
  readonly start?: number | Date;
  /** Processing time after which no impulse fires; absent for forever. */
  readonly stop?: number | Date;
  /** Window each impulse into fixed windows of `interval`. Default false. */
  readonly applyWindowing?: boolean;
}

/** Where a periodic impulse resumes: the next impulse's number, and the time of impulse 0 (so a resumed read keeps the schedule). */
interface ImpulsePosition {
  readonly next: number;
  readonly start: number;
}

/** The source of {@link periodicImpulse}; its position is the number of impulses emitted and the time of the first. */
export class ImpulseSource implements BoundedSource {
  readonly boundedness: "bounded" | "unbounded";
  constructor(private readonly o: PeriodicImpulseOptions) {
    this.boundedness = o.stop === undefined ? "unbounded" : "bounded";
  }

  async split(): Promise<JsonValue[]> {
    return [0];
  }

  async *read(_part: JsonValue, position: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const clock = () => (ctx ? ctx.processingTime() : Date.now());
    const interval = durationMs(this.o.interval);
    // A position of an earlier version is the bare count of impulses emitted.
    const resumed = position !== null && typeof position === "object" ? (position as unknown as ImpulsePosition) : null;
    const start = this.o.start !== undefined ? toMs(this.o.start) : (resumed?.start ?? clock());
    const stop = this.o.stop !== undefined ? toMs(this.o.stop) : Infinity;
    for (let k = resumed?.next ?? (typeof position === "number" ? position : 0); ; k++) {
      const at = start + k * interval;
      if (at > stop) return;
      // A timer may wake a millisecond early by the clock it is checked against: wait until it reads `at`.
      for (let wait = at - clock(); wait > 0; wait = at - clock()) {
        if (!(await pause(ctx, wait))) return;
      }
      if (ctx?.cancelled) return;
      const data = numberBatch(new Float64Array([at]));
      yield { batch: { data, timestamps: new Float64Array([at]), windows: GLOBAL_WINDOWS }, position: { next: k + 1, start }, watermark: at };
    }
  }
}

/** Emits its own timestamp (ms) every `interval` of processing time, as Beam's PeriodicImpulse. */
export function periodicImpulse(options: PeriodicImpulseOptions): PTransform<PBegin, PCollection<number>> {
  const interval = durationMs(options.interval);
  if (!(interval > 0)) {
    throw new OptionError({ code: "BL_PERIODIC_IMPULSE", where: "periodicImpulse", value: options.interval, rule: "the interval must be a positive duration", fix: 'pass e.g. 1000 or "1s"' });
  }
  const source = new ImpulseSource(options);
  const read = new (class extends PTransform<PBegin, PCollection<number>> {
    expand(_input: PBegin, ctx: ExpandContext): PCollection<number> {
      return ctx.primitive({
        urn: READ_URN,
        payload: { source: "periodic_impulse", interval },
        inputs: {},
        outputs: { main: { schema: NUMBER_SCHEMA, bounded: options.stop !== undefined } },
        fn: source,
      }).main as PCollection<number>;
    }
  })(options.applyWindowing ? "Impulses" : "PeriodicImpulse");
  if (!options.applyWindowing) return read;
  return new (class extends PTransform<PBegin, PCollection<number>> {
    expand(input: PBegin): PCollection<number> {
      return input.pipeline.apply(read).apply(windowInto(fixedWindows(interval)));
    }
  })("PeriodicImpulse");
}
