/** Shared helpers for the IO tests: temp dirs, reading a source and writing a sink through their contracts. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as arrow from "apache-arrow";
import { type BoundedSource, Pipeline, recordBatchToRows, rowsToRecordBatch, type Sink } from "beamline";
import { globalBatch } from "../../../sdk/batch";
import type { JsonValue } from "../../../sdk/graph";
import { encodedBatch } from "../../../sdk/encoded-batch";

/** A fresh temporary directory. */
export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "beamline-io-"));
}

/** Writes `n` distinct lines to `file`; returns them sorted. */
export function writeLines(file: string, n: number): string[] {
  const lines = Array.from({ length: n }, (_, i) => `line-${String(i).padStart(6, "0")}`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return lines.sort();
}

/** Reads every part of a source; returns rows by tag plus the batches. */
export async function readAll(source: BoundedSource): Promise<{ main: unknown[]; deadLetter: any[]; batches: arrow.RecordBatch[] }> {
  const parts = await source.split(4);
  const main: unknown[] = [];
  const deadLetter: any[] = [];
  const batches: arrow.RecordBatch[] = [];
  for (const part of parts) {
    for await (const chunk of source.read(part, null)) {
      if (!chunk.batch) continue;
      if (chunk.tag === "deadLetter") deadLetter.push(...recordBatchToRows(chunk.batch.data));
      else {
        batches.push(chunk.batch.data);
        main.push(...recordBatchToRows(chunk.batch.data));
      }
    }
  }
  return { main, deadLetter, batches };
}

/** Writes rows through a sink's two-phase contract (rows round-robin over shards, in batches); returns published paths. */
export async function writeAll(sink: Sink, schema: arrow.Schema, rows: unknown[], opts: { shards?: number; batchRows?: number; encoded?: boolean } = {}): Promise<string[]> {
  const count = opts.shards ?? sink.numShards ?? 1;
  const batchRows = opts.batchRows ?? 10000;
  const writers = await Promise.all(Array.from({ length: count }, (_, index) => sink.createWriter({ index, count })));
  let w = 0;
  for (let i = 0; i < rows.length; i += batchRows) {
    const batch = rowsToRecordBatch(rows.slice(i, i + batchRows), schema, "test");
    // Encoded as a runner encodes batches on other threads: the writer appends the sink's bytes.
    await writers[w % count].write(opts.encoded ? encodedBatch(sink.encode!(batch), batch.numRows) : globalBatch(batch));
    w++;
  }
  const staged: JsonValue[] = [];
  for (const writer of writers) staged.push(...(await writer.prepareCommit(null)));
  return sink.committer.commit(staged);
}

/** The source or sink a transform registered, found by building a one-transform pipeline. */
export function fnOf<T>(p: Pipeline, name: string): T {
  return p.fn<T>(name);
}

/** Lists files under a directory, recursively, relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
