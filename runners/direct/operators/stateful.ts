/**
 * The stateful ParDo operator: runs a DoFn that declares state cells and timers over `{key, value}`
 * rows. State is scoped per key and window, timers per key, window and name. Event-time timers fire in
 * timestamp order once the input watermark passes them, processing-time timers once the clock reaches
 * them; pending timers hold the output watermark at their output timestamps. A window's state and
 * timers are dropped when it expires (watermark past its end plus the allowed lateness), and input
 * for an expired window is dropped and counted.
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, paneAt, PaneColumn, windowAt } from "../../../sdk/batch";
import type { DoFn, OutputOptions } from "../../../sdk/dofn";
import { SchemaError, UserCodeError, wrapUserError } from "../../../sdk/errors";
import type { ParDoFn } from "../../../sdk/pardo";
import { rowAccessor, rowsToRecordBatch } from "../../../sdk/rows";
import { inferSchema } from "../../../sdk/schema";
import { valueKey, type StateSpecs, type Timer, type TimerSetOptions, type TimerSpecs } from "../../../sdk/state";
import { durationMs, formatTimestamp, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { GLOBAL_WINDOW, windowMaxTimestamp, type Window } from "../../../sdk/window";
import type { Operator, OperatorContext, OperatorSnapshot } from "../contract/operator";
import { keyGroupOf } from "../data/key-groups";
import { MinHeap } from "../state/heap";
import { Namespace, StateTable, StateTableSnapshot, windowId } from "../state/table";
import { TimerData, TimerTable, TimerTableSnapshot } from "../state/timers";

/** The operator's state and timers as plain data, for checkpoints. */
export interface StatefulSnapshot {
  readonly state: { namespaces: StateTableSnapshot["namespaces"][number][] };
  readonly timers: { timers: TimerTableSnapshot["timers"][number][] };
  readonly windows: { window: Window; gc: number }[];
}

/** A stateful operator, with its state exposed for checkpoints and tests. */
export interface StatefulOperator extends Operator {
  /** A copy of every key's state and pending timers, by key group ({@link StatefulSnapshot} per group). */
  snapshot(): OperatorSnapshot;
  /** Replaces state and timers with a snapshot (before any data). */
  restore(snapshot: OperatorSnapshot): void;
}

/** The loose shape the operator calls a stateful DoFn through. */
type AnyStatefulDoFn = DoFn<any, any> & {
  readonly state?: StateSpecs;
  readonly timers?: TimerSpecs;
  onTimer?(name: string, ctx: unknown): void;
  onWindowExpiration?(ctx: unknown): void;
};

/** Rows emitted to one tag with their metadata, until flushed as a batch. */
class RowOutput {
  rows: unknown[] = [];
  ts: number[] = [];
  windows: Window[] = [];
  panes: number[] = [];
  paneIndex: number[] = [];
  anyPane = false;

  constructor(
    readonly tag: string,
    public schema: arrow.Schema | null,
  ) {}

  add(row: unknown, ts: number, window: Window, pane?: { flags: number; index: number }): void {
    this.rows.push(row);
    this.ts.push(ts);
    this.windows.push(window);
    this.panes.push(pane?.flags ?? 0b1111);
    this.paneIndex.push(pane?.index ?? 0);
    if (pane) this.anyPane = true;
  }

  flush(where: string): ElementBatch | null {
    const n = this.rows.length;
    if (n === 0) return null;
    const what = `output "${this.tag}" of ${where}`;
    if (!this.schema) this.schema = inferSchema(this.rows, what);
    const data = rowsToRecordBatch(this.rows, this.schema, what);
    const timestamps = Float64Array.from(this.ts);
    const anyInterval = this.windows.some((w) => !w.global);
    const windows: ElementBatch["windows"] = anyInterval
      ? { kind: "interval", start: Float64Array.from(this.windows, (w) => w.start), end: Float64Array.from(this.windows, (w) => w.end) }
      : { kind: "global" };
    const panes: PaneColumn | undefined = this.anyPane ? { flags: Uint8Array.from(this.panes), index: Int32Array.from(this.paneIndex) } : undefined;
    this.rows = [];
    this.ts = [];
    this.windows = [];
    this.panes = [];
    this.paneIndex = [];
    this.anyPane = false;
    return panes ? { data, timestamps, windows, panes } : { data, timestamps, windows };
  }
}

/** The operator of a ParDo whose DoFn declares state or timers. */
export function statefulOperator(ctx: OperatorContext): StatefulOperator {
  const t = ctx.transform;
  const name = t.uniqueName;
  const where = `transform "${name}"`;
  const fn = ctx.fn<ParDoFn>();
  if (fn.kind !== "dofn") throw new Error(`internal: ${name} is stateful but runs a ${fn.kind} function`);
  const dofn = fn.dofn as AnyStatefulDoFn;
  const stateSpecs: StateSpecs = dofn.state ?? {};
  const timerSpecs: TimerSpecs = dofn.timers ?? {};
  const timerNames = Object.keys(timerSpecs);
  const strategy = ctx.windowingOf(t.inputs.main);
  const table = new StateTable(stateSpecs);
  const timers = new TimerTable();
  /** Windows with state, by id, with their expiry (garbage-collection) time. */
  const live = new Map<string, { window: Window; gc: number }>();
  const expiries = new MinHeap<string>();
  const outputs = new Map<string, RowOutput>();
  for (const [tag, id] of Object.entries(t.outputs)) outputs.set(tag, new RowOutput(tag, ctx.schemaOf(id)));
  let watermark = MIN_TIMESTAMP;
  let setUp = false;
  /** The timestamp of the element or timer being processed: processing-time timers' default output timestamp. */
  let contextTs = MIN_TIMESTAMP;
  const timerHandles = new WeakMap<Namespace, Record<string, Timer>>();

  const gcTime = (w: Window) => Math.min(windowMaxTimestamp(w) + strategy.allowedLateness, MAX_TIMESTAMP - 1);

  const namespace = (key: unknown, keyId: string, window: Window): Namespace => {
    const wid = windowId(window);
    if (!live.has(wid)) {
      const gc = gcTime(window);
      live.set(wid, { window, gc });
      expiries.push(gc, wid);
    }
    return table.namespace(key, keyId, window);
  };

  const output = (tag: string | undefined): RowOutput => {
    const o = outputs.get(tag ?? "main");
    if (!o) {
      throw new UserCodeError({
        code: "BL_UNKNOWN_OUTPUT_TAG",
        where,
        value: tag,
        rule: "the DoFn emitted to an output tag it did not declare",
        fix: `declare it: parDoWithOutputs(fn, { outputs: { ${tag}: null } }); declared: ${[...outputs.keys()].join(", ")}`,
      });
    }
    return o;
  };

  const flush = () => {
    for (const o of outputs.values()) {
      const b = o.flush(where);
      if (b) ctx.emit(o.tag, b);
    }
  };

  const timersOf = (ns: Namespace): Record<string, Timer> => {
    let h = timerHandles.get(ns);
    if (h) return h;
    h = {};
    for (const timerName of timerNames) {
      const domain = timerSpecs[timerName].domain;
      const set = (at: number, options?: TimerSetOptions) => {
        checkTimer(ns, timerName, domain, at, options);
        const outputTimestamp = options?.outputTimestamp ?? (domain === "event" ? at : contextTs);
        timers.set({ key: ns.key, keyId: ns.keyId, window: ns.window, name: timerName, domain, at, outputTimestamp });
        if (domain === "processing") ctx.wakeAt(at);
      };
      h[timerName] = {
        set,
        setAfter: (delay, options) => set((domain === "event" ? contextTs : ctx.processingTime()) + durationMs(delay), options),
        clear: () => timers.clear(windowId(ns.window), ns.keyId, timerName),
      };
    }
    timerHandles.set(ns, h);
    return h;
  };

  const checkTimer = (ns: Namespace, timerName: string, domain: string, at: number, options?: TimerSetOptions) => {
    const fail = (value: unknown, rule: string, fix: string) => {
      throw new UserCodeError({ code: "BL_BAD_TIMER", where: `${where}, timer "${timerName}"`, value, rule, fix });
    };
    if (typeof at !== "number" || !Number.isFinite(at)) fail(at, "a timer must be set to a finite number of ms", "pass a timestamp in ms, e.g. ctx.timestamp + 60_000");
    const gc = gcTime(ns.window);
    if (domain === "event" && at > gc) {
      fail(formatTimestamp(at), `an event-time timer must fire before its window expires (at ${formatTimestamp(gc)}: the window's end plus the allowed lateness)`, "set it no later than windowMaxTimestamp(ctx.window), or allow more lateness");
    }
    const out = options?.outputTimestamp;
    if (out === undefined) return;
    if (typeof out !== "number" || !Number.isFinite(out)) fail(out, "an output timestamp must be a finite number of ms", "pass a timestamp in ms");
    if (out < contextTs) fail(formatTimestamp(out), `a timer's output timestamp may not be earlier than the element or timer that sets it (${formatTimestamp(contextTs)})`, "use a later output timestamp");
    if (domain === "event" && out > at) fail(formatTimestamp(out), `an event-time timer's output timestamp may not be later than when it fires (${formatTimestamp(at)})`, "use an output timestamp at or before the firing time");
    if (out > windowMaxTimestamp(ns.window)) fail(formatTimestamp(out), "a timer's output timestamp must lie in its window", "use an output timestamp before the window's end");
  };

  const fireTimer = (td: TimerData) => {
    const ns = namespace(td.key, td.keyId, td.window);
    contextTs = td.outputTimestamp;
    const cells = table.cells(ns);
    const handles = timersOf(ns);
    const tctx = {
      key: td.key,
      window: td.window,
      timestamp: td.at,
      outputTimestamp: td.outputTimestamp,
      timeDomain: td.domain,
      state: cells,
      timers: handles,
      processingTime: ctx.processingTime,
      output(row: unknown, options?: OutputOptions) {
        const ts = options?.timestamp ?? td.outputTimestamp;
        if (ts < td.outputTimestamp) {
          throw new UserCodeError({
            code: "BL_OUTPUT_BEFORE_TIMER",
            where: `${where}, timer "${td.name}"`,
            value: formatTimestamp(ts),
            rule: `onTimer may not output earlier than the timer's output timestamp (${formatTimestamp(td.outputTimestamp)}): the watermark was held only that far`,
            fix: "output at or after ctx.outputTimestamp, or set the timer with an earlier outputTimestamp",
          });
        }
        output(options?.tag).add(row, ts, td.window);
      },
    };
    try {
      dofn.onTimer!(td.name, tctx);
    } catch (e) {
      throw wrapUserError(e, name, { timer: td.name, key: td.key, at: td.at });
    }
  };

  const expireWindow = (wid: string) => {
    const w = live.get(wid);
    if (!w) return;
    live.delete(wid);
    for (const ns of table.namespacesOf(wid)) {
      if (dofn.onWindowExpiration) {
        const ts = windowMaxTimestamp(ns.window);
        contextTs = ts;
        const ectx = {
          key: ns.key,
          window: ns.window,
          state: table.cells(ns),
          output(row: unknown, options?: OutputOptions) {
            output(options?.tag).add(row, options?.timestamp ?? ts, ns.window);
          },
        };
        try {
          dofn.onWindowExpiration(ectx);
        } catch (e) {
          throw wrapUserError(e, name, { key: ns.key, window: ns.window });
        }
      }
      table.drop(wid, ns.keyId);
      for (const timerName of timerNames) timers.clear(wid, ns.keyId, timerName);
    }
  };

  /** Fires due event-time timers and expires windows, in timestamp order (timers first on ties). */
  const advanceEventTime = (wm: number) => {
    for (;;) {
      const td = timers.peek("event");
      const timerDue = td !== undefined && td.at < wm;
      let exp = expiries.peek();
      while (exp && !live.has(exp.item)) {
        expiries.pop();
        exp = expiries.peek();
      }
      const expiryDue = exp !== undefined && exp.priority < wm;
      if (timerDue && (!expiryDue || td!.at <= exp!.priority)) {
        fireTimer(timers.popDue("event", wm, true)!);
      } else if (expiryDue) {
        expiries.pop();
        expireWindow(exp!.item);
      } else {
        break;
      }
    }
    flush();
  };

  const fireProcessingTime = (now: number) => {
    for (let td = timers.popDue("processing", now, false); td; td = timers.popDue("processing", now, false)) fireTimer(td);
    flush();
    const next = timers.peek("processing");
    if (next) ctx.wakeAt(next.at);
  };

  return {
    async open() {
      if (dofn.setup) {
        try {
          await dofn.setup({ transformName: name });
        } catch (e) {
          throw wrapUserError(e, name);
        }
      }
      setUp = true;
    },

    processBatch(_tag, batch) {
      const n = batch.data.numRows;
      if (n === 0) return;
      if (!batch.data.schema.fields.some((f) => f.name === "key")) {
        throw new SchemaError({
          code: "BL_NOT_KV",
          where,
          value: batch.data.schema.fields.map((f) => f.name),
          rule: "a DoFn with state or timers needs {key, value} rows: state and timers are kept per key",
          fix: "map the rows to { key, value } first",
        });
      }
      const read = rowAccessor(batch.data);
      let i = 0;
      let ns: Namespace = null as unknown as Namespace;
      const pctx = {
        get timestamp() {
          return batch.timestamps[i];
        },
        get window() {
          return ns.window;
        },
        get pane() {
          return paneAt(batch.panes, i);
        },
        get key() {
          return ns.key;
        },
        get state() {
          return table.cells(ns);
        },
        get timers() {
          return timersOf(ns);
        },
        processingTime: ctx.processingTime,
        output(row: unknown, options?: OutputOptions) {
          output(options?.tag).add(row, options?.timestamp ?? batch.timestamps[i], ns.window, batch.panes ? { flags: batch.panes.flags[i], index: batch.panes.index[i] } : undefined);
        },
        sideInput(sideName: string): never {
          throw new UserCodeError({ code: "BL_UNKNOWN_SIDE_INPUT", where, value: sideName, rule: "a DoFn with state or timers cannot read side inputs yet", fix: "join the side data into the keyed input first" });
        },
      };
      try {
        dofn.startBundle?.();
      } catch (e) {
        throw wrapUserError(e, name);
      }
      let dropped = 0;
      for (; i < n; i++) {
        const window = windowAt(batch.windows, i);
        if (gcTime(window) < watermark) {
          dropped++;
          continue;
        }
        const row = read(i) as { key: unknown };
        ns = namespace(row.key, valueKey(row.key), window);
        contextTs = batch.timestamps[i];
        try {
          dofn.process(row, pctx as never);
        } catch (e) {
          throw wrapUserError(e, name, row);
        }
      }
      if (dropped > 0) ctx.count("droppedDueToLateness", dropped);
      if (dofn.finishBundle) {
        try {
          dofn.finishBundle({
            output(row, options) {
              output(options?.tag).add(row, options?.timestamp ?? MIN_TIMESTAMP, options?.window ?? GLOBAL_WINDOW);
            },
          });
        } catch (e) {
          throw wrapUserError(e, name);
        }
      }
      flush();
      // Timers set in the past are already due.
      advanceEventTime(watermark);
    },

    onWatermark(wm) {
      if (wm > watermark) watermark = wm;
      advanceEventTime(watermark);
    },

    onProcessingTime(now) {
      fireProcessingTime(now);
    },

    watermarkHold() {
      return timers.hold();
    },

    finish() {
      if (watermark < MAX_TIMESTAMP) {
        watermark = MAX_TIMESTAMP;
        advanceEventTime(watermark);
      }
    },

    async close() {
      if (setUp && dofn.teardown) {
        try {
          await dofn.teardown();
        } catch (e) {
          throw wrapUserError(e, name);
        }
      }
    },

    snapshot() {
      // Keyed by the key group of each namespace's key; every key group carries the live windows.
      const windows = structuredClone([...live.values()]);
      const byKeyGroup = new Map<number, StatefulSnapshot>();
      const entry = (keyId: string) => {
        const kg = keyGroupOf(keyId);
        let e = byKeyGroup.get(kg);
        if (!e) byKeyGroup.set(kg, (e = { state: { namespaces: [] }, timers: { timers: [] }, windows }));
        return e;
      };
      for (const ns of table.snapshot().namespaces) entry(ns.keyId).state.namespaces.push(ns);
      for (const t of timers.snapshot().timers) entry(t.keyId).timers.timers.push(t);
      return { keyed: [...byKeyGroup].sort((a, b) => a[0] - b[0]), watermark };
    },

    restore(from) {
      const s: StatefulSnapshot = { state: { namespaces: [] }, timers: { timers: [] }, windows: [] };
      const seen = new Set<string>();
      for (const [, e] of from.keyed ?? []) {
        const part = e as StatefulSnapshot;
        s.state.namespaces.push(...part.state.namespaces);
        s.timers.timers.push(...part.timers.timers);
        for (const w of part.windows) if (!seen.has(windowId(w.window))) {
          seen.add(windowId(w.window));
          s.windows.push(w);
        }
      }
      if (from.watermark !== undefined && from.watermark > watermark) watermark = from.watermark;
      table.restore(s.state);
      timers.restore(s.timers);
      live.clear();
      expiries.clear();
      for (const w of structuredClone(s.windows)) {
        live.set(windowId(w.window), w);
        expiries.push(w.gc, windowId(w.window));
      }
      const next = timers.peek("processing");
      if (next) ctx.wakeAt(next.at);
    },
  };
}
