/**
 * The web UI of a portable job in a real browser: `beamline run --runner=prism --ui-port=0` runs a
 * pipeline on Prism (workers in a PROCESS environment), and
 * Chromium (driven by playwright-core) shows the job's runner, id and state as the job service reports
 * them, every transform of the graph, and the rows per transform from the job's metrics.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { until } from "../helpers";
import { startCli } from "../runners/direct/checkpoint/children";
import { describeWithChromium, describeWithPrism } from "./services";

const PIPELINE = path.join(__dirname, "ui-portable-pipeline.ts");

const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts");

describeWithChromium("the web UI of a portable job in Chromium", (chromium) => {
  describeWithPrism("on Prism", (prism) => {
    test("shows the job's runner, id and state, every transform of the graph, and rows per transform as the job's metrics report them", async () => {
      let url = "";
      const child = startCli(PIPELINE, ["--runner=prism", `--job-endpoint=${prism().jobEndpoint}`, "--environment-type=PROCESS", "--ui-port=0", "--rows=3000"]);
      let err = "";
      child.process.stderr!.on("data", (d) => {
        err += d;
        url = /web UI at (\S+)/.exec(err)?.[1] ?? "";
      });
      const page = await chromium().browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const failed: string[] = [];
      page.on("pageerror", (e) => failed.push(e.message));
      try {
        await until(async () => (url ? true : undefined), 30_000, "the UI to listen");
        await page.goto(url, { timeout: 20_000 });
        await page.waitForSelector("#graph svg g.node", { timeout: 20_000 });
        const graph = JSON.parse(await page.evaluate(async () => JSON.stringify(await (await fetch("/api/graph")).json()))) as { nodes: { name: string }[] };
        const shown = await page.$$eval("#graph g.node", (gs) => gs.map((g) => g.getAttribute("data-transform")));
        expect(shown.sort()).toEqual(graph.nodes.map((n) => n.name).sort());
        expect(shown).toContain("Slow");
        expect(shown.some((s) => s?.startsWith("Count/"))).toBe(true);
        await until(async () => ((await page.textContent("#job")) ?? "").includes("RUNNING") ? true : undefined, 30_000, "the job's state RUNNING");
        expect(await page.textContent("#job")).toMatch(/^prism job \S+ · RUNNING$/);
        expect(await page.textContent("#state")).toBe("RUNNING");
        const slowIn = async () => Number((await page.textContent('#transforms tr[data-transform="Slow"] td:nth-child(4)'))?.replace("k", "e3") ?? 0);
        await until(async () => ((await slowIn()) > 0 ? true : undefined), 30_000, "rows into Slow from the job's metrics");
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, "web-ui-portable.png"), fullPage: true });
        expect(failed).toEqual([]);
      } finally {
        await page.close();
      }
      const exit = await child.exit;
      expect(exit.err).toMatch(/done on the prism runner/);
      expect(exit.code).toBe(0);
    }, 120_000);
  });
});
