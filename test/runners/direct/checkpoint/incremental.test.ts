/**
 * Incremental checkpoints of the disk state backend: a checkpoint after a few keys changed writes
 * those keys (and the removed ones), not the whole state; a load rebuilds the whole state from the
 * chain, which restores on either backend to what the operator held; retention keeps the
 * checkpoints a kept one builds on, and a broken chain is refused clearly.
 */
import * as fs from "node:fs";
import * as v8 from "node:v8";
import { create, type ElementBatch, type KV, MAX_TIMESTAMP, parDo, Pipeline, recordBatchToRows, rowsToRecordBatch, state } from "beamline";
import * as arrow from "apache-arrow";
import type { OperatorContext, OperatorSnapshot, StateBackendKind } from "../../../../runners/direct/contract/operator";
import { loadCheckpoint, writeInstanceFile } from "../../../../runners/direct/checkpoint/coordinator";
import { CheckpointStore } from "../../../../runners/direct/checkpoint/store";
import { DeclaredState } from "../../../../runners/direct/execution/declared-state";
import { pardoOperator } from "../../../../runners/direct/operators/pardo";
import type { StatefulOperator } from "../../../../runners/direct/operators/stateful";
import { tempDir } from "../../../helpers";

/** A pipeline whose "Count" step counts rows per key, and forgets a key on a negative value. */
function counting(): Pipeline {
  const p = new Pipeline();
  p.apply(create([{ key: "a", value: 1 }])).apply(
    "Count",
    parDo({
      state: { n: state.value<number>() },
      process(row: KV<string, number>, ctx) {
        if (row.value < 0) ctx.state.n.clear();
        else ctx.state.n.write((ctx.state.n.read() ?? 0) + row.value);
      },
      onWindowExpiration(ctx) {
        ctx.output({ key: ctx.key, n: ctx.state.n.read() ?? null });
      },
    }),
  );
  return p;
}

/** The "Count" operator on a backend, and what it emitted. */
function countOperator(p: Pipeline, stateBackend: StateBackendKind): { op: StatefulOperator; out: unknown[] } {
  const graph = p.graph();
  const transform = graph.transforms["Count"];
  const out: unknown[] = [];
  const ctx = {
    transform,
    graph,
    options: { batchSize: 4096, stateBackend, checkpointed: true },
    emit: (_tag: string, b: ElementBatch) => out.push(...recordBatchToRows(b.data)),
    fn: <T>() => p.fn("Count") as T,
    schemaOf: () => null,
    windowingOf: (id: string) => graph.windowingStrategies[graph.pcollections[id].windowing],
    stringsReadAsBytes: () => false,
    inputWatermark: () => 0,
    processingTime: () => 0,
    wakeAt: () => {},
    count: () => {},
    declareState: () => new DeclaredState("Count"),
  } as unknown as OperatorContext;
  return { op: pardoOperator(ctx) as StatefulOperator, out };
}

const schema = new arrow.Schema([new arrow.Field("key", new arrow.Utf8(), true), new arrow.Field("value", new arrow.Float64(), true)]);

/** Sends rows at time 0, in the global window or in window [0, `end`). */
function send(op: StatefulOperator, rows: KV<string, number>[], end?: number): void {
  const n = rows.length;
  const windows: ElementBatch["windows"] = end === undefined ? { kind: "global" } : { kind: "interval", start: new Float64Array(n), end: new Float64Array(n).fill(end) };
  void op.processBatch("main", { data: rowsToRecordBatch(rows, schema, "test"), timestamps: new Float64Array(n), windows });
}

/** Every key's count, once the operator finishes (the global window expires). */
async function finalCounts(op: StatefulOperator, out: unknown[]): Promise<unknown[]> {
  await op.onWatermark?.(MAX_TIMESTAMP);
  await op.finish?.();
  await op.close?.(false);
  return [...out].sort((a, b) => ((a as { key: string }).key < (b as { key: string }).key ? -1 : 1));
}

const KEYS = 20_000;
const many = Array.from({ length: KEYS }, (_, i) => ({ key: `key-${i}`, value: i % 10 }));
const touch = [{ key: "key-7", value: 5 }, { key: "key-8", value: -1 }, { key: "new-key", value: 3 }];

describe("incremental checkpoints of state on disk", () => {
  test("after a few keys changed, the checkpoint holds those keys; the chain restores the whole state on either backend", async () => {
    const p = counting();
    const { op, out } = countOperator(p, "disk");
    send(op, many);
    const first = op.snapshot(1);
    await op.onCommit?.(1);
    send(op, touch);
    const second = op.snapshot(2);
    const size1 = v8.serialize(first).byteLength;
    const size2 = v8.serialize(second).byteLength;
    expect(first.incremental).toEqual({ base: null });
    expect(first.keyed!.length).toBe(KEYS);
    expect(second.incremental).toEqual({ base: 1 });
    const changed = second.keyed!.map(([, e]) => e as [string, { keyId: string; cells: [string, unknown[]][] }]);
    expect(changed.map(([, v]) => [v.keyId, v.cells]).sort()).toEqual([['"key-7"', [["n", [12]]]], ['"key-8"', []], ['"new-key"', [["n", [3]]]]]);
    expect(size2 * 500).toBeLessThan(size1);

    // Through a checkpoint directory: the second checkpoint builds on the first, and a load rebuilds the whole.
    const store = new CheckpointStore(tempDir("beamline-incremental-"), { retained: 1 });
    const take = (id: number, snap: OperatorSnapshot) => {
      store.begin(id);
      const bytes = writeInstanceFile(store, id, 0, new Map([["Count", snap]]));
      store.complete({ id, fingerprint: "f", parallelism: 1, keyGroups: 128, completedAt: 0, durationMs: 0, files: { "instance-0.bin": bytes }, extra: {} });
      return bytes;
    };
    take(1, first);
    expect(take(2, second) * 500).toBeLessThan(fs.statSync(`${store.pathOf(1)}/instance-0.bin`).size);
    expect(store.completed().map((c) => c.id)).toEqual([1, 2]); // retained 1, and the one it builds on
    const loaded = loadCheckpoint(store, store.latest()!);
    const whole = loaded.snapshots.get("Count")!;
    expect(whole[0].incremental).toEqual({ base: null, of: 2 });
    expect(whole[0].keyed!.length).toBe(KEYS + 1);

    const expected = await finalCounts(op, out);
    expect(expected).toContainEqual({ key: "key-7", n: 12 });
    expect(expected).toContainEqual({ key: "key-8", n: null });
    for (const backend of ["memory", "disk"] as const) {
      const fresh = countOperator(p, backend);
      fresh.op.restore(whole[0]);
      expect(await finalCounts(fresh.op, fresh.out)).toEqual(expected);
    }
  });

  test("state dropped when its window expires is written as removed entries, and the chain rebuilds nothing of it", async () => {
    const p = counting();
    const { op, out } = countOperator(p, "disk");
    send(op, many.slice(0, 50), 10);
    send(op, many.slice(50, 60));
    const first = op.snapshot(1);
    await op.onCommit?.(1);
    await op.onWatermark?.(10);
    expect(out).toHaveLength(50);
    const second = op.snapshot(2);
    expect(second.keyed!.filter(([, e]) => (e as [string, unknown])[1] === undefined)).toHaveLength(50);
    expect(second.keyed!).toHaveLength(50);
    const store = new CheckpointStore(tempDir("beamline-incremental-"));
    for (const [id, snap] of [[1, first], [2, second]] as const) {
      store.begin(id);
      const bytes = writeInstanceFile(store, id, 0, new Map([["Count", snap]]));
      store.complete({ id, fingerprint: "f", parallelism: 1, keyGroups: 128, completedAt: 0, durationMs: 0, files: { "instance-0.bin": bytes }, extra: {} });
    }
    expect(loadCheckpoint(store, store.latest()!).snapshots.get("Count")![0].keyed).toHaveLength(10);
    await op.close?.(false);
  });

  test("a restored disk operator's next checkpoint builds on the restored one", async () => {
    const p = counting();
    const { op } = countOperator(p, "disk");
    send(op, many.slice(0, 100));
    const snap = op.snapshot(1);
    await op.close?.(false);
    const fresh = countOperator(p, "disk");
    fresh.op.restore({ ...snap, incremental: { base: null, of: 7 } });
    send(fresh.op, touch.slice(0, 1));
    const next = fresh.op.snapshot(8);
    expect(next.incremental).toEqual({ base: 7 });
    expect(next.keyed!.length).toBe(1);
    await fresh.op.close?.(false);
  });

  test("a checkpoint whose base is gone is refused with the checkpoint it misses", () => {
    const store = new CheckpointStore(tempDir("beamline-incremental-"));
    const snap: OperatorSnapshot = { keyed: [[3, ["nkey", { id: "nkey" }]]], incremental: { base: 4 } };
    store.begin(5);
    const bytes = writeInstanceFile(store, 5, 0, new Map([["Count", snap]]));
    store.complete({ id: 5, fingerprint: "f", parallelism: 1, keyGroups: 128, completedAt: 0, durationMs: 0, files: { "instance-0.bin": bytes }, extra: {} });
    expect(() => loadCheckpoint(store, store.latest()!)).toThrow(expect.objectContaining({ code: "BL_CHECKPOINT_CHAIN_BROKEN", value: { checkpoint: 5, missing: 4, transform: "Count" } }));
  });
});
