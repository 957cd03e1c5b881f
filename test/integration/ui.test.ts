/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core opens `--ui-port`'s page
 * while a streaming pipeline runs on two threads. The screenshot is kept under test-artifacts/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError, buildPipeline, DirectRunner } from "beamline";
import { until } from "../helpers";
import { checkedNumbers } from "../runners/metrics/pipelines";
import { describeWithChromium } from "./services";

/** Where the browser tests keep their screenshots (ignored by git). */
const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts");

describeWithChromium("the web UI in Chromium", (chromium) => {
  test("shows every transform of the plan laid out by stage, and its counters move while a streaming pipeline runs, with samples of its dead letters", async () => {
    let url = "";
    const cancel = new AbortController();
    const run = new DirectRunner({ parallelism: 2, uiPort: 0, metricsIntervalMs: 200, jobName: "streaming", signal: cancel.signal, onUiServer: (u) => (url = u) })
      .run(buildPipeline(checkedNumbers, { rate: 2000 }))
      .catch((e: unknown) => e);
    const page = await chromium().browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const failed: string[] = [];
    page.on("pageerror", (e) => failed.push(e.message));
    page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(url)) foreign.push(r.url());
    });
    try {
      await until(async () => (url ? true : undefined), 20_000, "the UI to listen");
      await page.goto(url, { timeout: 20_000 });
      await page.waitForSelector("#graph svg g.node", { timeout: 20_000 });
      const plan = JSON.parse(await page.evaluate(async () => JSON.stringify(await (await fetch("/api/graph")).json()))) as { nodes: { name: string; stage: number }[] };
      const shown = await page.$$eval("#graph g.node", (gs) => gs.map((g) => g.getAttribute("data-transform")));
      expect(shown.sort()).toEqual(plan.nodes.map((n) => n.name).sort());
      for (const name of ["Numbers", "Check", "Seconds", "PerDigit/Count"]) expect(shown).toContain(name);
      // One box per fused stage, and each transform drawn inside its stage's box.
      const stages = new Set(plan.nodes.map((n) => n.stage));
      expect(await page.$$eval("#graph g.stage", (gs) => gs.length)).toBe(stages.size);
      // (A string, as this project's TypeScript has no DOM types.)
      const inside = await page.evaluate(`(() => {
        const boxOf = (e) => e.querySelector("rect").getBBox();
        const stageBoxes = new Map([...document.querySelectorAll("#graph g.stage")].map((g) => [g.querySelector("text").textContent, boxOf(g)]));
        return [...document.querySelectorAll("#graph g.node")].every((g) => {
          const s = stageBoxes.get("stage " + /stage (\\d+)$/.exec(g.querySelector("title").textContent)[1]);
          const n = boxOf(g);
          return n.x >= s.x && n.y >= s.y && n.x + n.width <= s.x + s.width && n.y + n.height <= s.y + s.height;
        });
      })()`);
      expect(inside).toBe(true);
      const rowsOut = async () => Number((await page.textContent('#transforms tr[data-transform="Numbers"] td.rows-out', { timeout: 10_000 }))?.replace("k", "e3").replace("M", "e6"));
      const first = await until(async () => ((await rowsOut()) > 0 ? rowsOut() : undefined), 30_000, "rows from Numbers on the page");
      await until(async () => ((await rowsOut()) > first ? true : undefined), 15_000, "the page's counter to move");
      await until(async () => ((await page.textContent('#graph g.node[data-transform="Numbers"] text.live'))?.includes("/s") ? true : undefined), 15_000, "a rate on the graph");
      expect(await page.textContent('#graph g.node[data-transform="Check"] text.live')).toMatch(/rows.* wm \d\d:\d\d:\d\d/);
      await until(async () => ((await page.textContent("#dead-letters tbody")) ?? "").includes("ends in 07") ? true : undefined, 15_000, "dead-letter samples on the page");
      expect(await page.textContent("#dead-letters tbody")).toMatch(/Check.*RangeError/);
      expect(await page.textContent("#state")).toBe("running");
      expect(await page.textContent("#options")).toContain("parallelism");
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, "web-ui.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
      console.log(`the web UI's screenshot: ${shot}`);
      expect(failed).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      cancel.abort();
      await page.close();
    }
    expect(await run).toBeInstanceOf(BeamlineError);
  }, 120_000);
});
