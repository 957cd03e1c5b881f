/**
 * TestStream on portable runners: a TestStream becomes Beam's `beam:transform:teststream:v1` with a
 * TestStreamPayload (element events of encoded, timestamped elements; watermark events; processing-time
 * events), so the runner itself drives the script. The script is read once, before translation, from
 * the TestStream's own source; how elements are encoded depends on what the runner decodes.
 */
import type { PipelineGraph } from "../../sdk/graph";
import { recordBatchToRows } from "../../sdk/rows";
import { READ_URN, type BoundedSource } from "../../sdk/source";
import { payloadOf } from "../../sdk/payload";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../sdk/time";
import { Coder, coderFromProto, CoderProto, CODER_URNS, valueCoder } from "./coders/coders";
import type { Protos } from "./model/protos";
import { ByteWriter } from "./coders/wire";

/** URN of Beam's TestStream primitive. */
export const TEST_STREAM_URN = "beam:transform:teststream:v1";

/** One event of a TestStream script, with its elements decoded to Beamline rows; elements and watermarks name their output tag. */
export type TestStreamScriptEvent =
  | { readonly kind: "elements"; readonly tag: string; readonly rows: readonly unknown[]; readonly timestamps: readonly number[] }
  | { readonly kind: "watermark"; readonly tag: string; readonly to: number }
  | { readonly kind: "processingTime"; readonly advanceBy: number };

/** How a runner takes TestStreams. */
export interface TestStreamSupport {
  /** Whether it can advance processing time (Beam's Flink runner cannot). */
  readonly processingTime: boolean;
  /**
   * How it reads encoded elements: `nested` (self-delimiting, passed on as they are; Prism), or `outer`
   * (decoded by the runner with the coder: Java runners, which cannot decode Beamline's own coders, so
   * those elements travel as bytes).
   */
  readonly elements: "nested" | "outer";
  /** Why the runner cannot take a TestStream at all (then the other fields do not matter). */
  readonly refused?: string;
  /** Why the runner takes at most one TestStream per pipeline, if it does. */
  readonly oneStream?: string;
  /** Why, if it does, the runner takes a TestStream with one output only. */
  readonly oneOutput?: string;
  /** Why, if it does not, the runner gives other results when a TestStream's data meets itself after different numbers of GroupByKeys. */
  readonly multiStage?: string;
  /** Why, if it does not, the runner cannot take elements in windows the end of the global window cuts short. */
  readonly cutWindows?: string;
  /** Why, if it does, the runner advances a TestStream's tagged outputs under one watermark. */
  readonly sharedWatermark?: string;
}

/** What each portable runner does with TestStreams; unknown job services are taken to behave like Prism. */
export function testStreamSupport(runner: string): TestStreamSupport {
  switch (runner) {
    case "flink":
      return {
        processingTime: false,
        elements: "outer",
        oneOutput: "Beam's Flink runner translates a TestStream with one output only, and fails the job with several; give each output its own pipeline, or run it on Prism or the direct runner",
        cutWindows: "Beam's Flink runner fails the job: its TimestampCombiner finds the element after the cut window's last timestamp; run it on Prism or the direct runner",
        multiStage:
          "Beam's Flink runner does not let every stage settle before a TestStream's next event, so later raw elements can come before the grouped result of earlier ones and the DoFn's state differs; run it on Prism or the direct runner",
      };
    case "dataflow":
      return { processingTime: false, elements: "outer", refused: "Dataflow does not run TestStreams" };
    default:
      return {
        processingTime: true,
        elements: "nested",
        oneStream: "Prism's element manager holds a single TestStream handler, its one source of processing time and of event order; tag one TestStream's outputs instead (taggedTestStream)",
        sharedWatermark:
          "Prism advances a TestStream's tagged outputs under one watermark, the furthest any output reached, so those elements are late or dropped there, and a side input's window may never be ready; advance the outputs' watermarks together, or run it on the direct runner",
      };
  }
}

/** Whether a graph transform is a TestStream. */
export function isTestStream(graph: PipelineGraph, name: string): boolean {
  return payloadOf(graph.transforms[name], READ_URN)?.source === "test_stream";
}

/**
 * Reads the script of every TestStream in `graph` from its source (`fn` gives a transform's runtime
 * object): element batches as rows, watermark advances (per output tag), and processing-time
 * advances as durations.
 */
export async function readTestStreamScripts(graph: PipelineGraph, fn: (transform: string) => unknown): Promise<Record<string, TestStreamScriptEvent[]>> {
  const out: Record<string, TestStreamScriptEvent[]> = {};
  for (const name of Object.keys(graph.transforms)) {
    if (!isTestStream(graph, name)) continue;
    const source = fn(name) as BoundedSource;
    const tags = Object.keys(graph.transforms[name].outputs);
    const events: TestStreamScriptEvent[] = [];
    let clock = 0;
    const marks = new Map(tags.map((t) => [t, MIN_TIMESTAMP]));
    const advance = (tag: string, to: number) => {
      if (to <= marks.get(tag)!) return;
      marks.set(tag, to);
      events.push({ kind: "watermark", tag, to });
    };
    for (const part of await source.split(1)) {
      for await (const chunk of source.read(part, null)) {
        if (chunk.batch) events.push({ kind: "elements", tag: chunk.tag ?? "main", rows: recordBatchToRows(chunk.batch.data), timestamps: Array.from(chunk.batch.timestamps) });
        if (chunk.processingTime !== undefined && chunk.processingTime > clock) {
          events.push({ kind: "processingTime", advanceBy: chunk.processingTime - clock });
          clock = chunk.processingTime;
        }
        // One output: its watermark is the source's. Several: each output's is given apart.
        if (chunk.watermarks) for (const [tag, to] of Object.entries(chunk.watermarks)) advance(tag, Math.max(to, chunk.watermark ?? -Infinity));
        else if (chunk.watermark !== undefined) for (const tag of tags) advance(tag, chunk.watermark);
      }
    }
    out[name] = events;
  }
  return out;
}

/** The parts of a translation a TestStream needs. */
export interface TestStreamTranslationContext {
  readonly protos: Protos;
  /** The pipeline's coders so far (the TestStream may add one). */
  readonly coders: Record<string, CoderProto>;
  /** Adds (or finds) a coder; returns its id. */
  readonly addCoder: (urn: string) => string;
  readonly support: TestStreamSupport;
}

/**
 * Why a script cannot run on a runner, or null when it can. `streams` is how many TestStreams the
 * pipeline has; `outputs`, how many outputs the stream has.
 */
export function testStreamProblem(
  script: readonly TestStreamScriptEvent[] | undefined,
  support: TestStreamSupport,
  runner: string,
  streams = 1,
  outputs = 1,
): string | null {
  if (support.refused) return `TestStream (${support.refused})`;
  if (!script) return "TestStream (its script was not read before translation)";
  if (streams > 1 && support.oneStream) return `several TestStreams in one pipeline (${support.oneStream})`;
  if (outputs > 1 && support.oneOutput) return `TestStream with ${outputs} tagged outputs (${support.oneOutput})`;
  if (!support.processingTime && script.some((e) => e.kind === "processingTime")) {
    return `TestStream advancing processing time (Beam's ${runner} runner cannot advance processing time in a TestStream; drive processing-time triggers on Prism or the direct runner)`;
  }
  return null;
}

/**
 * The `spec` of a TestStream transform whose outputs have element coders `elementCoderIds` (by output
 * tag). A stream with one output sends untagged events; one with several names each event's output
 * (Beam's tagged TestStream), the payload naming the first output's coder (Prism passes elements on
 * as they are, each encoded with its own output's coder). Every output's watermark ends at
 * infinity, as Beamline's TestStream always does.
 */
export function testStreamSpec(
  script: readonly TestStreamScriptEvent[],
  elementCoderIds: Readonly<Record<string, string>>,
  ctx: TestStreamTranslationContext,
): { urn: string; payload: Uint8Array } {
  const tags = Object.keys(elementCoderIds);
  const tagged = tags.length > 1;
  const nested = ctx.support.elements === "nested";
  let payloadCoder = "";
  const encoders = new Map<string, (v: unknown) => Uint8Array>();
  for (const tag of tags) {
    const elementCoderId = elementCoderIds[tag];
    // Java runners rebuild the TestStream's coder; Beamline's own value coder is unknown to them, so
    // its elements go as bytes, which they pass on length-prefixed — as the harness reads that coder.
    const asBytes = ctx.support.elements === "outer" && ctx.coders[elementCoderId].spec.urn === CODER_URNS.value;
    const coderId = asBytes ? ctx.addCoder(CODER_URNS.bytes) : elementCoderId;
    payloadCoder ||= coderId;
    const coder: Coder = asBytes ? valueCoder : coderFromProto(elementCoderId, ctx.coders, ctx.protos);
    encoders.set(tag, (v: unknown) => {
      const w = new ByteWriter();
      coder.encode(v, w, nested);
      return w.finish();
    });
  }
  const tagOf = (tag: string) => (tagged ? { tag } : {});
  const events: Record<string, unknown>[] = script.map((e) => {
    switch (e.kind) {
      case "elements": {
        const encode = encoders.get(e.tag)!;
        return { elementEvent: { elements: e.rows.map((v, i) => ({ encodedElement: encode(v), timestamp: int64(e.timestamps[i]) })), ...tagOf(e.tag) } };
      }
      case "watermark":
        return { watermarkEvent: { newWatermark: int64(e.to), ...tagOf(e.tag) } };
      case "processingTime":
        return { processingTimeEvent: { advanceDuration: e.advanceBy } };
    }
  });
  for (const tag of tags) {
    const last = script.filter((e) => e.kind === "watermark" && e.tag === tag).pop();
    if (!last || (last.kind === "watermark" && last.to < MAX_TIMESTAMP)) events.push({ watermarkEvent: { newWatermark: int64(MAX_TIMESTAMP), ...tagOf(tag) } });
  }
  return { urn: TEST_STREAM_URN, payload: ctx.protos.encode("pipeline.TestStreamPayload", { coderId: payloadCoder, events }) };
}

/** A ms timestamp as an int64 field value: Beam's maximum (above 2^53) as its exact decimal string. */
function int64(ms: number): number | string {
  return ms >= MAX_TIMESTAMP ? "9223372036854775" : ms;
}

/**
 * Pipeline options a runner needs to run TestStreams as scripted: streaming mode (Beam's Java runners
 * take TestStreams only in streaming mode), and on Flink one element per bundle at parallelism 1.
 * Flink holds a watermark back while a bundle is in flight, and spreads the stream over parallel
 * subtasks whose watermarks advance independently; either would let an element reach a grouping after
 * a watermark the script put before it (data the script makes droppably late would be on time).
 */
export function testStreamRunOptions(runner: string, testStreams: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (Object.keys(testStreams).length === 0) return {};
  return runner === "flink" ? { streaming: true, max_bundle_size: 1, parallelism: 1 } : { streaming: true };
}
