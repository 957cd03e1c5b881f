import { BeamlineError, fixedWindows, PipelineConstructionError, slidingWindows } from "beamline";
import { durationMs } from "../../sdk/time";
import { thrownBy } from "../helpers";

describe("durations", () => {
  test("read short and long unit names, in any case, with or without a space", () => {
    expect(durationMs("1 minute")).toBe(60_000);
    expect(durationMs("2 Minutes")).toBe(120_000);
    expect(durationMs("30 seconds")).toBe(30_000);
    expect(durationMs("1.5h")).toBe(5_400_000);
    expect(durationMs("2 days")).toBe(172_800_000);
    expect(durationMs("250")).toBe(250);
    expect(() => durationMs("1 fortnight")).toThrow(/"1 minute"/);
  });

  test("a window size or offset that is not a positive duration is a construction error naming the value", () => {
    expect(fixedWindows("1 minute")).toMatchObject({ kind: "fixed", size: 60_000 });
    for (const [f, value] of [[() => fixedWindows("1 minute and a bit"), "1 minute and a bit"], [() => fixedWindows(0), 0], [() => slidingWindows("1m", "-5s"), "-5s"], [() => fixedWindows("1m", "soon"), "soon"]] as const) {
      const e = thrownBy(f);
      expect(e).toBeInstanceOf(PipelineConstructionError);
      expect(e).toMatchObject({ code: "BL_INVALID_WINDOW", value });
      expect((e as BeamlineError).fix).toMatch(/"1m"/);
    }
  });
});
