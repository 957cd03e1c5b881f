/** The error for an invalid expression. */
import { PipelineConstructionError } from "../../sdk/errors";

/** @internal The error for an expression built or decoded wrong. */
export function badExpr(value: unknown, rule: string, fix: string, where = "expression"): PipelineConstructionError {
  return new PipelineConstructionError({ code: "BL_EXPR_INVALID", where, value, rule, fix });
}
