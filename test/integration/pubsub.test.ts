/**
 * Pub/Sub on the direct runner against the pstest emulator: reads acknowledged only after the
 * checkpoint holding their effects, a kill -9 and --resume with nothing lost or doubled downstream,
 * de-duplication by id attribute, event times from an attribute, and writes with attributes and
 * ordering keys.
 */
import * as path from "node:path";
import type { PubSub } from "@google-cloud/pubsub";
import { create, DirectRunner, Pipeline, readPubSub, writePubSub, writeText } from "beamline";
import { rng, tempDir } from "../helpers";
import { outputLines } from "../runners/direct/parallel/files";
import { killThenResume, startCli } from "../runners/direct/checkpoint/children";
import { describeWithPubSub, pubsubClientOn } from "./services";

const PROJECT = "beamline-test";
const PIPELINE = path.join(__dirname, "pubsub-pipelines.ts");

describeWithPubSub("Pub/Sub on the pstest emulator", (emulator) => {
  let client: PubSub;
  const root = tempDir("beamline-pubsub-");

  beforeAll(async () => {
    // For the runs in this process (the ones in child processes get env()).
    client = await pubsubClientOn(emulator(), PROJECT);
  });

  afterAll(async () => {
    await client?.close();
  });

  const env = () => ({ PUBSUB_EMULATOR_HOST: emulator().host, METADATA_SERVER_DETECTION: "none" });

  /** A topic with one subscription; returns their full names. */
  async function topicWithSubscription(name: string, options: { ordering?: boolean } = {}): Promise<{ topic: string; subscription: string }> {
    const [topic] = await client.createTopic(name);
    await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 10, enableMessageOrdering: options.ordering === true });
    return { topic: `projects/${PROJECT}/topics/${name}`, subscription: `projects/${PROJECT}/subscriptions/${name}-sub` };
  }

  /** Publishes messages `m<i>` with attributes id and ts, each of `duplicates` published twice. */
  async function publish(topic: string, n: number, duplicates: ReadonlySet<number> = new Set()): Promise<string[]> {
    const t = client.topic(topic);
    const expected: string[] = [];
    const sends: Promise<string>[] = [];
    for (let i = 0; i < n; i++) {
      const ts = 1_700_000_000_000 + i * 1000;
      const message = { data: Buffer.from(`m${i}`), attributes: { id: `id-${i}`, ts: String(ts) } };
      sends.push(t.publishMessage(message));
      if (duplicates.has(i)) sends.push(t.publishMessage(message));
      expected.push(`m${i}@${ts}`);
    }
    await Promise.all(sends);
    return expected.sort();
  }

  test("a checkpointed run killed (kill -9) and resumed: every message once downstream, duplicates by id dropped, event times from the attribute", async () => {
    const random = rng(23);
    let kills = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const { topic, subscription } = await topicWithSubscription(`kill-${attempt}`);
      const n = 3000;
      const expected = await publish(topic, n, new Set([5, 700, 1500, 2999]));
      const out = path.join(root, `kill-${attempt}`);
      const dir = path.join(root, `chk-${attempt}`);
      const args = ["--runner=direct", `--checkpoint-dir=${dir}`, "--checkpoint-interval=50", `--subscription=${subscription}`, `--output=${path.join(out, "m")}`, `--max=${n}`];
      const { killed, resumed } = await killThenResume((a) => startCli(PIPELINE, a, env()), args, dir, Math.floor(random() * 400));
      expect(resumed.code).toBe(0);
      if (killed.signal === "SIGKILL") kills++;
      expect(outputLines(out, "m-")).toEqual(expected);
    }
    expect(kills).toBeGreaterThan(0);
  }, 240_000);

  test("a run without checkpoints acknowledges when it succeeds: a second run finds nothing left", async () => {
    const { topic, subscription } = await topicWithSubscription("plain");
    const expected = await publish(topic, 200);
    const out = path.join(root, "plain");
    const run = await startCli(PIPELINE, ["--runner=direct", `--subscription=${subscription}`, `--output=${path.join(out, "m")}`, "--max=200"], env()).exit;
    expect(run.code).toBe(0);
    expect(outputLines(out, "m-")).toEqual(expected);
    // Acknowledged: nothing comes back, even after the ack deadline passed.
    await new Promise((r) => setTimeout(r, 11_000));
    const sub = client.subscription(subscription);
    const left: string[] = [];
    sub.on("message", (m) => left.push(m.data.toString()));
    await new Promise((r) => setTimeout(r, 3000));
    await sub.close();
    expect(left).toEqual([]);
  }, 60_000);

  test("writePubSub publishes each row with its attributes and ordering key, flushed before the run ends", async () => {
    const { topic, subscription } = await topicWithSubscription("written", { ordering: true });
    const rows = Array.from({ length: 50 }, (_, i) => ({ n: i, group: `g${i % 3}` }));
    const p = new Pipeline();
    p.apply("Rows", create(rows)).apply("Publish", writePubSub<{ n: number; group: string }>({ topic, attributes: (r) => ({ n: String(r.n) }), orderingKey: (r) => r.group }));
    await new DirectRunner({ parallelism: 1 }).run(p);
    const got: { data: string; n: string; key: string }[] = [];
    const sub = client.subscription(subscription);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of 50 messages arrived`)), 20_000);
      sub.on("message", (m) => {
        got.push({ data: m.data.toString(), n: m.attributes.n, key: m.orderingKey ?? "" });
        m.ack();
        if (got.length === 50) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await sub.close();
    expect(got.map((g) => JSON.parse(g.data)).sort((a, b) => a.n - b.n)).toEqual(rows);
    for (const g of got) expect(g.key).toBe(`g${Number(g.n) % 3}`);
    for (const key of ["g0", "g1", "g2"]) {
      const ns = got.filter((g) => g.key === key).map((g) => Number(g.n));
      expect(ns).toEqual([...ns].sort((a, b) => a - b)); // in publish order within a key
    }
  }, 60_000);

  test("messages that cannot be read go to the dead-letter output; the rest are read", async () => {
    const { topic, subscription } = await topicWithSubscription("letters");
    const t = client.topic(topic);
    await t.publishMessage({ data: Buffer.from("good"), attributes: { ts: "2024-01-01T00:00:00Z" } });
    await t.publishMessage({ data: Buffer.from("bad"), attributes: { ts: "yesterday" } });
    const p = new Pipeline();
    const { main, deadLetter } = p.apply("Read", readPubSub({ subscription, timestampAttribute: "ts", maxMessages: 2, deadLetter: true }));
    main.map((s: string, { timestamp }) => `${s}@${timestamp}`, { name: "Stamp" }).apply("WriteMain", writeText(path.join(root, "letters", "main")));
    deadLetter.map((d) => d.message, { name: "Message" }).apply("WriteLetters", writeText(path.join(root, "letters", "dead")));
    await new DirectRunner({ parallelism: 1 }).run(p);
    expect(outputLines(path.join(root, "letters"), "main-")).toEqual([`good@${Date.parse("2024-01-01T00:00:00Z")}`]);
    const letters = outputLines(path.join(root, "letters"), "dead-");
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatch(/timestamp attribute "ts" is "yesterday"/);
  }, 60_000);

  test("reading a topic makes a subscription for the pipeline on it, and reads what is published from then on", async () => {
    const [topic] = await client.createTopic("by-topic");
    const p = new Pipeline();
    p.apply("Read", readPubSub({ topic: `projects/${PROJECT}/topics/by-topic`, maxMessages: 20 })).apply("Write", writeText(path.join(root, "by-topic", "m")));
    const run = new DirectRunner({ parallelism: 1 }).run(p);
    let subscriptions: string[] = [];
    for (let i = 0; i < 100 && subscriptions.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      subscriptions = (await topic.getSubscriptions())[0].map((s) => s.name);
    }
    expect(subscriptions).toEqual([expect.stringMatching(/^projects\/beamline-test\/subscriptions\/by-topic-beamline-[0-9a-f]{8}$/)]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => topic.publishMessage({ data: Buffer.from(`t${i}`) })));
    await run;
    expect(outputLines(path.join(root, "by-topic"), "m-")).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
  }, 60_000);

  test("readPubSub refuses a short name and both a topic and a subscription, with a fix", () => {
    expect(() => new Pipeline().apply("Read", readPubSub({ subscription: "events" }))).toThrow(expect.objectContaining({ code: "BL_PUBSUB_NAME" }));
    expect(() => new Pipeline().apply("Read", readPubSub({ subscription: "projects/p/subscriptions/s", topic: "projects/p/topics/t" }))).toThrow(expect.objectContaining({ code: "BL_PUBSUB_SOURCE" }));
    for (const maxOutOfOrderness of [-1, "soon"]) {
      expect(() => new Pipeline().apply("Read", readPubSub({ subscription: "projects/p/subscriptions/s", maxOutOfOrderness }))).toThrow(expect.objectContaining({ code: "BL_PUBSUB_OUT_OF_ORDERNESS", value: maxOutOfOrderness }));
    }
    expect(() => new Pipeline().apply("Read", readPubSub({ subscription: "projects/p/subscriptions/s", maxOutOfOrderness: "1m" }))).not.toThrow();
  });
});
