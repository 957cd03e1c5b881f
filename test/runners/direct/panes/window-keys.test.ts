import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "beamline";
import { WindowKeys } from "../../../../runners/direct/panes/window-keys";

const GLOBAL_END = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;

describe("WindowKeys", () => {
  it("keeps one table per window, the global window's apart", () => {
    const keys = new WindowKeys();
    keys.add("a", 0, 10, 1);
    keys.add("a", 10, 20, 2);
    keys.add("a", MIN_TIMESTAMP, GLOBAL_END, 3);
    expect([keys.of(0, 10).get("a"), keys.of(10, 20).get("a"), keys.global.get("a"), keys.of(0, 20).get("a")]).toEqual([1, 2, 3, -1]);
  });

  it("finds the same table for a window whether or not it is among the last few looked up", () => {
    const keys = new WindowKeys();
    const first = keys.of(0, 10);
    first.add(7, 70);
    for (let w = 1; w <= 6; w++) keys.of(w * 10, w * 10 + 10); // pushes [0, 10) out of the recent tables
    expect(keys.of(0, 10)).toBe(first);
    expect(keys.of(0, 10).get(7)).toBe(70);
  });

  it("drops a window's table with its last group: a later lookup starts empty", () => {
    const keys = new WindowKeys();
    keys.add("a", 0, 10, 1);
    keys.add("b", 0, 10, 2);
    const table = keys.of(0, 10);
    keys.remove("a", 0, 10, 1);
    expect(keys.of(0, 10)).toBe(table);
    keys.remove("b", 0, 10, 2);
    const fresh = keys.of(0, 10);
    expect(fresh).not.toBe(table);
    expect(fresh.size).toBe(0);
  });

  it("removes a global-window group only if it is the key's group there", () => {
    const keys = new WindowKeys();
    keys.add("a", MIN_TIMESTAMP, GLOBAL_END, 1);
    keys.remove("a", MIN_TIMESTAMP, GLOBAL_END, 9);
    expect(keys.global.get("a")).toBe(1);
    keys.remove("a", MIN_TIMESTAMP, GLOBAL_END, 1);
    expect(keys.global.get("a")).toBe(-1);
  });

  it("forgets every group on clear", () => {
    const keys = new WindowKeys();
    keys.add("a", 0, 10, 1);
    keys.add("a", MIN_TIMESTAMP, GLOBAL_END, 2);
    keys.clear();
    expect([keys.of(0, 10).get("a"), keys.global.get("a")]).toEqual([-1, -1]);
  });
});
