/**
 * A source whose split takes a while (a bucket listing): checkpoints taken meanwhile must not keep a
 * read with no parts, or a restart from them reads nothing.
 */
import { BeamlineError, collect, DirectRunner, parDo, Pipeline, PTransform, rowsToRecordBatch, schema, t } from "beamline";
import type { BoundedSource, ExpandContext, PBegin, PCollection, SourceChunk } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { READ_URN } from "../../../../sdk/source";
import { restartStrategy } from "../../../../runners/direct/parallel/restart";
import { tempDir } from "../../../helpers";

const ROW = schema({ n: t.int64() });
const ROWS = 500;

/** One part of ROWS rows, in chunks of 50; the split takes 200 ms. */
const slowSplit: BoundedSource = {
  async split() {
    await new Promise((r) => setTimeout(r, 200));
    return [{ rows: ROWS }];
  },
  async *read(_part, from): AsyncIterable<SourceChunk> {
    for (let at = typeof from === "number" ? from : 0; at < ROWS; at += 50) {
      const rows = Array.from({ length: 50 }, (_, i) => ({ n: BigInt(at + i) }));
      yield { batch: globalBatch(rowsToRecordBatch(rows, ROW.arrow, "SlowSplit")), position: at + 50 };
    }
  },
};

describe("a read whose split is slow", () => {
  test("a restart right after the split, with checkpoints every 5 ms during it, still reads every row once", async () => {
    const p = new Pipeline();
    const read = p.apply(
      "SlowSplit",
      new (class extends PTransform<PBegin, PCollection<{ n: bigint }>> {
        expand(_: PBegin, ctx: ExpandContext): PCollection<{ n: bigint }> {
          return ctx.primitive({ urn: READ_URN, payload: { source: "slow-split" }, inputs: {}, outputs: { main: { schema: ROW.arrow, bounded: true } }, fn: slowSplit }).main;
        }
      })("SlowSplit"),
    );
    let failed = false;
    const out = collect(
      read.apply(
        "FailOnce",
        parDo<{ n: bigint }, number>({
          process(row, ctx) {
            if (!failed) {
              failed = true;
              throw new BeamlineError({ code: "BL_TEST_FLAKY", domain: "external", retriable: true, value: Number(row.n), rule: "a service was briefly away", fix: "retry" });
            }
            ctx.output(Number(row.n));
          },
        }),
      ),
    );
    const r = await new DirectRunner({ parallelism: 1, restartStrategy: restartStrategy("fixed-delay", 1, 10), checkpoint: { dir: tempDir(), intervalMs: 5 } }).run(p);
    expect(r.restarts).toBe(1);
    expect([...out.rows].sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
  }, 30_000);
});
