/**
 * Translates a Beamline pipeline graph into a Beam Runner API `Pipeline` proto (as a plain object for
 * protobufjs): standard URNs where Beam has them (impulse, group_by_key, flatten, window_into, pardo),
 * Beam's window functions, triggers and coders (the row coder for schema'd PCollections), and Beamline's
 * own DoFn URN for the functions Beamline's SDK harness runs. Sources become impulse + a read DoFn;
 * transactional sinks become shard → group → write → gather → commit. Everything a portable runner
 * cannot execute is reported at once, before submission.
 */
import * as arrow from "apache-arrow";
import { UnsupportedFeatureError } from "../../sdk/errors";
import { canonicalJson, GraphPCollection, GraphTransform, PipelineGraph } from "../../sdk/graph";
import { FLATTEN_URN, GROUP_BY_KEY_URN, kvTypes, RESHUFFLE_URN, WINDOW_INTO_URN } from "../../sdk/kv";
import { PARDO_URN } from "../../sdk/pardo";
import { isStatefulParDo, payloadOf } from "../../sdk/payload";
import { graphSchema } from "../../sdk/pipeline";
import { isScalarSchema } from "../../sdk/schema";
import { READ_URN } from "../../sdk/source";
import { WRITE_URN } from "../../sdk/sink";
import { DEAD_LETTER_TAG } from "../../sdk/dead-letter";
import type { TriggerSpec } from "../../sdk/trigger";
import { DEFAULT_WINDOWING, WindowingStrategy } from "../../sdk/window";
import { CODER_URNS } from "./coders/coders";
import { arrowToBeamSchema } from "./coders/beamschema";
import { CombineLifting, combineLifting, isCombineComposite, translateCombine } from "./translate-combine";
import { isTestStream, testStreamProblem, TestStreamScriptEvent, testStreamSpec, testStreamSupport } from "./translate-teststream";
import { BUNDLE_FINALIZATION_REQUIREMENT, SPLITTABLE_DOFN_REQUIREMENT, uninspectedUnboundedRead, type UnboundedReads } from "./translate-read";
import { endlessCollections, STABLE_INPUT_REQUIREMENT, unboundedWriteProblem, writesSequenced } from "./translate-write";
import { BAG_USER_STATE_URN, STATEFUL_PARDO_REQUIREMENT, statefulParDoFields, statefulProblems } from "./translate-stateful";
import { paneProblems } from "./translate-panes";
import { sharedWatermarkProblem } from "./teststream-watermarks";
import { multiStageProblems } from "./teststream-stages";
import { cutWindowProblem } from "./teststream-window-ends";
import type { Protos } from "./model/protos";
import type { NativeTranslation, NativeTranslationContext } from "./translate-native";
import { BEAMLINE_DOFN_URN, BeamlineDoFnPayload, BeamlineDoFnRole, SEQUENCE_STATE, STABLE_WRITER_STATE } from "./model/payloads";

/** Side input access pattern Beamline uses: the whole PCollection in the window. */
export const ITERABLE_SIDE_INPUT_URN = "beam:side_input:iterable:v1";

/** The environment user functions run in. */
export interface EnvironmentSpec {
  readonly urn: string;
  readonly payload: Uint8Array;
  readonly dependencies?: { typeUrn: string; typePayload: Uint8Array; roleUrn: string; rolePayload: Uint8Array }[];
}

/** Options of {@link translate}. */
export interface TranslateOptions {
  /** The environment of every Beamline transform. */
  readonly environment: EnvironmentSpec;
  /** The pipeline fingerprint (stored in every DoFn payload). */
  readonly fingerprint: string;
  /** The runner's name, for messages. */
  readonly runner: string;
  /** The stateful ParDos whose DoFn has `onWindowExpiration` (see `windowExpirationTransforms`). */
  readonly windowExpiration?: readonly string[];
  /** The scripts of the pipeline's TestStreams, by transform (see `readTestStreamScripts`). */
  readonly testStreams?: Readonly<Record<string, readonly TestStreamScriptEvent[]>>;
  /** Who lifts combines; by default Prism itself, and Beamline for every other runner (see `combineLifting`). */
  readonly combineLifting?: CombineLifting;
  /**
   * What `inspectUnboundedReads` found of the unbounded reads, each translated as a splittable DoFn.
   * Absent: every unbounded read is refused (the runner does not read them through the harness).
   */
  readonly unboundedReads?: UnboundedReads;
  /** The job's parallelism, when the run sets it: sources split into {@link readParts} of it. */
  readonly parallelism?: number;
  /** Translates the transforms the runner runs natively (see translate-native.ts). */
  readonly native?: NativeTranslation;
  /**
   * The runner gives a ParDo that asks for it stable input (Flink with checkpointing: it hands the
   * DoFn only input a completed checkpoint holds): exactly-once sinks of unbounded input write through
   * their sequenced writers (see translate-write.ts).
   */
  readonly stableInput?: boolean;
}

/** Parts a source is split into on a portable runner: four per parallel worker (so uneven parts even out), eight when the parallelism is the runner's own. */
export function readParts(parallelism: number | undefined): number {
  return parallelism && parallelism > 0 ? parallelism * 4 : 8;
}

/** The translated pipeline and the facts the submitting side needs. */
export interface Translation {
  /** The Runner API `Pipeline` as a plain object. */
  readonly pipeline: Record<string, unknown>;
}

/** The environment id used for every Beamline transform. */
export const ENVIRONMENT_ID = "beamline";

const STANDARD_CAPABILITIES = [
  ...Object.values(CODER_URNS).filter((u) => u !== CODER_URNS.stateBackedIterable),
  "beam:protocol:progress_reporting:v1",
  "beam:protocol:harness_monitoring_infos:v1",
];

type Coders = Record<string, { spec: { urn: string; payload?: Uint8Array }; componentCoderIds: string[] }>;

/** Builds coders, sharing equal ones. */
class CoderSet {
  readonly coders: Coders = {};
  private readonly ids = new Map<string, string>();

  add(urn: string, components: string[] = [], payload?: Uint8Array): string {
    const key = `${urn}|${components.join(",")}|${payload ? Buffer.from(payload).toString("base64") : ""}`;
    let id = this.ids.get(key);
    if (!id) {
      id = `c${this.ids.size}_${urn.split(":")[2] ?? "coder"}`;
      this.ids.set(key, id);
      this.coders[id] = { spec: payload ? { urn, payload } : { urn }, componentCoderIds: components };
    }
    return id;
  }
}

/** Seconds and nanos of a duration in ms (protobuf Duration / Timestamp). */
function protoDuration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Translates a trigger spec into Beam's `Trigger` proto. */
export function triggerProto(t: TriggerSpec): Record<string, unknown> {
  switch (t.kind) {
    case "default":
      return { default: {} };
    case "never":
      return { never: {} };
    case "afterWatermark":
      return {
        afterEndOfWindow: {
          ...(t.early ? { earlyFirings: triggerProto(t.early) } : {}),
          ...(t.late ? { lateFirings: triggerProto(t.late) } : {}),
        },
      };
    case "afterProcessingTime":
      return {
        afterProcessingTime: {
          timestampTransforms: t.transforms.map((x) =>
            x.kind === "delay" ? { delay: { delayMillis: x.ms } } : { alignTo: { period: x.period, offset: x.offset } },
          ),
        },
      };
    case "afterCount":
      return { elementCount: { elementCount: t.count } };
    case "repeatedly":
      return { repeat: { subtrigger: triggerProto(t.trigger) } };
    case "afterEach":
      return { afterEach: { subtriggers: t.triggers.map(triggerProto) } };
    case "afterFirst":
      return { afterAny: { subtriggers: t.triggers.map(triggerProto) } };
    case "afterAll":
      return { afterAll: { subtriggers: t.triggers.map(triggerProto) } };
    case "orFinally":
      return { orFinally: { main: triggerProto(t.trigger), finally: triggerProto(t.until) } };
  }
}

/** The element coder of an Arrow type as a bare value, or null when Beamline's value coder must carry it. */
function scalarCoder(coders: CoderSet, type: arrow.DataType, nullable: boolean): string | null {
  let urn: string | null = null;
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) urn = CODER_URNS.stringUtf8;
  else if (arrow.DataType.isBool(type)) urn = CODER_URNS.bool;
  else if (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.DOUBLE) urn = CODER_URNS.double;
  else if (arrow.DataType.isBinary(type)) urn = CODER_URNS.bytes;
  if (!urn) return null;
  const id = coders.add(urn);
  return nullable ? coders.add(CODER_URNS.nullable, [id]) : id;
}

function describeWindowFn(fn: { kind: string; name?: string }): string {
  return fn.name ? `${fn.kind} "${fn.name}"` : fn.kind;
}

/** Translates `graph` for a portable runner; throws one UnsupportedFeatureError listing everything it cannot run. */
export function translate(graph: PipelineGraph, protos: Protos, options: TranslateOptions): Translation {
  const coders = new CoderSet();
  const transforms: Record<string, Record<string, unknown>> = {};
  const pcollections: Record<string, Record<string, unknown>> = {};
  const windowingStrategies: Record<string, Record<string, unknown>> = {};
  // Groupings whose panes the runner would compute differently from the model are refused, never run wrong.
  const unsupported: string[] = paneProblems(graph, options.runner);
  /** PCollections that never end (see `endlessCollections`), computed on the first write. */
  let endless: Set<string> | undefined;
  const multiStage = testStreamSupport(options.runner).multiStage;
  if (multiStage) unsupported.push(...multiStageProblems(graph, Object.keys(graph.transforms).filter((n) => isTestStream(graph, n)), multiStage));
  const env = ENVIRONMENT_ID;

  // PCollections consumed by a GroupByKey travel as KV; GBK outputs as KV<K, Iterable<V>>.
  const gbkInputs = new Set<string>();
  for (const t of Object.values(graph.transforms)) if (t.urn === GROUP_BY_KEY_URN && t.subtransforms.length === 0) gbkInputs.add(t.inputs.main);
  // A stateful ParDo's input travels as KV too: runners partition it, its state and its timers by key.
  for (const t of Object.values(graph.transforms)) if (isStatefulParDo(t)) gbkInputs.add(t.inputs.main);
  const requirements = new Set<string>();

  const elementCoder = (pc: GraphPCollection): string => {
    const schema = graphSchema(pc);
    if (schema && isScalarSchema(schema)) {
      const c = scalarCoder(coders, schema.fields[0].type, schema.fields[0].nullable);
      if (c) return c;
    }
    if (schema && !isScalarSchema(schema)) {
      const beam = arrowToBeamSchema(schema, pc.id);
      if (beam) return coders.add(CODER_URNS.row, [], protos.encode("pipeline.Schema", beam));
    }
    return coders.add(CODER_URNS.value);
  };
  const kvCoderOf = (pc: GraphPCollection): string => {
    const types = kvTypes(graphSchema(pc));
    const part = (type: arrow.DataType | undefined) => (type && scalarCoder(coders, type, true)) ?? coders.add(CODER_URNS.value);
    return coders.add(CODER_URNS.kv, [part(types?.key), part(types?.value)]);
  };
  const windowingIds = new Map<string, string>();
  const windowing = (w: WindowingStrategy): string => {
    const key = canonicalJson(w);
    const hit = windowingIds.get(key);
    if (hit) return hit;
    const id = `ws${windowingIds.size}`;
    windowingIds.set(key, id);
    const fn = w.windowFn;
    let windowFn: Record<string, unknown>;
    let merge = "NON_MERGING";
    let windowCoder = coders.add(CODER_URNS.intervalWindow);
    switch (fn.kind) {
      case "global":
        windowFn = { urn: "beam:window_fn:global_windows:v1" };
        windowCoder = coders.add(CODER_URNS.globalWindow);
        break;
      case "fixed":
        windowFn = {
          urn: "beam:window_fn:fixed_windows:v1",
          payload: protos.encode("pipeline.FixedWindowsPayload", { size: protoDuration(fn.size), offset: protoDuration(fn.offset) }),
        };
        break;
      case "sliding":
        windowFn = {
          urn: "beam:window_fn:sliding_windows:v1",
          payload: protos.encode("pipeline.SlidingWindowsPayload", { size: protoDuration(fn.size), period: protoDuration(fn.period), offset: protoDuration(fn.offset) }),
        };
        break;
      case "sessions":
        windowFn = { urn: "beam:window_fn:session_windows:v1", payload: protos.encode("pipeline.SessionWindowsPayload", { gapSize: protoDuration(fn.gap) }) };
        merge = "NEEDS_MERGE";
        break;
      default:
        // Runners rebuild window functions from their URNs (to merge, to expire state): only Beam's
        // standard ones can cross; a custom function would be unknown to them.
        unsupported.push(`window function ${describeWindowFn(fn)}: only Beam's standard window functions (global, fixed, sliding, sessions) run on ${options.runner}`);
        windowFn = { urn: "beam:window_fn:global_windows:v1" };
    }
    windowingStrategies[id] = {
      windowFn,
      mergeStatus: merge,
      windowCoderId: windowCoder,
      trigger: triggerProto(w.trigger as TriggerSpec),
      accumulationMode: w.accumulation === "accumulating" ? "ACCUMULATING" : "DISCARDING",
      outputTime: w.timestampCombiner === "earliest" ? "EARLIEST_IN_PANE" : w.timestampCombiner === "latest" ? "LATEST_IN_PANE" : "END_OF_WINDOW",
      closingBehavior: w.closingBehavior === "fireAlways" ? "EMIT_ALWAYS" : "EMIT_IF_NONEMPTY",
      allowedLateness: w.allowedLateness,
      // Unset, not Beam's default (FIRE_ALWAYS, which the direct runner follows): with it, Beam's Flink
      // runner adds empty on-time panes to windows whose on-time pane had data, and Prism ignores the
      // field. A strategy that chooses passes its choice.
      onTimeBehavior: w.onTimeBehavior === "fireAlways" ? "FIRE_ALWAYS" : "FIRE_IF_NONEMPTY",
      assignsToOneWindow: fn.kind !== "sliding",
      environmentId: "",
    };
    return id;
  };

  const addPCollection = (id: string, coderId: string, ws: WindowingStrategy, bounded: boolean) => {
    pcollections[id] = { uniqueName: id, coderId, isBounded: bounded ? "BOUNDED" : "UNBOUNDED", windowingStrategyId: windowing(ws) };
  };
  const globalWs = DEFAULT_WINDOWING;
  const grouped = new Map<string, string>(); // GBK output id -> its input id
  for (const t of Object.values(graph.transforms)) if (t.urn === GROUP_BY_KEY_URN && t.subtransforms.length === 0) grouped.set(t.outputs.main, t.inputs.main);

  for (const pc of Object.values(graph.pcollections)) {
    const ws = graph.windowingStrategies[pc.windowing];
    let coderId: string;
    if (grouped.has(pc.id)) {
      const input = graph.pcollections[grouped.get(pc.id)!];
      const kv = coders.coders[kvCoderOf(input)];
      coderId = coders.add(CODER_URNS.kv, [kv.componentCoderIds[0], coders.add(CODER_URNS.iterable, [kv.componentCoderIds[1]])]);
    } else if (gbkInputs.has(pc.id)) coderId = kvCoderOf(pc);
    else coderId = elementCoder(pc);
    addPCollection(pc.id, coderId, ws, pc.bounded);
  }

  const dofn = (role: BeamlineDoFnRole, transform: string, sideInputs: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Uint8Array => {
    const payload: BeamlineDoFnPayload = { role, transform, fingerprint: options.fingerprint, ...(role === "splitRead" ? { parts: readParts(options.parallelism) } : {}) };
    return protos.encode("pipeline.ParDoPayload", {
      doFn: { urn: BEAMLINE_DOFN_URN, payload: Buffer.from(JSON.stringify(payload)) },
      sideInputs,
      ...extra,
    });
  };
  const pardo = (id: string, role: BeamlineDoFnRole, graphName: string, inputs: Record<string, string>, outputs: Record<string, string>, sideInputs: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => {
    transforms[id] = {
      uniqueName: id,
      spec: { urn: "beam:transform:pardo:v1", payload: dofn(role, graphName, sideInputs, extra) },
      inputs,
      outputs,
      environmentId: env,
    };
  };
  const gbk = (id: string, input: string, output: string) => {
    transforms[id] = { uniqueName: id, spec: { urn: GROUP_BY_KEY_URN }, inputs: { main: input }, outputs: { main: output } };
  };
  const composite = (t: GraphTransform, subs: string[]) => {
    transforms[t.uniqueName] = { uniqueName: t.uniqueName, subtransforms: subs, inputs: { ...t.inputs }, outputs: { ...t.outputs } };
  };
  /**
   * The first steps of write `name` of `main`: key each row by shard with its timestamp, window and pane
   * beside it (`reified`: the coder of row and metadata), then rewindow into the global window (`wsOut`).
   */
  const shardIntoGlobalWindow = (name: string, main: string, mainPc: GraphPCollection) => {
    const key = `${name}/KeyByShard`;
    const keyed = `${key}.out`;
    pardo(key, "writeKey", name, { main }, { main: keyed });
    const reified = coders.add(CODER_URNS.kv, [elementCoder(mainPc), coders.add(CODER_URNS.value)]);
    const keyedCoder = coders.add(CODER_URNS.kv, [coders.add(CODER_URNS.varint), reified]);
    addPCollection(keyed, keyedCoder, graph.windowingStrategies[mainPc.windowing], mainPc.bounded);
    const ws = `${name}/Rewindow`;
    const wsOut = `${ws}.out`;
    transforms[ws] = {
      uniqueName: ws,
      spec: { urn: WINDOW_INTO_URN, payload: protos.encode("pipeline.WindowIntoPayload", { windowFn: { urn: "beam:window_fn:global_windows:v1" } }) },
      inputs: { main: keyed },
      outputs: { out: wsOut },
      environmentId: env,
    };
    addPCollection(wsOut, keyedCoder, globalWs, mainPc.bounded);
    return { key, ws, wsOut, reified };
  };

  const visit = (name: string): string => {
    const t = graph.transforms[name];
    if (t.subtransforms.length > 0) {
      // Combines become Beam's combine-per-key (lifted by the runner or here); other composites keep their structure.
      if (isCombineComposite(t, graph)) return translateCombine(t, combineContext);
      composite(t, t.subtransforms.map(visit));
      return name;
    }
    if (options.native?.(name, t, nativeContext)) return name;
    const main = t.inputs.main;
    const mainPc = main ? graph.pcollections[main] : undefined;
    switch (t.urn) {
      case PARDO_URN: {
        const payload = payloadOf(t, PARDO_URN)!;
        let stateful: Record<string, unknown> = {};
        if (payload.stateful) {
          const input = pcollections[main];
          const keyCoder = coders.coders[input.coderId as string].componentCoderIds[0];
          const windowCoder = windowingStrategies[input.windowingStrategyId as string].windowCoderId as string;
          const timerCoder = coders.add(CODER_URNS.timer, [keyCoder, windowCoder]);
          stateful = statefulParDoFields(name, payload, { value: coders.add(CODER_URNS.value), timer: timerCoder }, options.windowExpiration?.includes(name));
          requirements.add(STATEFUL_PARDO_REQUIREMENT);
          unsupported.push(...statefulProblems(name, payload, options.runner));
        }
        const sides: Record<string, unknown> = {};
        for (const tag of Object.keys(t.inputs)) {
          if (!tag.startsWith("side:")) continue;
          const sideWs = graph.windowingStrategies[graph.pcollections[t.inputs[tag]].windowing];
          if (sideWs.windowFn.kind === "sessions") unsupported.push(`${name}: side input ${tag.slice(5)} is session-windowed`);
          sides[tag] = {
            accessPattern: { urn: ITERABLE_SIDE_INPUT_URN },
            viewFn: { urn: "beamline:view_fn:rows:v1" },
            windowMappingFn: { urn: "beam:window_mapping_fn:default:v1" },
          };
        }
        pardo(name, "pardo", name, { ...t.inputs }, { ...t.outputs }, sides, stateful);
        return name;
      }
      case READ_URN: {
        if (isTestStream(graph, name)) {
          // The runner drives the script itself.
          const script = options.testStreams?.[name];
          const coderIds = Object.fromEntries(Object.entries(t.outputs).map(([tag, pc]) => [tag, pcollections[pc].coderId as string]));
          const streams = Object.keys(graph.transforms).filter((n) => isTestStream(graph, n)).length;
          const support = testStreamSupport(options.runner);
          const problem =
            testStreamProblem(script, support, options.runner, streams, Object.keys(coderIds).length) ??
            (script && support.sharedWatermark ? sharedWatermarkProblem(graph, name, script, support.sharedWatermark) : null) ??
            (script && support.cutWindows ? cutWindowProblem(graph, name, script, support.cutWindows) : null);
          if (problem || !script) unsupported.push(`${name}: ${problem}`);
          else {
            const ctx = { protos, coders: coders.coders, addCoder: (urn: string) => coders.add(urn), support };
            transforms[name] = { uniqueName: name, spec: testStreamSpec(script, coderIds, ctx), inputs: {}, outputs: { ...t.outputs } };
          }
          return name;
        }
        // An unbounded read is a splittable DoFn: the runner expands it into Beam's SDF steps, and
        // resumes the residual each bundle leaves.
        const unbounded = !graph.pcollections[t.outputs.main].bounded;
        if (unbounded && !options.unboundedReads) unsupported.push(`${name}: ${uninspectedUnboundedRead(options.runner)}`);
        if (unbounded) requirements.add(SPLITTABLE_DOFN_REQUIREMENT);
        const finalizes = unbounded && (options.unboundedReads?.finalizing.includes(name) ?? false);
        if (finalizes) requirements.add(BUNDLE_FINALIZATION_REQUIREMENT);
        const impulse = `${name}/Impulse`;
        const impulseOut = `${name}/Impulse.out`;
        transforms[impulse] = { uniqueName: impulse, spec: { urn: "beam:transform:impulse:v1" }, inputs: {}, outputs: { out: impulseOut } };
        addPCollection(impulseOut, coders.add(CODER_URNS.bytes), globalWs, true);
        // Split into parts where the impulse arrives, redistribute the parts (Beam's reshuffle, which
        // the runner spreads over its parallel workers), read each part where it lands.
        const splitter = `${name}/Split`;
        const partsOut = `${name}/Split.out`;
        pardo(splitter, "splitRead", name, { main: impulseOut }, { main: partsOut });
        addPCollection(partsOut, coders.add(CODER_URNS.bytes), globalWs, true);
        const spread = `${name}/Spread`;
        const spreadIdentity = `${spread}/Identity`;
        const spreadOut = `${name}/Spread.out`;
        pardo(spreadIdentity, "identity", name, { main: partsOut }, { main: spreadOut });
        addPCollection(spreadOut, coders.add(CODER_URNS.bytes), globalWs, true);
        transforms[spread] = { uniqueName: spread, spec: { urn: RESHUFFLE_URN }, subtransforms: [spreadIdentity], inputs: { main: partsOut }, outputs: { main: spreadOut } };
        const reader = `${name}/Read`;
        pardo(reader, "readPart", name, { main: spreadOut }, { ...t.outputs }, {}, unbounded ? { restrictionCoderId: coders.add(CODER_URNS.bytes), requestsFinalization: finalizes } : {});
        transforms[name] = { uniqueName: name, subtransforms: [impulse, splitter, spread, reader], inputs: {}, outputs: { ...t.outputs } };
        return name;
      }
      case WRITE_URN: {
        if (t.outputs[DEAD_LETTER_TAG] !== undefined) unsupported.push(`${name}: a sink's dead-letter output (deadLetter: true) runs on the direct runner only`);
        if (!mainPc!.bounded && (endless ??= endlessCollections(graph)).has(main!) && options.stableInput && writesSequenced(payloadOf(t, WRITE_URN)!)) {
          // Stable input keyed by shard (in the global window, so a shard's counter is one cell whatever
          // the rows' windows), numbered in each shard's state and written exactly once.
          const { key, ws, wsOut, reified } = shardIntoGlobalWindow(name, main!, mainPc!);
          const protocol = { urn: BAG_USER_STATE_URN };
          const valueState = { readModifyWriteSpec: { coderId: coders.add(CODER_URNS.value) }, protocol };
          // Numbered in a stateful stage of its own; written by a stable-input stage that reads no state.
          const number = `${name}/Number`;
          const numbered = `${number}.out`;
          pardo(number, "writeNumber", name, { main: wsOut }, { main: numbered }, {}, { stateSpecs: { [SEQUENCE_STATE]: valueState } });
          const numberedCoder = coders.add(CODER_URNS.kv, [coders.add(CODER_URNS.varint), coders.add(CODER_URNS.kv, [reified, coders.add(CODER_URNS.varint)])]);
          addPCollection(numbered, numberedCoder, globalWs, false);
          const writer = `${name}/WriteSequenced`;
          pardo(writer, "writeSequenced", name, { main: numbered }, { ...t.outputs }, {}, { requiresStableInput: true, stateSpecs: { [STABLE_WRITER_STATE]: valueState } });
          requirements.add(STATEFUL_PARDO_REQUIREMENT);
          requirements.add(STABLE_INPUT_REQUIREMENT);
          transforms[name] = { uniqueName: name, subtransforms: [key, ws, number, writer], inputs: { ...t.inputs }, outputs: { ...t.outputs } };
          return name;
        }
        if (!mainPc!.bounded && (endless ??= endlessCollections(graph)).has(main!)) {
          // An unbounded input that never ends: each bundle writes and flushes, where the sink allows it.
          const problem = unboundedWriteProblem(payloadOf(t, WRITE_URN)!, options.runner);
          if (problem) unsupported.push(`${name}: ${problem}`);
          const writer = `${name}/WriteBundles`;
          pardo(writer, "writeBundle", name, { main }, { ...t.outputs });
          transforms[name] = { uniqueName: name, subtransforms: [writer], inputs: { ...t.inputs }, outputs: { ...t.outputs } };
          return name;
        }
        // Key rows by shard with each row's timestamp, window and pane beside it (sinks receive them, as on
        // the direct runner), rewindow into the global window, group, write each shard, gather with a seed
        // (so the sink commits even when no row came, as on the direct runner), commit.
        const { key, ws, wsOut, reified } = shardIntoGlobalWindow(name, main!, mainPc!);
        const group = `${name}/GroupShards`;
        const groupedOut = `${group}.out`;
        gbk(group, wsOut, groupedOut);
        addPCollection(groupedOut, coders.add(CODER_URNS.kv, [coders.add(CODER_URNS.varint), coders.add(CODER_URNS.iterable, [reified])]), globalWs, mainPc!.bounded);
        const write = `${name}/WriteShards`;
        const staged = `${write}.out`;
        pardo(write, "writeShard", name, { main: groupedOut }, { main: staged });
        const stagedCoder = coders.add(CODER_URNS.kv, [coders.add(CODER_URNS.varint), coders.add(CODER_URNS.value)]);
        addPCollection(staged, stagedCoder, globalWs, mainPc!.bounded);
        const seedImpulse = `${name}/SeedImpulse`;
        const seedImpulseOut = `${seedImpulse}.out`;
        transforms[seedImpulse] = { uniqueName: seedImpulse, spec: { urn: "beam:transform:impulse:v1" }, inputs: {}, outputs: { out: seedImpulseOut } };
        addPCollection(seedImpulseOut, coders.add(CODER_URNS.bytes), globalWs, true);
        const seed = `${name}/Seed`;
        const seedOut = `${seed}.out`;
        pardo(seed, "writeSeed", name, { main: seedImpulseOut }, { main: seedOut });
        addPCollection(seedOut, stagedCoder, globalWs, true);
        const all = `${name}/Staged`;
        const allOut = `${all}.out`;
        transforms[all] = { uniqueName: all, spec: { urn: FLATTEN_URN }, inputs: { staged, seed: seedOut }, outputs: { out: allOut } };
        addPCollection(allOut, stagedCoder, globalWs, mainPc!.bounded);
        const gather = `${name}/Gather`;
        const gathered = `${gather}.out`;
        gbk(gather, allOut, gathered);
        addPCollection(gathered, coders.add(CODER_URNS.kv, [coders.add(CODER_URNS.varint), coders.add(CODER_URNS.iterable, [coders.add(CODER_URNS.value)])]), globalWs, mainPc!.bounded);
        const commit = `${name}/Commit`;
        pardo(commit, "commit", name, { main: gathered }, { ...t.outputs });
        transforms[name] = { uniqueName: name, subtransforms: [key, ws, group, write, seedImpulse, seed, all, gather, commit], inputs: { ...t.inputs }, outputs: { ...t.outputs } };
        return name;
      }
      case GROUP_BY_KEY_URN:
        gbk(name, main, t.outputs.main);
        return name;
      case FLATTEN_URN: {
        // Runners pass a Flatten's input bytes on as its output's (Prism fuses it away): an input whose
        // coder differs from the output's is first re-encoded by an identity DoFn into the output's coder.
        const outCoder = pcollections[t.outputs.main].coderId;
        const inputs: Record<string, string> = {};
        const converts: string[] = [];
        for (const [tag, pc] of Object.entries(t.inputs)) {
          if (pcollections[pc].coderId === outCoder) {
            inputs[tag] = pc;
            continue;
          }
          const convert = `${name}/Encode_${tag}`;
          inputs[tag] = `${convert}.out`;
          pardo(convert, "identity", name, { main: pc }, { main: inputs[tag] });
          pcollections[inputs[tag]] = { ...pcollections[pc], uniqueName: inputs[tag], coderId: outCoder };
          converts.push(convert);
        }
        if (converts.length === 0) {
          transforms[name] = { uniqueName: name, spec: { urn: FLATTEN_URN }, inputs, outputs: { ...t.outputs } };
          return name;
        }
        const flatten = `${name}/Flatten`;
        transforms[flatten] = { uniqueName: flatten, spec: { urn: FLATTEN_URN }, inputs, outputs: { ...t.outputs } };
        transforms[name] = { uniqueName: name, subtransforms: [...converts, flatten], inputs: { ...t.inputs }, outputs: { ...t.outputs } };
        return name;
      }
      case WINDOW_INTO_URN: {
        const ws = graph.windowingStrategies[graph.pcollections[t.outputs.main].windowing];
        const fnId = windowing(ws);
        transforms[name] = {
          uniqueName: name,
          spec: { urn: WINDOW_INTO_URN, payload: protos.encode("pipeline.WindowIntoPayload", { windowFn: windowingStrategies[fnId].windowFn }) },
          inputs: { main },
          outputs: { ...t.outputs },
          environmentId: env,
        };
        return name;
      }
      case RESHUFFLE_URN: {
        // Beam's reshuffle composite: a runner that knows the URN breaks fusion there (Prism, Flink); others run its identity.
        const identity = `${name}/Identity`;
        pardo(identity, "identity", name, { main }, { ...t.outputs });
        transforms[name] = { uniqueName: name, spec: { urn: RESHUFFLE_URN }, subtransforms: [identity], inputs: { main }, outputs: { ...t.outputs } };
        return name;
      }
      default:
        unsupported.push(`${name} (${t.urn})`);
        return name;
    }
  };
  const combineContext = {
    graph,
    protos,
    fingerprint: options.fingerprint,
    environmentId: env,
    lifting: options.combineLifting ?? combineLifting(options.runner),
    transforms,
    pcollections,
    coders: coders.coders,
    addCoder: (urn: string, components?: string[]) => coders.add(urn, components),
    visit,
  };
  const nativeContext: NativeTranslationContext = {
    graph,
    protos,
    environmentId: env,
    transforms,
    pcollections,
    addCoder: (urn, components) => coders.add(urn, components),
    addPCollection,
    addDoFn: (id, role, graphName, inputs, outputs) => pardo(id, role, graphName, inputs, outputs),
    unsupported: (message) => unsupported.push(message),
  };
  const roots = graph.roots.map(visit);

  if (unsupported.length > 0) {
    const error = new UnsupportedFeatureError({
      code: "BL_PORTABLE_UNSUPPORTED",
      rule: `the ${options.runner} runner cannot execute ${unsupported.length} part(s) of this pipeline:\n${unsupported.map((u) => `  - ${u}`).join("\n")}\n`,
      fix: "run it on the direct runner, or remove or replace those parts",
    });
    // The list in full, for programs (the message holds it too, untruncated).
    Object.defineProperty(error, "value", { value: unsupported });
    throw error;
  }

  const pipeline = {
    components: {
      transforms,
      pcollections,
      windowingStrategies,
      coders: coders.coders,
      environments: {
        [env]: {
          urn: options.environment.urn,
          payload: options.environment.payload,
          capabilities: STANDARD_CAPABILITIES,
          dependencies: options.environment.dependencies ?? [],
        },
      },
    },
    rootTransformIds: roots,
    requirements: [...requirements],
  };
  return { pipeline };
}
