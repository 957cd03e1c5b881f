/**
 * A run's metrics as Prometheus text, through prom-client: a registry of its own (none of prom-client's
 * default Node metrics), whose collectors read the run's {@link LiveMetrics} at each scrape. Names follow
 * Prometheus's conventions (`beamline_…_total` for counters, base units `_seconds` and `_bytes`); labels
 * are `pipeline`, `transform`, `stage` (the fused stage the transform runs in), `instance_index` (the pipeline instance, 0-based: Prometheus sets `instance`
 * itself, to the scraped target, and would rename ours) and, for a source's backlog, `partition`.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../sdk/time";
import type { LiveMetrics } from "./live";
import { FIELD, TransformField } from "./sample";

/** Named counters of the direct runner's operators that count rows dropped as late. */
const LATE_DROP_COUNTERS = new Set(["droppedLateRows", "droppedClosedWindowRows", "droppedDueToLateness"]);

/** The named counter of the direct runner's sources and sinks that counts transient I/O errors retried. */
const IO_RETRIES_COUNTER = "ioRetries";

/** Per-transform counters: metric name, help, the sample field, and the factor to the metric's unit. */
const TRANSFORM_COUNTERS: readonly [string, string, TransformField, number][] = [
  ["beamline_input_rows_total", "Rows a transform received.", "rowsIn", 1],
  ["beamline_output_rows_total", "Rows a transform emitted.", "rowsOut", 1],
  ["beamline_input_batches_total", "Batches a transform received.", "batchesIn", 1],
  ["beamline_output_batches_total", "Batches a transform emitted.", "batchesOut", 1],
  ["beamline_input_bytes_total", "Bytes of the batches a transform received (columns and timestamps).", "bytesIn", 1],
  ["beamline_output_bytes_total", "Bytes of the batches a transform emitted (columns and timestamps).", "bytesOut", 1],
  ["beamline_processing_seconds_total", "Time a transform spent processing batches, watermarks and timers.", "processingMs", 1 / 1000],
  ["beamline_backpressure_seconds_total", "Time a source waited for room downstream.", "backpressureMs", 1 / 1000],
  ["beamline_dead_letter_rows_total", "Rows a transform sent to its dead-letter output (records it could not read or process).", "deadLetterRows", 1],
  ["beamline_checkpoint_alignment_seconds_total", "Time a transform's input was held while a checkpoint's barriers aligned: by a source within a thread, or by the links into it from other threads.", "alignmentMs", 1 / 1000],
];

/** Keeps the last value of `f` for `ms`, so that the collectors of one scrape read the run once. */
function memo<T>(f: () => T, ms = 100): () => T {
  let at = -Infinity;
  let value: T;
  return () => {
    const now = Date.now();
    if (now - at > ms) {
      value = f();
      at = now;
    }
    return value;
  };
}

/** A prom-client registry that serves the metrics of `live`, labelled with pipeline `pipeline`. */
export function prometheusRegistry(live: LiveMetrics, pipeline: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ pipeline });
  const registers = [registry];
  const rows = memo(() => live.transforms());
  const counters = memo(() => live.counters());
  const labels = ["transform", "stage", "instance_index"] as const;
  const at = (transform: string, instance: number) => ({ transform, stage: String(live.stageOf.get(transform) ?? ""), instance_index: String(instance) });

  for (const [name, help, field, unit] of TRANSFORM_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: labels,
      registers,
      collect() {
        this.reset();
        for (const r of rows()) this.inc(at(r.transform, r.instance), r.values[FIELD[field]] * unit);
      },
    });
  }
  const finite = (wm: number | undefined): wm is number => wm !== undefined && wm > MIN_TIMESTAMP && wm < MAX_TIMESTAMP;
  new Gauge({
    name: "beamline_watermark_seconds",
    help: "A transform's output watermark (seconds since the epoch), while it is neither at the start nor at the end of time.",
    labelNames: labels,
    registers,
    collect() {
      this.reset();
      for (const r of rows()) if (finite(r.watermark)) this.set(at(r.transform, r.instance), r.watermark / 1000);
    },
  });
  new Gauge({
    name: "beamline_event_time_lag_seconds",
    help: "How far a transform's output watermark is behind the wall clock.",
    labelNames: labels,
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const r of rows()) if (finite(r.watermark)) this.set(at(r.transform, r.instance), (now - r.watermark) / 1000);
    },
  });
  new Counter({
    name: "beamline_late_rows_dropped_total",
    help: "Rows a transform dropped because they came after their window's allowed lateness.",
    labelNames: labels,
    registers,
    collect() {
      this.reset();
      for (const c of counters()) if (LATE_DROP_COUNTERS.has(c.counter)) this.inc(at(c.transform, c.instance), c.value);
    },
  });
  new Counter({
    name: "beamline_io_retries_total",
    help: "Transient I/O errors a source or sink retried (a read, opening a writer, a commit).",
    labelNames: labels,
    registers,
    collect() {
      this.reset();
      for (const c of counters()) if (c.counter === IO_RETRIES_COUNTER) this.inc(at(c.transform, c.instance), c.value);
    },
  });
  for (const [unit, key] of [["records", "records"], ["bytes", "bytes"]] as const) {
    new Gauge({
      name: `beamline_source_backlog_${unit}`,
      help: `What a source reported it has yet to read of a partition, in ${unit}.`,
      labelNames: [...labels, "partition"],
      registers,
      collect() {
        this.reset();
        for (const b of live.backlog()) {
          const v = b[key];
          if (v !== undefined) this.set({ ...at(b.transform, b.instance), partition: b.partition }, v);
        }
      },
    });
  }
  const runCounter = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  const runGauge = (name: string, help: string, value: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const v = value();
        if (v !== undefined) this.set(v);
      },
    });
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  runCounter("beamline_checkpoints_total", "Checkpoints the run completed.", () => live.checkpoints().completed);
  runCounter("beamline_checkpoint_failures_total", "Checkpoints that failed.", () => live.checkpoints().failed);
  runCounter("beamline_checkpoint_duration_seconds_total", "Time completed checkpoints took, from trigger to manifest.", () => sum(live.checkpoints().durationsMs) / 1000);
  runCounter("beamline_checkpoint_size_bytes_total", "Bytes of state completed checkpoints wrote.", () => sum(live.checkpoints().sizesBytes));
  const last = (xs: readonly number[]) => (xs.length > 0 ? xs[xs.length - 1] : undefined);
  runGauge("beamline_last_checkpoint_duration_seconds", "How long the last completed checkpoint took.", () => {
    const ms = last(live.checkpoints().durationsMs);
    return ms === undefined ? undefined : ms / 1000;
  });
  runGauge("beamline_last_checkpoint_size_bytes", "The bytes of state the last completed checkpoint wrote.", () => last(live.checkpoints().sizesBytes));
  runCounter("beamline_restarts_total", "Times the run restarted after a failure.", () => live.restarts);
  runCounter("beamline_failures_total", "Attempts of the run that failed (restarted or not).", () => live.failures);
  runGauge("beamline_start_time_seconds", "When the run started (seconds since the epoch).", () => live.startedAt / 1000);

  const userLabels = ["transform", "namespace", "name"] as const;
  new Gauge({
    name: "beamline_user_counts",
    help: "The value of a user counter (Beam's Metrics.counter), summed over instances; a gauge, since user code may decrement it.",
    labelNames: userLabels,
    registers,
    collect() {
      this.reset();
      for (const m of live.user()) if (m.kind === "counter") this.set({ transform: m.step, namespace: m.namespace, name: m.name }, m.value);
    },
  });
  new Gauge({
    name: "beamline_user_distribution",
    help: "A user distribution's count, sum, min and max (label stat), over instances.",
    labelNames: [...userLabels, "stat"],
    registers,
    collect() {
      this.reset();
      for (const m of live.user()) {
        if (m.kind !== "distribution") continue;
        for (const stat of ["count", "sum", "min", "max"] as const) this.set({ transform: m.step, namespace: m.namespace, name: m.name, stat }, m.value[stat]);
      }
    },
  });
  new Gauge({
    name: "beamline_user_latest",
    help: "The latest value a user gauge was set to, on any instance.",
    labelNames: userLabels,
    registers,
    collect() {
      this.reset();
      for (const m of live.user()) if (m.kind === "gauge") this.set({ transform: m.step, namespace: m.namespace, name: m.name }, m.value.value);
    },
  });
  return registry;
}
