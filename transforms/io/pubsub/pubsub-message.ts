/**
 * A Pub/Sub message as Beamline reads and writes it, wherever the pulling and publishing happen (the
 * direct runner's client, or Dataflow's native read and write): the one parse of a delivered message
 * into a row and an event time (or the error that makes it a dead letter), the one shaping of a row
 * into a message to publish, and Pub/Sub's `PubsubMessage` wire form that Dataflow's native write takes.
 */
import type * as arrow from "apache-arrow";
import * as protobuf from "protobufjs";
import { BeamlineError, IOError } from "../../../sdk/errors";
import { rowsToRecordBatch } from "../../../sdk/rows";
import { toJson } from "../to-json";

/** What parsing a delivered message needs of its read. */
export interface MessageFormat {
  readonly format: "string" | "bytes" | "json";
  /** The row schema (checked for `json`). */
  readonly schema: arrow.Schema;
  /** The attribute holding the event time; unset: the message's time is its publish time. */
  readonly timestampAttribute?: string;
  /** The read's transform name, for errors. */
  readonly transform: string;
}

/** A delivered message: its id (empty when the runner does not give it), data, attributes and publish time (ms). */
export interface DeliveredMessage {
  readonly id: string;
  readonly data: Uint8Array;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly publishTime: number;
}

/** A message's row and event time, or the error that makes it a dead letter. */
export function parseMessage(f: MessageFormat, m: DeliveredMessage): { row: unknown; time: number } | BeamlineError {
  let time = m.publishTime;
  const ta = f.timestampAttribute;
  if (ta) {
    const raw = m.attributes?.[ta];
    const parsed = raw === undefined ? NaN : /^-?\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(parsed)) return badMessage(m, `its timestamp attribute "${ta}" is ${raw === undefined ? "missing" : `"${raw}", neither milliseconds since the epoch nor an RFC 3339 time`}`, `publish it with attribute ${ta} set to the event time`);
    time = parsed;
  }
  if (f.format === "bytes") return { row: new Uint8Array(m.data), time };
  const text = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString("utf8");
  if (f.format === "string") return { row: text, time };
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (e) {
    return badMessage(m, `its data is not valid JSON (${(e as Error).message})`, 'publish JSON, or read with format "string"');
  }
  try {
    rowsToRecordBatch([row], f.schema, f.transform);
  } catch (e) {
    if (e instanceof BeamlineError) return badMessage(m, `its row does not fit the schema: ${e.rule}`, e.fix ?? "publish rows that fit the schema");
    throw e;
  }
  return { row, time };
}

function badMessage(m: DeliveredMessage, rule: string, fix: string): IOError {
  return new IOError({
    code: "BL_PUBSUB_BAD_MESSAGE",
    where: m.id ? `Pub/Sub message ${m.id}` : "a Pub/Sub message",
    value: Buffer.from(m.data).toString("utf8").slice(0, 200),
    rule: `the message cannot be read: ${rule}`,
    fix: `${fix}; or pass { deadLetter: true } to route such messages to a dead-letter output`,
  });
}

/** How rows become messages; see `WritePubSubOptions`. */
export interface MessageShape<T = unknown> {
  readonly attributes?: (row: T) => Record<string, string>;
  readonly orderingKey?: (row: T) => string;
}

/** The message a row is published as: strings and bytes as they are, other rows as JSON. */
export function messageOf<T>(row: T, shape: MessageShape<T>): { data: Buffer; attributes?: Record<string, string>; orderingKey?: string } {
  return {
    data: Buffer.from(row instanceof Uint8Array ? row : typeof row === "string" ? row : toJson(row)),
    ...(shape.attributes ? { attributes: shape.attributes(row) } : {}),
    ...(shape.orderingKey ? { orderingKey: shape.orderingKey(row) } : {}),
  };
}

/** Pub/Sub's `google.pubsub.v1.PubsubMessage`, the fields a publisher sets. */
const PUBSUB_MESSAGE = new protobuf.Type("PubsubMessage")
  .add(new protobuf.Field("data", 1, "bytes"))
  .add(new protobuf.MapField("attributes", 2, "string", "string"))
  .add(new protobuf.Field("orderingKey", 5, "string"));
new protobuf.Root().add(PUBSUB_MESSAGE);

/** A message in `PubsubMessage` wire form, as Dataflow's native Pub/Sub write takes it (and Beam Python's WriteToPubSub sends it). */
export function encodePubsubMessage(m: { data: Uint8Array; attributes?: Record<string, string>; orderingKey?: string }): Uint8Array {
  return PUBSUB_MESSAGE.encode(PUBSUB_MESSAGE.fromObject(m)).finish();
}
