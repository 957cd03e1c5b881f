/**
 * Runs a ParDo's runtime object over ElementBatches. Shared by every runner (the direct runner's
 * operators and the portable SDK harness), so that user functions behave the same everywhere.
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, paneAt, takeMetadata, windowAt } from "./batch";
import { concatRecordBatches } from "./columns";
import { DEAD_LETTER_TAG, elementDeadLetter } from "./dead-letter";
import { ElementFailures, type ElementFailure } from "./element-failures";
import type { FinishBundleContext, OutputOptions, ProcessContext, SideInputView } from "./dofn";
import { BeamlineError, SchemaError, UserCodeError, wrapUserError } from "./errors";
import { keepRows } from "./keep-rows";
import type { ElementInfo, ParDoFn } from "./pardo";
import { rowAccessor, rowsToRecordBatch } from "./rows";
import { inferSchema } from "./schema";
import { MIN_TIMESTAMP } from "./time";
import { GLOBAL_WINDOW, sideInputWindow, Window, WindowFnSpec } from "./window";
import { OutputCollector } from "./output-collector";

/** The materialised contents of one side input: its rows with their windows. */
export interface SideInputData {
  readonly windowFn: WindowFnSpec;
  readonly batches: readonly ElementBatch[];
}

/** Executes one ParDo instance. */
export class ParDoInvoker {
  private readonly collectors = new Map<string, OutputCollector>();
  private readonly main: OutputCollector;
  private readonly sideData = new Map<string, SideInputData>();
  private readonly sideCache = new Map<string, unknown>();
  private fixedSchema: arrow.Schema | null;
  /** Retries and dead letters, when the transform asked for them. */
  private readonly failures: ElementFailures | null;
  /** The dead-letter output, when the transform has one. */
  private readonly deadLetters: OutputCollector | null;

  constructor(
    /** The transform's unique name, used in every error. */
    readonly transformName: string,
    private readonly fn: ParDoFn,
    outputSchemas: Record<string, arrow.Schema | null>,
    /** The output tags whose consumers read no values back as strings (see `WriteContext.keepStrings`). */
    private readonly columnarOutputs: ReadonlySet<string> = new Set(),
    /** The runner's processing-time clock (ms), which `ctx.processingTime()` reads. */
    private readonly clock: () => number = Date.now,
    /** Adds to a named counter of the transform in the run's metrics (retries and dead letters). */
    count?: (counter: string, n: number) => void,
  ) {
    for (const [tag, schema] of Object.entries(outputSchemas)) {
      this.collectors.set(tag, new OutputCollector(tag, schema, `transform "${transformName}"`, !columnarOutputs.has(tag)));
    }
    this.main = this.collectors.get("main")!;
    this.fixedSchema = outputSchemas.main ?? null;
    this.failures = fn.failures ? new ElementFailures(transformName, fn.failures, count) : null;
    this.deadLetters = fn.failures?.deadLetter ? (this.collectors.get(DEAD_LETTER_TAG) ?? null) : null;
    if (fn.failures?.deadLetter && !this.deadLetters) {
      throw new BeamlineError({ code: "BL_NO_DEAD_LETTER_OUTPUT", domain: "internal", where: `transform "${transformName}"`, value: Object.keys(outputSchemas), rule: "a ParDo with dead letters lacks its deadLetter output" });
    }
  }

  /** The input ended: checks the dead-letter ratio over everything this instance processed. */
  finish(): void {
    this.failures?.finish();
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
    if (this.failures) {
      this.processGuarded(batch, emit, this.failures);
      return;
    }
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
        const out = keepRows(batch, keep, kept);
        if (out) emit("main", out);
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

  /**
   * Processes a batch of a transform with retries or dead letters. The whole batch runs inside one
   * try, as fast as without; only a row that throws is retried, then dead-lettered (or fails the
   * run), and the rest of the batch goes on after it. What a failed attempt emitted is dropped.
   */
  private processGuarded(batch: ElementBatch, emit: (tag: string, batch: ElementBatch) => void, failures: ElementFailures): void {
    const n = batch.data.numRows;
    const fn = this.fn;
    switch (fn.kind) {
      case "columnar":
        fn.fn(batch, emit);
        return;
      case "batch":
        this.batchGuarded(batch, fn.fn, emit);
        break;
      case "filter": {
        const read = rowAccessor(batch.data);
        const keep = new Uint8Array(n);
        const info = this.info(batch);
        this.eachRowGuarded(batch, read, (i) => {
          info.i = i;
          if (fn.fn(read(i), info)) keep[i] = 1;
        }, NO_UNDO);
        let kept = 0;
        for (let i = 0; i < n; i++) kept += keep[i];
        this.flushDeadLetters(batch, emit);
        const out = keepRows(batch, keep, kept);
        if (out) emit("main", out);
        break;
      }
      case "map": {
        const read = rowAccessor(batch.data);
        const rows = new Array<unknown>(n);
        const info = this.info(batch);
        const lost = this.eachRowGuarded(batch, read, (i) => {
          info.i = i;
          rows[i] = fn.fn(read(i), info);
        }, NO_UNDO, (i) => (rows[i] = LOST));
        this.mapOutput(batch, read, rows, lost, emit);
        break;
      }
      case "flatMap": {
        const read = rowAccessor(batch.data);
        const info = this.info(batch);
        const main = this.main;
        this.eachRowGuarded(batch, read, (i) => {
          info.i = i;
          const outs = fn.fn(read(i), info);
          if (Array.isArray(outs)) for (let k = 0; k < outs.length; k++) main.add(outs[k], i);
          else for (const out of outs) main.add(out, i);
        }, (i) => main.dropFrom(i));
        this.flushAll(batch, emit);
        break;
      }
      case "dofn":
        this.processDoFn(fn.dofn, batch, emit);
        break;
    }
    failures.counted(n);
  }

  /**
   * Runs `body` over every row inside one try; a row that throws is undone, retried under the policy
   * and, when no attempt succeeds, dead-lettered (`lost` is told) or fails the run. Returns how many
   * rows were dead-lettered.
   */
  private eachRowGuarded(batch: ElementBatch, read: (i: number) => unknown, body: (i: number) => void, undo: (i: number) => void, lost?: (i: number) => void): number {
    const failures = this.failures!;
    const n = batch.data.numRows;
    let dead = 0;
    let i = 0;
    while (i < n) {
      try {
        for (; i < n; i++) body(i);
      } catch (e) {
        undo(i);
        const k = i++;
        const failure = failures.retry(e, () => {
          try {
            body(k);
          } catch (err) {
            undo(k);
            throw err;
          }
        });
        if (failure) {
          this.deadLetter(batch, k, read(k), failure);
          lost?.(k);
          dead++;
        }
      }
    }
    return dead;
  }

  /** Routes row `i` (its attempts failed) to the dead-letter output, or fails the run without one. */
  private deadLetter(batch: ElementBatch, i: number, row: unknown, failure: ElementFailure): void {
    const failures = this.failures!;
    if (!this.deadLetters) throw failures.failRun(failure, row);
    this.deadLetters.add(elementDeadLetter(this.transformName, row, failure.error, failure.attempts, batch.timestamps[i], windowAt(batch.windows, i)), i);
    failures.deadLettered(failure.error);
  }

  private flushDeadLetters(batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void): void {
    const out = this.deadLetters?.flush(batch);
    if (out) emit(DEAD_LETTER_TAG, out);
  }

  /**
   * The main output of a guarded map: the rows that were not lost. A row that does not fit the output
   * schema is the element's fault too: it goes to dead letters, found by converting row by row.
   */
  private mapOutput(batch: ElementBatch, read: (i: number) => unknown, rows: unknown[], lost: number, emit: (tag: string, b: ElementBatch) => void): void {
    const where = `output of transform "${this.transformName}"`;
    let idx: Int32Array | null = null;
    let out = rows;
    /** Keeps the rows not marked LOST (`dropped` of them are). */
    const compact = (dropped: number) => {
      const m = rows.length - dropped;
      idx = new Int32Array(m);
      out = new Array<unknown>(m);
      for (let i = 0, k = 0; i < rows.length; i++) {
        if (rows[i] === LOST) continue;
        idx[k] = i;
        out[k++] = rows[i];
      }
    };
    if (lost > 0) compact(lost);
    let data: arrow.RecordBatch | null = null;
    if (out.length > 0) {
      if (!this.fixedSchema) this.fixedSchema = inferSchema(out, where);
      const schema = this.fixedSchema;
      const keepStrings = !this.columnarOutputs.has("main");
      try {
        data = rowsToRecordBatch(out, schema, where, { keepStrings });
      } catch (e) {
        if (!(e instanceof SchemaError) || !this.deadLetters) throw e;
        for (let i = 0; i < rows.length; i++) {
          if (rows[i] === LOST) continue;
          try {
            rowsToRecordBatch([rows[i]], schema, where, { keepStrings });
          } catch (err) {
            if (!(err instanceof SchemaError)) throw err;
            this.deadLetter(batch, i, read(i), { error: err, attempts: 1 });
            rows[i] = LOST;
            lost++;
          }
        }
        compact(lost);
        data = out.length > 0 ? rowsToRecordBatch(out, schema, where, { keepStrings }) : null;
      }
    }
    this.flushDeadLetters(batch, emit);
    if (!data) return;
    const meta = idx ? takeMetadata(batch, idx) : { timestamps: batch.timestamps, windows: batch.windows, ...(batch.panes ? { panes: batch.panes } : {}) };
    emit("main", { data, ...meta });
  }

  /**
   * A guarded mapBatches: the whole batch first; when the function throws on it, row by row (each
   * row a batch of one), so that only the rows it throws on are retried and dead-lettered.
   */
  private batchGuarded(batch: ElementBatch, fn: (b: arrow.RecordBatch) => arrow.RecordBatch, emit: (tag: string, b: ElementBatch) => void): void {
    let whole: arrow.RecordBatch | null = null;
    try {
      whole = fn(batch.data);
    } catch (e) {
      if (e instanceof BeamlineError && e.domain === "internal") throw e;
    }
    if (whole) {
      this.emitBatchResult(batch, whole, emit);
      return;
    }
    const outs: arrow.RecordBatch[] = [];
    const from: number[] = [];
    let schema = this.fixedSchema;
    this.eachRowGuarded(batch, rowAccessor(batch.data), (i) => {
      const out = fn(batch.data.slice(i, i + 1));
      this.checkBatchResult(out);
      if (!schema) schema = out.schema;
      else this.checkSchema(schema, out.schema);
      outs.push(out);
      from.push(i);
    }, (i) => {
      if (from[from.length - 1] === i) {
        outs.pop();
        from.pop();
      }
    });
    this.flushDeadLetters(batch, emit);
    let rows = 0;
    for (const o of outs) rows += o.numRows;
    if (rows === 0) return;
    const idx = new Int32Array(rows);
    for (let j = 0, k = 0; j < outs.length; j++) idx.fill(from[j], k, (k += outs[j].numRows));
    emit("main", { data: concatRecordBatches(schema!, outs), ...takeMetadata(batch, idx) });
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
    this.checkBatchResult(out);
    if (out.numRows === 0) return;
    if (this.fixedSchema) this.checkSchema(this.fixedSchema, out.schema);
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

  /** Throws unless a mapBatches function returned a RecordBatch. */
  private checkBatchResult(out: arrow.RecordBatch): void {
    if (!out || typeof out !== "object" || typeof (out as arrow.RecordBatch).numRows !== "number" || !(out as arrow.RecordBatch).schema) {
      throw new UserCodeError({
        code: "BL_BAD_BATCH_RESULT",
        where: `transform "${this.transformName}"`,
        value: out,
        rule: "a mapBatches function must return an Arrow RecordBatch",
        fix: "return a RecordBatch (for example batch.select([...]) or new RecordBatch({...}))",
      });
    }
  }

  /** Throws unless a returned batch's schema is the expected one. */
  private checkSchema(expected: arrow.Schema, got: arrow.Schema): void {
    if (!sameFields(expected, got)) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        where: `transform "${this.transformName}"`,
        value: got.fields.map((f) => `${f.name}: ${f.type}`),
        rule: `the returned batch does not have the declared schema (${expected.fields.map((f) => `${f.name}: ${f.type}`).join(", ")})`,
        fix: "return batches with exactly the declared fields and types, or drop the schema option to infer it",
      });
    }
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
    if (this.failures) {
      const collectors = [...this.collectors.values()];
      this.eachRowGuarded(batch, read, (k) => {
        i = k;
        dofn.process(read(k), ctx);
      }, (k) => {
        for (const c of collectors) c.dropFrom(k);
      });
    } else {
      for (; i < n; i++) {
        const row = read(i);
        try {
          dofn.process(row, ctx);
        } catch (e) {
          throw wrapUserError(e, this.transformName, row);
        }
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

/** A lost map output row: its element went to dead letters. */
const LOST = Symbol("lost");

/** Nothing to undo: a failed attempt emitted nothing. */
const NO_UNDO = (_i: number): void => {};

function sameFields(a: arrow.Schema, b: arrow.Schema): boolean {
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => f.name === b.fields[i].name && String(f.type) === String(b.fields[i].type));
}
