/** The "writeBundle" role: a sink write that writes each bundle's rows and flushes them before the bundle ends. */
import { wrapUserError } from "../../../../sdk/errors";
import type { Sink, SinkWriter } from "../../../../sdk/sink";
import { toElementBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";

/** Writes each bundle's rows through the sink (one that publishes what it prepares) and commits them when the bundle ends. */
export function writeBundle(ctx: RoleContext, { payload }: RoleStep): RoleOperator {
  const gt = ctx.graph.transforms[payload.transform];
  // A sink that publishes what it prepares (at-least-once): one writer per operator, flushed at the
  // end of every bundle, so the runner gets a bundle's response only once its records are acknowledged.
  const sink = ctx.fn<Sink>(payload.transform);
  const count = sink.numShards ?? 1;
  const schema = ctx.schemaOf(gt.inputs.main);
  let writer: SinkWriter | null = null;
  let wrote = false;
  /** Drops the writer after a failure (a retried bundle starts a new one) and rethrows it as the transform's. */
  const fail = async (e: unknown): Promise<never> => {
    const failed = writer;
    writer = null;
    wrote = false;
    await failed?.abort().catch(() => {});
    throw wrapUserError(e, payload.transform);
  };
  return {
    process: async (_pc, b) => {
      const batch = toElementBatch(b, schema, `input of transform "${payload.transform}"`);
      try {
        writer ??= await sink.createWriter({ index: Math.floor(Math.random() * count), count, transform: payload.transform });
        await writer.write(batch);
        wrote = true;
      } catch (e) {
        await fail(e);
      }
    },
    finish: async () => {
      if (!writer || !wrote) return;
      wrote = false;
      try {
        await sink.committer.commit(await writer.prepareCommit(null));
      } catch (e) {
        await fail(e);
      }
    },
  };
}
