/**
 * Combines on portable runners. A Beamline combine composite (key, group, combine the groups) becomes
 * its KeyBy DoFn followed by Beam's `beam:transform:combine_per_key:v1` with a CombinePayload (the
 * combine function as a Beamline URN naming the composite, and the accumulator coder). What the
 * combine-per-key holds depends on who lifts it:
 * - `runner` (Prism): the GroupByKey expansion — a GroupByKey, then
 *   `beam:transform:combine_grouped_values:v1` — which the runner replaces with precombine →
 *   GroupByKey → merge accumulators → extract outputs (the harness runs every phase);
 * - `sdk` (Beam's Flink runner, which does not lift, and other job services): the lifted phases
 *   themselves, so only one accumulator per key, window and bundle crosses the shuffle.
 * A combine whose trigger counts elements is not lifted (it would count accumulators instead) and
 * travels as a plain composite of its GroupByKey expansion.
 */
import type { GraphTransform, PipelineGraph } from "../../sdk/graph";
import { GROUP_BY_KEY_URN } from "../../sdk/kv";
import type { TriggerSpec } from "../../sdk/trigger";
import type { WindowingStrategy } from "../../sdk/window";
import { CODER_URNS } from "./coders/coders";
import type { Protos } from "./model/protos";
import { BEAMLINE_COMBINE_FN_URN, BeamlineCombineFnPayload, COMBINE_URNS } from "./model/payloads";

/** Who lifts combines: the runner, or Beamline before submission. */
export type CombineLifting = "runner" | "sdk";

/**
 * How a runner's combines are lifted: Prism lifts them itself; Beam's Flink runner does not, and other
 * job services may not, so Beamline lifts them (Java runners take the lifted phases as primitives).
 */
export function combineLifting(runner: string): CombineLifting {
  return runner === "prism" ? "runner" : "sdk";
}

/** Whether a trigger keeps its meaning when it sees accumulators instead of elements (no element counts). */
export function liftableTrigger(t: TriggerSpec): boolean {
  switch (t.kind) {
    case "afterCount":
      return false;
    case "afterWatermark":
      return (!t.early || liftableTrigger(t.early)) && (!t.late || liftableTrigger(t.late));
    case "repeatedly":
      return liftableTrigger(t.trigger);
    case "afterEach":
    case "afterFirst":
    case "afterAll":
      return t.triggers.every(liftableTrigger);
    case "orFinally":
      return liftableTrigger(t.trigger) && liftableTrigger(t.until);
    default:
      return true;
  }
}

/** What {@link translateCombine} needs of the translation in progress. */
export interface CombineTranslationContext {
  readonly graph: PipelineGraph;
  readonly protos: Protos;
  readonly fingerprint: string;
  readonly environmentId: string;
  readonly lifting: CombineLifting;
  /** The Runner API transforms and PCollections so far (the combine adds to them). */
  readonly transforms: Record<string, Record<string, unknown>>;
  readonly pcollections: Record<string, Record<string, unknown>>;
  /** The coder protos so far, by id. */
  readonly coders: Record<string, { componentCoderIds: string[] }>;
  readonly addCoder: (urn: string, components?: string[]) => string;
  /** Translates a graph transform (the KeyBy DoFn) the usual way; returns its id. */
  readonly visit: (name: string) => string;
}

/** Whether a graph transform is a Beamline combine composite this module translates. */
export function isCombineComposite(t: GraphTransform, graph: PipelineGraph): boolean {
  if (t.urn !== COMBINE_URNS.perKey && t.urn !== "beam:transform:combine_globally:v1") return false;
  const subs = t.subtransforms.map((n) => graph.transforms[n]);
  return subs.length === 3 && subs[1].urn === GROUP_BY_KEY_URN && subs[1].subtransforms.length === 0;
}

/**
 * Translates combine composite `t` (subtransforms KeyBy, GroupByKey, CombineValues) into the KeyBy DoFn
 * and a combine-per-key; returns the composite's id.
 */
export function translateCombine(t: GraphTransform, ctx: CombineTranslationContext): string {
  const graph = ctx.graph;
  const [keyBy, gbkName, valuesName] = t.subtransforms;
  const gbk = graph.transforms[gbkName];
  const keyed = gbk.inputs.main;
  const groupedPc = gbk.outputs.main;
  const out = t.outputs.main;
  const ws = graph.windowingStrategies[graph.pcollections[keyed].windowing] as WindowingStrategy;
  const lift = liftableTrigger(ws.trigger as TriggerSpec);
  const accumulator = ctx.addCoder(CODER_URNS.value);
  const fn: BeamlineCombineFnPayload = { transform: t.uniqueName, fingerprint: ctx.fingerprint };
  const payload = ctx.protos.encode("pipeline.CombinePayload", {
    combineFn: { urn: BEAMLINE_COMBINE_FN_URN, payload: Buffer.from(JSON.stringify(fn)) },
    accumulatorCoderId: accumulator,
  });
  const inner = `${t.uniqueName}/CombinePerKey`;
  const phase = (id: string, urn: string, input: string, output: string) => {
    ctx.transforms[id] = { uniqueName: id, spec: { urn, payload }, inputs: { main: input }, outputs: { main: output }, environmentId: ctx.environmentId };
    return id;
  };
  const groupBy = (id: string, input: string, output: string) => {
    ctx.transforms[id] = { uniqueName: id, spec: { urn: GROUP_BY_KEY_URN }, inputs: { main: input }, outputs: { main: output } };
    return id;
  };
  let subs: string[];
  if (lift && ctx.lifting === "sdk") {
    const keyCoder = ctx.coders[ctx.pcollections[keyed].coderId as string].componentCoderIds[0];
    const kvAcc = ctx.addCoder(CODER_URNS.kv, [keyCoder, accumulator]);
    const grouped = ctx.addCoder(CODER_URNS.kv, [keyCoder, ctx.addCoder(CODER_URNS.iterable, [accumulator])]);
    const pc = (id: string, coderId: string, like: string) => {
      ctx.pcollections[id] = { ...ctx.pcollections[like], uniqueName: id, coderId };
      return id;
    };
    const lifted = pc(`${inner}/Precombine.out`, kvAcc, keyed);
    const groupedAccs = pc(`${inner}/GroupByKey.out`, grouped, groupedPc);
    const merged = pc(`${inner}/Merge.out`, kvAcc, groupedPc);
    // The grouped values are never materialized: accumulators cross the shuffle instead.
    delete ctx.pcollections[groupedPc];
    subs = [
      phase(`${inner}/Precombine`, COMBINE_URNS.precombine, keyed, lifted),
      groupBy(`${inner}/GroupByKey`, lifted, groupedAccs),
      phase(`${inner}/Merge`, COMBINE_URNS.merge, groupedAccs, merged),
      phase(`${inner}/Extract`, COMBINE_URNS.extract, merged, out),
    ];
  } else if (ctx.lifting === "runner") {
    subs = [groupBy(gbkName, keyed, groupedPc), phase(`${inner}/CombineGroupedValues`, COMBINE_URNS.groupedValues, groupedPc, out)];
  } else {
    // Java runners take no combine_grouped_values (it is not among their primitives): the values are
    // combined by the composite's own DoFn.
    subs = [groupBy(gbkName, keyed, groupedPc), ctx.visit(valuesName)];
  }
  ctx.transforms[inner] = {
    uniqueName: inner,
    // Without lifting, a plain composite: runners that lift must not lift an element-count trigger.
    ...(lift ? { spec: { urn: COMBINE_URNS.perKey, payload }, environmentId: ctx.environmentId } : {}),
    subtransforms: subs,
    inputs: { main: keyed },
    outputs: { main: out },
  };
  ctx.transforms[t.uniqueName] = { uniqueName: t.uniqueName, subtransforms: [ctx.visit(keyBy), inner], inputs: { ...t.inputs }, outputs: { ...t.outputs } };
  return t.uniqueName;
}
