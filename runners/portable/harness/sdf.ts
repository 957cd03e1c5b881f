/**
 * Beam's splittable DoFn protocol for Beamline's source reads. A runner expands a read DoFn whose
 * ParDoPayload names a restriction coder into the steps here: pair each part with its initial
 * restriction, split and size the restrictions, process each sized part and restriction (a
 * checkpointed read that leaves a residual for the runner to resume), and on drain truncate the
 * restrictions (an unbounded part then reads no more).
 */
import { windowAt, paneAt } from "../../../sdk/batch";
import { wrapUserError } from "../../../sdk/errors";
import type { JsonValue } from "../../../sdk/graph";
import type { BoundedSource } from "../../../sdk/source";
import type { Coder, KVPair, WindowedValue } from "../coders/coders";
import { ByteWriter } from "../coders/wire";
import { checkpointedRead, ReadInProgress } from "./checkpointed-read";
import { Elements, RowBatch, toRowBatch } from "./elements/elements";
import { residualRoot } from "./residual";
import { decodeRestriction, encodeRestriction, INITIAL_RESTRICTION, type ReadRestriction } from "./restriction";

/** Beam's URNs of the splittable DoFn steps a runner sends to the harness. */
export const SDF_URNS = {
  pairWithRestriction: "beam:transform:sdf_pair_with_restriction:v1",
  splitAndSize: "beam:transform:sdf_split_and_size_restrictions:v1",
  processSized: "beam:transform:sdf_process_sized_element_and_restrictions:v1",
  truncateSized: "beam:transform:sdf_truncate_sized_restrictions:v1",
} as const;

/** How long (ms) one bundle reads a part before it checkpoints, split among the parts it holds (at least {@link MIN_PART_BUDGET_MS} each). */
export const SDF_BUNDLE_BUDGET_MS = 1000;

/** The least time (ms) a bundle reads each part it holds. */
export const MIN_PART_BUDGET_MS = 100;

/** The size a runner is given for a restriction whose source reports no backlog. */
const UNKNOWN_SIZE = 1;

/**
 * The largest watermark any part of a source reached in this process. An idle part (its source said
 * it has nothing to read for now) reports that as its own, so it does not hold the read's watermark
 * back while other parts advance, and the read's watermark is the largest of its parts' once every
 * part is idle: Flink's idleness, as the direct runner applies it.
 */
const largestWatermark = new WeakMap<BoundedSource, number>();

/** The residual restriction `rest` of a part of `source`, raised to the source's largest watermark when the part is idle. */
export function idleAware(source: BoundedSource, rest: ReadRestriction): ReadRestriction {
  const largest = Math.max(largestWatermark.get(source) ?? rest.watermark, rest.watermark);
  largestWatermark.set(source, largest);
  return rest.idle && largest > rest.watermark ? { ...rest, watermark: largest } : rest;
}

/** An element of the process step: the part (JSON bytes) and its restriction, with the restriction's size. */
type SizedPart = KVPair<KVPair<Uint8Array, Uint8Array>, number>;

/** What a splittable read step needs of its bundle. */
export interface SdfStepContext {
  /** The graph transform whose source is read. */
  readonly transform: string;
  readonly source: BoundedSource;
  /** The step's outputs: local tag → PCollection id. */
  readonly outputs: Readonly<Record<string, string>>;
  emit(pc: string, b: Elements): Promise<void> | void;
}

/** What the process step needs besides: where residuals go and how its input is encoded. */
export interface SdfProcessContext extends SdfStepContext {
  /** The process transform's id in the descriptor. */
  readonly transformId: string;
  /** The local name of its main input. */
  readonly inputId: string;
  /** The windowed value coder of its input (residual elements are encoded with it). */
  readonly inputCoder: Coder<WindowedValue>;
  /** How long (ms) the bundle reads before it checkpoints; {@link SDF_BUNDLE_BUDGET_MS} by default. */
  readonly budgetMs?: number;
  /** Receives each residual root (a `DelayedBundleApplication`). */
  residual(root: Record<string, unknown>): void;
  /** Receives the position each read reached, for the bundle's finalization. */
  reached?(part: JsonValue, position: JsonValue | null): void;
}

/** A step's operator: elements in, elements out. */
export interface SdfOperator {
  process(input: string, b: Elements): Promise<void> | void;
}

/** A checkpoint split of the process step: the element being read stops where it is. */
export interface SdfCheckpoint {
  /** The element's index in the batch being processed; the elements after it are not processed (the runner keeps them). */
  readonly index: number;
  /** How many elements that batch holds. */
  readonly count: number;
  /** The element with what this bundle read of it (a restriction with nothing left): a `BundleApplication`. */
  readonly primary: Record<string, unknown>;
  /** The element with the rest of its part: a `DelayedBundleApplication`. */
  readonly residual: Record<string, unknown>;
}

/** The process step's operator, which a runner's split can checkpoint while it reads. */
export interface SdfProcessOperator extends SdfOperator {
  /** Stops the read in progress where it is (Beam's checkpoint, a split at fraction 0); null when nothing is read or it cannot stop here. */
  checkpoint(): SdfCheckpoint | null;
}

/** The same elements with each row replaced. */
function mapRows(b: Elements, f: (row: any) => unknown): RowBatch {
  const rb = toRowBatch(b);
  return { ...rb, rows: rb.rows.map(f) };
}

function mainOutput(ctx: SdfStepContext): string {
  return Object.values(ctx.outputs)[0];
}

/** Pairs each part with the restriction of a read from its start. */
export function pairWithRestriction(ctx: SdfStepContext): SdfOperator {
  const initial = encodeRestriction(INITIAL_RESTRICTION);
  return { process: (_pc, b) => ctx.emit(mainOutput(ctx), mapRows(b, (part: Uint8Array) => ({ key: part, value: initial }))) };
}

/** Sizes each restriction (a part is split already, by the read's split step, so each restriction stays whole). */
export function splitAndSize(ctx: SdfStepContext): SdfOperator {
  return { process: (_pc, b) => ctx.emit(mainOutput(ctx), mapRows(b, (pair: KVPair) => ({ key: pair, value: UNKNOWN_SIZE }))) };
}

/** On drain: an unbounded part reads no more, so every restriction truncates to nothing. */
export function truncateSized(): SdfOperator {
  return { process: () => {} };
}

/** Reads each sized part from its restriction for a bounded time; what remains goes back to the runner as a residual. */
export function processSized(ctx: SdfProcessContext): SdfProcessOperator {
  const outputTags = Object.keys(ctx.outputs);
  /** The element being read: its batch, index and read. */
  let current: { rb: RowBatch; i: number; read: ReadInProgress } | null = null;
  /** Row `i` of `rb` with `restriction` in place of its own, encoded as the input is. */
  const withRestriction = (rb: RowBatch, i: number, restriction: ReadRestriction, size: number): Buffer => {
    const { key: pair } = rb.rows[i] as SizedPart;
    return encodeElementAt(ctx.inputCoder, rb, i, { key: { key: pair.key, value: encodeRestriction(restriction) }, value: size } satisfies SizedPart);
  };
  const residualOf = (rb: RowBatch, i: number, rest: ReadRestriction, size: number, delayMs: number) =>
    residualRoot({ transformId: ctx.transformId, inputId: ctx.inputId, element: withRestriction(rb, i, rest, size), outputs: outputTags, watermark: rest.watermark, delayMs });
  return {
    process: async (_pc, b) => {
      const rb = toRowBatch(b);
      const n = rb.rows.length;
      const budgetMs = Math.max(MIN_PART_BUDGET_MS, (ctx.budgetMs ?? SDF_BUNDLE_BUDGET_MS) / Math.max(1, n));
      for (let i = 0; i < n; i++) {
        const { key: pair } = rb.rows[i] as SizedPart;
        const part = JSON.parse(Buffer.from(pair.key).toString("utf8")) as JsonValue;
        const from = decodeRestriction(pair.value);
        if (from.done) continue;
        const read = new ReadInProgress(from);
        current = { rb, i, read };
        let outcome;
        try {
          outcome = await checkpointedRead(ctx.source, part, from, { budgetMs, progress: read }, (chunk) =>
            chunk.batch ? ctx.emit(ctx.outputs[chunk.tag ?? "main"], chunk.batch) : undefined,
          );
        } catch (e) {
          throw wrapUserError(e, ctx.transform);
        } finally {
          current = null;
        }
        ctx.reached?.(part, outcome.position);
        // A checkpoint split handed the rest of this element, and the elements after it, to the runner.
        if (read.split) return;
        if (outcome.residual) ctx.residual(residualOf(rb, i, idleAware(ctx.source, outcome.residual), outcome.backlog ?? UNKNOWN_SIZE, outcome.delayMs));
      }
    },
    checkpoint: () => {
      if (!current) return null;
      const { rb, i, read } = current;
      const rest = read.checkpoint();
      if (!rest) return null;
      const primary = { transformId: ctx.transformId, inputId: ctx.inputId, element: withRestriction(rb, i, { ...rest, done: true }, 0) };
      return { index: i, count: rb.rows.length, primary, residual: residualOf(rb, i, rest, UNKNOWN_SIZE, 0) };
    },
  };
}

/** Row `i` of `rb` with its value replaced, encoded as a windowed value (as the data channel carries it). */
export function encodeElementAt(coder: Coder<WindowedValue>, rb: RowBatch, i: number, value: unknown): Buffer {
  const pane = paneAt(rb.panes, i);
  const w = new ByteWriter();
  coder.encode({ value, timestamp: rb.timestamps[i], windows: [windowAt(rb.windows, i)], pane }, w, true);
  return w.finish();
}
