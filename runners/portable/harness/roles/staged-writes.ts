/**
 * The roles of a sink write that stages and then commits: "writeShard" writes each shard's rows and
 * emits what it staged, "writeSeed" emits an empty staging entry (so the sink commits even when no row
 * came), "commit" commits everything staged and emits the written files.
 */
import { wrapUserError } from "../../../../sdk/errors";
import type { Sink } from "../../../../sdk/sink";
import { MIN_TIMESTAMP } from "../../../../sdk/time";
import { toRowBatch, type RowBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";
import { shardBatch, type ElementMetadata } from "./shard-keys";

/** Writes each shard's rows (grouped by shard) through one writer of the sink, and emits what each staged. */
export function writeShard(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const gt = ctx.graph.transforms[payload.transform];
  const sink = ctx.fn<Sink>(payload.transform);
  const count = sink.numShards ?? 1;
  const schema = ctx.schemaOf(gt.inputs.main);
  return {
    process: async (_pc, b) => {
      const rb = toRowBatch(b);
      const staged: unknown[] = [];
      for (const g of rb.rows as { key: number; values: { key: unknown; value: ElementMetadata }[] }[]) {
        const w = await sink.createWriter({ index: Number(g.key), count });
        try {
          await w.write(shardBatch(g.values, schema, payload.transform));
          staged.push(await w.prepareCommit(null));
        } catch (e) {
          await w.abort().catch(() => {});
          throw wrapUserError(e, payload.transform);
        }
      }
      // Each shard's committables travel as one list; the seed's is empty.
      await ctx.emit(t.outputs.main, globalRows(staged.map((value) => ({ key: 0, value }))));
    },
  };
}

/** Emits, on the impulse, an empty staging entry. */
export function writeSeed(ctx: RoleContext, { t }: RoleStep): RoleOperator {
  return { process: () => ctx.emit(t.outputs.main, globalRows([{ key: 0, value: [] }])) };
}

/** Commits everything the shards staged and emits the written files. */
export function commit(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const sink = ctx.fn<Sink>(payload.transform);
  return {
    process: async (_pc, b) => {
      const rb = toRowBatch(b);
      const staged = (rb.rows as { values: unknown[][] }[]).flatMap((g) => g.values.flat());
      // No shard wrote (no row came): prepare every shard's empty writer, as the direct runner
      // does, so the sink commits what it holds for an empty input (an assertion is checked).
      if (staged.length === 0) {
        const count = sink.numShards ?? 1;
        for (let index = 0; index < count; index++) staged.push(...(await (await sink.createWriter({ index, count })).prepareCommit(null)));
      }
      const files = await sink.committer.commit(staged as any);
      await ctx.emit(t.outputs.main, globalRows(files.map((file) => ({ file }))));
    },
  };
}

function globalRows(rows: unknown[]): RowBatch {
  return { rows, timestamps: new Float64Array(rows.length).fill(MIN_TIMESTAMP), windows: { kind: "global" } };
}
