/** The direct runner's state backends, and the check of the option that picks one. */
import { OptionError } from "../../../sdk/errors";
import type { StateBackendKind } from "../contract/operator";

/** The state backends, in the order help lists them. */
export const STATE_BACKENDS = ["memory", "disk"] as const satisfies readonly StateBackendKind[];

/** The state backend an option names (memory when unset); anything else is an {@link OptionError}. */
export function checkStateBackend(value: unknown): StateBackendKind {
  if (value === undefined) return "memory";
  if ((STATE_BACKENDS as readonly unknown[]).includes(value)) return value as StateBackendKind;
  throw new OptionError({
    code: "BL_BAD_STATE_BACKEND",
    value,
    rule: `the state backend must be one of ${STATE_BACKENDS.map((b) => `"${b}"`).join(", ")}: "memory" keeps keyed state and timers on the heap, "disk" in LMDB files for state larger than memory`,
    fix: 'pass --state-backend=disk (stateBackend: "disk"), or leave it unset for memory',
  });
}
