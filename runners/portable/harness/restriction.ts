/**
 * The restriction of a source part read as a splittable DoFn: where the part's read resumes (the
 * position after the last chunk delivered) and the watermark estimator's state (the part's watermark
 * so far, when it last delivered data, and whether it is idle), carried by the runner as opaque bytes
 * (Beam's bytes coder) between bundles.
 */
import type { JsonValue } from "../../../sdk/graph";
import { MIN_TIMESTAMP } from "../../../sdk/time";
import { RunnerProtocolError } from "../model/errors";

/** What remains to read of one part, with the part's watermark so far. */
export interface ReadRestriction {
  /** The position the read resumes from (null: the part's start). */
  readonly position: JsonValue | null;
  /** The part's watermark (ms) after everything read so far: the watermark estimator's state. */
  readonly watermark: number;
  /** Nothing is left to read (the primary of a checkpoint split: what its bundle read already). */
  readonly done?: boolean;
  /** When (processing time, ms) the part last delivered data, or its first read began: the source's idle timeout counts from there. */
  readonly lastDataAt?: number;
  /** The part's source said it has nothing to read for now (its idle timeout passed): it does not hold the read's watermark back. */
  readonly idle?: boolean;
}

/** The restriction of a part nothing has been read of. */
export const INITIAL_RESTRICTION: ReadRestriction = { position: null, watermark: MIN_TIMESTAMP };

/** A restriction as the bytes the runner carries. */
export function encodeRestriction(r: ReadRestriction): Buffer {
  return Buffer.from(
    JSON.stringify({
      position: r.position,
      watermark: r.watermark,
      ...(r.done ? { done: true } : {}),
      ...(r.lastDataAt !== undefined ? { lastDataAt: r.lastDataAt } : {}),
      ...(r.idle ? { idle: true } : {}),
    }),
  );
}

/** The restriction `bytes` hold; throws RunnerProtocolError for bytes no Beamline harness wrote. */
export function decodeRestriction(bytes: Uint8Array): ReadRestriction {
  let r: unknown;
  try {
    r = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    r = null;
  }
  const o = r as { position?: JsonValue; watermark?: unknown; done?: unknown; lastDataAt?: unknown; idle?: unknown } | null;
  if (!o || typeof o !== "object" || !("position" in o) || typeof o.watermark !== "number" || (o.lastDataAt !== undefined && typeof o.lastDataAt !== "number")) {
    throw new RunnerProtocolError({
      code: "BL_BAD_RESTRICTION",
      value: Buffer.from(bytes).toString("utf8").slice(0, 200),
      rule: "a read's restriction is the JSON {position, watermark} Beamline's harness wrote",
      fix: "see the runner's log: it sent a restriction it did not get from Beamline's harness",
    });
  }
  return {
    position: o.position ?? null,
    watermark: o.watermark,
    ...(o.done === true ? { done: true } : {}),
    ...(typeof o.lastDataAt === "number" ? { lastDataAt: o.lastDataAt } : {}),
    ...(o.idle === true ? { idle: true } : {}),
  };
}
