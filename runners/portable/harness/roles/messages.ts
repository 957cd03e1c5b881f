/**
 * The roles of a source and a sink whose messages the runner reads and publishes itself (Pub/Sub's):
 * "parseMessages" parses the messages delivered into the source's rows, "encodeMessages" encodes rows
 * as the messages to publish.
 */
import type { ElementBatch } from "../../../../sdk/batch";
import { wrapUserError } from "../../../../sdk/errors";
import { toElementBatch, toRowBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";

/** A source whose messages a runner pulls itself (the "parseMessages" role): Pub/Sub's. */
interface MessageParser {
  parseDelivered(data: readonly Uint8Array[], timestamps: Float64Array): { tag: string; batch: ElementBatch }[];
}

/** A sink whose messages a runner publishes itself (the "encodeMessages" role): Pub/Sub's. */
interface MessageEncoder {
  encodeMessages(batch: ElementBatch): Uint8Array[];
}

/** Parses the messages the runner's native read delivers (their data, as bytes) into the source's rows and dead letters, each on its output. */
export function parseMessages(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const source = ctx.fn<MessageParser>(payload.transform);
  return {
    process: async (_pc, b) => {
      const rb = toRowBatch(b);
      let parsed: { tag: string; batch: ElementBatch }[];
      try {
        parsed = source.parseDelivered(rb.rows as Uint8Array[], rb.timestamps);
      } catch (e) {
        throw wrapUserError(e, payload.transform);
      }
      for (const p of parsed) await ctx.emit(t.outputs[p.tag], p.batch);
    },
  };
}

/** Encodes each row as the message the runner's native write publishes, keeping its timestamp, window and pane. */
export function encodeMessages(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const gt = ctx.graph.transforms[payload.transform];
  const sink = ctx.fn<MessageEncoder>(payload.transform);
  const schema = ctx.schemaOf(gt.inputs.main);
  return {
    process: (_pc, b) => {
      const batch = toElementBatch(b, schema, `input of transform "${payload.transform}"`);
      let rows: Uint8Array[];
      try {
        rows = sink.encodeMessages(batch);
      } catch (e) {
        throw wrapUserError(e, payload.transform);
      }
      return ctx.emit(t.outputs.main, { rows, timestamps: batch.timestamps, windows: batch.windows, ...(batch.panes ? { panes: batch.panes } : {}) });
    },
  };
}
