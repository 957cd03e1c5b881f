/**
 * Kafka on portable runners, against a real broker: a bounded readKafka (stopAt end) of three
 * partitions, counted per page and written to Kafka at-least-once, is exact on Prism and Flink, with its
 * undecodable records on the dead-letter topic, and written exactly-once (a bounded input keeps
 * the two-phase path) is exact read read_committed on Prism; an unbounded readKafka → fixed windows → count →
 * writeKafka at-least-once, fed while it runs and cancelled once its windows completed, wrote every
 * window's count (a repeat only ever identical) on Prism and on Flink, with partitions that went idle
 * holding no window back; on Prism the consumer group's offsets, committed on bundle finalization,
 * reached the end of every partition (Flink runs here without checkpointing, and Beam's Flink runner
 * finalizes bundles only when a Flink checkpoint completes).
 */
import { BeamlineError, count, fixedWindows, formatTimestamp, groupBy, map, Pipeline, readKafka, schema, t, windowInto, writeKafka } from "beamline";
import { PortableRunner } from "../../runners/portable/runner";
import { consoleConsume } from "./kafka-tools";
import { kafkaClients, until } from "./kafka-clients";
import { describeWithFlinkJobServer, describeWithKafka, describeWithPrism } from "./services";

const Click = schema({ user: t.string(), page: t.string(), ts: t.float64() });
const PAGES = ["home", "cart", "search", "help", "about"];
/** Event time of the feed's first click (ms), and its spacing. */
const BASE = Date.parse("2026-03-01T00:00:00Z");
const SPACING_MS = 10;
const WINDOW_MS = 2000;

/** Click `i` of a feed: its page varies with `i`, its event time `i` spacings after BASE. */
function click(i: number): { user: string; page: string; ts: number } {
  return { user: `u${i % 37}`, page: PAGES[(i * 7) % PAGES.length], ts: BASE + i * SPACING_MS };
}

/** Clicks `from` to `to` (excluded) counted as `page|window start` → clicks. */
function expectedCounts(from: number, to: number, windowMs: number | null): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = from; i < to; i++) {
    const c = click(i);
    const key = windowMs === null ? c.page : `${c.page}|${formatTimestamp(c.ts - (c.ts % windowMs))}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** The counts read back from a topic: each key once, or again only with the same count (at-least-once). */
function countsRead(bootstrap: string, topic: string, keyOf: (row: any) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of consoleConsume(bootstrap, topic)) {
    const row = JSON.parse(r.value) as { clicks: number };
    const key = keyOf(row);
    const before = out.get(key);
    if (before !== undefined && before !== row.clicks) throw new Error(`${topic}: ${key} was written as ${before} and as ${row.clicks}`);
    out.set(key, row.clicks);
  }
  return out;
}


describeWithKafka("Kafka on portable runners", (broker) => {
  const bootstrap = () => broker().bootstrapServers;
  const { admin, producer, topic } = kafkaClients(bootstrap);

  /** Produces clicks `from` to `to` (excluded) to `name`, keyed by user (so spread over the partitions). */
  async function produce(name: string, from: number, to: number): Promise<void> {
    const messages = Array.from({ length: to - from }, (_, k) => {
      const c = click(from + k);
      return { key: c.user, value: JSON.stringify(c) };
    });
    for (let i = 0; i < messages.length; i += 500) await producer().send({ topic: name, messages: messages.slice(i, i + 500) });
  }

  /** The end offset of each partition of `name`, and the offsets group `groupId` committed there (asked again while the group's coordinator is still being found, for at most 10 s). */
  async function offsets(name: string, groupId: string): Promise<{ ends: number[]; committed: number[] }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ends = (await admin().fetchTopicOffsets(name)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
        const [group] = await admin().fetchOffsets({ groupId, topics: [name] });
        const committed = group.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
        return { ends, committed };
      } catch (e) {
        if (attempt >= 20 || !(e as { retriable?: boolean }).retriable) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** How many records `name` holds. */
  async function records(name: string): Promise<number> {
    return (await admin().fetchTopicOffsets(name)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }

  /** A bounded read of 3 partitions (3000 clicks and 4 records that are not JSON), counted per page and written at-least-once: exact. */
  async function boundedCounts(endpoint: string, runner: string, prefix: string, semantics: "at-least-once" | "exactly-once" = "at-least-once"): Promise<void> {
    const input = `${prefix}-clicks`;
    await topic(input, 3);
    await topic(`${prefix}-counts`, 1);
    await topic(`${prefix}-letters`, 1);
    await produce(input, 0, 3000);
    await producer().send({ topic: input, messages: ["not json", "{", "[1,2]", "{\"page\": 1}"].map((value, i) => ({ key: `bad${i}`, value })) });
    const p = new Pipeline();
    const clicks = p.apply("Read", readKafka({ brokers: bootstrap(), topics: [input], format: "json", schema: Click, eventTime: "ts", stopAt: "end", deadLetter: true }));
    clicks.main
      .apply("PerPage", groupBy("page").aggregate({ clicks: count() }))
      .apply("Write", writeKafka({ brokers: bootstrap(), topic: `${prefix}-counts`, key: "page", semantics }));
    clicks.deadLetter.apply("Letters", writeKafka({ brokers: bootstrap(), topic: `${prefix}-letters`, semantics }));
    await new PortableRunner({ jobEndpoint: endpoint, runnerName: runner }).run(p);
    expect(countsRead(bootstrap(), `${prefix}-counts`, (r) => r.page)).toEqual(expectedCounts(0, 3000, null));
    // Each undecodable record once (a repeat, at-least-once, names the same record).
    const letters = consoleConsume(bootstrap(), `${prefix}-letters`).map((r) => JSON.parse(r.value) as { topic: string; partition: number; offset: number | string; transform: string });
    expect(letters.every((l) => l.topic === input && l.transform === "Read")).toBe(true);
    expect(new Set(letters.map((l) => `${l.partition}@${String(l.offset)}`)).size).toBe(4);
  }

  /**
   * An unbounded read of 3 partitions, windowed, counted and written at-least-once: half the clicks fed
   * before the run, half while it runs (sooner than the idle timeout after the first output, so no
   * partition is idle when they come), then one click far ahead on one partition only: the other two
   * go idle 10 s after their last click and stop holding the watermark, so the last windows close.
   * Once every window of the clicks is written (and, where the runner finalizes bundles, the group's
   * offsets reached every partition's end), the run is cancelled.
   */
  async function unboundedWindows(endpoint: string, runner: string, prefix: string, finalizes: boolean): Promise<void> {
    const input = `${prefix}-clicks`;
    const output = `${prefix}-counts`;
    const groupId = `${prefix}-group`;
    const n = 4000;
    await topic(input, 3);
    await topic(output, 1);
    await produce(input, 0, n / 2);
    const p = new Pipeline();
    p.apply("Read", readKafka({ brokers: bootstrap(), topics: [input], format: "json", schema: Click, eventTime: "ts", idleTimeout: "10s", groupId }))
      .apply("Windows", windowInto(fixedWindows(WINDOW_MS)))
      .apply("PerPage", groupBy("page").aggregate({ clicks: count() }))
      .apply("WithWindow", map((row: { page: string; clicks: number }, ctx) => ({ page: row.page, window: formatTimestamp(ctx.window.start), clicks: row.clicks })))
      .apply("Write", writeKafka({ brokers: bootstrap(), topic: output, key: "page", semantics: "at-least-once" }));
    const abort = new AbortController();
    const run = new PortableRunner({ jobEndpoint: endpoint, runnerName: runner, signal: abort.signal }).run(p).then(
      () => null,
      (e: unknown) => e,
    );
    let ended: unknown = undefined;
    void run.then((e) => (ended = e));
    const expected = expectedCounts(0, n, WINDOW_MS);
    try {
      // The first windows of the clicks fed before the run are written while it runs.
      await until("the first windows' counts", 150_000, async () => ended !== undefined || (await records(output)) > 0);
      expect(ended).toBeUndefined();
      await produce(input, n / 2, n);
      await producer().send({ topic: input, messages: [{ key: "late", value: JSON.stringify({ user: "late", page: "ahead", ts: BASE + n * SPACING_MS + 60_000 }), partition: 0 }] });
      await until("every window's count", 90_000, async () => ended !== undefined || (await records(output)) >= expected.size).catch((e: Error) => {
        const missing = [...expected.keys()].filter((k) => !countsRead(bootstrap(), output, (r) => `${r.page}|${r.window}`).has(k));
        throw new Error(`${e.message}: ${missing.length} of ${expected.size} counts missing (${missing.slice(0, 8).join(", ")})`);
      });
      if (finalizes) {
        await until("the group's offsets at every partition's end", 30_000, async () => {
          const o = await offsets(input, groupId);
          return ended !== undefined || (o.committed.length === 3 && o.committed.every((c, i) => c === o.ends[i]));
        });
      }
    } finally {
      abort.abort();
    }
    const end = await run;
    expect((end as BeamlineError).code).toBe("BL_CANCELLED");
    expect(countsRead(bootstrap(), output, (r) => `${r.page}|${r.window}`)).toEqual(expected);
    const o = await offsets(input, groupId);
    expect(o.ends.every((e) => e > 0)).toBe(true);
    // Offsets are committed on bundle finalization only, which Beam's Flink runner did not send here.
    expect(o.committed).toEqual(finalizes ? o.ends : [-1, -1, -1]);
  }

  describeWithPrism("Prism", (prism) => {
    test("a bounded read of 3 partitions, counted per page and written at-least-once, is exact; undecodable records reach the dead-letter topic", async () => {
      await boundedCounts(prism().jobEndpoint, "prism", "prism-bounded");
    }, 240_000);

    test("a bounded read counted and written exactly-once (the two-phase path: transactions committed once the input ended) is exact", async () => {
      await boundedCounts(prism().jobEndpoint, "prism", "prism-bounded-eo", "exactly-once");
    }, 240_000);

    test("an unbounded read, windowed, counted and written at-least-once, cancelled once its windows completed: every window's count, offsets committed to the group", async () => {
      await unboundedWindows(prism().jobEndpoint, "prism", "prism-unbounded", true);
    }, 300_000);
  });

  describeWithFlinkJobServer("Flink", (flink) => {
    test("a bounded read of 3 partitions, counted per page and written at-least-once, is exact; undecodable records reach the dead-letter topic", async () => {
      await boundedCounts(flink().jobEndpoint, "flink", "flink-bounded");
    }, 240_000);

    test("an unbounded read, windowed, counted and written at-least-once, cancelled once its windows completed: every window's count", async () => {
      await unboundedWindows(flink().jobEndpoint, "flink", "flink-unbounded", false);
    }, 300_000);
  });
});
