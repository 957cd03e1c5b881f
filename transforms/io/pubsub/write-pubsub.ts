/**
 * `writePubSub`: each row published as one message to a Pub/Sub topic (strings as they are, bytes as
 * they are, other rows as JSON), with attributes and an ordering key taken from the row. Publishing
 * is batched by the client and flushed at each checkpoint's barrier (and at the end of the run), so a
 * completed checkpoint means every message before it was accepted by Pub/Sub. Delivery is at least
 * once: after a crash, what was published after the restored checkpoint is published again (set an
 * id attribute and read with `idAttribute` to drop the repeats).
 */
import type { Topic } from "@google-cloud/pubsub";
import { OptionError } from "../../../sdk/errors";
import type { ElementBatch } from "../../../sdk/batch";
import type { JsonValue } from "../../../sdk/graph";
import type { PCollection } from "../../../sdk/pcollection";
import { rowAccessor } from "../../../sdk/rows";
import type { Committer, Sink, SinkWriter } from "../../../sdk/sink";
import { PTransform, type ExpandContext } from "../../../sdk/transform";
import { declareWrite } from "../common";
import { acquirePubsubClient, resourceName } from "./pubsub-client";
import { encodePubsubMessage, messageOf } from "./pubsub-message";

/** Options of {@link writePubSub}. */
export interface WritePubSubOptions<T = unknown> {
  /** The topic, `projects/P/topics/T`. */
  readonly topic: string;
  /** Each message's attributes, from its row (string values). */
  readonly attributes?: (row: T) => Record<string, string>;
  /** Each message's ordering key, from its row: messages with the same key are delivered in publish order (to subscriptions with message ordering). */
  readonly orderingKey?: (row: T) => string;
}

/** Publishing nothing to commit: messages are out once the barrier's flush returns. */
const NOTHING_TO_COMMIT: Committer<JsonValue> = {
  async commit() {
    return [];
  },
  async abort() {},
};

/** The sink behind {@link writePubSub}: one writer publishing through the client's batching. */
export class PubSubSink implements Sink<JsonValue> {
  readonly numShards = 1;
  readonly committer = NOTHING_TO_COMMIT;

  constructor(readonly options: WritePubSubOptions<any>) {}

  async createWriter(): Promise<SinkWriter<JsonValue>> {
    return new PubSubWriter(this.options);
  }

  async abortLingering(): Promise<void> {}

  /** Each row as a message in `PubsubMessage` wire form, for a runner that publishes them itself (Dataflow's native write). */
  encodeMessages(batch: ElementBatch): Uint8Array[] {
    const row = rowAccessor(batch.data);
    const out: Uint8Array[] = new Array(batch.data.numRows);
    for (let i = 0; i < out.length; i++) out[i] = encodePubsubMessage(messageOf(row(i), this.options));
    return out;
  }
}

/** How long a writer keeps its client after a flush with nothing more written (it is opened again on the next write). */
const IDLE_RELEASE_MS = 300;

class PubSubWriter implements SinkWriter<JsonValue> {
  private inFlight: Promise<string>[] = [];
  private open: { topic: Topic; release(): Promise<void> } | null = null;
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly options: WritePubSubOptions<any>) {}

  /** The topic, opening the client when the writer holds none. */
  private get topic(): Topic {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (!this.open) {
      const { project, path } = resourceName(this.options.topic, "topics", "writePubSub");
      const { client, release } = acquirePubsubClient(project);
      this.open = { topic: client.topic(path, { messageOrdering: this.options.orderingKey !== undefined }), release };
    }
    return this.open.topic;
  }

  write(batch: ElementBatch): void | Promise<void> {
    const data = batch.data;
    const row = rowAccessor(data);
    for (let i = 0; i < data.numRows; i++) {
      this.inFlight.push(this.topic.publishMessage(messageOf(row(i), this.options)));
    }
    // Hold back the reader when too much is in flight.
    if (this.inFlight.length >= 10_000) return this.flush();
  }

  /**
   * Flushes what is batched and waits until Pub/Sub accepted every message written so far; lets go of
   * the client if nothing more is written soon (a finished run then leaves no connection open).
   */
  async prepareCommit(): Promise<JsonValue[]> {
    await this.flush();
    const open = this.open;
    if (open && !this.idle) {
      this.idle = setTimeout(() => {
        this.idle = null;
        if (this.open !== open) return;
        this.open = null;
        void open.release();
      }, IDLE_RELEASE_MS);
    }
    return [];
  }

  async abort(): Promise<void> {
    await this.flush().catch(() => {});
  }

  private async flush(): Promise<void> {
    if (!this.open) return;
    const waiting = this.inFlight;
    this.inFlight = [];
    await this.open.topic.flush();
    await Promise.all(waiting);
  }
}

/** Publishes each row to a Pub/Sub topic (`PUBSUB_EMULATOR_HOST` for an emulator, else Application Default Credentials). */
export function writePubSub<T>(options: WritePubSubOptions<T>): PTransform<PCollection<T>, PCollection<{ file: string }>> {
  resourceName(options.topic, "topics", "writePubSub");
  for (const [name, f] of [["attributes", options.attributes], ["orderingKey", options.orderingKey]] as const) {
    if (f !== undefined && typeof f !== "function") {
      throw new OptionError({ code: "BL_PUBSUB_OPTION", where: "writePubSub", value: String(f), rule: `${name} must be a function of the row`, fix: `pass e.g. ${name}: (row) => ${name === "attributes" ? "({ id: row.id })" : "row.userId"}` });
    }
  }
  return new WritePubSub(options);
}

class WritePubSub<T> extends PTransform<PCollection<T>, PCollection<{ file: string }>> {
  constructor(readonly options: WritePubSubOptions<T>) {
    super("WritePubSub");
  }
  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<{ file: string }> {
    // The payload says what a runner publishing natively must know: the topic, and whether rows set attributes or an ordering key.
    const { topic, attributes, orderingKey } = this.options;
    return declareWrite(ctx, input, { format: "pubsub", topic, attributes: attributes !== undefined, orderingKey: orderingKey !== undefined }, new PubSubSink(this.options));
  }
}
