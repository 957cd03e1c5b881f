/**
 * Checkpoint alignment where rows cross threads: the exchange by key holds the links whose barrier
 * came first until every sender's has, and that wait is counted as the receiving transform's
 * `alignmentMs`, in the run result and in Prometheus.
 */
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { tempDir } from "../../../helpers";
import { outputLines } from "./files";
import { slowSenderSums } from "./pipelines";

describe("alignment at an exchange between threads", () => {
  test("a sender that sleeps 400 ms while checkpoints go on makes the keyed step count alignment (none was counted before)", async () => {
    const dir = tempDir();
    const delayMs = 400;
    let metricsText = "";
    let url = "";
    const runner = new DirectRunner({
      parallelism: 2,
      checkpoint: { dir: path.join(dir, "chk"), intervalMs: 10 },
      metricsPort: 0,
      metricsIntervalMs: 50,
      onMetricsServer: (u) => (url = u),
    });
    const run = runner.run(buildPipeline(slowSenderSums, { output: path.join(dir, "out"), delayMs }));
    // Scrape while the run goes on, until it ends (bounded by the run itself and the test's timeout).
    let done = false;
    void run.finally(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, 50));
      if (url && !done) metricsText = await fetch(url).then((r) => r.text()).catch(() => metricsText);
    }
    const r = await run;
    expect(r.parallelism).toBe(2);
    expect(r.checkpoints!.durationsMs.length).toBeGreaterThan(0);
    const alignment = new Map([...r.metrics.transforms].map(([name, t]) => [name, t.alignmentMs]));
    // Counted for the transforms the exchanges feed (users do not see the exchanges), most for the keyed step.
    expect([...alignment.keys()].filter((name) => name.startsWith("beamline:"))).toEqual([]);
    const sum = [...alignment].filter(([name]) => name.startsWith("Sum")).reduce((s, [, ms]) => s + ms, 0);
    // How much of the sleep a checkpoint's barriers straddle depends on when checkpoints start, which a
    // loaded machine shifts: at least 20 ms of it, at most the sleep (and some) per checkpoint.
    expect(sum).toBeGreaterThanOrEqual(20);
    expect(sum).toBeLessThan(delayMs * 10);
    const scraped = [...metricsText.matchAll(/^beamline_checkpoint_alignment_seconds_total\{([^}]*)\} (\S+)$/gm)]
      .filter(([, labels]) => labels.includes('transform="Sum'))
      .reduce((s, m) => s + Number(m[2]), 0);
    expect(scraped).toBeGreaterThan(0);
    expect(outputLines(dir, "out").length).toBe(10);
  }, 60_000);
});
