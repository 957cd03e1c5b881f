/**
 * Restrictions of partitioned sources (Kafka's parts: topic/partition, position the next offset) read
 * as splittable DoFns bundle by bundle: the watermark estimator's state (watermark, when the part last
 * delivered data, idleness) survives the trip through the runner, so a partition's idle timeout counts
 * across bundles; an idle partition does not hold the read's watermark back; a partition with nothing
 * new asks the runner to wait before resuming it.
 */
import * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, MIN_TIMESTAMP, type BoundedSource, type ReadContext, type SourceChunk } from "beamline";
import type { JsonValue } from "../../../sdk/graph";
import { coderFromProto, CODER_URNS, type Coder, type WindowedValue } from "../../../runners/portable/coders/coders";
import { ByteReader } from "../../../runners/portable/coders/wire";
import { checkpointedRead, EMPTY_READ_DELAY_MS } from "../../../runners/portable/harness/checkpointed-read";
import { type RowBatch } from "../../../runners/portable/harness/elements/elements";
import { decodeRestriction, encodeRestriction, INITIAL_RESTRICTION, type ReadRestriction } from "../../../runners/portable/harness/restriction";
import { processSized } from "../../../runners/portable/harness/sdf";
import { PartitionWatermark } from "../../../transforms/io/kafka/source/watermarks";

/**
 * Partitions held in memory, read as Kafka's source reads them: one record per offset (its event time
 * the offset × 1000), positions `{next}`, the partition's watermark and idleness from Kafka's own
 * `PartitionWatermark`, and a wait of `pollMs` on an empty partition (the broker's long poll).
 */
class MemoryPartitions implements BoundedSource {
  readonly boundedness = "unbounded" as const;
  /** The `lastDataAt` each read was given. */
  readonly resumedAt: (number | undefined)[] = [];

  constructor(readonly logs: Record<string, number>, readonly idleTimeoutMs: number, readonly pollMs = 20) {}

  async split(): Promise<JsonValue[]> {
    return Object.keys(this.logs).map((k) => ({ topic: "t", partition: Number(k) }));
  }

  async *read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const { partition } = part as { partition: number };
    let next = (from as { next: number } | null)?.next ?? 0;
    this.resumedAt.push(ctx?.lastDataAt);
    const marks = new PartitionWatermark(0, this.idleTimeoutMs, ctx?.lastDataAt ?? Date.now());
    while (!ctx?.cancelled) {
      const end = this.logs[partition];
      if (next >= end) {
        await new Promise((r) => setTimeout(r, this.pollMs));
        if (marks.idle(Date.now())) yield { idle: true };
        continue;
      }
      const offsets = Float64Array.from({ length: end - next }, (_, i) => next + i);
      const data = arrow.tableFromArrays({ offset: offsets }).batches[0];
      const watermark = marks.observe((end - 1) * 1000, Date.now());
      next = end;
      yield { batch: { data, timestamps: offsets.map((o) => o * 1000), windows: GLOBAL_WINDOWS }, position: { next }, watermark };
    }
  }
}

/** The process step's input coder as Prism declares it: KV<KV<part, restriction>, size> in the global window. */
function sizedInputCoder(): Coder<WindowedValue> {
  const c = (urn: string, ...componentCoderIds: string[]) => ({ spec: { urn }, componentCoderIds });
  const coders = { wv: c(CODER_URNS.windowedValue, "kvs", "gw"), kvs: c(CODER_URNS.kv, "kv", "size"), kv: c(CODER_URNS.kv, "bytes", "bytes"), bytes: c(CODER_URNS.bytes), size: c(CODER_URNS.double), gw: c(CODER_URNS.globalWindow) };
  return coderFromProto("wv", coders, null) as Coder<WindowedValue>;
}

/** Sized elements, one per (partition, restriction), as the runner sends them. */
function sized(parts: [number, ReadRestriction][]): RowBatch {
  const rows = parts.map(([partition, r]) => ({ key: { key: Buffer.from(JSON.stringify({ topic: "t", partition })), value: encodeRestriction(r) }, value: 1 }));
  return { rows, timestamps: new Float64Array(rows.length).fill(MIN_TIMESTAMP), windows: { kind: "global" } };
}

/** One bundle of the process step over `input`: the residual restrictions by partition, with the output watermark and delay each asks for. */
async function bundle(source: MemoryPartitions, input: RowBatch, budgetMs: number): Promise<Map<number, { rest: ReadRestriction; watermarkMs: number | null; delayMs: number }>> {
  const out = new Map<number, { rest: ReadRestriction; watermarkMs: number | null; delayMs: number }>();
  const op = processSized({
    transform: "Read",
    source,
    outputs: { main: "Read.out" },
    emit: () => {},
    transformId: "process",
    inputId: "main",
    inputCoder: sizedInputCoder(),
    budgetMs,
    residual: (root: any) => {
      const wv = sizedInputCoder().decode(new ByteReader(Buffer.from(root.application.element)), true);
      const { partition } = JSON.parse(Buffer.from(wv.value.key.key).toString("utf8"));
      const mark = root.application.outputWatermarks.main;
      const delay = root.requestedTimeDelay;
      out.set(partition, {
        rest: decodeRestriction(wv.value.key.value),
        watermarkMs: mark ? mark.seconds * 1000 + mark.nanos / 1e6 : null,
        delayMs: delay ? delay.seconds * 1000 + delay.nanos / 1e6 : 0,
      });
    },
  });
  await op.process("in", input);
  return out;
}

test("a Kafka part's restriction (next offset, dead letters emitted, watermark, last data time, idleness) travels as bytes and comes back equal", () => {
  const r: ReadRestriction = { position: { next: 4711, lettersThrough: 4700 }, watermark: 61_000, lastDataAt: 1_796_000_000_123, idle: true };
  expect(decodeRestriction(encodeRestriction(r))).toEqual(r);
  const active: ReadRestriction = { position: { next: 3 }, watermark: 2000, lastDataAt: 5 };
  expect(decodeRestriction(encodeRestriction(active))).toEqual(active);
  expect(() => decodeRestriction(Buffer.from('{"position":null,"watermark":0,"lastDataAt":"soon"}'))).toThrow(expect.objectContaining({ code: "BL_BAD_RESTRICTION" }));
});

test("a resumed read counts the idle timeout from the part's last data, not from the bundle's start", async () => {
  const source = new MemoryPartitions({ 0: 3 }, 250);
  const first = await checkpointedRead(source, { topic: "t", partition: 0 }, INITIAL_RESTRICTION, { budgetMs: 100 }, () => {});
  expect(first.residual).toMatchObject({ position: { next: 3 }, watermark: 2000 });
  expect(first.residual!.idle).toBeUndefined();
  const dataAt = first.residual!.lastDataAt!;
  // Bundles of 100 ms each: none alone lasts the 250 ms timeout, yet the partition goes idle once 250 ms passed since its data.
  let rest = first.residual!;
  const started = Date.now();
  while (!rest.idle && Date.now() - started < 2000) rest = (await checkpointedRead(source, { topic: "t", partition: 0 }, rest, { budgetMs: 100 }, () => {})).residual!;
  expect(rest.idle).toBe(true);
  expect(rest.lastDataAt).toBe(dataAt);
  expect(Date.now() - dataAt).toBeGreaterThanOrEqual(250);
  expect(Date.now() - dataAt).toBeLessThan(700);
  expect(source.resumedAt.slice(1).every((t) => t === dataAt)).toBe(true);
  // New data makes it active again.
  source.logs[0] = 5;
  const back = await checkpointedRead(source, { topic: "t", partition: 0 }, rest, { budgetMs: 100 }, () => {});
  expect(back.residual).toMatchObject({ position: { next: 5 }, watermark: 4000 });
  expect(back.residual!.idle).toBeUndefined();
  expect(back.residual!.lastDataAt).toBeGreaterThan(dataAt);
});

test("an idle partition reports the largest watermark of the read's partitions, so it holds nothing back; an active one without data keeps its own", async () => {
  // Partition 0 has offsets up to 9 (watermark 9000), partition 1 up to 2 (watermark 1000); partition 2 has none.
  const source = new MemoryPartitions({ 0: 10, 1: 2, 2: 0 }, 60_000);
  const one = await bundle(source, sized([[0, INITIAL_RESTRICTION], [1, INITIAL_RESTRICTION], [2, INITIAL_RESTRICTION]]), 300);
  expect(one.get(0)!.watermarkMs).toBe(9000);
  expect(one.get(1)!.watermarkMs).toBe(1000);
  expect(one.get(2)!.watermarkMs).toBeNull();
  expect(one.get(2)!.rest.idle).toBeUndefined();
  // With a short timeout, partitions 1 and 2 go idle: each now reports the read's largest watermark (partition 0's).
  const quick = new MemoryPartitions({ 0: 10, 1: 2, 2: 0 }, 1);
  const two = await bundle(quick, sized([[0, one.get(0)!.rest], [1, one.get(1)!.rest], [2, one.get(2)!.rest]]), 300);
  expect(two.get(1)!.rest).toMatchObject({ idle: true, watermark: 9000, position: { next: 2 } });
  expect(two.get(1)!.watermarkMs).toBe(9000);
  expect(two.get(2)!.rest).toMatchObject({ idle: true, watermark: 9000, position: null });
  expect(two.get(2)!.watermarkMs).toBe(9000);
});

test("a partition with nothing new asks the runner to wait before resuming it; one that delivered data resumes at once", async () => {
  const source = new MemoryPartitions({ 0: 4, 1: 0 }, 60_000);
  const out = await bundle(source, sized([[0, INITIAL_RESTRICTION], [1, INITIAL_RESTRICTION]]), 200);
  expect(out.get(0)!.delayMs).toBe(0);
  expect(out.get(0)!.rest.position).toEqual({ next: 4 });
  expect(out.get(1)!.delayMs).toBe(EMPTY_READ_DELAY_MS);
  expect(out.get(1)!.rest.position).toBeNull();
});
