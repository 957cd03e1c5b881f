/**
 * Event time and windows: set timestamps, assign windows, flatten PCollections together and
 * reshuffle (a redistribution point).
 */
import type { ElementBatch } from "../sdk/batch";
import { PipelineConstructionError, UserCodeError, wrapUserError } from "../sdk/errors";
import { FLATTEN_URN, RESHUFFLE_URN, SEPARATE_LATE_URN, WINDOW_INTO_URN } from "../sdk/kv";
import { columnar } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { rowAccessor } from "../sdk/rows";
import { schemasEqual, describeSchema } from "../sdk/schema";
import { durationMs, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../sdk/time";
import { PTransform, type ExpandContext } from "../sdk/transform";
import { validateTrigger } from "../sdk/trigger";
import { CustomWindowFn, PaneBehavior, TriggerSpec, WindowFnSpec, WindowingStrategy } from "../sdk/window";
import { valueReader } from "../sdk/columns";

/** Options of {@link windowInto}. */
export interface WindowIntoOptions {
  /** How late data may be (ms or a duration such as "1h"). Default 0. */
  readonly allowedLateness?: number | string;
  /** The trigger, as data. Default: fire when the watermark passes the end of the window. */
  readonly trigger?: TriggerSpec;
  /** Whether later panes include earlier panes' data. Default discarding. */
  readonly accumulation?: "discarding" | "accumulating";
  /** The timestamp of grouped output. Default: the end of the window. */
  readonly timestampCombiner?: "end_of_window" | "earliest" | "latest";
  /**
   * Beam's closing behaviour: whether the final pane, when the window closes (the watermark passes
   * its end plus the allowed lateness), fires even when empty (`fireAlways`) or only with new data
   * (`fireIfNonEmpty`, the default).
   */
  readonly closingBehavior?: PaneBehavior;
  /** Beam's on-time behaviour: whether the on-time pane fires even when empty (`fireAlways`, the default) or only with new data. */
  readonly onTimeBehavior?: PaneBehavior;
}

/** Assigns each row to windows of the given window function (see fixedWindows, slidingWindows, sessions, globalWindows). */
export function windowInto<T>(windowFn: WindowFnSpec | CustomWindowFn, options: WindowIntoOptions = {}): PTransform<PCollection<T>, PCollection<T>> {
  const trigger = options.trigger !== undefined ? validateTrigger(options.trigger, "windowInto") : undefined;
  const lateness = options.allowedLateness !== undefined ? durationMs(options.allowedLateness) : undefined;
  if (lateness !== undefined && !(lateness >= 0)) {
    throw new PipelineConstructionError({
      code: "BL_ALLOWED_LATENESS",
      where: "windowInto",
      value: options.allowedLateness,
      rule: "allowed lateness is a non-negative duration",
      fix: 'pass e.g. 0, 60000 or "1h"',
    });
  }
  for (const [name, v] of [["closingBehavior", options.closingBehavior], ["onTimeBehavior", options.onTimeBehavior]] as const) {
    if (v !== undefined && v !== "fireAlways" && v !== "fireIfNonEmpty") {
      throw new PipelineConstructionError({
        code: "BL_PANE_BEHAVIOR",
        where: "windowInto",
        value: v,
        rule: `${name} is "fireAlways" or "fireIfNonEmpty"`,
        fix: `pass ${name}: "fireAlways" to fire the pane even when empty, or "fireIfNonEmpty"`,
      });
    }
  }
  const custom = windowFn.kind === "custom" ? (windowFn as CustomWindowFn) : null;
  const spec: WindowFnSpec = custom ? { kind: "custom", name: custom.name } : windowFn;
  return new (class extends PTransform<PCollection<T>, PCollection<T>> {
    expand(input: PCollection<T>, ctx: ExpandContext): PCollection<T> {
      const prev = input.windowing;
      const windowing: WindowingStrategy = {
        windowFn: spec,
        allowedLateness: lateness ?? prev.allowedLateness,
        trigger: trigger ?? prev.trigger,
        accumulation: options.accumulation ?? prev.accumulation,
        timestampCombiner: options.timestampCombiner ?? prev.timestampCombiner,
      };
      // Set only when chosen, so strategies (and their fingerprints) without them stay as they were.
      const closing = options.closingBehavior ?? prev.closingBehavior;
      const onTime = options.onTimeBehavior ?? prev.onTimeBehavior;
      if (closing !== undefined) (windowing as { closingBehavior?: PaneBehavior }).closingBehavior = closing;
      if (onTime !== undefined) (windowing as { onTimeBehavior?: PaneBehavior }).onTimeBehavior = onTime;
      return ctx.primitive({
        urn: WINDOW_INTO_URN,
        payload: { windowing: windowing as unknown as import("../sdk/graph").JsonValue },
        inputs: { main: input },
        outputs: { main: { schema: input.schema, windowing } },
        ...(custom ? { fn: custom.assign } : {}),
      }).main;
    }
  })("WindowInto");
}

/** Sets each row's event timestamp (ms) from a field holding a number of ms, or from a function of the row. */
export function withTimestamps<T>(from: string | ((row: T) => number | Date)): PTransform<PCollection<T>, PCollection<T>> {
  return new (class extends PTransform<PCollection<T>, PCollection<T>> {
    expand(input: PCollection<T>, ctx: ExpandContext): PCollection<T> {
      const name = ctx.name;
      const fn = (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
        const n = batch.data.numRows;
        const ts = new Float64Array(n);
        if (typeof from === "string") {
          const col = batch.data.getChild(from);
          if (!col) {
            throw new UserCodeError({
              code: "BL_NO_SUCH_FIELD",
              where: `transform "${name}"`,
              value: from,
              rule: `the rows have no field of this name (fields: ${batch.data.schema.fields.map((f) => f.name).join(", ")})`,
              fix: "name the field that holds the event time in ms",
            });
          }
          const times = col.data.length === 1 && col.nullCount === 0 && col.data[0].values instanceof Float64Array ? (col.data[0].values as Float64Array) : null;
          if (times) {
            for (let i = 0; i < n; i++) {
              const ms = times[i];
              ts[i] = ms >= MIN_MS && ms <= MAX_MS ? ms : check(ms, i, name, from);
            }
          } else {
            const read = valueReader(col);
            for (let i = 0; i < n; i++) ts[i] = check(read(i), i, name, from);
          }
        } else {
          const read = rowAccessor(batch.data);
          for (let i = 0; i < n; i++) {
            const row = read(i) as T;
            let v: number | Date;
            try {
              v = from(row);
            } catch (e) {
              throw wrapUserError(e, name, row);
            }
            ts[i] = check(v, i, name, "the function's result", row);
          }
        }
        emit("main", { data: batch.data, timestamps: ts, windows: batch.windows, ...(batch.panes ? { panes: batch.panes } : {}) });
      };
      return input.apply("SetTimestamps", columnar<T, T>("SetTimestamps", fn, input.schema, { timestamps: typeof from === "string" ? from : "fn" }));
    }
  })("WithTimestamps");
}

// Module-level copies: an imported binding is a property read on every use, too slow in per-row loops.
const MIN_MS = MIN_TIMESTAMP;
const MAX_MS = MAX_TIMESTAMP;

function check(v: unknown, _i: number, name: string, what: string, row?: unknown): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === "bigint" ? Number(v) : v;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) {
    throw new UserCodeError({
      code: "BL_BAD_TIMESTAMP",
      where: `transform "${name}"`,
      value: row ?? v,
      rule: `${what} must be a finite number of ms since the epoch (or a Date) within Beam's timestamp range, got ${String(v)}`,
      fix: "return e.g. Date.parse(row.time), or filter out rows without a time",
    });
  }
  return ms;
}

/** Merges PCollections with the same schema and windowing into one. */
export function flatten<T>(pcollections: readonly PCollection<T>[], name = "Flatten"): PCollection<T> {
  if (pcollections.length === 0) {
    throw new PipelineConstructionError({
      code: "BL_EMPTY_FLATTEN",
      value: [],
      rule: "flatten needs at least one PCollection",
      fix: "pass the PCollections to merge",
    });
  }
  return pcollections[0].pipeline.applyTransform(
    pcollections,
    new (class extends PTransform<readonly PCollection<T>[], PCollection<T>> {
      expand(input: readonly PCollection<T>[], ctx: ExpandContext): PCollection<T> {
        const schemas = input.map((pc) => pc.schema);
        const known = schemas.filter((s) => s !== null);
        for (const s of known) {
          if (!schemasEqual(s!, known[0]!)) {
            throw new PipelineConstructionError({
              code: "BL_FLATTEN_SCHEMAS",
              where: `transform "${ctx.name}"`,
              value: known.map((k) => describeSchema(k!)),
              rule: "flattened PCollections must have the same schema",
              fix: "map them to one schema first",
            });
          }
        }
        const w = input.map((pc) => JSON.stringify(pc.windowing.windowFn));
        if (w.some((x) => x !== w[0])) {
          throw new PipelineConstructionError({
            code: "BL_FLATTEN_WINDOWING",
            where: `transform "${ctx.name}"`,
            value: w,
            rule: "flattened PCollections must have the same window function",
            fix: "apply the same windowInto to each before flattening",
          });
        }
        return ctx.primitive({
          urn: FLATTEN_URN,
          payload: {},
          inputs: Object.fromEntries(input.map((pc, i) => [String(i), pc])),
          outputs: { main: { schema: known.length === input.length ? known[0]! : null } },
        }).main;
      }
    })("Flatten"),
    name,
  );
}

/** A redistribution point: breaks fusion so later steps can be spread over workers. */
export function reshuffle<T>(): PTransform<PCollection<T>, PCollection<T>> {
  return new (class extends PTransform<PCollection<T>, PCollection<T>> {
    expand(input: PCollection<T>, ctx: ExpandContext): PCollection<T> {
      return ctx.primitive({ urn: RESHUFFLE_URN, payload: {}, inputs: { main: input }, outputs: { main: { schema: input.schema } } }).main;
    }
  })("Reshuffle");
}

/** The result of {@link separateLateData}: rows still in time for their window, and rows too late. */
export type LateDataOutputs<T> = {
  /** Rows whose window has not expired. */
  readonly main: PCollection<T>;
  /** Rows whose window ended more than the allowed lateness before the watermark; grouping would drop them. */
  readonly late: PCollection<T>;
};

/**
 * Separates the rows a later grouping would drop as too late (their window's end plus the allowed
 * lateness is behind the watermark) into a `late` output, unchanged, so they can be written to a
 * dead-letter sink instead of being only counted.
 * @example
 * const { main, late } = windowed.apply(separateLateData());
 * late.apply(writeJsonLines("out/late"));
 */
export function separateLateData<T>(): PTransform<PCollection<T>, LateDataOutputs<T>> {
  return new (class extends PTransform<PCollection<T>, LateDataOutputs<T>> {
    expand(input: PCollection<T>, ctx: ExpandContext): LateDataOutputs<T> {
      const out = ctx.primitive({
        urn: SEPARATE_LATE_URN,
        payload: {},
        inputs: { main: input },
        outputs: { main: { schema: input.schema }, late: { schema: input.schema } },
      });
      return { main: out.main, late: out.late };
    }
  })("SeparateLateData");
}
