/**
 * PubSubSource read directly against the pstest emulator, in the sequences a loaded run meets: a
 * message that comes again while the effects of its first delivery are in no completed checkpoint
 * yet (a read retried from its last position, or a redelivery after a late lease extension) is
 * dropped but not acknowledged, so a crash before the next checkpoint completes loses nothing; a
 * completed checkpoint acknowledges it.
 */
import type { PubSub } from "@google-cloud/pubsub";
import type { JsonValue } from "../../sdk/graph";
import { scalarSchema, t, type SourceChunk } from "beamline";
import { pubsubRequest } from "../../transforms/io/pubsub/pubsub-client";
import { PubSubSource } from "../../transforms/io/pubsub/pubsub-source";
import { describeWithPubSub, pubsubClientOn } from "./services";

const PROJECT = "beamline-source";

/** A read in progress: the rows and last position it delivered so far. */
interface Reading {
  readonly rows: string[];
  position: JsonValue | null;
  /** Takes chunks until `done()` or for `ms` (bounded either way). */
  pull(done: () => boolean, ms: number): Promise<void>;
  /** Stops the read as a crash or a failed read would: its messages not acknowledged go back. */
  stop(): Promise<void>;
}

function open(src: PubSubSource, from: JsonValue | null): Reading {
  const it = src.read({ subscription: src.config.subscription }, from)[Symbol.asyncIterator]();
  const reading: Reading = {
    rows: [],
    position: from,
    async pull(done, ms) {
      for (const end = Date.now() + ms; !done() && Date.now() < end; ) {
        const next = await it.next();
        if (next.done) return;
        const chunk: SourceChunk = next.value;
        if (chunk.batch) reading.rows.push(...(chunk.batch.data.getChildAt(0)!.toArray() as string[]));
        if (chunk.position !== undefined) reading.position = chunk.position;
      }
    },
    async stop() {
      await it.return?.();
    },
  };
  return reading;
}

/** Reads until `rows` rows came, or for `ms`, then stops the read. */
async function readFor(src: PubSubSource, from: JsonValue | null, rows: number, ms: number): Promise<Reading> {
  const reading = open(src, from);
  try {
    await reading.pull(() => reading.rows.length >= rows, ms);
  } finally {
    await reading.stop();
  }
  return reading;
}

describeWithPubSub("PubSubSource on the pstest emulator", (emulator) => {
  let client: PubSub;

  beforeAll(async () => {
    client = await pubsubClientOn(emulator(), PROJECT);
  });

  afterAll(async () => {
    await client?.close();
  });

  /** A topic and subscription with `n` messages `m<i>` (attribute `id` = `id-<i>`); returns the subscription and the message ids. */
  async function published(name: string, n: number): Promise<{ subscription: string; ids: string[] }> {
    const [topic] = await client.createTopic(name);
    await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 10 });
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => topic.publishMessage({ data: Buffer.from(`m${i}`), attributes: { id: `id-${i}` } })));
    return { subscription: `projects/${PROJECT}/subscriptions/${name}-sub`, ids };
  }

  /** Ends the ack deadlines of the first deliveries of messages `ids`, so they come again (pstest's ack ids are `<message id>:<delivery>`). */
  async function redeliver(subscription: string, ids: readonly string[]): Promise<void> {
    await pubsubRequest(client, "SubscriberClient", "modifyAckDeadline", { subscription, ackIds: ids.map((id) => `${id}:1`), ackDeadlineSeconds: 0 });
  }

  function source(subscription: string, idAttribute?: string): PubSubSource {
    return new PubSubSource({ subscription, format: "string", schema: scalarSchema(t.string()).arrow, idAttribute, deadLetter: false, maxMessages: 1000, ackDeadlineSeconds: 10, transform: "Read" });
  }

  const all = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`).sort();

  test("a read retried from its last position drops the messages it held, without acknowledging them before a checkpoint holds them", async () => {
    const { subscription, ids } = await published("retried", 20);
    const first = await readFor(source(subscription), null, 20, 10_000);
    expect(first.rows.sort()).toEqual(all(20));
    // The runner reads a part again from its last position after a transient error; the first
    // read's messages come again (at once here) and are dropped: their effects are downstream already.
    await redeliver(subscription, ids);
    const retried = await readFor(source(subscription), first.position, 1, 1500);
    expect(retried.rows).toEqual([]);
    // The process dies before any checkpoint completed: a run from the start reads every message.
    const restarted = await readFor(source(subscription), null, 20, 15_000);
    expect(restarted.rows.sort()).toEqual(all(20));
  }, 60_000);

  test("a message delivered again during a read (a lease that ran out) is dropped by id, and acknowledged only with a completed checkpoint", async () => {
    const { subscription, ids } = await published("redelivered", 10);
    const reading = open(source(subscription, "id"), null);
    try {
      await reading.pull(() => reading.rows.length === 10, 10_000);
      expect([...reading.rows].sort()).toEqual(all(10));
      // What a late lease extension leads to: every message comes again.
      await redeliver(subscription, ids);
      await reading.pull(() => false, 1500);
      expect(reading.rows).toHaveLength(10); // dropped as duplicates by id
    } finally {
      await reading.stop();
    }
    // The process dies before any checkpoint completed: a run from the start reads every message.
    const restarted = await readFor(source(subscription, "id"), null, 10, 15_000);
    expect(restarted.rows.sort()).toEqual(all(10));
  }, 60_000);

  test("a completed checkpoint acknowledges the dropped messages too: a later read finds none", async () => {
    const { subscription, ids } = await published("completed", 20);
    const first = await readFor(source(subscription), null, 20, 10_000);
    expect(first.rows.sort()).toEqual(all(20));
    await redeliver(subscription, ids);
    const src = source(subscription);
    const reading = open(src, first.position);
    try {
      await reading.pull(() => false, 1500);
      expect(reading.rows).toEqual([]);
      await src.checkpointCompleted([{ part: { subscription }, position: reading.position }]);
    } finally {
      await reading.stop();
    }
    // Past the ack deadline (10 s), a message not acknowledged would come again.
    const later = await readFor(source(subscription), null, 1, 12_000);
    expect(later.rows).toEqual([]);
  }, 60_000);
});
