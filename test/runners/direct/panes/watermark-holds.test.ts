import { MAX_TIMESTAMP } from "beamline";
import { GrowableColumn } from "../../../../runners/direct/data/growable-columns";
import { WatermarkHolds } from "../../../../runners/direct/panes/watermark-holds";

/** Holds over groups 0 and 1 with windows [0, 100) and [100, 200). */
function holdsOf(combiner: "earliest" | "latest" | "end_of_window", lateness = 0): WatermarkHolds {
  const end = new GrowableColumn(new Float64Array(2));
  end.set(0, 100);
  end.set(1, 200);
  const holds = new WatermarkHolds(end, combiner, lateness);
  holds.reserve(1);
  holds.reset(0);
  holds.reset(1);
  return holds;
}

describe("WatermarkHolds", () => {
  it("holds the output watermark at the earliest held element of a pending group, and stamps panes with it", () => {
    const holds = holdsOf("earliest");
    holds.pend(0);
    holds.observe(0, 40, 0);
    holds.observe(0, 30, 0);
    holds.pend(1);
    holds.observe(1, 150, 0);
    expect(holds.hold(0)).toBe(30);
    expect([holds.outputTimestamp(0), holds.outputTimestamp(1)]).toEqual([30, 150]);
    holds.release(0); // group 0 fired: its pane took the hold
    expect(holds.hold(0)).toBe(150);
    expect(holds.outputTimestamp(0)).toBe(99);
  });

  it("ignores elements behind the published output watermark and in windows the input watermark has passed", () => {
    const holds = holdsOf("latest", 1000);
    expect(holds.hold(50)).toBe(MAX_TIMESTAMP); // publishes 50
    holds.pend(0);
    holds.observe(0, 20, 50); // behind the published watermark
    expect(holds.outputTimestamp(0)).toBe(99);
    expect(holds.hold(50)).toBe(99); // pending without held elements: the end of the window
    holds.observe(0, 60, 150); // the input watermark passed the window
    expect(holds.outputTimestamp(0)).toBe(99);
    expect(holds.hold(150)).toBe(100 - 1 + 1000); // late data: held to its garbage-collection time
    holds.pend(1);
    holds.observe(1, 160, 150);
    holds.observe(1, 170, 150);
    expect(holds.outputTimestamp(1)).toBe(170);
  });

  it("merges a group's holds into another's", () => {
    const holds = holdsOf("earliest");
    holds.pend(0);
    holds.observe(0, 80, 0);
    holds.pend(1);
    holds.observe(1, 120, 0);
    holds.merge(1, 0);
    expect(holds.outputTimestamp(1)).toBe(80);
    holds.forget(0);
    expect(holds.hold(0)).toBe(80); // group 1 still pending, now holding what group 0 held
  });

  it("holds nothing when panes are stamped at the end of the window", () => {
    const holds = holdsOf("end_of_window");
    holds.pend(0);
    holds.observe(0, 10, 0);
    expect(holds.hold(0)).toBe(MAX_TIMESTAMP);
    expect(holds.outputTimestamp(0)).toBe(99);
  });
});
