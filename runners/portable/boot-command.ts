/**
 * Beamline's SDK harness boot script: what a PROCESS environment runs by default, and the entrypoint of
 * Beamline's SDK container (containers/sdk/Dockerfile), both started with Beam's container contract
 * (`--id`, `--provision_endpoint`, `--logging_endpoint`, `--artifact_endpoint`, `--control_endpoint`).
 */
import * as path from "node:path";

/** The boot script, run with node. */
export const BOOT_SCRIPT = path.join(__dirname, "boot.js");
