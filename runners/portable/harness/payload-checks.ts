/**
 * The check a worker makes on a function's payload before running it: that the function is Beamline's
 * (the fingerprint check is runners/runtime/fingerprint.ts).
 */
import { RunnerProtocolError } from "../model/errors";

/** The error of a descriptor whose transform runs a function of another SDK. */
export function foreignFunction(transform: string, what: string, urn: unknown): RunnerProtocolError {
  return new RunnerProtocolError({
    code: "BL_FOREIGN_FUNCTION",
    where: `transform "${transform}"`,
    value: urn,
    rule: `Beamline's harness runs only Beamline's own ${what}s`,
    fix: "run this transform in an environment of the SDK that wrote it",
  });
}
