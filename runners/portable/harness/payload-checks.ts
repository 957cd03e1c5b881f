/**
 * The checks a worker makes on a Beamline function's payload before running it: that the function is
 * Beamline's, and that the pipeline it rebuilt from the pipeline file is the one that was submitted (or
 * its functions could differ from the graph's).
 */
import { PipelineConstructionError } from "../../../sdk/errors";
import { RunnerProtocolError } from "../model/errors";

/** Throws unless the fingerprint of the worker's pipeline equals the one the payload of `transform` carries. */
export function checkFingerprint(transform: string, worker: string, submitted: string): void {
  if (worker === submitted) return;
  throw new PipelineConstructionError({
    code: "BL_PIPELINE_NOT_DETERMINISTIC",
    where: `transform "${transform}"`,
    value: { worker: worker.slice(0, 12), submitted: submitted.slice(0, 12) },
    rule: "the pipeline a worker builds from the pipeline file must have the submitted pipeline's fingerprint",
    fix: "build the pipeline the same way every time: no random, time- or host-dependent names, options or transforms",
  });
}

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
