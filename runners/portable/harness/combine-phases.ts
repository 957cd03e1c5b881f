/**
 * The phases of a lifted combine in the harness, for Beam's combine-per-key URNs:
 * - precombine: `{key, value}` rows fold into one accumulator per key and window for the bundle (or
 *   until many keys are open), emitted as `{key, value: accumulator}` when the bundle finishes;
 * - merge accumulators: `{key, values: accumulator[]}` → `{key, value: accumulator}`;
 * - extract outputs: `{key, value: accumulator}` → the combine's output rows;
 * - combine grouped values (unlifted): `{key, values: row[]}` → the combine's output rows.
 * An accumulator holds one accumulator per aggregate of the combine, by output field name; it crosses
 * the shuffle with Beamline's value coder, so CombineFns keep plain data in their accumulators.
 */
import type { CombineRuntime } from "../../../sdk/combine";
import { CombineAccumulators, type Accumulators } from "../../../sdk/combine-accumulators";
import type { Window } from "../../../sdk/window";
import { windowAt } from "../../../sdk/batch";
import { encodeOne, valueCoder } from "../coders/coders";
import type { Protos } from "../model/protos";
import { BEAMLINE_COMBINE_FN_URN, BeamlineCombineFnPayload, COMBINE_URNS } from "../model/payloads";
import { Elements, RowBatch, toRowBatch } from "./elements/elements";
import { foreignFunction } from "./payload-checks";
import { checkFingerprint } from "../../runtime/fingerprint";
import { InvariantError } from "../model/errors";

/** Sends a batch downstream. */
export type PhaseEmit = (b: RowBatch) => Promise<void> | void;

/** A combine phase as the bundle runs it. */
export interface CombinePhase {
  process(b: Elements): Promise<void> | void;
  finish?(): Promise<void> | void;
}

/** How a precombine times its output: the earliest input (holds no later than its inputs) or the latest. */
export type PrecombineTiming = "earliest" | "latest";

/** Open groups after which a precombine flushes early, bounding its memory. */
export const PRECOMBINE_MAX_GROUPS = 10_000;

/** A batch of rows keeping each input row's timestamp, window and pane. */
function mapRows(b: Elements, f: (row: any) => unknown): RowBatch {
  const rb = toRowBatch(b);
  return { ...rb, rows: rb.rows.map(f) };
}

/**
 * A string equal for two keys exactly when their encodings by Beamline's value coder are equal (the
 * identity a shuffle groups by). Strings, numbers and objects of them (the struct keys of
 * `groupBy` and `countPerElement`) are spelled out without being encoded — numbers as the coder writes
 * them, a double, so -0 is not 0 — every part length-prefixed or terminated, so that no two keys share an
 * id; other keys are told apart by their encoding.
 */
export function groupKeyId(key: unknown): string {
  const scalar = scalarId(key);
  if (scalar !== null) return scalar;
  // The value coder writes any object but these by its own keys, in order (see writeValue in coders.ts).
  if (key !== null && typeof key === "object" && !(key instanceof Uint8Array) && !(key instanceof Date) && !Array.isArray(key)) {
    const names = Object.keys(key);
    let id = `o${names.length}`;
    for (const name of names) {
      const v = scalarId((key as Record<string, unknown>)[name]);
      if (v === null) return `e${encodeOne(valueCoder, key).toString("latin1")}`;
      id += `|${name.length}:${name}${v}`;
    }
    return id;
  }
  return `e${encodeOne(valueCoder, key).toString("latin1")}`;
}

/** The id of a string or number key (length-prefixed, or `;`-terminated); null for other values. */
function scalarId(v: unknown): string | null {
  if (typeof v === "string") return `s${v.length}:${v}`;
  if (typeof v === "number") return Object.is(v, -0) ? "n-0;" : `n${v};`;
  return null;
}

/** Folds rows into per-key, per-window accumulators and emits them when the bundle ends. */
function precombine(aggs: CombineAccumulators, emit: PhaseEmit, timing: PrecombineTiming): CombinePhase {
  let groups = new Map<string, { key: unknown; window: Window; timestamp: number; acc: Accumulators }>();
  const flush = () => {
    const gs = [...groups.values()];
    groups = new Map();
    if (gs.length === 0) return;
    const anyInterval = gs.some((g) => !g.window.global);
    const windows = anyInterval
      ? { kind: "interval" as const, start: Float64Array.from(gs, (g) => g.window.start), end: Float64Array.from(gs, (g) => g.window.end) }
      : { kind: "global" as const };
    return emit({ rows: gs.map((g) => ({ key: g.key, value: g.acc })), timestamps: Float64Array.from(gs, (g) => g.timestamp), windows });
  };
  return {
    async process(b) {
      const rb = toRowBatch(b);
      for (let i = 0; i < rb.rows.length; i++) {
        const { key, value } = rb.rows[i] as { key: unknown; value: unknown };
        const window = windowAt(rb.windows, i);
        const id = `${window.global ? "g" : `${window.start}:${window.end}`}|${groupKeyId(key)}`;
        let g = groups.get(id);
        const ts = rb.timestamps[i];
        if (!g) groups.set(id, (g = { key, window, timestamp: ts, acc: aggs.create() }));
        else g.timestamp = timing === "earliest" ? Math.min(g.timestamp, ts) : Math.max(g.timestamp, ts);
        aggs.add(g.acc, value);
        if (groups.size >= PRECOMBINE_MAX_GROUPS) await flush();
      }
    },
    finish: flush,
  };
}

/**
 * The phase for `urn` of combine composite `transform` (whose runtime object is `rt`), emitting
 * through `emit`.
 */
export function combinePhase(urn: string, transform: string, rt: CombineRuntime, emit: PhaseEmit, timing: PrecombineTiming = "earliest"): CombinePhase {
  const aggs = new CombineAccumulators(rt, transform);
  switch (urn) {
    case COMBINE_URNS.precombine:
      return precombine(aggs, emit, timing);
    case COMBINE_URNS.merge:
      return { process: (b) => emit(mapRows(b, (g: { key: unknown; values: Accumulators[] }) => ({ key: g.key, value: aggs.merge([...g.values]) }))) };
    case COMBINE_URNS.extract:
      return { process: (b) => emit(mapRows(b, (kv: { key: unknown; value: Accumulators }) => aggs.output(kv.key, kv.value))) };
    case COMBINE_URNS.groupedValues:
      return {
        process: (b) =>
          emit(
            mapRows(b, (g: { key: unknown; values: unknown[] }) => {
              const acc = aggs.create();
              for (const v of g.values) aggs.add(acc, v);
              return aggs.output(g.key, acc);
            }),
          ),
      };
    default:
      throw new InvariantError({ code: "BL_NOT_A_COMBINE_PHASE", where: `transform "${transform}"`, value: urn, rule: "only a combine phase's URN selects a combine phase" });
  }
}

/** What a phase needs of the pipeline: its fingerprint and its runtime objects. */
export interface PhaseRuntime {
  readonly fingerprint: string;
  fn<T>(transform: string): T;
}

/**
 * The phase a descriptor's transform asks for: its CombinePayload names a Beamline combine function
 * (checked against this worker's pipeline); `outputTime` is the input's windowing output time.
 */
export function combinePhaseOf(
  t: { uniqueName: string; spec: { urn: string; payload?: Uint8Array } },
  protos: Protos,
  runtime: PhaseRuntime,
  outputTime: string | undefined,
  emit: PhaseEmit,
): CombinePhase {
  const p = protos.decode("pipeline.CombinePayload", t.spec.payload ?? new Uint8Array());
  if (p.combineFn?.urn !== BEAMLINE_COMBINE_FN_URN) throw foreignFunction(t.uniqueName, "combine function", p.combineFn?.urn);
  const fn = JSON.parse(Buffer.from(p.combineFn.payload).toString("utf8")) as BeamlineCombineFnPayload;
  checkFingerprint({ where: `transform "${t.uniqueName}"`, rebuilt: runtime.fingerprint, submitted: fn.fingerprint });
  return combinePhase(t.spec.urn, fn.transform, runtime.fn<CombineRuntime>(fn.transform), emit, outputTime === "LATEST_IN_PANE" ? "latest" : "earliest");
}
