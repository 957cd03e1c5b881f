/**
 * Sum per key over an Arrow IPC file of `{key: int32, value: float64}` rows: Beamline reads it with
 * `readArrow` and aggregates with `groupBy("key").aggregate({ total: sum("value") })`; plain JS reads
 * the same record batches with Apache Arrow and loops over the typed arrays into a Map. Both write
 * `key,total` CSV (as the Apache Beam baseline does; Beamline's `writeArrow` drops or refuses the
 * batches of an aggregation today, see bench/README.md).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import * as arrow from "apache-arrow";
import { buildPipeline } from "../sdk/definition";
import { DirectRunner } from "../runners/direct/runner";
import { sumPerKeyPipeline } from "./pipelines";
import { CaseParams, filesUnder, Impl, ImplOutput } from "./measure";

/** Beamline: readArrow → groupBy("key").aggregate({ total: sum("value") }) → writeCsv (see `pipelines.ts`). */
export const beamlineDirect: Impl = async ({ input, outDir, rows, parallelism }) => {
  await new DirectRunner({ parallelism: parallelism ?? 1 }).run(buildPipeline(sumPerKeyPipeline, { input, outDir }));
  return { rows };
};

/** Plain JS: the record batches of the file, a loop over the key and value typed arrays, a Map. */
export const plainJs: Impl = async ({ input, outDir }) => {
  const sums = new Map<number, number>();
  let rows = 0;
  for await (const batch of readBatches(input)) {
    const keys = batch.getChild("key")!.data[0].values as Int32Array;
    const values = batch.getChild("value")!.data[0].values as Float64Array;
    const n = batch.numRows;
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      sums.set(k, (sums.get(k) ?? 0) + values[i]);
    }
    rows += n;
  }
  const out = fs.createWriteStream(path.join(outDir, "sums.csv"));
  await writeLines(out, "key,total", sums, ([k, total]) => `${k},${total}`);
  return { rows };
};

/** The record batches of an Arrow IPC file, read batch by batch (bounded memory). */
export async function* readBatches(file: string): AsyncGenerator<arrow.RecordBatch> {
  const handle = await fs.promises.open(file, "r");
  try {
    const reader = await arrow.RecordBatchReader.from(handle);
    await reader.open();
    for await (const b of reader) yield b;
  } finally {
    await handle.close();
  }
}

/** Writes a header and one line per item, a few thousand lines at a time, and closes the stream. */
export async function writeLines<T>(out: fs.WriteStream, header: string, items: Iterable<T>, line: (item: T) => string): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", () => resolve());
    out.on("error", reject);
  });
  let chunk: string[] = [header];
  for (const item of items) {
    chunk.push(line(item));
    if (chunk.length >= 4096) {
      if (!out.write(chunk.join("\n") + "\n")) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      chunk = [];
    }
  }
  out.end(chunk.length > 0 ? chunk.join("\n") + "\n" : "");
  await done;
}

/**
 * Reads CSV output back (a header, then numbers): rows, and the sum of one column in cents (each
 * value rounded to a cent first, so that float summation order does not matter).
 */
export async function verifyCsvSums(params: CaseParams, column: string): Promise<ImplOutput> {
  let outputRows = 0;
  let cents = 0;
  for (const f of filesUnder(params.outDir)) {
    let index = -1;
    for await (const line of readline.createInterface({ input: fs.createReadStream(f), crlfDelay: Infinity })) {
      if (index < 0) {
        index = line.split(",").indexOf(column);
        if (index < 0) throw new Error(`bench: ${f} has no column "${column}" (header: ${line})`);
        continue;
      }
      if (line === "") continue;
      cents += Math.round(Number(line.split(",")[index]) * 100);
      outputRows++;
    }
  }
  return { rows: params.rows, outputRows, checksum: cents };
}
