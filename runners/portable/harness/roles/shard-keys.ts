/**
 * The first step of a sink write (the "writeKey" role): each row keyed by a shard of the sink with its
 * timestamp, window and pane beside it, so that the writers after the shuffle get them back
 * ({@link shardBatch}).
 */
import type * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, paneAt, paneFlags, PaneTiming, type ElementBatch } from "../../../../sdk/batch";
import { rowsToRecordBatch } from "../../../../sdk/rows";
import { inferSchema } from "../../../../sdk/schema";
import type { Sink } from "../../../../sdk/sink";
import { toRowBatch, type RowBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";

/** Keys each batch's rows with one shard index of the sink, the next shard for the next batch. */
export function writeKey(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const sink = ctx.fn<Sink>(payload.transform);
  const count = sink.numShards ?? 1;
  let next = Math.floor(Math.random() * count);
  return {
    process: (_pc, b) => {
      const rb = toRowBatch(b);
      const shard = next;
      next = (next + 1) % count;
      // A batch is never split across shards, as on the direct runner.
      return ctx.emit(t.outputs.main, { ...rb, rows: rb.rows.map((row, i) => ({ key: shard, value: { key: row, value: elementMetadata(rb, i) } })) });
    },
  };
}

/** An element's timestamp, window (start and end, NaN for the global window) and pane (flags, index, non-speculative index), as a sink write carries it through the shuffle. */
export type ElementMetadata = [number, number, number, number, number, number];

function elementMetadata(rb: RowBatch, i: number): ElementMetadata {
  const w = rb.windows;
  const [start, end] = w.kind === "global" ? [NaN, NaN] : [w.start[i], w.end[i]];
  const p = rb.panes;
  if (!p) return [rb.timestamps[i], start, end, NO_PANE_FLAGS, 0, 0];
  const pane = paneAt(p, i);
  return [rb.timestamps[i], start, end, p.flags[i], pane.index, pane.nonSpeculativeIndex];
}

/** The flags of {@link NO_FIRING}: unknown timing, first and last. */
const NO_PANE_FLAGS = paneFlags(PaneTiming.Unknown, true, true);

/** A shard's rows (each with its metadata, as {@link writeKey} keyed them) as a batch of `schema` (inferred when null) with the timestamps, windows and panes they had before the shuffle. */
export function shardBatch(values: readonly { key: unknown; value: ElementMetadata }[], schema: arrow.Schema | null, transform: string): ElementBatch {
  const rows = values.map((v) => v.key);
  const data = rowsToRecordBatch(rows, schema ?? inferSchema(rows, `input of transform "${transform}"`), `transform "${transform}"`);
  const n = values.length;
  const timestamps = new Float64Array(n);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const flags = new Uint8Array(n);
  const index = new Int32Array(n);
  const nonSpeculative = new Int32Array(n);
  let global = true;
  for (let i = 0; i < n; i++) {
    const m = values[i].value;
    timestamps[i] = m[0];
    start[i] = m[1];
    end[i] = m[2];
    if (!Number.isNaN(m[1])) global = false;
    flags[i] = m[3];
    index[i] = m[4];
    nonSpeculative[i] = m[5];
  }
  return { data, timestamps, windows: global ? GLOBAL_WINDOWS : { kind: "interval", start, end }, panes: { flags, index, nonSpeculative } };
}
