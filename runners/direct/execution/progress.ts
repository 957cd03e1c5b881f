/**
 * The progress line of a long run: rows moved, throughput, the pipeline's watermark and the last
 * checkpoint, redrawn in place on a terminal at most a few times a second — and nothing at all when
 * the output is not a terminal (logs and pipes stay clean).
 */
import { formatTimestamp, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";

/** What the line shows. */
export interface ProgressSnapshot {
  /** Rows emitted so far, over all transforms. */
  readonly rows: number;
  /** The slowest output watermark (ms), when known. */
  readonly watermark?: number;
  /** The last completed checkpoint: its number and how long it took (ms). */
  readonly checkpoint?: { readonly id: number; readonly durationMs: number };
  /** Each source's records so far and its watermark (ms), when known. */
  readonly sources?: readonly { readonly name: string; readonly rows: number; readonly watermark?: number }[];
  /** What bounded file input has left: bytes, the fraction already read, and the time left at the rate so far (ms). */
  readonly input?: { readonly leftBytes: number; readonly done: number; readonly etaMs?: number };
}

/** Where the line goes: a stream that may be a terminal. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Renders one progress line. */
export function formatProgress(s: ProgressSnapshot, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? s.rows / seconds : 0;
  const parts = [`${seconds.toFixed(1)} s`, `${human(s.rows)} rows`, `${human(rate)} rows/s`];
  if (s.watermark !== undefined) {
    parts.push(`watermark ${formatTimestamp(s.watermark)}`);
  }
  for (const src of s.sources ?? []) parts.push(`${src.name} ${human(src.rows)} records${src.watermark !== undefined ? ` (watermark ${formatTimestamp(src.watermark)})` : ""}`);
  if (s.input) {
    const filled = Math.round(Math.min(1, Math.max(0, s.input.done)) * 10);
    const eta = s.input.etaMs !== undefined ? `, ETA ${Math.ceil(s.input.etaMs / 1000)} s` : "";
    parts.push(`[${"#".repeat(filled)}${".".repeat(10 - filled)}] ${Math.round(s.input.done * 100)}% · ${megabytes(s.input.leftBytes)} left${eta}`);
  }
  if (s.checkpoint) parts.push(`checkpoint ${s.checkpoint.id} (${s.checkpoint.durationMs} ms)`);
  return `beamline: ${parts.join(" · ")}`;
}

function megabytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * Follows what bounded file input has left, from the backlog its sources report: the fraction read
 * since the first report, and the time left at the rate since then.
 */
export class InputProgress {
  private first: { at: number; left: number } | null = null;

  /** The input's progress now, given the bytes left (undefined: nothing reported). */
  at(now: number, leftBytes: number | undefined): ProgressSnapshot["input"] {
    if (leftBytes === undefined) return undefined;
    if (this.first === null || leftBytes > this.first.left) this.first = { at: now, left: leftBytes };
    const { at, left } = this.first;
    const read = left - leftBytes;
    const done = left > 0 ? read / left : 1;
    const etaMs = read > 0 && now > at ? (leftBytes * (now - at)) / read : undefined;
    return { leftBytes, done, ...(etaMs !== undefined ? { etaMs } : {}) };
  }
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/**
 * Redraws the progress line from a snapshot function while a run lasts. When `beside` (the other
 * stream of the same terminal, such as stdout for a line on stderr) is a terminal too, whatever is
 * written to it while the line is drawn first clears the line, so that output never lands after it
 * on the same row; the next redraw puts the line back under that output.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private drawn = false;
  /** Puts `beside`'s own write back. */
  private unwrap = () => {};

  constructor(
    private readonly stream: ProgressStream,
    private readonly snapshot: () => ProgressSnapshot,
    private readonly intervalMs = 250,
    private readonly beside?: { readonly isTTY?: boolean; write: (...args: any[]) => boolean },
  ) {}

  /** Whether anything is drawn: only on a terminal. */
  get active(): boolean {
    return this.stream.isTTY === true;
  }

  /** Starts redrawing (nothing happens when the stream is not a terminal). */
  start(): this {
    if (!this.active || this.timer) return this;
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
    const beside = this.beside;
    if (beside?.isTTY === true) {
      const write = beside.write;
      beside.write = (...args: unknown[]) => {
        if (this.drawn) {
          this.stream.write("\r\x1b[2K");
          this.drawn = false;
        }
        return write.apply(beside, args);
      };
      this.unwrap = () => {
        beside.write = write;
      };
    }
    return this;
  }

  /** Draws the line now. */
  draw(): void {
    if (!this.active) return;
    this.stream.write(`\r\x1b[2K${formatProgress(this.snapshot(), Date.now() - this.started)}`);
    this.drawn = true;
  }

  /** Stops, leaving the last line in place (ended by a newline). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unwrap();
    this.unwrap = () => {};
    if (this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}

/** One instance's progress, as its executor sees it. */
export interface InstanceProgress {
  /** Rows the instance's read sources produced. */
  readonly rows: number;
  /** The slowest output watermark of its transforms (ms). */
  readonly watermark: number;
}

/**
 * The progress of every instance of a run, in a SharedArrayBuffer that worker threads write into
 * (two cells per instance) and the calling thread reads for the progress line.
 */
export class ProgressBoard {
  private readonly cells: Float64Array;

  /** A board for `instances` instances, or over the buffer of an existing board (in a worker). */
  constructor(instancesOrBuffer: number | SharedArrayBuffer) {
    const buffer = typeof instancesOrBuffer === "number" ? new SharedArrayBuffer(instancesOrBuffer * 2 * Float64Array.BYTES_PER_ELEMENT) : instancesOrBuffer;
    this.cells = new Float64Array(buffer);
    if (typeof instancesOrBuffer === "number") for (let i = 1; i < this.cells.length; i += 2) this.cells[i] = MIN_TIMESTAMP;
  }

  /** The shared memory, to post to workers. */
  get buffer(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  /** Records instance `index`'s progress. */
  publish(index: number, p: InstanceProgress): void {
    this.cells[2 * index] = p.rows;
    this.cells[2 * index + 1] = p.watermark;
  }

  /** Rows over all instances, and the slowest watermark. */
  read(): { rows: number; watermark: number } {
    let rows = 0;
    let watermark = MAX_TIMESTAMP;
    for (let i = 0; i < this.cells.length; i += 2) {
      rows += this.cells[i];
      watermark = Math.min(watermark, this.cells[i + 1]);
    }
    return { rows, watermark };
  }

  /**
   * Publishes instance `index`'s progress from `probe` every `intervalMs` until the returned
   * function is called (which publishes one last time).
   */
  follow(index: number, probe: () => InstanceProgress, intervalMs = 200): () => void {
    const timer = setInterval(() => this.publish(index, probe()), intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.publish(index, probe());
    };
  }
}
