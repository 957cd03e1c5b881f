/**
 * Which runner a Beam job service fronts, asked of the service itself (`DescribePipelineOptions`):
 * Beam's Flink job server lists Flink's pipeline options, Prism lists none. Everything the portable
 * runner does differently per runner (TestStream encoding, streaming mode, combine lifting, Flink's
 * own settings) follows the detected kind, never the name the run was started under.
 */
/** The runner behind a job service: `flink`, `spark`, or `prism` (also every service that lists no runner options). */
export type RunnerKind = "flink" | "spark" | "prism";

/** The runner kind from the options a job service describes (each `{ name, group }`, group being the Java options interface). */
export function runnerKindOf(options: readonly { readonly name?: string; readonly group?: string }[]): RunnerKind {
  if (options.some((o) => /\.flink\./.test(o.group ?? ""))) return "flink";
  if (options.some((o) => /\.spark\./.test(o.group ?? ""))) return "spark";
  return "prism";
}
