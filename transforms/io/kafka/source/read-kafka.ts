/** `readKafka`: the read transform over {@link KafkaSource}. */
import type { PCollection } from "../../../../sdk/pcollection";
import { READ_URN } from "../../../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../../../sdk/transform";
import { DEAD_LETTER_TAG, deadLetterSchema, type WithDeadLetters } from "../../../../sdk/dead-letter";
import { checkSchemaSupported } from "../../common";
import { parseBrokers } from "../client/connection";
import { kafkaRowSchema } from "./decode";
import type { KafkaSource as KafkaSourceClass } from "./kafka-source";
import { readSettings, type ReadKafkaOptions } from "./options";

/** A Kafka record as a row: its key, value (or the json schema's fields), where it is, its timestamp and headers. */
export type KafkaRow<V> = {
  readonly key: string | Uint8Array | null;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly headers: readonly { readonly key: string; readonly value: Uint8Array | null }[];
} & V;

class ReadKafka extends PTransform<PBegin, any> {
  constructor(readonly options: ReadKafkaOptions<any>) {
    super("ReadKafka");
  }

  expand(_input: PBegin, ctx: ExpandContext): any {
    const where = `transform "${ctx.name}"`;
    const s = readSettings(this.options, where);
    const rowSchema = kafkaRowSchema(s.format, s.valueSchema);
    checkSchemaSupported(rowSchema, "readKafka");
    const source = new (kafkaSourceClass())(s, rowSchema, ctx.name);
    const bounded = s.bounded;
    const outputs: Record<string, { schema: typeof rowSchema; bounded: boolean }> = { main: { schema: rowSchema, bounded } };
    if (s.deadLetter) outputs[DEAD_LETTER_TAG] = { schema: deadLetterSchema.arrow, bounded };
    const payload = {
      source: "kafka",
      format: s.format,
      brokers: parseBrokers(this.options.brokers, where),
      topics: s.topics instanceof RegExp ? { regexp: s.topics.source, flags: s.topics.flags } : [...s.topics],
      stopAt: bounded ? "end" : null,
      groupId: s.groupId,
      deadLetter: s.deadLetter,
    };
    const out = ctx.primitive({ urn: READ_URN, payload, inputs: {}, outputs, fn: source });
    return s.deadLetter ? { main: out.main, deadLetter: out.deadLetter } : out.main;
  }
}

type ValueOf<O> = O extends { format: "json" } ? (O extends ReadKafkaOptions<infer T> ? T : unknown) : O extends { format: "bytes" } ? { readonly value: Uint8Array | null } : { readonly value: string | null };

/** Reads Kafka topics as rows `{key, value (or the json schema's fields), topic, partition, offset, timestamp, headers}`. */
export function readKafka<O extends ReadKafkaOptions<any> & { deadLetter?: false }>(options: O): PTransform<PBegin, PCollection<KafkaRow<ValueOf<O>>>>;
/** Reads Kafka topics, routing undecodable records to `deadLetter`. */
export function readKafka<O extends ReadKafkaOptions<any> & { deadLetter: true }>(options: O): PTransform<PBegin, WithDeadLetters<KafkaRow<ValueOf<O>>>>;
export function readKafka(options: ReadKafkaOptions<any>): PTransform<PBegin, any> {
  return new ReadKafka(options);
}

/** The Kafka source class, loaded when a read is built: importing Beamline does not load kafkajs. */
function kafkaSourceClass(): typeof KafkaSourceClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("./kafka-source") as typeof import("./kafka-source")).KafkaSource;
}
