/**
 * The roles of a bounded source's read: "splitRead" splits the source into parts when its impulse
 * arrives, "readPart" reads each part it receives.
 */
import { GLOBAL_WINDOWS } from "../../../../sdk/batch";
import { wrapUserError } from "../../../../sdk/errors";
import type { JsonValue } from "../../../../sdk/graph";
import type { BoundedSource } from "../../../../sdk/source";
import { toRowBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";

/** Splits the source into `payload.parts` parts when the impulse arrives, and emits each part (JSON, as bytes) at the impulse's timestamp. */
export function splitRead(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const source = ctx.fn<BoundedSource>(payload.transform);
  return {
    process: async (_pc, b) => {
      const impulse = toRowBatch(b);
      let parts: JsonValue[];
      try {
        parts = await source.split(payload.parts ?? 1);
      } catch (e) {
        throw wrapUserError(e, payload.transform);
      }
      const rows = parts.map((p) => Buffer.from(JSON.stringify(p)));
      await ctx.emit(t.outputs.main, { rows, timestamps: new Float64Array(rows.length).fill(impulse.timestamps[0]), windows: GLOBAL_WINDOWS });
    },
  };
}

/** Reads each part it receives, emitting each chunk on the output its tag names (main when it names none). */
export function readPart(ctx: RoleContext, { t, payload }: RoleStep): RoleOperator {
  const source = ctx.fn<BoundedSource>(payload.transform);
  return {
    process: async (_pc, b) => {
      try {
        for (const bytes of toRowBatch(b).rows as Uint8Array[]) {
          const part = JSON.parse(Buffer.from(bytes).toString("utf8")) as JsonValue;
          for await (const chunk of source.read(part, null)) if (chunk.batch) await ctx.emit(t.outputs[chunk.tag ?? "main"], chunk.batch);
        }
      } catch (e) {
        throw wrapUserError(e, payload.transform);
      }
    },
  };
}
