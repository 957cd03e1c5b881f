import * as arrow from "apache-arrow";
import { type ElementBatch, MAX_TIMESTAMP, MIN_TIMESTAMP, rowsToRecordBatch, schema, t } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { encodedBytes, rowsOf } from "../../../../sdk/encoded-batch";
import type { OperatorContext } from "../../../../runners/direct/contract/operator";
import { exchangeInOperator, exchangeOutOperator } from "../../../../runners/direct/parallel/exchange";
import type { SourceDriver } from "../../../../runners/direct/contract/operator";
import type { ExchangeEdge } from "../../../../runners/direct/parallel/layout";
import { LocalLink, type LinkMessage } from "../../../../runners/direct/parallel/links";

const s = schema({ id: t.int32(), word: t.string() });
const batchOf = (from: number, n: number): ElementBatch =>
  globalBatch(rowsToRecordBatch(Array.from({ length: n }, (_, i) => ({ id: from + i, word: `w${from + i}` })), s.arrow, "test"));

describe("the exchange into a single-placed sink", () => {
  test("encodes each batch with the sink's encoding where it is produced, and the link counts the rows the bytes stand for", async () => {
    const edge: ExchangeEdge = { id: 0, pcollection: "pc", consumer: "Write", tag: "main", routing: "single", keyFields: [], senders: [0, 1], receivers: [0] };
    const link = new LocalLink(100);
    const counters = new Map<string, number>();
    const ctx = { count: (name: string, n: number) => counters.set(name, (counters.get(name) ?? 0) + n) } as unknown as OperatorContext;
    const encode = (b: arrow.RecordBatch) => Buffer.from(`${b.numRows} rows from ${b.getChild("id")!.get(0)}\n`);
    const op = exchangeOutOperator(ctx, edge, new Map([[0, link]]), 2, 1, encode);
    for (let k = 0; k < 3; k++) op.processBatch("main", batchOf(k * 30, 30));
    expect(link.hasRoom).toBe(true); // 90 of 100 rows
    op.processBatch("main", batchOf(90, 30));
    expect(link.hasRoom).toBe(false); // 120 rows in flight: the producer waits
    const got: LinkMessage[] = [];
    link.start((m) => void got.push(m), (e) => { throw e; });
    await link.whenAvailable(); // room again once the first batches are consumed
    while (got.length < 4) await new Promise((r) => setImmediate(r));
    expect(link.hasRoom).toBe(true);
    expect(got.map((m) => (m.kind === "data" ? Buffer.from(encodedBytes(m.body)!).toString() : "control"))).toEqual([
      "30 rows from 0\n",
      "30 rows from 30\n",
      "30 rows from 60\n",
      "30 rows from 90\n",
    ]);
    expect(got.map((m) => (m.kind === "data" ? rowsOf(m.body) : 0))).toEqual([30, 30, 30, 30]);
  });

  test("without an encoding, batches go as they are", () => {
    const edge: ExchangeEdge = { id: 0, pcollection: "pc", consumer: "Write", tag: "main", routing: "single", keyFields: [], senders: [0, 1], receivers: [0] };
    const link = new LocalLink(100);
    const got: ElementBatch[] = [];
    link.start((m) => void (m.kind === "data" && got.push(m.body)), (e) => { throw e; });
    const op = exchangeOutOperator({ count: () => {} } as unknown as OperatorContext, edge, new Map([[0, link]]), 2, 1);
    const b = batchOf(0, 5);
    op.processBatch("main", b);
    expect(got).toEqual([b]);
  });
});

describe("the exchange into a stage, from senders idle or ending", () => {
  test("a sender at the maximum watermark before its end (a source instance with nothing to read) does not lift the watermark past an idle sender's", async () => {
    const links = new Map([[0, new LocalLink(100)], [1, new LocalLink(100)]]);
    const watermarks: number[] = [];
    const driver = {
      read: { cancelled: false, sleep: async () => true },
      step: async (f: () => void | Promise<void>) => f(),
      setWatermark: (w: number) => void watermarks.push(w),
      setIdle: () => {},
      advanceProcessingTime: async () => {},
      barrier: async () => {},
    } as unknown as SourceDriver;
    const ctx = { transform: { uniqueName: "In" }, emit: () => {} } as unknown as OperatorContext;
    const run = exchangeInOperator(ctx, links).run(driver);
    const settle = () => new Promise((r) => setImmediate(r));
    links.get(0)!.control({ t: "idle", idle: true }); // the reader: nothing pulled yet
    links.get(1)!.control({ t: "watermark", watermark: MAX_TIMESTAMP }); // the instance with no part, finishing
    await settle();
    expect(watermarks[watermarks.length - 1]).toBe(MIN_TIMESTAMP);
    links.get(1)!.control({ t: "end" });
    await settle();
    expect(watermarks[watermarks.length - 1]).toBe(MIN_TIMESTAMP);
    links.get(0)!.control({ t: "idle", idle: false });
    links.get(0)!.control({ t: "watermark", watermark: 5000 });
    await settle();
    expect(watermarks[watermarks.length - 1]).toBe(5000);
    links.get(0)!.control({ t: "end" });
    await run;
    expect(watermarks[watermarks.length - 1]).toBe(MAX_TIMESTAMP);
    expect(Math.max(...watermarks.slice(0, -1))).toBe(5000);
  });
});
