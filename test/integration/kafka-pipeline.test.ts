/**
 * The Kafka → window/aggregate → Kafka example (examples/kafka-clicks.ts) survives crashes exactly once:
 * at --parallelism=2 with checkpoints every 150 ms it is killed (`kill -9`, and at fault points inside
 * checkpoints and commits) again and again and resumed each time, once at parallelism 1; Kafka's own
 * console consumer in read_committed mode then reads every expected count exactly once, and the
 * records that are not clicks exactly once on the dead-letter topic. A broker killed and restarted
 * mid-run is waited for, and the counts are still exact. At-least-once loses nothing.
 */
import * as path from "node:path";
import { formatTimestamp } from "beamline";
import { click, feed } from "../../examples/kafka-feed";
import { rng, tempDir } from "../helpers";
import { firstCheckpoint, startCli, type Exit } from "../runners/direct/checkpoint/children";
import { consoleConsume } from "./kafka-tools";
import { describeWithKafka } from "./services";

const EXAMPLE = path.join(__dirname, "..", "..", "examples", "kafka-clicks.ts");
const CLICKS = 150_000;
const BAD = 15;
const SPACING_MS = 2;
const WINDOW_MS = 10_000;

/** The counts the example must write: `page|window start` → clicks, computed here from the feed. */
function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < CLICKS; i++) {
    const c = click(i, 0, SPACING_MS);
    const key = `${c.page}|${formatTimestamp(c.ts - (c.ts % WINDOW_MS))}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The count records read back, as `page|window` → clicks, failing on a record read twice. */
function countsRead(lines: readonly { key: string; value: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) {
    const row = JSON.parse(l.value) as { page: string; window: string; clicks: number };
    expect(l.key).toBe(row.page);
    const key = `${row.page}|${row.window}`;
    if (counts.has(key)) throw new Error(`the count of ${key} was read twice: ${counts.get(key)} and ${row.clicks}`);
    counts.set(key, row.clicks);
  }
  return counts;
}

describeWithKafka("Kafka → window/aggregate → Kafka through crashes", (broker) => {
  const root = tempDir("beamline-kafka-pipeline-");
  const bootstrap = () => broker().bootstrapServers;
  const expected = expectedCounts();

  /** Feeds a fresh set of topics named after `name`; returns the example's topic options. */
  async function topics(name: string): Promise<string[]> {
    const input = `${name}-clicks`;
    const output = `${name}-counts`;
    const deadLetters = `${name}-dead`;
    await feed({ brokers: bootstrap(), clicks: CLICKS, bad: BAD, input, output, deadLetters, start: 0, spacingMs: SPACING_MS });
    return [`--input=${input}`, `--output=${output}`, `--dead-letters=${deadLetters}`];
  }

  function run(args: string[], env: Record<string, string> = {}) {
    return startCli(EXAMPLE, [`--brokers=${bootstrap()}`, "--bounded", `--window=${WINDOW_MS}`, "--checkpoint-interval=150", ...args], env);
  }

  test("exactly-once at p2, killed six times (kill -9 and at checkpoint and commit points) and resumed, once at p1: every count once", async () => {
    const options = await topics("exact");
    const dir = path.join(root, "exact-checkpoints");
    const random = rng(12);
    // Each attempt: how it dies. Killed from outside at a random time past its first checkpoint, or at a fault point.
    const attempts: { parallelism: number; fault?: string }[] = [
      { parallelism: 2 },
      { parallelism: 2, fault: "checkpoint-files:2" },
      { parallelism: 2 },
      { parallelism: 1, fault: "sink-commit:2" },
      { parallelism: 2 },
      { parallelism: 2, fault: "checkpoint-complete:2" },
    ];
    let kills = 0;
    for (const [i, a] of attempts.entries()) {
      const child = run([...options, `--parallelism=${a.parallelism}`, `--checkpoint-dir=${dir}`, ...(i > 0 ? ["--resume"] : [])], a.fault ? { BEAMLINE_FAULT: a.fault } : {});
      if (!a.fault) {
        await firstCheckpoint(dir, child.process);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
        child.process.kill("SIGKILL");
      }
      const exit: Exit = await child.exit;
      if (exit.signal === "SIGKILL") kills++;
      else expect(exit).toMatchObject({ code: 0 });
    }
    expect(kills).toBeGreaterThanOrEqual(5);
    const last = await run([...options, "--parallelism=2", `--checkpoint-dir=${dir}`, "--resume"]).exit;
    expect(last.err).not.toMatch(/internal error/);
    expect(last.code).toBe(0);

    const read = consoleConsume(bootstrap(), "exact-counts");
    expect(countsRead(read)).toEqual(expected);
    const dead = consoleConsume(bootstrap(), "exact-dead");
    expect(dead.length).toBe(BAD);
    expect(new Set(dead.map((d) => JSON.parse(d.value).offset)).size).toBe(BAD);
  }, 300_000);

  test("the broker killed and restarted mid-run: the pipeline waits, retries, and every count is written once", async () => {
    const options = await topics("restart");
    const dir = path.join(root, "restart-checkpoints");
    const child = run([...options, "--parallelism=2", `--checkpoint-dir=${dir}`]);
    await firstCheckpoint(dir, child.process);
    expect(child.process.exitCode).toBeNull();
    await broker().restart({ kill: true, downMs: 500 });
    const exit = await child.exit;
    expect(exit.err).not.toMatch(/internal error/);
    expect(exit.code).toBe(0);
    expect(countsRead(consoleConsume(bootstrap(), "restart-counts"))).toEqual(expected);
  }, 240_000);

  test("Ctrl-C stops a streaming run after a final checkpoint and commit (exit 0); resumed and stopped again, every count written is exact and once", async () => {
    const options = await topics("stop");
    const dir = path.join(root, "stop-checkpoints");
    const streaming = (resume: boolean) =>
      startCli(EXAMPLE, [`--brokers=${bootstrap()}`, `--window=${WINDOW_MS}`, "--checkpoint-interval=60000", "--parallelism=2", `--checkpoint-dir=${dir}`, ...options, ...(resume ? ["--resume"] : [])]);
    for (const resume of [false, true]) {
      const child = streaming(resume);
      // Long enough to read the whole feed; no periodic checkpoint comes within it (every minute).
      await new Promise((r) => setTimeout(r, 8000));
      child.process.kill("SIGINT");
      const exit = await child.exit;
      expect(exit.err).toMatch(/stopped after a final checkpoint/);
      expect(exit.code).toBe(0);
    }
    // Only the final checkpoints committed; the newest window stays open (no later click moves the watermark past it).
    const read = countsRead(consoleConsume(bootstrap(), "stop-counts"));
    expect(read.size).toBeGreaterThan(expected.size / 2);
    for (const [key, clicks] of read) expect(clicks).toBe(expected.get(key));
  }, 120_000);

  test("at-least-once, killed and resumed: nothing is lost", async () => {
    const options = await topics("atleast");
    const dir = path.join(root, "atleast-checkpoints");
    const child = run([...options, "--semantics=at-least-once", "--parallelism=2", `--checkpoint-dir=${dir}`]);
    await firstCheckpoint(dir, child.process);
    await new Promise((r) => setTimeout(r, 200));
    child.process.kill("SIGKILL");
    await child.exit;
    const resumed = await run([...options, "--semantics=at-least-once", "--parallelism=2", `--checkpoint-dir=${dir}`, "--resume"]).exit;
    expect(resumed.code).toBe(0);
    const latest = new Map<string, number>();
    for (const l of consoleConsume(bootstrap(), "atleast-counts")) {
      const row = JSON.parse(l.value) as { page: string; window: string; clicks: number };
      latest.set(`${row.page}|${row.window}`, row.clicks);
    }
    expect(latest).toEqual(expected);
  }, 180_000);
});
