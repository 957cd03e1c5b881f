/**
 * Residuals of a self-checkpointing splittable DoFn: what a bundle leaves unread, as Beam's
 * `DelayedBundleApplication` for `ProcessBundleResponse.residual_roots` — the input element with its
 * remaining restriction (encoded as the transform's input is), the output watermarks the restriction's
 * watermark estimate holds, and how long the runner should wait before resuming it.
 */
import { MIN_TIMESTAMP } from "../../../sdk/time";

/** What a residual root is built from. */
export interface ResidualSpec {
  /** The process transform's id in the descriptor. */
  readonly transformId: string;
  /** The local name of its main input. */
  readonly inputId: string;
  /** The residual element (the input element with the remaining restriction) encoded as a windowed value of the input's coder. */
  readonly element: Uint8Array;
  /** The local names of the transform's outputs, each of which gets the watermark. */
  readonly outputs: readonly string[];
  /** The watermark estimate (ms): no later output of the residual is earlier. MIN_TIMESTAMP for none. */
  readonly watermark: number;
  /** How long (ms) the runner should wait before resuming: 0 to resume at once. */
  readonly delayMs: number;
}

/** A protobuf Timestamp or Duration of `ms` milliseconds. */
export function protoTime(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/**
 * The `DelayedBundleApplication` of a residual, as a plain object for protobufjs. A watermark at the
 * minimum is left out (Beam's Timestamp cannot hold it; the runner keeps its own estimate); a zero
 * delay is left out (resume at once).
 */
export function residualRoot(r: ResidualSpec): Record<string, unknown> {
  const outputWatermarks = r.watermark > MIN_TIMESTAMP ? Object.fromEntries(r.outputs.map((o) => [o, protoTime(r.watermark)])) : {};
  return {
    application: { transformId: r.transformId, inputId: r.inputId, element: r.element, outputWatermarks, isBounded: "UNBOUNDED" },
    ...(r.delayMs > 0 ? { requestedTimeDelay: protoTime(r.delayMs) } : {}),
  };
}
