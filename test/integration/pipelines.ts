/**
 * The pipelines the portable integration suites run on every runner, and how to read their output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterWatermark, afterCount, count, create, ElementInfo, fixedWindows, groupBy, Pipeline, windowInto, withTimestamps, writeText } from "beamline";
import { buildPipeline } from "../../sdk/definition";
import wordcount from "../../examples/wordcount";

/** The wordcount example writing under `outDir`. */
export function wordcountPipeline(outDir: string): Pipeline {
  return buildPipeline(wordcount, { output: path.join(outDir, "counts") });
}

/** Clicks by user in one-minute windows, fired by the watermark (with late firings allowed), one line per window and user with the pane's timing. */
export function windowedPipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const base = Date.UTC(2024, 0, 1, 12, 0, 0);
  const clicks: { user: string; at: number }[] = [];
  for (let i = 0; i < 60; i++) clicks.push({ user: ["ann", "bob", "cy"][i % 3], at: base + ((i * 7919) % 300) * 1000 });
  p.apply("Clicks", create(clicks))
    .apply("Stamp", withTimestamps<{ user: string; at: number }>("at"))
    .apply("Minutes", windowInto(fixedWindows("1m"), { trigger: afterWatermark({ late: afterCount(1) }), allowedLateness: "10m" }))
    .apply("PerUser", groupBy<{ user: string; at: number }>("user").aggregate({ clicks: count() }))
    .map((r: Record<string, unknown>, info: ElementInfo) => `${new Date(info.window.start).toISOString()} ${String(r.user)} ${String(r.clicks)} ${info.pane.timing}`, { name: "Format" })
    .apply("Write", writeText(path.join(outDir, "windowed")));
  return p;
}

/** The sorted lines of every file a run wrote under `dir` whose name starts with `prefix`. */
export function outputLines(dir: string, prefix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter((l) => l.length > 0))
    .sort();
}
