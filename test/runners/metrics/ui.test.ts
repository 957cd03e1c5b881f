import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import { LiveMetrics } from "../../../runners/metrics/live";
import { FIELD, TRANSFORM_FIELDS } from "../../../runners/metrics/sample";
import { uiStatus, type UiStatus } from "../../../runners/metrics/ui";
import { until } from "../../helpers";
import { observedNumbers } from "./pipelines";

describe("the web UI's status", () => {
  test("sums each transform over its instances, with its stage, its slowest real watermark, checkpoints and errors", () => {
    const live = new LiveMetrics();
    live.stageOf = new Map([["A", 0]]);
    const values = (rows: number) => Object.assign(new Array(TRANSFORM_FIELDS.length).fill(0), { [FIELD.rowsOut]: rows, [FIELD.processingMs]: 5 });
    live.record({ instance: 0, at: 1, transforms: ["A", "B"], values: [...values(10), ...values(1)], watermarks: [5000, -Infinity], counters: [], backlog: [], user: [] });
    live.record({ instance: 1, at: 1, transforms: ["A"], values: values(30), watermarks: [4000], counters: [], backlog: [], user: [] });
    live.checkpoints = () => ({ completed: 2, failed: 1, durationsMs: [10, 20], sizesBytes: [100, 200] });
    live.failed(new Error("worker thread 1 died"));
    const s = uiStatus(live, { pipeline: "p", graphSvg: "<svg/>", options: { parallelism: 2 } });
    expect(s.transforms.find((t) => t.transform === "A")).toMatchObject({ stage: 0, instances: 2, rowsOut: 40, processingMs: 10, watermark: 4000 });
    expect(s.transforms.find((t) => t.transform === "B")).toMatchObject({ stage: null, instances: 1, watermark: null });
    expect(s.checkpoints).toEqual({ completed: 2, failed: 1, recent: [{ durationMs: 10, sizeBytes: 100 }, { durationMs: 20, sizeBytes: 200 }] });
    expect(s.errors.map((e) => e.message)).toEqual(["worker thread 1 died"]);
    expect(s).toMatchObject({ pipeline: "p", state: "running", failures: 1, options: { parallelism: 2 } });
  });
});

describe("--ui-port", () => {
  test("serves the page, the plan and live status of a run on two threads from the runner's process, nothing from elsewhere", async () => {
    let url = "";
    const cancel = new AbortController();
    const run = new DirectRunner({ parallelism: 2, uiPort: 0, metricsIntervalMs: 200, jobName: "observed", signal: cancel.signal, onUiServer: (u) => (url = u) })
      .run(buildPipeline(observedNumbers, { to: 0, rate: 4000 }))
      .catch((e: unknown) => e);
    const get = async (p: string) => {
      const r = await fetch(new URL(p, url), { signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      return r;
    };
    try {
      await until(async () => (url ? true : undefined), 20_000, "the UI to listen");
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await (await get("/")).text();
      expect(page).toContain("<title>observed · Beamline</title>");
      expect(page).toContain('fetch("/api/status"');
      // Assets are all served here: no script, style or image from another origin.
      expect(page.match(/(src|href)="https?:/g)).toBeNull();
      // The page's script at least parses (it runs in a browser, not here).
      const script = /<script>([\s\S]*)<\/script>/.exec(page)![1];
      expect(() => new Function(script)).not.toThrow();
      const svg = await (await get("/graph.svg")).text();
      for (const name of ["Numbers", "Observe", "Seconds", "PerDigit/Count"]) expect(svg).toContain(name);
      const status = async () => (await (await get("/api/status")).json()) as UiStatus;
      const rowsOut = (s: UiStatus) => s.transforms.find((t) => t.transform === "Numbers")?.rowsOut ?? 0;
      const first = await until(async () => {
        const s = await status();
        return rowsOut(s) > 0 && s.transforms.find((t) => t.transform === "PerDigit/Count")?.instances === 2 ? s : undefined;
      }, 30_000, "rows from Numbers and samples of both instances");
      expect(first).toMatchObject({ pipeline: "observed", state: "running", options: { parallelism: 2, restartStrategy: "none" } });
      const later = await until(async () => {
        const s = await status();
        return rowsOut(s) > rowsOut(first) ? s : undefined;
      }, 10_000, "more rows");
      expect(later.now).toBeGreaterThan(first.now);
      expect(later.transforms.find((t) => t.transform === "Observe")!.watermark).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      cancel.abort();
    }
    expect(await run).toBeInstanceOf(BeamlineError);
    await expect(fetch(url, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });
});
