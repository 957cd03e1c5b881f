/**
 * The rows one output tag of a ParDo receives while a batch is processed, turned into an output batch
 * whose timestamps, windows and panes come from the input rows that emitted them (or from the output's
 * own, when the user gave them).
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, GLOBAL_WINDOWS, takeMetadata, windowAt, WindowColumn } from "./batch";
import { rowsToRecordBatch } from "./rows";
import { inferSchema } from "./schema";
import { MIN_TIMESTAMP } from "./time";
import type { Window } from "./window";

/** Collects the rows emitted to one output tag while a batch is processed. */
export class OutputCollector {
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

  /** Drops the last rows when they came from source row `src`: what a failed attempt at it emitted. */
  dropFrom(src: number): void {
    while (this.count > 0 && this.src[this.count - 1] === src) {
      this.rows[--this.count] = undefined;
      this.ts?.pop();
      this.win?.pop();
    }
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
    if (!this.schema) this.schema = inferSchema(n === this.rows.length ? this.rows : this.rows.slice(0, n), `output "${this.tag}" of ${this.where}`);
    // The first n rows of the reused array: copying them out would allocate an array per batch.
    const data = rowsToRecordBatch(this.rows, this.schema, `output "${this.tag}" of ${this.where}`, { keepStrings: this.keepStrings, count: n });
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
