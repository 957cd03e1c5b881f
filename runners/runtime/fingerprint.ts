/**
 * The check a worker makes after rebuilding the pipeline from its file (a direct runner's worker
 * thread, a portable runner's SDK harness): the graph it built has the fingerprint of the graph that
 * was submitted, or the functions it finds by name could differ from the ones the graph describes.
 */
import { PipelineConstructionError } from "../../sdk/errors";

/** Where a rebuilt pipeline is checked, and the two fingerprints compared. */
export interface FingerprintCheck {
  /** What rebuilt it, for the error (a pipeline file, a transform). */
  readonly where: string;
  /** The fingerprint of the pipeline the worker rebuilt. */
  readonly rebuilt: string;
  /** The fingerprint of the pipeline that was submitted. */
  readonly submitted: string;
}

/** Throws a {@link PipelineConstructionError} unless the rebuilt pipeline's fingerprint equals the submitted one. */
export function checkFingerprint({ where, rebuilt, submitted }: FingerprintCheck): void {
  if (rebuilt === submitted) return;
  throw new PipelineConstructionError({
    code: "BL_NONDETERMINISTIC_PIPELINE",
    where,
    value: { submitted: submitted.slice(0, 12), rebuilt: rebuilt.slice(0, 12) },
    rule: "a worker rebuilt a different graph from the same pipeline file and options: the construction is not deterministic",
    fix: "make build(p, options) depend only on its options — no Math.random(), Date.now(), environment, host or thread checks in names, payloads or the graph's shape — or run with --parallelism=1",
  });
}
