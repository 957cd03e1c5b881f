import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, create, DirectRunner, Pipeline, readCsv, schema, t } from "beamline";
import { main } from "../../../runners/cli";
import { tempDir, until } from "../../helpers";
import { observedNumbers } from "../metrics/pipelines";
import { restartStrategy } from "../../../runners/direct/parallel/restart";
import { crashesWorker } from "./parallel/pipelines";

/** Every sample of `name` in Prometheus text, as [labels, value]. */
function series(text: string, name: string): [string, number][] {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => [l.slice(name.length, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]);
}

function valueOf(text: string, name: string, labels: string): number | undefined {
  return series(text, name).find(([l]) => l.includes(labels))?.[1];
}

async function scrape(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  expect(r.status).toBe(200);
  return r.text();
}

describe("the direct runner's metrics", () => {
  test("the result has each transform's rows, batches, bytes and time over both threads, and the user metrics to query", async () => {
    const n = 20000;
    const r = await new DirectRunner({ parallelism: 2 }).run(buildPipeline(observedNumbers, { to: n }));
    expect(r.parallelism).toBe(2);
    const numbers = r.metrics.transforms.get("Numbers")!;
    // Two parts of 10000 numbers in batches of 1000; a row is a float64 and a timestamp.
    expect(numbers).toMatchObject({ rowsIn: 0, rowsOut: n, batchesOut: 20, bytesOut: 16 * n });
    expect(r.metrics.transforms.get("Observe")).toMatchObject({ rowsIn: n, batchesIn: 20, bytesIn: 16 * n, rowsOut: n });
    expect(r.metrics.transforms.get("Observe")!.processingMs).toBeGreaterThan(0);
    // The exchange the layout put before the keyed count is not a transform of the user's.
    expect([...r.metrics.transforms.keys()].filter((k) => k.startsWith("beamline:"))).toEqual([]);
    expect(r.metrics.transforms.get("PerDigit/Count")!.rowsIn).toBeGreaterThan(0);

    const q = r.metrics.query({ step: "Observe", namespace: "demo" });
    expect(q.counters).toEqual([{ step: "Observe", namespace: "demo", name: "seen", attempted: n, committed: n }]);
    expect(q.distributions[0].attempted).toEqual({ count: n, sum: 4.5 * n, min: 0, max: 9 });
    expect(q.gauges[0].attempted.value).toBeGreaterThanOrEqual(0);
    expect(q.gauges[0].attempted.value).toBeLessThan(n);
    expect(r.metrics.query({ name: "nothing" })).toEqual({ counters: [], distributions: [], gauges: [] });
    // The named counters keep counting user counters as before.
    expect(r.metrics.counters.get("Observe")?.get("seen")).toBe(n);
  });

  test("--metrics-port serves live values from both threads while the run goes, a source's backlog, and stops with the run", async () => {
    let url = "";
    const cancel = new AbortController();
    const runner = new DirectRunner({ parallelism: 2, metricsPort: 0, metricsIntervalMs: 200, jobName: "observed", signal: cancel.signal, onMetricsServer: (u) => (url = u) });
    // 20000 numbers at 5000 a second: a bounded source that reports what it has left.
    const run = runner.run(buildPipeline(observedNumbers, { to: 20000, rate: 5000 }));
    try {
      const first = await until(async () => (url ? valueOf(await scrape(url), "beamline_output_rows_total", 'transform="Numbers"') || undefined : undefined), 20_000, "rows out of Numbers");
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const later = await until(async () => {
        const v = valueOf(await scrape(url), "beamline_output_rows_total", 'transform="Numbers"')!;
        return v > first ? v : undefined;
      }, 10_000, "more rows out of Numbers");
      expect(later).toBeGreaterThan(first);
      const text = await until(async () => {
        const t = await scrape(url);
        return series(t, "beamline_processing_seconds_total").some(([l]) => l.includes('instance_index="1"')) ? t : undefined;
      }, 20_000, "a sample of instance 1");
      expect(valueOf(text, "beamline_input_rows_total", 'transform="Observe",stage="0",instance_index="0",pipeline="observed"')).toBeGreaterThan(0);
      const backlog = valueOf(text, "beamline_source_backlog_records", 'partition="0-20000"');
      expect(backlog).toBeGreaterThan(0);
      expect(backlog).toBeLessThan(20000);
      expect(valueOf(text, "beamline_user_counts", 'namespace="demo",name="seen"')).toBeGreaterThan(0);
    } finally {
      cancel.abort();
    }
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_CANCELLED");
    await expect(fetch(url, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });

  test("a checkpointed run serves its checkpoints' count, duration and size while it goes", async () => {
    let url = "";
    const dir = tempDir();
    const runner = new DirectRunner({ parallelism: 2, metricsPort: 0, metricsIntervalMs: 100, checkpoint: { dir, intervalMs: 200 }, onMetricsServer: (u) => (url = u) });
    const run = runner.run(buildPipeline(observedNumbers, { to: 20000, rate: 5000 }));
    const text = await until(async () => {
      if (!url) return undefined;
      const t = await scrape(url);
      return (valueOf(t, "beamline_checkpoints_total", "pipeline=") ?? 0) >= 2 ? t : undefined;
    }, 20_000, "two completed checkpoints");
    expect(valueOf(text, "beamline_last_checkpoint_size_bytes", "pipeline=")).toBeGreaterThan(0);
    expect(valueOf(text, "beamline_checkpoint_duration_seconds_total", "pipeline=")).toBeGreaterThan(0);
    expect(valueOf(text, "beamline_checkpoint_failures_total", "pipeline=")).toBe(0);
    expect(series(text, "beamline_checkpoint_alignment_seconds_total").map(([l]) => l)).toEqual(expect.arrayContaining([expect.stringContaining('transform="Numbers",stage="0",instance_index="0"')]));
    const r = await run;
    expect(r.checkpoints!.durationsMs.length).toBeGreaterThanOrEqual(2);
  });

  test("rows sent to a dead-letter output are counted for the transform that sent them", async () => {
    const file = path.join(tempDir(), "in.csv");
    fs.writeFileSync(file, 'a,b\n1,2\n3\n4,x"y\n5,6\n');
    const p = new Pipeline();
    const { main } = p.apply(readCsv(file, { deadLetter: true, schema: schema({ a: t.int32(), b: t.int32() }) }));
    main.map((r) => r, { name: "Keep" });
    const r = await new DirectRunner({ parallelism: 1 }).run(p);
    expect(r.metrics.transforms.get("ReadCsv")).toMatchObject({ rowsOut: 4, deadLetterRows: 2 });
    expect(r.metrics.transforms.get("Keep")).toMatchObject({ rowsIn: 2, deadLetterRows: 0 });
  });

  test("so are the elements a function set aside on its dead-letter output", async () => {
    const p = new Pipeline();
    const { main: kept } = p.apply(create([1, 2, 3, 4, 5, 6])).map(
      (n: number) => {
        if (n % 3 === 0) throw new Error(`${n} is a multiple of 3`);
        return n;
      },
      { deadLetter: true, name: "Parse" },
    );
    kept.map((n: number) => n, { name: "Next" });
    const r = await new DirectRunner({ parallelism: 1 }).run(p);
    expect(r.metrics.transforms.get("Parse")).toMatchObject({ rowsIn: 6, rowsOut: 6, deadLetterRows: 2 });
  });

  test("after a restart, what the failed attempt counted is carried over: totals never go back", async () => {
    const dir = tempDir();
    const marker = path.join(dir, "crashed");
    // The worker thread dies once, at row 100000; the run restarts from the beginning.
    const r = await new DirectRunner({ parallelism: 2, metricsPort: 0, metricsIntervalMs: 10, restartStrategy: restartStrategy("fixed-delay", 2, 10) }).run(
      buildPipeline(crashesWorker, { output: path.join(dir, "out"), crashAt: 100_000, marker }),
    );
    expect(fs.existsSync(marker)).toBe(true);
    expect(r.restarts).toBe(1);
    // The second attempt reads all 200000 rows; the first had read some before it failed.
    expect(r.metrics.transforms.get("Input")!.rowsOut).toBeGreaterThan(200_000);
  });

  test("a bad metrics or UI port, or metrics interval, is refused before the run", () => {
    expect(() => new DirectRunner({ metricsPort: -1 })).toThrow(expect.objectContaining({ code: "BL_BAD_METRICS_PORT", value: -1 }));
    expect(() => new DirectRunner({ uiPort: 1.5 })).toThrow(expect.objectContaining({ code: "BL_BAD_PORT", value: 1.5 }));
    expect(() => new DirectRunner({ metricsPort: 0, metricsIntervalMs: 0 })).toThrow(expect.objectContaining({ code: "BL_BAD_METRICS_INTERVAL", value: 0 }));
  });

  test("the command prints the metrics URL on stderr", async () => {
    let err = "";
    const code = await main(["run", "examples/wordcount.ts", `--output=${path.join(tempDir(), "wc")}`, "--metrics-port=0", "--parallelism=1"], { out: () => {}, err: (t) => (err += `${t}\n`) });
    expect(code).toBe(0);
    expect(err).toMatch(/beamline: metrics at http:\/\/127\.0\.0\.1:\d+\/metrics\n/);
  });
});
