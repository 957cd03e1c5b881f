/** The data-plane overhead script's options and its two pipelines. */
import { RESHUFFLE_URN } from "../../sdk/kv";
import { overheadPipeline, parseOverheadArgs } from "../../bench/portable-overhead";

describe("portable-overhead.ts", () => {
  test("takes --rows (a positive integer, 2,000,000 by default) and --cpu-prof, and refuses anything else", () => {
    expect(parseOverheadArgs([])).toEqual({ rows: 2_000_000 });
    expect(parseOverheadArgs(["--rows=300000", "--cpu-prof"])).toEqual({ rows: 300_000 });
    expect(() => parseOverheadArgs(["--rows=0"])).toThrow(/--rows=0.*positive integer/);
    expect(() => parseOverheadArgs(["--rows=1e6"])).toThrow(/not an option/);
    expect(() => parseOverheadArgs(["--quick"])).toThrow(/"--quick" is not an option/);
  });

  test("differ only by a reshuffle between the map and the filter", () => {
    const urns = (shape: "fused" | "reshuffled") => Object.values(overheadPipeline(1000, shape).graph().transforms).map((t) => t.urn);
    const fused = urns("fused");
    const reshuffled = urns("reshuffled");
    expect(fused).not.toContain(RESHUFFLE_URN);
    expect(reshuffled.filter((u) => u === RESHUFFLE_URN)).toHaveLength(1);
    expect(reshuffled.filter((u) => u !== RESHUFFLE_URN)).toEqual(fused);
  });
});
