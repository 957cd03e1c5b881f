/**
 * The stateful part of a ParDo's Runner API payload: one `StateSpec` per declared state cell and one
 * `TimerFamilySpec` per declared timer. Every cell kind travels over Beam's bag user state protocol
 * (`beam:user_state:bag:v1`, the one every portable runner serves), its values encoded with
 * Beamline's value coder: a value cell is a bag of at most one value (read-modify-write, as Beam's
 * SDKs store value state), a combining cell a bag of accumulators, a set a bag of its elements, a map a
 * bag of `[key, value]` entries, an ordered list a bag of `{timestamp, value}` entries. Timers use the
 * timer coder (`beam:coder:timer:v1`) over the input's key coder and window coder.
 */
import type { PipelineGraph } from "../../sdk/graph";
import type { ParDoPayload } from "../../sdk/pardo";
import { isStatefulParDo } from "../../sdk/payload";
import { WINDOW_EXPIRATION_TIMER } from "./model/payloads";
import { InvariantError } from "./model/errors";

/** The user state protocol every cell kind uses. */
export const BAG_USER_STATE_URN = "beam:user_state:bag:v1";

/** The requirement a pipeline with a stateful ParDo declares. */
export const STATEFUL_PARDO_REQUIREMENT = "beam:requirement:pardo:stateful:v1";

/** The URN of the combine function of combining state (run by Beamline's harness only). */
export const BEAMLINE_STATE_COMBINE_FN_URN = "beamline:state_combine_fn:v1";

/** The stateful ParDos of `graph` whose DoFn has `onWindowExpiration` (from their runtime functions). */
export function windowExpirationTransforms(graph: PipelineGraph, fn: (transform: string) => unknown): string[] {
  return Object.values(graph.transforms)
    .filter(isStatefulParDo)
    .filter((t) => {
      const f = fn(t.uniqueName) as { kind?: string; dofn?: { onWindowExpiration?: unknown } };
      return f?.kind === "dofn" && typeof f.dofn?.onWindowExpiration === "function";
    })
    .map((t) => t.uniqueName);
}

/**
 * What a runner cannot run of a stateful ParDo, as messages for the unsupported list. Beam's Flink
 * runner (2.62) ends an SDK stage by waiting for its output watermark to reach the end of time, but
 * fires pending processing-time timers there only for splittable DoFns: a stateful DoFn's pending
 * processing-time timer holds the watermark, and the job never finishes.
 */
export function statefulProblems(transform: string, payload: ParDoPayload, runner: string): string[] {
  const timers = payload.timers ?? {};
  const processing = Object.keys(timers).filter((name) => timers[name] === "processing");
  if (runner === "flink" && processing.length > 0) {
    return [`${transform}: processing-time timer(s) ${processing.join(", ")} (Beam's Flink runner never fires them at the end of the input and waits for them forever; use event-time timers, or run on prism)`];
  }
  return [];
}

/** The coder ids the stateful payload refers to. */
export interface StatefulCoders {
  /** Beamline's value coder, for every state value. */
  readonly value: string;
  /** The timer coder over the input's key and window coders. */
  readonly timer: string;
}

/** `state_specs` and `timer_family_specs` of a ParDo payload, from the graph's stateful payload. */
export function statefulParDoFields(transform: string, payload: ParDoPayload, coders: StatefulCoders, windowExpiration = false): Record<string, unknown> {
  const cells = payload.state ?? {};
  const timers = payload.timers ?? {};
  const protocol = { urn: BAG_USER_STATE_URN };
  const stateSpecs: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(cells)) {
    const c = coders.value;
    switch (kind) {
      case "value":
        stateSpecs[name] = { readModifyWriteSpec: { coderId: c }, protocol };
        break;
      case "bag":
        stateSpecs[name] = { bagSpec: { elementCoderId: c }, protocol };
        break;
      case "combining":
        stateSpecs[name] = {
          combiningSpec: { accumulatorCoderId: c, combineFn: { urn: BEAMLINE_STATE_COMBINE_FN_URN, payload: Buffer.from(JSON.stringify({ transform, state: name })) } },
          protocol,
        };
        break;
      case "map":
        stateSpecs[name] = { mapSpec: { keyCoderId: c, valueCoderId: c }, protocol };
        break;
      case "set":
        stateSpecs[name] = { setSpec: { elementCoderId: c }, protocol };
        break;
      case "orderedList":
        stateSpecs[name] = { orderedListSpec: { elementCoderId: c }, protocol };
        break;
      default:
        throw new InvariantError({ code: "BL_UNKNOWN_STATE_KIND", where: `transform "${transform}", state "${name}"`, value: kind, rule: "a state cell is a value, bag, combining, map, set or ordered list cell" });
    }
  }
  const timerFamilySpecs: Record<string, unknown> = {};
  for (const [name, domain] of Object.entries(timers)) {
    timerFamilySpecs[name] = { timeDomain: domain === "processing" ? "PROCESSING_TIME" : "EVENT_TIME", timerFamilyCoderId: coders.timer };
  }
  if (windowExpiration) timerFamilySpecs[WINDOW_EXPIRATION_TIMER] = { timeDomain: "EVENT_TIME", timerFamilyCoderId: coders.timer };
  return { stateSpecs, timerFamilySpecs };
}
