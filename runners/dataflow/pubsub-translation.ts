/**
 * Pub/Sub on Dataflow runs in Dataflow's native transforms, as Beam's SDKs send it: `readPubSub` becomes
 * Beam's `pubsub_read` primitive (Dataflow pulls, acknowledges, de-duplicates by the id attribute and
 * takes event times from the timestamp attribute) whose messages' data Beamline's harness parses into
 * rows with the direct runner's parse; `writePubSub` becomes a Beamline DoFn encoding each row as a
 * `PubsubMessage` followed by Beam's `pubsub_write` primitive. What the native transforms cannot express
 * is refused, with every other refusal, before anything is staged.
 */
import type { GraphTransform, JsonValue } from "../../sdk/graph";
import { payloadOf } from "../../sdk/payload";
import { WRITE_URN } from "../../sdk/sink";
import { READ_URN } from "../../sdk/source";
import { DEFAULT_WINDOWING } from "../../sdk/window";
import { CODER_URNS } from "../portable/coders/coders";
import type { NativeTranslation, NativeTranslationContext } from "../portable/translate-native";

/** Beam's URN of the Pub/Sub read runners implement natively. */
export const PUBSUB_READ_URN = "beam:transform:pubsub_read:v1";

/** Beam's URN of the Pub/Sub write runners implement natively. */
export const PUBSUB_WRITE_URN = "beam:transform:pubsub_write:v1";

type Payload = Readonly<Record<string, JsonValue | undefined>>;

/** Why each `readPubSub` option the native read lacks is refused, and what to do instead. */
const READ_OPTIONS_REFUSED: readonly { option: string; why: string }[] = [
  { option: "maxMessages", why: "Dataflow's native read is unbounded and cannot stop after a number of messages; remove maxMessages (a bounded read of a subscription runs on the direct runner)" },
  { option: "maxOutOfOrdernessMs", why: "Dataflow estimates a Pub/Sub read's watermark itself, from the subscription's backlog; remove maxOutOfOrderness" },
  { option: "ackDeadlineSeconds", why: "Dataflow extends and sends acknowledgements itself, when a message's effects are durable; remove ackDeadlineSeconds" },
];

function translateRead(name: string, t: GraphTransform, p: Payload, ctx: NativeTranslationContext): void {
  for (const { option, why } of READ_OPTIONS_REFUSED) if (p[option] !== undefined) ctx.unsupported(`${name}: readPubSub ${option.replace(/Ms$/, "")}: ${why}`);
  if (p.deadLetter === true && p.timestampAttribute !== undefined) {
    ctx.unsupported(`${name}: readPubSub deadLetter with timestampAttribute: Dataflow reads the timestamp attribute itself, where a message whose attribute is bad fails instead of becoming a dead letter; drop one of the two (the dead letters of bad data still work without timestampAttribute)`);
  }
  const read = `${name}/Read`;
  const delivered = `${read}.out`;
  const payload = ctx.protos.encode("pipeline.PubSubReadPayload", {
    // The read names a topic (Dataflow then pulls a subscription of its own) or a subscription; never both.
    ...(typeof p.topic === "string" ? { topic: p.topic } : { subscription: p.subscription }),
    timestampAttribute: p.timestampAttribute ?? "",
    idAttribute: p.idAttribute ?? "",
    // Rows are made of the data only; the attributes Beamline uses (time, id) are read by Dataflow.
    withAttributes: false,
  });
  ctx.transforms[read] = { uniqueName: read, spec: { urn: PUBSUB_READ_URN, payload }, inputs: {}, outputs: { main: delivered }, environmentId: ctx.environmentId };
  ctx.addPCollection(delivered, ctx.addCoder(CODER_URNS.bytes), DEFAULT_WINDOWING, false);
  const parse = `${name}/Parse`;
  ctx.addDoFn(parse, "parseMessages", name, { main: delivered }, { ...t.outputs });
  ctx.transforms[name] = { uniqueName: name, subtransforms: [read, parse], inputs: {}, outputs: { ...t.outputs } };
}

function translateWrite(name: string, t: GraphTransform, p: Payload, ctx: NativeTranslationContext, streaming: boolean): void {
  if (p.orderingKey === true) {
    ctx.unsupported(`${name}: writePubSub orderingKey: Dataflow's native Pub/Sub write does not publish ordering keys (Beam's WriteToPubSub refuses them there too); remove orderingKey, or run on the direct runner`);
  }
  if (!streaming) {
    ctx.unsupported(`${name}: writePubSub in a batch job: Dataflow publishes to Pub/Sub natively only in streaming jobs; pass --streaming`);
  }
  const written = t.outputs.main;
  const readers = Object.values(ctx.graph.transforms).filter((x) => Object.values(x.inputs).includes(written));
  if (readers.length > 0) {
    ctx.unsupported(`${name}: the output of writePubSub is read by ${readers.map((x) => x.uniqueName).join(", ")}: Dataflow's native write has no output (it publishes, it writes no files); read the messages from a subscription of the topic instead`);
  }
  const input = ctx.graph.pcollections[t.inputs.main];
  const encode = `${name}/Encode`;
  const messages = `${encode}.out`;
  ctx.addDoFn(encode, "encodeMessages", name, { main: t.inputs.main }, { main: messages });
  ctx.addPCollection(messages, ctx.addCoder(CODER_URNS.bytes), ctx.graph.windowingStrategies[input.windowing], input.bounded);
  const write = `${name}/Write`;
  const payload = ctx.protos.encode("pipeline.PubSubWritePayload", { topic: p.topic });
  ctx.transforms[write] = { uniqueName: write, spec: { urn: PUBSUB_WRITE_URN, payload }, inputs: { main: messages }, outputs: {}, environmentId: ctx.environmentId };
  // The native write has no output: the graph's (empty) list of written files is left out.
  delete ctx.pcollections[written];
  ctx.transforms[name] = { uniqueName: name, subtransforms: [encode, write], inputs: { ...t.inputs }, outputs: {} };
}

/** The native translation of Beamline's Pub/Sub reads and writes on Dataflow; `streaming` is whether the job streams. */
export function pubsubTranslation(streaming: boolean): NativeTranslation {
  return (name, t, ctx) => {
    const read = payloadOf(t, READ_URN) as Payload | undefined;
    if (read?.source === "pubsub") {
      translateRead(name, t, read, ctx);
      return true;
    }
    const write = payloadOf(t, WRITE_URN) as Payload | undefined;
    if (write?.format === "pubsub") {
      translateWrite(name, t, write, ctx, streaming);
      return true;
    }
    return false;
  };
}
