/**
 * `readPubSub`: messages of a Pub/Sub subscription (or of a topic, through a subscription made for
 * the pipeline) as rows, with event times from their publish time or an attribute.
 */
import { createHash } from "node:crypto";
import { DEAD_LETTER_TAG, deadLetterSchema, type DeadLetter, type WithDeadLetters } from "../../../sdk/dead-letter";
import { OptionError } from "../../../sdk/errors";
import type { PCollection } from "../../../sdk/pcollection";
import { scalarSchema, t, type RowSchema } from "../../../sdk/schema";
import { READ_URN } from "../../../sdk/source";
import { durationMs } from "../../../sdk/time";
import { PBegin, PTransform, type ExpandContext } from "../../../sdk/transform";
import { resourceName } from "./pubsub-client";
import { PubSubSource } from "./pubsub-source";

/** Options of {@link readPubSub}: exactly one of `subscription` and `topic`. */
export interface ReadPubSubOptions<T = unknown> {
  /** The subscription to pull, `projects/P/subscriptions/S`. */
  readonly subscription?: string;
  /** Or a topic, `projects/P/topics/T`: the read makes (once) and pulls subscription `T-beamline-<digest>` on it. */
  readonly topic?: string;
  /** `string` (the default: the data as UTF-8 text), `bytes`, or `json` (rows of `schema`). */
  readonly format?: "string" | "bytes" | "json";
  /** The row schema of `json` messages. */
  readonly schema?: RowSchema<T>;
  /** The attribute holding each message's event time (ms since the epoch, or RFC 3339); the publish time when unset. */
  readonly timestampAttribute?: string;
  /** The attribute holding a unique id: messages whose id was seen in the last ten minutes are dropped (as Beam does). */
  readonly idAttribute?: string;
  /** Route messages that cannot be read (bad JSON, a bad timestamp attribute) to a `deadLetter` output instead of failing. */
  readonly deadLetter?: boolean;
  /**
   * How far behind the latest event time read a message may still arrive on time (ms or a duration such
   * as `"1m"`): the watermark is then the largest event time read less this, as Flink's bounded
   * out-of-orderness. Unset, it is the earliest event time of the latest batch pulled, which runs ahead
   * when Pub/Sub delivers out of order (it does not keep publish order without ordering keys).
   */
  readonly maxOutOfOrderness?: number | string;
  /** Stop after this many messages (the read is then bounded); unbounded when unset. */
  readonly maxMessages?: number;
  /** How far ahead each message's ack deadline is extended while its checkpoint is pending, in seconds (10 to 600; 10 by default). */
  readonly ackDeadlineSeconds?: number;
}

/**
 * Reads a Pub/Sub subscription by streaming pull (`PUBSUB_EMULATOR_HOST` for an emulator, else
 * Application Default Credentials). On the direct runner with checkpoints a message is acknowledged
 * only once the checkpoint holding its effects completes, so a crash redelivers it and a resumed run's
 * output stays exact; without checkpoints, messages are acknowledged when the run succeeds.
 */
export function readPubSub<T = string>(options: ReadPubSubOptions<T> & { deadLetter?: false }): PTransform<PBegin, PCollection<T>>;
/** Reads a Pub/Sub subscription, routing messages that cannot be read to `deadLetter` (the one dead-letter schema). */
export function readPubSub<T = string>(options: ReadPubSubOptions<T> & { deadLetter: true }): PTransform<PBegin, WithDeadLetters<T>>;
export function readPubSub(options: ReadPubSubOptions<any>): PTransform<PBegin, any> {
  return new ReadPubSub(options);
}

class ReadPubSub extends PTransform<PBegin, any> {
  constructor(readonly options: ReadPubSubOptions<any>) {
    super("ReadPubSub");
  }
  expand(_input: PBegin, ctx: ExpandContext): any {
    const out = readPubSubOutputs(this.options, ctx);
    return this.options.deadLetter ? { main: out.main, deadLetter: out.deadLetter } : out.main;
  }
}

/** Declares the read; its outputs are `main` and, with `deadLetter`, `deadLetter`. */
function readPubSubOutputs<T>(o: ReadPubSubOptions<T>, ctx: ExpandContext): { main: PCollection<T>; deadLetter?: PCollection<DeadLetter> } {
  const where = `transform "${ctx.name}"`;
  if ((o.subscription === undefined) === (o.topic === undefined)) {
    throw new OptionError({ code: "BL_PUBSUB_SOURCE", where, value: { subscription: o.subscription ?? null, topic: o.topic ?? null }, rule: "readPubSub reads exactly one of a subscription and a topic", fix: 'pass { subscription: "projects/P/subscriptions/S" } or { topic: "projects/P/topics/T" }' });
  }
  const format = o.format ?? "string";
  if (format !== "string" && format !== "bytes" && format !== "json") {
    throw new OptionError({ code: "BL_PUBSUB_FORMAT", where, value: format, rule: 'format must be "string", "bytes" or "json"', fix: 'pass format: "json" with a schema, or leave it unset for strings' });
  }
  if (format === "json" && !o.schema) {
    throw new OptionError({ code: "BL_PUBSUB_SCHEMA", where, value: null, rule: 'format "json" needs the schema of its rows', fix: "pass schema: schema({ ... })" });
  }
  if (o.maxMessages !== undefined && !(Number.isSafeInteger(o.maxMessages) && o.maxMessages >= 1)) {
    throw new OptionError({ code: "BL_PUBSUB_MAX", where, value: o.maxMessages, rule: "maxMessages must be a positive integer", fix: "pass maxMessages: 1 or more, or leave it unset to read forever" });
  }
  const ackDeadlineSeconds = o.ackDeadlineSeconds ?? 10;
  if (!(Number.isInteger(ackDeadlineSeconds) && ackDeadlineSeconds >= 10 && ackDeadlineSeconds <= 600)) {
    throw new OptionError({ code: "BL_PUBSUB_ACK_DEADLINE", where, value: ackDeadlineSeconds, rule: "ackDeadlineSeconds must be an integer from 10 to 600 (Pub/Sub's limits)", fix: "pass ackDeadlineSeconds: 10 to 600, or leave it unset" });
  }
  let maxOutOfOrdernessMs: number | undefined;
  if (o.maxOutOfOrderness !== undefined) {
    try {
      maxOutOfOrdernessMs = durationMs(o.maxOutOfOrderness);
    } catch {
      maxOutOfOrdernessMs = Number.NaN;
    }
    if (!(maxOutOfOrdernessMs >= 0 && Number.isFinite(maxOutOfOrdernessMs))) {
      throw new OptionError({ code: "BL_PUBSUB_OUT_OF_ORDERNESS", where, value: o.maxOutOfOrderness, rule: "maxOutOfOrderness is a non-negative duration", fix: 'pass e.g. 30000 or "1m", or leave it unset' });
    }
  }
  let subscription = o.subscription;
  if (o.topic !== undefined) {
    const topic = resourceName(o.topic, "topics", where);
    const digest = createHash("sha256").update(`${o.topic}\0${ctx.name}`).digest("hex").slice(0, 8);
    subscription = `projects/${topic.project}/subscriptions/${topic.name}-beamline-${digest}`;
  } else resourceName(subscription!, "subscriptions", where);
  const schema = format === "json" ? o.schema!.arrow : format === "bytes" ? scalarSchema(t.binary()).arrow : scalarSchema(t.string()).arrow;
  const source = new PubSubSource({
    subscription: subscription!,
    topic: o.topic,
    format,
    schema,
    timestampAttribute: o.timestampAttribute,
    idAttribute: o.idAttribute,
    deadLetter: o.deadLetter === true,
    maxMessages: o.maxMessages,
    maxOutOfOrdernessMs,
    ackDeadlineSeconds,
    transform: ctx.name,
  });
  const bounded = o.maxMessages !== undefined;
  const outputs: Record<string, { schema: typeof schema; bounded: boolean }> = { main: { schema, bounded } };
  if (o.deadLetter) outputs[DEAD_LETTER_TAG] = { schema: deadLetterSchema.arrow, bounded };
  // The payload holds every option as given, so a runner reading Pub/Sub natively (Dataflow) translates it from the graph.
  const payload = {
    source: "pubsub",
    subscription: subscription!,
    format,
    deadLetter: o.deadLetter === true,
    ...(o.topic ? { topic: o.topic } : {}),
    ...(o.timestampAttribute !== undefined ? { timestampAttribute: o.timestampAttribute } : {}),
    ...(o.idAttribute !== undefined ? { idAttribute: o.idAttribute } : {}),
    ...(o.maxMessages !== undefined ? { maxMessages: o.maxMessages } : {}),
    ...(maxOutOfOrdernessMs !== undefined ? { maxOutOfOrdernessMs } : {}),
    ...(o.ackDeadlineSeconds !== undefined ? { ackDeadlineSeconds: o.ackDeadlineSeconds } : {}),
  };
  return ctx.primitive({ urn: READ_URN, payload, inputs: {}, outputs, fn: source }) as { main: PCollection<T>; deadLetter?: PCollection<DeadLetter> };
}
