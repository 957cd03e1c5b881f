/**
 * Deterministic input files of the benchmarks, generated under `bench/data/` on first use (the folder
 * is gitignored). Each generator is seeded, so a smaller file of a kind holds the first rows of a
 * larger one, and every implementation of a case reads byte-identical input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pipeline as streamPipeline } from "node:stream/promises";
import * as arrow from "apache-arrow";

/** Where generated inputs live. */
export const DATA_DIR = path.join(__dirname, "data");

/** Rows per record batch of the generated Arrow files. */
export const ARROW_BATCH_ROWS = 65536;

/** A seeded PRNG (mulberry32): uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `1M`, `10M`, `100k` → a number. */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s);
  if (!m) throw new Error(`bench: "${s}" is not a row count; write e.g. 100k, 1M or 2500000`);
  const mult = m[2] === "" ? 1 : m[2].toLowerCase() === "k" ? 1e3 : 1e6;
  return Math.round(Number(m[1]) * mult);
}

/** A row count as a short label: 1000000 → "1M". */
export function countLabel(n: number): string {
  if (n % 1e6 === 0) return `${n / 1e6}M`;
  if (n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** Writes a file through a temporary name, so an interrupted generation never leaves a partial file. */
async function writeAtomically(file: string, write: (tmp: string) => Promise<void>): Promise<string> {
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await write(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return file;
}

/** Buffered text output to a file (a few MB at a time, so generation stays within bounded memory). */
class TextOut {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 22) this.flush();
  }
  flush(): void {
    if (this.parts.length > 0) fs.writeSync(this.fd, this.parts.join(""));
    this.parts = [];
    this.size = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Words

/** Distinct words of the vocabulary. */
export const VOCABULARY_SIZE = 50_000;

/** The vocabulary: distinct lower-case words of a–z, shortest (most frequent) first. */
function vocabulary(): string[] {
  const rnd = prng(7);
  const letters = "etaoinshrdlcumwfgypbvkjxqz";
  const seen = new Set<string>();
  const words: string[] = [];
  while (words.length < VOCABULARY_SIZE) {
    const len = 2 + Math.floor(-Math.log(1 - rnd()) * 4);
    let w = "";
    // Skewed towards frequent letters, like English text.
    for (let i = 0; i < Math.min(len, 16); i++) w += letters[Math.floor(letters.length * rnd() * rnd())];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words.sort((a, b) => a.length - b.length);
}

/** Cumulative Zipf weights (exponent 1) over ranks 1..n. */
function zipfCdf(n: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) cdf[r] = total += 1 / (r + 1);
  for (let r = 0; r < n; r++) cdf[r] /= total;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const PUNCT_AFTER = [",", ",", ".", ".", ";", ":", "!", "?", "\"", ")", "'"];
const PUNCT_BEFORE = ["\"", "(", "'", "-- "];

/**
 * A text file of exactly `words` words (runs of a–z after lower-casing): lines of 5 to 15 words drawn
 * from a Zipf-distributed vocabulary of 50,000 words, with mixed case, punctuation and numbers (which
 * are not words). Returns its path.
 */
export function wordsFile(words: number): Promise<string> {
  const file = path.join(DATA_DIR, `words-${countLabel(words)}.txt`);
  return writeAtomically(file, async (tmp) => {
    const vocab = vocabulary();
    const cdf = zipfCdf(vocab.length);
    const rnd = prng(42);
    const fd = fs.openSync(tmp, "w");
    const out = new TextOut(fd);
    try {
      let left = words;
      while (left > 0) {
        const n = Math.min(left, 5 + Math.floor(rnd() * 11));
        const parts: string[] = [];
        for (let i = 0; i < n; i++) {
          let w = vocab[sample(cdf, rnd())];
          const c = rnd();
          if (c < 0.08 || i === 0) w = w[0].toUpperCase() + w.slice(1);
          else if (c < 0.1) w = w.toUpperCase();
          const p = rnd();
          if (p < 0.12) w += PUNCT_AFTER[Math.floor(rnd() * PUNCT_AFTER.length)];
          else if (p < 0.15) w = PUNCT_BEFORE[Math.floor(rnd() * PUNCT_BEFORE.length)] + w;
          if (rnd() < 0.02) parts.push(String(Math.floor(rnd() * 3000)));
          parts.push(w);
        }
        out.write(parts.join(rnd() < 0.05 ? "  " : " ") + "\n");
        left -= n;
      }
      out.flush();
    } finally {
      fs.closeSync(fd);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Key/value rows

/** The `(key, value)` rows of the sum-per-key case: key an int32 in [0, keys), value a float64 with cents. */
function* kvRows(rows: number, keys: number): Generator<[Int32Array, Float64Array]> {
  const rnd = prng(1000 + keys);
  for (let done = 0; done < rows; ) {
    const n = Math.min(ARROW_BATCH_ROWS, rows - done);
    const k = new Int32Array(n);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      k[i] = Math.floor(rnd() * keys);
      v[i] = Math.round(rnd() * 100000) / 100;
    }
    yield [k, v];
    done += n;
  }
}

/** An Arrow IPC file of `rows` rows `{key: int32, value: float64}` over `keys` distinct keys (uniform). */
export function kvArrowFile(rows: number, keys: number): Promise<string> {
  const file = path.join(DATA_DIR, `kv-${countLabel(keys)}keys-${countLabel(rows)}.arrow`);
  return writeAtomically(file, async (tmp) => {
    await writeArrowBatches(tmp, (function* () {
      for (const [k, v] of kvRows(rows, keys)) yield arrow.tableFromArrays({ key: k, value: v }).batches[0];
    })());
  });
}

/** The same rows as {@link kvArrowFile} (a prefix of them when smaller), as CSV `key,value` with a header. */
export function kvCsvFile(rows: number, keys: number): Promise<string> {
  const file = path.join(DATA_DIR, `kv-${countLabel(keys)}keys-${countLabel(rows)}.csv`);
  return writeAtomically(file, async (tmp) => {
    const fd = fs.openSync(tmp, "w");
    const out = new TextOut(fd);
    try {
      out.write("key,value\n");
      for (const [k, v] of kvRows(rows, keys)) {
        const lines: string[] = new Array(k.length);
        for (let i = 0; i < k.length; i++) lines[i] = `${k[i]},${v[i]}\n`;
        out.write(lines.join(""));
      }
      out.flush();
    } finally {
      fs.closeSync(fd);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Events

/** Distinct keys of the windowed-aggregation events. */
export const EVENT_KEYS = 100;
/** Events per second of event time. */
export const EVENTS_PER_SECOND = 10_000;
/** The first event's time: 2024-01-01T00:00:00Z. */
export const EVENTS_START_MS = Date.UTC(2024, 0, 1);

/** The events: 10,000 per second of event time over 100 keys (skewed), out of order by up to 2 s. */
function* eventRows(rows: number): Generator<[Int32Array, Float64Array, Float64Array]> {
  const rnd = prng(99);
  for (let done = 0; done < rows; ) {
    const n = Math.min(ARROW_BATCH_ROWS, rows - done);
    const key = new Int32Array(n);
    const value = new Float64Array(n);
    const time = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      key[i] = Math.floor(rnd() * rnd() * EVENT_KEYS);
      value[i] = Math.round(rnd() * 1000) / 10;
      time[i] = EVENTS_START_MS + Math.floor(((done + i) * 1000) / EVENTS_PER_SECOND - rnd() * 2000);
    }
    yield [key, value, time];
    done += n;
  }
}

/** An Arrow IPC file of `rows` events `{key: int32, value: float64, time: float64 ms since the epoch}`. */
export function eventsArrowFile(rows: number): Promise<string> {
  const file = path.join(DATA_DIR, `events-${countLabel(rows)}.arrow`);
  return writeAtomically(file, async (tmp) => {
    await writeArrowBatches(tmp, (function* () {
      for (const [key, value, time] of eventRows(rows)) yield arrow.tableFromArrays({ key, value, time }).batches[0];
    })());
  });
}

/** The same events as {@link eventsArrowFile} (a prefix of them when smaller), as CSV `key,value,time` with a header. */
export function eventsCsvFile(rows: number): Promise<string> {
  const file = path.join(DATA_DIR, `events-${countLabel(rows)}.csv`);
  return writeAtomically(file, async (tmp) => {
    const fd = fs.openSync(tmp, "w");
    const out = new TextOut(fd);
    try {
      out.write("key,value,time\n");
      for (const [key, value, time] of eventRows(rows)) {
        const lines: string[] = new Array(key.length);
        for (let i = 0; i < key.length; i++) lines[i] = `${key[i]},${value[i]},${time[i]}\n`;
        out.write(lines.join(""));
      }
      out.flush();
    } finally {
      fs.closeSync(fd);
    }
  });
}

async function writeArrowBatches(file: string, batches: Iterable<arrow.RecordBatch>): Promise<void> {
  const writer = new arrow.RecordBatchFileWriter();
  const out = fs.createWriteStream(file);
  const done = streamPipeline(writer.toNodeStream(), out);
  done.catch(() => undefined);
  let started = false;
  for (const b of batches) {
    if (!started) {
      writer.reset(undefined, b.schema);
      started = true;
    }
    writer.write(b);
    // Let the stream move the batch to the file before making the next one (bounded memory).
    if (out.writableLength > 1 << 24) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  writer.finish();
  writer.close();
  await done;
}
