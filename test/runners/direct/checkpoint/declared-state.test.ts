/**
 * Declared operator state: the execution snapshots what an operator declares (keyed tables, item
 * lists, common values) at every barrier and restores it, at any parallelism, so an operator with no
 * snapshot or restore code survives a restart from a checkpoint.
 */
import * as v8 from "node:v8";
import { BeamlineError, collect, create, DirectRunner, parDo, Pipeline, PTransform, rowsToRecordBatch, schema, sideInput, t } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { READ_URN } from "../../../../sdk/source";
import { defaultOperators } from "../../../../runners/direct/operators/registry";
import type { BoundedSource, ExpandContext, PBegin, PCollection, ReadContext, SourceChunk } from "beamline";
import { reshard } from "../../../../runners/direct/checkpoint/reshard";
import type { Operator, OperatorContext, OperatorSnapshot } from "../../../../runners/direct/contract/operator";
import { keyGroupOf, workerOfKeyGroup } from "../../../../runners/direct/data/key-groups";
import { DeclaredState } from "../../../../runners/direct/execution/declared-state";
import { restartStrategy } from "../../../../runners/direct/parallel/restart";
import { sorted, tempDir } from "../../../helpers";

/** An operator's declared state: counts by key, a list of items, a common value. */
function declare(state: DeclaredState) {
  return { counts: state.keyed<number>("counts"), items: state.items<{ id: number }>("items"), config: state.common("config", { mode: "initial" }) };
}

describe("declared state in snapshots", () => {
  test("taken on 2 instances and restored on 3: each key goes to the instance owning its key group, items are shared out, common values come whole", () => {
    const snapshots: OperatorSnapshot[] = [];
    const allKeys: string[] = [];
    for (let instance = 0; instance < 2; instance++) {
      const state = new DeclaredState("Count");
      const d = declare(state);
      for (let i = 0; i < 50; i++) {
        const key = `k${instance}-${i}`;
        d.counts.set(key, i);
        allKeys.push(key);
      }
      d.items.values = [{ id: instance * 10 }, { id: instance * 10 + 1 }, { id: instance * 10 + 2 }];
      d.config.value = { mode: `from ${instance}` };
      // Snapshots travel as checkpoint files do.
      snapshots.push(v8.deserialize(v8.serialize(state.snapshot())) as OperatorSnapshot);
      d.counts.set("changed-after-barrier", 1); // the snapshot is a copy
    }
    const restored = [0, 1, 2].map((index) => {
      const state = new DeclaredState("Count");
      const d = declare(state);
      expect(state.restored).toBe(false);
      state.restore(reshard(snapshots, { ownsKeyGroup: (g) => workerOfKeyGroup(g, 3) === index, index, count: 3 }));
      expect(state.restored).toBe(true);
      return d;
    });
    restored.forEach((d, index) => {
      expect(d.counts.size).toBeGreaterThan(0);
      for (const key of d.counts.keys()) expect(workerOfKeyGroup(keyGroupOf(key), 3)).toBe(index);
      expect(d.config.value).toEqual({ mode: "from 0" });
      expect(d.items.values).toHaveLength(2);
    });
    const keys = restored.flatMap((d) => [...d.counts.keys()]);
    expect(sorted(keys)).toEqual(sorted(allKeys));
    for (const d of restored) for (const [k, v] of d.counts) expect(v).toBe(Number(String(k).split("-")[1]));
    expect(sorted(restored.flatMap((d) => d.items.values.map((i) => i.id)))).toEqual([0, 1, 10, 11, 12, 2]);
  });

  test("placed items, taken on 2 instances and restored on 3, go to the instance their slot names", () => {
    const snapshots = [0, 1].map((instance) => {
      const state = new DeclaredState("Read");
      const parts = state.placed<{ slot: number }>("parts", (p) => p.slot);
      parts.values = [0, 1, 2, 3, 4].map((i) => ({ slot: instance * 5 + i }));
      return v8.deserialize(v8.serialize(state.snapshot())) as OperatorSnapshot;
    });
    const restored = [0, 1, 2].map((index) => {
      const state = new DeclaredState("Read");
      const parts = state.placed<{ slot: number }>("parts", (p) => p.slot);
      state.restore(reshard(snapshots, { ownsKeyGroup: (g) => workerOfKeyGroup(g, 3) === index, index, count: 3 }));
      return parts.values.map((p) => p.slot);
    });
    restored.forEach((slots, index) => expect(slots.every((s) => s % 3 === index)).toBe(true));
    expect(sorted(restored.flat())).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  test("state a checkpoint holds that the operator does not declare is refused", () => {
    const state = new DeclaredState("Count");
    state.items<number>("items");
    expect(() => state.restore({ items: [["other", 1]] })).toThrow(/does not declare/);
  });

  test("declaring after the operator was made, or twice, is refused", () => {
    const state = new DeclaredState("Count");
    state.items<number>("items");
    expect(() => state.items<number>("items")).toThrow(/twice/);
    state.seal();
    expect(() => state.keyed<number>("late")).toThrow(/after it was made/);
  });
});

const COUNT_URN = "beamline:test:count_keys:v1";
const KEYS = ["a", "b", "c", "d", "e"];
const CHUNKS = 40;
const ROWS_PER_CHUNK = 10;
const ROW = schema({ k: t.string() });
const COUNTED = schema({ k: t.string(), n: t.float64() });

/** Where each read of the source started (a chunk number). */
const readFrom: number[] = [];

/** One part of `CHUNKS` chunks of keys, a chunk every few milliseconds, resuming from a chunk number. */
const slowKeys: BoundedSource = {
  split: async () => [0],
  async *read(_part, from, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    readFrom.push((from as number | null) ?? 0);
    for (let c = (from as number | null) ?? 0; c < CHUNKS; c++) {
      if (ctx && !(await ctx.sleep(12))) return;
      const rows = Array.from({ length: ROWS_PER_CHUNK }, (_, i) => ({ k: KEYS[(c * ROWS_PER_CHUNK + i) % KEYS.length] }));
      yield { batch: globalBatch(rowsToRecordBatch(rows, ROW.arrow, "SlowKeys")), position: c + 1 };
    }
  },
};

/** What the counting operator saw across attempts. */
interface Seen {
  commits: number;
  failed: boolean;
}

/**
 * Counts rows per key and emits the counts at the end. Its only state is a declared keyed table,
 * which it brings up to date when a barrier arrives (`onCheckpoint`); it has no snapshot or restore
 * code. The first attempt fails, retriably, once a checkpoint committed and it counted 100 rows.
 */
function countingOperator(seen: Seen) {
  return (ctx: OperatorContext): Operator => {
    const counts = ctx.declareState().keyed<number>("counts");
    const pending = new Map<string, number>();
    let counted = 0;
    const fold = () => {
      for (const [k, n] of pending) counts.set(k, ((counts.get(k) as number | undefined) ?? 0) + n);
      pending.clear();
    };
    return {
      processBatch(_tag, batch) {
        const col = batch.data.getChild("k")!;
        for (let i = 0; i < batch.data.numRows; i++) pending.set(col.get(i) as string, (pending.get(col.get(i) as string) ?? 0) + 1);
        counted += batch.data.numRows;
        if (!seen.failed && seen.commits > 0 && counted >= 100) {
          seen.failed = true;
          throw flaky(counted);
        }
      },
      onCheckpoint: fold,
      onCommit() {
        seen.commits++;
      },
      finish() {
        fold();
        const rows = [...counts].map(([k, n]) => ({ k, n }));
        ctx.emit("main", globalBatch(rowsToRecordBatch(rows, COUNTED.arrow, ctx.transform.uniqueName)));
      },
    };
  };
}

/** The slow keys, read by the read primitive. */
function readSlowKeys(p: Pipeline): PCollection<{ k: string }> {
  return p.apply(
    "SlowKeys",
    new (class extends PTransform<PBegin, PCollection<{ k: string }>> {
      expand(_: PBegin, ctx: ExpandContext): PCollection<{ k: string }> {
        return ctx.primitive({ urn: READ_URN, payload: { source: "slow-keys" }, inputs: {}, outputs: { main: { schema: ROW.arrow, bounded: true } }, fn: slowKeys }).main;
      }
    })("SlowKeys"),
  );
}

/** A retriable failure, as of a service briefly away. */
function flaky(value: number): BeamlineError {
  return new BeamlineError({ code: "BL_TEST_FLAKY", domain: "external", retriable: true, value, rule: "a service was briefly away", fix: "retry" });
}

describe("an operator with declared state and no snapshot code", () => {
  beforeEach(() => {
    readFrom.length = 0;
  });

  test("survives a restart from a checkpoint: the read resumes where it was, and every row is counted once", async () => {
    const p = new Pipeline();
    const keys = readSlowKeys(p);
    const counted = keys.apply(
      "CountKeys",
      new (class extends PTransform<PCollection<{ k: string }>, PCollection<{ k: string; n: number }>> {
        expand(input: PCollection<{ k: string }>, ctx: ExpandContext): PCollection<{ k: string; n: number }> {
          return ctx.primitive({ urn: COUNT_URN, payload: null, inputs: { main: input }, outputs: { main: { schema: COUNTED.arrow } } }).main;
        }
      })("CountKeys"),
    );
    const out = collect(counted);
    const seen: Seen = { commits: 0, failed: false };
    const operators = new Map([...defaultOperators(), [COUNT_URN, countingOperator(seen)]]);
    const r = await new DirectRunner({ operators, restartStrategy: restartStrategy("fixed-delay", 1, 10), checkpoint: { dir: tempDir(), intervalMs: 25 } }).run(p);
    expect(seen.failed).toBe(true);
    expect(r.restarts).toBe(1);
    expect(r.checkpoints?.restartedFrom[0]).not.toBeNull();
    // The read's parts are declared state too: the second attempt resumed where the checkpoint was.
    expect(readFrom).toHaveLength(2);
    expect(readFrom[0]).toBe(0);
    expect(readFrom[1]).toBeGreaterThan(0);
    expect(sorted(out.rows)).toEqual(KEYS.map((k) => ({ k, n: (CHUNKS * ROWS_PER_CHUNK) / KEYS.length })));
  });

  test("a ParDo's side input is declared state: after a restart from a checkpoint taken once it ended, the rows still see it", async () => {
    const p = new Pipeline();
    const suffix = p.apply("Suffix", create(["!"]));
    let processed = 0;
    let failed = false;
    const marked = readSlowKeys(p).apply(
      "Mark",
      parDo<{ k: string }, string>(
        {
          process(row, ctx) {
            if (!failed && ++processed >= 250) {
              failed = true;
              throw flaky(processed);
            }
            ctx.output(row.k + ctx.sideInput<string>("suffix"));
          },
        },
        { sideInputs: { suffix: sideInput.singleton(suffix) } },
      ),
    );
    const out = collect(marked);
    const r = await new DirectRunner({ restartStrategy: restartStrategy("fixed-delay", 1, 10), checkpoint: { dir: tempDir(), intervalMs: 25 } }).run(p);
    expect(r.restarts).toBe(1);
    expect(readFrom[1]).toBeGreaterThan(0);
    expect(out.rows).toHaveLength(CHUNKS * ROWS_PER_CHUNK);
    expect(new Set(out.rows)).toEqual(new Set(KEYS.map((k) => `${k}!`)));
  });

  test("an operator that both declares state and snapshots itself is refused before the run starts", async () => {
    const p = new Pipeline();
    readSlowKeys(p).apply(
      "Both",
      new (class extends PTransform<PCollection<{ k: string }>, PCollection<{ k: string }>> {
        expand(input: PCollection<{ k: string }>, ctx: ExpandContext): PCollection<{ k: string }> {
          return ctx.primitive({ urn: COUNT_URN, payload: null, inputs: { main: input }, outputs: { main: { schema: ROW.arrow } } }).main;
        }
      })("Both"),
    );
    const both = (ctx: OperatorContext): Operator => {
      ctx.declareState().items<number>("items");
      return { processBatch: () => {}, snapshot: () => ({}) };
    };
    const operators = new Map([...defaultOperators(), [COUNT_URN, both]]);
    await expect(new DirectRunner({ operators }).run(p)).rejects.toThrow(/both declares state and snapshots itself/);
    expect(readFrom).toEqual([]);
  });
});
