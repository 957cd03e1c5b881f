/**
 * The stateful ParDo operator: runs a DoFn that declares state cells and timers over `{key, value}`
 * rows. State is scoped per key and window, timers per key, window and name. Event-time timers fire in
 * timestamp order once the input watermark passes them, processing-time timers once the clock reaches
 * them; pending timers hold the output watermark at their output timestamps. A window's state and
 * timers are dropped when it expires (watermark past its end plus the allowed lateness), and input
 * for an expired window is dropped and counted.
 */
import type * as arrow from "apache-arrow";
import { paneAt, windowAt, type ElementBatch } from "../../../sdk/batch";
import { SchemaError, wrapUserError } from "../../../sdk/errors";
import type { ParDoFn } from "../../../sdk/pardo";
import { rowAccessor, rowsToRecordBatch } from "../../../sdk/rows";
import { inferSchema } from "../../../sdk/schema";
import { valueKey, type StateSpecs, type TimerSpecs } from "../../../sdk/state";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import type { Window } from "../../../sdk/window";
import { KeyScope, StatefulDoFn, StatefulDoFnRunner } from "../../runtime/stateful/dofn-runner";
import { expiryOf, type TimerSetting, type TimerSink } from "../../runtime/stateful/timers";
import type { Operator, OperatorContext, OperatorSnapshot } from "../contract/operator";
import { keyGroupOf } from "../data/key-groups";
import { MinHeap } from "../state/heap";
import { Namespace, StateTable, StateTableSnapshot, windowId } from "../state/table";
import { TimerData, TimerTable, TimerTableSnapshot } from "../state/timers";
import { DiskStore, stateRoot } from "../state/disk-store";
import { DiskStateTable, type StoredNamespace } from "../state/disk-table";
import { DiskTimerTable, type StoredTimer } from "../state/disk-timers";
import { readDeltaFile, type DeltaEntry } from "../state/delta-file";

/** Every how many checkpoints the disk backend writes all its state instead of what changed (bounds the chain a restore reads). */
export const FULL_CHECKPOINT_EVERY = 16;
/** Timers fired, or namespaces of an expiring window visited, per write transaction on disk (bounds what one holds). */
const UNIT = 4096;

/** The operator's state and timers as plain data, for checkpoints. */
export interface StatefulSnapshot {
  readonly state: { namespaces: StateTableSnapshot["namespaces"][number][] };
  readonly timers: { timers: TimerTableSnapshot["timers"][number][] };
  readonly windows: { window: Window; gc: number }[];
}

/** A stateful operator, with its state exposed for checkpoints and tests. */
export interface StatefulOperator extends Operator {
  /**
   * A copy of every key's state and pending timers, by key group ({@link StatefulSnapshot} per group);
   * on disk, the entries changed since the last completed checkpoint (see `OperatorSnapshot.incremental`).
   */
  snapshot(checkpointId?: number): OperatorSnapshot;
  /** Replaces state and timers with a snapshot (before any data). */
  restore(snapshot: OperatorSnapshot): void;
}

/** The operator of a ParDo whose DoFn declares state or timers. */
export function statefulOperator(ctx: OperatorContext): StatefulOperator {
  const t = ctx.transform;
  const name = t.uniqueName;
  const where = `transform "${name}"`;
  const fn = ctx.fn<ParDoFn>();
  if (fn.kind !== "dofn") throw new Error(`internal: ${name} is stateful but runs a ${fn.kind} function`);
  const dofn = fn.dofn as unknown as StatefulDoFn & { setup?(c: { transformName: string }): unknown; teardown?(): unknown };
  const stateSpecs: StateSpecs = dofn.state ?? {};
  const timerSpecs: TimerSpecs = dofn.timers ?? {};
  const timerNames = Object.keys(timerSpecs);
  const strategy = ctx.windowingOf(t.inputs.main);
  const store = ctx.options.stateBackend === "disk" ? new DiskStore(stateRoot(ctx.options.stateDir), name, ctx.options.checkpointed === true) : null;
  const table = store ? new DiskStateTable(stateSpecs, store) : new StateTable(stateSpecs);
  const timers = store ? new DiskTimerTable(store) : new TimerTable();
  /** Runs a call into the operator in one write transaction on disk. */
  const atomically = <T>(f: () => T): T => (store ? store.batch(f) : f());
  /** Windows with state, by id, with their expiry (garbage-collection) time. */
  const live = new Map<string, { window: Window; gc: number }>();
  const expiries = new MinHeap<string>();
  const schemas = new Map<string, arrow.Schema | null>(Object.entries(t.outputs).map(([tag, id]) => [tag, ctx.schemaOf(id)]));
  const runner = new StatefulDoFnRunner({
    transform: name,
    dofn,
    allowedLateness: strategy.allowedLateness,
    outputTags: Object.keys(t.outputs),
    processingTime: () => ctx.processingTime(),
  });
  let watermark = MIN_TIMESTAMP;
  let setUp = false;

  const gcTime = (w: Window) => expiryOf(w, strategy.allowedLateness);

  const namespace = (key: unknown, keyId: string, window: Window): Namespace => {
    const wid = windowId(window);
    if (!live.has(wid)) {
      const gc = gcTime(window);
      live.set(wid, { window, gc });
      expiries.push(gc, wid);
    }
    return table.namespace(key, keyId, window);
  };

  const wakeAt = (at: number) => ctx.wakeAt(at);
  /** The runtime's view of a namespace: its cells, and its timers in the timer table. */
  const scopeOf = (ns: Namespace): KeyScope => {
    let s = ns.scope as KeyScope | undefined;
    if (!s) {
      s = { key: ns.key, window: ns.window, state: table.cells(ns), timers: new NamespaceTimers(ns, timers, wakeAt) };
      ns.scope = s;
    }
    return s;
  };

  const flush = () => {
    for (const out of runner.outputs.drain()) {
      const what = `output "${out.tag}" of ${where}`;
      let schema = schemas.get(out.tag) ?? null;
      if (!schema) schemas.set(out.tag, (schema = inferSchema(out.rows, what)));
      const data = rowsToRecordBatch(out.rows, schema, what);
      ctx.emit(out.tag, out.panes ? { data, timestamps: out.timestamps, windows: out.windows, panes: out.panes } : { data, timestamps: out.timestamps, windows: out.windows });
    }
  };

  const fireTimer = (td: TimerData) => runner.fireTimer(td, scopeOf(namespace(td.key, td.keyId, td.window)));

  const expireWindow = (wid: string) => {
    const w = live.get(wid);
    if (!w) return;
    live.delete(wid);
    const onExpiry = runner.expires;
    const namespaces = table.namespacesOf(wid)[Symbol.iterator]();
    // A window of many keys (on disk, more than memory holds) emits and commits as it goes.
    for (let more = true; more; ) {
      atomically(() => {
        for (let n = 0; n < UNIT; n++) {
          const next = namespaces.next();
          if (next.done) return void (more = false);
          const ns = next.value;
          if (onExpiry) runner.expireWindow(scopeOf(ns));
          table.drop(wid, ns.keyId);
          for (const timerName of timerNames) timers.clear(wid, ns.keyId, timerName);
        }
      });
      flush();
    }
  };

  /** What is due next at watermark `wm`: a timer, a window's expiry (timers first on ties), or nothing. */
  const nextDue = (wm: number): { timer: true } | { timer: false; wid: string } | null => {
    const td = timers.peek("event");
    const timerDue = td !== undefined && td.at < wm;
    let exp = expiries.peek();
    while (exp && !live.has(exp.item)) {
      expiries.pop();
      exp = expiries.peek();
    }
    const expiryDue = exp !== undefined && exp.priority < wm;
    if (timerDue && (!expiryDue || td!.at <= exp!.priority)) return { timer: true };
    return expiryDue ? { timer: false, wid: exp!.item } : null;
  };

  /** Fires due event-time timers and expires windows, in timestamp order (timers first on ties). */
  const advanceEventTime = (wm: number) => {
    for (let due = nextDue(wm); due; due = nextDue(wm)) {
      if (due.timer) {
        // On disk, up to UNIT timers fire in one write transaction.
        atomically(() => {
          for (let n = 0, d: ReturnType<typeof nextDue> = due; n < UNIT && d?.timer; n++, d = nextDue(wm)) fireTimer(timers.popDue("event", wm, true)!);
        });
      } else {
        expiries.pop();
        expireWindow(due.wid);
      }
    }
    flush();
  };

  const fireProcessingTime = (now: number) => {
    for (let more = true; more; ) {
      atomically(() => {
        for (let n = 0; n < UNIT; n++) {
          const td = timers.popDue("processing", now, false);
          if (!td) return void (more = false);
          fireTimer(td);
        }
      });
    }
    flush();
    const next = timers.peek("processing");
    if (next) ctx.wakeAt(next.at);
  };

  /** Runs the DoFn over a batch of {key, value} rows, each in its key and window's state. */
  const processRows = (batch: ElementBatch): void => {
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
    runner.startBundle();
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const window = windowAt(batch.windows, i);
      if (gcTime(window) < watermark) {
        dropped++;
        continue;
      }
      const row = read(i) as { key: unknown };
      const scope = scopeOf(namespace(row.key, valueKey(row.key), window));
      const panes = batch.panes;
      const pane = paneAt(panes, i);
      runner.process(row, batch.timestamps[i], scope, pane, panes ? { flags: panes.flags[i], index: panes.index[i], nonSpeculative: pane.nonSpeculativeIndex } : undefined);
    }
    if (dropped > 0) ctx.count("droppedDueToLateness", dropped);
    runner.finishBundle();
    flush();
    // Timers set in the past are already due.
    advanceEventTime(watermark);
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
      atomically(() => processRows(batch));
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

    onCommit(id) {
      store?.completed(id);
    },

    async close() {
      try {
        if (setUp && dofn.teardown) {
          try {
            await dofn.teardown();
          } catch (e) {
            throw wrapUserError(e, name);
          }
        }
      } finally {
        await store?.close();
      }
    },

    snapshot(checkpointId) {
      if (store) {
        return atomically(() => {
          (table as DiskStateTable).flush();
          const full = checkpointId === undefined || checkpointId % FULL_CHECKPOINT_EVERY === 0;
          const kgOf = (v: unknown) => keyGroupOf((v as StoredNamespace | StoredTimer).keyId);
          const fileOf = ctx.options.checkpointFile;
          if (fileOf && checkpointId !== undefined) {
            // Written to a file of the checkpoint a chunk at a time: the state may be larger than memory.
            const file = `state-${name.replace(/[^A-Za-z0-9_-]+/g, "_")}-${ctx.options.instance?.index ?? 0}.bin`;
            const { base, bytes } = store.writeDelta(checkpointId, full, kgOf, fileOf(checkpointId, file));
            return { keyed: [], watermark, incremental: { base, file, bytes } };
          }
          const { base, keyed } = store.delta(checkpointId ?? 0, full, kgOf);
          return { keyed, watermark, incremental: { base } };
        });
      }
      // Keyed by the key group of each namespace's key; every key group carries the live windows.
      const windows = structuredClone([...live.values()]);
      const byKeyGroup = new Map<number, StatefulSnapshot>();
      const entry = (keyId: string) => {
        const kg = keyGroupOf(keyId);
        let e = byKeyGroup.get(kg);
        if (!e) byKeyGroup.set(kg, (e = { state: { namespaces: [] }, timers: { timers: [] }, windows }));
        return e;
      };
      for (const ns of (table as StateTable).snapshot().namespaces) entry(ns.keyId).state.namespaces.push(ns);
      for (const t of (timers as TimerTable).snapshot().timers) entry(t.keyId).timers.timers.push(t);
      return { keyed: [...byKeyGroup].sort((a, b) => a[0] - b[0]), watermark };
    },

    restore(from) {
      const inc = from.incremental;
      const owned = inc?.keyGroups ? new Set(inc.keyGroups) : null;
      const replay = inc?.replay ?? [];
      if (from.watermark !== undefined && from.watermark > watermark) watermark = from.watermark;
      if (!store && replay.length > 0) {
        // In memory, the chain's files are merged into entries (the state fits in memory, or nothing does).
        const merged = new Map<string, DeltaEntry>();
        for (const r of replay) {
          if (r.reset) merged.clear();
          for (const chunk of readDeltaFile(r.file)) for (const e of chunk) if (!owned || owned.has(e[0])) merged.set(e[1][0], e);
        }
        from = { ...from, keyed: [...(from.keyed ?? []), ...[...merged.values()].filter((e) => e[1][1] !== undefined)] };
      }
      const s = restoredState(from, gcTime);
      if (store) {
        store.reset(inc?.of ?? null);
        atomically(() => {
          table.restore(s.state);
          timers.restore(s.timers);
        });
        // On disk, the chain's files are replayed a chunk at a time into the store.
        const disk = table as DiskStateTable;
        const diskTimers = timers as DiskTimerTable;
        for (const r of replay) {
          if (r.reset && r !== replay[0]) store.reset(inc?.of ?? null);
          for (const chunk of readDeltaFile(r.file)) {
            atomically(() => {
              for (const [kg, [id, v]] of chunk) {
                if (owned && !owned.has(kg)) continue;
                if (id.startsWith("n")) disk.apply(id, kg, v as StoredNamespace | undefined);
                else diskTimers.apply(id, kg, v as StoredTimer | undefined);
                const w = v === undefined ? undefined : id.startsWith("n") ? (v as StoredNamespace).window : (v as StoredTimer).data.window;
                if (w && !s.windows.some((x) => windowId(x.window) === windowId(w))) s.windows.push({ window: w, gc: gcTime(w) });
              }
            });
          }
        }
        store.forgetChanges();
      } else {
        table.restore(s.state);
        timers.restore(s.timers);
      }
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

/**
 * The state, timers and live windows a snapshot holds: per key group (memory backend), or as entries
 * (disk backend, `incremental`), whose live windows are those of their namespaces and timers.
 */
function restoredState(from: OperatorSnapshot, gcTime: (w: Window) => number): StatefulSnapshot {
  const s: StatefulSnapshot = { state: { namespaces: [] }, timers: { timers: [] }, windows: [] };
  const seen = new Set<string>();
  const addWindow = (w: { window: Window; gc: number }) => {
    if (seen.has(windowId(w.window))) return;
    seen.add(windowId(w.window));
    s.windows.push(w);
  };
  if (from.incremental) {
    const stored: StoredTimer[] = [];
    for (const [, [id, v]] of (from.keyed ?? []) as [number, [string, unknown]][]) {
      if (v === undefined) continue;
      if (id.startsWith("n")) {
        const ns = v as StoredNamespace;
        s.state.namespaces.push({ key: ns.key, keyId: ns.keyId, window: ns.window, cells: ns.cells });
        addWindow({ window: ns.window, gc: gcTime(ns.window) });
      } else stored.push(v as StoredTimer);
    }
    for (const t of stored.sort((a, b) => a.version - b.version)) {
      s.timers.timers.push(t.data);
      addWindow({ window: t.data.window, gc: gcTime(t.data.window) });
    }
    return s;
  }
  for (const [, e] of from.keyed ?? []) {
    const part = e as StatefulSnapshot;
    s.state.namespaces.push(...part.state.namespaces);
    s.timers.timers.push(...part.timers.timers);
    for (const w of part.windows) addWindow(w);
  }
  return s;
}

/** The timers of one namespace in the operator's timer table (a class: one is made per key and window). */
class NamespaceTimers implements TimerSink {
  constructor(
    private readonly ns: Namespace,
    private readonly table: TimerTable | DiskTimerTable,
    private readonly wakeAt: (at: number) => void,
  ) {}
  set(setting: TimerSetting): void {
    this.table.set({ ...setting, key: this.ns.key, keyId: this.ns.keyId, window: this.ns.window });
    if (setting.domain === "processing") this.wakeAt(setting.at);
  }
  clear(timerName: string): void {
    this.table.clear(windowId(this.ns.window), this.ns.keyId, timerName);
  }
}
