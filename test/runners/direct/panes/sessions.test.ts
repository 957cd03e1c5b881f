import { GrowableColumn } from "../../../../runners/direct/data/growable-columns";
import { Sessions } from "../../../../runners/direct/panes/sessions";

/** Sessions over groups with the given windows, the `closed` ones closed. */
function sessionsOf(windows: readonly [number, number][], closedGroups: readonly number[] = []) {
  const start = new GrowableColumn(new Float64Array(4));
  const end = new GrowableColumn(new Float64Array(4));
  const closed = new GrowableColumn(new Uint8Array(4));
  windows.forEach(([s, e], g) => {
    start.set(g, s);
    end.set(g, e);
    closed.set(g, closedGroups.includes(g) ? 1 : 0);
  });
  return new Sessions(start, end, closed);
}

describe("Sessions", () => {
  it("finds the open sessions a window overlaps, and a closed one only by its exact window", () => {
    const sessions = sessionsOf([[0, 10], [20, 30], [40, 50], [60, 70]], [2]);
    const list = sessions.of("k");
    for (const g of [0, 1, 2, 3]) sessions.add(list, g, [g]);
    expect(sessions.overlapping(list, 5, 25)).toEqual([0, 1]);
    expect(sessions.overlapping(list, 10, 20)).toEqual([]); // windows are half-open
    expect(sessions.overlapping(list, 40, 50)).toEqual([]); // closed sessions do not merge
    expect(sessions.closedAt(list, 40, 50)).toBe(2);
    expect(sessions.closedAt(list, 40, 51)).toBe(-1);
    expect(sessions.of("other")).toEqual([]);
  });

  it("absorbs merged sessions' proto groups into the target, and removes a session with its members", () => {
    const sessions = sessionsOf([[0, 10], [5, 15], [12, 20]]);
    const list = sessions.of("k");
    for (const g of [0, 1, 2]) sessions.add(list, g, [g]);
    sessions.absorb("k", 0, [1, 2]);
    expect(sessions.of("k")).toEqual([0]);
    expect(sessions.membersOf(0)).toEqual([0, 1, 2]);
    expect([sessions.has(0), sessions.has(1), sessions.has(2)]).toEqual([true, false, false]);
    expect(sessions.remove("k", 0)).toEqual([0, 1, 2]);
    expect(sessions.has(0)).toBe(false);
    expect(sessions.of("k")).toEqual([]);
  });
});
