/** The operator registry the direct runner ships with: every URN it executes, and its operator. */
import { COMBINE_GLOBALLY_URN, COMBINE_PER_KEY_URN } from "../../../sdk/combine";
import { FLATTEN_URN, GROUP_BY_KEY_URN, RESHUFFLE_URN, SEPARATE_LATE_URN, WINDOW_INTO_URN } from "../../../sdk/kv";
import { PARDO_URN } from "../../../sdk/pardo";
import { WRITE_URN } from "../../../sdk/sink";
import { combineOperator } from "./combine";
import { gbkOperator } from "./gbk";
import { readOperator, writeOperator } from "./io";
import { pardoOperator } from "./pardo";
import { flattenOperator, reshuffleOperator, separateLateOperator, windowIntoOperator } from "./simple";
import { READ_URN } from "../../../sdk/source";
import type { OperatorFactory } from "../contract/operator";

/** The operators the direct runner ships with, by URN. */
export function defaultOperators(): Map<string, OperatorFactory> {
  return new Map<string, OperatorFactory>([
    [READ_URN, readOperator],
    [WRITE_URN, writeOperator],
    [PARDO_URN, pardoOperator],
    [GROUP_BY_KEY_URN, gbkOperator],
    [COMBINE_PER_KEY_URN, combineOperator],
    [COMBINE_GLOBALLY_URN, combineOperator],
    [FLATTEN_URN, flattenOperator],
    [WINDOW_INTO_URN, windowIntoOperator],
    [RESHUFFLE_URN, reshuffleOperator],
    [SEPARATE_LATE_URN, separateLateOperator],
  ]);
}
