/**
 * The payload each URN of the graph carries, declared once: runners read a transform's parameters
 * through {@link payloadOf}, which checks the URN and narrows the payload to its declared type.
 */
import { COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN, type CombinePayload } from "./combine";
import type { GraphTransform } from "./graph";
import { FLATTEN_URN, GROUP_BY_KEY_URN, RESHUFFLE_URN, SEPARATE_LATE_URN, WINDOW_INTO_URN, type EmptyPayload, type WindowIntoPayload } from "./kv";
import { PARDO_URN, type ParDoPayload } from "./pardo";
import { WRITE_URN, type WritePayload } from "./sink";
import { READ_URN, type ReadPayload } from "./source";

/** The payload type of each URN Beamline's graph uses. */
export interface PayloadByUrn {
  [PARDO_URN]: ParDoPayload;
  [COMBINE_PER_KEY_URN]: CombinePayload;
  [COMBINE_GLOBALLY_URN]: CombinePayload;
  [READ_URN]: ReadPayload;
  [WRITE_URN]: WritePayload;
  [GROUP_BY_KEY_URN]: EmptyPayload;
  [FLATTEN_URN]: EmptyPayload;
  [RESHUFFLE_URN]: EmptyPayload;
  [SEPARATE_LATE_URN]: EmptyPayload;
  [WINDOW_INTO_URN]: WindowIntoPayload;
}

/** A URN whose payload type is declared in {@link PayloadByUrn}. */
export type KnownUrn = keyof PayloadByUrn;

/** The payload of `transform` as the type declared for `urn`, or null when the transform has another URN. */
export function payloadOf<U extends KnownUrn>(transform: Pick<GraphTransform, "urn" | "payload">, urn: U): PayloadByUrn[U] | null {
  return transform.urn === urn ? (transform.payload as unknown as PayloadByUrn[U]) : null;
}

/** Whether a transform is a ParDo whose DoFn declares state or timers (its input is partitioned by key). */
export function isStatefulParDo(transform: Pick<GraphTransform, "urn" | "payload">): boolean {
  return payloadOf(transform, PARDO_URN)?.stateful === true;
}
