import { BeamlineError } from "beamline";
import { LiveMetrics } from "../../../runners/metrics/live";
import { prometheusRegistry } from "../../../runners/metrics/prometheus";
import { FIELD, InstanceSample, TRANSFORM_FIELDS } from "../../../runners/metrics/sample";
import { serveMetrics } from "../../../runners/metrics/server";

function sample(instance: number, rowsOut: number, watermark: number): InstanceSample {
  const values = new Array(TRANSFORM_FIELDS.length).fill(0);
  values[FIELD.rowsOut] = rowsOut;
  values[FIELD.bytesOut] = rowsOut * 16;
  values[FIELD.processingMs] = 1500;
  values[FIELD.backpressureMs] = 250;
  return {
    instance,
    at: Date.now(),
    transforms: ["Read/Parse"],
    values,
    watermarks: [watermark],
    counters: [["Read/Parse", [["droppedLateRows", 4], ["parsed", 9], ["ioRetries", instance + 2]]]],
    backlog: [{ transform: "Read/Parse", partition: "topic-0", records: 12 }],
    user: [
      { step: "Read/Parse", namespace: "app", name: "parsed", kind: "counter", value: 9 },
      { step: "Read/Parse", namespace: "app", name: "size", kind: "distribution", value: { count: 2, sum: 10, min: 3, max: 7 } },
      { step: "Read/Parse", namespace: "app", name: "depth", kind: "gauge", value: { value: 5, timestamp: 1 } },
    ],
  };
}

/** The value of the line of `text` that starts with `series` (a name and its labels). */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the Prometheus registry of a run", () => {
  const live = new LiveMetrics();
  live.record(sample(0, 100, 60_000));
  live.record(sample(1, 50, -Infinity));
  live.checkpoints = () => ({ completed: 3, failed: 1, durationsMs: [100, 200, 300], sizesBytes: [10, 20, 30] });
  live.restarts = 2;
  live.failures = 2;
  live.stageOf = new Map([["Read/Parse", 0]]);

  const parse = (instance: number, pipeline: string) => `transform="Read/Parse",stage="0",instance_index="${instance}",pipeline="${pipeline}"`;

  test("serves counters per transform and instance, in base units, with the pipeline label", async () => {
    const text = await prometheusRegistry(live, "wordcount").metrics();
    const expected: [string, number][] = [
      [`beamline_output_rows_total{${parse(0, "wordcount")}}`, 100],
      [`beamline_output_rows_total{${parse(1, "wordcount")}}`, 50],
      [`beamline_output_bytes_total{${parse(0, "wordcount")}}`, 1600],
      [`beamline_processing_seconds_total{${parse(0, "wordcount")}}`, 1.5],
      [`beamline_backpressure_seconds_total{${parse(1, "wordcount")}}`, 0.25],
      [`beamline_late_rows_dropped_total{${parse(0, "wordcount")}}`, 4],
      [`beamline_io_retries_total{${parse(0, "wordcount")}}`, 2],
      [`beamline_io_retries_total{${parse(1, "wordcount")}}`, 3],
    ];
    expect(expected.map(([series]) => [series, valueOf(text, series)])).toEqual(expected);
    expect(text).toContain("# TYPE beamline_output_rows_total counter");
  });

  test("watermarks and event-time lag only where the watermark is a real time", async () => {
    const text = await prometheusRegistry(live, "p").metrics();
    expect(valueOf(text, `beamline_watermark_seconds{${parse(0, "p")}}`)).toBe(60);
    expect(valueOf(text, `beamline_event_time_lag_seconds{${parse(0, "p")}}`)).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(text).not.toContain(`beamline_watermark_seconds{${parse(1, "p")}}`);
  });

  test("serves the run's checkpoints, restarts, source backlog and user metrics", async () => {
    const text = await prometheusRegistry(live, "p").metrics();
    const user = (name: string) => `transform="Read/Parse",namespace="app",name="${name}"`;
    const expected: [string, number][] = [
      ['beamline_checkpoints_total{pipeline="p"}', 3],
      ['beamline_checkpoint_failures_total{pipeline="p"}', 1],
      ['beamline_checkpoint_duration_seconds_total{pipeline="p"}', 0.6],
      ['beamline_last_checkpoint_duration_seconds{pipeline="p"}', 0.3],
      ['beamline_last_checkpoint_size_bytes{pipeline="p"}', 30],
      ['beamline_restarts_total{pipeline="p"}', 2],
      ['beamline_source_backlog_records{transform="Read/Parse",stage="0",instance_index="1",partition="topic-0",pipeline="p"}', 12],
      [`beamline_user_counts{${user("parsed")},pipeline="p"}`, 18],
      [`beamline_user_distribution{${user("size")},stat="max",pipeline="p"}`, 7],
      [`beamline_user_latest{${user("depth")},pipeline="p"}`, 5],
    ];
    expect(expected.map(([series]) => [series, valueOf(text, series)])).toEqual(expected);
  });

  test("registers none of prom-client's default Node metrics", async () => {
    const text = await prometheusRegistry(live, "p").metrics();
    const names = text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !n.startsWith("beamline_"))).toEqual([]);
  });
});

describe("the metrics endpoint", () => {
  test("answers /metrics on a free loopback port, 404 elsewhere, and stops", async () => {
    const live = new LiveMetrics();
    live.stageOf = new Map([["Read/Parse", 0]]);
    live.record(sample(0, 7, 0));
    const server = await serveMetrics(prometheusRegistry(live, "p"), 0);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const r = await fetch(server.url, { signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/plain");
      expect(valueOf(await r.text(), 'beamline_output_rows_total{transform="Read/Parse",stage="0",instance_index="0",pipeline="p"}')).toBe(7);
      expect((await fetch(server.url.replace("/metrics", "/"), { signal: AbortSignal.timeout(5000) })).status).toBe(404);
    } finally {
      await server.close();
    }
    await expect(fetch(server.url, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });

  test("a bad port or one in use is a clear option error", async () => {
    const registry = prometheusRegistry(new LiveMetrics(), "p");
    await expect(serveMetrics(registry, 70000)).rejects.toMatchObject({ code: "BL_BAD_METRICS_PORT", value: 70000 });
    const first = await serveMetrics(registry, 0);
    try {
      const err = await serveMetrics(registry, first.port).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BeamlineError);
      expect(err).toMatchObject({ code: "BL_PORT_UNAVAILABLE", value: first.port });
    } finally {
      await first.close();
    }
  });
});
