/**
 * Fault injection for recovery tests, on the real code paths: with `BEAMLINE_FAULT=<point>:<n>` in
 * the environment, the process kills itself (SIGKILL, as `kill -9` would) the n-th time it reaches
 * `<point>`. Without the variable, a fault point costs one comparison.
 */

/** Where a run can be made to die. */
export type FaultPoint =
  /** Every instance wrote its file of a checkpoint; the manifest is not written. */
  | "checkpoint-files"
  /** A checkpoint's manifest is written; its sinks have not committed. */
  | "checkpoint-complete"
  /** A sink is about to publish (rename) what a completed checkpoint staged. */
  | "sink-commit";

const wanted = (() => {
  const spec = process.env.BEAMLINE_FAULT;
  const m = spec ? /^([a-z-]+):(\d+)$/.exec(spec) : null;
  return m ? { point: m[1], n: Number(m[2]) } : null;
})();
let reached = 0;

/** Marks that the run reached `point`; dies there if the environment asks for it. */
export function faultPoint(point: FaultPoint): void {
  if (wanted === null || wanted.point !== point) return;
  if (++reached === wanted.n) process.kill(process.pid, "SIGKILL");
}
