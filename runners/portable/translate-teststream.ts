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
import { MAX_TIMESTAMP } from "../../sdk/time";
import { Coder, coderFromProto, CoderProto, CODER_URNS, valueCoder } from "./coders/coders";
import type { Protos } from "./model/protos";
import { ByteWriter } from "./coders/wire";

/** URN of Beam's TestStream primitive. */
export const TEST_STREAM_URN = "beam:transform:teststream:v1";

/** One event of a TestStream script, with its elements decoded to Beamline rows. */
export type TestStreamScriptEvent =
  | { readonly kind: "elements"; readonly rows: readonly unknown[]; readonly timestamps: readonly number[] }
  | { readonly kind: "watermark"; readonly to: number }
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
}

/** What each portable runner does with TestStreams; unknown job services are taken to behave like Prism. */
export function testStreamSupport(runner: string): TestStreamSupport {
  switch (runner) {
    case "flink":
      return { processingTime: false, elements: "outer" };
    case "dataflow":
      return { processingTime: false, elements: "outer", refused: "Dataflow does not run TestStreams" };
    default:
      return { processingTime: true, elements: "nested" };
  }
}

/** Whether a graph transform is a TestStream. */
export function isTestStream(graph: PipelineGraph, name: string): boolean {
  return payloadOf(graph.transforms[name], READ_URN)?.source === "test_stream";
}

/**
 * Reads the script of every TestStream in `graph` from its source (`fn` gives a transform's runtime
 * object): element batches as rows, watermark advances, and processing-time advances as durations.
 */
export async function readTestStreamScripts(graph: PipelineGraph, fn: (transform: string) => unknown): Promise<Record<string, TestStreamScriptEvent[]>> {
  const out: Record<string, TestStreamScriptEvent[]> = {};
  for (const name of Object.keys(graph.transforms)) {
    if (!isTestStream(graph, name)) continue;
    const source = fn(name) as BoundedSource;
    const events: TestStreamScriptEvent[] = [];
    let clock = 0;
    let watermark = -Infinity;
    for (const part of await source.split(1)) {
      for await (const chunk of source.read(part, null)) {
        if (chunk.batch) events.push({ kind: "elements", rows: recordBatchToRows(chunk.batch.data), timestamps: Array.from(chunk.batch.timestamps) });
        if (chunk.processingTime !== undefined && chunk.processingTime > clock) {
          events.push({ kind: "processingTime", advanceBy: chunk.processingTime - clock });
          clock = chunk.processingTime;
        }
        if (chunk.watermark !== undefined && chunk.watermark > watermark) {
          watermark = chunk.watermark;
          events.push({ kind: "watermark", to: chunk.watermark });
        }
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

/** Why a script cannot run on a runner, or null when it can. */
export function testStreamProblem(script: readonly TestStreamScriptEvent[] | undefined, support: TestStreamSupport, runner: string): string | null {
  if (support.refused) return `TestStream (${support.refused})`;
  if (!script) return "TestStream (its script was not read before translation)";
  if (!support.processingTime && script.some((e) => e.kind === "processingTime")) {
    return `TestStream advancing processing time (Beam's ${runner} runner cannot advance processing time in a TestStream; drive processing-time triggers on Prism or the direct runner)`;
  }
  return null;
}

/**
 * The `spec` of a TestStream transform whose output PCollection has element coder `elementCoderId`.
 * The watermark ends at infinity, as Beamline's TestStream always does.
 */
export function testStreamSpec(script: readonly TestStreamScriptEvent[], elementCoderId: string, ctx: TestStreamTranslationContext): { urn: string; payload: Uint8Array } {
  const proto = ctx.coders[elementCoderId];
  // Java runners rebuild the TestStream's coder; Beamline's own value coder is unknown to them, so
  // its elements go as bytes, which they pass on length-prefixed — as the harness reads that coder.
  const asBytes = ctx.support.elements === "outer" && proto.spec.urn === CODER_URNS.value;
  const coderId = asBytes ? ctx.addCoder(CODER_URNS.bytes) : elementCoderId;
  const coder: Coder = asBytes ? valueCoder : coderFromProto(elementCoderId, ctx.coders, ctx.protos);
  const nested = ctx.support.elements === "nested";
  const encode = (v: unknown) => {
    const w = new ByteWriter();
    coder.encode(v, w, nested);
    return w.finish();
  };
  const events: Record<string, unknown>[] = script.map((e) => {
    switch (e.kind) {
      case "elements":
        return { elementEvent: { elements: e.rows.map((v, i) => ({ encodedElement: encode(v), timestamp: int64(e.timestamps[i]) })) } };
      case "watermark":
        return { watermarkEvent: { newWatermark: int64(e.to) } };
      case "processingTime":
        return { processingTimeEvent: { advanceDuration: e.advanceBy } };
    }
  });
  const last = script.filter((e) => e.kind === "watermark").pop();
  if (!last || (last.kind === "watermark" && last.to < MAX_TIMESTAMP)) events.push({ watermarkEvent: { newWatermark: int64(MAX_TIMESTAMP) } });
  return { urn: TEST_STREAM_URN, payload: ctx.protos.encode("pipeline.TestStreamPayload", { coderId, events }) };
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

/**
 * Why an unbounded source is refused on portable runners: they read sources through an impulse and a
 * DoFn that reads to the end, and an unbounded read needs a splittable DoFn (restrictions, checkpoints
 * with residuals, watermark estimates), which Beamline's harness does not implement.
 */
export const UNBOUNDED_SOURCE =
  "an unbounded source (portable runs read a source to its end in one DoFn; reading an unbounded one needs a splittable DoFn, which Beamline's harness does not implement) — bound it (generateSequence with `to`, periodicImpulse with `stop`), script it with testStream(), or run it on the direct runner";
