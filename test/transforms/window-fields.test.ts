import { collect, count, create, fixedWindows, groupBy, Pipeline, PipelineConstructionError, runPipeline, withTimestamps, windowInto, withWindowFields } from "beamline";
import { sorted, thrownBy } from "../helpers";

describe("withWindowFields", () => {
  test("adds each windowed aggregate row's window as windowStart and windowEnd", async () => {
    const p = new Pipeline();
    const clicks = p.apply(create([
      { user: "a", time: 1_000 },
      { user: "a", time: 59_000 },
      { user: "a", time: 61_000 },
      { user: "b", time: 62_000 },
    ]));
    const perMinute = clicks
      .apply(withTimestamps("time"))
      .apply(windowInto(fixedWindows("1 minute")))
      .apply(groupBy("user").aggregate({ clicks: count() }))
      .apply(withWindowFields());
    expect(perMinute.schema!.fields.map((f) => f.name)).toEqual(["user", "clicks", "windowStart", "windowEnd"]);
    const out = collect(perMinute);
    await runPipeline(p);
    expect(sorted(out.rows)).toEqual(sorted([
      { user: "a", clicks: 2, windowStart: 0, windowEnd: 60_000 },
      { user: "a", clicks: 1, windowStart: 60_000, windowEnd: 120_000 },
      { user: "b", clicks: 1, windowStart: 60_000, windowEnd: 120_000 },
    ]));
  });

  test("in the global window both are null; names can be chosen; bare values and taken names are construction errors", async () => {
    const p = new Pipeline();
    const rows = p.apply(create([{ n: 1 }]));
    const out = collect(rows.apply(withWindowFields({ start: "from", end: "to" })));
    await runPipeline(p);
    expect(out.rows).toEqual([{ n: 1, from: null, to: null }]);
    const q = new Pipeline();
    // TypeScript refuses bare values already; a JavaScript caller gets the construction error.
    expect(thrownBy(() => q.apply(create([1, 2])).apply(withWindowFields() as any))).toBeInstanceOf(PipelineConstructionError);
    expect(thrownBy(() => q.apply(create([{ windowEnd: 1 }])).apply("Twice", withWindowFields()))).toMatchObject({ code: "BL_WINDOW_FIELDS", value: "windowEnd" });
  });
});
