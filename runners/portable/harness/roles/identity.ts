/** The "identity" role: passes elements on unchanged (a redistribution point left to the runner). */
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";

/** Emits every batch it receives on its main output. */
export function identity(ctx: RoleContext, { t }: RoleStep): RoleOperator {
  return { process: (_pc, b) => ctx.emit(t.outputs.main, b) };
}
