import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { rowsToRecordBatch, schema, t } from "beamline";
import { globalBatch } from "../../../sdk/batch";
import { encodedBatch, encodedBytes, rowsOf } from "../../../sdk/encoded-batch";
import { CsvSink, TextSink } from "../../../transforms/io";
import { tmpDir, writeAll } from "./helpers";

const s = schema({ id: t.int32(), name: t.string(), score: t.float64() });
const rows = Array.from({ length: 25_000 }, (_, i) => ({ id: i, name: i % 9 ? `n,${i} "q" ü` : null, score: i % 4 ? i / 8 : null }));

/** The files' contents (gunzipped when named .gz), in shard order. */
const contents = (files: string[]) => files.map((f) => (f.endsWith(".gz") ? zlib.gunzipSync(fs.readFileSync(f)) : fs.readFileSync(f)).toString("utf8"));

describe("batches encoded apart from the writer", () => {
  test("an encoded batch carries its bytes and the rows they stand for; other batches stand for their own rows", () => {
    const bytes = Buffer.from("a\nb\nc\n");
    const e = encodedBatch(bytes, 3);
    expect(Buffer.from(encodedBytes(e)!).toString()).toBe("a\nb\nc\n");
    expect(rowsOf(e)).toBe(3);
    const plain = globalBatch(rowsToRecordBatch(rows.slice(0, 7), s.arrow, "test"));
    expect(encodedBytes(plain)).toBeNull();
    expect(rowsOf(plain)).toBe(7);
  });

  test("CSV and text shards written from encoded batches are byte for byte those written from the batches", async () => {
    const d = tmpDir();
    const sinks = {
      csv: (name: string) => new CsvSink(path.join(d, name), { numShards: 2 }, s.arrow),
      csvNoHeader: (name: string) => new CsvSink(path.join(d, name), { header: false, delimiter: ";" }),
      text: (name: string) => new TextSink(path.join(d, name), { numShards: 3 }),
      gzip: (name: string) => new TextSink(path.join(d, name), { compression: "gzip" }),
    };
    for (const [kind, make] of Object.entries(sinks)) {
      const shards = make("x").numShards ?? 1;
      const plain = await writeAll(make(`${kind}-plain`), s.arrow, rows, { shards, batchRows: 4000 });
      const encoded = await writeAll(make(`${kind}-encoded`), s.arrow, rows, { shards, batchRows: 4000, encoded: true });
      expect(encoded.length).toBe(plain.length);
      expect(contents(encoded)).toEqual(contents(plain));
      expect(contents(plain).join("").length).toBeGreaterThan(100_000);
    }
  });

  test("a CSV sink whose header waits for the first batch's schema does not encode", () => {
    expect(new CsvSink(path.join(tmpDir(), "o")).encode).toBeUndefined();
    expect(new CsvSink(path.join(tmpDir(), "o"), {}, s.arrow).encode).toBeDefined();
    expect(new CsvSink(path.join(tmpDir(), "o"), { header: false }).encode).toBeDefined();
  });
});
