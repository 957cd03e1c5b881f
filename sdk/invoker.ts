/**
 * Runs a ParDo's runtime object over ElementBatches. Shared by every runner (the direct runner's
 * operators and the portable SDK harness), so that user functions behave the same everywhere.
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, GLOBAL_WINDOWS, paneAt, takeMetadata, windowAt, WindowColumn } from "./batch";
import { filterRecordBatch } from "./columns";
import type { FinishBundleContext, OutputOptions, ProcessContext, SideInputView } from "./dofn";
import { BeamlineError, SchemaError, UserCodeError, wrapUserError } from "./errors";
import type { ElementInfo, ParDoFn } from "./pardo";
import { rowAccessor, rowsToRecordBatch } from "./rows";
import { inferSchema } from "./schema";
import { MIN_TIMESTAMP } from "./time";
import { GLOBAL_WINDOW, sideInputWindow, Window, WindowFnSpec } from "./window";

/** The materialised contents of one side input: its rows with their windows. */
export interface SideInputData {
  readonly windowFn: WindowFnSpec;
  readonly batches: readonly ElementBatch[];
}

/** Collects the rows emitted to one output tag while a batch is processed. */
class OutputCollector {
  /** The rows (its first `count` entries): grown once and reused across batches, cleared after each. */
  private rows: unknown[] = [];
  private count = 0;
  /** The source row of each output row (its first `rows.length` entries), grown by doubling and reused across batches. */
  private src = new Int32Array(1024);
  ts: number[] | null = null;
  win: Window[] | null = null;

  constructor(
    readonly tag: string,
    public schema: arrow.Schema | null,
    private readonly where: string,
    /** Whether string columns keep their strings (see `WriteContext.keepStrings`). */
    private readonly keepStrings = true,
  ) {}

  /** Adds a row that takes its timestamp and window from source row `src`. */
  add(row: unknown, src: number): void {
    const k = this.count++;
    if (k === this.src.length) this.growSrc();
    this.src[k] = src;
    if (k < this.rows.length) this.rows[k] = row;
    else this.rows.push(row);
    if (this.ts) this.ts.push(undefined as unknown as number);
    if (this.win) this.win.push(undefined as unknown as Window);
  }

  /** Adds a row with its own timestamp and window (either undefined: the source row's). */
  addWith(row: unknown, src: number, ts?: number, window?: Window): void {
    if (ts !== undefined && this.ts === null) this.ts = new Array(this.count);
    if (window !== undefined && this.win === null) this.win = new Array(this.count);
    const k = this.count++;
    if (k === this.src.length) this.growSrc();
    this.src[k] = src;
    if (k < this.rows.length) this.rows[k] = row;
    else this.rows.push(row);
    if (this.ts) this.ts.push(ts as number);
    if (this.win) this.win.push(window as Window);
  }

  private growSrc(): void {
    const grown = new Int32Array(this.src.length * 2);
    grown.set(this.src);
    this.src = grown;
  }

  /** Builds the output batch: metadata taken from the source rows unless overridden. */
  flush(input: ElementBatch | null): ElementBatch | null {
    const n = this.count;
    if (n === 0) return null;
    const rows = n === this.rows.length ? this.rows : this.rows.slice(0, n);
    if (!this.schema) this.schema = inferSchema(rows, `output "${this.tag}" of ${this.where}`);
    const data = rowsToRecordBatch(rows, this.schema, `output "${this.tag}" of ${this.where}`, { keepStrings: this.keepStrings });
    let timestamps: Float64Array;
    let windows: WindowColumn;
    let panes;
    if (input) {
      const meta = takeMetadata(input, this.src.subarray(0, n));
      timestamps = meta.timestamps;
      windows = meta.windows;
      panes = meta.panes;
    } else {
      timestamps = new Float64Array(n).fill(MIN_TIMESTAMP);
      windows = GLOBAL_WINDOWS;
    }
    if (this.ts) for (let k = 0; k < n; k++) if (this.ts[k] !== undefined) timestamps[k] = this.ts[k];
    if (this.win) {
      const start = new Float64Array(n);
      const end = new Float64Array(n);
      let anyInterval = false;
      for (let k = 0; k < n; k++) {
        const w = this.win[k] ?? windowAt(windows, k);
        start[k] = w.start;
        end[k] = w.end;
        if (!w.global) anyInterval = true;
      }
      windows = anyInterval ? { kind: "interval", start, end } : GLOBAL_WINDOWS;
    }
    // Let go of the rows (the batch holds what it needs) but keep the array's room.
    this.rows.fill(undefined, 0, n);
    this.count = 0;
    this.ts = null;
    this.win = null;
    return panes ? { data, timestamps, windows, panes } : { data, timestamps, windows };
  }
}

/** Executes one ParDo instance. */
export class ParDoInvoker {
  private readonly collectors = new Map<string, OutputCollector>();
  private readonly main: OutputCollector;
  private readonly sideData = new Map<string, SideInputData>();
  private readonly sideCache = new Map<string, unknown>();
  private fixedSchema: arrow.Schema | null;

  constructor(
    /** The transform's unique name, used in every error. */
    readonly transformName: string,
    private readonly fn: ParDoFn,
    outputSchemas: Record<string, arrow.Schema | null>,
    /** The output tags whose consumers read no values back as strings (see `WriteContext.keepStrings`). */
    private readonly columnarOutputs: ReadonlySet<string> = new Set(),
    /** The runner's processing-time clock (ms), which `ctx.processingTime()` reads. */
    private readonly clock: () => number = Date.now,
  ) {
    for (const [tag, schema] of Object.entries(outputSchemas)) {
      this.collectors.set(tag, new OutputCollector(tag, schema, `transform "${transformName}"`, !columnarOutputs.has(tag)));
    }
    this.main = this.collectors.get("main")!;
    this.fixedSchema = outputSchemas.main ?? null;
  }

  /** Names of the side inputs this ParDo reads. */
  get sideInputNames(): string[] {
    return this.fn.kind === "dofn" ? Object.keys(this.fn.sideInputs) : [];
  }

  /** Provides a side input's full contents (before any main-input row is processed). */
  setSideInput(name: string, data: SideInputData): void {
    this.sideData.set(name, data);
    for (const k of [...this.sideCache.keys()]) if (k.startsWith(`${name}\u0000`)) this.sideCache.delete(k);
  }

  /** Calls the DoFn's setup. */
  async setup(): Promise<void> {
    if (this.fn.kind === "dofn" && this.fn.dofn.setup) {
      try {
        await this.fn.dofn.setup({ transformName: this.transformName });
      } catch (e) {
        throw wrapUserError(e, this.transformName);
      }
    }
  }

  /** Calls the DoFn's teardown. */
  async teardown(): Promise<void> {
    if (this.fn.kind === "dofn" && this.fn.dofn.teardown) {
      try {
        await this.fn.dofn.teardown();
      } catch (e) {
        throw wrapUserError(e, this.transformName);
      }
    }
  }

  /** Processes one batch as one bundle, emitting output batches per tag. */
  processBatch(batch: ElementBatch, emit: (tag: string, batch: ElementBatch) => void): void {
    const n = batch.data.numRows;
    if (n === 0) return;
    const fn = this.fn;
    switch (fn.kind) {
      case "columnar":
        fn.fn(batch, emit);
        return;
      case "batch": {
        let out: arrow.RecordBatch;
        try {
          out = fn.fn(batch.data);
        } catch (e) {
          throw wrapUserError(e, this.transformName);
        }
        this.emitBatchResult(batch, out, emit);
        return;
      }
      case "filter": {
        const read = rowAccessor(batch.data);
        const keep = new Uint8Array(n);
        const info = this.info(batch);
        let kept = 0;
        for (let i = 0; i < n; i++) {
          const row = read(i);
          info.i = i;
          let ok: boolean;
          try {
            ok = fn.fn(row, info);
          } catch (e) {
            throw wrapUserError(e, this.transformName, row);
          }
          if (ok) {
            keep[i] = 1;
            kept++;
          }
        }
        if (kept === 0) return;
        if (kept === n) {
          emit("main", batch);
          return;
        }
        const idx = new Int32Array(kept);
        for (let i = 0, k = 0; i < n; i++) if (keep[i]) idx[k++] = i;
        emit("main", { data: filterRecordBatch(batch.data, keep), ...takeMetadata(batch, idx) });
        return;
      }
      case "map": {
        const read = rowAccessor(batch.data);
        const rows = new Array<unknown>(n);
        const info = this.info(batch);
        for (let i = 0; i < n; i++) {
          const row = read(i);
          info.i = i;
          try {
            rows[i] = fn.fn(row, info);
          } catch (e) {
            throw wrapUserError(e, this.transformName, row);
          }
        }
        if (!this.fixedSchema) this.fixedSchema = inferSchema(rows, `output of transform "${this.transformName}"`);
        const data = rowsToRecordBatch(rows, this.fixedSchema, `output of transform "${this.transformName}"`, { keepStrings: !this.columnarOutputs.has("main") });
        emit("main", { data, timestamps: batch.timestamps, windows: batch.windows, ...(batch.panes ? { panes: batch.panes } : {}) });
        return;
      }
      case "flatMap": {
        const read = rowAccessor(batch.data);
        const info = this.info(batch);
        const main = this.main;
        for (let i = 0; i < n; i++) {
          const row = read(i);
          info.i = i;
          try {
            const outs = fn.fn(row, info);
            if (Array.isArray(outs)) for (let k = 0; k < outs.length; k++) main.add(outs[k], i);
            else for (const out of outs) main.add(out, i);
          } catch (e) {
            throw wrapUserError(e, this.transformName, row);
          }
        }
        this.flushAll(batch, emit);
        return;
      }
      case "dofn":
        this.processDoFn(fn.dofn, batch, emit);
        return;
    }
  }

  private info(batch: ElementBatch): ElementInfo & { i: number } {
    return {
      i: 0,
      get timestamp() {
        return batch.timestamps[this.i];
      },
      get window() {
        return windowAt(batch.windows, this.i);
      },
      get pane() {
        return paneAt(batch.panes, this.i);
      },
    };
  }

  private emitBatchResult(batch: ElementBatch, out: arrow.RecordBatch, emit: (tag: string, b: ElementBatch) => void): void {
    if (!out || typeof out !== "object" || typeof (out as arrow.RecordBatch).numRows !== "number" || !(out as arrow.RecordBatch).schema) {
      throw new UserCodeError({
        code: "BL_BAD_BATCH_RESULT",
        where: `transform "${this.transformName}"`,
        value: out,
        rule: "a mapBatches function must return an Arrow RecordBatch",
        fix: "return a RecordBatch (for example batch.select([...]) or new RecordBatch({...}))",
      });
    }
    if (out.numRows === 0) return;
    if (this.fixedSchema && !sameFields(this.fixedSchema, out.schema)) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        where: `transform "${this.transformName}"`,
        value: out.schema.fields.map((f) => `${f.name}: ${f.type}`),
        rule: `the returned batch does not have the declared schema (${this.fixedSchema.fields.map((f) => `${f.name}: ${f.type}`).join(", ")})`,
        fix: "return batches with exactly the declared fields and types, or drop the schema option to infer it",
      });
    }
    if (out.numRows === batch.data.numRows) {
      emit("main", { data: out, timestamps: batch.timestamps, windows: batch.windows, ...(batch.panes ? { panes: batch.panes } : {}) });
      return;
    }
    // A different row count: the rows no longer line up with their inputs, so all inputs must share
    // one timestamp and window for the output rows to inherit them.
    const ts0 = batch.timestamps[0];
    const w0 = windowAt(batch.windows, 0);
    for (let i = 1; i < batch.data.numRows; i++) {
      const w = windowAt(batch.windows, i);
      if (batch.timestamps[i] !== ts0 || w.start !== w0.start || w.end !== w0.end) {
        throw new UserCodeError({
          code: "BL_BATCH_ROWCOUNT_CHANGED",
          where: `transform "${this.transformName}"`,
          value: { inputRows: batch.data.numRows, outputRows: out.numRows },
          rule: "a mapBatches function may change the number of rows only when all rows of the batch share one timestamp and window",
          fix: "return one output row per input row, or use flatMap / a DoFn for event-time data",
        });
      }
    }
    const idx = new Int32Array(out.numRows);
    emit("main", { data: out, ...takeMetadata(batch, idx) });
  }

  private processDoFn(dofn: NonNullable<Extract<ParDoFn, { kind: "dofn" }>["dofn"]>, batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void): void {
    const n = batch.data.numRows;
    const read = rowAccessor(batch.data);
    let i = 0;
    const self = this;
    const ctx: ProcessContext<unknown> = {
      get timestamp() {
        return batch.timestamps[i];
      },
      get window() {
        return windowAt(batch.windows, i);
      },
      get pane() {
        return paneAt(batch.panes, i);
      },
      output(row: unknown, options?: OutputOptions) {
        const c = options?.tag === undefined ? self.main : self.collector(options.tag);
        c.addWith(row, i, options?.timestamp);
      },
      sideInput<V>(name: string): V {
        return self.sideInputValue(name, windowAt(batch.windows, i)) as V;
      },
      processingTime: this.clock,
    };
    try {
      dofn.startBundle?.();
    } catch (e) {
      throw wrapUserError(e, this.transformName);
    }
    for (; i < n; i++) {
      const row = read(i);
      try {
        dofn.process(row, ctx);
      } catch (e) {
        throw wrapUserError(e, this.transformName, row);
      }
    }
    this.flushAll(batch, emit);
    if (dofn.finishBundle) {
      const fctx: FinishBundleContext = {
        output(row, options) {
          const c = options?.tag === undefined ? self.main : self.collector(options.tag);
          c.addWith(row, -1, options?.timestamp ?? MIN_TIMESTAMP, options?.window ?? GLOBAL_WINDOW);
        },
      };
      try {
        dofn.finishBundle(fctx);
      } catch (e) {
        throw wrapUserError(e, this.transformName);
      }
      for (const c of this.collectors.values()) {
        const out = c.flush(null);
        if (out) emit(c.tag, out);
      }
    }
  }

  private collector(tag: string): OutputCollector {
    const c = this.collectors.get(tag);
    if (!c) {
      throw new UserCodeError({
        code: "BL_UNKNOWN_OUTPUT_TAG",
        where: `transform "${this.transformName}"`,
        value: tag,
        rule: "the DoFn emitted to an output tag it did not declare",
        fix: `declare it: parDoWithOutputs(fn, { outputs: { ${tag}: null } }); declared: ${[...this.collectors.keys()].join(", ")}`,
      });
    }
    return c;
  }

  private flushAll(batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void): void {
    for (const c of this.collectors.values()) {
      const out = c.flush(batch);
      if (out) emit(c.tag, out);
    }
  }

  private sideInputValue(name: string, mainWindow: Window): unknown {
    if (this.fn.kind !== "dofn" || !(name in this.fn.sideInputs)) {
      throw new UserCodeError({
        code: "BL_UNKNOWN_SIDE_INPUT",
        where: `transform "${this.transformName}"`,
        value: name,
        rule: "the DoFn read a side input it did not declare",
        fix: `declare it: parDo(fn, { sideInputs: { ${name}: sideInput.singleton(pcollection) } })`,
      });
    }
    const view: SideInputView<unknown> = this.fn.sideInputs[name];
    const data = this.sideData.get(name);
    if (!data) throw new BeamlineError({ code: "BL_SIDE_INPUT_NOT_READY", domain: "internal", value: name, rule: "side input read before it was ready" });
    const w = sideInputWindow(data.windowFn, mainWindow);
    const key = `${name}\u0000${w.start}\u0000${w.end}`;
    if (this.sideCache.has(key)) return this.sideCache.get(key);
    const values: unknown[] = [];
    for (const b of data.batches) {
      const read = rowAccessor(b.data);
      for (let r = 0; r < b.data.numRows; r++) {
        const bw = windowAt(b.windows, r);
        if (bw.start === w.start && bw.end === w.end) values.push(read(r));
      }
    }
    let value: unknown;
    const where = `side input "${name}" of transform "${this.transformName}"`;
    switch (view.kind) {
      case "iterable":
        value = values;
        break;
      case "singleton":
        if (values.length === 1) value = values[0];
        else if (values.length === 0 && view.hasDefault) value = view.defaultValue;
        else {
          throw new UserCodeError({
            code: "BL_SINGLETON_SIDE_INPUT",
            where,
            value: values.length > 3 ? [...values.slice(0, 3), "…"] : values,
            rule: `a singleton side input must hold exactly one row in each window; it holds ${values.length}`,
            fix: values.length === 0 ? "give a default: sideInput.singleton(pc, { defaultValue: … })" : "combine it to one row first (for example combineGlobally), or use sideInput.iterable",
          });
        }
        break;
      case "map": {
        const m = new Map<unknown, unknown>();
        for (const v of values) {
          const kv = v as { key: unknown; value: unknown };
          if (!kv || typeof kv !== "object" || !("key" in kv)) {
            throw new UserCodeError({ code: "BL_MAP_SIDE_INPUT", where, value: v, rule: "a map side input needs rows {key, value}", fix: "map rows to { key, value } first" });
          }
          if (m.has(kv.key)) {
            throw new UserCodeError({
              code: "BL_MAP_SIDE_INPUT",
              where,
              value: kv.key,
              rule: "a map side input must have unique keys; this key appears twice",
              fix: "group the values first (groupByKey) or use sideInput.iterable",
            });
          }
          m.set(kv.key, kv.value);
        }
        value = m;
        break;
      }
    }
    this.sideCache.set(key, value);
    return value;
  }
}

function sameFields(a: arrow.Schema, b: arrow.Schema): boolean {
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => f.name === b.fields[i].name && String(f.type) === String(b.fields[i].type));
}
