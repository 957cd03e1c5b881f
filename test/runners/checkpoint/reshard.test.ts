/** Restoring at another parallelism: snapshots split by key group and item, and merge back whole. */
import type { OperatorSnapshot } from "../../../runners/direct/operator";
import { reshard } from "../../../runners/direct/checkpoint/reshard";
import { KEY_GROUPS, workerOfKeyGroup } from "../../../runners/direct/threads/key-groups";

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
