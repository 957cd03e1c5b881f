/**
 * The roles of a sink write that writes each row exactly once: "writeNumber" numbers each shard's rows
 * with a counter kept in the shard's state, "writeSequenced" writes the numbered rows of a stable input
 * through the sink's sequenced writers.
 */
import { wrapUserError } from "../../../../sdk/errors";
import type { SequencedWriter, Sink } from "../../../../sdk/sink";
import type { ValueState } from "../../../../sdk/state";
import { GLOBAL_WINDOW } from "../../../../sdk/window";
import { CODER_URNS, encodeOne } from "../../coders/coders";
import { ByteWriter } from "../../coders/wire";
import { SEQUENCE_STATE } from "../../model/payloads";
import { toRowBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";
import { shardBatch, type ElementMetadata } from "./shard-keys";

/** Numbers each shard's rows (keyed by shard) from the shard's {@link SEQUENCE_STATE} on, emitting each row with its number. */
export function writeNumber(ctx: RoleContext, { id, t }: RoleStep): RoleOperator {
  const input = ctx.descriptor.pcollections[t.inputs.main];
  let kv = ctx.descriptor.coders[input.coderId];
  while (kv.spec.urn === CODER_URNS.lengthPrefix) kv = ctx.descriptor.coders[kv.componentCoderIds[0]];
  const keyCoder = ctx.coder(kv.componentCoderIds[0]);
  const window = encodeOne(ctx.coder(ctx.descriptor.windowingStrategies[input.windowingStrategyId].windowCoderId), GLOBAL_WINDOW);
  const state = ctx.userState(id, t.uniqueName, { [SEQUENCE_STATE]: { kind: "value" } });
  return {
    process: async (_pc, b) => {
      const rb = toRowBatch(b);
      const rows = rb.rows as { key: number; value: unknown }[];
      for (const shard of new Set(rows.map((r) => Number(r.key)))) {
        const w = new ByteWriter();
        keyCoder.encode(shard, w, true);
        await state.load(`${shard}`, window, w.finish());
      }
      const numbered: { key: number; value: { key: unknown; value: number } }[] = [];
      for (const r of rows) {
        const shard = Number(r.key);
        const next = state.cells(`${shard}`)[SEQUENCE_STATE] as ValueState<number>;
        const n = next.read() ?? 0;
        next.write(n + 1);
        numbered.push({ key: shard, value: { key: r.value, value: n } });
      }
      return ctx.emit(t.outputs.main, { ...rb, rows: numbered });
    },
    finish: () => state.flush(),
  };
}

/** Writes each shard's numbered rows through the shard's sequenced writer, from their numbers on. */
export function writeSequenced(ctx: RoleContext, { id, payload }: RoleStep): RoleOperator {
  const gt = ctx.graph.transforms[payload.transform];
  const sink = ctx.fn<Sink>(payload.transform);
  const schema = ctx.schemaOf(gt.inputs.main);
  // One writer per shard for the operator's life: it claims the shard's transactional id once.
  let writers = ctx.sequencedWriters.get(id);
  if (!writers) ctx.sequencedWriters.set(id, (writers = new Map()));
  const writerOf = (shard: number): SequencedWriter => {
    let w = writers!.get(shard);
    if (!w) writers!.set(shard, (w = sink.sequencedWriter!(shard)));
    return w;
  };
  /** Writes `values`, numbered from `first` on, through shard `shard`'s writer. */
  const write = async (shard: number, first: number, values: { key: unknown; value: ElementMetadata }[]) => {
    try {
      await writerOf(shard).write(shardBatch(values, schema, payload.transform), first);
    } catch (e) {
      throw wrapUserError(e, payload.transform);
    }
  };
  // Reads no state (see STABLE_WRITER_STATE): the rows carry their numbers.
  return {
    process: async (_pc, b) => {
      const rb = toRowBatch(b);
      // Each shard's rows in arrival order (the order the runner replays them in), as runs of consecutive numbers.
      const runs = new Map<number, { first: number; values: { key: unknown; value: ElementMetadata }[] }[]>();
      for (const r of rb.rows as { key: number; value: { key: { key: unknown; value: ElementMetadata }; value: number } }[]) {
        const shard = Number(r.key);
        let l = runs.get(shard);
        if (!l) runs.set(shard, (l = []));
        const last = l[l.length - 1];
        if (last && last.first + last.values.length === r.value.value) last.values.push(r.value.key);
        else l.push({ first: r.value.value, values: [r.value.key] });
      }
      for (const [shard, l] of runs) for (const run of l) await write(shard, run.first, run.values);
    },
  };
}
