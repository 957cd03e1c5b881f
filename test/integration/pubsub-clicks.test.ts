/**
 * The Pub/Sub streaming example against the pstest emulator, through the CLI: clicks delivered out of
 * order (pstest keeps no publish order) counted exactly per page and window, duplicates by id counted
 * once, messages that are not JSON in the dead-letter files; and the README's commands for it, run as
 * written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatTimestamp } from "beamline";
import { click } from "../../examples/kafka-feed";
import { feedPubSub, publishedCounts } from "../../examples/pubsub-feed";
import { tempDir } from "../helpers";
import { runShellCommands, shellSnippet } from "../readme-snippet";
import { killThenResume, startCli } from "../runners/direct/checkpoint/children";
import { describeWithPubSub } from "./services";

const EXAMPLE = path.join(__dirname, "..", "..", "examples", "pubsub-clicks.ts");

/** The lines of the files in `dir` whose names start with `prefix`. */
function linesOf(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(prefix)).flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter((l) => l !== ""));
}

/** The clicks of a feed per "window page" (10 s windows, as the example counts them). */
function expectedCounts(clicks: number, start: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < clicks; i++) {
    const c = click(i, start, 10);
    const key = `${formatTimestamp(Math.floor(c.ts / 10_000) * 10_000)} ${c.page}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  return expected;
}

describeWithPubSub("the Pub/Sub clicks example on the pstest emulator", (emulator) => {
  const root = tempDir("beamline-pubsub-clicks-");
  const env = () => ({ PUBSUB_EMULATOR_HOST: emulator().host, METADATA_SERVER_DETECTION: "none" });

  beforeAll(() => {
    // The feed's client in this process finds the emulator as a user's does.
    Object.assign(process.env, env());
  });

  test("through the CLI at parallelism 2 with checkpoints: exact counts per page and 10 s window, published with their attributes; duplicates once; bad messages dead-lettered", async () => {
    const project = "clicks-exact";
    const start = 1_700_000_000_000;
    const clicks = 3000;
    await feedPubSub({ project, clicks, bad: 5, duplicates: 4, start, spacingMs: 10 });
    const dead = path.join(root, "exact", "dead");
    const args = ["--runner=direct", "--parallelism=2", `--pubsub-project=${project}`, `--max=${clicks + 5}`, `--checkpoint-dir=${path.join(root, "exact", "chk")}`, "--checkpoint-interval=50", `--dead-letters=${dead}`];
    const run = await startCli(EXAMPLE, args, env()).exit;
    expect(run.err).toMatch(/pubsub-clicks.ts done on the direct runner .* 2 threads/);
    expect(run.err).not.toMatch(/droppedLateRows/);
    expect(run.code).toBe(0);

    const expected = expectedCounts(clicks, start);
    const counts = await publishedCounts(project);
    expect(counts.map((c) => [`${c.window} ${c.page}`, c.clicks])).toEqual([...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    for (const c of counts) expect(c.attributes).toEqual({ page: c.page, window: c.window });
    const letters = linesOf(path.dirname(dead), "dead-").map((l) => JSON.parse(l) as { transform: string; element: string });
    expect(letters.map((l) => JSON.parse(l.element) as string).sort()).toEqual([599, 1199, 1799, 2399, 2999].map((i) => `not json ${i}`).sort());
    expect(letters.every((l) => l.transform === "ReadClicks")).toBe(true);
  }, 120_000);

  test("killed (kill -9) after a checkpoint and resumed with --resume: no count lost or wrong, and a count published twice is the same message again", async () => {
    const project = "clicks-killed";
    const start = 1_700_000_000_000;
    const clicks = 3000;
    await feedPubSub({ project, clicks, bad: 0, duplicates: 0, start, spacingMs: 10 });
    const dir = path.join(root, "killed", "chk");
    const args = ["--runner=direct", "--parallelism=2", `--pubsub-project=${project}`, `--max=${clicks}`, `--checkpoint-dir=${dir}`, "--checkpoint-interval=50", `--dead-letters=${path.join(root, "killed", "dead")}`];
    const { killed, resumed } = await killThenResume((a) => startCli(EXAMPLE, a, env()), args, dir, 200);
    expect(killed.signal).toBe("SIGKILL");
    expect(resumed.code).toBe(0);
    expect(resumed.err).not.toMatch(/droppedLateRows/);
    const expected = expectedCounts(clicks, start);
    const counts = await publishedCounts(project);
    const distinct = new Map(counts.map((c) => [`${c.window} ${c.page}`, new Set<number>()]));
    for (const c of counts) distinct.get(`${c.window} ${c.page}`)!.add(c.clicks);
    expect([...distinct].map(([key, values]) => [key, [...values]]).sort()).toEqual([...expected].map(([key, n]) => [key, [n]]).sort());
  }, 180_000);

  test("the README's commands run as written: 2000 clicks counted once each, 4 messages dead-lettered", () => {
    const tmp = path.join(root, "readme");
    fs.mkdirSync(tmp, { recursive: true });
    const commands = shellSnippet("pubsub-clicks");
    expect(commands).toHaveLength(3);
    const r = runShellCommands(commands, { PUBSUB_EMULATOR_HOST: emulator().host, METADATA_SERVER_DETECTION: undefined }, tmp);
    expect(r.status).toBe(0);
    const counts = r.out.trim().split("\n").map((l) => JSON.parse(l) as { page: string; window: string; clicks: number });
    expect(counts.reduce((n, c) => n + c.clicks, 0)).toBe(2000);
    expect(new Set(counts.map((c) => `${c.window} ${c.page}`)).size).toBe(counts.length);
    expect(new Set(counts.map((c) => c.page)).size).toBe(20);
    expect(linesOf(tmp, "pubsub-dead-")).toHaveLength(4);
  }, 180_000);
});
