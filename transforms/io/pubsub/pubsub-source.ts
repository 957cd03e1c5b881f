/**
 * The source behind `readPubSub`: one part per subscription, read by streaming pull. A message is
 * acknowledged only once a completed checkpoint holds its effects (`checkpointCompleted`); until then the
 * client's lease management extends its ack deadline. Positions carry the ids of messages whose
 * effects are held but whose acknowledgement is not confirmed, so a resumed read drops them when
 * they come again (acks sent just before a crash may be lost); with `idAttribute`, they also carry the
 * ids seen in the last ten minutes, which de-duplicates as Beam does.
 */
import type * as arrow from "apache-arrow";
import type { Message, PubSub, Subscription } from "@google-cloud/pubsub";
import { GLOBAL_WINDOWS, type ElementBatch } from "../../../sdk/batch";
import { DEAD_LETTER_TAG, deadLetterSchema, recordDeadLetter } from "../../../sdk/dead-letter";
import { BeamlineError, IOError } from "../../../sdk/errors";
import type { JsonValue } from "../../../sdk/graph";
import { rowsToRecordBatch } from "../../../sdk/rows";
import { MAX_TIMESTAMP } from "../../../sdk/time";
import type { BoundedSource, PartPosition, ReadContext, SourceChunk } from "../../../sdk/source";
import { acquirePubsubClient, pubsubRequest, resourceName } from "./pubsub-client";
import { parseMessage } from "./pubsub-message";

/** How long ids are remembered for de-duplication, and held ids for dropping redeliveries (Beam's ten minutes). */
const REMEMBER_MS = 10 * 60_000;

/** What a Pub/Sub read does; see `ReadPubSubOptions`. */
export interface PubSubReadConfig {
  /** The subscription, `projects/P/subscriptions/S` (for a topic, one made for the pipeline). */
  readonly subscription: string;
  /** The topic to make the subscription on, when reading a topic. */
  readonly topic?: string;
  readonly format: "string" | "bytes" | "json";
  readonly schema: arrow.Schema;
  readonly timestampAttribute?: string;
  readonly idAttribute?: string;
  readonly deadLetter: boolean;
  readonly maxMessages?: number;
  /** The watermark's lag behind the largest event time read; unset: the earliest event time of the latest batch. */
  readonly maxOutOfOrdernessMs?: number;
  /** The longest a message's ack deadline is extended at a time, in seconds (redelivery after a crash comes this long after). */
  readonly ackDeadlineSeconds: number;
  /** The transform's name, for dead letters and errors. */
  readonly transform: string;
}

/** Where a part got to. */
interface PubSubPosition {
  /** Messages delivered downstream so far. */
  readonly delivered: number;
  /** Message ids whose effects are held and whose acknowledgement is not confirmed, with when they were delivered. */
  readonly held: [string, number][];
  /** With `idAttribute`: the ids seen, with when. */
  readonly seen?: [string, number][];
}

/** A part being read in this process. */
interface LiveRead {
  readonly subscription: Subscription;
  readonly client: PubSub;
  /** Lets go of the client (the last user closes it). */
  release(): Promise<void>;
  /** Delivered messages not yet acknowledged, by delivery number (a dropped duplicate: the number delivered when it came), oldest first. */
  readonly pending: { seq: number; message: Message }[];
  readonly held: Map<string, number>;
  ended: boolean;
}

export class PubSubSource implements BoundedSource {
  readonly boundedness: "bounded" | "unbounded";
  private readonly live = new Map<string, LiveRead>();

  constructor(readonly config: PubSubReadConfig) {
    this.boundedness = config.maxMessages === undefined ? "unbounded" : "bounded";
  }

  /** One part: the subscription (made on the topic first, when reading a topic). */
  async split(): Promise<JsonValue[]> {
    const { subscription, topic } = this.config;
    if (topic) {
      const t = resourceName(topic, "topics", this.config.transform);
      const s = resourceName(subscription, "subscriptions", this.config.transform);
      const { client, release } = acquirePubsubClient(s.project);
      try {
        const [exists] = await client.subscription(s.path).exists();
        if (!exists) await client.topic(t.path).createSubscription(s.path, { ackDeadlineSeconds: this.config.ackDeadlineSeconds });
      } finally {
        await release();
      }
    }
    return [{ subscription }];
  }

  async *read(part: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const { project, path } = resourceName(this.config.subscription, "subscriptions", this.config.transform);
    const { client, release } = acquirePubsubClient(project);
    const { Duration } = require("@google-cloud/pubsub") as typeof import("@google-cloud/pubsub"); // eslint-disable-line @typescript-eslint/no-require-imports
    const deadline = Duration.from({ seconds: this.config.ackDeadlineSeconds });
    const subscription = client.subscription(path, {
      flowControl: { maxMessages: 5000, allowExcessMessages: false },
      minAckDeadline: deadline,
      maxAckDeadline: deadline,
    });
    const start = position(from);
    let delivered = start.delivered;
    const now = Date.now();
    /** Held by the position read from: dropped when they come again (and acknowledged with the next completed checkpoint). */
    const restoredHeld = new Map(start.held.filter(([, at]) => now - at < REMEMBER_MS));
    const seen = new Map((start.seen ?? []).filter(([, at]) => now - at < REMEMBER_MS));
    const state: LiveRead = { subscription, client, release, pending: [], held: new Map(restoredHeld), ended: false };
    this.live.set(partKey(part), state);
    const queue: Message[] = [];
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    subscription.on("message", (m: Message) => {
      queue.push(m);
      wake?.();
    });
    subscription.on("error", (e: unknown) => {
      failure = e;
      wake?.();
    });
    let mark = Number.NEGATIVE_INFINITY;
    const max = this.config.maxMessages ?? Infinity;
    let finished = false;
    try {
      while (delivered < max && !ctx?.cancelled) {
        if (failure) throw pubsubFailure(path, failure);
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 100);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          if (queue.length === 0) yield { idle: true };
          continue;
        }
        const rows: unknown[] = [];
        const times: number[] = [];
        const letters: ReturnType<typeof recordDeadLetter>[] = [];
        while (queue.length > 0 && delivered < max) {
          const m = queue.shift()!;
          // A message that comes again is dropped, and acknowledged once a checkpoint holding every
          // message delivered so far completes: its first delivery's effects may be in no completed
          // checkpoint yet (a read retried from its last position, or a redelivery after a lease
          // extension came late), and acknowledging it now would lose them in a crash before one is.
          if (restoredHeld.has(m.id)) {
            state.pending.push({ seq: delivered, message: m });
            continue;
          }
          if (this.config.idAttribute) {
            const id = m.attributes?.[this.config.idAttribute] ?? m.id;
            if (seen.has(id)) {
              state.pending.push({ seq: delivered, message: m });
              continue;
            }
            seen.set(id, Date.now());
          }
          delivered++;
          state.pending.push({ seq: delivered, message: m });
          state.held.set(m.id, Date.now());
          const decoded = this.decode(m);
          if (decoded instanceof BeamlineError) {
            if (!this.config.deadLetter) throw decoded;
            letters.push(recordDeadLetter(this.config.transform, { topic: path, partition: 0, offset: delivered }, new Uint8Array(m.data), "IOError", `message ${m.id}: ${decoded.rule}`));
            continue;
          }
          rows.push(decoded.row);
          times.push(decoded.time);
        }
        // Leftovers past maxMessages go back for other readers.
        if (delivered >= max) for (const m of queue.splice(0)) m.nack();
        const pos = this.positionOf(delivered, state, seen);
        if (letters.length > 0) {
          yield { tag: DEAD_LETTER_TAG, batch: { data: rowsToRecordBatch(letters, deadLetterSchema.arrow, this.config.transform), timestamps: new Float64Array(letters.length).fill(Date.now()), windows: GLOBAL_WINDOWS }, ...(rows.length === 0 ? { position: pos } : {}) };
        }
        if (rows.length > 0) {
          const bound = this.config.maxOutOfOrdernessMs;
          const low = bound === undefined ? Math.min(...times) : Math.max(...times) - bound;
          if (low > mark) mark = low;
          yield { batch: { data: rowsToRecordBatch(rows, this.config.schema, this.config.transform), timestamps: Float64Array.from(times), windows: GLOBAL_WINDOWS }, position: pos, watermark: mark };
        } else if (letters.length === 0) yield { position: pos };
      }
      finished = delivered >= max;
      if (finished) yield { position: this.positionOf(delivered, state, seen), watermark: MAX_TIMESTAMP };
    } finally {
      state.ended = true;
      if (!finished || state.pending.length === 0) await this.stop(part, state);
    }
  }

  /** Acknowledges the messages each part delivered up to its position in a completed checkpoint (which holds their effects). */
  async checkpointCompleted(positions: readonly PartPosition[]): Promise<void> {
    for (const { part, position: pos } of positions) await this.acknowledgeUpTo(part, pos);
  }

  private async acknowledgeUpTo(part: JsonValue, pos: JsonValue | null): Promise<void> {
    const state = this.live.get(partKey(part));
    if (!state) return;
    const upTo = position(pos).delivered;
    let n = 0;
    while (n < state.pending.length && state.pending[n].seq <= upTo) n++;
    if (n > 0) {
      const { path } = resourceName(this.config.subscription, "subscriptions", this.config.transform);
      const done = state.pending.splice(0, n).map((p) => p.message);
      await this.acknowledge(state.client, path, done, state);
    }
    if (state.ended && state.pending.length === 0) await this.stop(part, state);
  }

  /** Acknowledges messages and waits until Pub/Sub confirms, then forgets them. */
  private async acknowledge(client: PubSub, path: string, messages: Message[], state: LiveRead): Promise<void> {
    for (let i = 0; i < messages.length; i += 2500) {
      const batch = messages.slice(i, i + 2500);
      await pubsubRequest(client, "SubscriberClient", "acknowledge", { subscription: path, ackIds: batch.map((m) => m.ackId) });
      for (const m of batch) {
        m.ack(); // releases its lease and flow-control slot (the acknowledgement itself is confirmed above)
        state.held.delete(m.id);
      }
    }
  }

  private positionOf(delivered: number, state: LiveRead, seen: Map<string, number>): JsonValue {
    const p: PubSubPosition = { delivered, held: [...state.held], ...(this.config.idAttribute ? { seen: [...seen] } : {}) };
    return p as unknown as JsonValue;
  }

  private async stop(part: JsonValue, state: LiveRead): Promise<void> {
    if (this.live.get(partKey(part)) === state) this.live.delete(partKey(part));
    for (const p of state.pending.splice(0)) p.message.nack();
    state.subscription.removeAllListeners("message");
    await state.subscription.close().catch(() => {});
    await state.release();
  }

  /** A message's row and event time, or the error that makes it a dead letter. */
  private decode(m: Message): { row: unknown; time: number } | BeamlineError {
    return parseMessage(this.config, { id: m.id, data: m.data, attributes: m.attributes, publishTime: m.publishTime.getTime() });
  }

  /**
   * Parses messages pulled by the runner itself (Dataflow's native read), each with its event time as
   * the runner gave it (the publish time, or the timestamp attribute's, which the runner read): the
   * rows of the main output and, with `deadLetter`, the dead letters of messages that cannot be read.
   */
  parseDelivered(data: readonly Uint8Array[], timestamps: Float64Array): { tag: string; batch: ElementBatch }[] {
    const format = { ...this.config, timestampAttribute: undefined };
    const rows: unknown[] = [];
    const times: number[] = [];
    const letters: ReturnType<typeof recordDeadLetter>[] = [];
    const letterTimes: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const parsed = parseMessage(format, { id: "", data: data[i], publishTime: timestamps[i] });
      if (parsed instanceof BeamlineError) {
        if (!this.config.deadLetter) throw parsed;
        // The runner gives no delivery count: the offset is -1.
        letters.push(recordDeadLetter(this.config.transform, { topic: this.config.topic ?? this.config.subscription, partition: 0, offset: -1 }, data[i], "IOError", parsed.rule));
        letterTimes.push(timestamps[i]);
        continue;
      }
      rows.push(parsed.row);
      times.push(parsed.time);
    }
    const out: { tag: string; batch: ElementBatch }[] = [];
    if (rows.length > 0) out.push({ tag: "main", batch: { data: rowsToRecordBatch(rows, this.config.schema, this.config.transform), timestamps: Float64Array.from(times), windows: GLOBAL_WINDOWS } });
    if (letters.length > 0) out.push({ tag: DEAD_LETTER_TAG, batch: { data: rowsToRecordBatch(letters, deadLetterSchema.arrow, this.config.transform), timestamps: Float64Array.from(letterTimes), windows: GLOBAL_WINDOWS } });
    return out;
  }
}

function partKey(part: JsonValue): string {
  return JSON.stringify(part);
}

function position(from: JsonValue | null): PubSubPosition {
  const p = from as Partial<PubSubPosition> | null;
  return { delivered: typeof p?.delivered === "number" ? p.delivered : 0, held: Array.isArray(p?.held) ? p!.held : [], seen: Array.isArray(p?.seen) ? p!.seen : [] };
}

function pubsubFailure(subscription: string, e: unknown): IOError {
  return new IOError({
    code: "BL_PUBSUB_FAILED",
    domain: "external",
    retriable: true,
    where: subscription,
    value: subscription,
    rule: `pulling from the subscription failed: ${e instanceof Error ? e.message : String(e)}`,
    fix: "check that the subscription exists and the credentials may pull from it (roles/pubsub.subscriber), or that PUBSUB_EMULATOR_HOST names a running emulator",
    cause: e,
  });
}
