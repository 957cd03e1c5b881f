/**
 * The errors of the portable runner's own protocol layer: what a runner or job service sends that Beam's
 * protocols do not allow or Beamline does not implement (external), and invariants of Beamline's own
 * portable code that broke (internal: a bug to report).
 */
import { BeamlineError, BeamlineErrorInit } from "../../../sdk/errors";

/** A runner or job service sent malformed bytes, an unknown URN, instruction or coder, or left out an endpoint. */
export class RunnerProtocolError extends BeamlineError {
  constructor(init: Omit<BeamlineErrorInit, "domain">) {
    super({ ...init, domain: "external" });
  }
}

/** An invariant of Beamline's portable runner or harness broke: a bug in Beamline, not in the pipeline. */
export class InvariantError extends BeamlineError {
  constructor(init: Omit<BeamlineErrorInit, "domain" | "fix">) {
    super({ ...init, domain: "internal", fix: "this is a bug in Beamline; please report it with the pipeline that shows it" });
  }
}
