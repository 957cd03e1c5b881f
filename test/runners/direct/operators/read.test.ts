/**
 * The read operator's additions to the source contract: parts placed by slot (each instance reads
 * the parts whose slot names it), parts discovered while running, and the positions of each completed
 * checkpoint handed to the source.
 */
import { BeamlineError, collect, count, DirectRunner, fixedWindows, groupBy, Pipeline, PTransform, rowsToRecordBatch, schema, t, windowInto } from "beamline";
import type { BoundedSource, ExpandContext, PBegin, PartPosition, PCollection, ReadContext, SourceChunk } from "beamline";
import type { JsonValue } from "../../../../sdk/graph";
import { globalBatch } from "../../../../sdk/batch";
import { READ_URN } from "../../../../sdk/source";
import { readOperator } from "../../../../runners/direct/operators/io";
import type { OperatorContext, SourceDriver } from "../../../../runners/direct/contract/operator";
import { DeclaredState } from "../../../../runners/direct/execution/declared-state";
import { tempDir } from "../../../helpers";

const ROW = schema({ part: t.int64(), i: t.int64() });

/** Reads `source` through the read primitive. */
function read(p: Pipeline, source: BoundedSource, bounded = true): PCollection<{ part: number; i: number }> {
  return p.apply(
    "Read",
    new (class extends PTransform<PBegin, PCollection<{ part: number; i: number }>> {
      expand(_: PBegin, ctx: ExpandContext): PCollection<{ part: number; i: number }> {
        return ctx.primitive({ urn: READ_URN, payload: { source: "test" }, inputs: {}, outputs: { main: { schema: ROW.arrow, bounded } }, fn: source }).main;
      }
    })("Read"),
  );
}

/** Part `{n}` yields rows `i` from its position to `rows`, a chunk of 10 at a time, with the next `i` as position. */
async function* rowsOf(part: JsonValue, from: JsonValue | null, rows: number, ctx?: ReadContext): AsyncIterable<SourceChunk> {
  const n = (part as { n: number }).n;
  for (let i = (from as number | null) ?? 0; i < rows; i += 10) {
    const batch = Array.from({ length: Math.min(10, rows - i) }, (_, j) => ({ part: n, i: i + j }));
    yield { batch: globalBatch(rowsToRecordBatch(batch, ROW.arrow, "test")), position: i + batch.length };
    await ctx?.sleep(1);
  }
}

/** The parts instance `index` of `count` reads of `source` (the parts' reads end at once). */
async function partsRead(source: BoundedSource, index: number, count: number): Promise<number[]> {
  const read: number[] = [];
  const reading: BoundedSource = {
    ...source,
    split: (n) => source.split(n),
    slotOf: source.slotOf && ((part) => source.slotOf!(part)),
    read: (part) => {
      read.push((part as { n: number }).n);
      return (async function* () {})();
    },
  };
  const ctx = {
    transform: { uniqueName: "Read" },
    options: { batchSize: 1000, instance: { index, count } },
    fn: () => reading,
    declareState: () => new DeclaredState("Read"),
    emit: () => {},
    count: () => {},
  } as unknown as OperatorContext;
  const driver = {
    read: { processingTime: () => 0, sleep: async () => false, cancelled: false },
    step: async (f: () => void | Promise<void>) => f(),
    setWatermark: () => {},
    setIdle: () => {},
  } as unknown as SourceDriver;
  await readOperator(ctx).run(driver);
  return read.sort((a, b) => a - b);
}

describe("the read operator", () => {
  test("parts with a slot are read by instance slot % count, whatever their order in the split", async () => {
    const source: BoundedSource = {
      split: async () => [5, 0, 3, 1, 4, 2, 6].map((n) => ({ n })),
      slotOf: (part) => (part as { n: number }).n + 1,
      read: () => (async function* () {})(),
    };
    expect(await partsRead(source, 0, 3)).toEqual([2, 5]);
    expect(await partsRead(source, 1, 3)).toEqual([0, 3, 6]);
    expect(await partsRead(source, 2, 3)).toEqual([1, 4]);
    // Without slots, parts are dealt by their index in the split.
    expect(await partsRead({ split: source.split, read: source.read }, 0, 3)).toEqual([1, 5, 6]);
  });

  test("a completed checkpoint hands the source the positions it holds; the run's last one the final positions", async () => {
    const reported: PartPosition[][] = [];
    const source: BoundedSource = {
      split: async () => [{ n: 0 }, { n: 1 }],
      slotOf: (part) => (part as { n: number }).n,
      read: (part, from, ctx) => rowsOf(part, from, 200, ctx),
      checkpointCompleted: async (positions) => {
        reported.push(positions.map((p) => ({ ...p })));
      },
    };
    const p = new Pipeline();
    const out = collect(read(p, source));
    const r = await new DirectRunner({ parallelism: 1, checkpoint: { dir: tempDir(), intervalMs: 10 } }).run(p);
    expect(out.rows).toHaveLength(400);
    expect(reported.length).toBe(r.checkpoints!.durationsMs.length);
    expect(reported.length).toBeGreaterThan(1);
    for (const positions of reported) expect(positions.map((p) => p.part)).toEqual([{ n: 0 }, { n: 1 }]);
    // Positions only move forward, and the last report is where both parts ended.
    for (let i = 1; i < reported.length; i++) for (let j = 0; j < 2; j++) expect((reported[i][j].position as number) ?? 0).toBeGreaterThanOrEqual((reported[i - 1][j].position as number) ?? 0);
    expect(reported[reported.length - 1].map((p) => p.position)).toEqual([200, 200]);
  });

  test("an unbounded source's parts discovered while running are read from the position discovery gives", async () => {
    let discovered = 0;
    const abort = new AbortController();
    const source: BoundedSource = {
      boundedness: "unbounded",
      discoveryIntervalMs: 20,
      split: async () => [{ n: 0 }],
      slotOf: (part) => (part as { n: number }).n,
      read: (part, from, ctx) => rowsOf(part, from, 50, ctx),
      discover: async () => {
        discovered++;
        return [{ part: { n: 0 }, position: null }, ...(discovered >= 3 ? [{ part: { n: 1 }, position: 30 }] : [])];
      },
    };
    const p = new Pipeline();
    const rows: { part: number; i: number }[] = [];
    read(p, source, false).map((r) => {
      rows.push(r);
      if (rows.length === 70) setTimeout(() => abort.abort(), 100);
      return r;
    });
    await expect(new DirectRunner({ parallelism: 1, signal: abort.signal }).run(p)).rejects.toMatchObject({ code: "BL_CANCELLED" });
    expect(rows.filter((r) => r.part === 0).map((r) => r.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(rows.filter((r) => r.part === 1).map((r) => r.i)).toEqual(Array.from({ length: 20 }, (_, i) => 30 + i));
    expect(discovered).toBeGreaterThanOrEqual(3);
  });

  test("once every part is idle, the watermark is the largest of theirs (as Flink's watermark status): windows up to it fire", async () => {
    const abort = new AbortController();
    const source: BoundedSource = {
      boundedness: "unbounded",
      split: async () => [{ n: 0 }, { n: 1 }],
      read: (part, _from, ctx) =>
        (async function* () {
          const n = (part as { n: number }).n;
          // Part 0: rows at 1.0 s to 4.9 s; part 1: rows at 1.0 s to 1.9 s. Then both go idle.
          const rows = Array.from({ length: n === 0 ? 40 : 10 }, (_, i) => ({ part: n, i: 1000 + i * 100 }));
          const data = rowsToRecordBatch(rows, ROW.arrow, "test");
          yield { batch: { ...globalBatch(data), timestamps: Float64Array.from(rows, (r) => r.i) }, watermark: rows[rows.length - 1].i };
          while (await ctx!.sleep(20)) yield { idle: true };
        })(),
    };
    const p = new Pipeline();
    const windows = collect(
      read(p, source, false)
        .apply("PerSecond", windowInto(fixedWindows("1s")))
        .apply("Count", groupBy<{ part: number }>("part").aggregate({ n: count() })),
    );
    const run = new DirectRunner({ parallelism: 1, checkpoint: { dir: tempDir(), intervalMs: 20 }, signal: abort.signal }).run(p).catch((e) => e);
    for (let i = 0; i < 500 && windows.rows.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // the window at 4 s must not fire
    abort.abort();
    await run;
    // Part 1 alone would hold the watermark at 1.9 s; the largest, 4.9 s, completes the windows up to 4 s.
    expect(windows.elements.map((e) => [e.window.start, e.value]).sort()).toEqual([
      [1000, { part: 0, n: 10 }],
      [1000, { part: 1, n: 10 }],
      [2000, { part: 0, n: 10 }],
      [3000, { part: 0, n: 10 }],
    ]);
  });
});

describe("the read operator's retries", () => {
  /** A source of one part of 100 rows whose reads fail with EIO after `failAt` rows `failures` times; chunks carry positions when `positioned`. */
  function flakySource(failures: number, positioned: boolean): { source: BoundedSource; reads: (number | null)[] } {
    const reads: (number | null)[] = [];
    let failed = 0;
    const source: BoundedSource = {
      split: async () => [{ n: 0 }],
      read: (part, from, ctx) =>
        (async function* () {
          reads.push(from as number | null);
          for await (const chunk of rowsOf(part, from, 100, ctx)) {
            if ((chunk.position as number) > 50 && failed < failures) {
              failed++;
              throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
            }
            yield positioned ? chunk : { batch: chunk.batch };
          }
        })(),
    };
    return { source, reads };
  }

  test("a read that fails with a transient error goes on from the last position delivered: every row once, the retries counted", async () => {
    const { source, reads } = flakySource(2, true);
    const p = new Pipeline();
    const rows = collect(read(p, source));
    const result = await new DirectRunner({ parallelism: 1 }).run(p);
    expect(rows.rows.map((r) => r.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(reads).toEqual([null, 50, 50]);
    expect(result.metrics.counters.get("Read")?.get("ioRetries")).toBe(2);
  });

  test("a part whose delivered rows have no position is not read again (that would repeat them): the run fails naming the read", async () => {
    const { source, reads } = flakySource(1, false);
    const p = new Pipeline();
    collect(read(p, source));
    const e = await new DirectRunner({ parallelism: 1 }).run(p).then(() => null, (x: unknown) => x as BeamlineError);
    expect(reads).toEqual([null]);
    expect(e).toBeInstanceOf(BeamlineError);
    expect(e!.code).toBe("BL_IO_READ_FAILED");
    expect(e!.message).toContain('transform "Read"');
    expect(e!.message).toContain("EIO");
  });
});
