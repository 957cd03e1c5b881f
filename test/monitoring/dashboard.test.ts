import * as fs from "node:fs";
import * as path from "node:path";
import { LiveMetrics } from "../../runners/metrics/live";
import { prometheusRegistry } from "../../runners/metrics/prometheus";

const MONITORING = path.join(__dirname, "../../monitoring");

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: { readonly expr: string }[];
}

/** The metric names Beamline serves, as prom-client registers them. */
async function servedNames(): Promise<Set<string>> {
  const text = await prometheusRegistry(new LiveMetrics(), "p").metrics();
  return new Set(text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]));
}

const referenced = (text: string) => new Set(text.match(/beamline_[a-z_]+/g) ?? []);

describe("the monitoring examples", () => {
  test("every panel of the Grafana dashboard queries only metrics Beamline serves, with labels it sets", async () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(MONITORING, "grafana-dashboard.json"), "utf8")) as { panels: Panel[]; templating: { list: { definition: string }[] } };
    const served = await servedNames();
    const panels = dashboard.panels.filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(10);
    expect(panels.filter((p) => (p.targets ?? []).length === 0).map((p) => p.title)).toEqual([]);
    const exprs = [...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dashboard.templating.list.map((v) => v.definition)];
    expect(exprs.every((e) => e.length > 0)).toBe(true);
    const unknown = [...referenced(exprs.join("\n"))].filter((n) => !served.has(n));
    expect(unknown).toEqual([]);
    // Every served family appears on the dashboard.
    expect([...served].filter((n) => !referenced(exprs.join("\n")).has(n))).toEqual([]);
    const labels = new Set([...exprs.join("\n").matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1].split(",").map((l) => l.trim())));
    expect([...labels].filter((l) => !["pipeline", "transform", "stage", "instance_index", "partition", "namespace", "name"].includes(l))).toEqual([]);
  });

  test("the alert rules use only metrics Beamline serves (and Prometheus's own up)", async () => {
    const served = await servedNames();
    const rules = fs.readFileSync(path.join(MONITORING, "alerts.yml"), "utf8");
    expect([...referenced(rules)].filter((n) => !served.has(n))).toEqual([]);
    for (const name of ["beamline_event_time_lag_seconds", "beamline_failures_total", "beamline_checkpoint_failures_total"]) expect(rules).toContain(name);
  });
});
