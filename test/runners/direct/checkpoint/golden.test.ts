/**
 * Golden pipelines run three ways against one expected output: straight through on one thread; on
 * two threads with aligned checkpoints; and on two threads killed (`kill -9`) at a seeded random time
 * after a checkpoint, then resumed from it on three threads — each through the `beamline` command.
 */
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import wordcount from "../../../../examples/wordcount";
import { rng, tempDir } from "../../../helpers";
import { outputLines } from "../parallel/files";
import { checkpointsCompleted, firstCheckpoint, startCli } from "./children";
import { writeRows, writeWords } from "./inputs";
import { checkpointGolden, flattenedGolden } from "./pipelines";

const EXAMPLES = path.join(__dirname, "..", "..", "..", "..", "examples");

const cases = [
  {
    name: "word count over a file",
    file: path.join(EXAMPLES, "wordcount.ts"),
    write: (f: string) => writeWords(f, 150_000),
    straight: (input: string, output: string) => buildPipeline(wordcount, { input, output, shards: 1 }),
  },
  {
    name: "windowed sums per key and a GroupByKey over a file",
    file: path.join(__dirname, "windowed-golden.ts"),
    write: (f: string) => writeRows(f, 40_000),
    straight: (input: string, output: string) => buildPipeline(checkpointGolden, { input, output }),
  },
  {
    name: "both aggregations flattened into one output (barriers aligned within a thread)",
    file: path.join(__dirname, "flattened-golden.ts"),
    write: (f: string) => writeRows(f, 40_000),
    straight: (input: string, output: string) => buildPipeline(flattenedGolden, { input, output }),
  },
];

describe.each(cases)("golden pipeline: $name", ({ file, write, straight }) => {
  const root = tempDir("beamline-golden-");
  const input = path.join(root, "input.txt");
  let golden: string[] = [];

  beforeAll(async () => {
    write(input);
    await new DirectRunner({ parallelism: 1 }).run(straight(input, path.join(root, "straight", "out")));
    golden = outputLines(path.join(root, "straight"), "out");
    expect(golden.length).toBeGreaterThan(100);
  }, 30_000);

  test("at parallelism 2 with checkpoints: the same output", async () => {
    const dir = path.join(root, "chk-p2");
    const r = await startCli(file, [`--input=${input}`, `--output=${path.join(root, "p2", "out")}`, "--parallelism=2", `--checkpoint-dir=${dir}`, "--checkpoint-interval=30"]).exit;
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/2 threads/);
    expect(checkpointsCompleted(r.err)).toBeGreaterThan(1);
    expect(outputLines(path.join(root, "p2"), "out")).toEqual(golden);
  }, 30_000);

  test("killed at parallelism 2, resumed from its checkpoint at parallelism 3: the same output", async () => {
    const random = rng(file.length);
    // A run may end before the kill lands (its first checkpoint came late): then another, at most three.
    let killed = false;
    for (let attempt = 0; attempt < 3 && !killed; attempt++) {
      const dir = path.join(root, `chk-killed-${attempt}`);
      const out = path.join(root, `killed-${attempt}`);
      const args = [`--input=${input}`, `--output=${path.join(out, "out")}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=30"];
      const first = startCli(file, [...args, "--parallelism=2"]);
      await firstCheckpoint(dir, first.process);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 100)));
      first.process.kill("SIGKILL");
      killed = (await first.exit).signal === "SIGKILL";
      if (!killed) continue;
      const resumed = await startCli(file, [...args, "--parallelism=3", "--resume"]).exit;
      expect(resumed.code).toBe(0);
      expect(resumed.err).toMatch(/3 threads/);
      expect(resumed.err).toMatch(/resumed from checkpoint \d+/);
      expect(outputLines(out, "out")).toEqual(golden);
    }
    expect(killed).toBe(true);
  }, 45_000);
});
