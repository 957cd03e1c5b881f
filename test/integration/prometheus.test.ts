/**
 * A real Prometheus (Debian's package) scraping a streaming pipeline on the direct runner at
 * parallelism 2: Beamline's metrics reach it and grow, `promtool check metrics` finds nothing wrong in
 * Beamline's text, and the example alert rules and Grafana dashboard queries run against it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import { freePort } from "../../runners/portable/provision/process";
import { promtool } from "../../runners/services/prometheus/prometheus";
import { observedNumbers } from "../runners/metrics/pipelines";
import { until } from "../helpers";
import { describeWithPrometheus } from "./services";

const MONITORING = path.join(__dirname, "../../monitoring");

let port = 0;

describeWithPrometheus(
  "Prometheus scraping a Beamline run",
  async () => {
    port = await freePort();
    return { targets: [`127.0.0.1:${port}`], scrapeIntervalMs: 1000, ruleFiles: [path.join(MONITORING, "alerts.yml")] };
  },
  (prometheus) => {
    test("scrapes a streaming run on two threads: beamline metrics from both instances, non-zero and growing; the rules and dashboard queries evaluate", async () => {
      const prom = prometheus();
      const cancel = new AbortController();
      let url = "";
      const runner = new DirectRunner({ parallelism: 2, metricsPort: port, metricsIntervalMs: 250, jobName: "observed", signal: cancel.signal, onMetricsServer: (u) => (url = u) });
      // Endless numbers at 4000 a second.
      const run = runner.run(buildPipeline(observedNumbers, { to: 0, rate: 4000 })).catch((e: unknown) => e);
      try {
        const rows = async () => (await prom.query('sum(beamline_output_rows_total{pipeline="observed",transform="Numbers"})'))[0]?.value;
        const first = await until(async () => ((await rows()) ?? 0) > 0 ? rows() : undefined, 60_000, "Prometheus to scrape rows out of Numbers");
        const later = await until(async () => {
          const v = (await rows()) ?? 0;
          return v > first ? v : undefined;
        }, 30_000, "a later scrape with more rows");
        expect(later).toBeGreaterThan(first);
        expect(url).toBe(`http://127.0.0.1:${port}/metrics`);

        // Both instances report: the keyed count runs on both.
        const instances = await until(async () => {
          const r = await prom.query('count by (instance_index) (beamline_processing_seconds_total{pipeline="observed"})');
          return r.length === 2 ? r.map((s) => s.metric.instance_index).sort() : undefined;
        }, 30_000, "samples of both instances");
        expect(instances).toEqual(["0", "1"]);
        expect((await prom.query('up{job="beamline"}'))[0].value).toBe(1);
        const observed = await prom.query('sum(beamline_input_bytes_total{pipeline="observed",transform="Observe"})');
        expect(observed[0].value).toBeGreaterThan(0);
        const seen = await prom.query('beamline_user_counts{pipeline="observed",namespace="demo",name="seen"}');
        expect(seen[0].value).toBeGreaterThan(0);
        // Numbers stamped with processing time: the watermark trails the clock by little.
        const lag = await prom.query('max(beamline_event_time_lag_seconds{pipeline="observed",transform="Observe"})');
        expect(lag[0].value).toBeGreaterThanOrEqual(0);
        expect(lag[0].value).toBeLessThan(60);

        // Beamline's own text passes promtool's lint.
        const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
        expect(text).toContain("beamline_output_rows_total{");
        const check = promtool(["check", "metrics"], text);
        expect(check).toEqual({ status: 0, output: "" });

        // The example alert rules loaded and evaluate without error against the run's series.
        const rules = await until(async () => {
          const r = (await (await fetch(`${prom.url}/api/v1/rules`, { signal: AbortSignal.timeout(5000) })).json()) as { data: { groups: { rules: { name: string; health: string; lastEvaluation: string }[] }[] } };
          const all = r.data.groups.flatMap((g) => g.rules);
          return all.length > 0 && all.every((x) => !x.lastEvaluation.startsWith("0001")) ? all : undefined;
        }, 20_000, "the rules to be evaluated");
        expect(rules.map((r) => [r.name, r.health])).toEqual(rules.map((r) => [r.name, "ok"]));
        expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(["BeamlineProcessingLag", "BeamlineErrors", "BeamlineCheckpointFailures"]));

        // Every query of the Grafana dashboard runs against the run's series.
        const dashboard = JSON.parse(fs.readFileSync(path.join(MONITORING, "grafana-dashboard.json"), "utf8")) as { panels: { targets?: { expr: string }[] }[] };
        const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replaceAll("$pipeline", "observed").replaceAll("$transform", ".*").replaceAll("$__rate_interval", "10s").replaceAll("$__range", "1m")));
        let answered = 0;
        for (const e of exprs) answered += (await prom.query(e)).length > 0 ? 1 : 0;
        // Most panels have data already (checkpoints, backlog and late rows stay empty in this run).
        expect(answered).toBeGreaterThan(exprs.length / 2);
      } finally {
        cancel.abort();
      }
      const end = await run;
      expect(end).toBeInstanceOf(BeamlineError);
      expect((end as BeamlineError).code).toBe("BL_CANCELLED");
    }, 180_000);

    test("promtool checks the example alert rules and runs their unit tests", () => {
      expect(promtool(["check", "rules", path.join(MONITORING, "alerts.yml")])).toMatchObject({ status: 0, output: expect.stringContaining("SUCCESS: 8 rules found") });
      const tested = promtool(["test", "rules", path.join(MONITORING, "alerts.test.yml")]);
      expect(tested.output).toContain("SUCCESS");
      expect(tested.status).toBe(0);
    });
  },
);
