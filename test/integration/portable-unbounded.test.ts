/**
 * Unbounded sources on portable runners, read as splittable DoFns: an unbounded generated sequence
 * with event times, counted in fixed event-time windows, runs on Prism and on Flink (streaming) until
 * it is cancelled, and every window it completed holds exactly the elements the sequence stamped into
 * it. Also an unbounded periodic impulse on both, and an unbounded Pub/Sub read on both (pstest
 * emulator): every message once downstream, and every one acknowledged. Each suite starts its service
 * once.
 */
import type { PubSub } from "@google-cloud/pubsub";
import { BeamlineError, count, ElementInfo, fixedWindows, generateSequence, groupBy, periodicImpulse, Pipeline, readPubSub, windowInto } from "beamline";
import { PortableRunner } from "../../runners/portable/runner";
import { pubsubRequest } from "../../transforms/io/pubsub/pubsub-client";
import { describeWithFlinkJobServer, describeWithPrism, describeWithPubSub, pubsubClientOn } from "./services";

/** Milliseconds of event time between the sequence's elements, and its windows' size. */
const INTERVAL_MS = 10;
const WINDOW_MS = 1000;

/** An unbounded sequence at `rate` elements per second, counted per fixed window; each fired pane goes to `panes` as `start count timing`. */
function windowedCounts(panes: string[], rate: number): Pipeline {
  const p = new Pipeline();
  p.apply("Numbers", generateSequence({ from: 0, ratePerSecond: rate, eventTime: { start: 0, interval: INTERVAL_MS } }))
    .apply("Seconds", windowInto(fixedWindows(WINDOW_MS)))
    .map((n: number) => ({ k: "all", n }), { name: "Key" })
    .apply("PerWindow", groupBy<{ k: string; n: number }>("k").aggregate({ count: count() }))
    .map(
      (r: Record<string, unknown>, info: ElementInfo) => {
        panes.push(`${info.window.start} ${String(r.count)} ${info.pane.timing}`);
        return 0;
      },
      { name: "Collect" },
    );
  return p;
}

/** Resolves once `seen()` holds something (polled), or after `capMs`. */
async function firstOutput(seen: () => number, capMs: number): Promise<void> {
  const until = Date.now() + capMs;
  while (seen() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Runs `p` on `endpoint` until `ms` after its first output reached `seen` (the job service's own start,
 * which on Flink takes tens of seconds, does not count), at most `capMs` in all, then cancels it;
 * resolves to the error the run ended with.
 */
async function runFor(p: Pipeline, endpoint: string, runner: string, seen: () => number, ms: number, capMs = 150_000): Promise<unknown> {
  const abort = new AbortController();
  const run = new PortableRunner({ jobEndpoint: endpoint, runnerName: runner, signal: abort.signal }).run(p).then(
    () => null,
    (e: unknown) => e,
  );
  let ended = false;
  void run.then(() => (ended = true));
  await firstOutput(() => (ended ? 1 : seen()), capMs);
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await run;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the windowed counts on `runner` and checks every window it completed: contiguous from the first, each exact and on time. */
async function expectExactWindows(endpoint: string, runner: string, ms: number): Promise<void> {
  const panes: string[] = [];
  const end = await runFor(windowedCounts(panes, 200), endpoint, runner, () => panes.length, ms);
  if (process.env.SHOW_PANES) process.stderr.write(`${String(end)}\n${panes.join("\n")}\n`);
  expect(end).toBeInstanceOf(BeamlineError);
  expect((end as BeamlineError).code).toBe("BL_CANCELLED");
  // At 200 elements a second, a one-second window of event time fills in half a second.
  const windows = panes.map((l) => l.split(" ")).sort((a, b) => Number(a[0]) - Number(b[0]));
  expect(windows.length).toBeGreaterThanOrEqual(ms / 1000);
  windows.forEach(([start, n, timing], i) => {
    expect(Number(start)).toBe(i * WINDOW_MS);
    expect(Number(n)).toBe(WINDOW_MS / INTERVAL_MS);
    expect(timing).toBe("on_time");
  });
}

/**
 * Runs an unbounded periodic impulse on `runner` until `ms` after its first impulse, then checks the
 * impulses: one per interval from the first (none twice, none skipped), each emitted when due.
 */
async function expectImpulsesOnSchedule(endpoint: string, runner: string, interval: number, ms: number): Promise<void> {
  const seen: { t: number; at: number }[] = [];
  const p = new Pipeline();
  p.apply("Ticks", periodicImpulse({ interval })).map(
    (t: number) => {
      seen.push({ t, at: Date.now() });
      return t;
    },
    { name: "Collect" },
  );
  const started = Date.now();
  const end = await runFor(p, endpoint, runner, () => seen.length, ms);
  expect((end as BeamlineError).code).toBe("BL_CANCELLED");
  expect(seen.length).toBeGreaterThanOrEqual(Math.floor(ms / interval) - 1);
  const sorted = [...seen].sort((a, b) => a.t - b.t);
  sorted.forEach(({ t }, i) => expect(t - sorted[0].t).toBe(i * interval));
  expect(sorted[0].t).toBeGreaterThanOrEqual(started);
  // None before it was due, none held back much longer than a bundle's budget.
  for (const { t, at } of sorted) {
    expect(at).toBeGreaterThanOrEqual(t);
    expect(at - t).toBeLessThan(3000);
  }
}

describeWithPrism("Unbounded sources on Prism", (prism) => {
  test("an unbounded event-time sequence, windowed and counted, cancelled after seconds: every window it completed is exact", async () => {
    await expectExactWindows(prism().jobEndpoint, "prism", 8_000);
  }, 180_000);

  test("an unbounded periodic impulse emits on time, one element per interval, until cancelled", async () => {
    await expectImpulsesOnSchedule(prism().jobEndpoint, "prism", 200, 4_000);
  }, 60_000);
});

describeWithFlinkJobServer("Unbounded sources on Flink", (flink) => {
  test("an unbounded event-time sequence, windowed and counted, cancelled after seconds: every window it completed is exact", async () => {
    await expectExactWindows(flink().jobEndpoint, "flink", 8_000);
  }, 240_000);

  test("an unbounded periodic impulse slower than a bundle's budget stays on schedule across the checkpoints between bundles", async () => {
    await expectImpulsesOnSchedule(flink().jobEndpoint, "flink", 1500, 8_000);
  }, 240_000);
});

describeWithPubSub("Unbounded Pub/Sub on portable runners", (emulator) => {
  const PROJECT = "beamline-test";
  let client: PubSub;
  let before: string | undefined;

  beforeAll(async () => {
    // The harness runs in this process (LOOPBACK), so its Pub/Sub client finds the emulator here.
    before = process.env.PUBSUB_EMULATOR_HOST;
    client = await pubsubClientOn(emulator(), PROJECT);
  });

  afterAll(async () => {
    await client?.close();
    if (before === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
    else process.env.PUBSUB_EMULATOR_HOST = before;
  });

  /** Publishes messages to a fresh topic, reads its subscription unbounded on `runner` until seconds after the first, and checks each came once and none is left unacknowledged. */
  async function expectEveryMessageOnce(endpoint: string, runner: string, name: string): Promise<void> {
    const [topic] = await client.createTopic(name);
    const [subscription] = await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 10 });
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => topic.publishMessage({ data: Buffer.from(`m${i}`), attributes: { ts: String(1_700_000_000_000 + i * 1000) } })));
    const seen: string[] = [];
    const p = new Pipeline();
    p.apply("Read", readPubSub({ subscription: `projects/${PROJECT}/subscriptions/${name}-sub`, timestampAttribute: "ts" })).map(
      (m: string) => {
        seen.push(m);
        return m;
      },
      { name: "Collect" },
    );
    // Runs on for seconds after the first message: bundles after the one that read the last message
    // take back what the runner committed (the acknowledgements happen there).
    const end = await runFor(p, endpoint, runner, () => seen.length, 6_000);
    expect((end as BeamlineError).code).toBe("BL_CANCELLED");
    expect([...seen].sort()).toEqual(Array.from({ length: n }, (_, i) => `m${i}`).sort());
    // Nothing is left to deliver: a fresh pull finds no message.
    const left = (await pubsubRequest(client, "SubscriberClient", "pull", { subscription: subscription.name, maxMessages: 10, returnImmediately: true })) as { receivedMessages?: unknown[] };
    expect(left.receivedMessages ?? []).toEqual([]);
  }

  describeWithPrism("Prism", (prism) => {
    test("every message read once downstream across the bundles' checkpoints, and every one acknowledged", async () => {
      await expectEveryMessageOnce(prism().jobEndpoint, "prism", "on-prism");
    }, 180_000);
  });

  describeWithFlinkJobServer("Flink", (flink) => {
    test("every message read once downstream across the bundles' checkpoints, and every one acknowledged", async () => {
      await expectEveryMessageOnce(flink().jobEndpoint, "flink", "on-flink");
    }, 240_000);
  });
});
