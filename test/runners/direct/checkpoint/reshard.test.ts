/** Restoring at another parallelism: snapshots split by key group and item, and merge back whole. */
import type { OperatorSnapshot } from "../../../../runners/direct/contract/operator";
import { reshard } from "../../../../runners/direct/checkpoint/reshard";
import type { LoadedCheckpoint } from "../../../../runners/direct/checkpoint/coordinator";
import { KEY_GROUPS, workerOfKeyGroup } from "../../../../runners/direct/data/key-groups";
import type { Layout } from "../../../../runners/direct/parallel/layout";
import { restoredShare } from "../../../../runners/direct/parallel/restored-state";

/** Two instances' snapshots: keys by key group as the exchange routes them, items, a watermark each. */
function taken(): OperatorSnapshot[] {
  return [0, 1].map((w) => {
    const keyed: [number, unknown][] = [];
    for (let kg = 0; kg < KEY_GROUPS; kg++) if (workerOfKeyGroup(kg, 2) === w) keyed.push([kg, { kg, from: w }]);
    return { keyed, items: [`part-${w}-a`, `part-${w}-b`], common: { side: w }, watermark: 1000 + w };
  });
}

describe("reshard", () => {
  test.each([1, 2, 3, 5])("a checkpoint of 2 instances restores at %i, every key group and item exactly once", (count) => {
    const restored = Array.from({ length: count }, (_, index) =>
      reshard(taken(), { ownsKeyGroup: (kg) => workerOfKeyGroup(kg, count) === index, index, count }),
    );
    const groups = restored.flatMap((r, index) => r.keyed!.map(([kg]) => {
      expect(workerOfKeyGroup(kg, count)).toBe(index);
      return kg;
    }));
    expect(groups.sort((a, b) => a - b)).toEqual(Array.from({ length: KEY_GROUPS }, (_, i) => i));
    expect(restored.flatMap((r) => r.items).sort()).toEqual(["part-0-a", "part-0-b", "part-1-a", "part-1-b"]);
    for (const r of restored) {
      expect(r.watermark).toBe(1000);
      expect(r.common).toEqual({ side: 0 });
    }
  });
});

describe("reshard of placed items", () => {
  test.each([1, 2, 3, 4])("items placed by slot, taken on 2 instances, restore at %i on the instance their slot names", (count) => {
    const snapshots: OperatorSnapshot[] = [0, 1].map((w) => ({ placed: [0, 1, 2, 3, 4, 5, 6].filter((slot) => slot % 2 === w).map((slot) => [slot + 100, `part-${slot}`] as const) }));
    const restored = Array.from({ length: count }, (_, index) => reshard(snapshots, { ownsKeyGroup: () => false, index, count }));
    restored.forEach((r, index) => {
      for (const [slot] of r.placed ?? []) expect(slot % count).toBe(index);
    });
    expect(restored.flatMap((r) => (r.placed ?? []).map(([, item]) => item)).sort()).toEqual(["part-0", "part-1", "part-2", "part-3", "part-4", "part-5", "part-6"]);
  });
});

describe("restoredShare", () => {
  const loaded: LoadedCheckpoint = {
    id: 7,
    parallelism: 2,
    snapshots: new Map<string, OperatorSnapshot[]>([
      ["Read", [{ items: ["split-0"] }, { items: ["split-1"] }]],
      ["Sum", taken()],
      ["Write", [{ items: [{ nextEpoch: 3, pending: [] }] }]],
      ["Done", [{ finished: true }, { finished: true }]],
      ["HalfDone", [{ finished: true }, { items: ["split-1"] }]],
    ]),
  };
  const lay = (parallelism: number): Layout => ({ parallelism, edges: [], placement: { Read: "all", Sum: "all", Write: "single", Done: "all", HalfDone: "all" } });

  test.each([1, 3])("a checkpoint of 2 instances shared out to %i: source splits once each, sinks on instance 0, finished stays finished", (count) => {
    const shares = Array.from({ length: count }, (_, i) => new Map(restoredShare(loaded, lay(count), i)));
    expect(shares.flatMap((s) => s.get("Read")!.items ?? []).sort()).toEqual(["split-0", "split-1"]);
    expect(shares.flatMap((s) => s.get("Sum")!.keyed!.map(([kg]) => kg)).sort((a, b) => a - b)).toEqual(Array.from({ length: KEY_GROUPS }, (_, i) => i));
    expect(shares[0].get("Write")!.items).toEqual([{ nextEpoch: 3, pending: [] }]);
    for (const s of shares.slice(1)) expect(s.has("Write")).toBe(false);
    for (const s of shares) expect(s.get("Done")!.finished).toBe(true);
    for (const s of shares) expect(s.get("HalfDone")!.finished).toBeUndefined(); // finished on one instance only: it runs again
    expect(shares.flatMap((s) => s.get("HalfDone")!.items ?? [])).toEqual(["split-1"]);
  });
});
