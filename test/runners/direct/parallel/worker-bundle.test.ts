import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { pipelineSpec } from "../../../../runners/direct/parallel/bootstrap";
import { refusedOptions, startWorkers, withoutTsx } from "../../../../runners/direct/parallel/pool";
import { WORKER_BUNDLE_ENV, workerBundle } from "../../../../runners/direct/parallel/worker-bundle";
import { tempDir } from "../../../helpers";
import { numbers } from "./pipelines";
import { squares } from "./code-cache-pipeline";
import { importing } from "./dynamic-import-pipeline";
import { outputLines } from "./files";

const PIPELINES = path.join(__dirname, "pipelines.ts");

describe("pre-bundled workers", () => {
  test("workers loading a bundle leave out the parent's tsx options and keep the rest", () => {
    expect(withoutTsx(["--import", "tsx", "--enable-source-maps"])).toEqual(["--enable-source-maps"]);
    expect(withoutTsx(["--require", "tsx/cjs", "--import=tsx", "--loader=tsx/esm", "--import", "./other.mjs"])).toEqual(["--import", "./other.mjs"]);
    expect(withoutTsx(["-r", "tsx/cjs", "--stack-trace-limit=50"])).toEqual(["--stack-trace-limit=50"]);
    expect(withoutTsx(["--import", "tsxlike"])).toEqual(["--import", "tsxlike"]);
    expect(withoutTsx(["--require", "/x/runners/load/register.js", "--require=/x/runners/load/register.js", "--require", "/x/register.js"])).toEqual(["--require", "/x/register.js"]);
  });

  test("options a worker refuses are read from Node's message", () => {
    expect(refusedOptions("Initiated Worker with invalid execArgv flags: --max-old-space-size=4096, --no-opt")).toEqual(["--max-old-space-size=4096", "--no-opt"]);
    expect(refusedOptions("something else")).toEqual([]);
  });

  test("under per-process options such as --max-old-space-size, workers loading a bundle still leave tsx out", () => {
    const child = path.join(__dirname, "worker-options-child.ts");
    const r = spawnSync(process.execPath, ["--max-old-space-size=512", "--enable-source-maps", "--import", "tsx", child], { cwd: path.resolve(__dirname, "../../../.."), encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { bundle: string | null; execArgv: string[] | null };
    expect(out.bundle).not.toBeNull();
    // Without leaving the refused option out, Node refuses the list and the worker inherits tsx (execArgv null).
    expect(out.execArgv).toEqual(["--enable-source-maps"]);
  });

  test("a pipeline module is bundled once into the cache, and workers start from the bundle", async () => {
    const bundle = workerBundle(PIPELINES);
    expect(bundle).not.toBeNull();
    expect(bundle!).toContain(`${path.sep}node_modules${path.sep}.cache${path.sep}`);
    expect(workerBundle(PIPELINES)).toBe(bundle);
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(bundle!), "manifest.json"), "utf8")) as { inputs: { file: string }[] };
    expect(manifest.inputs.map((i) => i.file)).toContain(PIPELINES);
    const spec = pipelineSpec(buildPipeline(numbers, { count: 3 }));
    if ("reason" in spec) throw new Error(spec.reason);
    expect(spec).toMatchObject({ exportName: "numbers", bundle });
    const workers = await startWorkers(spec, 2);
    await Promise.all(workers.map((w) => w.thread.terminate()));
  });

  test("modules that use __dirname, or whose packages resolve elsewhere, are not bundled", () => {
    const dir = tempDir();
    const located = path.join(dir, "located.ts");
    fs.writeFileSync(located, 'import * as path from "node:path";\nexport const here = path.join(__dirname, "x");\n');
    expect(workerBundle(located)).toBeNull();
    const foreign = path.join(dir, "foreign.ts");
    fs.writeFileSync(foreign, 'import * as arrow from "apache-arrow";\nexport const t = new arrow.Int32();\n');
    expect(workerBundle(foreign)).toBeNull();
  });

  test("a worker writes the bundle's code cache after its run, later workers compile with it, and one V8 refuses is written anew", async () => {
    const bundle = workerBundle(path.join(__dirname, "code-cache-pipeline.ts"))!;
    expect(bundle).not.toBeNull();
    const cache = `${bundle}.v8cache`;
    fs.rmSync(cache, { force: true });
    const dir = tempDir();
    const run = async (name: string) => {
      await new DirectRunner({ parallelism: 2 }).run(buildPipeline(squares, { output: path.join(dir, name) }));
      expect(outputLines(dir, name).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i * i));
    };
    await run("first");
    const written = fs.readFileSync(cache);
    expect(written.length).toBeGreaterThan(0);
    const mtime = fs.statSync(cache).mtimeMs;
    // Accepted: the next worker compiles with it and leaves it as it is.
    await run("second");
    expect(fs.statSync(cache).mtimeMs).toBe(mtime);
    // Refused (not V8's data): the run is unchanged, and its worker writes a cache V8 takes.
    fs.writeFileSync(cache, "not a code cache");
    await run("third");
    expect(fs.readFileSync(cache).equals(Buffer.from("not a code cache"))).toBe(false);
    expect(fs.readFileSync(cache).length).toBeGreaterThan(1000);
  });

  test("a bundle that imports dynamically is loaded without a code cache, and its imports work in the worker", async () => {
    const bundle = workerBundle(path.join(__dirname, "dynamic-import-pipeline.ts"))!;
    expect(bundle).not.toBeNull();
    expect(fs.readFileSync(bundle, "utf8")).toMatch(/import\("node:os"\)/);
    const dir = tempDir();
    await new DirectRunner({ parallelism: 2 }).run(buildPipeline(importing, { output: path.join(dir, "out") }));
    expect(outputLines(dir, "out")).toHaveLength(100);
    expect(fs.existsSync(`${bundle}.v8cache`)).toBe(false);
  });

  test(`${WORKER_BUNDLE_ENV}=0 turns bundling off`, () => {
    process.env[WORKER_BUNDLE_ENV] = "0";
    try {
      expect(workerBundle(PIPELINES)).toBeNull();
    } finally {
      delete process.env[WORKER_BUNDLE_ENV];
    }
  });
});
